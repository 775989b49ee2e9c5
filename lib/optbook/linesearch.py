r"""Line searches: how far to go along a descent direction, chosen at every step.

Backtracking (Armijo 1966). From a trial step :math:`\eta_0`, shrink :math:`\eta \leftarrow
\beta\eta` until the sufficient-decrease condition holds,

.. math:: f(x + \eta d) \le f(x) + c\,\eta\,\nabla f(x)^\top d, \qquad 0 < c < 1,\ 0 < \beta < 1,

for a descent direction :math:`d` (:math:`\nabla f(x)^\top d < 0`; Nocedal and Wright 2006,
Algorithm 3.1). Along :math:`d = -\nabla f` on a function whose gradient is
:math:`L`-Lipschitz, every :math:`\eta \le 2(1-c)/L` satisfies the condition, so the accepted
step is at least :math:`\min(\eta_0, 2\beta(1-c)/L)` (:func:`armijo_step_floor`).

Exact line search on a quadratic. On :math:`f(x) = \tfrac12(x-x^*)^\top A(x-x^*)` the cost along
:math:`-g` is a parabola in :math:`\eta`, minimised at :math:`\eta = g^\top g/g^\top A g`
(:func:`exact_quadratic_step`). Steepest descent with this step (Cauchy 1847) satisfies

.. math:: f(x_{t+1}) - f^* \le \Big(\frac{\kappa-1}{\kappa+1}\Big)^2 \big(f(x_t) - f^*\big),

by the Kantorovich inequality (Kantorovich 1948; Nocedal and Wright 2006, Theorem 3.3), with
equality at every step from the starts of :func:`kantorovich_worst_start`
(:func:`kantorovich_rate`).

Objectives are duck-typed: anything with ``value(x)``, ``grad(x)`` and ``hessian(x)`` on 1-D
float arrays, such as a :class:`~optbook.landscapes.Landscape` or a
:class:`~optbook.curves.Curve`. The searches are plain Python: each step costs a handful of
function evaluations, and the runs that use them are short.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from optbook import checks, landscapes


class Backtracking(NamedTuple):
    """The outcome of one backtracking search."""

    lr: float
    """The step :math:`\\eta` returned (the accepted one, or the last tried)."""
    evaluations: int
    """Function evaluations used, the accepted trial included (:math:`f(x)` not counted)."""
    accepted: bool
    """Whether ``lr`` satisfies the sufficient-decrease condition."""


class LineSearchRun(NamedTuple):
    """A run of steepest descent with a line search."""

    positions: np.ndarray
    """``(k+1, dim)`` iterates :math:`x_0 .. x_k`."""
    values: np.ndarray
    """``(k+1,)`` :math:`f(x_t)`."""
    grad_norms: np.ndarray
    """``(k+1,)`` :math:`\\|\\nabla f(x_t)\\|`."""
    step_sizes: np.ndarray
    """``(k,)`` the step :math:`\\eta_t` taken from :math:`x_t`."""
    evaluations: np.ndarray
    """``(k,)`` function evaluations spent choosing :math:`\\eta_t` (0 for the exact step)."""
    steps_run: int
    """:math:`k`: fewer than asked when the gradient vanished (to ``tol``) first."""


def _finite_vector(name, value, dim=None):
    a = np.array(value, dtype=np.float64).reshape(-1)
    if a.size == 0 or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be a non-empty vector of finite numbers, got {value!r}")
    if dim is not None and a.size != dim:
        raise ValueError(f"{name} must have {dim} entries, got {a.size}")
    return a


def _in_open_unit(name, value):
    value = float(value)
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {value}")
    return value


def _positive(name, value):
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {value}")
    return value



def backtracking(objective, x, direction, *, lr0=1.0, shrink=0.5, c=1e-4,
                 max_evaluations=100) -> Backtracking:
    r"""Backtracking line search with the Armijo condition (see the module docstring).

    Tries :math:`\eta_0, \beta\eta_0, \beta^2\eta_0, \dots` and returns the first that gives
    :math:`f(x+\eta d) \le f(x) + c\,\eta\,\nabla f(x)^\top d`; a non-finite trial value counts
    as a failed trial. ``direction`` must be a descent direction, else ``ValueError``. If no
    trial passes within ``max_evaluations`` (only rounding can cause this for a descent
    direction), the last trial is returned with ``accepted=False``.
    """
    x = _finite_vector("x", x)
    d = _finite_vector("direction", direction, x.size)
    lr = _positive("lr0", lr0)
    shrink = _in_open_unit("shrink", shrink)
    c = _in_open_unit("c", c)
    max_evaluations = checks.count("max_evaluations", max_evaluations, 1)
    slope = float(objective.grad(x) @ d)
    if not slope < 0:
        raise ValueError(f"direction must be a descent direction (grad . d < 0), got {slope}")
    f0 = objective.value(x)
    for n in range(1, max_evaluations + 1):
        trial = objective.value(x + lr * d)
        if math.isfinite(trial) and trial <= f0 + c * lr * slope:
            return Backtracking(lr, n, True)
        if n < max_evaluations:
            lr *= shrink
    return Backtracking(lr, max_evaluations, False)


def armijo_step_floor(lipschitz, lr0=1.0, shrink=0.5, c=1e-4) -> float:
    r"""The smallest step backtracking along :math:`-\nabla f` can return on a function with
    :math:`L`-Lipschitz gradient: :math:`\min(\eta_0, 2\beta(1-c)/L)`.

    Why: :math:`f(x-\eta g) \le f(x) - \eta\|g\|^2 + \tfrac{L}{2}\eta^2\|g\|^2`, which is at most
    :math:`f(x) - c\,\eta\|g\|^2` whenever :math:`\eta \le 2(1-c)/L`; the search stops at the
    first trial in that range at the latest, and the trial before it was larger than
    :math:`2(1-c)/L`."""
    lipschitz = _positive("lipschitz", lipschitz)
    lr0 = _positive("lr0", lr0)
    shrink = _in_open_unit("shrink", shrink)
    c = _in_open_unit("c", c)
    return min(lr0, 2.0 * shrink * (1.0 - c) / lipschitz)


def _quadratic(objective):
    if not (isinstance(objective, landscapes.Landscape) and objective.code == landscapes.QUADRATIC):
        raise ValueError(
            "objective must be a quadratic Landscape (the exact step has a closed form only "
            f"there), got {getattr(objective, 'name', type(objective).__name__)}"
        )
    return objective


def exact_quadratic_step(objective, x) -> float:
    r"""The exact line-search step along :math:`-g` on a quadratic landscape,
    :math:`\eta = g^\top g / g^\top A g` (the inverse of the curvature along :math:`g`, a
    Rayleigh quotient). ``ValueError`` at a point where the gradient vanishes."""
    q = _quadratic(objective)
    x = _finite_vector("x", x, q.dim)
    g = q.grad(x)
    gg = float(g @ g)
    if gg == 0.0:
        raise ValueError("the gradient vanishes at x: there is no direction to search along")
    return gg / float(g @ q.hessian(x) @ g)


def steepest_descent(objective, x0, steps, *, rule="armijo", lr0=1.0, shrink=0.5, c=1e-4,
                     tol=0.0) -> LineSearchRun:
    r"""Steepest descent :math:`x_{t+1} = x_t - \eta_t\nabla f(x_t)` with the step chosen by a
    line search at every iterate.

    ``rule="armijo"``: :func:`backtracking` from ``lr0`` with ``shrink`` and ``c`` (any
    objective). ``rule="exact"``: :func:`exact_quadratic_step` (quadratic landscapes only).
    The run stops early, before ``steps``, once :math:`\|\nabla f(x_t)\| \le` ``tol``.
    """
    if rule not in ("armijo", "exact"):
        raise ValueError(f"rule must be 'armijo' or 'exact', got {rule!r}")
    if rule == "exact":
        _quadratic(objective)
    steps = checks.count("steps", steps, 1)
    tol = float(tol)
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0, got {tol}")
    x = _finite_vector("x0", x0, getattr(objective, "dim", None))
    positions, values, norms, sizes, evals = [x.copy()], [objective.value(x)], [], [], []
    g = objective.grad(x)
    norms.append(float(np.linalg.norm(g)))
    for _ in range(steps):
        if norms[-1] <= tol:
            break
        if rule == "exact":
            lr, n = exact_quadratic_step(objective, x), 0
        else:
            lr, n, _ = backtracking(objective, x, -g, lr0=lr0, shrink=shrink, c=c)
        x = x - lr * g
        g = objective.grad(x)
        positions.append(x.copy())
        values.append(objective.value(x))
        norms.append(float(np.linalg.norm(g)))
        sizes.append(lr)
        evals.append(n)
    return LineSearchRun(
        np.array(positions), np.array(values), np.array(norms), np.array(sizes),
        np.array(evals, dtype=int), len(sizes),
    )


def kantorovich_rate(kappa) -> float:
    r"""The bound :math:`((\kappa-1)/(\kappa+1))^2` on the ratio
    :math:`(f(x_{t+1}) - f^*)/(f(x_t) - f^*)` of steepest descent with exact line search on a
    quadratic with condition number :math:`\kappa \ge 1`."""
    k = float(kappa)
    if not (math.isfinite(k) and k >= 1.0):
        raise ValueError(f"kappa must be finite and >= 1, got {kappa}")
    return ((k - 1.0) / (k + 1.0)) ** 2


def kantorovich_worst_start(objective, distance=1.0) -> np.ndarray:
    r"""A start from which exact line search on a quadratic meets the Kantorovich bound at
    every step: :math:`x_0 = x^* + s\,(q_{\min}/\lambda_{\min} + q_{\max}/\lambda_{\max})`,
    scaled so that :math:`\|x_0 - x^*\| =` ``distance``.

    Its gradient :math:`A(x_0-x^*) = s\,(q_{\min} + q_{\max})` weighs the extreme eigenvectors
    equally, the case of equality in Kantorovich's inequality; the next gradient is
    :math:`\propto q_{\min} - q_{\max}`, equal weights again, and so on.
    """
    q = _quadratic(objective)
    if q.dim < 2:
        raise ValueError(f"objective must have dim >= 2, got {q.dim}")
    distance = _positive("distance", distance)
    lam, vecs = np.linalg.eigh(q.hessian(q.minimizers[0]))
    direction = vecs[:, 0] / lam[0] + vecs[:, -1] / lam[-1]
    return q.minimizers[0] + distance * direction / np.linalg.norm(direction)
