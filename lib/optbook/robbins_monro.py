r"""The sums :math:`\sum_t \eta_t` and :math:`\sum_t \eta_t^2` of a learning-rate schedule.

Robbins and Monro (1951) proved that stochastic approximation converges when the step sizes
satisfy

.. math:: \sum_{t\ge1} \eta_t = \infty, \qquad \sum_{t\ge1} \eta_t^2 < \infty :

the first lets the iterates travel any distance, the second makes the accumulated noise
:math:`\sum_t \eta_t^2\sigma^2` finite. The conditions are sufficient, not necessary.
:func:`series` gives both sums of a :class:`~optbook.schedules.Schedule` in closed form
(``inf`` where the series diverges), with :math:`t` counted from 1 as the schedules count it:

* constant: :math:`\infty` and :math:`\infty`;
* step(d, n) with :math:`d < 1`: :math:`\eta_0 n/(1-d)` and :math:`\eta_0^2 n/(1-d^2)`;
* exponential(k) with :math:`k > 0`: :math:`\eta_0/(1-e^{-k})` and
  :math:`\eta_0^2/(1-e^{-2k})`;
* inverse_time(k) with :math:`k > 0`: :math:`\infty` and :math:`\eta_0^2 k^{-2}\zeta(2, 1/k)`;
* polynomial(p, k) with :math:`k > 0`: :math:`\eta_0 k^{-p}\zeta(p, 1/k)` and
  :math:`\eta_0^2 k^{-2p}\zeta(2p, 1/k)`;
* piecewise_linear(:math:`\tau`, a) and cosine(T, m): :math:`\infty` and :math:`\infty` when
  the final rate a or m is positive;
* cyclical(lo, hi, h): :math:`\infty` and :math:`\infty` unless hi = 0;
* warmup(W, then): :math:`\eta_0 (W+1)/2` and :math:`\eta_0^2 (W+1)(2W+1)/(6W)` plus the
  sums of ``then``.

Here :math:`\zeta(s, a) = \sum_{n\ge0}(a+n)^{-s}` is the Hurwitz zeta function
(:func:`hurwitz_zeta`), finite for :math:`s > 1`: the polynomial decay's sums are infinite for
:math:`p \le 1` and :math:`2p \le 1` respectively. A piecewise-linear decay to :math:`a = 0` and
a cosine decay to :math:`m = 0` are zero after finitely many steps; their sums are those
finite sums, added up exactly.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from optbook import schedules
from optbook.schedules import Schedule, schedule_lr


class Series(NamedTuple):
    """The two Robbins–Monro sums of a schedule (``inf`` when the series diverges)."""

    sum_lr: float
    r""":math:`\sum_{t\ge1}\eta_t`."""
    sum_lr_sq: float
    r""":math:`\sum_{t\ge1}\eta_t^2`."""

    @property
    def satisfies_robbins_monro(self) -> bool:
        r"""Whether :math:`\sum\eta_t = \infty` and :math:`\sum\eta_t^2 < \infty`."""
        return math.isinf(self.sum_lr) and math.isfinite(self.sum_lr_sq)


# Bernoulli numbers B_2, B_4, ..., B_12 for the Euler-Maclaurin tail of the zeta sum
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730)
_DIRECT_TERMS = 20


def hurwitz_zeta(s: float, a: float) -> float:
    r"""The Hurwitz zeta function :math:`\zeta(s, a) = \sum_{n\ge0} (a+n)^{-s}` for
    :math:`s > 1`, :math:`a > 0`.

    The first :math:`M = 20` terms are added directly; the tail
    :math:`\sum_{n\ge M} g(n)`, :math:`g(n) = (a+n)^{-s}`, by the Euler–Maclaurin formula
    :math:`\int_M^\infty g + \tfrac12 g(M) - \sum_{j=1}^{6} \frac{B_{2j}}{(2j)!}
    g^{(2j-1)}(M)`, whose error is below :math:`10^{-15}` relative for these :math:`M`
    (Abramowitz & Stegun 23.1.30).
    """
    s, a = float(s), float(a)
    if not (math.isfinite(s) and s > 1.0):
        raise ValueError(f"s must be a finite number > 1, got {s!r}")
    if not (math.isfinite(a) and a > 0.0):
        raise ValueError(f"a must be a finite number > 0, got {a!r}")
    head = math.fsum((a + n) ** -s for n in range(_DIRECT_TERMS))
    x = a + _DIRECT_TERMS
    tail = x ** (1.0 - s) / (s - 1.0) + 0.5 * x**-s
    # -g^(2j-1)(x) = s (s+1) ... (s+2j-2) x^(-s-2j+1)
    rising = s
    factorial = 2.0
    for j, bernoulli in enumerate(_BERNOULLI, start=1):
        tail += bernoulli / factorial * rising * x ** (-s - 2 * j + 1)
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        factorial *= (2 * j + 1) * (2 * j + 2)
    return head + tail


@njit(cache=True, error_model="numpy")
def _fill_rates(code, params, lr0, out):
    for t in range(1, out.size + 1):
        out[t - 1] = schedule_lr(code, params, lr0, t)


def _check_schedule(schedule):
    if not isinstance(schedule, Schedule):
        raise ValueError(f"schedule must be an optbook Schedule, got {type(schedule).__name__}")
    return schedule


def _check_lr0(lr0):
    try:
        lr0 = float(lr0)
    except (TypeError, ValueError):
        raise ValueError(f"lr0 must be a real number >= 0, got {lr0!r}") from None
    if not (math.isfinite(lr0) and lr0 >= 0.0):
        raise ValueError(f"lr0 must be a finite number >= 0, got {lr0!r}")
    return lr0


def rates(schedule: Schedule, lr0: float, steps: int) -> np.ndarray:
    r"""The rates :math:`\eta_1, \dots, \eta_T` of ``schedule`` with base rate ``lr0`` for
    :math:`T` = ``steps`` (>= 1), in one compiled loop."""
    schedule = _check_schedule(schedule)
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    out = np.empty(int(steps))
    _fill_rates(schedule.code, schedule.params, _check_lr0(lr0), out)
    return out


def partial_sums(schedule: Schedule, lr0: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    r"""The partial sums :math:`\sum_{s\le t}\eta_s` and :math:`\sum_{s\le t}\eta_s^2` for
    :math:`t = 1..` ``steps``."""
    lr = rates(schedule, lr0, steps)
    return np.cumsum(lr), np.cumsum(lr * lr)


def _finite_support(schedule, lr0, last_nonzero_step):
    lr = rates(schedule, lr0, last_nonzero_step)
    return Series(math.fsum(lr), math.fsum(lr * lr))


def series(schedule: Schedule, lr0: float = 1.0) -> Series:
    """:math:`\\sum_t\\eta_t` and :math:`\\sum_t\\eta_t^2` of ``schedule`` with base rate
    ``lr0`` (>= 0), in closed form (see the module docstring)."""
    schedule = _check_schedule(schedule)
    lr0 = _check_lr0(lr0)
    inf = math.inf
    p = schedule.params
    code = schedule.code
    if code == schedules.WARMUP:
        warm = int(p[0])
        ramp = Series(lr0 * (warm + 1) / 2, lr0**2 * (warm + 1) * (2 * warm + 1) / (6 * warm))
        then = series(Schedule("then", int(p[1]), p[2:]), lr0)
        return Series(ramp.sum_lr + then.sum_lr, ramp.sum_lr_sq + then.sum_lr_sq)
    if lr0 == 0.0 and code != schedules.CYCLICAL:
        return Series(0.0, 0.0)
    if code == schedules.STEP and p[0] < 1.0:
        every = p[1]
        return Series(lr0 * every / (1 - p[0]), lr0**2 * every / (1 - p[0] ** 2))
    if code == schedules.EXPONENTIAL and p[0] > 0.0:
        return Series(lr0 / -math.expm1(-p[0]), lr0**2 / -math.expm1(-2 * p[0]))
    if code == schedules.INVERSE_TIME and p[0] > 0.0:
        return Series(inf, lr0**2 * p[0] ** -2 * hurwitz_zeta(2.0, 1.0 / p[0]))
    if code == schedules.POLYNOMIAL and p[0] > 0.0 and p[1] > 0.0:
        power, k = p[0], p[1]
        total = lr0 * k**-power * hurwitz_zeta(power, 1.0 / k) if power > 1.0 else inf
        squares = (lr0**2 * k ** (-2 * power) * hurwitz_zeta(2 * power, 1.0 / k)
                   if power > 0.5 else inf)
        return Series(total, squares)
    if code == schedules.PIECEWISE_LINEAR and p[1] == 0.0:
        # (1 - (t-1)/tau) lr0 is positive while t - 1 < tau, zero from then on
        return _finite_support(schedule, lr0, math.ceil(p[0]))
    if code == schedules.COSINE and p[1] == 0.0:
        return _finite_support(schedule, lr0, math.ceil(p[0]))
    if code == schedules.CYCLICAL and p[1] == 0.0:
        return Series(0.0, 0.0)
    return Series(inf, inf)
