r"""Momentum with noisy gradients on a quadratic: stationary variance and expected loss.

Model (the mini-batch noise of :func:`optbook.run.trajectory`): on
:math:`f(x) = \tfrac12 (x-x^\star)^\top A (x-x^\star)` every gradient is exact plus independent
noise :math:`\xi_t \sim \mathcal N(0, \sigma^2 I)`. In an eigen-direction with eigenvalue
:math:`\lambda`, error :math:`e_t` and velocity :math:`u_t` (state :math:`s_t = (e_t, u_t)`),

.. math::
    s_{t+1} = M s_t + \eta\,\xi_t\,(-1, 1)^\top,

with :math:`M` the heavy ball's or Nesterov's :math:`2\times2` matrix
(:func:`optbook.theory.heavy_ball_matrix`, :func:`optbook.theory.nesterov_matrix`; Nesterov's
noise is drawn at the look-ahead point, as the library does). Eliminating :math:`u_t` gives an
AR(2) recursion :math:`e_{t+1} = a_1 e_t + a_2 e_{t-1} - \eta\xi_t` with

* heavy ball: :math:`a_1 = 1+\gamma-\eta\lambda`, :math:`a_2 = -\gamma`;
* Nesterov: :math:`a_1 = (1+\gamma)(1-\eta\lambda)`, :math:`a_2 = -\gamma(1-\eta\lambda)`,

whose stationary variance is the classical
:math:`\operatorname{Var} e = \frac{(1-a_2)\,\eta^2\sigma^2}{(1+a_2)\,((1-a_2)^2 - a_1^2)}`
(G. E. P. Box, G. M. Jenkins, *Time Series Analysis*, 1970, sec. 3.2). For the heavy ball it
simplifies to

.. math::
    \operatorname{Var} e
    = \frac{(1+\gamma)\,\eta\,\sigma^2}{(1-\gamma)\,\lambda\,(2+2\gamma-\eta\lambda)},

which for :math:`\gamma = 0` is gradient descent's :math:`\eta\sigma^2/(\lambda(2-\eta\lambda))`
and for small :math:`\eta\lambda` tends to :math:`\eta_{\text{eff}}\sigma^2/(2\lambda)` with the
effective learning rate :math:`\eta_{\text{eff}} = \eta/(1-\gamma)`: momentum with small steps is
SGD with a larger step (K. Yuan, B. Ying, A. H. Sayed, "On the influence of momentum
acceleration on online learning", JMLR 17, 2016). Outside the stable region the variance has no
stationary value and the functions return ``inf``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

METHODS = ("heavy_ball", "nesterov")
"""The methods the functions below know (``gamma = 0`` is gradient descent for both)."""


def _array(name, value, low, high=np.inf, low_open=True, high_open=False):
    a = np.asarray(value, dtype=np.float64)
    below = a <= low if low_open else a < low
    above = a >= high if high_open else a > high
    if a.size == 0 or not np.all(np.isfinite(a)) or np.any(below | above):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be finite and in {interval}, got {value}")
    return a


def _method(method):
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return method


def _scalar(a):
    return float(a) if np.ndim(a) == 0 else a


def _ar2_coefficients(a, gamma, method):
    """``(a1, a2)`` of the error recursion for ``a = lr * lam``."""
    if method == "heavy_ball":
        return 1.0 + gamma - a, -gamma
    return (1.0 + gamma) * (1.0 - a), -gamma * (1.0 - a)


def stationary_variance(lr, gamma, lam, noise_var, method="heavy_ball"):
    r"""Stationary variance of the error :math:`e_t` along an eigen-direction :math:`\lambda`
    (see the module docstring), for gradient noise of variance ``noise_var`` per coordinate.
    ``inf`` where the method is unstable for this :math:`\eta\lambda`. Broadcasting."""
    lr = _array("lr", lr, 0.0)
    gamma = _array("gamma", gamma, 0.0, 1.0, low_open=False, high_open=True)
    lam = _array("lam", lam, 0.0)
    noise_var = _array("noise_var", noise_var, 0.0, low_open=False)
    a1, a2 = _ar2_coefficients(lr * lam, gamma, _method(method))
    # AR(2) stationarity: the triangle |a2| < 1, a1 + a2 < 1, a2 - a1 < 1
    stable = (np.abs(a2) < 1.0) & (a1 + a2 < 1.0) & (a2 - a1 < 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (1.0 - a2) * lr**2 * noise_var / ((1.0 + a2) * ((1.0 - a2) ** 2 - a1**2))
    return _scalar(np.where(stable, var, np.inf))


def stationary_excess_loss(lr, gamma, eigenvalues, noise_var, method="heavy_ball"):
    r"""The stationary expected excess loss :math:`\mathbb E f(x_t) - f^\star =
    \sum_i \tfrac12\lambda_i \operatorname{Var} e_i` over the spectrum ``eigenvalues`` (``lr``
    and ``gamma`` broadcast against each other; the sum runs over the last axis after
    broadcasting ``lr[..., None]``, as in :mod:`optbook.theory`)."""
    lam = _array("eigenvalues", eigenvalues, 0.0).reshape(-1)
    lr = _array("lr", lr, 0.0)[..., None]
    gamma = _array("gamma", gamma, 0.0, 1.0, low_open=False, high_open=True)[..., None]
    var = stationary_variance(lr, gamma, lam, noise_var, method)
    return _scalar(np.sum(0.5 * lam * var, axis=-1))


def expected_excess_loss(lr, gamma, eigenvalues, e0, noise_var, steps, method="heavy_ball"):
    r"""The exact expected excess loss :math:`\mathbb E f(x_t) - f^\star` for
    :math:`t = 0..` ``steps``, from the error ``e0`` (eigen-coordinates, one per eigenvalue) with
    zero velocity.

    Per direction the mean state follows :math:`m_{t+1} = M m_t` and the covariance
    :math:`C_{t+1} = M C_t M^\top + \eta^2\sigma^2 bb^\top`, :math:`b = (-1, 1)^\top`, so
    :math:`\mathbb E e_t^2 = m_{t,e}^2 + C_{t,ee}` with no sampling; scalars ``lr``, ``gamma``.
    """
    lr = float(_array("lr", lr, 0.0))
    gamma = float(_array("gamma", gamma, 0.0, 1.0, low_open=False, high_open=True))
    lam = _array("eigenvalues", eigenvalues, 0.0).reshape(-1)
    e0 = np.asarray(e0, dtype=np.float64).reshape(-1)
    if e0.shape != lam.shape or not np.all(np.isfinite(e0)):
        raise ValueError(f"e0 must be {lam.size} finite numbers (one per eigenvalue), got {e0}")
    noise_var = float(_array("noise_var", noise_var, 0.0, low_open=False))
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    a = lr * lam
    damp = (1.0 - a) if _method(method) == "nesterov" else np.ones_like(a)
    # M = [[m00, m01], [m10, m11]] per direction (theory.heavy_ball_matrix / nesterov_matrix)
    m00, m01, m10, m11 = 1.0 - a, -gamma * damp, a, gamma * damp
    mean_e, mean_u = e0.copy(), np.zeros_like(e0)
    c_ee, c_eu, c_uu = np.zeros_like(e0), np.zeros_like(e0), np.zeros_like(e0)
    q = lr * lr * noise_var
    out = np.empty(steps + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps + 1):
            out[t] = np.sum(0.5 * lam * (mean_e * mean_e + c_ee))
            mean_e, mean_u = m00 * mean_e + m01 * mean_u, m10 * mean_e + m11 * mean_u
            c_ee, c_eu, c_uu = (
                m00 * m00 * c_ee + 2.0 * m00 * m01 * c_eu + m01 * m01 * c_uu + q,
                m00 * m10 * c_ee + (m00 * m11 + m01 * m10) * c_eu + m01 * m11 * c_uu - q,
                m10 * m10 * c_ee + 2.0 * m10 * m11 * c_eu + m11 * m11 * c_uu + q,
            )
    return out


class EffectiveRateTuning(NamedTuple):
    """Heavy-ball parameters with a given effective learning rate, and the rate they reach."""

    lr: float
    gamma: float
    rate: float


def critical_damping_at_effective_lr(lr_eff, lam):
    r"""The heavy ball with effective learning rate :math:`\eta/(1-\gamma) =` ``lr_eff`` that is
    critically damped along :math:`\lambda` (:math:`\gamma = (1-\sqrt{\eta\lambda})^2`, the
    fastest :math:`\gamma` for that direction; :func:`optbook.theory.critical_damping`).

    With :math:`s = \sqrt{\eta\lambda}` the two conditions give
    :math:`s = 2\eta_{\text{eff}}\lambda/(1+\eta_{\text{eff}}\lambda)`, so
    :math:`\eta = s^2/\lambda`, :math:`\gamma = (1-s)^2` and the rate
    :math:`1 - s = (1-\eta_{\text{eff}}\lambda)/(1+\eta_{\text{eff}}\lambda)`, against gradient
    descent's :math:`1-\eta_{\text{eff}}\lambda` at the same effective rate. Needs
    :math:`0 < \eta_{\text{eff}}\lambda < 1`.
    """
    lr_eff = float(_array("lr_eff", lr_eff, 0.0))
    lam = float(_array("lam", lam, 0.0))
    if lr_eff * lam >= 1.0:
        raise ValueError(f"lr_eff * lam must be in (0, 1), got {lr_eff * lam!r}")
    s = 2.0 * lr_eff * lam / (1.0 + lr_eff * lam)
    return EffectiveRateTuning(s * s / lam, (1.0 - s) ** 2, 1.0 - s)
