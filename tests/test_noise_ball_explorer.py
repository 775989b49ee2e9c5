"""The noise-ball explorer driven through update(): every setting of its controls, what it draws
checked against runs and percentiles recomputed here, the ellipse against its defining
equation, the schedules against their closed forms."""

import itertools
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from optbook import finite_sum, noise_ball, robbins_monro
from optbook.widgets import static
from optbook.widgets.noise_ball import SCHEDULE_NAMES, NoiseBallExplorer, ellipse, schedule_for


@pytest.fixture(scope="module")
def small():
    """Few short runs: every one of the 48 settings is visited quickly."""
    return NoiseBallExplorer(runs=6, steps=300, window=50)


@pytest.fixture(scope="module")
def full():
    return NoiseBallExplorer()


def test_controls_take_48_settings(small):
    specs = {s["key"]: s for s in small.control_specs()}
    assert set(specs) == {"lr", "batch_size", "schedule"}
    lrs = static.settings(specs["lr"])
    np.testing.assert_allclose(lrs, [10**-2.5, 10**-2, 10**-1.5, 0.1], rtol=1e-12)
    assert static.settings(specs["batch_size"]) == [1, 4, 16]
    assert static.settings(specs["schedule"]) == list(SCHEDULE_NAMES)
    assert math.prod(len(static.settings(s)) for s in specs.values()) == 48


def test_every_setting_draws_its_own_state_on_fixed_axes(small):
    specs = small.control_specs()
    limits = [(ax.get_xlim(), ax.get_ylim()) for ax in (small.ax_plane, small.ax_loss)]
    texts = set()
    for lr, s, name in itertools.product(*(static.settings(spec) for spec in specs)):
        small.update(lr=lr, batch_size=s, schedule=name)
        assert small.values == {"lr": lr, "batch_size": s, "schedule": name}
        assert [(ax.get_xlim(), ax.get_ylim())
                for ax in (small.ax_plane, small.ax_loss)] == limits
        state = small.state
        # the rates drawn are the schedule's
        np.testing.assert_array_equal(
            state.lrs, robbins_monro.rates(schedule_for(name, small.steps), lr, small.steps))
        # the exact curve is the moment recursion's where it is finite
        drawn = small.expected_line.get_ydata()
        finite = np.isfinite(state.expected) & (state.expected < 1e3 * small.LOSS_LIMITS[1])
        np.testing.assert_allclose(drawn[finite], state.expected[finite], rtol=1e-12)
        text = small.alt_text()
        assert f"batch size {s}," in text and f"a {name} schedule" in text
        texts.add(text)
    assert len(texts) == 48  # every setting says something different
    assert len(small._cache) == 48  # and each is cached: a revisit computes nothing
    before = dict(small._cache)
    small.update(lr=0.01, batch_size=4, schedule="constant")
    assert small.state is before[0.01, 4, "constant"]


def test_band_and_mean_are_those_of_the_runs(small):
    small.update(lr=10**-1.5, batch_size=4, schedule="step decay")
    sched = schedule_for("step decay", small.steps)
    excess = np.array([finite_sum.sgd(small.problem, small.start, 10**-1.5, small.steps,
                                      batch_size=4, schedule=sched, seed=r).excess
                       for r in range(small.runs)])
    np.testing.assert_allclose(small.measured_line.get_ydata(), excess.mean(axis=0),
                               rtol=1e-12)
    low = np.sort(excess, axis=0)
    # the 10th percentile of six values by linear interpolation: 0.5 of the way from the
    # smallest to the second
    np.testing.assert_allclose(small.state.low, low[0] + 0.5 * (low[1] - low[0]), rtol=1e-12)
    np.testing.assert_allclose(small.state.high, low[4] + 0.5 * (low[5] - low[4]), rtol=1e-12)
    np.testing.assert_allclose(small.path_line.get_xydata(),
                               finite_sum.sgd(small.problem, small.start, 10**-1.5, small.steps,
                                              batch_size=4, schedule=sched, seed=0).positions
                               - small.problem.minimizer, rtol=0, atol=1e-15)


