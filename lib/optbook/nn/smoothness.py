r"""The measurements of Santurkar, Tsipras, Ilyas & Mądry (2018), *How does batch
normalization help optimization?*, on a network of :mod:`optbook.nn`.

At parameters :math:`\theta` with mini-batch loss :math:`J` and gradient :math:`g =
\nabla J(\theta)`, move along the gradient by step sizes :math:`s_1, \dots, s_k` and record

* the *loss landscape*: :math:`J(\theta - s_j g)`, whose spread
  :math:`\max_j J - \min_j J` says how much the loss varies along the step;
* the *gradient predictiveness*: :math:`\|\nabla J(\theta - s_j g) - g\|`, how far the gradient
  at the new point is from the one that chose the direction;
* the *effective* :math:`\beta`-*smoothness*: :math:`\max_j \|\nabla J(\theta - s_j g) - g\|
  / \|s_j g\|`, a local estimate of the Lipschitz constant of the gradient along the step
  (for a quadratic with Hessian :math:`H` it is :math:`\|Hg\|/\|g\|` at every step size).

Their internal covariate shift (their Definition 2.1) of layer :math:`i` compares the gradient
of that layer's weights before and after the layers *below* it take their step:
:math:`G = \nabla_{W_i} J(W_1^t, \dots, W_k^t)` and :math:`G' = \nabla_{W_i}
J(W_1^{t+1}, \dots, W_{i-1}^{t+1}, W_i^t, \dots, W_k^t)`, reported as
:math:`\|G - G'\|` and the cosine of their angle (:func:`covariate_shift`).

:func:`unit_moments` shows the distribution a layer passes on, per unit, so that its shift from
step to step (the covariate shift of the story) can be watched.

All evaluations see the same mini-batch, in training mode by default (batch norm normalises
with the batch's statistics, as in the step being measured), and the same random draws: the
running statistics and every layer's generator (dropout, :class:`~optbook.nn.noise.ShiftScaleNoise`)
are put back before each one, and the network is left as it was found.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .network import Sequential


class AlongGradient(NamedTuple):
    """What :func:`along_gradient` measured, one entry per step size."""

    step_sizes: np.ndarray
    loss: np.ndarray
    """:math:`J(\\theta - s_j d)`."""
    gradient_change: np.ndarray
    """:math:`\\|\\nabla J(\\theta - s_j d) - \\nabla J(\\theta)\\|`."""
    beta: float
    """:math:`\\max_j \\|\\nabla J(\\theta - s_j d) - \\nabla J(\\theta)\\| / \\|s_j d\\|`."""
    loss_at_start: float


class CovariateShift(NamedTuple):
    """Santurkar et al.'s internal covariate shift of one layer at one step."""

    distance: float
    """:math:`\\|G - G'\\|`."""
    cosine: float
    """:math:`\\langle G, G'\\rangle / (\\|G\\|\\|G'\\|)`."""
    grad_norm: float
    """:math:`\\|G\\|`, the scale to read the distance against."""


class Frozen:
    """Context manager keeping the network's parameters, gradients, running statistics and
    random generators: :meth:`reset` puts the statistics and generators back before each
    evaluation, and the end of the ``with`` block puts everything back."""

    def __init__(self, net):
        self.net = net

    def __enter__(self):
        net = self.net
        self.params = net.params.copy()
        self.grads = net.grads.copy()
        self.state = net.state()
        self.generators = [(la, la.rng.bit_generator.state) for la in net.layers
                           if hasattr(la, "rng")]
        return self

    def reset(self):
        """Put back the running statistics and the layers' random generators."""
        self.net.load_state(self.state)
        for layer, state in self.generators:
            layer.rng.bit_generator.state = state

    def __exit__(self, *exc):
        self.net.params[...] = self.params
        self.net.grads[...] = self.grads
        self.reset()
        return False


def _gradient(net, frozen, x, targets, loss, training):
    frozen.reset()
    value, _, _ = net.loss_and_grad_unchecked(x, targets, loss, 0.0, training)
    return value, net.grads.astype(np.float64)


