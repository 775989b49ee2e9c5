"""The batch-norm explorer, driven through update() without a browser: what it draws is checked
against runs written here by hand, and one computed state against the library's run."""

import itertools
import json
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from optbook import data, plotting
from optbook.nn import curvature
from optbook.nn.deep_nets import relu_net
from optbook.widgets import batchnorm_sharpness
from optbook.widgets.batchnorm_sharpness import BatchNormSharpnessExplorer, trailing_mean

LRS = [10**-1.5, 0.1, 10**-0.5, 1.0, 10**0.5]


def made_up_run(lr, depth, normed, batch):
    """A run with recognisable numbers: the loss and the sharpness encode the state; the run
    without batch norm at 8 blocks and the largest rate diverges at step 7."""
    code = 1 + LRS.index(lr) + 10 * depth + 100 * normed + 1000 * (batch == 128)
    steps = np.arange(0, 151, 10)
    if not normed and depth == 8 and lr == LRS[-1]:
        loss = np.array([2.0, 3.0, 50.0, 900.0, 1e5, 1e30, 1e200, np.inf])
        return curvature.CurvatureRun(lr, loss, steps[:1], np.array([2.0]),
                                      np.array([float(code)]), 7)
    loss = np.full(151, 1.0 / code)
    loss[:5] = 2.0
    sharp = code * np.exp(-steps / 100.0) / 100.0
    return curvature.CurvatureRun(lr, loss, steps, loss[steps], sharp, None)


@pytest.fixture(scope="module")
def made_up():
    runs = {(lr, d, n, b): made_up_run(lr, d, n, b)
            for lr, d, n, b in itertools.product(LRS, (3, 8), (False, True), (16, 128))}
    return BatchNormSharpnessExplorer(None, None, runs=runs)


def test_trailing_mean_by_hand():
    np.testing.assert_allclose(trailing_mean([1.0, 3.0, 5.0, 7.0], 2), [1.0, 2.0, 4.0, 6.0])
    np.testing.assert_allclose(trailing_mean([4.0, 2.0], 5), [4.0, 3.0])


def test_every_state_draws_its_run_and_its_counterpart(made_up):
    explorer = made_up
    specs = {s["key"]: s for s in explorer.control_specs()}
    lr_stops = [10 ** (math.log10(specs["lr"]["min"]) + k * specs["lr"]["step"])
                for k in range(5)]
    np.testing.assert_allclose(lr_stops[-1], specs["lr"]["max"])
    alts = set()
    for lr, depth, normed, batch in itertools.product(lr_stops, specs["depth"]["options"],
                                                      specs["batchnorm"]["options"],
                                                      specs["batch_size"]["options"]):
        explorer.update(lr=lr, depth=depth, batchnorm=normed, batch_size=batch)
        stop = LRS[int(np.argmin(np.abs(np.log10(LRS) - math.log10(lr))))]
        shown = made_up_run(stop, depth, normed, batch)
        other = made_up_run(stop, depth, not normed, batch)
        np.testing.assert_allclose(explorer.sharp_line.get_ydata(), shown.sharpness)
        np.testing.assert_allclose(explorer.other_sharp_line.get_ydata(), other.sharpness)
        np.testing.assert_allclose(explorer.edge_line.get_ydata(), [2 / stop] * 2)
        finite = shown.loss[np.isfinite(shown.loss)]
        hand = [np.mean(finite[max(0, t - 9):t + 1]) for t in range(finite.size)]
        np.testing.assert_allclose(explorer.loss_line.get_ydata(), np.minimum(hand, 100.0))
        colour = plotting.PALETTE["blue" if normed else "vermillion"]
        assert explorer.loss_line.get_color() == colour
        crossed = len(explorer.cross.get_xdata()) > 0
        assert crossed == (shown.diverged_at is not None)
        assert (len(explorer.other_cross.get_xdata()) > 0) == (other.diverged_at is not None)
        if crossed:
            assert "diverged at step 7" in explorer.note.get_text()
            assert "diverges at step 7" in explorer.alt_text()
        # the axes never move, so the static page's images line up
        assert explorer.ax_loss.get_ylim() == pytest.approx((1e-4, 1e2))
        assert explorer.ax_sharp.get_ylim() == pytest.approx((1e-2, 1e3))
        assert explorer.ax_loss.get_xlim() == pytest.approx((-3, 153))
        assert explorer.ax_sharp.get_xlim() == pytest.approx((-3, 153))
        alts.add(explorer.alt_text())
    assert len(alts) == 40
    assert len(explorer.runs) == 40  # nothing was computed: every state came from the grid


