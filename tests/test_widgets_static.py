"""The static book's views of explorers, build-time half (optbook.widgets.static): settings of
controls, the precomputed view of a small explorer of the tests' own, the live view of the
quadratic-rate explorer and the display bundle. The pages themselves are checked in Chromium
by tests/browser/test_static_explorers.py, their engine against the library by tests/js."""

import base64
import json
import re

import numpy as np
import pytest

from optbook import landscapes, optimizers, plotting, run, widgets
from optbook.widgets import controls, static
from optbook.widgets.engine import ARTISTS, Explorer

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


class PowerExplorer(Explorer):
    """x^n or x^n + 1 on [0, 1]: two controls, 4 x 2 = 8 states."""

    def __init__(self, n=2, shift="none"):
        super().__init__()
        self._layout(
            self._add_control(controls.spec("n", "power n", "n", "int", n, 1, 4, 1)),
            self._add_control(controls.spec("shift", "shift", "", "choice", shift,
                                             options=["none", "up"])),
        )
        self.fig, self.ax = plotting.subplots(height=2.0, width=3.0)
        self.ax.set_xlim(0, 1)
        self.ax.set_ylim(0, 2)
        (self.line,) = self.ax.plot([], [])
        self._dynamic = [self.line]
        self._start()

    def _redraw(self, changed):
        x = np.linspace(0, 1, 50)
        self.line.set_data(x, x ** self.values["n"] + (self.values["shift"] == "up"))
        return ARTISTS

    def alt_text(self):
        return f"x to the power {self.values['n']}, shift {self.values['shift']}"


@pytest.fixture(scope="module")
def power():
    return PowerExplorer(n=3, shift="up")


def spec(kind, lo=None, hi=None, step=None, value=None, options=None):
    return controls.spec("k", "a control", "k", kind, value, lo, hi, step, options)


def test_settings_step_from_min_to_max_on_each_kind_of_control():
    assert static.settings(spec("int", 1, 4, 1, 2)) == [1, 2, 3, 4]
    assert static.settings(spec("linear", 0.0, 1.0, 0.25, 0.5)) == [0.0, 0.25, 0.5, 0.75, 1.0]
    log = static.settings(spec("log", 1e-3, 1.0, 1.0, 0.01))
    assert log == pytest.approx([1e-3, 1e-2, 1e-1, 1.0], rel=1e-15)
    assert log[0] == 1e-3 and log[-1] == 1.0
    assert static.settings(spec("choice", value="a", options=["a", "b"])) == ["a", "b"]


def test_a_range_that_steps_past_max_is_refused_with_the_control_name():
    with pytest.raises(ValueError, match="k: max 1.0 is not min plus a whole number"):
        static.settings(spec("linear", 0.0, 1.0, 0.3, 0.3))


def test_precomputable_counts_the_combinations():
    assert static.precomputable([spec("int", 1, 6, 1, 1), spec("int", 1, 8, 1, 1)])  # 48
    assert not static.precomputable([spec("int", 1, 7, 1, 1), spec("int", 1, 7, 1, 1)])  # 49
    assert not static.precomputable([spec("log", 1e-4, 1.0, 0.02, 0.1)])
    # a range widened to hold its start need not end on a step: still counted, not refused
    assert not static.precomputable([spec("linear", 0.0, 9.95, 0.1, 0.5)])


def test_the_precomputed_view_holds_every_state_in_order_and_leaves_the_explorer_as_it_was(
        power):
    before = power.png()
    document = static.precomputed_document(power)
    assert document["kind"] == "precomputed"
    assert document["settings"] == [[1, 2, 3, 4], ["none", "up"]]
    # the last control runs fastest: state 2 k + j is (n = k + 1, shift j)
    assert document["alt"][5] == "x to the power 3, shift up"
    assert document["alt"][0] == "x to the power 1, shift none"
    assert document["start"] == [2, 1]
    assert len(set(document["images"])) == 8  # every state its own figure
    assert power.values == {"n": 3, "shift": "up"}
    assert power.png() == before
    power.update(n=1, shift="none")
    assert document["images"][0] == static.png_data(power.png())
    power.update(n=3, shift="up")


