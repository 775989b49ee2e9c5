"""Schedules against their closed forms; clipping; Polyak averaging."""

import math

import numpy as np
import pytest

from optbook import landscapes, optimizers, schedules
from optbook.run import trajectory
from reference import reference_run

T = np.array([1, 2, 3, 10, 11, 57, 100, 101, 250, 1000])
LR0 = 0.3

CLOSED_FORMS = [
    (schedules.constant(), lambda t: LR0),
    (schedules.step(0.5, 10), lambda t: LR0 * 0.5 ** ((t - 1) // 10)),
    (schedules.exponential(0.01), lambda t: LR0 * math.exp(-0.01 * (t - 1))),
    (schedules.inverse_time(0.1), lambda t: LR0 / (1 + 0.1 * (t - 1))),
    (
        schedules.piecewise_linear(100, 0.003),
        lambda t: LR0 + min((t - 1) / 100, 1) * (0.003 - LR0),
    ),
    (
        schedules.cyclical(0.01, 0.1, 50),
        lambda t: 0.01 + 0.09 * (1 - abs(((t - 1) / 50) % 2 - 1)),
    ),
    (
        schedules.cosine(200, 0.01),
        lambda t: 0.01 + 0.5 * (LR0 - 0.01) * (1 + math.cos(math.pi * min(t - 1, 200) / 200)),
    ),
]


@pytest.mark.parametrize(("schedule", "closed_form"), CLOSED_FORMS, ids=lambda s: str(s)[:20])
def test_schedule_matches_closed_form(schedule, closed_form):
    for t in T:
        assert schedule(int(t), LR0) == pytest.approx(closed_form(int(t)), rel=1e-13, abs=1e-15)


def test_schedule_landmarks():
    assert schedules.step(0.1, 5)(6, 1.0) == pytest.approx(0.1)
    assert schedules.piecewise_linear(10, 0.0)(11, 1.0) == 0.0
    assert schedules.cyclical(0.2, 1.0, 4)(1) == 0.2
    assert schedules.cyclical(0.2, 1.0, 4)(5) == 1.0
    assert schedules.cyclical(0.2, 1.0, 4)(9) == pytest.approx(0.2)
    assert schedules.cosine(10, 0.0)(11, 2.0) == pytest.approx(0.0, abs=1e-15)
    assert schedules.step(0.5, 1)(1 + 2000, 1.0) == 0.5**2000  # binary exponentiation, no loop


def test_schedule_inside_a_trajectory():
    land = landscapes.quadratic([1.0, 4.0], angle=0.2)
    sched = schedules.inverse_time(0.05)
    traj = trajectory(land, optimizers.gd(0.3), [2.0, 1.0], 200, schedule=sched)
    expected = reference_run(
        "gd", land.grad, [2.0, 1.0], 200, lr=0.3, lr_at=lambda t: 0.3 / (1 + 0.05 * (t - 1))
    )
    np.testing.assert_allclose(traj.positions, expected, rtol=1e-13, atol=1e-15)


def test_clipping_in_place():
    g = np.array([3.0, -0.5, -7.0])
    schedules.clip_elementwise(g, 1.0)
    assert g.tolist() == [1.0, -0.5, -1.0]
    g = np.array([3.0, 4.0])
    schedules.clip_by_norm(g, 1.0)
    np.testing.assert_allclose(g, [0.6, 0.8], rtol=1e-15)
    g = np.array([0.3, 0.4], dtype=np.float32)
    schedules.clip_by_norm(g, 1.0)
    assert g.dtype == np.float32 and g.tolist() == [np.float32(0.3), np.float32(0.4)]


@pytest.mark.parametrize("clip", [("value", 0.5), ("norm", 1.0)])
def test_clipping_inside_a_trajectory(clip):
    land = landscapes.rosenbrock()
    traj = trajectory(land, optimizers.momentum(1e-3, 0.9), [-1.5, 2.0], 300, clip=clip)
    expected = reference_run(
        "momentum", land.grad, [-1.5, 2.0], 300, lr=1e-3, gamma=0.9, clip=clip
    )
    np.testing.assert_allclose(traj.positions, expected, rtol=1e-12, atol=1e-12)
    unclipped = trajectory(land, optimizers.momentum(1e-3, 0.9), [-1.5, 2.0], 300)
    assert not np.allclose(unclipped.positions, traj.positions)


def test_polyak_average():
    positions = np.arange(20.0).reshape(10, 2)
    np.testing.assert_array_equal(schedules.polyak_average(positions, 4), [15.0, 16.0])
    np.testing.assert_array_equal(schedules.polyak_average(positions, 10), [9.0, 10.0])
    # on a noisy run around the minimum the average is closer to it than the last iterate
    land = landscapes.quadratic([1.0, 2.0])
    traj = trajectory(land, optimizers.gd(0.1), [1.0, 1.0], 2000, noise_std=1.0, seed=3)
    average = schedules.polyak_average(traj.positions, 1000)
    assert np.linalg.norm(average) < 0.2 * np.linalg.norm(traj.positions[-1000:], axis=1).mean()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: schedules.step(0.0, 10), r"drop must be in \(0, 1\]"),
        (lambda: schedules.step(1.5, 10), r"drop must be in \(0, 1\]"),
        (lambda: schedules.step(0.5, 0), r"every must be in \[1, inf\)"),
        (lambda: schedules.step(0.5, 2.5), "every must be an integer"),
        (lambda: schedules.exponential(-1.0), r"k must be in \[0, inf\)"),
        (lambda: schedules.inverse_time(float("nan")), "k must be in"),
        (lambda: schedules.piecewise_linear(0, 0.1), "tau must be in"),
        (lambda: schedules.piecewise_linear(10, -0.1), "alpha_tau must be in"),
        (lambda: schedules.cyclical(0.5, 0.1, 10), r"hi must be in \[0.5, inf\)"),
        (lambda: schedules.cyclical(0.1, 0.5, 0), "half_period must be in"),
        (lambda: schedules.cosine(0), "T must be in"),
        (lambda: schedules.cosine(10, -1.0), "lr_min must be in"),
        (lambda: schedules.constant()(0), "t must be an integer >= 1"),
        (lambda: schedules.step(0.5, 2)(1.7), "t must be an integer >= 1, got 1.7"),
        (lambda: schedules.parse_clip(("max", 1.0)), "clip must be None"),
        (lambda: schedules.parse_clip(("norm", 0.0)), r"clip threshold c must be in \(0"),
        (lambda: schedules.parse_clip(("value", float("inf"))), "clip threshold c must be in"),
        (lambda: schedules.polyak_average(np.zeros((5, 2)), 6), r"n must be in \[1, 5\]"),
    ],
)
def test_bad_schedule_parameters_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --------------------------------------------------------------------------- polynomial, warm-up

