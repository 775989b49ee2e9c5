"""The explorers, driven through update() without a browser: what they draw is checked against
the library (run, theory) and against closed forms written here."""

import gc
import json
import math
import re
import weakref

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from explorer_helpers import shown_alt, shown_png
from optbook import landscapes, optimizers, plotting, run, theory, widgets


def full_draw_png(explorer) -> bytes:
    """The explorer's figure drawn whole, as a plain Matplotlib draw would (no blitting)."""
    layered = [*explorer._scenery, *explorer._dynamic]
    for artist in layered:
        artist.set_animated(False)
    try:
        explorer.fig.canvas.draw()
        return plotting.canvas_png(explorer.fig)
    finally:
        for artist in layered:
            artist.set_animated(True)
        explorer._draw(widgets.FIGURE)


def all_finite(line):
    return np.all(np.isfinite(line.get_xydata()))


# --------------------------------------------------------------------------- trajectory explorer


@pytest.fixture(scope="module")
def trio():
    land = landscapes.lecture_quadratic(10)  # A = diag(2, 20)
    opts = [optimizers.gd(0.05), optimizers.momentum(0.05, 0.5), optimizers.nesterov(0.05, 0.5)]
    return widgets.TrajectoryExplorer(land, opts, steps=60)


def test_paths_end_where_the_library_trajectories_end(trio):
    trio.update(gd_lr=0.07, momentum_gamma=0.8, steps=80, x0=(3.0, -1.0))
    land = trio.landscape
    expected = [
        run.trajectory(land, optimizers.gd(0.07), [3.0, -1.0], 80),
        run.trajectory(land, optimizers.momentum(0.05, 0.8), [3.0, -1.0], 80),
        run.trajectory(land, optimizers.nesterov(0.05, 0.5), [3.0, -1.0], 80),
    ]
    for line, loss, traj in zip(trio.paths, trio.loss_lines, expected, strict=True):
        np.testing.assert_array_equal(line.get_xydata()[-1], traj.positions[-1])
        assert len(line.get_xdata()) == 81
        np.testing.assert_array_equal(loss.get_ydata()[:5], traj.losses[:5])
    np.testing.assert_array_equal(trio.start_marker.get_xydata()[0], [3.0, -1.0])


def test_theory_line_has_gd_rate_squared(trio):
    trio.update(gd_lr=0.06, steps=50)
    rate = max(abs(1 - 0.06 * 2), abs(1 - 0.06 * 20))  # max |1 - eta lambda|, lambda = 2, 20
    y = trio.theory_lines[0].get_ydata()
    np.testing.assert_allclose(y[1:] / y[:-1], rate**2, rtol=1e-12)


def test_divergence_is_reported_and_drawn_finite(trio):
    trio.update(gd_lr=0.11, steps=300)  # 0.11 > 2/20
    x0 = [trio.values["x0_1"], trio.values["x0_2"]]
    traj = run.trajectory(trio.landscape, optimizers.gd(0.11), x0, 300)
    assert traj.diverged_at is not None
    assert trio.notes[0].get_text() == f"gd: diverged at step {traj.diverged_at}"
    assert all_finite(trio.paths[0]) and all_finite(trio.loss_lines[0])
    assert len(trio.paths[0].get_xdata()) == traj.diverged_at
    assert trio.notes[1].get_text() == ""


def test_redraw_reuses_figure_and_artists(trio):
    fig, paths, texts = trio.fig, list(trio.paths), list(trio.notes)
    before = shown_png(trio)
    trio.update(gd_lr=0.02)
    assert trio.fig is fig
    assert all(a is b for a, b in zip(trio.paths, paths, strict=True))
    assert all(a is b for a, b in zip(trio.notes, texts, strict=True))
    assert trio.paths[0] in trio.ax_path.lines
    assert shown_png(trio) != before


