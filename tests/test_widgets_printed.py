"""optbook.widgets.printed: the library's side of what a live view prints, against which the
browser tests and the static benchmarks check the pages."""

import math

import pytest

from optbook import widgets
from optbook.widgets import printed


def test_a_page_shows_a_number_within_the_tolerance_and_a_word_exactly():
    assert printed.shows("0.9487", 0.9487)
    assert printed.shows("1e-7", 1e-7)  # JavaScript's String of 1e-7
    assert printed.shows("12", 12)
    assert printed.shows("NaN", math.nan)
    assert not printed.shows("0.5", math.nan)
    assert not printed.shows("NaN", 0.5)
    one_ulp_off = 0.9487 * (1 + 2.0**-52)
    assert printed.shows(repr(one_ulp_off), 0.9487)
    assert not printed.shows(repr(0.9487 * (1 + 1e-14)), 0.9487)
    assert printed.shows("0", 0.0) and not printed.shows("1e-300", 0.0)
    assert printed.shows("null", "null") and not printed.shows("3", "null")


def test_the_quadratic_rate_view_prints_the_rates_and_the_step_of_divergence():
    explorer = widgets.QuadraticRateExplorer(kappa=10.0, lr=0.1)
    numbers = printed.printed(explorer)
    # GD on eigenvalues 1 and 10 at eta = 0.1: max(|1 - 0.1|, |1 - 1|) = 0.9
    assert numbers["theoryRate"] == pytest.approx(0.9, rel=1e-15)
    assert numbers["measuredRate"] == pytest.approx(0.9, rel=1e-6)
    assert numbers["divergedAt"] == "null"
    explorer.update(lr=0.3)  # |1 - 0.3 * 10| = 2: the stiff direction doubles each step
    numbers = printed.printed(explorer)
    assert numbers["theoryRate"] == pytest.approx(2.0, rel=1e-15)
    assert isinstance(numbers["divergedAt"], int) and numbers["divergedAt"] > 0


def test_the_race_prints_no_gap_for_a_diverged_run():
    explorer = widgets.OptimizerRace(method="adam", landscape="ravine", lr=1.0)
    numbers = printed.printed(explorer)
    assert set(numbers) == {"firstStep", "firstStepTheory", "firstStepRatio", "raceDivergedAt",
                            "raceGap", "gdDivergedAt", "gdGap"}
    assert numbers["firstStepRatio"] == numbers["firstStep"] / numbers["firstStepTheory"]
    for run_name in ("race", "gd"):
        if numbers[f"{run_name}DivergedAt"] != "null":
            assert numbers[f"{run_name}Gap"] == "null"
    assert numbers["gdDivergedAt"] != "null"  # GD at eta = 1 on the ravine diverges


def test_page_values_are_given_to_the_explorer_as_the_page_holds_them():
    race = widgets.OptimizerRace()
    printed.set_page_values(race, {**race.values, "beta2": "0.99"})  # a select's text
    assert race.values["beta2"] == 0.99
    rate_map = widgets.MomentumRateMap(kappa=50.0, lr=0.01, gamma=0.9, lam_min=2.0,
                                       resolution=8, steps=50)
    alone = widgets.MomentumRateMap(kappa=50.0, lr=0.01, gamma=0.9, lam_min=2.0,
                                    resolution=8, steps=50)
    alone.update(kappa=100.0)
    page_lr = 0.0041  # the page's own lr at the new kappa
    assert alone.values["lr"] != page_lr
    printed.set_page_values(rate_map, {"kappa": 100.0, "lr": page_lr, "gamma": 0.9})
    assert (rate_map.values["kappa"], rate_map.values["lr"]) == (100.0, page_lr)


def test_an_explorer_without_a_live_view_is_refused_by_name():
    from optbook.widgets.depth_variance import DepthVarianceExplorer

    with pytest.raises(ValueError, match="DepthVarianceExplorer has no live view"):
        printed.printed(DepthVarianceExplorer())