def test_constant_rate_settles_at_the_noise_floor(full):
    floors = {}
    for s in (1, 4, 16):
        for lr in (10**-2, 10**-1.5):
            full.update(lr=lr, batch_size=s, schedule="constant")
            state = full.state
            stationary = noise_ball.stationary_excess(full.problem, lr, s)
            np.testing.assert_allclose(state.floor, stationary, rtol=1e-12)
            # after 2,000 steps the exact curve has reached the floor
            assert state.expected[-1] == pytest.approx(stationary, rel=1e-3)
            # 64 runs over the last 200 steps measure it to within a quarter
            assert state.window_measured == pytest.approx(state.window_expected, rel=0.25)
            floors[s, lr] = stationary
    for lr in (10**-2, 10**-1.5):
        # the floor falls with the batch size, a little faster than 1/S: the multiplicative
        # part of the noise grows with the spread it causes
        assert floors[1, lr] > floors[4, lr] > floors[16, lr]
        assert 16 < floors[1, lr] / floors[16, lr] < 32
    for s in (1, 4, 16):
        assert floors[s, 10**-1.5] > floors[s, 10**-2]


def test_decaying_schedules_end_below_the_constant_rate(full):
    finals = {}
    for name in SCHEDULE_NAMES:
        full.update(lr=0.1, batch_size=16, schedule=name)
        finals[name] = full.state.expected[-1]
        assert full.state.floor[-1] <= full.state.floor[0]
    for name in SCHEDULE_NAMES[1:]:
        assert finals[name] < finals["constant"] / 5


def test_past_the_mean_square_limit(full):
    full.update(lr=0.1, batch_size=1, schedule="constant")
    assert full.mean_square_limit < 0.1
    assert math.isinf(full.state.floor[0])
    assert not np.all(np.isfinite(full.state.cov_T))
    assert len(full.exact_ellipse.get_xydata()) == 0
    assert "mean-square limit" in full.note.get_text()
    assert "exceeds the mean-square limit" in full.alt_text()
    full.update(batch_size=4)  # the same rate is within the limit for batches of 4
    assert full.mean_square_limit > 0.1
    assert "mean-square limit" not in full.note.get_text()
    assert len(full.exact_ellipse.get_xydata()) > 0


def test_ellipse_is_the_two_sigma_contour():
    covariance = np.array([[2.0, 0.6], [0.6, 0.5]])
    center = np.array([0.3, -1.0])
    points = ellipse(center, covariance, scale=2.0)
    d = points - center
    np.testing.assert_allclose(np.einsum("ni,ij,nj->n", d, np.linalg.inv(covariance), d), 4.0,
                               rtol=1e-12)
    assert ellipse(center, np.full((2, 2), np.inf)).shape == (0, 2)


def test_schedules_against_closed_forms():
    steps, lr0 = 2000, 0.1
    step = robbins_monro.rates(schedule_for("step decay", steps), lr0, steps)
    assert step[399] == lr0 and step[400] == lr0 / 2 and step[-1] == lr0 / 16
    inverse = robbins_monro.rates(schedule_for("1/t decay", steps), lr0, steps)
    assert inverse[-1] == pytest.approx(lr0 / (1 + 20 * 1999 / 2000), rel=1e-14)
    cosine = robbins_monro.rates(schedule_for("cosine", steps), lr0, steps)
    assert cosine[0] == lr0
    assert cosine[1000] == pytest.approx(lr0 / 2, rel=1e-14)
    with pytest.raises(ValueError, match="schedule must be one of"):
        schedule_for("linear", steps)


@pytest.mark.parametrize(("values", "match"), [
    ({"lr": 0.5}, "lr must be a real number in"),
    ({"batch_size": 3}, r"batch_size must be one of \[1, 4, 16\]"),
    ({"schedule": "warm-up"}, "schedule must be one of"),
    ({"eta": 0.1}, "unknown control"),
])
def test_bad_values_are_refused(small, values, match):
    before = small.values
    with pytest.raises(ValueError, match=match):
        small.update(**values)
    assert small.values == before
    if "eta" not in values:
        setting = {**before, **values}
        with pytest.raises(ValueError, match=match):
            small.compute(setting["lr"], setting["batch_size"], setting["schedule"])


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"runs": 1}, "runs must be an integer >= 2"),
    ({"steps": 5}, "steps must be an integer >= 10"),
    ({"steps": 100, "window": 200}, "window must be at most steps"),
    ({"lr": 1e-4}, "lr must be a real number in"),
    ({"batch_size": 2}, "batch_size must be one of"),
])
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NoiseBallExplorer(**kwargs)
