"""The plotting module: its style, and that each drawing function draws what it is given."""

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np
import PIL.Image
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
    ax.imshow(np.random.default_rng(0).random((20, 30)))
    fig.canvas.draw()
    data = plotting.canvas_png(fig)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    decoded = PIL.Image.open(io.BytesIO(data))
    decoded.load()  # checks every chunk's CRC and the zlib stream
    assert decoded.mode == "RGB" and decoded.size == (700, 320)
    canvas = np.asarray(fig.canvas.buffer_rgba())
    np.testing.assert_array_equal(np.asarray(decoded), canvas[..., :3])


def test_rate_norm_is_fixed_monotone_and_greys_out_no_convergence():
    norm, cmap = plotting.rate_norm(), plotting.rate_cmap()
    rates = np.array([0.0, 0.5, 0.9, 0.99, 0.999, 1.0])
    scaled = norm(rates)
    assert scaled[0] == pytest.approx(0.0, abs=1e-3) and scaled[-1] == 1.0
    assert np.all(np.diff(scaled) > 0)
    # linear in log10(1 + slack - rate), slack = 0.001, from rate 0 to rate 1
    span = np.log10(1.001 / 0.001)
    np.testing.assert_allclose(scaled, np.log10(1.001 / (1.001 - rates)) / span, rtol=1e-12)
    grey = to_hex(plotting.NO_CONVERGENCE_COLOR)
    for rate in (np.nan, 1.0005, 1.5, 1e6):
        assert to_hex(cmap(norm(np.array([rate])))[0]) == grey
    assert to_hex(cmap(norm(np.array([0.95])))[0]) != grey


def test_heat_map_takes_a_linear_range_or_a_norm():
    fig, ax = plotting.subplots()
    image, colorbar = plotting.heat_map(ax, np.full((2, 2), 0.9), (0, 1), (0, 1),
                                        norm=plotting.rate_norm(), ticks=plotting.RATE_TICKS)
    np.testing.assert_allclose(colorbar.get_ticks(), plotting.RATE_TICKS)
    with pytest.raises(ValueError, match="either vmin"):
        plotting.heat_map(ax, np.zeros((2, 2)), (0, 1), (0, 1))
    with pytest.raises(ValueError, match="either vmin"):
        plotting.heat_map(ax, np.zeros((2, 2)), (0, 1), (0, 1), vmin=0.0,
                          norm=plotting.rate_norm())


def test_level_ellipses_lie_on_their_levels():
    fig, ax = plotting.subplots()
    land = landscapes.quadratic([2.0, 30.0], angle=0.4, center=[1.0, -0.5])
    window = ((-3.0, 5.0), (-2.0, 1.0))
    lines = plotting.level_ellipses(ax, land, window, n_levels=9)
    levels = lines.get_array()
    assert len(levels) == 9 and np.all(levels > 0)
    np.testing.assert_allclose(levels[1:] / levels[:-1], levels[1] / levels[0], rtol=1e-9)
    for level, segment in zip(levels, lines.get_segments(), strict=True):
        values = land.value_grid(segment[:, 0], segment[:, 1]) - land.min_value
        np.testing.assert_allclose(values, level, rtol=1e-12)
    # the same levels as the contour plot of that window
    cs = plotting.contours(ax, land, window=window, n_levels=9, resolution=64)
    np.testing.assert_allclose(levels, cs.levels, rtol=1e-12)
    with pytest.raises(ValueError, match="2-D quadratic"):
        plotting.level_ellipses(ax, landscapes.rosenbrock(), window)


def test_show_displays_the_figure_once_as_its_png(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs: shown.extend(objs))
    fig, ax = plotting.subplots()
    ax.plot([0, 1], [1, 0])
    plotting.show(fig)
    assert len(shown) == 1
    assert isinstance(shown[0], IPython.display.Image)
    assert shown[0].data == plotting.png(fig)


def test_contrast_ratio_matches_wcag_reference_values():
    # WCAG 2: black on white is 21:1; #767676 is the lightest grey with 4.5:1 on white
    # (4.54:1) and #777777 falls just short (4.48:1); a colour on itself is 1:1.
    assert plotting.contrast_ratio("black") == pytest.approx(21.0)
    assert plotting.contrast_ratio("#767676") == pytest.approx(4.54, abs=0.005)
    assert plotting.contrast_ratio("#777777") == pytest.approx(4.48, abs=0.005)
    assert plotting.contrast_ratio("#E69F00", "#E69F00") == pytest.approx(1.0)
    assert plotting.contrast_ratio("white", "black") == plotting.contrast_ratio("black", "white")


def test_text_colours_keep_the_palette_hues_and_reach_aa_contrast():
    import colorsys

    import matplotlib as mpl

    for name, colour in plotting.PALETTE.items():
        shade = plotting.TEXT_COLOR[name]
        assert plotting.contrast_ratio(shade) >= plotting.TEXT_CONTRAST, name
        if plotting.contrast_ratio(colour) >= plotting.TEXT_CONTRAST:
            assert shade == colour.upper()
            continue
        hue, light, _ = colorsys.rgb_to_hls(*mpl.colors.to_rgb(colour))
        hue_shade, light_shade, saturation = colorsys.rgb_to_hls(*mpl.colors.to_rgb(shade))
        assert light_shade < light
        assert hue_shade == pytest.approx(hue, abs=0.01), name
        # darkened no more than needed: two steps lighter (one may tie, after rounding to hex)
        # falls short
        lighter = colorsys.hls_to_rgb(hue_shade, light_shade + 0.02, saturation)
        assert plotting.contrast_ratio(lighter) < plotting.TEXT_CONTRAST, name
    assert plotting.contrast_ratio(plotting.PALETTE["orange"]) < 2.5  # why text needs shades


def test_show_refuses_text_too_light_for_its_background(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs: shown.extend(objs))
    fig, ax = plotting.subplots()
    ax.plot([0, 1], [1, 0])
    ax.text(0.5, 0.5, "orange words", color=plotting.PALETTE["orange"])
    with pytest.raises(ValueError, match=r"'orange words' in #e69f00: 2\.\d\d:1"):
        plotting.show(fig)
    assert shown == []
    fig, ax = plotting.subplots()
    ax.text(0.5, 0.5, "orange words", color=plotting.TEXT_COLOR["orange"])
    # light text over a heat map is left to the eye; a note gets its shade by itself
    ax.imshow(np.zeros((4, 4)), extent=(0, 1, 0, 1), cmap="viridis")
    ax.text(0.5, 0.5, "on the map", color="white")
    note = plotting.note(ax, 0.1, 0.9, "diverged", color=plotting.PALETTE["yellow"])
    assert note.get_color() == plotting.TEXT_COLOR["yellow"]
    plotting.show(fig)
    assert len(shown) == 1