def test_alt_text_follows_the_run(made_up):
    explorer = made_up
    explorer.update(lr=1.0, depth=3, batchnorm=True, batch_size=16)
    run_ = explorer.run
    alt = explorer.alt_text()
    assert "3 hidden blocks with batch norm" in alt
    assert "learning rate 1 " in alt and "2 over eta at 2." in alt
    assert f"ends at a loss of {np.mean(run_.loss[-10:]):.3g}" in alt
    # code 1 + 3 + 30 + 100 = 134: the sharpness starts at 1.34 and stays below 2
    assert "goes from 1.34" in alt and "below 2 over eta at every checkpoint" in alt
    explorer.update(lr=10**-1.5)
    assert "above 2 over eta" not in explorer.alt_text()
    explorer.update(lr=10**0.5, depth=8, batchnorm=False, batch_size=16)
    alt = explorer.alt_text()
    assert "8 hidden blocks without batch norm" in alt and "diverges at step 7" in alt
    assert "The same network with batch norm, in grey, ends at a loss of" in alt


def test_controls_are_finite_and_json(made_up):
    specs = made_up.control_specs()
    json.dumps(specs)
    settings = 1
    for spec in specs:
        if spec["kind"] == "choice":
            settings *= len(spec["options"])
        else:
            span = math.log10(spec["max"] / spec["min"]) if spec["kind"] == "log" \
                else spec["max"] - spec["min"]
            settings *= round(span / spec["step"]) + 1
    assert settings == 40


@pytest.mark.parametrize("values, message", [
    ({"lr": 0.5}, "lr must be one of the slider's stops"),
    ({"lr": 100.0}, "lr must be"),
    ({"depth": 5}, "depth must be one of"),
    ({"batch_size": 32}, "batch_size must be one of"),
    ({"batchnorm": 1}, "batchnorm must be one of"),
    ({"width": 3}, "unknown control"),
])
def test_bad_values_are_refused_and_change_nothing(made_up, values, message):
    before = made_up.values
    with pytest.raises(ValueError, match=message):
        made_up.update(**values)
    assert made_up.values == before


def test_a_rate_typed_between_the_stops_moves_the_slider_to_the_nearest(made_up):
    made_up.update(lr=1.0, depth=3, batchnorm=True, batch_size=16)
    made_up._widgets["lr"].value = 0.4  # what the slider's readout sends when a reader types
    assert made_up._widgets["lr"].value == pytest.approx(10**-0.5)
    assert made_up.state() == (pytest.approx(10**-0.5), 3, True, 16)
    np.testing.assert_allclose(made_up.edge_line.get_ydata(), [2 / 10**-0.5] * 2)
    assert "learning rate 0.316" in made_up.alt_text()


def test_a_state_not_given_is_the_librarys_run_and_is_kept():
    digits = data.digits(seed=0)
    train = (digits.X_train[:96], digits.y_train[:96])
    probe = (digits.X_train[:32], digits.y_train[:32])

    class Short(BatchNormSharpnessExplorer):
        STEPS = 21

    explorer = Short(train, probe, lr=0.1, depth=3, batchnorm=True, batch_size=16)
    assert len(explorer.runs) == 2  # the state shown and the one without batch norm
    reference = curvature.curvature_run(relu_net(3, 64, kind="batchnorm", seed=0), train, probe,
                                        lr=0.1, steps=21, batch_size=16, every=10, seed=0)
    np.testing.assert_array_equal(explorer.run.sharpness, reference.sharpness)
    np.testing.assert_array_equal(explorer.run.loss, reference.loss)
    kept = explorer.run
    explorer.update(batchnorm=False)
    explorer.update(batchnorm=True)
    assert explorer.run is kept and len(explorer.runs) == 2


def test_module_is_listed_in_the_package():
    from optbook import widgets

    assert widgets.BatchNormSharpnessExplorer is batchnorm_sharpness.BatchNormSharpnessExplorer
