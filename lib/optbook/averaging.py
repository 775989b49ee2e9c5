r"""Averages of a run's iterates, and how much of a noisy run's variance they remove.

Constant-rate SGD does not settle: its iterates keep moving inside the noise ball
(:mod:`optbook.noise_ball`). An average of them does settle. Two averages are common:

* **Polyak–Ruppert averaging** (Polyak & Juditsky 1992; Ruppert 1988): the plain mean
  :math:`\bar x = \frac1n\sum_{t=T-n+1}^{T} x_t` of the last :math:`n` iterates
  (:func:`optbook.schedules.polyak_average`), or the running mean from a step :math:`s` on
  (:func:`running_average`);
* **exponential averaging** of the iterates (:func:`exponential_average`):
  :math:`z_t = \beta z_{t-1} + (1-\beta)x_t`, :math:`z_0 = x_0`, as in
  ``torch.optim.swa_utils.AveragedModel`` with an exponential average.

**How much variance they remove.** Along an eigen-direction of a quadratic with additive noise,
the error of SGD is a stationary autoregression :math:`e_{t+1} = r e_t + \text{noise}` with
:math:`r = 1 - \eta\lambda` and variance :math:`v` (the noise ball), so
:math:`\operatorname{Cov}(e_t, e_{t+k}) = v\,r^{|k|}`. Summing these covariances,

.. math::
    \operatorname{Var}\Big(\frac1n\sum_{t=1}^{n} e_t\Big)
      = \frac{v}{n}\Big(\frac{1+r}{1-r} - \frac{2r(1-r^n)}{n(1-r)^2}\Big), \qquad
    \operatorname{Var} z = v\,\frac{1-\beta}{1+\beta}\,\frac{1+\beta r}{1-\beta r}

(:func:`tail_average_variance`, :func:`ema_variance`; the second is the stationary variance
of the exponential average, from :math:`\sum_{j,k}\beta^{j+k}r^{|j-k|} =
\frac{1+\beta r}{(1-\beta^2)(1-\beta r)}`). For a long window the first tends to
:math:`v(1+r)/(n(1-r))`; with the noise ball :math:`v = \eta c_S\sigma^2/(\lambda(2-\eta\lambda))`
that is :math:`c_S\sigma^2/(\lambda^2 n)`, which does not depend on :math:`\eta`.
"""

from __future__ import annotations

import numpy as np

_BLOCK = 256
"""Steps per matrix product in :func:`exponential_average`."""


def _positions(positions):
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim != 2 or positions.shape[0] == 0:
        raise ValueError(f"positions must be a non-empty (steps, dim) array, got "
                         f"{positions.shape}")
    return positions


def running_average(positions, start: int = 0) -> np.ndarray:
    r"""The running means :math:`\bar x_t = \frac{1}{t-s+1}\sum_{u=s}^{t} x_u` for
    :math:`t = s, \dots, T`, :math:`s` = ``start``; shape ``(T - s + 1, dim)``."""
    positions = _positions(positions)
    if isinstance(start, bool) or not isinstance(start, int | np.integer) or not (
        0 <= start < positions.shape[0]
    ):
        raise ValueError(f"start must be an integer in [0, {positions.shape[0] - 1}], "
                         f"got {start!r}")
    tail = positions[start:]
    return np.cumsum(tail, axis=0) / np.arange(1, tail.shape[0] + 1)[:, None]


def exponential_average(positions, beta: float) -> np.ndarray:
    r"""The exponential averages :math:`z_t = \beta z_{t-1} + (1-\beta)x_t`,
    :math:`z_0 = x_0`, for every :math:`t`; ``beta`` in [0, 1).

    Computed in blocks of 256 steps: inside a block starting after :math:`z_{s}`,
    :math:`z_{s+j} = \beta^{j} z_{s} + (1-\beta)\sum_{i=1}^{j}\beta^{j-i}x_{s+i}`, one
    matrix product per block instead of a Python step per iterate."""
    positions = _positions(positions)
    beta = float(beta)
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta must be in [0, 1), got {beta!r}")
    lags = np.arange(_BLOCK)
    weights = np.tril((1.0 - beta) * beta ** np.subtract.outer(lags, lags).clip(0))
    carry = beta ** (lags + 1.0)
    out = np.empty_like(positions)
    out[0] = positions[0]
    for s in range(1, positions.shape[0], _BLOCK):
        block = positions[s:s + _BLOCK]
        k = block.shape[0]
        out[s:s + k] = weights[:k, :k] @ block + carry[:k, None] * out[s - 1]
    return out


def _rate(rate):
    r = np.asarray(rate, dtype=np.float64)
    if r.size == 0 or not np.all(np.isfinite(r)) or np.any(np.abs(r) >= 1.0):
        raise ValueError(f"rate must be in (-1, 1), got {rate}")
    return r


def _variance(variance):
    v = np.asarray(variance, dtype=np.float64)
    if v.size == 0 or not np.all(np.isfinite(v)) or np.any(v < 0):
        raise ValueError(f"variance must be finite and >= 0, got {variance}")
    return v


def _scalar(a):
    return float(a) if np.ndim(a) == 0 else a


def tail_average_variance(rate, variance, n):
    r"""The variance of the mean of ``n`` (>= 1) consecutive values of a stationary AR(1)
    process with coefficient ``rate`` :math:`r \in (-1, 1)` and variance ``variance``
    (see the module docstring). Broadcasting."""
    r, v = _rate(rate), _variance(variance)
    n_arr = np.asarray(n)
    if n_arr.dtype.kind not in "iu" or np.any(n_arr < 1):
        raise ValueError(f"n must be an integer >= 1, got {n}")
    n_arr = n_arr.astype(np.float64)
    return _scalar(v / n_arr * ((1 + r) / (1 - r)
                                - 2 * r * (1 - r**n_arr) / (n_arr * (1 - r) ** 2)))


def ema_variance(rate, variance, beta):
    r"""The stationary variance of the exponential average with weight ``beta`` in [0, 1) of
    a stationary AR(1) process with coefficient ``rate`` and variance ``variance``.
    Broadcasting."""
    r, v = _rate(rate), _variance(variance)
    b = np.asarray(beta, dtype=np.float64)
    if b.size == 0 or not np.all(np.isfinite(b)) or np.any((b < 0) | (b >= 1)):
        raise ValueError(f"beta must be in [0, 1), got {beta}")
    return _scalar(v * (1 - b) / (1 + b) * (1 + b * r) / (1 - b * r))
