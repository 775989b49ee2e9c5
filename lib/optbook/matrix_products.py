r"""Products of random Gaussian matrices: how fast they grow, and how much that varies.

A deep network's gradient is a product of one Jacobian per layer; the simplest model of such a
product multiplies :math:`N` matrices :math:`G_k` of size :math:`n\times n` with independent
standard normal entries. Furstenberg & Kesten (1960) showed that
:math:`\frac1N\ln\|G_N\cdots G_1\|` converges almost surely to the *top Lyapunov exponent*
:math:`\lambda_1`; for Gaussian matrices the whole spectrum is known in closed form
(Newman 1986):

.. math:: \lambda_i = \tfrac12\bigl(\ln 2 + \psi\bigl(\tfrac{n-i+1}2\bigr)\bigr),
          \qquad i = 1, \dots, n,

with :math:`\psi` the digamma function. Rotation invariance makes the growth of one vector
exact: for any fixed :math:`v \ne 0`, the ratios :math:`\|G_k u\|/\|u\|` of successive images
are independent and distributed as :math:`\sqrt{\chi^2_n}`, so

.. math:: \ln\frac{\|G_N\cdots G_1 v\|}{\|v\|} = \sum_{k=1}^N \tfrac12\ln\chi^2_{n,k}
          \quad\text{has mean } N\lambda_1 \text{ and variance } N\,\tfrac14\psi'(n/2)

(:func:`log_growth_moments`; :math:`\psi'` the trigamma function). :func:`log10_max_entries`
measures the largest entry of such products by simulation, renormalising as it goes so that
products of any length stay finite.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

EULER_GAMMA = 0.5772156649015329


def _half_integer(name, x):
    twice = 2.0 * float(x)
    if not (twice >= 1.0 and twice == round(twice)):
        raise ValueError(f"{name} must be a positive integer or half-integer, got {x!r}")
    return int(round(twice))


def digamma_half_integer(x: float) -> float:
    r""":math:`\psi(x)` for :math:`x = 1/2, 1, 3/2, \dots`: from :math:`\psi(1) = -\gamma`,
    :math:`\psi(1/2) = -\gamma - 2\ln 2` and :math:`\psi(x+1) = \psi(x) + 1/x`."""
    twice = _half_integer("x", x)
    value, start = (-EULER_GAMMA, 1.0) if twice % 2 == 0 else (-EULER_GAMMA - 2 * math.log(2),
                                                               0.5)
    y = start
    while y < x:
        value += 1.0 / y
        y += 1.0
    return value


def trigamma_half_integer(x: float) -> float:
    r""":math:`\psi'(x)` for :math:`x = 1/2, 1, 3/2, \dots`: from :math:`\psi'(1) = \pi^2/6`,
    :math:`\psi'(1/2) = \pi^2/2` and :math:`\psi'(x+1) = \psi'(x) - 1/x^2`."""
    twice = _half_integer("x", x)
    value, start = (math.pi**2 / 6, 1.0) if twice % 2 == 0 else (math.pi**2 / 2, 0.5)
    y = start
    while y < x:
        value -= 1.0 / (y * y)
        y += 1.0
    return value


def _size(n):
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    return int(n)


def gaussian_lyapunov_exponents(n: int) -> np.ndarray:
    r"""The Lyapunov exponents :math:`\lambda_1 > \dots > \lambda_n` (natural logarithm, per
    matrix) of products of :math:`n\times n` matrices with independent :math:`\mathcal N(0,1)`
    entries (Newman 1986): :math:`\frac12(\ln 2 + \psi(\frac{n-i+1}2))`."""
    n = _size(n)
    return np.array([0.5 * (math.log(2.0) + digamma_half_integer((n - i + 1) / 2))
                     for i in range(1, n + 1)])


class LogGrowth(NamedTuple):
    """Mean and variance of :math:`\\ln(\\|Gv\\|/\\|v\\|)` for one Gaussian matrix ``G``."""

    mean: float
    variance: float


def log_growth_moments(n: int) -> LogGrowth:
    r"""Mean :math:`\lambda_1 = \frac12(\ln 2+\psi(n/2))` and variance
    :math:`\frac14\psi'(n/2)` of :math:`\frac12\ln\chi^2_n`, the log-growth of a vector's norm
    under one :math:`n\times n` standard Gaussian matrix. Over :math:`N` matrices the
    log-growth is a sum of :math:`N` independent copies."""
    n = _size(n)
    return LogGrowth(0.5 * (math.log(2.0) + digamma_half_integer(n / 2)),
                     0.25 * trigamma_half_integer(n / 2))


def log10_max_entries(count: int, *, n: int = 4, start=None, trials: int = 10_000,
                      seed=0, every_step: bool = False) -> np.ndarray:
    r""":math:`\log_{10}\max_{ij}|(S\,G_1 G_2\cdots G_\text{count})_{ij}|` for ``trials``
    independent draws of the :math:`G_k` (``n`` by ``n``, entries :math:`\mathcal N(0,1)`,
    from ``numpy.random.default_rng(seed)``, all trials' :math:`G_1` first, then their
    :math:`G_2`, ...).

    ``start`` :math:`S`: a fixed ``n`` by ``n`` matrix (default: the identity). After each
    multiplication the product is divided by its largest entry and the logarithm of that entry
    is added to a running total, so the result is exact up to rounding for any ``count``.
    Returns an array of ``trials`` values, or with ``every_step`` one of shape
    ``(count + 1, trials)`` whose row ``k`` is for the product of :math:`S` and the first
    :math:`k` matrices."""
    if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 0:
        raise ValueError(f"count must be an integer >= 0, got {count!r}")
    n = _size(n)
    if isinstance(trials, bool) or not isinstance(trials, int | np.integer) or trials < 1:
        raise ValueError(f"trials must be an integer >= 1, got {trials!r}")
    s = np.eye(n) if start is None else np.asarray(start, dtype=np.float64)
    if s.shape != (n, n) or not np.all(np.isfinite(s)) or not np.any(s):
        raise ValueError(f"start must be a finite, nonzero {n}x{n} matrix, got shape {s.shape}")
    rng = np.random.default_rng(seed)
    product = np.broadcast_to(s, (trials, n, n)).copy()
    if not isinstance(every_step, bool):
        raise ValueError(f"every_step must be True or False, got {every_step!r}")
    history = np.empty((count + 1, trials))
    largest = np.abs(product).max(axis=(1, 2))
    product /= largest[:, None, None]
    history[0] = np.log10(largest)
    for k in range(1, count + 1):
        product = product @ rng.standard_normal((trials, n, n))
        largest = np.abs(product).max(axis=(1, 2))
        product /= largest[:, None, None]
        history[k] = history[k - 1] + np.log10(largest)
    return history if every_step else history[-1]
