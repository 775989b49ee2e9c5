"""Hyper-parameter search: ranges, random and grid points against hand-made transcriptions,
coarse-to-fine refinement and the border test by hand, and the top-fraction probability
against its closed form, by sampling and on a pool of trials."""

import math

import numpy as np
import pytest

from optbook import search


def test_log_range_maps_the_unit_interval_to_decades():
    r = search.log_range(1e-6, 10.0)
    assert r.from_unit(0.5) == pytest.approx(10**-2.5, rel=1e-12)
    assert r.from_unit(np.array([0.0, 1.0])) == pytest.approx([1e-6, 10.0], rel=1e-12)
    values = np.array([3e-5, 0.02, 7.0])
    assert r.from_unit(r.to_unit(values)) == pytest.approx(values, rel=1e-12)
    lin = search.linear_range(-1.0, 3.0)
    assert lin.from_unit(0.25) == 0.0 and lin.to_unit(3.0) == 1.0


@pytest.mark.parametrize(("maker", "low", "high"), [
    (search.log_range, 0.0, 1.0), (search.log_range, 1.0, 0.5), (search.linear_range, 2, 2),
    (search.linear_range, 0.0, math.inf),
])
def test_ranges_refuse_bad_bounds(maker, low, high):
    with pytest.raises(ValueError, match="low"):
        maker(low, high)


def test_random_points_are_ten_to_a_uniform_exponent_per_axis():
    box = {"lr": search.log_range(1e-6, 10.0), "l2": search.log_range(1e-5, 1e-1)}
    points = search.random_points(box, 7, seed=3)
    rng = np.random.default_rng(3)
    assert points["lr"] == pytest.approx(10 ** rng.uniform(-6, 1, 7), rel=1e-12)
    assert points["l2"] == pytest.approx(10 ** rng.uniform(-5, -1, 7), rel=1e-12)


def test_grid_points_are_cell_centres_with_the_first_axis_slowest():
    box = {"a": search.linear_range(0.0, 3.0), "b": search.log_range(1.0, 1000.0)}
    points = search.grid_points(box, 3)
    assert points["a"] == pytest.approx([0.5] * 3 + [1.5] * 3 + [2.5] * 3)
    assert points["b"] == pytest.approx([10**0.5, 10**1.5, 10**2.5] * 3)
    assert len(np.unique(points["a"])) == 3


def quadratic(lr, l2):
    """A bowl in (log10 lr, log10 l2) with its minimum 0 at (-1, -3); diverges above lr = 3."""
    if lr > 3:
        return math.inf
    return (math.log10(lr) + 1) ** 2 + 0.01 * (math.log10(l2) + 3) ** 2


def test_searches_store_divergence_as_nan_and_never_pick_it():
    box = {"lr": search.log_range(1e-3, 10.0), "l2": search.log_range(1e-5, 1e-1)}
    result = search.random_search(quadratic, box, 40, seed=0)
    diverged = result.points["lr"] > 3
    assert diverged.any()
    assert np.all(np.isnan(result.scores[diverged]))
    i = result.best()
    assert result.scores[i] == np.nanmin(result.scores)
    assert result.best_point() == {"lr": result.points["lr"][i], "l2": result.points["l2"][i]}
    grid = search.grid_search(quadratic, box, 4)
    assert grid.scores.size == 16
    with pytest.raises(ValueError, match="no trial"):
        search.SearchResult({"lr": np.ones(2)}, np.full(2, np.nan)).best()


def test_on_border_by_hand():
    box = {"lr": search.log_range(1e-4, 1.0), "l2": search.linear_range(0.0, 1.0)}
    # Best trial: lr = 10^-0.2 (unit 0.95) and l2 = 0.5.
    result = search.SearchResult({"lr": np.array([1e-3, 10**-0.2]), "l2": np.array([0.1, 0.5])},
                                 np.array([2.0, 1.0]))
    assert search.on_border(result, box) == {"lr": True, "l2": False}
    assert search.on_border(result, box, margin=0.04) == {"lr": False, "l2": False}
    with pytest.raises(ValueError, match="margin"):
        search.on_border(result, box, margin=0.5)


def test_refine_spans_the_best_trials_widened_in_the_range_scale():
    box = {"lr": search.log_range(1e-4, 1.0)}
    result = search.SearchResult({"lr": np.array([1e-3, 1e-2, 1e-1, 1.0])},
                                 np.array([0.5, 0.2, 0.3, np.nan]))
    new = search.refine(result, box, top=2, widen=0.5)
    # Best two: 1e-2 and 1e-1, a span of one decade, widened by half a decade each side.
    assert new["lr"].low == pytest.approx(10**-2.5, rel=1e-12)
    assert new["lr"].high == pytest.approx(10**-0.5, rel=1e-12)
    assert new["lr"].log
    single = search.refine(result, box, top=1, widen=0.25)
    # One trial: widened by a quarter of the old range (one decade) each side of 1e-2.
    assert (single["lr"].low, single["lr"].high) == pytest.approx((1e-3, 1e-1), rel=1e-12)


def test_p_top_by_hand():
    assert search.p_top(9) == pytest.approx(1 - 0.95**9, rel=1e-15)
    assert search.p_top(9) == pytest.approx(0.3698, abs=5e-5)
    assert search.p_top(60) == pytest.approx(0.9539, abs=5e-5)
    assert search.p_top(np.array([0, 1])) == pytest.approx([0.0, 0.05])


def test_trials_needed_is_the_smallest_count():
    assert search.trials_needed(0.95) == 59
    assert 0.95**59 < 0.05 < 0.95**58
    assert search.trials_needed(0.5, 0.5) == 1
    assert search.trials_needed(0.99, 0.01) == 459
    with pytest.raises(ValueError, match="p and q"):
        search.trials_needed(1.0)


@pytest.mark.parametrize("n", [1, 9, 60])
def test_hit_rate_measures_p_top(n):
    measured = search.hit_rate(n, 0.05, repeats=20000, seed=1)
    expected = search.p_top(n, 0.05)
    assert abs(measured - expected) < 4 * math.sqrt(expected * (1 - expected) / 20000) + 1e-12


def test_pool_hit_rate_measures_the_pool_fraction_and_ignores_diverged_trials():
    rng = np.random.default_rng(0)
    scores = rng.random(100)
    scores[:7] = np.nan  # diverged trials are never among the best
    measured = search.pool_hit_rate(scores, 9, 0.05, repeats=20000, seed=2)
    expected = 1 - (1 - 5 / 100) ** 9
    assert abs(measured - expected) < 4 * math.sqrt(expected * (1 - expected) / 20000)
    # A pool whose best five are all NaN-free and the rest diverged: hits only on the five.
    only = np.full(100, np.nan)
    only[:5] = 1.0
    assert search.pool_hit_rate(only, 1, 0.05, repeats=20000, seed=3) == pytest.approx(
        0.05, abs=0.006)
