"""The dropout explorer, driven through update() without a browser: every setting of its
controls draws the run of the sweep it names, on axes that never move."""

import inspect
import itertools

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from optbook import dropout, plotting, widgets


@pytest.fixture(scope="module")
def sweep():
    # a small sweep: two drop probabilities and two widths, a few epochs, 12 samples
    return dropout.digits_sweep(drops=(0.0, 0.5), widths=(8, 16), n_train=60, epochs=6,
                                samples=12)


@pytest.fixture(scope="module")
def explorer(sweep):
    return widgets.DropoutDigitsExplorer(sweep, drop=0.5, width=16, samples=10)


def settings(explorer):
    specs = explorer.control_specs()
    keys = [spec["key"] for spec in specs]
    return [dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(spec["options"] for spec in specs))]


def test_controls_take_finitely_many_values_the_sweep_has(explorer, sweep):
    specs = {spec["key"]: spec for spec in explorer.control_specs()}
    assert all(spec["kind"] == "choice" for spec in specs.values())
    assert specs["drop"]["options"] == [0.0, 0.5]
    assert specs["width"]["options"] == [8, 16]
    assert specs["samples"]["options"] == [1, 3, 10]  # the stops up to the sweep's 12
    assert len(settings(explorer)) == 12


def test_the_default_sweep_gives_at_most_48_settings():
    # the static page saves one picture per setting; the book's limit is 48
    parameters = inspect.signature(dropout.digits_sweep).parameters
    drops, widths = parameters["drops"].default, parameters["widths"].default
    samples = parameters["samples"].default
    stops = [s for s in widgets.DropoutDigitsExplorer.SAMPLE_STOPS if s <= samples]
    assert len(drops) * len(widths) * len(stops) == 48


def test_every_setting_draws_its_run_on_fixed_axes(explorer, sweep):
    limits = [(ax.get_xlim(), ax.get_ylim()) for ax in explorer.fig.axes]
    pictures = set()
    for values in settings(explorer):
        explorer.update(**values)
        i, j = sweep.drops.index(values["drop"]), sweep.widths.index(values["width"])
        count = values["samples"]
        np.testing.assert_array_equal(explorer.train_line.get_ydata(), sweep.train_loss[i, j])
        np.testing.assert_array_equal(explorer.val_line.get_ydata(), sweep.val_loss[i, j])
        np.testing.assert_array_equal(explorer.scaled_line.get_ydata(),
                                      [sweep.scaled_loss[i, j]] * 2)
        if values["drop"] == 0.0:
            assert len(explorer.mc_line.get_xdata()) == 0
            assert len(explorer.plain_val_line.get_xdata()) == 0  # the run is its own reference
            assert "no dropout" in explorer.ensemble_title.get_text()
        else:
            np.testing.assert_array_equal(explorer.mc_line.get_xdata(), np.arange(1, count + 1))
            np.testing.assert_array_equal(explorer.mc_line.get_ydata(),
                                          sweep.mc_loss[i, j, :count])
            np.testing.assert_array_equal(explorer.geometric_line.get_ydata(),
                                          sweep.mc_geometric_loss[i, j, :count])
            np.testing.assert_array_equal(explorer.samples_marker.get_xydata(),
                                          [[count, sweep.mc_loss[i, j, count - 1]]])
            np.testing.assert_array_equal(explorer.plain_val_line.get_ydata(),
                                          sweep.val_loss[0, j])
            assert f"{sweep.mc_accuracy[i, j, count - 1]:.3f}" in explorer.ensemble_title.get_text()
        assert [(ax.get_xlim(), ax.get_ylim()) for ax in explorer.fig.axes] == limits
        pictures.add(explorer.png())
    # with dropout each setting is its own picture; without, the samples change nothing
    assert len(pictures) == 2 * 3 + 2


def test_every_drawn_value_lies_inside_the_fixed_limits(explorer, sweep):
    for values in settings(explorer):
        explorer.update(**values)
        for ax in explorer.fig.axes:
            (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
            for line in ax.get_lines():
                xy = line.get_xydata()
                assert np.all((xy[:, 0] >= x0) & (xy[:, 0] <= x1)), line.get_label()
                assert np.all((xy[:, 1] >= y0) & (xy[:, 1] <= y1)), line.get_label()


def test_alt_text_says_what_the_setting_shows(explorer, sweep):
    explorer.update(drop=0.5, width=8, samples=3)
    text = explorer.alt_text()
    assert "width 8" in text and "drop probability 0.5" in text
    assert "up to 3:" in text
    assert f"{sweep.mc_loss[1, 0, 2]:.3g}" in text
    explorer.update(samples=1)
    assert "one pass with fresh masks" in explorer.alt_text()
    assert "one sampled pass" in explorer.ensemble_title.get_text()
    explorer.update(drop=0.0)
    assert "nothing to average" in explorer.alt_text()
    assert "up to" not in explorer.alt_text()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"drop": 0.3}, r"drop must be one of \[0.0, 0.5\]"),
        ({"width": 64}, r"width must be one of \[8, 16\]"),
        ({"samples": 100}, r"samples must be one of \[1, 3, 10\]"),
        ({"lr": 0.1}, r"unknown control\(s\) \['lr'\]"),
    ],
)
def test_bad_values_name_the_control_and_its_options(explorer, values, message):
    before = explorer.values
    with pytest.raises(ValueError, match=message):
        explorer.update(**values)
    assert explorer.values == before


def test_bad_construction_is_refused(sweep):
    with pytest.raises(ValueError, match=r"sweep must be a dropout.DigitsSweep"):
        widgets.DropoutDigitsExplorer(object())
    with pytest.raises(ValueError, match=r"width must be one of \[8, 16\]"):
        widgets.DropoutDigitsExplorer(sweep, width=64)


def test_blitted_figure_is_the_whole_figure_drawn(explorer):
    explorer.update(drop=0.5, width=8, samples=10)
    explorer.update(width=16)  # an event: only the moving parts are drawn, over the background
    blitted = explorer.png()
    layered = [*explorer._scenery, *explorer._dynamic]
    for artist in layered:
        artist.set_animated(False)
    try:
        explorer.fig.canvas.draw()
        assert plotting.canvas_png(explorer.fig) == blitted
    finally:
        for artist in layered:
            artist.set_animated(True)
        explorer._draw(widgets.FIGURE)