def along_gradient(net: Sequential, loss, x, targets, step_sizes, *, direction=None,
                   training: bool = True) -> AlongGradient:
    r"""Santurkar et al.'s three measurements at the network's parameters, on the batch
    ``(x, targets)``, along ``direction`` (default: the batch gradient :math:`g`), for each
    step size in ``step_sizes`` (numbers > 0)."""
    if not isinstance(net, Sequential):
        raise ValueError(f"net must be an optbook.nn Sequential, got {type(net).__name__}")
    x, targets, loss = net.check_data(x, targets, loss)
    sizes = np.asarray(step_sizes, dtype=np.float64)
    if sizes.ndim != 1 or sizes.size == 0 or not np.all(np.isfinite(sizes)) or np.any(
        sizes <= 0.0
    ):
        raise ValueError("step_sizes must be a non-empty 1-D array of finite numbers > 0")
    with Frozen(net) as frozen:
        start, g0 = _gradient(net, frozen, x, targets, loss, training)
        d = g0 if direction is None else np.asarray(direction, dtype=np.float64)
        if d.shape != (net.size,) or not np.all(np.isfinite(d)):
            raise ValueError(f"direction must be {net.size} finite numbers, like the "
                             "parameters")
        norm_d = float(np.linalg.norm(d))
        losses = np.empty(sizes.size)
        changes = np.empty(sizes.size)
        for j, s in enumerate(sizes):
            net.params[...] = frozen.params - s * d
            losses[j], g = _gradient(net, frozen, x, targets, loss, training)
            changes[j] = np.linalg.norm(g - g0)
    beta = float(np.max(changes / (sizes * norm_d))) if norm_d > 0.0 else 0.0
    return AlongGradient(sizes, losses, changes, beta, start)


def covariate_shift(net: Sequential, loss, x, targets, update, layer, *,
                    training: bool = True) -> CovariateShift:
    r""":math:`G` and :math:`G'` of Santurkar et al.'s Definition 2.1 for the weights of the
    linear layer ``layer`` (its name, e.g. ``"linear4"``): :math:`G'` is the gradient after the
    parameters of every layer before it move by their part of ``update`` (the step
    :math:`\theta_{t+1} - \theta_t`), the rest staying at :math:`\theta_t`."""
    if not isinstance(net, Sequential):
        raise ValueError(f"net must be an optbook.nn Sequential, got {type(net).__name__}")
    x, targets, loss = net.check_data(x, targets, loss)
    if layer not in net.names or net.layers[net.names.index(layer)].kind != "linear":
        linears = ", ".join(n for n, la in zip(net.names, net.layers, strict=True)
                            if la.kind == "linear")
        raise ValueError(f"layer must name a linear layer of the network ({linears}), "
                         f"got {layer!r}")
    update = np.asarray(update, dtype=np.float64)
    if update.shape != (net.size,) or not np.all(np.isfinite(update)):
        raise ValueError(f"update must be {net.size} finite numbers, like the parameters")
    block = net.slices[layer]
    lin = net.layers[net.names.index(layer)]
    weights = slice(block.start, block.start + lin.n_out * lin.n_in)
    with Frozen(net) as frozen:
        _, g = _gradient(net, frozen, x, targets, loss, training)
        before = g[weights].copy()
        moved = frozen.params.copy()
        moved[:block.start] += update[:block.start]
        net.params[...] = moved
        _, g = _gradient(net, frozen, x, targets, loss, training)
        after = g[weights]
    norms = float(np.linalg.norm(before) * np.linalg.norm(after))
    cosine = float(before @ after) / norms if norms > 0.0 else 1.0
    return CovariateShift(float(np.linalg.norm(before - after)), cosine,
                          float(np.linalg.norm(before)))


def unit_moments(net: Sequential, x, layer, *, training: bool = True):
    """``(means, stds)``: the mean and standard deviation over the batch ``x`` of each unit of
    the output of ``layer`` (its name, e.g. ``"noise2"``), in training mode by default (a
    linear layer whose bias the activation after it adds is seen without that bias). The
    running statistics and random generators are left as they were."""
    if not isinstance(net, Sequential):
        raise ValueError(f"net must be an optbook.nn Sequential, got {type(net).__name__}")
    if layer not in net.names:
        raise ValueError(f"layer must name a layer of the network ({', '.join(net.names)}), "
                         f"got {layer!r}")
    x = net.check_inputs(x)
    with Frozen(net):
        h = x
        for current in net.layers[: net.names.index(layer) + 1]:
            h = current.forward(h, training)
        out = h.astype(np.float64)
        return out.mean(axis=0), out.std(axis=0)