def test_blitted_figure_is_the_whole_figure_drawn(trio):
    # the minimiser's star stays on top of the paths that end on it, as in a full draw
    trio.update(gd_lr=0.05, momentum_gamma=0.5, steps=60, x0=(4.0, 0.5))
    trio.update(gd_lr=0.04)  # a slider event: blitted on the cached background
    assert shown_png(trio) == full_draw_png(trio)


def test_moving_a_slider_updates_like_update(trio):
    trio._widgets["gd_lr"].value = 0.03
    traj = run.trajectory(trio.landscape, optimizers.gd(0.03),
                          [trio.values["x0_1"], trio.values["x0_2"]], trio.values["steps"])
    np.testing.assert_array_equal(trio.paths[0].get_xydata()[-1], traj.positions[-1])


def test_reset_returns_to_the_given_values(trio):
    trio.update(gd_lr=0.5, steps=7, x0=(1.0, 1.0))
    trio.reset()
    assert trio.values["gd_lr"] == 0.05 and trio.values["steps"] == 60
    assert (trio.values["x0_1"], trio.values["x0_2"]) == (4.0, 0.5)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"gd_lr": 100.0}, r"gd_lr must be a real number in \[1e-05, 10\]"),
        ({"gd_lr": float("nan")}, "gd_lr must be"),
        ({"momentum_gamma": 1.0}, r"momentum_gamma must be a real number in \[0, 0.99\]"),
        ({"steps": 0}, r"steps must be an integer in \[1, 2000\]"),
        ({"steps": 2.5}, "steps must be an integer"),
        ({"x0": (0.0, 99.0)}, r"x0_2 must be a real number in \[-6, 6\]"),
        ({"x0": 3.0}, "x0 must be a pair"),
        ({"adam_lr": 0.1}, r"unknown control\(s\) \['adam_lr'\]"),
    ],
)
def test_bad_values_name_the_control_and_range(trio, values, message):
    before = trio.values
    with pytest.raises(ValueError, match=message):
        trio.update(**values)
    assert trio.values == before


def test_same_optimizer_twice_gets_numbered_controls_and_its_own_colour():
    land = landscapes.lecture_quadratic(1)
    ex = widgets.TrajectoryExplorer(land, [optimizers.gd(0.01), optimizers.gd(0.02)], steps=20)
    assert {"gd_1_lr", "gd_2_lr"} <= set(ex.values)
    assert ex.paths[0].get_color() != ex.paths[1].get_color()
    assert ex.paths[0].get_marker() != ex.paths[1].get_marker()
    assert ex.loss_lines[1].get_color() == ex.theory_lines[1].get_color() == ex.colours[1]
    assert ex.colours[0] == plotting.optimizer_style("gd")[0]


def test_a_bound_is_labelled_a_bound_and_a_slope_a_slope(trio):
    labels = [t.get_text() for t in trio.fig.legends[0].get_texts()]
    assert any(label.startswith("bound") for label in labels)
    assert any(label.startswith("asymptotic rate") for label in labels)
    # gradient descent's curve is the bound (dotted), momentum's the slope (dash-dotted)
    assert trio.theory_lines[0].get_linestyle() == ":"
    assert trio.theory_lines[1].get_linestyle() == "-."
    # and it is one: f(x_t) - f* never exceeds (f(x_0) - f*) rho^{2t}
    trio.update(gd_lr=0.03, steps=100, x0=(4.0, 0.5))
    loss = trio.loss_lines[0].get_ydata()
    assert np.all(loss <= trio.theory_lines[0].get_ydata() * (1 + 1e-12))


def test_adam_on_rosenbrock_has_its_own_sliders_and_no_theory_line():
    land = landscapes.rosenbrock()
    ex = widgets.TrajectoryExplorer(land, optimizers.adam(0.05), steps=50)
    assert {"adam_lr", "adam_beta1", "adam_beta2", "adam_eps"} <= set(ex.values)
    assert len(ex.theory_lines[0].get_xdata()) == 0
    ex.update(adam_beta1=0.5)
    traj = run.trajectory(land, optimizers.adam(0.05, beta1=0.5), land.start, 50)
    np.testing.assert_array_equal(ex.paths[0].get_xydata()[-1], traj.positions[-1])


