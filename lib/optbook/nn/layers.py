r"""Layers with hand-written forward and backward passes.

A layer maps a batch ``x`` of shape ``(B, n_in)`` to ``(B, n_out)``. ``forward(x, training)``
keeps what its backward pass needs; ``backward(dy, need_dx)`` receives
:math:`\partial L/\partial y` for that same batch, writes :math:`\partial L/\partial\theta` into
the layer's gradient views (overwriting them) and returns :math:`\partial L/\partial x`
(``None`` when ``need_dx`` is false: the first layer of a network skips that product).

A layer owns no parameter memory: :class:`~optbook.nn.network.Sequential` gives each one views
of the network's flat parameter and gradient vectors (``weight``, ``grad_weight``, ...). Outputs
are written into buffers the layer reuses from call to call, so the array ``forward`` returns is
overwritten by the next call; :meth:`Sequential.predict <optbook.nn.network.Sequential.predict>`
returns a copy.
"""

from __future__ import annotations

import math

import numpy as np

from optbook import checks

from . import init as initializers
from . import kernels, large_batch

SATURATION = 0.02
"""An activation counts as saturated where its derivative is below this fraction of its peak."""



class Layer:
    """Base class of the layers: no parameters, shape-preserving, buffers on demand."""

    kind = "layer"

    def __init__(self):
        self.dtype = np.dtype(np.float64)
        self._buffers = {}
        self._views = {}
        self._out = self._dx = np.empty((0, 0))

    def parameter_shapes(self) -> tuple:
        """``((name, shape), ...)`` of the parameters, in their order in the flat vector."""
        return ()

    def output_features(self, n_in: int) -> int:
        """The width of the output for an input of width ``n_in`` (checked)."""
        return n_in

    def bind(self, dtype, params: dict, grads: dict) -> None:
        """Take the network's dtype and the views of this layer's parameters and gradients."""
        self.dtype = np.dtype(dtype)
        self._buffers = {}
        self._views = {}
        self._out = self._dx = np.empty((0, 0), dtype=self.dtype)
        for name, view in params.items():
            setattr(self, name, view)
        for name, view in grads.items():
            setattr(self, "grad_" + name, view)

    def initialize(self, rng: np.random.Generator) -> None:
        """Draw the parameters (layers without parameters draw nothing)."""

    def _buffer(self, name, rows, cols):
        """A ``(rows, cols)`` array of the layer's dtype, the same memory from call to call.

        The view of each row count is kept, so an epoch's shorter last batch and the full
        batches after it switch between two views instead of making a new one each time
        (ten views an epoch for a three-layer network, about 3 % of a digits epoch)."""
        view = self._views.get((name, rows))
        if view is not None and view.shape[1] == cols:
            return view
        buf = self._buffers.get(name)
        if buf is None or buf.shape[0] < rows or buf.shape[1] != cols:
            buf = large_batch.empty_lines(rows, cols, self.dtype)
            self._buffers[name] = buf
            self._views = {key: v for key, v in self._views.items() if key[0] != name}
        view = self._views[(name, rows)] = buf[:rows]
        return view

    def __repr__(self):
        return f"{type(self).__name__}()"


