"""Robbins–Monro sums of the schedules: closed forms against brute-force partial sums."""

import math

import numpy as np
import pytest

from optbook import robbins_monro, schedules


@pytest.mark.parametrize(
    ("s", "a", "value"),
    [
        (2.0, 1.0, math.pi**2 / 6),
        (4.0, 1.0, math.pi**4 / 90),
        (2.0, 0.5, math.pi**2 / 2),  # sum over odd n of 4/n^2 = 4 (1 - 1/4) zeta(2)
        (3.0, 1.0, 1.2020569031595942),  # Apery's constant
        (6.0, 1.0, math.pi**6 / 945),
        (2.0, 2.0, math.pi**2 / 6 - 1),  # the sum from n = 2
    ],
)
def test_hurwitz_zeta_known_values(s, a, value):
    assert robbins_monro.hurwitz_zeta(s, a) == pytest.approx(value, rel=1e-14)


@pytest.mark.parametrize(("s", "a"), [(1.5, 1.0), (1.1, 0.3), (2.5, 10.0), (1.01, 100.0)])
def test_hurwitz_zeta_between_its_integral_bounds(s, a):
    # sum_{n<M} + integral from M to inf lies below the full sum, + the first tail term above it
    m = 200_000
    head = math.fsum((a + n) ** -s for n in range(m))
    integral = (a + m) ** (1 - s) / (s - 1)
    value = robbins_monro.hurwitz_zeta(s, a)
    assert head + integral <= value * (1 + 1e-13)
    assert value <= (head + integral + (a + m) ** -s) * (1 + 1e-13)


def test_rates_are_the_schedule_evaluated_step_by_step():
    sched = schedules.warmup(7, schedules.cosine(50, 0.01))
    rates = robbins_monro.rates(sched, 0.3, 80)
    assert rates.tolist() == [sched(t, 0.3) for t in range(1, 81)]
    total, squares = robbins_monro.partial_sums(sched, 0.3, 80)
    np.testing.assert_allclose(total, np.cumsum(rates), rtol=1e-15)
    np.testing.assert_allclose(squares, np.cumsum(rates**2), rtol=1e-15)


LR0 = 0.2
FINITE = [
    # (schedule, hand-derived sum, hand-derived sum of squares)
    (schedules.step(0.5, 10), LR0 * 10 / 0.5, LR0**2 * 10 / 0.75),
    (schedules.exponential(0.05), LR0 / (1 - math.exp(-0.05)), LR0**2 / (1 - math.exp(-0.1))),
    (schedules.piecewise_linear(4, 0.0), LR0 * (1 + 0.75 + 0.5 + 0.25),
     LR0**2 * (1 + 0.5625 + 0.25 + 0.0625)),
    # cosine with T = 4: 1/2 (1 + cos(pi k / 4)), k = 0..3
    (schedules.cosine(4), LR0 * 2.5, LR0**2 * (1 + (0.5 + 0.5 ** 1.5) ** 2 + 0.25
                                              + (0.5 - 0.5 ** 1.5) ** 2)),
    (schedules.warmup(3, schedules.exponential(0.05)), LR0 * 2 + LR0 / (1 - math.exp(-0.05)),
     LR0**2 * 14 / 9 + LR0**2 / (1 - math.exp(-0.1))),
]


@pytest.mark.parametrize(("sched", "total", "squares"), FINITE, ids=lambda s: str(s)[:24])
def test_finite_sums_match_hand_derived_values(sched, total, squares):
    series = robbins_monro.series(sched, LR0)
    assert series.sum_lr == pytest.approx(total, rel=1e-13)
    assert series.sum_lr_sq == pytest.approx(squares, rel=1e-13)
    assert not series.satisfies_robbins_monro
    partial, partial_sq = robbins_monro.partial_sums(sched, LR0, 4000)
    assert partial[-1] == pytest.approx(total, rel=1e-9)
    assert partial_sq[-1] == pytest.approx(squares, rel=1e-9)


@pytest.mark.parametrize(("p", "k"), [(0.75, 1.0), (1.0, 0.1), (2.0, 1.0), (0.6, 3.0)])
def test_polynomial_square_sums_against_partial_sums_and_their_tails(p, k):
    sched = schedules.polynomial(p, k)
    series = robbins_monro.series(sched, LR0)
    steps = 1_000_000
    _, partial_sq = robbins_monro.partial_sums(sched, LR0, steps)
    # the tail sum_{t > T} LR0^2 (1 + k(t-1))^(-2p) lies between its two integral bounds
    upper_tail = LR0**2 * (1 + k * (steps - 1)) ** (1 - 2 * p) / (k * (2 * p - 1))
    lower_tail = LR0**2 * (1 + k * steps) ** (1 - 2 * p) / (k * (2 * p - 1))
    assert partial_sq[-1] + lower_tail <= series.sum_lr_sq * (1 + 1e-12)
    assert series.sum_lr_sq <= (partial_sq[-1] + upper_tail) * (1 + 1e-12)
    assert math.isinf(series.sum_lr) == (p <= 1)
    assert series.satisfies_robbins_monro == (0.5 < p <= 1)


def test_inverse_time_is_the_polynomial_decay_with_p_1():
    for k in (0.01, 0.5, 2.0):
        a = robbins_monro.series(schedules.inverse_time(k), LR0)
        b = robbins_monro.series(schedules.polynomial(1.0, k), LR0)
        assert math.isinf(a.sum_lr) and math.isinf(b.sum_lr)
        assert a.sum_lr_sq == pytest.approx(b.sum_lr_sq, rel=1e-14)
        assert a.satisfies_robbins_monro


@pytest.mark.parametrize(
    "sched",
    [schedules.constant(), schedules.step(1.0, 5), schedules.exponential(0.0),
     schedules.piecewise_linear(100, 0.002), schedules.cyclical(0.001, 0.1, 20),
     schedules.cosine(100, 0.001), schedules.polynomial(0.5), schedules.polynomial(0.3, 2.0),
     schedules.warmup(10, schedules.cosine(100, 0.001))],
    ids=lambda s: s.name,
)
def test_divergent_square_sums_grow_without_bound(sched):
    series = robbins_monro.series(sched, LR0)
    assert math.isinf(series.sum_lr_sq) and math.isinf(series.sum_lr)
    _, squares = robbins_monro.partial_sums(sched, LR0, 400_000)
    # still growing at the end: the last 200,000 steps add a noticeable amount
    assert squares[-1] - squares[199_999] > 1e-4 * squares[-1]


def test_zero_rate_and_zero_cycle_sum_to_zero():
    assert robbins_monro.series(schedules.constant(), 0.0) == (0.0, 0.0)
    assert robbins_monro.series(schedules.cyclical(0.0, 0.0, 5), 1.0) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: robbins_monro.hurwitz_zeta(1.0, 1.0), "s must be a finite number > 1"),
        (lambda: robbins_monro.hurwitz_zeta(2.0, 0.0), "a must be a finite number > 0"),
        (lambda: robbins_monro.series("constant"), "schedule must be an optbook Schedule"),
        (lambda: robbins_monro.series(schedules.constant(), -1.0), "lr0 must be a finite"),
        (lambda: robbins_monro.rates(schedules.constant(), 1.0, 0), "steps must be an integer"),
    ],
)
def test_bad_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