def test_saddle_loss_axis_is_linear_and_finite():
    ex = widgets.TrajectoryExplorer(landscapes.saddle(), optimizers.gd(0.1), steps=200)
    assert ex.ax_loss.get_yscale() == "linear"
    assert ex.notes[0].get_text().startswith("gd: diverged at step")
    assert all_finite(ex.loss_lines[0])


def test_setup_is_validated():
    land = landscapes.lecture_quadratic(1)
    with pytest.raises(ValueError, match="1 to 3"):
        widgets.TrajectoryExplorer(land, [optimizers.gd(0.1)] * 4)
    with pytest.raises(ValueError, match="steps must be an integer"):
        widgets.TrajectoryExplorer(land, optimizers.gd(0.1), steps=0)


# --------------------------------------------------------------------------- quadratic rate


@pytest.fixture(scope="module")
def gd_rate():
    return widgets.QuadraticRateExplorer(kappa=10.0, steps=200)


def test_defaults_to_the_optimal_rate(gd_rate):
    kappa = 10.0
    assert gd_rate.values["lr"] == pytest.approx(2 / (1 + kappa), rel=1e-15)
    assert gd_rate.theory_rate == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-12)
    np.testing.assert_allclose(gd_rate.bound_line.get_xdata(), 2 / kappa)
    np.testing.assert_allclose(gd_rate.optimum_line.get_xdata(), 2 / (1 + kappa))


def test_rate_shown_is_the_rate_the_library_measures(gd_rate):
    gd_rate.update(kappa=100.0, lr=0.015)
    land = landscapes.conditioned_quadratic(100.0)
    traj = run.trajectory(land, optimizers.gd(0.015), land.start, 200)
    measured = run.fitted_rate(np.linalg.norm(traj.positions, axis=1))
    assert gd_rate.measured_rate == measured
    np.testing.assert_array_equal(gd_rate.rate_marker.get_xydata(), [[0.015, measured]])
    assert f"measured = {measured:.4f}" in gd_rate.note.get_text()
    # and it is close to the closed form: the slow direction, |1 - 0.015 * 1|
    assert measured == pytest.approx(0.985, abs=2e-3)
    lam = np.array([1.0, 100.0])
    np.testing.assert_allclose(
        gd_rate.rate_curve.get_ydata(),
        np.abs(1 - gd_rate.rate_curve.get_xdata()[:, None] * lam).max(axis=1),
    )


def test_blitted_rate_figure_is_the_whole_figure_drawn(gd_rate):
    gd_rate.update(kappa=3.0, lr=0.9)  # the rate curve crosses the "no convergence" label
    assert shown_png(gd_rate) == full_draw_png(gd_rate)


def test_gd_past_two_over_lambda_max_is_shown_diverging(gd_rate):
    gd_rate.update(kappa=100.0, lr=0.021)
    assert gd_rate.run.diverged_at is not None
    assert f"diverged at step {gd_rate.run.diverged_at}" in gd_rate.note.get_text()
    assert gd_rate.measured_rate > 1
    assert all_finite(gd_rate.error_line) and all_finite(gd_rate.rate_marker)


def test_quadratic_explorer_rejects_bad_values(gd_rate):
    with pytest.raises(ValueError, match=r"kappa must be a real number in \[1, 1000\]"):
        gd_rate.update(kappa=0.5)
    with pytest.raises(ValueError, match="lr must be"):
        gd_rate.update(lr=-1.0)
    with pytest.raises(ValueError, match="kappa must be"):
        widgets.QuadraticRateExplorer(kappa=5000)


# --------------------------------------------------------------------------- momentum map


@pytest.fixture(scope="module")
def rate_map():
    return widgets.MomentumRateMap(kappa=100.0, lr=0.01, gamma=0.9, resolution=32, steps=300)


