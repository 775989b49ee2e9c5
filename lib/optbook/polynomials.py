r"""The polynomial view of first-order methods on a quadratic, Chebyshev iteration, and the
lower bound.

On :math:`f(x) = \tfrac12 (x-x^\star)^\top A (x-x^\star)` a method that moves along gradients
with coefficients fixed in advance (gradient descent, the heavy ball, Nesterov, Chebyshev
iteration) produces the error :math:`x_t - x^\star = p_t(A)(x_0 - x^\star)`, where the
*residual polynomial* :math:`p_t` has degree at most :math:`t` and :math:`p_t(0) = 1`. So the
error along an eigenvector with eigenvalue :math:`\lambda` is multiplied by :math:`p_t(\lambda)`
and, over every quadratic whose spectrum lies in :math:`[\lambda_{\min}, \lambda_{\max}]`, the
worst case after :math:`t` steps is :math:`\max_{\lambda \in [\lambda_{\min}, \lambda_{\max}]}
|p_t(\lambda)|`. The functions below return :math:`p_0, \dots, p_T` evaluated at ``lam`` (any
real numbers, so a plot may run past the interval), as an array of shape
``(steps + 1,) + lam.shape``:

* gradient descent: :math:`p_t(\lambda) = (1-\eta\lambda)^t`;
* heavy ball (velocity form, :math:`v_0 = 0`): :math:`p_0 = 1`, :math:`p_1 = 1-\eta\lambda`,
  :math:`p_{t+1} = (1+\gamma-\eta\lambda)\,p_t - \gamma\,p_{t-1}`;
* Nesterov (look-ahead form): :math:`p_1 = 1-\eta\lambda`,
  :math:`p_{t+1} = (1+\gamma)(1-\eta\lambda)\,p_t - \gamma(1-\eta\lambda)\,p_{t-1}`;
* Chebyshev iteration: :math:`p_t(\lambda) = T_t\big((d-\lambda)/c\big)/T_t(d/c)` with
  :math:`d = (\lambda_{\max}+\lambda_{\min})/2`, :math:`c = (\lambda_{\max}-\lambda_{\min})/2`
  and :math:`T_t` the Chebyshev polynomial of the first kind. Among all polynomials of degree
  :math:`t` with :math:`p(0) = 1` it has the smallest maximum on the interval,
  :math:`1/T_t(d/c) = 2\rho^t/(1+\rho^{2t})` with
  :math:`\rho = (\sqrt\kappa-1)/(\sqrt\kappa+1)` (:func:`chebyshev_minimax`).

Chebyshev's three-term recurrence makes the method a heavy ball whose coefficients change with
:math:`t` (:func:`chebyshev_coefficients`); they tend to Polyak's :math:`(\alpha^*, \beta^*)`,
which is why the heavy ball is asymptotically optimal on quadratics (G. H. Golub, R. S. Varga,
"Chebyshev semi-iterative methods, successive overrelaxation iterative methods, and second
order Richardson iterative methods", Numer. Math. 3, 1961). For *any* method that uses
gradients only, Nesterov's lower bound (*Introductory Lectures on Convex Optimization*, 2004,
Theorem 2.1.13) constructs a quadratic on which :math:`\|x_t - x^\star\| \ge \rho^t
\|x_0 - x^\star\|` (:func:`first_order_lower_bound`).
"""

from __future__ import annotations

import math

import numpy as np


