r"""How the size of activations and gradients changes with depth, predicted and measured.

A fully connected network of depth :math:`L` maps :math:`h_0 = x` (width :math:`n_0`) through

.. math:: z_\ell = W_\ell h_{\ell-1} + b_\ell, \qquad h_\ell = \phi(z_\ell)
          \qquad (\ell = 1, \dots, L-1), \qquad o = z_L ,

with :math:`W_\ell` of shape :math:`n_\ell\times n_{\ell-1}` (an :func:`~optbook.nn.network.mlp`).
Given :math:`g_L = \partial J/\partial z_L` at the output, backpropagation computes
:math:`\partial J/\partial h_{\ell-1} = W_\ell^\top\,\partial J/\partial z_\ell` and
:math:`\partial J/\partial z_\ell = \partial J/\partial h_\ell\odot\phi'(z_\ell)`.

**Prediction** (:func:`predict`). With the entries of :math:`W_\ell` independent, of mean 0 and
variance :math:`\sigma_\ell^2`, and biases of variance :math:`s_\ell^2`, the mean squares
:math:`q_\ell = \mathbb E[z_{\ell,i}^2]` and :math:`p_\ell = \mathbb E[(\partial J/\partial
h_{\ell,j})^2]` obey

.. math:: q_1 = n_0\sigma_1^2\,m_0 + s_1^2, \qquad
          q_\ell = n_{\ell-1}\sigma_\ell^2\,\mathbb E\bigl[\phi(z)^2\bigr]_{z\sim\mathcal N(0,
          q_{\ell-1})} + s_\ell^2 ,

.. math:: p_{L-1} = n_L\sigma_L^2\,r_L, \qquad
          p_{\ell-1} = n_\ell\sigma_\ell^2\,\mathbb E\bigl[\phi'(z)^2\bigr]_{z\sim\mathcal N(0,
          q_\ell)}\;p_\ell ,

where :math:`m_0` is the mean square of the inputs and :math:`r_L` that of the output gradient.
The forward recursion is exact in expectation over the weights once :math:`z_{\ell-1}` is
Gaussian (the wide-network limit; Poole et al. 2016); the backward one also assumes that the
weights of the backward pass are independent of those of the forward pass (Schoenholz et al.
2017). For ReLU, :math:`\mathbb E[\phi(z)^2] = q/2` and :math:`\mathbb E[\phi'(z)^2] = 1/2`
hold for any symmetric :math:`z`, so each layer multiplies both :math:`q` and :math:`p` by
:math:`n\sigma^2/2`: He et al. (2015) choose :math:`\sigma^2 = 2/n`. For tanh the expectations
are computed by quadrature (:func:`gaussian_mean`); near :math:`z = 0` tanh is the identity and the
factor is :math:`n\sigma^2` (Glorot & Bengio 2010).

**Constant weights** :math:`W_\ell = c` break the independence the prediction rests on: every
unit of a layer computes the same number. :func:`symmetric_propagation` follows that number
exactly, example by example (the symmetry argument).

**Measurement** (:func:`measure`): one forward pass of a batch and one backward pass of a given
output gradient through a network of the toolkit, averaging :math:`z_\ell^2` and
:math:`(\partial J/\partial h_\ell)^2` over the batch and the units of each layer.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import init as initializers
from .layers import Activation, LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from .network import Sequential, mlp
from .threads import one_blas_thread

ACTIVATIONS = ("linear", "relu", "tanh", "sigmoid")
"""The activations :func:`predict` knows (``"linear"``: no activation, :math:`\\phi(z) = z`)."""

GRID_PER_SCALE = 16
r"""Trapezoidal nodes per unit of :math:`\min(\sqrt q, 1)` in :func:`gaussian_mean`."""

class Propagation(NamedTuple):
    """Mean squares per layer, predicted or measured (arrays of length :math:`L`)."""

    forward: np.ndarray
    r"""``forward[l - 1]`` is :math:`q_\ell`, the mean square of the pre-activations of
    layer :math:`\ell = 1, \dots, L` (the last is the output)."""
    backward: np.ndarray
    r"""``backward[l]`` is :math:`p_\ell`, the mean square of the gradient with respect to
    :math:`h_\ell`, the input of linear layer :math:`\ell+1`, for
    :math:`\ell = 0, \dots, L-1` (``backward[0]``: the gradient with respect to the input)."""


def _activation_name(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {name!r}")
    return name


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _phi(name, z):
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return _sigmoid(z)
    return z


def _phi_prime(name, z):
    if name == "relu":
        return (z > 0.0).astype(np.float64)
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if name == "sigmoid":
        s = _sigmoid(z)
        return s * (1.0 - s)
    return np.ones_like(z)


def gaussian_mean(func, q: float) -> float:
    r""":math:`\mathbb E[f(z)]` for :math:`z\sim\mathcal N(0, q)`, by the trapezoidal rule on
    :math:`[-12\sqrt q, 12\sqrt q]` with step :math:`\min(\sqrt q, 1)/16`.

    ``func`` maps an array to an array and should be analytic in a strip around the real axis
    (tanh and the sigmoid are, to :math:`|\operatorname{Im} z| < \pi/2` and :math:`\pi`):
    then the trapezoidal rule's error falls like :math:`e^{-2\pi d/\text{step}}` (Trefethen &
    Weideman 2014), far below rounding here, and the step resolves both the Gaussian's scale
    :math:`\sqrt q` and the activation's scale 1. A kink (ReLU's) converges slowly: use the
    closed forms."""
    q = float(q)
    if not (math.isfinite(q) and q >= 0.0):
        raise ValueError(f"q must be a finite variance >= 0, got {q!r}")
    if q == 0.0:
        return float(func(np.zeros(1))[0])
    sd = math.sqrt(q)
    step = min(sd, 1.0) / GRID_PER_SCALE
    half = math.ceil(12.0 * sd / step)
    z = step * np.arange(-half, half + 1)
    density = np.exp(-0.5 * (z / sd) ** 2) / (sd * math.sqrt(2.0 * math.pi))
    values = func(z) * density
    return float(step * (values.sum() - 0.5 * (values[0] + values[-1])))


def activation_moments(activation: str, q: float) -> tuple[float, float]:
    r""":math:`(\mathbb E[\phi(z)^2], \mathbb E[\phi'(z)^2])` for :math:`z\sim\mathcal N(0, q)`.

    Closed forms for ``"linear"`` :math:`(q, 1)` and ``"relu"`` :math:`(q/2, 1/2)` (half the
    mass of a symmetric distribution is positive; :math:`\phi'(0) = 0` as in the toolkit);
    trapezoidal sums (:func:`gaussian_mean`) for ``"tanh"`` and ``"sigmoid"`` (at
    :math:`q = 0`: :math:`\phi(0)^2` and :math:`\phi'(0)^2`)."""
    name = _activation_name(activation)
    q = float(q)
    if not (math.isfinite(q) and q >= 0.0):
        raise ValueError(f"q must be a finite variance >= 0, got {q!r}")
    if name == "linear":
        return q, 1.0
    if name == "relu":
        return 0.5 * q, (0.5 if q > 0.0 else 0.0)
    return (gaussian_mean(lambda z: _phi(name, z) ** 2, q),
            gaussian_mean(lambda z: _phi_prime(name, z) ** 2, q))


_LIMITS = {"linear": (math.inf, 1.0), "relu": (math.inf, 0.5), "tanh": (1.0, 0.0),
           "sigmoid": (0.5, 0.0)}
r"""The moments of :func:`activation_moments` as :math:`q\to\infty` (an overflowed layer)."""


def _per_layer(name, values, depth, minimum=0.0):
    arr = np.broadcast_to(np.asarray(values, dtype=np.float64), (depth,)).copy() \
        if np.ndim(values) == 0 else np.asarray(values, dtype=np.float64)
    if arr.shape != (depth,):
        raise ValueError(f"{name} must be one number or one per layer ({depth}), got shape "
                         f"{arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < minimum):
        raise ValueError(f"{name} must be finite and >= {minimum}, got {arr}")
    return arr


def _widths(widths):
    sizes = [int(n) for n in widths]
    if len(sizes) < 2 or any(n < 1 for n in sizes) or any(
        not isinstance(w, int | np.integer) or isinstance(w, bool) for w in widths
    ):
        raise ValueError(f"widths must list at least two integers >= 1 (n_0, ..., n_L), got "
                         f"{list(widths)!r}")
    return sizes


def predict(widths, activation: str, weight_variance, bias_variance=0.0, *,
            input_mean_square: float = 1.0, output_grad_mean_square: float = 1.0) -> Propagation:
    r"""The mean-field prediction of the module docstring for layer widths
    ``widths`` :math:`= (n_0, \dots, n_L)`.

    ``weight_variance`` :math:`\sigma_\ell^2` and ``bias_variance`` :math:`s_\ell^2`: one number
    for every layer or one per layer; ``input_mean_square`` :math:`m_0` and
    ``output_grad_mean_square`` :math:`r_L`. Overflow to ``inf`` is a result (an exploding
    network), not an error."""
    sizes = _widths(widths)
    name = _activation_name(activation)
    depth = len(sizes) - 1
    sigma2 = _per_layer("weight_variance", weight_variance, depth)
    s2 = _per_layer("bias_variance", bias_variance, depth)
    m0 = _per_layer("input_mean_square", input_mean_square, 1)[0]
    r_out = _per_layer("output_grad_mean_square", output_grad_mean_square, 1)[0]
    q = np.empty(depth)
    grad_gain = np.empty(depth)  # E[phi'(z_l)^2], l = 1..L (1 for the output layer)
    with np.errstate(over="ignore", invalid="ignore"):
        previous = m0  # mean square of h_0 = x
        for layer in range(depth):
            q[layer] = sizes[layer] * sigma2[layer] * previous + s2[layer]
            if layer < depth - 1:
                if math.isfinite(q[layer]):
                    previous, grad_gain[layer] = activation_moments(name, q[layer])
                else:
                    previous, grad_gain[layer] = _LIMITS[name]
        grad_gain[depth - 1] = 1.0
        p = np.empty(depth)
        r = r_out  # mean square of dJ/dz_l
        for layer in range(depth - 1, -1, -1):
            p[layer] = sizes[layer + 1] * sigma2[layer] * r
            if layer > 0:
                r = p[layer] * grad_gain[layer - 1]
    return Propagation(q, p)


def _bias_variance(init, fan_in, fan_out):
    """The variance of the bias a :class:`~optbook.nn.layers.Linear` draws with ``init``."""
    return initializers.pytorch().variance(fan_in, fan_out) if init.name == "pytorch" else 0.0


def predict_for(widths, activation: str, init, **kwargs) -> Propagation:
    """:func:`predict` for a network whose linear layers are drawn with the initialiser
    ``init`` (or its name), biases as :class:`~optbook.nn.layers.Linear` draws them (PyTorch's
    rule for ``"pytorch"``, zeros otherwise). Constant initialisers other than zero have no
    prediction here (see :func:`symmetric_propagation`)."""
    sizes = _widths(widths)
    initializer = initializers.get(init)
    if initializer.name == "constant" and initializer.parameter != 0.0:
        raise ValueError("constant weights c != 0 are not random: use symmetric_propagation")
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    return predict(sizes, activation,
                   [initializer.variance(a, b) for a, b in pairs],
                   [_bias_variance(initializer, a, b) for a, b in pairs], **kwargs)


def symmetric_propagation(c: float, widths, activation: str, x, d_out) -> Propagation:
    r"""Mean squares of a network whose every weight is ``c`` and every bias 0, computed
    exactly on the batch ``x`` with output gradient ``d_out``.

    All units of a layer then hold one number per example: :math:`u_1 = c\sum_j x_j`,
    :math:`u_\ell = c\,n_{\ell-1}\phi(u_{\ell-1})`; backwards, every unit of :math:`h_{L-1}`
    receives :math:`a_{L-1} = c\sum_i (d_\text{out})_i` and :math:`a_{\ell-1} = c\,n_\ell\,
    \phi'(u_\ell)\,a_\ell`. The mean squares are the batch means of :math:`u_\ell^2` and
    :math:`a_\ell^2`, except at the output and the input: the output :math:`z_L` is the same in
    every unit, and the gradient reaching the input is the same in every input coordinate."""
    sizes = _widths(widths)
    name = _activation_name(activation)
    c = float(c)
    if not math.isfinite(c):
        raise ValueError(f"c must be a finite number, got {c!r}")
    x = np.asarray(x, dtype=np.float64)
    d_out = np.asarray(d_out, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != sizes[0]:
        raise ValueError(f"x must have shape (batch, {sizes[0]}), got {x.shape}")
    if d_out.shape != (x.shape[0], sizes[-1]):
        raise ValueError(f"d_out must have shape ({x.shape[0]}, {sizes[-1]}), got {d_out.shape}")
    depth = len(sizes) - 1
    units = np.empty((depth, x.shape[0]))
    with np.errstate(over="ignore", invalid="ignore"):
        units[0] = c * x.sum(axis=1)
        for layer in range(1, depth):
            units[layer] = c * sizes[layer] * _phi(name, units[layer - 1])
        grads = np.empty((depth, x.shape[0]))
        grads[depth - 1] = c * d_out.sum(axis=1)
        for layer in range(depth - 1, 0, -1):
            grads[layer - 1] = c * sizes[layer] * _phi_prime(name, units[layer - 1]) \
                * grads[layer]
        return Propagation(np.mean(units**2, axis=1), np.mean(grads**2, axis=1))


def _activation_of(layer):
    if isinstance(layer, ReLU) and not isinstance(layer, LeakyReLU):
        return "relu"
    if isinstance(layer, Tanh):
        return "tanh"
    if isinstance(layer, Sigmoid):
        return "sigmoid"
    return None


def network_structure(net: Sequential) -> tuple[list, str]:
    """``(widths, activation)`` of a network of :class:`~optbook.nn.layers.Linear` layers with
    one activation between each two (ReLU, tanh or sigmoid, the same throughout), as
    :func:`~optbook.nn.network.mlp` builds it; ``ValueError`` for any other network."""
    if not isinstance(net, Sequential):
        raise ValueError(f"net must be an optbook.nn Sequential, got {type(net).__name__}")
    layers = net.layers
    linears = layers[0::2]
    activations = layers[1::2]
    names = {_activation_of(a) for a in activations}
    if (len(layers) % 2 != 1 or not all(isinstance(la, Linear) for la in linears)
            or not all(isinstance(a, Activation) for a in activations)
            or None in names or len(names) > 1):
        raise ValueError("net must alternate Linear layers and one kind of activation (ReLU, "
                         "Tanh or Sigmoid), starting and ending with a Linear layer, like "
                         "nn.mlp(...) without dropout or batch norm")
    widths = [linears[0].n_in] + [la.n_out for la in linears]
    return widths, names.pop() if names else "linear"


@one_blas_thread
def measure(net: Sequential, x, d_out) -> Propagation:
    r"""The mean squares of a network's pre-activations and input gradients on one batch.

    ``net``: linear layers and activations alternating (:func:`network_structure`); ``x``:
    inputs ``(B, n_0)``; ``d_out``: :math:`\partial J/\partial o` ``(B, n_L)``. One forward and
    one backward pass (:meth:`~optbook.nn.network.Sequential.trace`); ``forward[l-1]`` is the
    mean of :math:`z_\ell^2` over the batch and the units, ``backward[l]`` that of
    :math:`(\partial J/\partial h_\ell)^2`. The network's gradient vector is overwritten."""
    network_structure(net)
    trace = net.trace(x, d_out)
    forward = np.array([np.mean(np.square(z, dtype=np.float64)) for z in trace.outputs[0::2]])
    backward = np.array([np.mean(np.square(g, dtype=np.float64))
                         for g in trace.input_grads[0::2]])
    return Propagation(forward, backward)