def polyak(kappa):
    """Polyak's optimum for eigenvalues 1 and kappa, written out."""
    s = math.sqrt(kappa)
    return (2 / (s + 1)) ** 2, ((s - 1) / (s + 1)) ** 2


# The map's horizontal axis is eta * lambda_max (lambda_max = kappa): its points are drawn at
# (eta * kappa, gamma).


def test_optimum_and_boundary_are_theory(rate_map):
    alpha, beta = polyak(100.0)
    np.testing.assert_allclose(rate_map.optimum_marker.get_xydata(), [[alpha * 100.0, beta]],
                               rtol=1e-12)
    gamma = rate_map.boundary_line.get_ydata()
    lr_bound = theory.gd_stability_bound(100.0) * (1 + gamma)  # eta on the boundary
    np.testing.assert_allclose(rate_map.boundary_line.get_xdata(), lr_bound * 100.0, rtol=1e-12)
    np.testing.assert_allclose(rate_map.boundary_line.get_xdata(), 2 * (1 + gamma))
    assert gamma.min() == 0 and gamma.max() == 1
    assert rate_map.ax_map.get_xlim() == (0.0, 4.5) and rate_map.ax_map.get_ylim() == (0.0, 1.0)


def test_map_is_the_library_sweep(rate_map):
    land = landscapes.conditioned_quadratic(100.0)
    n, lr_max = 32, 4.5 / 100.0
    lrs = (np.arange(n) + 0.5) * lr_max / n
    gammas = (np.arange(n) + 0.5) / n
    sweep = run.sweep(land, optimizers.momentum(0.01, 0.9), land.start, 300,
                      x=("lr", lrs), y=("gamma", gammas))
    np.testing.assert_array_equal(rate_map.image.get_array().filled(np.nan), sweep.rate)
    # cell ix covers the ix-th of n slices of [0, 4.5] in eta * kappa: its centre is lrs[ix]
    assert list(rate_map.image.get_extent()) == [0.0, 4.5, 0.0, 1.0]
    np.testing.assert_allclose((np.arange(n) + 0.5) * 4.5 / n, lrs * 100.0, rtol=1e-12)
    # the colour of a cell is its rate's on the fixed scale; no convergence is grey
    colours = rate_map.image.to_rgba(rate_map.image.get_array())
    expected = plotting.rate_cmap()(plotting.rate_norm()(sweep.rate))
    np.testing.assert_allclose(colours, expected)
    grey = matplotlib.colors.to_rgba(plotting.NO_CONVERGENCE_COLOR)
    assert np.all(colours[~(sweep.rate <= 1.0)] == grey)
    # cells right of the boundary diverge, cells well left of it converge
    lr_grid, gamma_grid = np.meshgrid(lrs, gammas)
    margin = lr_grid * 100.0 - (2 + 2 * gamma_grid)
    assert np.all(sweep.diverged[margin > 0.05])
    assert not np.any(sweep.diverged[margin < -0.05])


def test_point_and_its_path(rate_map):
    rate_map.update(lr=0.02, gamma=0.5)
    land = landscapes.conditioned_quadratic(100.0)
    traj = run.trajectory(land, optimizers.momentum(0.02, 0.5), land.start, 300)
    np.testing.assert_array_equal(rate_map.point_marker.get_xydata(), [[0.02 * 100.0, 0.5]])
    np.testing.assert_array_equal(rate_map.path_line.get_xydata()[-1], traj.positions[-1])
    measured = run.fitted_rate(np.linalg.norm(traj.positions, axis=1))
    assert rate_map.measured_rate == measured
    assert f"measured = {measured:.4f}" in rate_map.note.get_text()


def test_snap_to_optimum_reaches_polyaks_rate(rate_map):
    rate_map.snap_to_optimum()
    alpha, beta = polyak(100.0)
    assert rate_map.values["lr"] == pytest.approx(alpha, rel=1e-12)
    assert rate_map.values["gamma"] == pytest.approx(beta, rel=1e-12)
    # (sqrt(kappa) - 1) / (sqrt(kappa) + 1); critical damping puts the square root of a
    # rounding-sized discriminant into the radius, hence the tolerance
    assert rate_map.theory_rate == pytest.approx(9 / 11, rel=1e-7)
    np.testing.assert_array_equal(rate_map.point_marker.get_xydata(),
                                  rate_map.optimum_marker.get_xydata())