class Linear(Layer):
    r"""Affine map :math:`y = x W^\top + b`, ``W`` of shape ``(n_out, n_in)`` as in PyTorch.

    Backward: :math:`\partial L/\partial W = (\partial L/\partial y)^\top x`,
    :math:`\partial L/\partial b = \sum_{\text{batch}} \partial L/\partial y`,
    :math:`\partial L/\partial x = (\partial L/\partial y)\,W`.

    ``init`` is an initialiser or its name (:mod:`optbook.nn.init`); ``bias_init`` defaults to
    PyTorch's :math:`U(\pm 1/\sqrt{n_\text{in}})` when ``init`` is ``"pytorch"`` (PyTorch draws
    both that way) and to zeros otherwise.
    """

    kind = "linear"

    def __init__(self, n_in: int, n_out: int, bias: bool = True, init="pytorch", bias_init=None):
        super().__init__()
        self.n_in = checks.count("n_in", n_in)
        self.n_out = checks.count("n_out", n_out)
        if not isinstance(bias, bool):
            raise ValueError(f"bias must be True or False, got {bias!r}")
        self.has_bias = bias
        self.init = initializers.get(init)
        if bias_init is None:
            bias_init = "pytorch" if self.init.name == "pytorch" else "zeros"
        self.bias_init = initializers.get(bias_init)
        self.bias_fused = False
        self._adds_bias = bias
        self._x = None

    def parameter_shapes(self):
        shapes = (("weight", (self.n_out, self.n_in)),)
        return shapes + ((("bias", (self.n_out,)),) if self.has_bias else ())

    def output_features(self, n_in):
        if n_in != self.n_in:
            raise ValueError(f"{self!r} takes {self.n_in} input features, but gets {n_in}")
        return self.n_out

    def initialize(self, rng):
        shape = (self.n_out, self.n_in)
        self.weight[...] = self.init.draw(rng, shape, self.n_in, self.n_out, self.dtype)
        if self.has_bias:
            self.bias[...] = self.bias_init.draw(rng, (self.n_out,), self.n_in, self.n_out,
                                                 self.dtype)

    def bind(self, dtype, params, grads):
        super().bind(dtype, params, grads)
        self._weight_t = self.weight.T

    def forward(self, x, training=False):
        # The hot path of training: a test of the batch size (len, the cheapest) instead of
        # a call wherever it can; the widths were checked when the network was built.
        y = self._out
        if len(y) != len(x):
            y = self._out = self._buffer("y", len(x), self.n_out)
        np.dot(x, self._weight_t, out=y)
        if self._adds_bias:
            kernels.add_bias(y, self.bias)
        self._x = x
        return y

    def backward(self, dy, need_dx=True):
        np.dot(dy.T, self._x, out=self.grad_weight)
        if self._adds_bias:
            kernels.column_sums(dy, self.grad_bias)
        if not need_dx:
            return None
        dx = self._dx
        if len(dx) != len(dy):
            dx = self._dx = self._buffer("dx", len(dy), self.n_in)
        np.dot(dy, self.weight, out=dx)
        return dx

    def __repr__(self):
        return f"Linear({self.n_in}, {self.n_out}{'' if self.has_bias else ', bias=False'})"


class Activation(Layer):
    """An element-wise nonlinearity (base of :class:`ReLU`, :class:`LeakyReLU`, :class:`Tanh`,
    :class:`Sigmoid`)."""

    code = kernels.RELU
    slope = 0.0

    def __init__(self):
        super().__init__()
        self._x = None
        self._y = None
        self._bias = self._grad_bias = np.empty(0)
        self._pattern = None

    def bind(self, dtype, params, grads):
        super().bind(dtype, params, grads)
        self._bias = self._grad_bias = np.empty(0, dtype=self.dtype)

    def fuse_bias(self, linear: Linear) -> None:
        """Take over the bias of the linear layer before: this layer adds it in its forward
        pass (to the values it reads, leaving the linear layer's output as it is) and sums
        its gradient in its backward pass, one pass over the batch fewer each way.
        :class:`~optbook.nn.network.Sequential` does this for every such pair."""
        self._bias, self._grad_bias = linear.bias, linear.grad_bias
        linear.bias_fused = True
        linear._adds_bias = False

    def forward(self, x, training=False):
        y = self._out
        if len(y) != len(x):
            y = self._out = self._buffer("y", x.shape[0], x.shape[1])
        if self._pattern is None:
            kernels.activation_forward(self.code, self.slope, x, self._bias, y)
        else:
            if self._pattern.shape != x.shape:
                raise ValueError(f"the frozen pattern has shape {self._pattern.shape}, the "
                                 f"batch {x.shape}: freeze on the batch you pass")
            np.multiply(self._preactivation(x), self._pattern, out=y)
        self._x = x
        self._y = y
        return y

    def _preactivation(self, x):
        """:math:`z`: the input plus the fused bias (a new array), or the input itself."""
        return x + self._bias if self._bias.size else x

    def backward(self, dy, need_dx=True):
        dx = self._dx
        if len(dx) != len(dy):
            dx = self._dx = self._buffer("dx", dy.shape[0], dy.shape[1])
        if self._pattern is None:
            kernels.activation_backward(self.code, self.slope, self._y, dy, dx,
                                        self._grad_bias)
        else:
            np.multiply(dy, self._pattern, out=dx)
            if self._grad_bias.size:
                self._grad_bias[...] = dx.sum(axis=0)
        return dx if need_dx else None

    def freeze_pattern(self) -> None:
        r"""Hold the ReLU family's derivative pattern of the last forward pass fixed,
        :math:`d_{ij} = 1` where :math:`z_{ij} > 0`, else the negative slope: later passes
        compute :math:`y = d \odot z` and :math:`\partial L/\partial z = d \odot
        \partial L/\partial y`, the layer's linearisation on the batch it last saw, until
        :meth:`thaw_pattern`. Finite differences of the gradient then see no kink (a unit
        crossing 0 between two nearby points would add a spurious :math:`O(1/h)` curvature):
        :mod:`optbook.nn.sharpness` differentiates the gradient this way."""
        if self.code not in (kernels.RELU, kernels.LEAKY_RELU):
            raise ValueError(f"{self!r} is smooth: only the ReLU family has a pattern to freeze")
        if self._x is None:
            raise ValueError("freeze_pattern needs a forward pass first")
        self._pattern = np.where(self._preactivation(self._x) > 0, 1.0,
                                 self.slope).astype(self.dtype)

    def thaw_pattern(self) -> None:
        """Return to the layer's own nonlinearity (see :meth:`freeze_pattern`)."""
        self._pattern = None

    def statistics(self) -> dict:
        """Mean and standard deviation of the last output, and the fraction of dead units
        (ReLU family) or of saturated outputs (tanh, sigmoid); see :func:`activation_statistics`.
        """
        # Outside a frozen pattern a ReLU-family output is > 0 exactly where its input is,
        # so the output stands in for the input that the forward pass did not keep.
        z = self._y if self._pattern is None else self._preactivation(self._x)
        return activation_statistics(self.code, z, self._y)