class Profiles(NamedTuple):
    """:func:`depth_profiles`' result: measured and predicted mean squares by depth."""

    measured: dict
    """Depth to the :class:`Propagation` measured in the network of that depth."""
    predicted: dict
    """Depth to the :class:`Propagation` that :func:`predict` gives for it."""
    weights: list
    """The unit-variance draws :math:`G_\\ell` (``width`` by ``width``), shared by all depths."""
    x: np.ndarray
    d_out: np.ndarray


@one_blas_thread
def depth_profiles(activation: str, width: int, scale: float, depths, *, batch: int = 64,
                   seed=0) -> Profiles:
    r"""Mean squares through networks of several depths that share their first layers.

    Square layers of ``width`` units, no biases, weights :math:`W_\ell = \sigma G_\ell` with
    :math:`n\sigma^2 = ` ``scale`` and :math:`G_\ell` of independent standard normal entries;
    a network of depth :math:`d` uses :math:`G_1, \dots, G_d`. From
    ``numpy.random.default_rng(seed)`` come, in this order, the batch :math:`x` (``batch`` by
    ``width``), the output gradient :math:`\partial J/\partial o` and :math:`G_1, G_2, \dots`;
    so a change of ``scale`` or of the depths asked for changes nothing else, as a reader
    moving one slider expects.

    One forward pass through the deepest network gives every depth's forward mean squares
    (the first :math:`d` layers are the network of depth :math:`d`), and one backward pass per
    depth starts at its own output. The result equals :func:`measure` on the toolkit's
    network with these weights (the tests check it); the predictions are :func:`predict`'s."""
    name = _activation_name(activation)
    if name == "linear":
        raise ValueError("activation must be 'relu', 'tanh' or 'sigmoid', got 'linear'")
    depths = sorted({int(d) for d in depths})
    if not depths or depths[0] < 1:
        raise ValueError(f"depths must be integers >= 1, got {depths!r}")
    if isinstance(width, bool) or not isinstance(width, int | np.integer) or width < 1:
        raise ValueError(f"width must be an integer >= 1, got {width!r}")
    scale = float(scale)
    if not (math.isfinite(scale) and scale > 0.0):
        raise ValueError(f"scale must be a finite number > 0 (n sigma^2), got {scale!r}")
    deepest = depths[-1]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, width))
    d_out = rng.standard_normal((batch, width))
    weights = [rng.standard_normal((width, width)) for _ in range(deepest)]
    sigma = math.sqrt(scale / width)
    scaled = [sigma * g for g in weights]
    slopes = []
    forward = np.empty(deepest)
    h = x
    with np.errstate(over="ignore", invalid="ignore"):
        for layer, w in enumerate(scaled):
            z = h @ w.T
            forward[layer] = np.mean(z * z)
            if layer < deepest - 1:
                h = _phi(name, z)
                slopes.append(_phi_prime(name, z))
        measured, predicted = {}, {}
        for depth in depths:
            backward = np.empty(depth)
            grad = d_out  # dJ/dz at the output of this depth's network
            for layer in range(depth - 1, -1, -1):
                grad_h = grad @ scaled[layer]          # dJ/dh_layer
                backward[layer] = np.mean(grad_h * grad_h)
                if layer > 0:
                    grad = grad_h * slopes[layer - 1]
            measured[depth] = Propagation(forward[:depth].copy(), backward)
            predicted[depth] = predict([width] * (depth + 1), name, sigma * sigma)
    return Profiles(measured, predicted, weights, x, d_out)


def deep_network(depth: int, width: int, activation: str, init, *, n_in: int | None = None,
                 seed=0) -> Sequential:
    """A network of ``depth`` linear layers of ``width`` units (inputs ``n_in``, default
    ``width``) with ``activation`` (``"relu"``, ``"tanh"``, ``"sigmoid"``) between them,
    weights drawn with ``init`` from ``seed``: :func:`~optbook.nn.network.mlp` for this module's
    experiments. Layers are drawn in order, so the first ``k`` linear layers of two such
    networks with the same seed and widths are the same."""
    if isinstance(depth, bool) or not isinstance(depth, int | np.integer) or depth < 1:
        raise ValueError(f"depth must be an integer >= 1, got {depth!r}")
    if isinstance(width, bool) or not isinstance(width, int | np.integer) or width < 1:
        raise ValueError(f"width must be an integer >= 1, got {width!r}")
    if activation not in ("relu", "tanh", "sigmoid"):
        raise ValueError(f"activation must be 'relu', 'tanh' or 'sigmoid', got {activation!r}")
    n_in = width if n_in is None else n_in
    return mlp([n_in] + [width] * depth, activation, init=init, seed=seed)