def test_kappa_change_recomputes_in_place_and_keeps_the_point_on_the_map(rate_map):
    rate_map.update(kappa=100.0, lr=0.02, gamma=0.5)
    image, fig, path = rate_map.image, rate_map.fig, rate_map.path_line
    rate_map.update(kappa=10.0)
    assert rate_map.image is image and rate_map.fig is fig and rate_map.path_line is path
    assert rate_map.values["lr"] == pytest.approx(0.2, rel=1e-12)  # eta * lambda_max kept
    np.testing.assert_allclose(rate_map.point_marker.get_xydata(), [[2.0, 0.5]], rtol=1e-12)
    alpha, beta = polyak(10.0)
    np.testing.assert_allclose(rate_map.optimum_marker.get_xydata(), [[alpha * 10.0, beta]],
                               rtol=1e-12)
    np.testing.assert_allclose(rate_map.boundary_line.get_xdata(), [2.0, 4.0])
    assert list(rate_map.image.get_extent()) == [0.0, 4.5, 0.0, 1.0]
    assert rate_map.ax_map.title.get_text().startswith(r"$\kappa$ = 10:")
    land = landscapes.conditioned_quadratic(10.0)
    sweep = run.sweep(land, optimizers.momentum(0.01, 0.9), land.start, 300,
                      x=("lr", (np.arange(32) + 0.5) * 0.45 / 32),
                      y=("gamma", (np.arange(32) + 0.5) / 32))
    np.testing.assert_array_equal(rate_map.image.get_array().filled(np.nan), sweep.rate)


def test_level_sets_are_the_landscapes(rate_map):
    rate_map.update(kappa=30.0, lr=0.05, gamma=0.6)
    land = landscapes.conditioned_quadratic(30.0)
    levels = rate_map._contours.get_array()
    for level, segment in zip(levels, rate_map._contours.get_segments(), strict=True):
        np.testing.assert_allclose(land.value_grid(segment[:, 0], segment[:, 1]), level,
                                   rtol=1e-12)
    # the start's level set fits the panel, whose limits are symmetric about the minimiser
    (x0, x1), (y0, y1) = rate_map.ax_path.get_xlim(), rate_map.ax_path.get_ylim()
    assert x0 == -x1 and y0 == -y1
    assert x1 > abs(land.start[0]) and y1 > abs(land.start[1])


def test_blitted_map_is_the_whole_figure_drawn(rate_map):
    rate_map.update(kappa=100.0, lr=0.02, gamma=0.5)
    rate_map.update(kappa=40.0)  # redraws the scenery: colours, star, title, right panel
    rate_map.update(gamma=0.6)  # redraws the point, path and note only
    assert shown_png(rate_map) == full_draw_png(rate_map)


def test_divergent_point_is_reported(rate_map):
    rate_map.update(kappa=10.0, lr=0.44, gamma=0.2)
    assert rate_map.run.diverged_at is not None
    assert f"diverged at step {rate_map.run.diverged_at}" in rate_map.note.get_text()
    assert all_finite(rate_map.path_line)


def test_map_rejects_bad_values(rate_map):
    with pytest.raises(ValueError, match=r"lr must be a real number in \[.*\], got 0.01 "
                                         r"\(the range for kappa = 1000\)"):
        rate_map.update(kappa=1000.0, lr=0.01)
    with pytest.raises(ValueError, match="gamma must be"):
        rate_map.update(gamma=1.0)
    with pytest.raises(ValueError, match="resolution must be"):
        widgets.MomentumRateMap(resolution=1)