class OneControl(Explorer):
    """An explorer with one control, given by its specification, and an empty figure."""

    def __init__(self, control):
        super().__init__()
        self._layout(self._add_control(control))
        self.fig, self.ax = plotting.subplots(height=2.0, width=3.0)
        (self.line,) = self.ax.plot([], [])
        self._dynamic = [self.line]
        self._start()

    def _redraw(self, changed):
        return ARTISTS

    def alt_text(self):
        return f"a blank figure at {self.values}"


def test_too_many_states_or_a_start_between_settings_is_refused():
    many = OneControl(controls.spec("n", "power n", "n", "int", 2, 1, 49, 1))
    assert static.view_document(many) is None
    with pytest.raises(ValueError, match="at most 48 combinations"):
        static.precomputed_document(many)
    between = OneControl(controls.spec("a", "amplitude a", "a", "linear", 0.3, 0.0, 1.0, 0.5))
    with pytest.raises(ValueError, match="a: the explorer's value 0.3 is not one of"):
        static.precomputed_document(between)


def document_of(html):
    data = re.search(r'<script type="application/json">(.*)</script>', html).group(1)
    return json.loads(data)


def test_the_bundle_carries_the_html_view_only_when_the_book_is_built(power, monkeypatch):
    monkeypatch.delenv(static.ENV, raising=False)
    assert static.HTML_MIME not in static.bundle(power)
    monkeypatch.setenv(static.ENV, "1")
    bundle = static.bundle(power)
    assert WIDGET_MIME in bundle
    assert document_of(bundle[static.HTML_MIME])["alt"][5] == power.alt_text()


@pytest.fixture(scope="module")
def rate_view():
    explorer = widgets.QuadraticRateExplorer(kappa=10.0, lr=0.05)
    return explorer, static.view_document(explorer)


def test_the_live_view_is_built_from_the_control_specs(rate_view):
    explorer, document = rate_view
    assert document["kind"] == "quadratic-rate"
    assert document["controls"] == explorer.control_specs()
    assert [c["value"] for c in document["controls"]] == [10.0, 0.05]


def test_the_transform_maps_the_axes_limits_to_their_box(rate_view):
    explorer, document = rate_view
    left, top, width, height = document["axes"]["rate"]["box"]
    # matplotlib's own transform of the lower-left and upper-right data corners
    (x0, y0), (x1, y1) = explorer.ax_rate.transData.transform([(1e-4, 0.0), (10**0.5, 1.6)])
    fig_height = explorer.fig.bbox.height
    assert (left, top + height) == pytest.approx((x0, fig_height - y0), abs=1e-9)
    assert (left + width, top) == pytest.approx((x1, fig_height - y1), abs=1e-9)


def test_the_error_decades_of_every_setting_are_those_of_the_library_runs():
    rng = np.random.default_rng(14)
    kappas = 10.0 ** rng.uniform(0, 3, 12)
    lrs = np.concatenate([10.0 ** rng.uniform(-4, 0.5, 10), 2.0 / kappas[:4] * 1.001])
    decades = static.error_decades(kappas, lrs, 300)
    expected = []
    for kappa in kappas:
        land = landscapes.conditioned_quadratic(kappa)
        for lr in lrs:
            traj = run.trajectory(land, optimizers.gd(lr), land.start, 300)
            errors = np.linalg.norm(traj.positions - land.minimizers[0], axis=1)
            lo, hi = plotting.decade_limits(errors, floor=errors[0] * 1e-13)
            expected.append((round(np.log10(lo)), round(np.log10(hi))))
    assert [tuple(d) for d in decades.tolist()] == expected
    assert len(set(expected)) > 5  # converging, slow and diverging runs among them


def test_every_reachable_error_axis_has_its_strip(rate_view):
    explorer, document = rate_view
    images = document["strips"]["images"]
    # a converging run falls 13 decades below the start's 4.03 (decade 0); a diverging one
    # reaches the bound 1e6
    assert "-13 1" in images
    assert any(key.endswith(" 7") for key in images)
    low, high = (round(np.log10(v)) for v in explorer.ax_err.get_ylim())
    assert f"{low} {high}" in images


