"""The babysitter explorer: its sliders' settings are the precomputed runs, each control moves
what the figure shows, every state is drawn in one frame, and its text follows the state."""

import itertools
import json
import math
import re

import numba
import numpy as np
import pytest

from explorer_helpers import shown_alt, shown_png
from optbook import babysit, monitor, plotting
from optbook.widgets import BabysitterExplorer, babysitter, engine, static

EPOCHS = 3
DEFAULTS = {"lr": 0.1, "weight_decay": 1e-3, "init_scale": 1.0, "drop": 0.0}


@pytest.fixture(scope="module")
def explorer(tmp_path_factory):
    # Its 48 runs of three epochs, computed afresh into a folder of this test's own.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(numba.config, "CACHE_DIR", str(tmp_path_factory.mktemp("states")))
        yield BabysitterExplorer(epochs=EPOCHS)


def drawn(explorer) -> dict:
    """What the panels show, by series name, in the units of :func:`babysit.curves`."""
    lines = {
        "train_loss": explorer.loss_lines[0], "val_loss": explorer.loss_lines[1],
        "train_accuracy": explorer.accuracy_lines[0], "val_accuracy": explorer.accuracy_lines[1],
        "ratio_1": explorer.ratio_lines[0], "ratio_2": explorer.ratio_lines[1],
        "ratio_3": explorer.ratio_lines[2], "dead_1": explorer.dead_lines[0],
        "dead_2": explorer.dead_lines[1],
    }
    percent = {"train_accuracy", "val_accuracy", "dead_1", "dead_2"}
    return {name: np.asarray(line.get_ydata(), float) / (100.0 if name in percent else 1.0)
            for name, line in lines.items()}





def test_the_sliders_settings_are_the_stops_and_at_most_48(explorer):
    specs = explorer.control_specs()
    assert json.loads(json.dumps(specs)) == specs
    assert [c["key"] for c in specs] == list(babysit.EXPLORER_STOPS)
    for control in specs:
        assert static.settings(control) == pytest.approx(babysit.EXPLORER_STOPS[control["key"]],
                                                  rel=1e-12)
        assert re.search("[a-z]{3}", control["label"])
        assert explorer._widgets[control["key"]].description == control["label"]
    assert math.prod(len(static.settings(c)) for c in specs) == 48
    assert explorer.values == DEFAULTS
    by_key = {c["key"]: c for c in specs}
    assert by_key["lr"]["kind"] == "log" and by_key["lr"]["step"] == pytest.approx(0.5)
    assert by_key["drop"]["kind"] == "linear" and by_key["drop"]["step"] == pytest.approx(0.5)


def test_stops_must_be_evenly_spaced():
    assert babysitter.stop_spec("weight_decay", [1e-3, 1e-1], 1e-3)["step"] == pytest.approx(2)
    with pytest.raises(ValueError, match="evenly spaced in log10"):
        babysitter.stop_spec("lr", [0.01, 0.1, 0.3], 0.1)
    with pytest.raises(ValueError, match="at least two stops"):
        babysitter.stop_spec("drop", [0.0], 0.0)


@pytest.mark.parametrize("key", list(babysit.EXPLORER_STOPS))
def test_each_control_moves_the_figure_through_its_runs(explorer, key):
    shown = []
    for value in babysit.EXPLORER_STOPS[key]:
        explorer.update(**{**DEFAULTS, key: value})
        expected = babysit.curves(*({**DEFAULTS, key: value}[k] for k in DEFAULTS),
                                  epochs=EPOCHS)
        series = dict(zip(babysit.SERIES, expected["series"], strict=True))
        got = drawn(explorer)
        for name in babysit.SERIES:
            np.testing.assert_allclose(got[name], series[name], rtol=1e-6, atol=1e-12,
                                       err_msg=f"{key}={value}: {name}")
        assert explorer.diagnosis() == monitor.NAMES[expected["diagnosis"]]
        assert f"monitor: {explorer.diagnosis()}" in explorer.note.get_text()
        shown.append((got["train_loss"].tobytes(), explorer.alt_text(), shown_png(explorer)))
    # every setting of the control shows another run, another text and another image
    for part in range(3):
        assert len({s[part] for s in shown}) == len(shown), key
    explorer.update(**DEFAULTS)


