r"""Closed forms for gradient descent, heavy-ball momentum and Nesterov on quadratics.

On :math:`f(x) = \tfrac12 (x-x^*)^\top A (x-x^*)` every method below acts on each eigen-direction
of :math:`A` separately: writing :math:`e = x - x^*` in the eigenbasis, the component along an
eigenvector with eigenvalue :math:`\lambda` evolves on its own, by a scalar recursion (GD) or a
:math:`2\times2` linear map (momentum, Nesterov). The asymptotic linear rate of a direction is
the spectral radius of its map, and the rate of the whole run the largest over the spectrum.

Conventions (those of DD2424 and Sutskever et al. 2013; the library's ``momentum`` and
``nesterov`` in their default forms):

* GD: :math:`x_{t+1} = x_t - \eta\nabla f(x_t)`.
* Heavy ball: :math:`v_{t+1} = \gamma v_t + \eta\nabla f(x_t)`, :math:`x_{t+1} = x_t - v_{t+1}`.
* Nesterov: :math:`v_{t+1} = \gamma v_t + \eta\nabla f(x_t - \gamma v_t)`,
  :math:`x_{t+1} = x_t - v_{t+1}`.

The state of a direction is the column :math:`(e_t, v_t)`. Learning rates, momenta and
eigenvalues may be NumPy arrays: the per-direction functions broadcast, and the ``*_rate``
functions take the maximum over the last axis of ``eigenvalues`` after broadcasting
``lr[..., None]`` and ``gamma[..., None]`` against it, which gives an analytic rate map over an
:math:`(\eta, \gamma)` grid in one call.

References: B. T. Polyak, "Some methods of speeding up the convergence of iteration methods",
USSR Comput. Math. Math. Phys. 4(5), 1964; Y. Nesterov, "A method for solving the convex
programming problem with convergence rate O(1/k²)", Soviet Math. Dokl. 27, 1983; I. Sutskever,
J. Martens, G. Dahl, G. Hinton, "On the importance of initialization and momentum in deep
learning", ICML 2013; G. Goh, "Why Momentum Really Works", Distill, 2017.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# --------------------------------------------------------------------------- validation


def _positive(name, value):
    a = np.asarray(value, dtype=np.float64)
    if a.size == 0 or not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ValueError(f"{name} must be finite and > 0, got {value}")
    return a


def _momentum(name, value):
    a = np.asarray(value, dtype=np.float64)
    if a.size == 0 or not np.all(np.isfinite(a)) or np.any((a < 0) | (a > 1)):
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return a


def _spectrum(eigenvalues):
    lam = _positive("eigenvalues", eigenvalues)
    return lam.reshape(-1) if lam.ndim == 0 else lam


def _scalar(a):
    return float(a) if a.ndim == 0 else a


def _radius_2x2(trace, det):
    r"""Spectral radius of a real 2×2 matrix from its trace and determinant: the roots of
    :math:`z^2 - Tz + D` are real when :math:`T^2 \ge 4D` (radius :math:`(|T|+\sqrt{T^2-4D})/2`)
    and complex conjugate otherwise (radius :math:`\sqrt{D}`)."""
    disc = trace * trace - 4.0 * det
    real = (np.abs(trace) + np.sqrt(np.maximum(disc, 0.0))) / 2.0
    return np.where(disc >= 0, real, np.sqrt(np.abs(det)))


# --------------------------------------------------------------------------- gradient descent


def gd_stability_bound(lam_max):
    r"""The largest stable learning rate of GD on a quadratic, :math:`\eta < 2/\lambda_{\max}`.

    In an eigen-direction :math:`e_{t+1} = (1-\eta\lambda)e_t`, which shrinks iff
    :math:`|1-\eta\lambda| < 1`, i.e. :math:`0 < \eta < 2/\lambda` (DD2424 Lecture 5)."""
    return _scalar(2.0 / _positive("lam_max", lam_max))


def gd_optimal_lr(lam_min, lam_max):
    r"""The learning rate minimising :math:`\max_i|1-\eta\lambda_i|`:
    :math:`\eta^* = 2/(\lambda_{\min}+\lambda_{\max})`, where the two extreme directions contract
    equally fast (DD2424 Lecture 5)."""
    lo, hi = _positive("lam_min", lam_min), _positive("lam_max", lam_max)
    if np.any(lo > hi):
        raise ValueError(f"lam_min must be <= lam_max, got {lam_min} > {lam_max}")
    return _scalar(2.0 / (lo + hi))


def contraction_factors(lr, eigenvalues):
    r"""Per-direction factors :math:`|1-\eta\lambda_i|` by which GD shrinks each eigen-component
    every step; shape ``lr.shape + (k,)``."""
    lr = _positive("lr", lr)
    return np.abs(1.0 - lr[..., None] * _spectrum(eigenvalues))


def gd_rate(lr, eigenvalues):
    r"""GD's linear rate :math:`\max_i |1-\eta\lambda_i|` (:math:`\ge 1`: no convergence)."""
    return _scalar(contraction_factors(lr, eigenvalues).max(axis=-1))