def test_default_map_is_256_square_and_published():
    explorer = widgets.MomentumRateMap()
    assert explorer.image.get_array().shape == (256, 256)
    assert shown_png(explorer)[:8] == b"\x89PNG\r\n\x1a\n"
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_the_chapters_ravine_map_is_the_static_maps_quadratic():
    # diag(2, 100), the momentum chapter's ravine: kappa 50 on lam_min 2
    explorer = widgets.MomentumRateMap(kappa=50.0, lr=0.02, gamma=0.9, lam_min=2.0,
                                       resolution=16, steps=200)
    ravine = landscapes.lecture_quadratic(50)
    lrs = (np.arange(16) + 0.5) * (4.5 / 100.0) / 16
    gammas = (np.arange(16) + 0.5) / 16
    sweep = run.sweep(ravine, optimizers.momentum(0.01, 0.9), ravine.start, 200,
                      x=("lr", lrs), y=("gamma", gammas))
    np.testing.assert_array_equal(explorer.image.get_array().filled(np.nan), sweep.rate)
    assert explorer.image.norm.vmin == plotting.rate_norm().vmin
    assert explorer.image.norm(0.95) == plotting.rate_norm()(0.95)
    assert explorer.values["lr"] == 0.02
    with pytest.raises(ValueError, match="lam_min must be a finite number > 0"):
        widgets.MomentumRateMap(lam_min=0.0)


def test_a_run_through_the_minimiser_is_measured_not_zero():
    # kappa = 1: both directions follow one recursion, and the default run passes exactly
    # through the minimiser; the measurement read 0.0000 against theory's 0.9487
    explorer = widgets.MomentumRateMap(resolution=8, steps=500)
    explorer.update(kappa=1.0)
    assert explorer.theory_rate == pytest.approx(math.sqrt(0.9), rel=1e-9)
    assert explorer.measured_rate == pytest.approx(explorer.theory_rate, abs=2e-3)
    assert f"measured = {explorer.measured_rate:.4f}" in explorer.note.get_text()


# --------------------------------------------------------------------------- every explorer


LANDSCAPES = {
    "quadratic": lambda: landscapes.quadratic([1.0, 4.0], angle=0.3),
    "conditioned_quadratic": lambda: landscapes.conditioned_quadratic(20.0),
    "lecture_quadratic": lambda: landscapes.lecture_quadratic(10),
    "rosenbrock": landscapes.rosenbrock,
    "two_minima": landscapes.two_minima,
    "saddle": landscapes.saddle,
    "plane": lambda: landscapes.plane([0.3, -0.2]),
    "plateau": landscapes.plateau,
    "regression_ravine": lambda: landscapes.regression_ravine(1, standardize=True),
    "cliff": landscapes.cliff,
}


def test_every_landscape_constructor_is_listed():
    assert set(LANDSCAPES) | {"custom"} == set(landscapes._CONSTRUCTORS)


@pytest.mark.parametrize("name", sorted(LANDSCAPES))
def test_every_landscape_in_the_trajectory_explorer(name):
    land = LANDSCAPES[name]()
    explorer = widgets.TrajectoryExplorer(land, optimizers.gd(0.01), steps=30)
    assert shown_png(explorer)[:8] == b"\x89PNG\r\n\x1a\n"
    assert land.name.replace("_", " ") in explorer.alt_text()


def test_a_readers_landscape_in_the_trajectory_explorer():
    def value(x):
        return (x[0] - 1.0) ** 2 + 3.0 * x[1] ** 2

    def grad(x):
        return (2.0 * (x[0] - 1.0), 6.0 * x[1])

    with pytest.warns(landscapes.SlowObjectiveWarning):
        land = landscapes.custom(value, grad, start=[2.0, 1.0], minimizers=[[1.0, 0.0]],
                                 name="my bowl")
    explorer = widgets.TrajectoryExplorer(land, optimizers.gd(0.1), steps=40)
    np.testing.assert_allclose(explorer.runs[0].positions[-1], [1.0, 0.0], atol=1e-3)
    assert "my bowl" in explorer.alt_text()