def activation_statistics(code, z, y) -> dict:
    r"""``{"mean", "std", "dead", "saturated"}`` of one batch of an activation layer.

    ``mean`` and ``std`` are those of all its outputs; ``dead``: the fraction of units whose
    input is :math:`\le 0` for every example of the batch (a dead ReLU passes no gradient to its
    weights), for ReLU and leaky ReLU, ``nan`` for the others; ``saturated``: the fraction of
    outputs where the derivative is below ``SATURATION`` (2 %) of its peak,
    :math:`1-y^2 < 0.02` for tanh (:math:`|y| > 0.99`) and :math:`4y(1-y) < 0.02` for the
    sigmoid, ``nan`` for the ReLU family.
    """
    mean, std, dead, saturated = kernels.activation_moments(code, z, y, SATURATION)
    return {"mean": mean, "std": std, "dead": dead, "saturated": saturated}


class ReLU(Activation):
    r""":math:`\max(z, 0)`; derivative 1 for :math:`z > 0`, else 0."""

    kind = "relu"
    code = kernels.RELU


class LeakyReLU(Activation):
    r""":math:`z` for :math:`z > 0`, else :math:`a z`; ``negative_slope`` :math:`a` in [0, 1)
    (PyTorch's default 0.01)."""

    kind = "leaky_relu"
    code = kernels.LEAKY_RELU

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.slope = checks.real("negative_slope", negative_slope, 0.0, 1.0, high_open=True)

    def __repr__(self):
        return f"LeakyReLU({self.slope!r})"


class Tanh(Activation):
    r""":math:`\tanh z`; derivative :math:`1 - \tanh^2 z`."""

    kind = "tanh"
    code = kernels.TANH


class Sigmoid(Activation):
    r""":math:`\sigma(z) = 1/(1+e^{-z})`; derivative :math:`\sigma(z)(1-\sigma(z))`."""

    kind = "sigmoid"
    code = kernels.SIGMOID


