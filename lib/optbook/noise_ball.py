r"""The noise ball of mini-batch SGD on a sum of quadratics: closed forms and exact moments.

Write :math:`e_t = x_t - x^\star` and, for a batch :math:`B`, :math:`H_B` and :math:`z_B` for the
batch means of the Hessians :math:`H_i` and of the per-example gradients at the minimiser,
:math:`z_i = H_i x^\star - q_i` (both average to :math:`A` and 0 over the data). One step of
SGD on a :class:`~optbook.finite_sum.QuadraticSum` is exactly

.. math:: e_{t+1} = (I - \eta_t H_{B_t})\, e_t - \eta_t z_{B_t}.

**Batch noise.** The mean of :math:`S` of :math:`N` zero-mean values :math:`u_i` (population
covariance :math:`\Sigma = \frac1N\sum_i u_iu_i^\top`) has covariance :math:`c_S\Sigma` with
(:func:`batch_noise_factor`; W. G. Cochran, *Sampling Techniques*, 1977, theorem 2.2)

.. math:: c_S = \frac1S \text{ (with replacement)}, \qquad
          c_S = \frac1S\,\frac{N-S}{N-1} \text{ (without)}.

The same factor multiplies every second moment of paired batch means, such as
:math:`\mathbb E[(H_B - A)\,M\,(H_B - A)]` and :math:`\mathbb E[(H_B - A)\,m\,z_B^\top]`.

**Exact moments** (:func:`moments`, :func:`stationary_covariance`). When the batches of
different steps are independent (``"replacement"`` and ``"subset"``), the mean
:math:`m_t = \mathbb E e_t` and the second moment :math:`M_t = \mathbb E\, e_te_t^\top` follow
a linear recursion with no approximation:

.. math::
    m_{t+1} &= (I - \eta A)\, m_t, \\
    M_{t+1} &= M_t - \eta(AM_t + M_tA) + \eta^2\big(AM_tA + c_S V(M_t)\big)
               + \eta^2 c_S\big(W(m_t) + W(m_t)^\top\big) + \eta^2 c_S Z,

with :math:`V(M) = \frac1N\sum_i D_i M D_i`, :math:`W(m) = \frac1N\sum_i D_i\, m\, z_i^\top`,
:math:`D_i = H_i - A` and :math:`Z = \frac1N\sum_i z_iz_i^\top`, the gradient covariance at
the minimiser. The expected excess loss is :math:`\tfrac12\operatorname{tr}(AM_t)`.

**Additive noise** (:math:`D_i = 0`, a :func:`~optbook.finite_sum.shifted_quadratic`): the
recursion splits along the eigenvectors of :math:`A`. With :math:`\sigma_j^2` the gradient
variance along eigenvector :math:`j`, :math:`v_{t+1} = (1-\eta\lambda_j)^2 v_t +
\eta^2 c_S\sigma_j^2`, whose fixed point is the noise ball (:func:`sgd_stationary_variance`)

.. math:: v_j^\star = \frac{\eta\, c_S\, \sigma_j^2}{\lambda_j(2 - \eta\lambda_j)}
          \qquad (0 < \eta\lambda_j < 2),

:math:`\eta\sigma^2/(S\lambda(2-\eta\lambda))` with replacement. With multiplicative noise
(least squares) the term :math:`c_S V(M)` adds to it and the ball is larger.

**Random reshuffling** (``"shuffle"``) makes the batches of an epoch dependent: their noise
adds up to exactly zero over the epoch. For additive noise :func:`reshuffled_variance` gives
the exact stationary variance (derivation in its docstring).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from optbook import checks
from optbook.finite_sum import QuadraticSum, check_sampling

_INDEPENDENT = ("replacement", "subset")


def _positive(name, value):
    a = np.asarray(value, dtype=np.float64)
    if a.size == 0 or not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ValueError(f"{name} must be finite and > 0, got {value}")
    return a



def batch_noise_factor(n: int, batch_size: int, sampling: str = "replacement") -> float:
    r""":math:`c_S`: the covariance of a mini-batch mean of :math:`S` = ``batch_size`` of the
    ``n`` values, divided by their population covariance: :math:`1/S` for ``"replacement"``,
    :math:`(N-S)/(S(N-1))` for ``"subset"`` and ``"shuffle"`` (one batch of a shuffled epoch
    is a uniformly random subset)."""
    n = checks.count("n", n, 2)
    s = checks.count("batch_size", batch_size, 1, n)
    if check_sampling(sampling) == "replacement":
        return 1.0 / s
    return (n - s) / (s * (n - 1.0))


def sgd_stationary_variance(lr, lam, noise_var, batch_size=1, n=None, sampling="replacement"):
    r"""The noise ball along an eigen-direction with additive noise,
    :math:`\eta c_S\sigma^2/(\lambda(2-\eta\lambda))`, ``inf`` where :math:`\eta\lambda \ge 2`.

    ``noise_var`` :math:`\sigma^2` is the per-example gradient variance along the direction;
    with ``n`` (the number of examples) the factor :math:`c_S` of ``sampling`` (independent
    batches only: ``"replacement"`` or ``"subset"``), without it :math:`1/S`. ``lr``, ``lam``
    and ``noise_var`` broadcast."""
    lr = _positive("lr", lr)
    lam = _positive("lam", lam)
    noise_var = np.asarray(noise_var, dtype=np.float64)
    if not np.all(np.isfinite(noise_var)) or np.any(noise_var < 0):
        raise ValueError(f"noise_var must be finite and >= 0, got {noise_var}")
    if sampling not in _INDEPENDENT:
        raise ValueError(f"sampling must be one of {_INDEPENDENT} (for 'shuffle' see "
                         f"reshuffled_variance), got {sampling!r}")
    if n is None:
        factor = 1.0 / checks.count("batch_size", batch_size, 1)
    else:
        factor = batch_noise_factor(n, batch_size, sampling)
    a = lr * lam
    with np.errstate(divide="ignore"):
        var = np.where(a < 2.0, lr * factor * noise_var / (lam * (2.0 - a)), np.inf)
    return float(var) if var.ndim == 0 else var


class Reshuffled(NamedTuple):
    """The stationary variance of one eigen-component under random reshuffling."""

    epoch_start: float
    """At the start of an epoch (after a whole number of epochs)."""
    average: float
    """Averaged over the :math:`\\lceil N/S\\rceil` iterates of an epoch (what a long run's
    time average measures)."""


def reshuffled_variance(lr, lam, noise_var, n, batch_size) -> Reshuffled:
    r"""The exact stationary variance of :math:`e_t` along a direction :math:`\lambda` under
    random reshuffling, for additive noise of per-example variance :math:`\sigma^2` =
    ``noise_var`` and :math:`N` = ``n`` examples in batches of :math:`S` = ``batch_size``.

    An epoch has :math:`m = \lceil N/S\rceil` batches of sizes :math:`s_k`. Their noises
    :math:`\xi_k` (batch means of one permutation's blocks) have
    :math:`\operatorname{Var}\xi_k = \sigma^2\frac{N - s_k}{s_k(N-1)}` and, for two different
    batches, :math:`\operatorname{Cov}(\xi_j, \xi_k) = -\sigma^2/(N-1)`: their sum is 0. With
    :math:`r = 1-\eta\lambda`, after :math:`p` batches
    :math:`e_p = r^p e_0 - \eta\sum_{k<p} r^{p-1-k}\xi_k`, where :math:`e_0` does not depend on
    the epoch's noise, so

    .. math::
        \operatorname{Var} e_p = r^{2p} P + \frac{\eta^2\sigma^2}{N-1}
            \Big(N\sum_{k<p}\frac{r^{2(p-1-k)}}{s_k} - \Big(\sum_{k<p} r^{p-1-k}\Big)^2\Big),

    and stationarity at the epoch's end, :math:`\operatorname{Var} e_m = P`, gives :math:`P`.
    The average runs over :math:`p = 0, \dots, m-1`. Needs :math:`0 < \eta\lambda < 2`.
    """
    lr, lam = float(_positive("lr", lr)), float(_positive("lam", lam))
    noise_var = float(noise_var)
    if not (math.isfinite(noise_var) and noise_var >= 0):
        raise ValueError(f"noise_var must be finite and >= 0, got {noise_var!r}")
    n = checks.count("n", n, 2)
    s = checks.count("batch_size", batch_size, 1, n)
    r = 1.0 - lr * lam
    if not abs(r) < 1.0:
        raise ValueError(f"lr * lam must be in (0, 2) for a stationary variance, got {lr * lam}")
    m = -(-n // s)
    sizes = np.minimum(s, n - s * np.arange(m))
    squares = np.empty(m + 1)  # sum_{k<p} r^(2(p-1-k)) N / s_k
    plain = np.empty(m + 1)  # sum_{k<p} r^(p-1-k)
    squares[0] = plain[0] = 0.0
    for p in range(1, m + 1):
        squares[p] = r * r * squares[p - 1] + n / sizes[p - 1]
        plain[p] = r * plain[p - 1] + 1.0
    added = lr * lr * noise_var / (n - 1.0) * (squares - plain * plain)
    start = added[m] / (1.0 - r ** (2 * m))
    per_position = r ** (2.0 * np.arange(m)) * start + added[:m]
    return Reshuffled(float(start), float(per_position.mean()))


class Moments(NamedTuple):
    """Exact first and second moments of :math:`e_t = x_t - x^\\star` under mini-batch SGD."""

    mean: np.ndarray
    r"""``(T+1, d)`` :math:`\mathbb E e_t`."""
    second: np.ndarray
    r"""``(T+1, d, d)`` :math:`\mathbb E\, e_te_t^\top`."""
    excess: np.ndarray
    r"""``(T+1,)`` the expected excess loss, :math:`\tfrac12\operatorname{tr}(A M_t)`."""


class _Recursion(NamedTuple):
    """The moment recursion's pieces, ``vec`` row-major (``M.ravel()``)."""

    first: np.ndarray
    """Multiplies vec M by eta: -(A kron I + I kron A)."""
    second: np.ndarray
    """Multiplies vec M by eta^2: A kron A + c_S V."""
    cross: np.ndarray
    """Multiplies m by eta^2: c_S (W + W^T) as a (d^2, d) map."""
    source: np.ndarray
    """Multiplies eta^2: c_S vec Z."""


def _recursion(problem, batch_size, sampling):
    if not isinstance(problem, QuadraticSum):
        raise ValueError(f"problem must be a QuadraticSum, got {type(problem).__name__}")
    if sampling not in _INDEPENDENT:
        raise ValueError(f"sampling must be one of {_INDEPENDENT}: the moment recursion needs "
                         f"independent batches, got {sampling!r}")
    c = batch_noise_factor(problem.n, batch_size, sampling)
    a = problem.mean_hessian
    d = problem.dim
    eye = np.eye(d)
    deviations = problem.hessians - a
    z = problem.sample_grads(problem.minimizer)
    z -= z.mean(axis=0)  # exactly 0 in exact arithmetic; removes the solve's rounding
    v = np.einsum("nac,nbe->abce", deviations, deviations).reshape(d * d, d * d) / problem.n
    w = np.einsum("nac,nb->abc", deviations, z) / problem.n
    w_t = np.einsum("nbc,na->abc", deviations, z) / problem.n
    return _Recursion(
        -(np.kron(a, eye) + np.kron(eye, a)),
        np.kron(a, a) + c * v,
        c * (w + w_t).reshape(d * d, d),
        c * (z.T @ z / problem.n).ravel(),
    )


def moments(problem: QuadraticSum, x0, lrs, batch_size: int = 1,
            sampling: str = "replacement") -> Moments:
    r"""The exact :math:`\mathbb E e_t`, :math:`\mathbb E e_te_t^\top` and expected excess loss
    of SGD on ``problem`` from ``x0`` with the rates ``lrs`` (:math:`\eta_1, \dots, \eta_T`,
    each > 0), batches of ``batch_size`` drawn independently by ``sampling`` (``"replacement"``
    or ``"subset"``), by the recursion of the module docstring, in one compiled loop (about
    a hundred times faster than the same recursion one NumPy product at a time:
    ``benchmarks/bench_finite_sum.py``)."""
    rec = _recursion(problem, batch_size, sampling)
    lrs = _positive("lrs", lrs).reshape(-1)
    x0 = np.asarray(x0, dtype=np.float64)
    if x0.shape != (problem.dim,) or not np.all(np.isfinite(x0)):
        raise ValueError(f"x0 must be {problem.dim} finite numbers, got {x0}")
    d = problem.dim
    steps = lrs.size
    mean = np.empty((steps + 1, d))
    second = np.empty((steps + 1, d * d))
    mean[0] = x0 - problem.minimizer
    second[0] = np.outer(mean[0], mean[0]).ravel()
    _moment_steps(rec.first, rec.second, rec.cross, rec.source, problem.mean_hessian, lrs, mean,
                  second)
    second = second.reshape(steps + 1, d, d)
    excess = 0.5 * np.einsum("ij,tji->t", problem.mean_hessian, second)
    return Moments(mean, second, excess)


@njit(cache=True, error_model="numpy")
def _moment_steps(first, second_order, cross, source, a, lrs, mean, second):
    """Fill ``mean[1:]`` and ``second[1:]`` (vec M, row-major) by the moment recursion."""
    d = mean.shape[1]
    d2 = second.shape[1]
    for t in range(lrs.size):
        lr = lrs[t]
        lr2 = lr * lr
        for i in range(d2):
            total = second[t, i] + lr2 * source[i]
            for j in range(d2):
                total += (lr * first[i, j] + lr2 * second_order[i, j]) * second[t, j]
            for j in range(d):
                total += lr2 * cross[i, j] * mean[t, j]
            second[t + 1, i] = total
        for i in range(d):
            total = mean[t, i]
            for j in range(d):
                total -= lr * a[i, j] * mean[t, j]
            mean[t + 1, i] = total


def _stationary_covariance(rec, d, lr):
    """The fixed point of the recursion ``rec`` at the constant rate ``lr`` (``inf`` where the
    second moments are unbounded)."""
    step = np.eye(d * d) + lr * rec.first + lr * lr * rec.second
    if np.max(np.abs(np.linalg.eigvals(step))) >= 1.0:
        return np.full((d, d), np.inf)
    covariance = np.linalg.solve(-rec.first - lr * rec.second, lr * rec.source).reshape(d, d)
    return 0.5 * (covariance + covariance.T)


def stationary_covariance(problem: QuadraticSum, lr: float, batch_size: int = 1,
                          sampling: str = "replacement") -> np.ndarray:
    r"""The stationary :math:`\lim_t \mathbb E\, e_te_t^\top` of constant-rate SGD with
    independent batches: the fixed point of the moment recursion (mean 0),
    :math:`-(\text{first})\,\mathrm{vec}M - \eta(\text{second})\,\mathrm{vec}M =
    \eta\, c_S\,\mathrm{vec} Z` after dividing by :math:`\eta`. A ``(d, d)`` array of ``inf``
    where the second moments grow without bound (the recursion's map has spectral radius
    :math:`\ge 1`)."""
    rec = _recursion(problem, batch_size, sampling)
    return _stationary_covariance(rec, problem.dim, float(_positive("lr", lr)))


def stationary_excess(problem: QuadraticSum, lr: float, batch_size: int = 1,
                      sampling: str = "replacement") -> float:
    r"""The stationary expected excess loss :math:`\tfrac12\operatorname{tr}(AM^\star)` of
    :func:`stationary_covariance` (``inf`` where it does not exist)."""
    return float(stationary_excesses(problem, [lr], batch_size, sampling)[0])


def stationary_excesses(problem: QuadraticSum, lrs, batch_size: int = 1,
                        sampling: str = "replacement") -> np.ndarray:
    r""":func:`stationary_excess` at each constant rate of ``lrs`` (any shape, each > 0): the
    floor a schedule's current rate :math:`\eta_t` would settle at. The recursion is built
    once and each distinct rate solved once."""
    rec = _recursion(problem, batch_size, sampling)
    lrs = _positive("lrs", lrs)
    distinct, where = np.unique(lrs, return_inverse=True)
    floors = np.empty(distinct.size)
    for k, lr in enumerate(distinct):
        covariance = _stationary_covariance(rec, problem.dim, float(lr))
        floors[k] = (math.inf if np.isinf(covariance).any()
                     else 0.5 * np.trace(problem.mean_hessian @ covariance))
    return floors[where.reshape(lrs.shape)]


def mean_square_limit(problem: QuadraticSum, batch_size: int = 1,
                      sampling: str = "replacement", *, tol: float = 1e-10) -> float:
    r"""The largest constant rate for which the second moments of SGD stay bounded: the
    :math:`\eta` at which the moment recursion's map :math:`I + \eta(\text{first}) +
    \eta^2(\text{second})` reaches spectral radius 1, found by bisection on
    :math:`(0, 2/\lambda_{\max}]` to a relative ``tol``. It is :math:`2/\lambda_{\max}` for
    additive noise and smaller when the examples' curvatures differ (least squares)."""
    rec = _recursion(problem, batch_size, sampling)
    d2 = problem.dim**2

    def stable(lr):
        step = np.eye(d2) + lr * rec.first + lr * lr * rec.second
        return np.max(np.abs(np.linalg.eigvals(step))) < 1.0

    lo, hi = 0.0, 2.0 / problem.eigenvalues[-1]
    if stable(hi * (1 - tol)):
        return float(hi)
    while hi - lo > tol * hi:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if stable(mid) else (lo, mid)
    return float(lo)
