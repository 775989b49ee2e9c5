r"""Convexity in numbers: Jensen's inequality by Monte Carlo, and a smooth, strongly convex
function that is not a quadratic, on which gradient descent's linear rate can be measured.

A function is :math:`\mu`-strongly convex and :math:`L`-smooth when its Hessian satisfies
:math:`\mu I \preceq \nabla^2 f(x) \preceq L I` everywhere. For such functions gradient
descent with :math:`\eta = 2/(\mu + L)` contracts the distance to the minimiser by at least
:math:`(\kappa - 1)/(\kappa + 1)`, :math:`\kappa = L/\mu`, at every step (Nesterov 2004,
theorem 2.1.15): the quadratic rate of the gradient-descent chapter, for every such function.
:func:`logcosh_bowl` is one,

.. math:: f(x) = \frac{\mu}{2}\|x\|^2 + (L - \mu)\,\ln\cosh(u^\top x),
   \qquad u = (\cos\theta, \sin\theta),

with :math:`\nabla f = \mu x + (L-\mu)\tanh(u^\top x)\,u` and
:math:`\nabla^2 f = \mu I + (L-\mu)\,\mathrm{sech}^2(u^\top x)\,uu^\top`, whose eigenvalues
:math:`\mu` and :math:`\mu + (L-\mu)\,\mathrm{sech}^2(u^\top x)` lie in :math:`[\mu, L]`: the
curvature along :math:`u` is :math:`L` at the minimiser 0 and falls towards :math:`\mu` far
from it, where the function grows like :math:`\frac\mu2\|x\|^2 + (L-\mu)|u^\top x|`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import landscapes


def jensen_gap(f, samples) -> tuple[float, float]:
    r"""The two sides of Jensen's inequality estimated from ``samples`` (rows are points):
    :math:`(\frac1N\sum_i f(x_i),\ f(\frac1N\sum_i x_i))`. For a convex :math:`f` the first is
    at least the second, for every sample (the inequality holds for the empirical measure)."""
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"samples must be a non-empty (N,) or (N, d) array, got {x.shape}")
    values = np.array([float(f(row if row.size > 1 else row[0])) for row in x])
    mean = x.mean(axis=0)
    return float(values.mean()), float(f(mean if mean.size > 1 else mean[0]))


def _logcosh(z):
    """:math:`\\ln\\cosh z` without overflow: :math:`|z| + \\ln(1 + e^{-2|z|}) - \\ln 2`."""
    a = abs(z)
    return a + math.log1p(math.exp(-2.0 * a)) - math.log(2.0)


_logcosh_jit = njit(cache=True, inline="always")(_logcosh)


def _check(mu, lipschitz, angle):
    mu, lipschitz, angle = float(mu), float(lipschitz), float(angle)
    if not (math.isfinite(mu) and mu > 0):
        raise ValueError(f"mu must be a finite number > 0, got {mu!r}")
    if not (math.isfinite(lipschitz) and lipschitz >= mu):
        raise ValueError(f"L must be a finite number >= mu = {mu}, got {lipschitz!r}")
    if not math.isfinite(angle):
        raise ValueError(f"angle must be finite, got {angle!r}")
    return mu, lipschitz, angle


def logcosh_bowl(mu: float = 1.0, L: float = 10.0, angle: float = math.pi / 6):  # noqa: N803
    r"""The bowl :math:`\frac\mu2\|x\|^2 + (L-\mu)\ln\cosh(u^\top x)` of the module docstring
    as a 2-D :func:`~optbook.landscapes.custom` landscape (a numba-jitted pair, so runs are
    compiled): minimiser 0, minimum 0, start :math:`(-3, 2.5)`, window
    :math:`[-4, 4] \times [-3.5, 3.5]`. ``L`` :math:`\ge` ``mu`` :math:`> 0`."""
    mu, lipschitz, angle = _check(mu, L, angle)
    u0, u1 = math.cos(angle), math.sin(angle)
    extra = lipschitz - mu

    @njit
    def value(x):
        return 0.5 * mu * (x[0] * x[0] + x[1] * x[1]) + extra * _logcosh_jit(u0 * x[0] + u1 * x[1])

    @njit
    def grad(x):
        t = extra * math.tanh(u0 * x[0] + u1 * x[1])
        return (mu * x[0] + t * u0, mu * x[1] + t * u1)

    return landscapes.custom(
        value, grad, start=[-3.0, 2.5], minimizers=[[0.0, 0.0]], min_value=0.0,
        window=((-4.0, 4.0), (-3.5, 3.5)), name="logcosh_bowl",
        latex=rf"f(x) = \frac{{{mu:g}}}{{2}}\|x\|^2 + {extra:g}\,\ln\cosh(u^\top x)",
    )


def logcosh_hessian(x, mu: float = 1.0, L: float = 10.0,  # noqa: N803
                    angle: float = math.pi / 6) -> np.ndarray:
    r""":math:`\mu I + (L-\mu)\,\mathrm{sech}^2(u^\top x)\,uu^\top` at the 2-D point ``x``."""
    mu, lipschitz, angle = _check(mu, L, angle)
    u = np.array([math.cos(angle), math.sin(angle)])
    x = np.asarray(x, dtype=np.float64)
    if x.shape != (2,):
        raise ValueError(f"x must be a 2-D point, got shape {x.shape}")
    sech_sq = 1.0 / math.cosh(float(u @ x)) ** 2
    return mu * np.eye(2) + (lipschitz - mu) * sech_sq * np.outer(u, u)


def descent_lemma_slack(losses, grad_sq, lr: float, L: float) -> np.ndarray:  # noqa: N803
    r"""Per step, how much more gradient descent decreased :math:`f` than the descent lemma
    promises: :math:`f(x_t) - f(x_{t+1}) - \eta(1 - L\eta/2)\|\nabla f(x_t)\|^2`, from a
    trajectory's ``losses`` (:math:`f(x_0..x_n)`) and ``grad_sq``
    (:math:`\|\nabla f(x_0..x_{n-1})\|^2`). For an :math:`L`-smooth :math:`f` every entry is
    :math:`\ge 0`; at :math:`\eta = 1/L` the promise is :math:`\|\nabla f\|^2/(2L)`."""
    losses = np.asarray(losses, dtype=np.float64)
    grad_sq = np.asarray(grad_sq, dtype=np.float64)
    if losses.ndim != 1 or grad_sq.shape != (losses.size - 1,):
        raise ValueError(f"losses must have one more entry than grad_sq, got {losses.shape} "
                         f"and {grad_sq.shape}")
    return losses[:-1] - losses[1:] - lr * (1.0 - 0.5 * L * lr) * grad_sq