class Dropout(Layer):
    r"""Dropout (Srivastava et al. 2014) with a mask drawn per example and unit.

    Give exactly one of ``drop`` (the probability of zeroing a unit, PyTorch's ``p``) or
    ``keep`` (the probability of keeping it, the ``p`` of the DD2424 lecture and of Srivastava
    et al.), by keyword: ``Dropout(drop=0.2)`` is ``Dropout(keep=0.8)``. With :math:`m_i \sim
    \text{Bernoulli}(\text{keep})`:

    * ``mode="inverted"`` (default, as PyTorch): training gives :math:`y = m \odot x/\text{keep}`,
      evaluation :math:`y = x`;
    * ``mode="vanilla"``: training gives :math:`y = m \odot x`, evaluation scales by the keep
      probability, :math:`y = \text{keep}\cdot x`.

    Both have :math:`\mathbb E[y_\text{train}] = y_\text{eval}`. The backward pass multiplies by
    the same mask. Masks come from the layer's own generator, seeded by the network (and
    again by :func:`~optbook.nn.train.train`), so runs repeat exactly.
    """

    kind = "dropout"

    def __init__(self, *args, drop: float | None = None, keep: float | None = None,
                 mode: str = "inverted"):
        super().__init__()
        if args:
            raise ValueError("Dropout takes its probability by keyword, to say which one it "
                             f"is: drop={args[0]!r} (PyTorch's p) or keep={args[0]!r} (the "
                             "lecture's p)")
        if (drop is None) == (keep is None):
            raise ValueError("Dropout needs exactly one of drop= (probability of dropping a "
                             "unit, PyTorch's p) or keep= (probability of keeping it)")
        if drop is not None:
            self.drop = checks.real("drop probability", drop, 0.0, 1.0, high_open=True)
        else:
            self.drop = 1.0 - checks.real("keep probability", keep, 0.0, 1.0, low_open=True)
        self.keep = 1.0 - self.drop if drop is not None else float(keep)
        if mode not in ("inverted", "vanilla"):
            raise ValueError(f"mode must be 'inverted' or 'vanilla', got {mode!r}")
        self.mode = mode
        self.rng = np.random.default_rng(0)
        self.always_on = False
        self._active = False
        self._rows = 0

    def reseed(self, seed) -> None:
        """Restart the mask generator from ``seed`` (an int or a ``numpy.random.SeedSequence``)."""
        self.rng = np.random.default_rng(seed)

    def forward(self, x, training=False):
        rows, cols = x.shape
        y = self._buffer("y", rows, cols)
        self._rows = rows
        self._active = training or self.always_on
        if self._active:
            uniforms = self.rng.random((rows, cols))
            mask = self._buffer("mask", rows, cols)
            scale = 1.0 / self.keep if self.mode == "inverted" else 1.0
            kernels.dropout_forward(x, uniforms, self.keep, scale, y, mask)
        elif self.mode == "vanilla":
            np.multiply(x, self.dtype.type(self.keep), out=y)
        else:
            y[...] = x
        return y

    @property
    def mask(self):
        """The mask of the last training pass (scale included), ``(B, n)``."""
        return self._buffers["mask"][: self._rows] if self._active else None

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        dx = self._buffer("dx", dy.shape[0], dy.shape[1])
        if self._active:
            np.multiply(dy, self._buffers["mask"][: dy.shape[0]], out=dx)
        elif self.mode == "vanilla":
            np.multiply(dy, self.dtype.type(self.keep), out=dx)
        else:
            dx[...] = dy
        return dx

    def __repr__(self):
        return f"Dropout(drop={self.drop!r}, mode={self.mode!r})"