def gd_optimal_rate(kappa):
    r"""GD's rate at :math:`\eta^*`: :math:`(\kappa-1)/(\kappa+1)`, :math:`\kappa =
    \lambda_{\max}/\lambda_{\min} \ge 1`."""
    k = np.asarray(kappa, dtype=np.float64)
    if k.size == 0 or not np.all(np.isfinite(k)) or np.any(k < 1):
        raise ValueError(f"kappa must be finite and >= 1, got {kappa}")
    return _scalar((k - 1.0) / (k + 1.0))


# --------------------------------------------------------------------------- heavy ball


def heavy_ball_matrix(lr, gamma, lam):
    r"""The heavy ball's iteration matrix in one eigen-direction, state :math:`(e_t, v_t)`:

    .. math::
        \begin{pmatrix} e_{t+1} \\ v_{t+1} \end{pmatrix} =
        \begin{pmatrix} 1-\eta\lambda & -\gamma \\ \eta\lambda & \gamma \end{pmatrix}
        \begin{pmatrix} e_t \\ v_t \end{pmatrix},

    from :math:`v_{t+1} = \gamma v_t + \eta\lambda e_t`, :math:`e_{t+1} = e_t - v_{t+1}`. Its
    characteristic polynomial is :math:`z^2 - (1+\gamma-\eta\lambda)z + \gamma` (Polyak 1964;
    Goh 2017 writes the same map in the other convention). Scalars in, a 2×2 array out.
    """
    a = float(_positive("lr", lr)) * float(_positive("lam", lam))
    g = float(_momentum("gamma", gamma))
    return np.array([[1.0 - a, -g], [a, g]])


def heavy_ball_radius(lr, gamma, lam):
    r"""Spectral radius of :func:`heavy_ball_matrix` (broadcasting): with
    :math:`T = 1+\gamma-\eta\lambda` and :math:`D = \gamma`, the roots are real when
    :math:`T^2 \ge 4\gamma` and otherwise complex with modulus exactly :math:`\sqrt{\gamma}`
    (the product of the two roots is :math:`\gamma`)."""
    a = _positive("lr", lr) * _positive("lam", lam)
    g = _momentum("gamma", gamma)
    return _scalar(_radius_2x2(1.0 + g - a, g))


def heavy_ball_rate(lr, gamma, eigenvalues):
    r"""Heavy ball's linear rate over a spectrum, :math:`\max_i \rho(M(\eta, \gamma,
    \lambda_i))`; ``lr`` and ``gamma`` broadcast against each other (e.g. a meshgrid)."""
    lr = _positive("lr", lr)[..., None]
    gamma = _momentum("gamma", gamma)[..., None]
    return _scalar(heavy_ball_radius(lr, gamma, _spectrum(eigenvalues)).max(axis=-1))


def heavy_ball_stable(lr, gamma, lam):
    r"""Whether heavy ball converges in the direction :math:`\lambda`:
    :math:`0 < \eta\lambda < 2 + 2\gamma` with :math:`0 \le \gamma < 1` (the Jury conditions
    on :math:`z^2 - (1+\gamma-\eta\lambda)z + \gamma`). Broadcasting; booleans."""
    a = _positive("lr", lr) * _positive("lam", lam)
    g = _momentum("gamma", gamma)
    out = (a < 2.0 + 2.0 * g) & (g < 1.0)
    return bool(out) if out.ndim == 0 else out


def critical_damping(lr, lam):
    r"""The momentum :math:`\gamma_c = (1-\sqrt{\eta\lambda})^2` at which the heavy ball's two
    roots coincide (:math:`(1+\gamma-\eta\lambda)^2 = 4\gamma`). For :math:`\gamma < \gamma_c`
    they are real and distinct (overdamped), for :math:`\gamma > \gamma_c` complex with modulus
    :math:`\sqrt\gamma` (underdamped, the iterates oscillate). Needs
    :math:`0 < \eta\lambda \le 4` so that :math:`\gamma_c \le 1`."""
    a = _positive("lr", lr) * _positive("lam", lam)
    if np.any(a > 4.0):
        raise ValueError(f"lr*lam must be in (0, 4], got {a}")
    return _scalar((1.0 - np.sqrt(a)) ** 2)