@pytest.fixture(scope="module")
def every_explorer():
    return {
        "trajectory": widgets.TrajectoryExplorer(
            landscapes.rosenbrock(), [optimizers.adamw(0.05), optimizers.rmsprop(0.01)],
            steps=40),
        "quadratic_rate": widgets.QuadraticRateExplorer(steps=100),
        "momentum_map": widgets.MomentumRateMap(resolution=8, steps=100),
    }


@pytest.mark.parametrize("which", ["trajectory", "quadratic_rate", "momentum_map"])
def test_controls_are_json_specs_with_spoken_labels(every_explorer, which):
    explorer = every_explorer[which]
    specs = explorer.control_specs()
    assert json.loads(json.dumps(specs)) == specs
    keys = {"key", "label", "symbol", "kind", "min", "max", "step", "value", "options"}
    for control in specs:
        assert set(control) == keys
        assert control["kind"] in ("log", "linear", "int", "choice")
        assert control["value"] == explorer.values[control["key"]]
        # what a screen reader reads is words, and the widget shows the same words
        assert re.search("[a-z]{3}", control["label"]), control
        assert explorer._widgets[control["key"]].description == control["label"]
        if control["kind"] == "choice":
            assert control["value"] in control["options"] and control["min"] is None
        else:
            assert control["min"] <= control["value"] <= control["max"]
    assert [c["key"] for c in specs] == list(explorer.values)


def test_hyper_parameter_controls_come_from_the_registry(every_explorer):
    specs = {c["key"]: c for c in every_explorer["trajectory"].control_specs()}
    rule = optimizers.RULES["adamw"]
    for h in rule.hypers:
        control = specs[f"adamw_{h.name}"]
        assert control["label"] == f"{h.label} {h.symbol}".strip()
        assert control["kind"] == h.slider.kind
    assert specs["adamw_lr"] == {"key": "adamw_lr", "label": "learning rate η", "symbol": "η",
                                 "kind": "log", "min": 1e-5, "max": 10.0, "step": 0.02,
                                 "value": 0.05, "options": None}
    assert specs["adamw_amsgrad"]["options"] == [False, True]
    explorer = every_explorer["trajectory"]
    explorer.update(adamw_amsgrad=True, rmsprop_centered=True)
    assert explorer.current_optimizers()[0].amsgrad is True
    with pytest.raises(ValueError, match=r"adamw_amsgrad must be one of \[False, True\]"):
        explorer.update(adamw_amsgrad=1)


@pytest.mark.parametrize("which", ["trajectory", "quadratic_rate", "momentum_map"])
def test_the_figure_has_alternative_text_that_follows_the_state(every_explorer, which):
    explorer = every_explorer[which]
    before = explorer.alt_text()
    assert shown_alt(explorer) == before and len(before) > 100
    assert ".png" not in before
    key = {"trajectory": "rmsprop_lr", "quadratic_rate": "lr", "momentum_map": "gamma"}[which]
    value = {"trajectory": 0.002, "quadratic_rate": 0.0123, "momentum_map": 0.345}[which]
    explorer.update(**{key: value})
    assert shown_alt(explorer) == explorer.alt_text() != before
    assert f"{value:.3g}" in explorer.alt_text()


def test_the_page_gets_a_script_that_names_the_sliders(every_explorer, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))
    monkeypatch.delenv("OPTBOOK_STATIC_VIEWS", raising=False)
    explorer = every_explorer["quadratic_rate"]
    explorer._ipython_display_()
    # the widget's own view (optbook.widgets.static adds the static book's when it is built)
    assert shown[0] == explorer.widget._repr_mimebundle_()
    assert "aria-label" in shown[1].data and ".noUi-handle" in shown[1].data
    assert "optbook-explorer" in explorer.widget._dom_classes


def test_start_given_twice_is_refused(trio):
    with pytest.raises(ValueError, match="not both"):
        trio.update(x0=(1.0, 2.0), x0_1=3.0)