class BatchNorm1d(Layer):
    r"""Batch normalisation (Ioffe & Szegedy 2015) of ``(B, C)`` inputs, PyTorch's conventions.

    Training: per feature, :math:`\mu = \frac1B\sum_i x_i`, :math:`\sigma^2 = \frac1B\sum_i
    (x_i-\mu)^2` (biased), :math:`\hat x = (x-\mu)/\sqrt{\sigma^2+\varepsilon}`,
    :math:`y = \gamma\hat x + \beta`; the running statistics move as
    :math:`r \leftarrow (1-m)\,r + m\,s` with the batch mean and the *unbiased* batch variance
    :math:`\sigma^2 B/(B-1)`, starting from mean 0 and variance 1. Evaluation normalises with
    the running statistics instead. Defaults as ``torch.nn.BatchNorm1d``: ``momentum`` m = 0.1,
    ``eps`` = 1e-5, ``affine`` (learnable :math:`\gamma = 1, \beta = 0` at the start).

    Backward (training), with :math:`g = \partial L/\partial y`:
    :math:`\partial L/\partial\beta = \sum_i g_i`,
    :math:`\partial L/\partial\gamma = \sum_i g_i\hat x_i` and

    .. math:: \frac{\partial L}{\partial x_i} = \frac{\gamma}{B\sqrt{\sigma^2+\varepsilon}}
        \Bigl(B g_i - \sum_k g_k - \hat x_i \sum_k g_k \hat x_k\Bigr).

    ``constant_stats=True`` drops the two sums, i.e. treats :math:`\mu` and :math:`\sigma` as
    constants, :math:`\partial L/\partial x_i = \gamma g_i/\sqrt{\sigma^2+\varepsilon}`. That
    gradient is **wrong** on purpose (its sum over the batch is not 0, and it disagrees with
    finite differences); the batch-norm chapter shows the difference. In evaluation the
    statistics are constants, so there the simple form is exact.
    """

    kind = "batchnorm"
    large_batch_bytes = 4 * 2**20
    """Batches whose output (``y`` forward, ``dx`` backward) takes at least this many bytes
    go through :mod:`optbook.nn.large_batch`; ``bench_nn`` compares both ways."""

    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5,
                 affine: bool = True, constant_stats: bool = False):
        super().__init__()
        self.num_features = checks.count("num_features", num_features)
        self.momentum = checks.real("momentum", momentum, 0.0, 1.0)
        self.eps = checks.real("eps", eps, 0.0, math.inf, low_open=True, high_open=True)
        if not isinstance(affine, bool) or not isinstance(constant_stats, bool):
            raise ValueError("affine and constant_stats must be True or False")
        self.affine = affine
        self.constant_stats = constant_stats
        self.running_mean = np.zeros(self.num_features)
        self.running_var = np.ones(self.num_features)
        c = self.num_features
        self._mean = np.zeros(c)
        self._var = np.zeros(c)
        self._inv_std = np.zeros(c)
        self._sum_dy = np.zeros(c)
        self._sum_dy_centred = np.zeros(c)
        self._training = False
        self._x = None

    def parameter_shapes(self):
        c = self.num_features
        return (("weight", (c,)), ("bias", (c,))) if self.affine else ()

    def bind(self, dtype, params, grads):
        super().bind(dtype, params, grads)
        self.running_mean = np.zeros(self.num_features, dtype=self.dtype)
        self.running_var = np.ones(self.num_features, dtype=self.dtype)

    def output_features(self, n_in):
        if n_in != self.num_features:
            raise ValueError(f"{self!r} takes {self.num_features} features, but gets {n_in}")
        return n_in

    def initialize(self, rng):
        if self.affine:
            self.weight[...] = 1.0
            self.bias[...] = 0.0
        self.running_mean[...] = 0.0
        self.running_var[...] = 1.0

    def _gamma_beta(self):
        if self.affine:
            return self.weight.astype(np.float64), self.bias.astype(np.float64)
        return np.ones(self.num_features), np.zeros(self.num_features)

    def forward(self, x, training=False):
        rows = x.shape[0]
        y = self._buffer("y", rows, self.num_features)
        kind = large_batch if self._large(y) else kernels
        gamma, beta = self._gamma_beta()
        if training:
            if rows < 2:
                raise ValueError("BatchNorm1d needs a batch of at least 2 examples in training "
                                 f"(the unbiased variance divides by B - 1), got {rows}")
            kind.batch_moments(x, self._mean, self._var)
            m = self.momentum
            self.running_mean[...] = (1.0 - m) * self.running_mean + m * self._mean
            self.running_var[...] = (1.0 - m) * self.running_var + m * (
                self._var * rows / (rows - 1))
        else:
            self._mean[...] = self.running_mean
            self._var[...] = self.running_var
        np.divide(1.0, np.sqrt(self._var + self.eps), out=self._inv_std)
        scale = gamma * self._inv_std
        shift = beta - self._mean * scale
        if kind is large_batch and large_batch.streamable(y, x):
            large_batch.affine_columns(x, scale, shift, y)
        else:
            kernels.affine_columns(x, scale, shift, y)
        self._training = training
        self._x = x
        return y

    def backward(self, dy, need_dx=True):
        rows = dy.shape[0]
        kernels.batchnorm_sums(dy, self._x, self._mean, self._sum_dy, self._sum_dy_centred)
        if self.affine:
            self.grad_weight[...] = self._sum_dy_centred * self._inv_std
            self.grad_bias[...] = self._sum_dy
        if not need_dx:
            return None
        gamma, _ = self._gamma_beta()
        a = gamma * self._inv_std
        if self._training and not self.constant_stats:
            b = -a * self._inv_std**2 * self._sum_dy_centred / rows
            c = -a * self._sum_dy / rows - b * self._mean
        else:
            b = np.zeros(self.num_features)
            c = b
        dx = self._buffer("dx", rows, self.num_features)
        if self._large(dx) and large_batch.streamable(dx, dy, self._x):
            large_batch.combine_columns(dy, self._x, a, b, c, dx)
        else:
            kernels.combine_columns(dy, self._x, a, b, c, dx)
        return dx

    def _large(self, out):
        """Whether the batch whose output is ``out`` is large (:attr:`large_batch_bytes`)."""
        return out.nbytes >= self.large_batch_bytes

    def buffers(self) -> dict:
        """The running statistics (not parameters: no gradient, not in the flat vector)."""
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def __repr__(self):
        extra = ", constant_stats=True" if self.constant_stats else ""
        return f"BatchNorm1d({self.num_features}{extra})"
