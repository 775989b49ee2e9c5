r"""Checks of what batch normalisation does to a network: its gradient with respect to the
inputs against finite differences, the scale invariance of the weights before it, and the
shape of a normalised batch.

* :func:`input_gradient_check`: :math:`\partial J/\partial x` from the backward pass against
  central differences :math:`(J(x + h e_{ij}) - J(x - h e_{ij}))/2h`, every entry. For a
  batch-norm layer in training mode every output depends on every example of the batch, so
  this is where treating the batch statistics as constants shows.
* :func:`scale_invariance`: with :math:`W` the weights of a linear layer followed by batch
  norm, :math:`J(cW) = J(W)` for :math:`c > 0` (up to :math:`\varepsilon`); differentiating,
  :math:`c\,\nabla J(cW) = \nabla J(W)` and, from :math:`\frac{d}{dc}J(cW)|_{c=1} = 0`,
  :math:`\langle \nabla J(W), W\rangle = 0`.
* :func:`standardized_moments`: mean, variance, skewness and excess kurtosis of a sample. An
  affine map :math:`a x + b` with :math:`a > 0` leaves skewness and kurtosis unchanged, so a
  normalised batch keeps the shape it had: mean 0 and variance 1 do not make it Gaussian.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .gradcheck import GradientCheck, relative_error
from .network import Sequential
from .threads import one_blas_thread


def _check_net(net):
    if not isinstance(net, Sequential):
        raise ValueError(f"net must be an optbook.nn Sequential, got {type(net).__name__}")


@one_blas_thread
def input_gradient_check(net: Sequential, loss, x, targets, *, training: bool = True,
                         h: float = 1e-5) -> GradientCheck:
    r"""Compare :math:`\partial J/\partial x` of the backward pass with central differences of
    step ``h``, for every entry of the batch ``x`` (flattened row by row in the result's
    ``indices``). The running statistics are put back before each evaluation and at the end,
    and the parameters are left unchanged."""
    _check_net(net)
    x, targets, loss = net.check_data(x, targets, loss)
    h = float(h)
    if not (np.isfinite(h) and h > 0.0):
        raise ValueError(f"h must be a finite number > 0, got {h!r}")
    saved = net.state()
    grads = net.grads.copy()
    try:
        out = net.forward_unchecked(x, training)
        _, _, d_out = loss(out, targets)
        analytic = net.backward(d_out, input_grad=True).astype(np.float64).ravel().copy()
        probe = x.copy()
        flat = probe.reshape(-1)
        numeric = np.empty(flat.size)
        for i in range(flat.size):
            keep = flat[i]
            values = []
            for sign in (1.0, -1.0):
                flat[i] = keep + sign * h
                net.load_state(saved)
                values.append(loss(net.forward_unchecked(probe, training), targets)[0])
            flat[i] = keep
            numeric[i] = (values[0] - values[1]) / (2.0 * h)
    finally:
        net.load_state(saved)
        net.grads[...] = grads
    errors = relative_error(analytic, numeric)
    return GradientCheck(float(errors.max()), errors, np.arange(flat.size), analytic, numeric)


class ScaleCheck(NamedTuple):
    """:func:`scale_invariance`'s measurements at :math:`W` and :math:`cW`."""

    loss: float
    loss_scaled: float
    grad_norm: float
    """:math:`\\|\\nabla_W J(W)\\|`."""
    grad_norm_scaled: float
    """:math:`\\|\\nabla_W J(cW)\\|`, which scale invariance makes
    :math:`\\|\\nabla_W J(W)\\|/c`."""
    cosine: float
    """:math:`\\langle\\nabla_W J(W), W\\rangle/(\\|\\nabla_W J(W)\\|\\|W\\|)`, 0 for an invariant
    :math:`W`."""


@one_blas_thread
def scale_invariance(net: Sequential, loss, x, targets, block: slice, factor: float, *,
                     training: bool = True) -> ScaleCheck:
    r"""The loss and the gradient of the parameter block ``block`` (a slice of ``net.params``,
    e.g. one of ``net.weight_slices``) at the current parameters and with that block
    multiplied by ``factor`` :math:`c > 0`. The network is left as it was."""
    _check_net(net)
    x, targets, loss = net.check_data(x, targets, loss)
    factor = float(factor)
    if not (np.isfinite(factor) and factor > 0.0):
        raise ValueError(f"factor must be a finite number > 0, got {factor!r}")
    if not isinstance(block, slice):
        raise ValueError(f"block must be a slice of the parameters, got {block!r}")
    saved, params, grads = net.state(), net.params.copy(), net.grads.copy()
    try:
        value, _, _ = net.loss_and_grad_unchecked(x, targets, loss, 0.0, training)
        g = net.grads[block].astype(np.float64)
        net.load_state(saved)
        net.params[block] *= factor
        scaled, _, _ = net.loss_and_grad_unchecked(x, targets, loss, 0.0, training)
        g_scaled = net.grads[block].astype(np.float64)
    finally:
        net.params[...] = params
        net.grads[...] = grads
        net.load_state(saved)
    w = params[block].astype(np.float64)
    norms = float(np.linalg.norm(g) * np.linalg.norm(w))
    cosine = float(g @ w) / norms if norms > 0.0 else 0.0
    return ScaleCheck(value, scaled, float(np.linalg.norm(g)), float(np.linalg.norm(g_scaled)),
                      cosine)


class Moments(NamedTuple):
    """Standardised moments of a sample."""

    mean: float
    variance: float
    """The biased variance :math:`\\frac1n\\sum (x_i - \\bar x)^2`."""
    skewness: float
    """:math:`\\frac1n\\sum z_i^3` with :math:`z_i = (x_i - \\bar x)/\\sqrt{\\text{variance}}`;
    0 for a symmetric distribution."""
    excess_kurtosis: float
    """:math:`\\frac1n\\sum z_i^4 - 3`; 0 for a Gaussian."""


def standardized_moments(values) -> Moments:
    """Mean, biased variance, skewness and excess kurtosis of a 1-D sample of at least two
    distinct finite values."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size < 2 or not np.all(np.isfinite(v)):
        raise ValueError("values must be a 1-D array of at least 2 finite numbers")
    mean = float(v.mean())
    variance = float(np.mean((v - mean) ** 2))
    if variance == 0.0:
        raise ValueError("values must not all be equal (the variance is 0)")
    z = (v - mean) / np.sqrt(variance)
    return Moments(mean, variance, float(np.mean(z**3)), float(np.mean(z**4) - 3.0))
