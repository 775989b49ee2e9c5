r"""A network as a sequence of layers over one flat parameter vector.

:class:`Sequential` lays every layer's parameters end to end in one vector ``params`` (float64
by default, float32 on request) and their gradients in a vector ``grads`` of the same layout,
and gives each layer views of its part. One call of an update rule on ``(params, grads)``
therefore moves the whole network, with the same compiled code that moves a 2-D point in the
explorers. Within a layer the order is the order of its ``parameter_shapes`` (a linear layer:
its weight matrix row by row, then its bias).

The loss of a batch, with the coupled L2 penalty, is

.. math:: J(\theta) = \frac1B\sum_{i=1}^B \ell\bigl(f(x_i;\theta), y_i\bigr)
          + \frac\lambda2\sum_{\ell} \|W_\ell\|_F^2 ,

the sum running over the weight matrices of the linear layers; its gradient is the
backward pass plus :math:`\lambda W_\ell` (EE 628 lecture 5's one-hidden-layer example).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import kernels
from . import losses as losses_module
from .layers import (
    Activation,
    BatchNorm1d,
    Dropout,
    Layer,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Tanh,
)
from .threads import one_blas_thread

DTYPES = (np.float32, np.float64)


class Trace(NamedTuple):
    """What :meth:`Sequential.trace` saw, one entry per layer."""

    outputs: list
    """Each layer's output ``(B, width)``."""
    input_grads: list
    """The gradient with respect to each layer's input (empty without ``d_out``)."""


def _check_l2(l2):
    try:
        l2 = float(l2)
    except (TypeError, ValueError):
        raise ValueError(f"l2 must be a real number >= 0, got {l2!r}") from None
    if not (math.isfinite(l2) and l2 >= 0.0):
        raise ValueError(f"l2 must be a finite number >= 0, got {l2!r}")
    return l2