def test_every_combination_is_drawn_in_the_same_frame(explorer):
    frame = [(ax.get_xlim(), ax.get_ylim(), ax.get_position().bounds) for ax in explorer.axes]
    assert explorer.axes[0].get_ylim() == pytest.approx(babysitter.LOSS_LIMITS)
    assert explorer.axes[2].get_ylim() == pytest.approx(babysitter.RATIO_LIMITS)
    for values in itertools.product(*babysit.EXPLORER_STOPS.values()):
        combination = dict(zip(babysit.EXPLORER_STOPS, values, strict=True))
        run = explorer.run_at(*values)
        assert run is explorer.run_at(*values)  # precomputed: no training on a revisit
        if combination["lr"] == max(babysit.EXPLORER_STOPS["lr"]) and \
                combination["init_scale"] == 1.0:
            assert run["diverged_at"] >= 0  # the top stop shows divergence
    for values in [{"lr": 10**0.5}, {"weight_decay": 0.1, "init_scale": 0.1, "drop": 0.5}]:
        explorer.update(**{**DEFAULTS, **values})
        assert [(ax.get_xlim(), ax.get_ylim(), ax.get_position().bounds)
                for ax in explorer.axes] == frame
    explorer.update(**DEFAULTS)


def test_a_diverged_run_is_named_and_drawn_empty(explorer):
    explorer.update(**{**DEFAULTS, "lr": 10**0.5})
    k = explorer.run["diverged_at"]
    assert k > 0 and explorer.diagnosis() == "diverged"
    assert plotting.divergence_text(k) in explorer.note.get_text()
    assert all(np.all(np.isnan(v)) for v in drawn(explorer).values())
    epoch = (k - 1) // babysit.steps_per_epoch() + 1
    assert f"diverges at step {k}, in epoch {epoch}" in explorer.alt_text()
    explorer.update(**DEFAULTS)


def test_a_value_between_stops_is_trained_once_and_kept(explorer):
    explorer.update(lr=0.05)
    expected = babysit.curves(0.05, 1e-3, 1.0, 0.0, epochs=EPOCHS)["series"]
    np.testing.assert_allclose(drawn(explorer)["val_loss"], expected[1], rtol=1e-12)
    assert explorer.run_at(0.05, 1e-3, 1.0, 0.0) is explorer.run_at(0.05, 1e-3, 1.0, 0.0)
    explorer.update(**DEFAULTS)


def test_the_published_image_and_its_text_follow_the_state(explorer):
    explorer.update(**DEFAULTS)
    text = explorer.alt_text()
    assert shown_alt(explorer) == text and len(text) > 200
    final = drawn(explorer)
    assert f"{100 * final['val_accuracy'][-1]:.1f} percent" in text
    assert "learning rate 0.1, weight decay 0.001," in text
    explorer.update(drop=0.5)
    assert shown_alt(explorer) == explorer.alt_text() != text
    assert "drop probability 0.5" in explorer.alt_text()
    explorer.update(**DEFAULTS)


def test_the_blitted_figure_is_the_whole_figure_drawn(explorer):
    explorer.update(**{**DEFAULTS, "lr": 1.0})
    layered = explorer._dynamic
    for artist in layered:
        artist.set_animated(False)
    try:
        explorer.fig.canvas.draw()
        whole = plotting.canvas_png(explorer.fig)
    finally:
        for artist in layered:
            artist.set_animated(True)
        explorer._draw(engine.FIGURE)
    assert shown_png(explorer) == whole
    explorer.update(**DEFAULTS)


@pytest.mark.parametrize(("values", "message"), [
    ({"lr": 5.0}, r"lr must be a real number in \[0\.01, 3\.162\]"),
    ({"drop": 0.9}, r"drop must be a real number in \[0, 0\.5\]"),
    ({"momentum": 0.9}, "unknown control"),
])
def test_bad_values_name_the_control_and_range(explorer, values, message):
    before = explorer.values
    with pytest.raises(ValueError, match=message):
        explorer.update(**values)
    assert explorer.values == before


def test_bad_setup_is_refused():
    with pytest.raises(ValueError, match="epochs must be an integer >= 2"):
        BabysitterExplorer(epochs=1)
    with pytest.raises(ValueError, match="stops must give values"):
        BabysitterExplorer(stops={"lr": (0.1, 1.0)})
    with pytest.raises(ValueError, match="init_scale must be a real number"):
        BabysitterExplorer(init_scale=3.0)