class HeavyBallOptimum(NamedTuple):
    """Optimal heavy-ball parameters on a spectrum and the rate they reach."""

    lr: float
    gamma: float
    rate: float


def heavy_ball_optimal(lam_min, lam_max):
    r"""Polyak's optimal parameters for a spectrum in :math:`[\lambda_{\min}, \lambda_{\max}]`:

    .. math::
        \alpha^* = \Big(\frac{2}{\sqrt{\lambda_{\max}}+\sqrt{\lambda_{\min}}}\Big)^2,\quad
        \beta^* = \Big(\frac{\sqrt\kappa-1}{\sqrt\kappa+1}\Big)^2,\quad
        \text{rate} = \sqrt{\beta^*} = \frac{\sqrt\kappa-1}{\sqrt\kappa+1}.

    At :math:`(\alpha^*, \beta^*)` the extreme directions are critically damped and every
    direction in between is underdamped, so all share the radius :math:`\sqrt{\beta^*}`
    (Polyak 1964; Goh 2017). Returns ``HeavyBallOptimum(lr, gamma, rate)``.
    """
    lo, hi = float(_positive("lam_min", lam_min)), float(_positive("lam_max", lam_max))
    if lo > hi:
        raise ValueError(f"lam_min must be <= lam_max, got {lam_min} > {lam_max}")
    s_lo, s_hi = np.sqrt(lo), np.sqrt(hi)
    rate = (s_hi - s_lo) / (s_hi + s_lo)
    return HeavyBallOptimum(float((2.0 / (s_hi + s_lo)) ** 2), float(rate**2), float(rate))


def terminal_velocity(lr, mu, g):
    r"""Velocity reached on a plane of constant gradient :math:`g`: with
    :math:`v_{t+1} = \mu v_t + \alpha g`, the fixed point is :math:`v_\infty = \alpha g/(1-\mu)`,
    and the iterate moves by :math:`-v_\infty` per step, :math:`1/(1-\mu)` times GD's step
    (CSC321 Lecture 7, with its :math:`p = -v`). Needs :math:`0 \le \mu < 1`."""
    lr = float(_positive("lr", lr))
    if not 0.0 <= mu < 1.0:
        raise ValueError(f"mu must be in [0, 1), got {mu}")
    return lr / (1.0 - mu) * np.asarray(g, dtype=np.float64)


# --------------------------------------------------------------------------- Nesterov


def nesterov_matrix(lr, gamma, lam):
    r"""Nesterov's iteration matrix in one eigen-direction, state :math:`(e_t, v_t)`:

    .. math::
        \begin{pmatrix} e_{t+1} \\ v_{t+1} \end{pmatrix} =
        \begin{pmatrix} 1-\eta\lambda & -\gamma(1-\eta\lambda) \\
                        \eta\lambda & \gamma(1-\eta\lambda) \end{pmatrix}
        \begin{pmatrix} e_t \\ v_t \end{pmatrix},

    from :math:`v_{t+1} = \gamma v_t + \eta\lambda(e_t - \gamma v_t)`,
    :math:`e_{t+1} = e_t - v_{t+1}`. Characteristic polynomial
    :math:`z^2 - (1+\gamma)(1-\eta\lambda)z + \gamma(1-\eta\lambda)` (Nesterov 1983; Sutskever
    et al. 2013). Scalars in, a 2×2 array out.
    """
    a = float(_positive("lr", lr)) * float(_positive("lam", lam))
    g = float(_momentum("gamma", gamma))
    return np.array([[1.0 - a, -g * (1.0 - a)], [a, g * (1.0 - a)]])


def nesterov_radius(lr, gamma, lam):
    r"""Spectral radius of :func:`nesterov_matrix` (broadcasting), from
    :math:`T = (1+\gamma)(1-\eta\lambda)` and :math:`D = \gamma(1-\eta\lambda)`."""
    a = _positive("lr", lr) * _positive("lam", lam)
    g = _momentum("gamma", gamma)
    return _scalar(_radius_2x2((1.0 + g) * (1.0 - a), g * (1.0 - a)))


def nesterov_rate(lr, gamma, eigenvalues):
    r"""Nesterov's linear rate over a spectrum, :math:`\max_i \rho(N(\eta, \gamma,
    \lambda_i))`; ``lr`` and ``gamma`` broadcast as in :func:`heavy_ball_rate`."""
    lr = _positive("lr", lr)[..., None]
    gamma = _momentum("gamma", gamma)[..., None]
    return _scalar(nesterov_radius(lr, gamma, _spectrum(eigenvalues)).max(axis=-1))