class Sequential:
    """Layers applied in turn, with parameters in one flat vector.

    ``Sequential(Linear(64, 100), ReLU(), Linear(100, 10), dtype=np.float64, seed=0)``. The
    width of the input is set by the first linear or batch-norm layer and every layer's width
    is checked against the one before it. ``seed`` draws the initial parameters (layer by
    layer, in order) and seeds the dropout masks; :meth:`initialize` draws them again.

    Attributes: ``params`` and ``grads`` (the flat vectors), ``layers``, ``names`` (``"linear0"``,
    ``"relu1"``, ...), ``n_inputs``, ``n_outputs``, ``slices`` (each parameterised layer's
    name to its slice of ``params``) and ``weight_slices`` (the linear layers' weight matrices,
    which the L2 penalty covers).
    """

    def __init__(self, *layers, dtype=np.float64, seed=0):
        if not layers:
            raise ValueError("Sequential needs at least one layer")
        layers = tuple(activation(la) if isinstance(la, str) else la for la in layers)
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise ValueError(f"layer {i} must be an optbook.nn layer (Linear, ReLU, "
                                 f"LeakyReLU, Tanh, Sigmoid, Dropout, BatchNorm1d), got "
                                 f"{type(layer).__name__}")
            if getattr(layer, "_owner", None) is not None or layers.index(layer) != i:
                raise ValueError(f"layer {i} ({layer!r}) already belongs to a network; "
                                 "build a new layer for each network")
        if np.dtype(dtype) not in [np.dtype(d) for d in DTYPES]:
            raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
        self.dtype = np.dtype(dtype)
        self.layers = list(layers)
        self.names = [f"{layer.kind}{i}" for i, layer in enumerate(layers)]
        first = next((la for la in layers if isinstance(la, Linear | BatchNorm1d)), None)
        if first is None:
            raise ValueError("Sequential needs a Linear or BatchNorm1d layer to fix the width "
                             "of its input")
        width = first.n_in if isinstance(first, Linear) else first.num_features
        self.n_inputs = width
        for layer in layers:
            width = layer.output_features(width)
        self.n_outputs = width

        total = sum(int(np.prod(shape)) for la in layers for _, shape in la.parameter_shapes())
        self.params = np.zeros(total, dtype=self.dtype)
        self.grads = np.zeros(total, dtype=self.dtype)
        self.slices = {}
        self.weight_slices = []
        offset = 0
        for name, layer in zip(self.names, layers, strict=True):
            start = offset
            views, grad_views = {}, {}
            for pname, shape in layer.parameter_shapes():
                size = int(np.prod(shape))
                views[pname] = self.params[offset:offset + size].reshape(shape)
                grad_views[pname] = self.grads[offset:offset + size].reshape(shape)
                if isinstance(layer, Linear) and pname == "weight":
                    self.weight_slices.append(slice(offset, offset + size))
                offset += size
            if offset > start:
                self.slices[name] = slice(start, offset)
            layer.bind(self.dtype, views, grad_views)
            layer._owner = self
        for layer, after in zip(layers[:-1], layers[1:], strict=True):
            if isinstance(layer, Linear) and layer.has_bias and isinstance(after, Activation):
                after.fuse_bias(layer)
        self.dropouts = [la for la in layers if isinstance(la, Dropout)]
        # The bias of a last linear layer is the network's to add: the loss adds it and sums
        # its gradient in its own passes over the outputs (predict and backward do it here).
        last = layers[-1]
        self._output_bias = None
        if isinstance(last, Linear) and last.has_bias:
            self._output_bias = (last.bias, last.grad_bias)
            last.bias_fused = True
            last._adds_bias = False
        # Bound methods, looked up once: the training loop calls them for every mini-batch.
        self._forwards = [la.forward for la in layers]
        self._backwards = [(la.backward, i > 0) for i, la in reversed(list(enumerate(layers)))]
        self.initialize(seed)

    # ------------------------------------------------------------------ parameters and state

    @property
    def size(self) -> int:
        """The number of parameters."""
        return self.params.size

    def initialize(self, seed=0) -> None:
        """Draw every layer's parameters from ``numpy.random.default_rng(seed)``, reset the
        running statistics and reseed the dropout masks from ``seed``."""
        rng = np.random.default_rng(seed)
        for layer in self.layers:
            layer.initialize(rng)
        self.reseed_dropout(seed)

    def reseed_dropout(self, seed) -> None:
        """Give each dropout layer its own generator, spawned from ``SeedSequence(seed)``
        (``seed`` an int or a ``SeedSequence``)."""
        if not isinstance(seed, np.random.SeedSequence):
            seed = np.random.SeedSequence(seed)
        children = seed.spawn(len(self.dropouts))
        for layer, child in zip(self.dropouts, children, strict=True):
            layer.reseed(child)

    def get_params(self) -> np.ndarray:
        """A copy of the flat parameter vector."""
        return self.params.copy()

    def set_params(self, theta) -> None:
        """Copy ``theta`` (same size, finite) into the parameters; the layers' views follow."""
        theta = np.asarray(theta)
        if theta.shape != self.params.shape:
            raise ValueError(f"theta must have shape {self.params.shape}, got {theta.shape}")
        if not np.all(np.isfinite(theta)):
            raise ValueError("theta must be finite (no NaN or inf)")
        self.params[...] = theta

    def state(self) -> dict:
        """Copies of what changes besides the parameters: the batch-norm running statistics and
        the dropout generators' states (see :meth:`load_state`)."""
        return {
            "buffers": [{k: v.copy() for k, v in la.buffers().items()}
                        for la in self.layers if isinstance(la, BatchNorm1d)],
            "rngs": [la.rng.bit_generator.state for la in self.dropouts],
        }

    def load_state(self, state: dict) -> None:
        """Restore what :meth:`state` saved."""
        norms = [la for la in self.layers if isinstance(la, BatchNorm1d)]
        for layer, saved in zip(norms, state["buffers"], strict=True):
            for key, value in saved.items():
                layer.buffers()[key][...] = value
        for layer, saved in zip(self.dropouts, state["rngs"], strict=True):
            layer.rng.bit_generator.state = saved

    def penalty(self, l2: float) -> float:
        r""":math:`\frac\lambda2\sum_\ell\|W_\ell\|^2` over the linear layers' weights."""
        l2 = _check_l2(l2)
        total = sum(float(np.dot(self.params[s], self.params[s])) for s in self.weight_slices)
        return 0.5 * l2 * total

    # ------------------------------------------------------------------ checks

    def check_inputs(self, x) -> np.ndarray:
        """``x`` as a C-contiguous ``(B, n_inputs)`` array of the network's dtype, after
        checking its shape and that it is finite."""
        arr = np.asarray(x)
        if arr.ndim == 1 and arr.shape[0] == self.n_inputs:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.n_inputs:
            raise ValueError(f"inputs must have shape (batch, {self.n_inputs}): the first layer "
                             f"takes {self.n_inputs} features, got shape {arr.shape}")
        if arr.shape[0] == 0:
            raise ValueError("inputs must hold at least one example, got 0 rows")
        if arr.dtype.kind not in "iuf":
            raise ValueError(f"inputs must be numbers, got dtype {arr.dtype}")
        arr = np.ascontiguousarray(arr, dtype=self.dtype)
        if not np.all(np.isfinite(arr)):
            raise ValueError("inputs must be finite (no NaN or inf)")
        return arr

    def check_data(self, x, targets, loss):
        """``(x, targets, loss)`` checked and converted for this network (see
        :meth:`check_inputs` and the loss's ``check_targets``)."""
        loss = losses_module.get(loss)
        x = self.check_inputs(x)
        if loss.classification and self.n_outputs < 2:
            raise ValueError(f"cross-entropy needs a network with at least 2 outputs, this one "
                             f"has {self.n_outputs}")
        targets = loss.check_targets(targets, x.shape[0], self.n_outputs, self.dtype)
        return x, targets, loss

    # ------------------------------------------------------------------ passes

    def forward(self, x, training: bool = False) -> np.ndarray:
        """The outputs for a batch ``x`` (checked). ``training`` switches dropout on and makes
        batch norm use (and update) the batch statistics. The returned array is a buffer that
        the next pass overwrites."""
        return self.forward_unchecked(self.check_inputs(x), training)

    def forward_unchecked(self, x, training=False):
        """:meth:`forward` for an ``x`` already checked and converted (the training loop's)."""
        for forward in self._forwards:
            x = forward(x, training)
        if self._output_bias is not None:
            kernels.add_bias(x, self._output_bias[0])
        return x

    def backward(self, d_out, input_grad: bool = False):
        r"""Propagate :math:`\partial L/\partial\,\text{outputs}` of the last forward pass
        back: fills ``grads`` (overwriting it) and returns :math:`\partial L/\partial x` when
        ``input_grad``, else ``None``."""
        if self._output_bias is not None:
            kernels.column_sums(d_out, self._output_bias[1])
        last = len(self.layers) - 1
        for i in range(last, -1, -1):
            d_out = self.layers[i].backward(d_out, i > 0 or input_grad)
        return d_out

    @one_blas_thread
    def trace(self, x, d_out=None, training: bool = False) -> Trace:
        r"""Every layer's output for a batch ``x``, and, given an upstream gradient ``d_out``
        at the outputs, :math:`\partial L/\partial(\text{input of layer } \ell)` for every
        layer, as copies: the per-layer statistics of the backpropagation chapter (how the
        variance of activations and gradients changes with depth). Fills ``grads`` too."""
        x = self.check_inputs(x)
        buffers = []
        h = x
        for layer in self.layers:
            h = layer.forward(h, training)
            buffers.append(h)
        if self._output_bias is not None:
            kernels.add_bias(h, self._output_bias[0])
        outputs = [b.copy() for b in buffers]
        # A linear layer followed by an activation leaves its bias to that activation (see
        # Activation.fuse_bias), so its own output lacks it.
        for out, layer, after in zip(outputs, self.layers, self.layers[1:], strict=False):
            if isinstance(layer, Linear) and layer.has_bias and isinstance(after, Activation):
                out += layer.bias
        if d_out is None:
            return Trace(outputs, [])
        d_out = np.asarray(d_out)
        if d_out.shape != h.shape or not np.all(np.isfinite(d_out)):
            raise ValueError(f"d_out must be a finite array of shape {h.shape}, like the outputs")
        grad = np.ascontiguousarray(d_out, dtype=self.dtype)
        if self._output_bias is not None:
            kernels.column_sums(grad, self._output_bias[1])
        input_grads = [None] * len(self.layers)
        for i in range(len(self.layers) - 1, -1, -1):
            grad = self.layers[i].backward(grad, True)
            input_grads[i] = grad.copy()
        return Trace(outputs, input_grads)

    def predict(self, x) -> np.ndarray:
        """Outputs in evaluation mode, as a new array (logits for a classifier)."""
        return self.forward(x, training=False).copy()

    def loss_and_grad(self, x, targets, loss, l2: float = 0.0, training: bool = True):
        """``(J, correct)``: the mean loss of a batch plus the L2 penalty, :math:`J`, with its
        gradient written into ``grads``, and the number of examples whose largest output is
        the label (0 for regression). Checks its inputs."""
        x, targets, loss = self.check_data(x, targets, loss)
        value, penalty, correct = self.loss_and_grad_unchecked(x, targets, loss, _check_l2(l2),
                                                               training)
        return value + penalty, correct

    def loss_and_grad_unchecked(self, x, targets, loss, l2, training):
        """``(data loss, penalty, correct)`` of a checked batch; ``grads`` gets the gradient of
        their sum."""
        for forward in self._forwards:
            x = forward(x, training)
        if self._output_bias is None:
            value, correct, d_out = loss(x, targets)
        else:
            value, correct, d_out = loss(x, targets, *self._output_bias)
        for backward, need_dx in self._backwards:
            d_out = backward(d_out, need_dx)
        penalty = 0.0
        if l2 > 0.0:
            total = 0.0
            for s in self.weight_slices:
                w = self.params[s]
                total += float(np.dot(w, w))
                self.grads[s] += self.dtype.type(l2) * w
            penalty = 0.5 * l2 * total
        return value, penalty, correct

    def evaluate(self, x, targets, loss, l2: float = 0.0):
        """``(mean loss + penalty, accuracy)`` in evaluation mode, no gradient. Accuracy is
        ``nan`` for a regression loss."""
        x, targets, loss = self.check_data(x, targets, loss)
        return self.evaluate_unchecked(x, targets, loss, _check_l2(l2))

    def evaluate_unchecked(self, x, targets, loss, l2=0.0):
        """:meth:`evaluate` on checked inputs."""
        value, correct, _ = loss(self.forward_unchecked(x, False), targets)
        if l2 > 0.0:
            value += self.penalty(l2)
        accuracy = correct / x.shape[0] if loss.classification else math.nan
        return value, accuracy

    def __repr__(self):
        inner = ", ".join(repr(la) for la in self.layers)
        return f"Sequential({inner}; {self.size} parameters, {self.dtype.name})"


ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "tanh": Tanh, "sigmoid": Sigmoid}
"""The activation layers by name (``Sequential`` accepts the names in place of layers)."""


