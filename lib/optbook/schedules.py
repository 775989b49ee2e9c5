r"""Learning-rate schedules, gradient clipping and Polyak averaging.

A :class:`Schedule` is an integer ``code`` plus a float64 ``params`` array, evaluated by the
jitted :func:`schedule_lr` inside trajectory loops. Steps are counted from :math:`t = 1`, and
every schedule except the cyclical one and the warm-up starts at the optimizer's rate:
:math:`\eta_1 = \eta_0`.

========================  ====================================================================
schedule                  :math:`\eta_t`
========================  ====================================================================
constant                  :math:`\eta_0`
step(drop, every)         :math:`\eta_0\,\mathrm{drop}^{\lfloor (t-1)/\mathrm{every}\rfloor}`
exponential(k)            :math:`\eta_0\, e^{-k(t-1)}`
inverse_time(k)           :math:`\eta_0 / (1 + k(t-1))`
piecewise_linear(tau, a)  :math:`(1-s)\eta_0 + s\,a`, :math:`s = \min((t-1)/\tau, 1)`
cyclical(lo, hi, h)       triangle between lo and hi, half-period h steps, starting at lo
cosine(T, m)              :math:`m + \tfrac12(\eta_0-m)(1+\cos(\pi\min(t-1,T)/T))`
polynomial(p, k)          :math:`\eta_0\,(1 + k(t-1))^{-p}` (:math:`k = 1`: :math:`\eta_0 t^{-p}`)
warmup(W, then)           :math:`\eta_0 t/W` for :math:`t \le W`, then ``then`` at :math:`t - W`
========================  ====================================================================

Sources: step, exponential and 1/t decay as in DD2424 lecture 5; piecewise-linear decay
(Goodfellow, Bengio & Courville 2016, sec. 8.3.1); triangular cyclical rates (Smith 2017);
cosine annealing without restarts (Loshchilov & Hutter 2017); the polynomial decay
:math:`\eta t^{-p}` of EE 628 lecture 5 (:math:`p = 1` or :math:`1/2`) and of Robbins & Monro
(1951); linear warm-up (Goyal et al. 2017, *Accurate, large minibatch SGD*), here followed by
any other schedule started afresh. The step schedule's power is binary exponentiation
(multiplications only), so it is reproducible bit for bit; exponential and cosine call libm's
``exp`` and ``cos``, the polynomial decay its ``pow``.

A rate cut when the loss stops improving (reduce-on-plateau) depends on the run, not only on
:math:`t`: it lives where a training loop drives it, :class:`optbook.plateau.ReduceOnPlateau`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

CONSTANT = 0
STEP = 1
EXPONENTIAL = 2
INVERSE_TIME = 3
PIECEWISE_LINEAR = 4
CYCLICAL = 5
COSINE = 6
POLYNOMIAL = 7
WARMUP = 8


@njit(cache=True, error_model="numpy", inline="always")
def _integer_power(base, n):
    """``base**n`` by binary exponentiation: only multiplications, so reproducible anywhere."""
    result = 1.0
    while n > 0:
        if n & 1:
            result *= base
        base *= base
        n >>= 1
    return result


@njit(cache=True, error_model="numpy", inline="always")
def schedule_lr(code, params, lr0, t):
    """The learning rate of step ``t`` (from 1) for schedule ``code`` with base rate ``lr0``."""
    o = 0  # where the parameters of the schedule evaluated below start in ``params``
    if code == WARMUP:
        warm = int(params[0])
        if t <= warm:
            return lr0 * t / warm
        t = t - warm
        code = int(params[1])
        o = 2
    k = t - 1
    if code == STEP:
        return lr0 * _integer_power(params[o], k // int(params[o + 1]))
    if code == EXPONENTIAL:
        return lr0 * math.exp(-params[o] * k)
    if code == INVERSE_TIME:
        return lr0 / (1.0 + params[o] * k)
    if code == PIECEWISE_LINEAR:
        s = min(k / params[o], 1.0)
        return (1.0 - s) * lr0 + s * params[o + 1]
    if code == CYCLICAL:
        lo, hi, half = params[o], params[o + 1], params[o + 2]
        position = k / half
        distance = abs(position - 2.0 * math.floor(position / 2.0) - 1.0)
        return lo + (hi - lo) * (1.0 - distance)
    if code == COSINE:
        horizon = params[o]
        s = min(k, horizon) / horizon
        return params[o + 1] + 0.5 * (lr0 - params[o + 1]) * (1.0 + math.cos(math.pi * s))
    if code == POLYNOMIAL:
        return lr0 * (1.0 + params[o + 1] * k) ** -params[o]
    return lr0


@dataclass(frozen=True, eq=False)
class Schedule:
    """A learning-rate schedule: ``sched(t, lr0)`` is the rate of step ``t`` (from 1)."""

    name: str
    code: int
    params: np.ndarray

    def __call__(self, t: int, lr0: float = 1.0) -> float:
        if isinstance(t, bool) or not isinstance(t, int | np.integer) or t < 1:
            raise ValueError(f"t must be an integer >= 1, got {t!r}")
        return schedule_lr(self.code, self.params, float(lr0), int(t))


def _schedule(name, code, *values):
    params = np.array(values, dtype=np.float64)
    params.setflags(write=False)
    return Schedule(name, code, params)


def _number(name, value, low, high=math.inf, low_open=False, integer=False):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    below = value <= low if low_open else value < low
    interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high == math.inf else ']'}"
    if math.isnan(value) or below or value > high or (high == math.inf and value == math.inf):
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    if integer and value != int(value):
        raise ValueError(f"{name} must be an integer in {interval}, got {value!r}")
    return value


def constant() -> Schedule:
    """:math:`\\eta_t = \\eta_0`."""
    return _schedule("constant", CONSTANT)


def step(drop: float, every: int) -> Schedule:
    """Multiply the rate by ``drop`` in (0, 1] every ``every`` (>= 1) steps."""
    return _schedule(
        "step", STEP, _number("drop", drop, 0.0, 1.0, low_open=True),
        _number("every", every, 1.0, integer=True),
    )


def exponential(k: float) -> Schedule:
    """:math:`\\eta_t = \\eta_0 e^{-k(t-1)}`, ``k`` >= 0."""
    return _schedule("exponential", EXPONENTIAL, _number("k", k, 0.0))


def inverse_time(k: float) -> Schedule:
    """:math:`\\eta_t = \\eta_0/(1 + k(t-1))`, ``k`` >= 0 (the 1/t decay)."""
    return _schedule("inverse_time", INVERSE_TIME, _number("k", k, 0.0))


def piecewise_linear(tau: int, alpha_tau: float) -> Schedule:
    """Linear decay from :math:`\\eta_0` to ``alpha_tau`` (>= 0) over ``tau`` (>= 1) steps."""
    return _schedule(
        "piecewise_linear", PIECEWISE_LINEAR, _number("tau", tau, 1.0),
        _number("alpha_tau", alpha_tau, 0.0),
    )


def cyclical(lo: float, hi: float, half_period: int) -> Schedule:
    """Triangular cyclical rate between ``lo`` and ``hi`` (Smith 2017), ignoring
    :math:`\\eta_0`: ``lo`` at :math:`t = 1`, ``hi`` ``half_period`` steps later."""
    lo = _number("lo", lo, 0.0)
    return _schedule(
        "cyclical", CYCLICAL, lo, _number("hi", hi, lo), _number("half_period", half_period, 1.0)
    )


def cosine(T: int, lr_min: float = 0.0) -> Schedule:
    """Cosine annealing from :math:`\\eta_0` to ``lr_min`` (>= 0) over ``T`` (>= 1) steps."""
    return _schedule("cosine", COSINE, _number("T", T, 1.0), _number("lr_min", lr_min, 0.0))



def polynomial(p: float, k: float = 1.0) -> Schedule:
    """:math:`\\eta_t = \\eta_0 (1 + k(t-1))^{-p}`, ``p`` >= 0, ``k`` >= 0; with ``k = 1`` the
    decay :math:`\\eta_0 t^{-p}` of EE 628 lecture 5 (``p = 1``: :func:`inverse_time` with
    ``k = 1``)."""
    return _schedule("polynomial", POLYNOMIAL, _number("p", p, 0.0), _number("k", k, 0.0))


def warmup(steps: int, then: Schedule | None = None) -> Schedule:
    """Linear warm-up: :math:`\\eta_t = \\eta_0 t/W` for :math:`t \\le W` = ``steps`` (>= 1),
    so the rate reaches :math:`\\eta_0` at step :math:`W`; from step :math:`W+1` on, ``then``
    (constant if ``None``; any schedule but a warm-up) evaluated at :math:`t - W`, as if it
    started there."""
    then = constant() if then is None else then
    if not isinstance(then, Schedule) or then.code == WARMUP:
        raise ValueError(f"then must be None or a Schedule other than a warm-up, got {then!r}")
    return _schedule("warmup", WARMUP, _number("steps", steps, 1.0, integer=True), then.code,
                     *then.params)


# --------------------------------------------------------------------------- clipping, averaging

CLIP_NONE = 0
CLIP_VALUE = 1
CLIP_NORM = 2


@njit(cache=True, error_model="numpy", inline="always")
def clip_value_element(g, c):
    """One component clipped to :math:`[-c, c]`."""
    return min(max(g, -c), c)


@njit(cache=True, error_model="numpy", inline="always")
def norm_clip_factor(total, c):
    r"""The factor :math:`\min(1, c/\|g\|)` for a gradient with :math:`\|g\|^2` = ``total``."""
    norm = math.sqrt(total)
    return c / norm if norm > c else 1.0


@njit(cache=True, error_model="numpy", inline="always")
def clip_elementwise(g, c):
    """Clip every component of ``g`` to :math:`[-c, c]`, in place."""
    for i in range(g.size):
        g[i] = clip_value_element(g[i], c)


@njit(cache=True, error_model="numpy", inline="always")
def clip_by_norm(g, c):
    """Rescale ``g`` in place to norm ``c`` if its Euclidean norm exceeds ``c``."""
    total = 0.0
    for i in range(g.size):
        total += g[i] * g[i]
    factor = norm_clip_factor(total, c)
    for i in range(g.size):
        g[i] *= factor


@njit(cache=True, error_model="numpy", inline="always")
def apply_clip(mode, c, g):
    """Clip ``g`` in place: ``mode`` is CLIP_NONE, CLIP_VALUE or CLIP_NORM."""
    if mode == CLIP_VALUE:
        clip_elementwise(g, c)
    elif mode == CLIP_NORM:
        clip_by_norm(g, c)


@njit(cache=True, error_model="numpy", inline="always")
def clip_2d(mode, c, g0, g1):
    """:func:`apply_clip` on a 2-D gradient held in scalars; returns the clipped pair (float64).
    """
    if mode == CLIP_VALUE:
        return clip_value_element(g0, c), clip_value_element(g1, c)
    if mode == CLIP_NORM:
        total = 0.0
        total += g0 * g0
        total += g1 * g1
        factor = norm_clip_factor(total, c)
        return g0 * factor, g1 * factor
    return np.float64(g0), np.float64(g1)


def parse_clip(clip) -> tuple[int, float]:
    """Validate ``None`` or ``("value" | "norm", c)``, ``c`` > 0, as ``(mode, c)``."""
    if clip is None:
        return CLIP_NONE, 0.0
    modes = {"value": CLIP_VALUE, "norm": CLIP_NORM}
    if not (isinstance(clip, tuple | list) and len(clip) == 2 and clip[0] in modes):
        raise ValueError(f'clip must be None, ("value", c) or ("norm", c), got {clip!r}')
    return modes[clip[0]], _number("clip threshold c", clip[1], 0.0, low_open=True)


def polyak_average(positions, n: int) -> np.ndarray:
    r"""Polyak averaging: the mean of the last ``n`` iterates,
    :math:`\bar x = \frac1n\sum_{t=T-n+1}^{T} x_t` (Polyak & Juditsky 1992)."""
    positions = np.asarray(positions)
    if positions.ndim != 2 or positions.shape[0] == 0:
        raise ValueError(f"positions must be a non-empty (steps, dim) array, got {positions.shape}")
    n_int = int(_number("n", n, 1.0, positions.shape[0], integer=True))
    return positions[-n_int:].mean(axis=0)