NEW_CLOSED_FORMS = [
    (schedules.polynomial(0.5), lambda t: LR0 / math.sqrt(t)),
    (schedules.polynomial(1.0), lambda t: LR0 / t),
    (schedules.polynomial(0.75, 0.1), lambda t: LR0 * (1 + 0.1 * (t - 1)) ** -0.75),
    (schedules.polynomial(0.0, 3.0), lambda t: LR0),
    (schedules.warmup(10), lambda t: LR0 * min(t, 10) / 10),
    (
        schedules.warmup(5, schedules.cosine(100)),
        lambda t: LR0 * t / 5 if t <= 5
        else 0.5 * LR0 * (1 + math.cos(math.pi * min(t - 6, 100) / 100)),
    ),
    (
        schedules.warmup(3, schedules.step(0.5, 10)),
        lambda t: LR0 * t / 3 if t <= 3 else LR0 * 0.5 ** ((t - 4) // 10),
    ),
    (
        schedules.warmup(4, schedules.cyclical(0.01, 0.1, 50)),
        lambda t: LR0 * t / 4 if t <= 4 else 0.01 + 0.09 * (1 - abs(((t - 5) / 50) % 2 - 1)),
    ),
]


@pytest.mark.parametrize(("schedule", "closed_form"), NEW_CLOSED_FORMS,
                         ids=lambda s: str(s)[:20])
def test_new_schedules_match_closed_forms(schedule, closed_form):
    for t in T:
        assert schedule(int(t), LR0) == pytest.approx(closed_form(int(t)), rel=1e-13, abs=1e-15)


def test_polynomial_with_k_1_and_p_1_is_the_inverse_time_decay():
    for t in T:
        assert schedules.polynomial(1.0)(int(t), LR0) == pytest.approx(
            schedules.inverse_time(1.0)(int(t), LR0), rel=1e-15)


def test_warmup_reaches_the_base_rate_at_its_last_step_then_restarts_the_schedule():
    sched = schedules.warmup(8, schedules.exponential(0.1))
    rates = [sched(t, 2.0) for t in range(1, 12)]
    assert rates[:8] == pytest.approx([2.0 * t / 8 for t in range(1, 9)], rel=1e-15)
    assert rates[8] == 2.0  # the exponential schedule's first step
    assert rates[9] == pytest.approx(2.0 * math.exp(-0.1), rel=1e-15)


def test_warmup_inside_a_trajectory():
    land = landscapes.quadratic([1.0, 4.0], angle=0.2)
    sched = schedules.warmup(20, schedules.polynomial(0.5))
    traj = trajectory(land, optimizers.gd(0.4), [2.0, 1.0], 100, schedule=sched)
    expected = reference_run(
        "gd", land.grad, [2.0, 1.0], 100, lr=0.4,
        lr_at=lambda t: 0.4 * t / 20 if t <= 20 else 0.4 / math.sqrt(t - 20),
    )
    np.testing.assert_allclose(traj.positions, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: schedules.polynomial(-0.5), r"p must be in \[0, inf\)"),
        (lambda: schedules.polynomial(0.5, -1.0), r"k must be in \[0, inf\)"),
        (lambda: schedules.warmup(0), r"steps must be in \[1, inf\)"),
        (lambda: schedules.warmup(2.5), "steps must be an integer"),
        (lambda: schedules.warmup(5, schedules.warmup(3)), "then must be None or a Schedule"),
        (lambda: schedules.warmup(5, "cosine"), "then must be None or a Schedule"),
    ],
)
def test_bad_new_schedule_parameters_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
