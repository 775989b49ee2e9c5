r"""Gradient check: the backward pass against central differences of the loss.

For each checked parameter :math:`\theta_i`,

.. math:: \tilde g_i = \frac{J(\theta + h e_i) - J(\theta - h e_i)}{2h},\qquad
          \text{relative error}_i = \frac{|g_i - \tilde g_i|}{\max(|g_i|, |\tilde g_i|)}

(0 where both vanish), as CS231n's notes define it. Their rule of thumb for float64: above
:math:`10^{-2}` the gradient is probably wrong, below :math:`10^{-7}` it is right, with kinks
(ReLU, max) allowed up to about :math:`10^{-4}`. The central difference errs by
:math:`O(h^2)` from the third derivative plus about :math:`\epsilon_\text{mach}|J|/h` from
rounding; :math:`h = 10^{-5}` balances them in float64 (a float32 network cannot reach
:math:`10^{-7}`: check in float64).

Every evaluation of :math:`J` sees the same dropout masks and starts from the same batch-norm
running statistics; the network's state is restored afterwards.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .network import Sequential, _check_l2
from .threads import one_blas_thread


class GradientCheck(NamedTuple):
    """The result of :func:`gradient_check`, entries in the order of ``indices``."""

    max_relative_error: float
    relative_errors: np.ndarray
    indices: np.ndarray
    """Positions in the flat parameter vector that were checked."""
    analytic: np.ndarray
    numeric: np.ndarray


def relative_error(analytic, numeric) -> np.ndarray:
    r""":math:`|a - n|/\max(|a|, |n|)` element-wise, 0 where both are 0 (CS231n)."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    scale = np.maximum(np.abs(a), np.abs(n))
    diff = np.abs(a - n)
    return np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0.0)


@one_blas_thread
def gradient_check(net: Sequential, loss, x, targets, *, l2: float = 0.0,
                   training: bool = True, h: float = 1e-5, entries: int | None = None,
                   seed=0) -> GradientCheck:
    """Compare ``net``'s gradient of the batch loss (plus ``l2`` penalty) with central
    differences of step ``h``.

    ``entries``: check that many parameters, drawn without replacement with ``seed``
    (``None``: all of them). ``training`` selects the mode of the passes (dropout masks are
    drawn from ``seed`` afresh for every evaluation, so all see the same masks). The
    parameters, gradients, running statistics and dropout generators are left as they were.
    """
    if not isinstance(net, Sequential):
        raise ValueError(f"net must be an optbook.nn Sequential, got {type(net).__name__}")
    x, targets, loss = net.check_data(x, targets, loss)
    l2 = _check_l2(l2)
    try:
        h = float(h)
    except (TypeError, ValueError):
        raise ValueError(f"h must be a real number > 0, got {h!r}") from None
    if not (math.isfinite(h) and h > 0.0):
        raise ValueError(f"h must be a finite number > 0, got {h!r}")
    if entries is None:
        indices = np.arange(net.size)
    else:
        if isinstance(entries, bool) or not isinstance(entries, int | np.integer) or not (
            1 <= entries <= net.size
        ):
            raise ValueError(f"entries must be None or an integer in [1, {net.size}], "
                             f"got {entries!r}")
        indices = np.sort(np.random.default_rng(seed).choice(net.size, entries, replace=False))

    saved_state = net.state()
    saved_params = net.params.copy()
    saved_grads = net.grads.copy()

    def evaluate():
        net.load_state(saved_state)
        net.reseed_dropout(seed)
        value = loss(net.forward_unchecked(x, training), targets)[0]
        return value + net.penalty(l2)

    try:
        net.load_state(saved_state)
        net.reseed_dropout(seed)
        net.loss_and_grad_unchecked(x, targets, loss, l2, training)
        analytic = net.grads[indices].astype(np.float64)
        numeric = np.empty(indices.size)
        for k, i in enumerate(indices):
            original = net.params[i]
            net.params[i] = original + h
            plus = evaluate()
            net.params[i] = original - h
            minus = evaluate()
            net.params[i] = original
            numeric[k] = (plus - minus) / (2.0 * h)
    finally:
        net.params[...] = saved_params
        net.grads[...] = saved_grads
        net.load_state(saved_state)
    errors = relative_error(analytic, numeric)
    return GradientCheck(float(errors.max()), errors, indices, analytic, numeric)