def _positive(name, value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number > 0, got {value!r}") from None
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return value


def _momentum(gamma):
    try:
        gamma = float(gamma)
    except (TypeError, ValueError):
        raise ValueError(f"gamma must be a real number in [0, 1], got {gamma!r}") from None
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must be in [0, 1], got {gamma!r}")
    return gamma


def _steps(steps):
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    return int(steps)


def _points(lam):
    lam = np.asarray(lam, dtype=np.float64)
    if lam.size == 0 or not np.all(np.isfinite(lam)):
        raise ValueError(f"lam must be finite numbers (at least one), got {lam}")
    return lam


def _interval(lam_min, lam_max):
    lo, hi = _positive("lam_min", lam_min), _positive("lam_max", lam_max)
    if not lo < hi:
        raise ValueError(f"lam_min must be < lam_max, got {lam_min!r} >= {lam_max!r}")
    return lo, hi


def _three_term(first, coefficient, steps, lam):
    """:math:`p_0 = 1`, :math:`p_1 =` ``first``, :math:`p_{t+1} = a_t p_t + b_t p_{t-1}` with
    ``coefficient(t) -> (a_t, b_t)``."""
    out = np.empty((steps + 1, *lam.shape))
    out[0] = 1.0
    if steps >= 1:
        out[1] = first
    for t in range(1, steps):
        a, b = coefficient(t)
        out[t + 1] = a * out[t] + b * out[t - 1]
    return out


def gd_residuals(lr, steps, lam):
    r"""Gradient descent's :math:`p_t(\lambda) = (1-\eta\lambda)^t`, :math:`t = 0..` ``steps``
    (by repeated multiplication)."""
    lr, steps, lam = _positive("lr", lr), _steps(steps), _points(lam)
    return _three_term(1.0 - lr * lam, lambda t: (1.0 - lr * lam, 0.0), steps, lam)


def heavy_ball_residuals(lr, gamma, steps, lam):
    r"""The heavy ball's residual polynomials :math:`p_0..p_T` at ``lam`` (see the module
    docstring): :math:`e_t = p_t(\lambda)\,e_0` along an eigen-direction, from :math:`v_0 = 0`."""
    lr, gamma, steps, lam = _positive("lr", lr), _momentum(gamma), _steps(steps), _points(lam)
    return _three_term(1.0 - lr * lam, lambda t: (1.0 + gamma - lr * lam, -gamma), steps, lam)


def nesterov_residuals(lr, gamma, steps, lam):
    r"""Nesterov's (look-ahead form) residual polynomials :math:`p_0..p_T` at ``lam``."""
    lr, gamma, steps, lam = _positive("lr", lr), _momentum(gamma), _steps(steps), _points(lam)
    damp = 1.0 - lr * lam
    return _three_term(damp, lambda t: ((1.0 + gamma) * damp, -gamma * damp), steps, lam)


def _omegas(lo, hi, steps):
    r""":math:`\omega_1..\omega_T` of the scaled Chebyshev recurrence: with
    :math:`\sigma = d/c` and :math:`r_t = T_t(\sigma)/T_{t-1}(\sigma)`, :math:`r_1 = \sigma`,
    :math:`r_{t+1} = 2\sigma - 1/r_t` and :math:`\omega_{t+1} = 2\sigma/r_{t+1}`
    (:math:`\omega_1 = 1`). Ratios, so nothing overflows however large :math:`t`."""
    sigma = (hi + lo) / (hi - lo)
    omegas = np.empty(steps)
    r = sigma
    for t in range(steps):
        if t == 0:
            omegas[t] = 1.0
            continue
        r = 2.0 * sigma - 1.0 / r
        omegas[t] = 2.0 * sigma / r
    return omegas


def chebyshev_coefficients(lam_min, lam_max, steps):
    r"""Step sizes :math:`\alpha_t` and momenta :math:`\beta_t`, :math:`t = 0..` ``steps``-1, of
    Chebyshev iteration on :math:`[\lambda_{\min}, \lambda_{\max}]`:

    .. math::
        x_{t+1} = x_t - \alpha_t \nabla f(x_t) + \beta_t (x_t - x_{t-1}),\qquad
        \alpha_t = \omega_{t+1}/d,\quad \beta_t = \omega_{t+1} - 1,

    a heavy ball (:math:`x_{t+1} = x_t - \eta\nabla f(x_t) + \gamma(x_t - x_{t-1})` is the
    velocity form) with :math:`\beta_0 = 0` and coefficients that tend to Polyak's
    :math:`(\alpha^*, \beta^*)`. Returns ``(alphas, betas)``."""
    lo, hi = _interval(lam_min, lam_max)
    omegas = _omegas(lo, hi, _steps(steps))
    return omegas / ((hi + lo) / 2.0), omegas - 1.0


def chebyshev_residuals(lam_min, lam_max, steps, lam):
    r"""Chebyshev iteration's residual polynomials :math:`p_0..p_T` at ``lam``, by the
    recurrence of :func:`chebyshev_coefficients` (equal to
    :math:`T_t((d-\lambda)/c)/T_t(d/c)`)."""
    lo, hi = _interval(lam_min, lam_max)
    steps, lam = _steps(steps), _points(lam)
    alphas, betas = chebyshev_coefficients(lo, hi, steps)
    return _three_term(
        1.0 - alphas[0] * lam if steps else 1.0,
        lambda t: (1.0 + betas[t] - alphas[t] * lam, -betas[t]),
        steps,
        lam,
    )


def chebyshev_iterates(landscape, x0, lam_min, lam_max, steps):
    r"""Run Chebyshev iteration (:func:`chebyshev_coefficients`) on ``landscape`` from ``x0``
    with plain NumPy and ``landscape.grad``; returns the ``(steps + 1, dim)`` iterates."""
    alphas, betas = chebyshev_coefficients(lam_min, lam_max, steps)
    x = np.array(x0, dtype=np.float64).reshape(-1)
    if x.shape != (landscape.dim,) or not np.all(np.isfinite(x)):
        raise ValueError(f"x0 must be {landscape.dim} finite numbers, got {x0}")
    out = np.empty((steps + 1, x.size))
    out[0] = x
    previous = x
    for t in range(steps):
        x, previous = x - alphas[t] * landscape.grad(x) + betas[t] * (x - previous), x
        out[t + 1] = x
    return out


def _rho(kappa):
    kappa = _positive("kappa", kappa)
    if kappa < 1.0:
        raise ValueError(f"kappa must be >= 1, got {kappa!r}")
    return (math.sqrt(kappa) - 1.0) / (math.sqrt(kappa) + 1.0)


def chebyshev_minimax(kappa, steps):
    r""":math:`\min_p \max_{\lambda\in[\lambda_{\min},\lambda_{\max}]} |p(\lambda)| =
    1/T_t\big(\tfrac{\kappa+1}{\kappa-1}\big) = 2\rho^t/(1+\rho^{2t})` for :math:`t = 0..`
    ``steps``, :math:`\rho = (\sqrt\kappa-1)/(\sqrt\kappa+1)`: the smallest worst case any
    polynomial method reaches after :math:`t` steps on spectra in the interval."""
    rho = _rho(kappa)
    t = np.arange(_steps(steps) + 1)
    return 2.0 * rho**t / (1.0 + rho ** (2 * t))


def first_order_lower_bound(kappa, steps):
    r"""Nesterov's lower bound :math:`\rho^t`, :math:`t = 0..` ``steps``: for every method
    whose iterates lie in :math:`x_0 + \operatorname{span}\{\nabla f(x_0), \dots,
    \nabla f(x_{t-1})\}` there is a quadratic with condition number :math:`\kappa` on which
    :math:`\|x_t - x^\star\| \ge \rho^t\|x_0 - x^\star\|` (Nesterov 2004, Theorem 2.1.13)."""
    rho = _rho(kappa)
    return rho ** np.arange(_steps(steps) + 1)
