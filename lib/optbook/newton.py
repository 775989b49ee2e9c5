r"""Newton's method: the pure step, damped Newton, and how fast the error falls.

Pure Newton (EE 628 Lecture 5; Nocedal and Wright 2006, section 3.3) minimises the local
quadratic model :math:`f(x) + \epsilon^\top g + \tfrac12\epsilon^\top H\epsilon` at every step:

.. math:: x_{t+1} = x_t - H(x_t)^{-1}\nabla f(x_t).

On a quadratic it lands on the minimiser in one step. Near a minimiser with positive definite
Hessian it converges quadratically: in one dimension
:math:`e_{t+1}/e_t^2 \to f'''(x^*)/(2f''(x^*))` (:func:`quadratic_convergence_constant`).
Far from one it can diverge even on a convex function, and where :math:`H` is not positive
definite it heads for maxima and saddles as readily as for minima.

Damped Newton (Boyd and Vandenberghe 2004, Algorithm 9.5) keeps the Newton direction
:math:`d_t = -H^{-1}\nabla f` but takes :math:`x_{t+1} = x_t + \alpha_t d_t` with
:math:`\alpha_t` from a backtracking line search that starts at 1
(:func:`optbook.linesearch.backtracking`): the cost decreases at every step, and near the
minimiser the full step is accepted, so the fast local convergence survives. Where :math:`H` is
not positive definite the Newton direction need not point downhill; there this implementation
searches along :math:`-\nabla f` instead (the simplest of the Hessian modifications of Nocedal
and Wright 2006, section 3.4) and records that it did.

Objectives are duck-typed, as in :mod:`optbook.linesearch`: a
:class:`~optbook.landscapes.Landscape` or a :class:`~optbook.curves.Curve`. The code is plain
NumPy (a linear solve per step).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from optbook import linesearch


class NewtonRun(NamedTuple):
    """A run of (pure or damped) Newton's method."""

    positions: np.ndarray
    """``(k+1, dim)`` iterates that stayed finite and within ``bound``."""
    values: np.ndarray
    """``(k+1,)`` :math:`f(x_t)`."""
    grad_norms: np.ndarray
    """``(k+1,)`` :math:`\\|\\nabla f(x_t)\\|`."""
    step_sizes: np.ndarray
    """``(k,)`` :math:`\\alpha_t` (always 1 for pure Newton)."""
    gradient_steps: np.ndarray
    """``(k,)`` bool: the damped method searched along :math:`-\\nabla f` (Hessian not
    positive definite) instead of the Newton direction."""
    diverged_at: int | None
    """Index of the first iterate that was non-finite or beyond ``bound``, else ``None``."""
    steps_run: int
    """:math:`k`; fewer than asked when the run stopped early (see :func:`newton`)."""


def _point(objective, x):
    x = np.array(x, dtype=np.float64).reshape(-1)
    dim = getattr(objective, "dim", x.size)
    if x.size != dim or not np.all(np.isfinite(x)):
        raise ValueError(f"x must be {dim} finite numbers, got {x}")
    return x


def newton_direction(objective, x) -> np.ndarray:
    r"""The Newton direction :math:`-H(x)^{-1}\nabla f(x)`; ``ValueError`` if :math:`H(x)` is
    singular."""
    x = _point(objective, x)
    try:
        return -np.linalg.solve(objective.hessian(x), objective.grad(x))
    except np.linalg.LinAlgError:
        raise ValueError(f"the Hessian at x = {x} is singular: no Newton step") from None


def newton_step(objective, x) -> np.ndarray:
    r"""One pure Newton step :math:`x - H(x)^{-1}\nabla f(x)`."""
    x = _point(objective, x)
    return x + newton_direction(objective, x)


def _positive_definite(h):
    try:
        np.linalg.cholesky(h)
    except np.linalg.LinAlgError:
        return False
    return True