def png_of(data_url):
    """A data URL's PNG as an RGBA array (0..1)."""
    import base64
    import io

    from matplotlib.image import imread

    return imread(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])), format="png")


@pytest.fixture(scope="module")
def trajectory_view():
    explorer = widgets.TrajectoryExplorer(
        landscapes.lecture_quadratic(50), [optimizers.gd(0.019), optimizers.gd(0.005)], steps=100)
    before = explorer.png()
    document = static.view_document(explorer)
    return explorer, document, before


@pytest.fixture(scope="module")
def map_view():
    explorer = widgets.MomentumRateMap(kappa=50.0, lr=0.01, gamma=0.9, lam_min=2.0,
                                       resolution=16, steps=100)
    before = explorer.png()
    document = static.view_document(explorer)
    return explorer, document, before


def test_the_trajectory_view_describes_each_run_and_the_landscape(trajectory_view):
    explorer, document, _ = trajectory_view
    assert document["kind"] == "trajectory"
    assert document["controls"] == explorer.control_specs()
    assert [r["label"] for r in document["runs"]] == ["gd_1", "gd_2"]
    assert [r["colour"] for r in document["runs"]] == explorer.colours
    assert [r["marker"] for r in document["runs"]] == ["o", "s"]
    assert [r["theory_style"] for r in document["runs"]] == [":", ":"]  # GD's bound, dotted
    assert document["runs"][0]["params"] == {"lr": 0.019, "weight_decay": 0.0}
    land = document["landscape"]
    assert land["params"] == [0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 100.0]  # A = diag(2, 100)
    assert land["eigenvalues"] == [2.0, 100.0] and land["min_value"] == 0.0
    assert [(s["x"], s["y"]) for s in document["stars"]] == [(0.0, 0.0)]
    # every control in exactly one group: each run's, then the run's own
    grouped = [key for group in document["groups"] for key in group["keys"]]
    assert sorted(grouped) == sorted(c["key"] for c in document["controls"])
    assert document["groups"][-1]["keys"] == ["steps", "x0_1", "x0_2"]


def test_the_scenery_leaves_the_loss_axis_ticks_to_the_page_and_the_explorer_as_it_was(
        trajectory_view):
    explorer, document, before = trajectory_view
    assert explorer.png() == before
    scenery = png_of(document["scenery"])[:, :, :3]
    kernel = png_of(static.png_data(before))[:, :, :3]
    left, top, width, height = (round(v) for v in document["axes"]["loss"]["box"])
    # left of the loss axes, where the kernel draws tick labels and the y label, and below it,
    # where it draws the step labels: nothing in the scenery
    tick_column = (slice(top, top + height), slice(left - 60, left - 2))
    step_labels = (slice(top + height + 2, top + height + 16), slice(left, left + width))
    for region in (tick_column, step_labels):
        assert kernel[region].min() < 0.3
        assert scenery[region].min() == 1.0
    # the x label stays where the kernel's tick labels put it; the left axes are the kernel's
    box = explorer.ax_loss.xaxis.label.get_window_extent()
    fig_height = explorer.fig.bbox.height
    label = (slice(int(fig_height - box.y1), int(fig_height - box.y0) + 1),
             slice(int(box.x0), int(box.x1) + 1))
    assert kernel[label].min() < 0.3
    assert np.array_equal(scenery[label], kernel[label])
    box = explorer.ax_path.title.get_window_extent()
    title = (slice(int(fig_height - box.y1), int(fig_height - box.y0) + 1),
             slice(int(box.x0), int(box.x1) + 1))
    assert kernel[title].min() < 0.3
    assert np.array_equal(scenery[title], kernel[title])


