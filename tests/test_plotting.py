"""The plotting module: its style, and that each drawing function draws what it is given."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.colors import to_hex

from optbook import landscapes, optimizers, plotting

OKABE_ITO = {"#000000", "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00",
             "#cc79a7"}


def test_every_optimizer_has_an_okabe_ito_colour():
    assert set(plotting.OPTIMIZER_STYLE) == set(optimizers.NAMES)
    for colour, _ in plotting.OPTIMIZER_STYLE.values():
        assert to_hex(colour) in OKABE_ITO
    styles = set(plotting.OPTIMIZER_STYLE.values())
    assert len(styles) == len(plotting.OPTIMIZER_STYLE), "two optimizers look the same"


def test_unknown_optimizer_style_names_the_known_ones():
    with pytest.raises(ValueError, match="name must be one of"):
        plotting.optimizer_style("sgd-with-magic")


def test_figure_is_book_width():
    fig, axes = plotting.subplots(1, 2)
    assert fig.get_size_inches()[0] * fig.dpi == 700
    assert len(axes) == 2


def test_contour_levels_are_log_spaced_above_the_minimum():
    fig, ax = plotting.subplots()
    land = landscapes.lecture_quadratic(10)
    cs = plotting.contours(ax, land)
    levels = np.asarray(cs.levels)
    assert np.all(levels > 0)
    ratios = levels[1:] / levels[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)
    # the minimiser is marked with a star at (0, 0)
    stars = [line for line in ax.get_lines() if line.get_marker() == "*"]
    assert [tuple(s.get_xydata()[0]) for s in stars] == [(0.0, 0.0)]


def test_two_minima_marks_both_and_saddle_gets_linear_levels():
    fig, (a, b) = plotting.subplots(1, 2)
    plotting.contours(a, landscapes.two_minima())
    assert sum(line.get_marker() == "*" for line in a.get_lines()) == 2
    cs = plotting.contours(b, landscapes.saddle())
    steps = np.diff(cs.levels)
    np.testing.assert_allclose(steps, steps[0])


def test_path_and_loss_curve_show_their_data():
    fig, (a, b) = plotting.subplots(1, 2)
    positions = np.array([[1.0, 2.0], [0.5, 1.0], [0.0, 0.0]])
    line = plotting.path(a, positions, "momentum")
    np.testing.assert_array_equal(line.get_xydata(), positions)
    assert to_hex(line.get_color()) == "#d55e00"
    losses = np.array([3.0, 1.0, 0.0])
    curve = plotting.loss_curve(b, losses, 0.0, "gd")
    assert b.get_yscale() == "log"
    y = curve.get_ydata()
    np.testing.assert_array_equal(y[:2], [3.0, 1.0])
    assert 0 < y[2] < 1e-300  # exact zero kept on the log axis


def test_rate_line_is_geometric():
    fig, ax = plotting.subplots()
    line = plotting.rate_line(ax, 2.0, 0.5, 4, power=2)
    np.testing.assert_allclose(line.get_ydata(), 2.0 * 0.25 ** np.arange(5))
    plotting.update_rate_line(line, 2.0, float("nan"), 4)
    assert len(line.get_xdata()) == 0


def test_divergence_wording():
    assert plotting.divergence_text(17) == "diverged at step 17"
    assert plotting.divergence_text(None) == ""


def test_heat_map_updates_in_place_and_greys_out_no_convergence():
    fig, ax = plotting.subplots()
    values = np.array([[0.5, np.nan], [0.9, 1.2]])
    image, colorbar = plotting.heat_map(ax, values, (0, 1), (0, 1), vmin=0.5)
    plotting.update_heat_map(image, values * 0.9, (0, 2), (0, 1), vmin=0.4)
    assert list(image.get_extent()) == [0, 2, 0, 1]
    assert image.get_clim() == (0.4, 1.0)
    grey = to_hex(plotting.NO_CONVERGENCE_COLOR)
    assert to_hex(image.cmap(np.nan)) == to_hex(image.cmap.get_over()) == grey


def test_decade_limits():
    assert plotting.decade_limits([0.03, 20.0], floor=1e-9) == (0.01, 100.0)
    assert plotting.decade_limits([1e-40, 1.0], floor=1e-12) == (1e-12, 10.0)


def test_canvas_png_is_the_drawn_canvas():
    fig, ax = plotting.subplots()
    ax.plot([0, 1], [0, 1])
    fig.canvas.draw()
    data = plotting.canvas_png(fig)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