def newton(objective, x0, steps, *, damped=False, shrink=0.5, c=1e-4, bound=1e6) -> NewtonRun:
    r"""Run pure (``damped=False``) or damped Newton for ``steps`` steps from ``x0``.

    Damped: the step :math:`\alpha_t` comes from backtracking from 1 with ``shrink`` and ``c``
    along the Newton direction, or along :math:`-\nabla f` where :math:`H` is not positive
    definite or the Newton direction does not descend. The run stops at the first iterate that
    is non-finite or has a coordinate beyond ``bound`` (``diverged_at``: divergence is a
    result), after an iterate whose gradient is exactly zero (a stationary point, where every
    further step would stand still), and, damped, when no trial step lowers the cost (rounding
    has the last word there).
    """
    x = _point(objective, x0)
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    bound = float(bound)
    if not bound > 0:
        raise ValueError(f"bound must be > 0, got {bound}")
    positions, values, norms, sizes, fallbacks = [x.copy()], [objective.value(x)], [], [], []
    g = objective.grad(x)
    norms.append(float(np.linalg.norm(g)))
    diverged_at = None
    for t in range(1, int(steps) + 1):
        if not np.any(g):
            break
        if not damped:
            alpha, fallback = 1.0, False
            x = x + newton_direction(objective, x)
        else:
            fallback = not _positive_definite(objective.hessian(x))
            d = -g if fallback else newton_direction(objective, x)
            if not fallback and not g @ d < 0:
                fallback, d = True, -g
            search = linesearch.backtracking(objective, x, d, lr0=1.0, shrink=shrink, c=c)
            if not search.accepted:
                break
            alpha = search.lr
            x = x + alpha * d
        value = objective.value(x) if np.all(np.isfinite(x)) else math.nan
        if not (np.all(np.abs(x) <= bound) and math.isfinite(value)):
            diverged_at = t
            break
        g = objective.grad(x)
        positions.append(x.copy())
        values.append(value)
        norms.append(float(np.linalg.norm(g)))
        sizes.append(alpha)
        fallbacks.append(fallback)
    return NewtonRun(
        np.array(positions), np.array(values), np.array(norms), np.array(sizes),
        np.array(fallbacks, dtype=bool), diverged_at, len(sizes),
    )


def quadratic_convergence_constant(curve, x_star=None) -> float:
    r"""The limit of :math:`e_{t+1}/e_t^2` for pure Newton near a minimiser of a curve,
    :math:`C = f'''(x^*)/(2f''(x^*))` (signed: the sign says on which side the next iterate
    falls). Derivation: with :math:`x_t = x^* + e_t`, :math:`f'(x_t) = f''e_t + \tfrac12
    f'''e_t^2 + O(e_t^3)` and :math:`f''(x_t) = f'' + f'''e_t + O(e_t^2)`, so
    :math:`e_{t+1} = e_t - f'(x_t)/f''(x_t) = \tfrac12 (f'''/f'')\,e_t^2 + O(e_t^3)`.
    ``x_star`` defaults to the curve's first minimiser."""
    x_star = curve.minimizers[0] if x_star is None else float(x_star)
    curvature = float(curve.hessian(x_star)[0, 0])
    if not curvature > 0:
        raise ValueError(f"f'' must be > 0 at x_star = {x_star}, got {curvature}")
    return curve.third(x_star) / (2.0 * curvature)


def convergence_orders(errors) -> np.ndarray:
    r"""Measured orders of convergence :math:`q_t = \ln(e_{t+1}/e_t)/\ln(e_t/e_{t-1})` of a
    sequence of positive errors (1 for linear, 2 for quadratic convergence), one per interior
    point; entries where an error is zero or two errors are equal are NaN."""
    e = np.asarray(errors, dtype=np.float64).reshape(-1)
    if e.size < 3 or np.any(~np.isfinite(e)) or np.any(e < 0):
        raise ValueError(f"errors must be at least 3 finite numbers >= 0, got {errors!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(e)
        q = (logs[2:] - logs[1:-1]) / (logs[1:-1] - logs[:-2])
    return np.where(np.isfinite(q), q, np.nan)