def test_the_y_label_image_is_the_kernels_label(trajectory_view):
    explorer, document, before = trajectory_view
    label = document["ylabel"]
    image = png_of(label["image"])
    assert image.shape[:2] == (label["box"][3], label["box"][2])
    assert image[:, :, 3].max() == 1.0 and image[:, :, 3].min() == 0.0
    # where the kernel drew it, its ink is where the image has it
    left, top, width, height = label["box"]
    kernel = png_of(static.png_data(before))[top:top + height, left:left + width, :3]
    ink = image[:, :, 3] > 0.5
    assert kernel[ink].mean() < 0.5 < kernel[~ink].mean()
    extent = explorer.ax_loss.yaxis.label.get_window_extent()
    assert label["right"] == pytest.approx(extent.x1)
    assert label["pad"] == pytest.approx(4.0 * 100 / 72)


def test_a_trajectory_explorer_on_a_landscape_unbounded_below_has_no_live_view():
    explorer = widgets.TrajectoryExplorer(landscapes.saddle(), [optimizers.gd(0.1)],
                                          x0=(1.0, 0.01), steps=20)
    assert explorer.ax_loss.get_yscale() == "linear"
    assert static.view_document(explorer) is None


def test_the_rate_map_view_leaves_the_explorer_as_it_was(map_view):
    explorer, document, before = map_view
    assert document["kind"] == "momentum-map"
    assert explorer.png() == before
    assert explorer.ax_path.get_animated() and explorer._contours.get_visible()


def test_the_rate_map_controls_say_how_the_lr_range_follows_kappa(map_view):
    explorer, document, _ = map_view
    specs = {c["key"]: c for c in document["controls"]}
    assert [c["key"] for c in document["controls"]] == ["kappa", "lr", "gamma"]
    assert specs["kappa"]["continuous"] is False and "continuous" not in specs["gamma"]
    follows = specs["lr"]["follows"]
    assert follows["key"] == "kappa"
    # the page's formula (js/controls.js followingRange) gives the library's range, bit for bit
    for kappa in (1.0, 3.7, 50.0, 123.456, 1000.0):
        top = follows["span"] / (kappa * follows["scale"])
        assert (top / follows["ratio"], top) == explorer._lr_bounds(kappa)
    assert (specs["lr"]["min"], specs["lr"]["max"], specs["lr"]["step"]) == (
        *explorer._lr_bounds(50.0), explorer._lr_bounds(50.0)[0])
    assert document["buttons"] == [{"label": "snap to optimum", "action": "snap_to_optimum"}]


def test_the_rate_map_colours_are_the_kernel_image_colours(map_view):
    """A rate's colour by the page's rule (js/momentum-map.js rateColourIndex) from the
    document's table and scale ends, against matplotlib's own mapping of the kernel's image."""
    _, document, _ = map_view
    table = np.frombuffer(base64.b64decode(document["rate_colours"]), np.uint8).reshape(256, 3)
    grey = document["no_convergence"]
    norm = document["rate_norm"]
    rates = np.concatenate([np.linspace(0.0, 1.0, 2001), [0.9999, 1.0, 1.0005, 1.2, np.nan]])
    expected = plotting.rate_cmap()(plotting.rate_norm()(rates), bytes=True)[:, :3]
    for rate, colour in zip(rates, expected, strict=True):
        with np.errstate(invalid="ignore"):
            x = (-np.log10(1.0 + norm["slack"] - rate) - norm["low"]) / (norm["high"] - norm["low"])
        xa = x * 256
        xa = 255.0 if xa == 256 else xa
        ours = grey if np.isnan(xa) or xa >= 256 else table[int(xa)]
        assert list(ours) == list(colour), rate
    assert grey == [187, 187, 187]  # plotting.NO_CONVERGENCE_COLOR, #BBBBBB


def test_the_rate_map_axes_are_the_figure_axes(map_view):
    explorer, document, _ = map_view
    fig_height = explorer.fig.bbox.height
    for name, ax in (("map", explorer.ax_map), ("path", explorer.ax_path)):
        left, top, width, height = document["axes"][name]["box"]
        (x0, y0), (x1, y1) = ax.transAxes.transform([(0, 0), (1, 1)])
        assert (left, top + height, left + width, top) == pytest.approx(
            (x0, fig_height - y0, x1, fig_height - y1), abs=1e-9)
    assert document["axes"]["map"]["x"]["limits"] == [0.0, explorer.LR_SPAN]
    assert (document["resolution"], document["steps"], document["lam_min"]) == (16, 100, 2.0)