def check_training_data(net, data, loss):
    """``(x, targets, loss)``: the pair ``data = (X, y)`` checked for ``net``, an optbook.nn
    :class:`Sequential`, and ``loss`` by name or object (:meth:`Sequential.check_data`)."""
    if not isinstance(net, Sequential):
        raise ValueError(f"net must be an optbook.nn Sequential, got {type(net).__name__}")
    if not (isinstance(data, tuple | list) and len(data) == 2):
        raise ValueError("data must be a pair (X, y)")
    return net.check_data(*data, loss)


def activation(name: str) -> Activation:
    """A new activation layer by name: ``"relu"``, ``"leaky_relu"``, ``"tanh"``, ``"sigmoid"``."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown layer or activation {name!r}; known names: "
                         f"{', '.join(ACTIVATIONS)} (other layers are built by their class)")
    return ACTIVATIONS[name]()


def mlp(sizes, activation="relu", *, init=None, dropout=None, batchnorm=False,
        dtype=np.float64, seed=0) -> Sequential:
    """A multilayer perceptron with layer widths ``sizes`` (inputs first, outputs last).

    Between two linear layers: optionally batch norm (``batchnorm=True``, before the
    activation), the ``activation`` (``"relu"``, ``"leaky_relu"``, ``"tanh"``, ``"sigmoid"``)
    and optionally ``Dropout(drop=dropout)``. ``init`` defaults to He's normal initialiser for
    the ReLU family and Xavier's for tanh and sigmoid. ``mlp([64, 100, 10])`` is the digits
    network of the book.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; known: {', '.join(ACTIVATIONS)}")
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least the input and output widths, got {sizes}")
    if init is None:
        init = "he_normal" if activation in ("relu", "leaky_relu") else "xavier_normal"
    stack = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        stack.append(Linear(n_in, n_out, init=init))
        if i < len(sizes) - 2:
            if batchnorm:
                stack.append(BatchNorm1d(n_out))
            stack.append(ACTIVATIONS[activation]())
            if dropout is not None:
                stack.append(Dropout(drop=dropout))
    return Sequential(*stack, dtype=dtype, seed=seed)