@pytest.mark.parametrize("make", [
    lambda: widgets.TrajectoryExplorer(landscapes.lecture_quadratic(10), optimizers.gd(0.05),
                                       steps=20),
    lambda: widgets.QuadraticRateExplorer(steps=20),
    lambda: widgets.MomentumRateMap(resolution=4, steps=20),
], ids=["trajectory", "quadratic_rate", "momentum_map"])
def test_an_explorer_nobody_holds_is_freed_with_its_widgets(make):
    explorer = make()
    ref = weakref.ref(explorer)
    figure = weakref.ref(explorer.fig)
    slider = next(iter(explorer._widgets.values()))
    del explorer
    gc.collect()
    assert ref() is None and figure() is None
    assert slider.comm is None  # closed


# --------------------------------------------------------------------------- cliff clipping


@pytest.fixture(scope="module")
def cliff_explorer():
    return widgets.CliffClippingExplorer()


def test_cliff_explorer_every_combination(cliff_explorer):
    e = cliff_explorer
    combos = e.combinations()
    settings = [spec_settings(s) for s in e.control_specs()]
    assert len(combos) == math.prod(len(s) for s in settings) == 48
    land = landscapes.cliff()
    for combo in combos:
        e.update(**combo)
        # the run drawn is GD with that clipping, stepped by hand here
        x = np.array([combo["start"], 1.5])
        for _ in range(3):
            g = land.grad(x)
            if combo["mode"] == "value":
                g = np.clip(g, -combo["threshold"], combo["threshold"])
            elif combo["mode"] == "norm":
                g = g * min(1.0, combo["threshold"] / np.linalg.norm(g))
            x = x - combo["lr"] * g
        np.testing.assert_allclose(e.run.positions[3], x, rtol=1e-12)
        cap = combo["lr"] * combo["threshold"]
        if combo["mode"] == "norm":
            assert e.steps_taken.max() <= cap * (1 + 1e-12)
        elif combo["mode"] == "value":
            assert e.steps_taken.max() <= cap * math.sqrt(2) * (1 + 1e-12)
        assert e.cap_line.get_visible() == (combo["mode"] != "none")
        assert e.escape_arrow.get_visible() == e.left_window


def spec_settings(control):
    """The finitely many values a control takes (the static book's enumeration)."""
    if control["kind"] == "choice":
        return control["options"]
    lo, hi, step = control["min"], control["max"], control["step"]
    if control["kind"] == "log":
        n = round((math.log10(hi) - math.log10(lo)) / step)
        return [10 ** (math.log10(lo) + k * step) for k in range(n + 1)]
    n = round((hi - lo) / step)
    return [lo + k * step for k in range(n + 1)]


def test_cliff_explorer_clipping_tames_the_throw(cliff_explorer):
    e = cliff_explorer
    e.update(mode="none", lr=0.1, threshold=1.0, start=3.0)
    assert e.left_window and e.farthest[0] < -8
    assert "thrown out of the window" in e.alt_text()
    e.fig.canvas.draw()
    assert plotting.low_contrast_texts(e.fig) == []  # the "thrown to" note included
    thrown = e.steps_taken.max()
    for mode in ("value", "norm"):
        e.update(mode=mode)
        assert not e.left_window and e.steps_taken.max() < thrown / 50
        assert "stays inside the window" in e.alt_text() and f"clipping by {mode}" in e.alt_text()
    # other starts land elsewhere on the face: not every unclipped run is thrown out
    e.update(mode="none", start=3.5)
    assert not e.left_window
    with pytest.raises(ValueError, match="mode"):
        e.update(mode="sign")
    with pytest.raises(ValueError, match="start"):
        widgets.CliffClippingExplorer(start=3.2)


def test_cliff_explorer_revisit_uses_the_cache(cliff_explorer):
    e = cliff_explorer
    e.update(mode="norm", lr=0.2, threshold=10.0, start=4.0)
    first = e.run
    e.update(mode="value")
    e.update(mode="norm")
    assert e.run is first