# --------------------------------------------------------------------------- the optimizer race


@pytest.fixture(scope="module")
def race_view():
    explorer = widgets.OptimizerRace(method="adam", landscape="ravine", lr=0.1)
    before = (explorer.values, explorer.png())
    document = static.view_document(explorer)
    return explorer, document, before


def png_pixels(data_url) -> np.ndarray:
    """A data URL's PNG as RGBA bytes."""
    return np.round(png_of(data_url) * 255).astype(np.uint8)


def test_the_race_view_leaves_the_explorer_as_it_was(race_view):
    explorer, document, (values, png) = race_view
    assert document["kind"] == "optimizer-race"
    assert document["controls"] == explorer.control_specs()
    assert explorer.values == values
    assert explorer.png() == png


@pytest.mark.parametrize("method, landscape", [("adam", "ravine"), ("adadelta", "rosenbrock"),
                                               ("adagrad", "two minima"),
                                               ("nadam", "rotated ravine")])
def test_the_race_images_put_together_are_the_kernel_figure_without_its_moving_parts(
        race_view, method, landscape):
    explorer, document, (values, _) = race_view
    page = png_pixels(document["scenery"])
    for key, image in ((document["column"], document["landscapes"][landscape]["scenery"]),
                       (document["legend"]["box"], document["legend"]["images"][method])):
        left, top, width, height = key
        page[top:top + height, left:left + width] = png_pixels(image)
    explorer.update(method=method, landscape=landscape)
    explorer.fig.canvas.draw()  # the animated (moving) artists are left out
    kernel = np.asarray(explorer.fig.canvas.buffer_rgba()).copy()
    explorer.update(**values)
    assert page.shape == kernel.shape
    assert np.array_equal(page, kernel)


def test_the_race_axes_are_the_landscapes_windows_and_the_fixed_loss_axis(race_view):
    from optbook.widgets import optimizer_race

    _, document, _ = race_view
    for name, (_, window, _) in optimizer_race.LANDSCAPES.items():
        axes = document["landscapes"][name]["axes"]
        assert (axes["x"]["limits"], axes["y"]["limits"]) == (list(window[0]), list(window[1]))
    loss = document["loss"]
    assert loss["y"] == {"scale": "log", "limits": [1e-10, 1e3]}
    assert loss["x"]["limits"] == [0.0, 300.0]
    # the path axes' column ends before the loss axes begin, above the legend
    left, top, width, height = document["column"]
    path_box = document["landscapes"]["ravine"]["axes"]["box"]
    assert path_box[0] + path_box[2] < left + width < loss["box"][0]
    assert top + height == document["legend"]["box"][1] > loss["box"][1] + loss["box"][3]


def test_the_race_page_gets_each_rules_hyper_parameters_and_the_landscapes_start(race_view):
    import math

    _, document, _ = race_view
    methods = document["methods"]
    assert methods["rmsprop"]["beta2"] == "rho" and methods["adam"]["beta2"] == "beta2"
    assert methods["adagrad"]["reads"] == ["lr", "eps"]
    assert methods["adagrad"]["hyper"]["initial_accumulator"] == 0.0
    assert methods["nadam"]["decayPowers"] == [math.pow(0.96, 0.004), math.pow(0.96, 0.008)]
    assert methods["nadam"]["hyper"]["decay_factor"] == math.pow(0.96, 0.004)
    lands = document["landscapes"]
    assert lands["ravine"]["start"] == [4.0, 0.5] and lands["rosenbrock"]["start"] == [-1.2, 1.0]
    # the rotated ravine: eigenvalues 2 and 100 at 45 degrees, A = [[51, -49], [-49, 51]]
    assert lands["rotated ravine"]["params"][3:] == pytest.approx([51.0, -49.0, -49.0, 51.0],
                                                                  rel=1e-14)
