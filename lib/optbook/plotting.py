r"""The book's one visual style, and the drawing functions every figure and explorer shares.

Style
-----
* Colours come from the Okabe–Ito palette (M. Okabe, K. Ito, "Color Universal Design", 2008),
  which stays distinguishable under the common colour-vision deficiencies. Each optimizer has
  one fixed colour and line style (:data:`OPTIMIZER_STYLE`), so "momentum" is vermillion in
  every chapter. The Adam family shares a hue and differs in dash.
* One font scheme (:data:`FONT`): 10 pt labels, 9 pt ticks and legends, 11 pt titles. Figures
  are :data:`WIDTH` inches wide at :data:`DPI` dots per inch, i.e. 700 px: the book's text
  width, so a figure is shown at its natural size and its text at its nominal size.
* Every axis is labelled; every figure with more than one line has a legend.
* Text meets WCAG 2's AA contrast (4.5:1, :data:`TEXT_CONTRAST`). Most of the palette is too
  light for text on white, so text in a run's colour uses :data:`TEXT_COLOR`, the same hues
  darkened until they reach it; :func:`note` does so by itself, and :func:`show` refuses a
  figure with text below the threshold (:func:`low_contrast_texts`).

Figures are plain :class:`matplotlib.figure.Figure` objects with an Agg canvas, made by
:func:`subplots` without pyplot: nothing is shown behind the caller's back and nothing is
left in pyplot's figure registry. Show one with ``display(fig)`` or :func:`png`.

The drawing functions return the artists they create, so an explorer updates them in place
(``set_data``, ``set_array``, ``set_text``) instead of drawing a new figure. Functions named
``update_*`` are those in-place updates.
"""

from __future__ import annotations

import colorsys
import io
import math
import struct
import zlib

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, QuadMesh
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.text import Text

from optbook import landscapes, optimizers

# --------------------------------------------------------------------------- style

#: The Okabe–Ito palette.
PALETTE = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}

#: WCAG 2's minimum contrast ratio for normal text at level AA (success criterion 1.4.3).
TEXT_CONTRAST = 4.5


def _relative_luminance(colour) -> float:
    """WCAG 2's relative luminance of an sRGB colour (any matplotlib colour)."""
    channels = np.array(mpl.colors.to_rgb(colour))
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(np.dot([0.2126, 0.7152, 0.0722], linear))


def contrast_ratio(colour, background="white") -> float:
    r"""WCAG 2's contrast ratio :math:`(L_1 + 0.05)/(L_2 + 0.05)` of two colours, :math:`L_1`
    the lighter one's relative luminance: 1 for equal colours, 21 for black on white."""
    lighter, darker = sorted((_relative_luminance(colour), _relative_luminance(background)),
                             reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_shade(colour, minimum: float = TEXT_CONTRAST) -> str:
    """``colour`` as hex if it has contrast ``minimum`` on white, else the same hue and
    saturation darkened (lightness lowered in steps of 0.01) to the first shade that does."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*mpl.colors.to_rgb(colour))
    shade = mpl.colors.to_hex(colour).upper()
    while contrast_ratio(shade) < minimum:
        lightness -= 0.01
        shade = mpl.colors.to_hex(colorsys.hls_to_rgb(hue, lightness, saturation)).upper()
    return shade


#: The palette's colours for text on white, each darkened by :func:`text_shade` to WCAG AA's
#: contrast (black and blue are dark enough as they are).
TEXT_COLOR = {name: text_shade(colour) for name, colour in PALETTE.items()}

#: Colour and line style of each optimizer (names as in :data:`optbook.optimizers.NAMES`), from
#: the registry's records.
OPTIMIZER_STYLE = {
    name: (PALETTE[rule.style[0]], rule.style[1]) for name, rule in optimizers.RULES.items()
}

#: Font sizes in points.
FONT = {"label": 10, "tick": 9, "legend": 9, "title": 11, "note": 9}

#: Figure width in inches (700 px at :data:`DPI`).
WIDTH = 7.0
#: Resolution of the PNGs the book shows, in dots per inch.
DPI = 100

#: Colour of level sets, and of what marks a minimiser.
CONTOUR_CMAP = "Greys_r"
MINIMIZER_COLOR = PALETTE["black"]

#: Colour map of rate heat maps (perceptually uniform, colour-blind safe); cells that do not
#: converge are drawn in :data:`NO_CONVERGENCE_COLOR`.
RATE_CMAP = "viridis"
#: Colour of heat-map cells that diverge or do not contract.
NO_CONVERGENCE_COLOR = "#BBBBBB"


def optimizer_style(name: str) -> tuple[str, str]:
    """``(colour, line style)`` of the optimizer called ``name``."""
    if name not in OPTIMIZER_STYLE:
        raise ValueError(f"name must be one of {sorted(OPTIMIZER_STYLE)}, got {name!r}")
    return OPTIMIZER_STYLE[name]


def subplots(nrows=1, ncols=1, *, height=3.2, width=WIDTH, **kwargs):
    """A new styled figure and its axes, as ``Figure.subplots`` with ``squeeze=True``.

    The figure uses constrained layout and an Agg canvas; keyword arguments go to
    ``Figure.subplots`` (e.g. ``gridspec_kw``).
    """
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, **kwargs)
    for ax in np.atleast_1d(axes).ravel():
        ax.tick_params(labelsize=FONT["tick"])
    return fig, axes


def label(ax, xlabel: str, ylabel: str, title: str | None = None):
    """Label both axes (and optionally title) ``ax`` in the book's font sizes."""
    ax.set_xlabel(xlabel, fontsize=FONT["label"])
    ax.set_ylabel(ylabel, fontsize=FONT["label"])
    if title is not None:
        ax.set_title(title, fontsize=FONT["title"])


def legend(ax, handles=None, **kwargs):
    """A legend in the book's style (framed, small font); ``handles`` default to the labelled
    artists of ``ax``."""
    kwargs = {"fontsize": FONT["legend"], "framealpha": 0.9, **kwargs}
    if handles is None:
        return ax.legend(**kwargs)
    return ax.legend(handles=handles, **kwargs)


def figure_legend(fig, handles, ncols=4):
    """One legend for the whole figure, in a row below its axes (so it hides no data)."""
    return fig.legend(handles=handles, loc="outside lower center", ncols=ncols,
                      fontsize=FONT["legend"], frameon=False)


def freeze_layout(fig):
    """Lay ``fig`` out once (constrained layout) and keep that layout for later draws.

    Constrained layout re-solves on every draw, which costs more than drawing an explorer's
    artists; an explorer calls this once its figure shows its default values.
    """
    fig.canvas.draw()
    fig.set_layout_engine("none")


def png(fig) -> bytes:
    """The figure rendered as PNG bytes at :data:`DPI`."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _background(text, renderer):
    """The colour ``text`` is read against, or ``None`` where an image or heat map lies under it
    (a reader's eye judges those)."""
    box = text.get_bbox_patch()
    if box is not None and box.get_facecolor()[3] >= 0.8:
        return box.get_facecolor()
    ax = text.axes
    if ax is None:
        return text.figure.get_facecolor()
    extent = text.get_window_extent(renderer)
    for artist in [*ax.images, *ax.collections]:
        if isinstance(artist, AxesImage | QuadMesh) \
                and extent.overlaps(artist.get_window_extent(renderer)):
            return None
    return ax.get_facecolor()


def low_contrast_texts(fig, minimum: float = TEXT_CONTRAST) -> list[str]:
    """One line per visible text of ``fig`` whose colour has less than ``minimum`` contrast on
    its background (its box if opaque, else its axes or the figure; texts over images are not
    judged), naming the text, its colour and the ratio."""
    renderer = fig.canvas.get_renderer()
    found = []
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip():
            continue
        background = _background(text, renderer)
        if background is None:
            continue
        ratio = contrast_ratio(mpl.colors.to_rgb(text.get_color()), mpl.colors.to_rgb(background))
        if ratio < minimum:
            found.append(f"{text.get_text()!r} in {mpl.colors.to_hex(text.get_color())}: "
                         f"{ratio:.2f}:1")
    return found


def show(fig) -> None:
    """Display ``fig`` once in a notebook, as the PNG of :func:`png`.

    The book's figures are Agg figures built outside pyplot (:func:`subplots`), so a notebook
    does not display them by itself; this is how chapters show them. A figure with text below
    WCAG AA's contrast (:func:`low_contrast_texts`) raises ``ValueError``.
    """
    from IPython.display import Image, display

    fig.canvas.draw()
    weak = low_contrast_texts(fig)
    if weak:
        raise ValueError(
            f"text below WCAG AA's contrast of {TEXT_CONTRAST}:1 on its background: "
            + "; ".join(weak) + ". Use plotting.TEXT_COLOR[name] or plotting.text_shade(colour)"
            " for text in a palette colour.")
    display(Image(png(fig)))


def canvas_png(fig) -> bytes:
    """The figure's Agg canvas as it was last drawn (including blitted artists, which
    :func:`png` would leave out), as PNG bytes.

    Explorers send one per slider event, so this is written for speed: 8-bit RGB (the canvas
    is opaque), no per-row filter and zlib level 1. That is 3 to 4 times faster than Pillow's
    fastest setting (which still tries every row filter) and no larger for figures, which are
    mostly flat colour.
    """
    rgba = np.asarray(fig.canvas.buffer_rgba())
    height, width, _ = rgba.shape
    rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)
    rows[:, 0] = 0  # filter type "None" for every row
    rows[:, 1:].reshape(height, width, 3)[...] = rgba[:, :, :3]
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"".join([b"\x89PNG\r\n\x1a\n", _png_chunk(b"IHDR", header),
                     _png_chunk(b"IDAT", zlib.compress(rows.data, 1)), _png_chunk(b"IEND", b"")])


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def decade_limits(values, floor: float):
    """Axis limits for positive ``values`` on a log axis, rounded out to whole decades and
    never below ``floor``; they change only when the data cross a decade, so an explorer
    rarely has to redraw its axes."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values) & (values > 0)]
    low = max(values.min(), floor) if values.size else floor
    high = max(values.max(), low) if values.size else floor * 10
    return 10.0 ** math.floor(math.log10(low)), 10.0 ** (math.floor(math.log10(high)) + 1)


# --------------------------------------------------------------------------- landscapes


def _levels(excess, n_levels):
    """``n_levels`` log-spaced levels of ``excess`` = f - f* > 0 between a low percentile of
    the grid and its maximum (so every level crosses the window)."""
    positive = excess[excess > 0]
    top = positive.max()
    bottom = max(np.percentile(positive, 0.5), top * 1e-6)
    return np.geomspace(bottom, top, n_levels + 1)[:-1]


def contours(ax, landscape, *, n_levels=14, resolution=160, window=None, minimizers=True):
    r"""Draw ``landscape``'s level sets on ``ax`` and mark its minimisers; returns the
    :class:`~matplotlib.contour.QuadContourSet`.

    Levels are log-spaced in :math:`f - f^*` (:math:`f^*` = ``landscape.min_value``), so a
    narrow ravine and the wide bowl around it both show; a landscape unbounded below (the
    saddle) gets evenly spaced levels. ``window`` defaults to ``landscape.window``;
    ``resolution`` is the grid's number of points per axis, or a pair ``(nx, ny)``. With
    ``minimizers`` the minimisers are drawn as black stars (:func:`mark_minimizers`).
    """
    (x0, x1), (y0, y1) = window if window is not None else landscape.window
    nx, ny = np.broadcast_to(resolution, 2)
    X, Y = np.meshgrid(np.linspace(x0, x1, nx), np.linspace(y0, y1, ny))
    Z = landscape.value_grid(X, Y)
    if math.isfinite(landscape.min_value):
        # a grid point on the minimiser would be 0 on the log scale of the colours
        Z = np.maximum(Z - landscape.min_value, np.finfo(np.float64).tiny)
        levels = _levels(Z, n_levels)
        norm = mpl.colors.LogNorm(levels[0], levels[-1] * 4)
    else:
        levels = np.linspace(Z.min(), Z.max(), n_levels + 2)[1:-1]
        norm = mpl.colors.Normalize(levels[0], levels[-1] + (levels[-1] - levels[0]) / 3)
    cs = ax.contour(X, Y, Z, levels=levels, cmap=CONTOUR_CMAP, norm=norm, linewidths=0.8)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    if minimizers:
        mark_minimizers(ax, landscape)
    return cs


def level_ellipses(ax, landscape, window, *, n_levels=14, points=160):
    r"""Draw the level sets of a 2-D quadratic ``landscape`` on ``ax`` exactly, as ellipses;
    returns them as one :class:`~matplotlib.collections.LineCollection`.

    They look like :func:`contours` (the same levels of :math:`f - f^*`, log-spaced between a
    low percentile of ``window`` and its maximum, the same colours) but cost a fraction of a
    millisecond and stay smooth in a window much narrower than it is wide, where a contour grid
    of the whole window would show polygons. The axes' limits are left alone.
    """
    if landscape.code != landscapes.QUADRATIC or landscape.dim != 2:
        raise ValueError(f"landscape must be a 2-D quadratic, got {landscape!r}")
    (x0, x1), (y0, y1) = window
    X, Y = np.meshgrid(np.linspace(x0, x1, 64), np.linspace(y0, y1, 64))
    levels = _levels(landscape.value_grid(X, Y) - landscape.min_value, n_levels)
    centre = landscape.minimizers[0]
    lam, vectors = np.linalg.eigh(landscape.hessian(centre))
    t = np.linspace(0.0, 2.0 * np.pi, points)
    circle = np.stack([np.cos(t), np.sin(t)], axis=1)  # (points, 2)
    # f - f* = c on centre + V diag(sqrt(2c / lambda)) (cos t, sin t)
    shape = (circle / np.sqrt(lam)) @ vectors.T
    segments = centre + np.sqrt(2.0 * levels)[:, None, None] * shape
    lines = LineCollection(
        segments, array=levels, cmap=CONTOUR_CMAP,
        norm=mpl.colors.LogNorm(levels[0], levels[-1] * 4), linewidths=0.8,
    )
    ax.add_collection(lines, autolim=False)
    return lines


def mark_minimizers(ax, landscape):
    """Mark ``landscape.minimizers`` with stars (the global one larger); returns the artists."""
    mins = np.asarray(landscape.minimizers)
    if len(mins) == 0:
        return []
    sizes = [13] + [9] * (len(mins) - 1)
    return [
        ax.plot(x, y, "*", color=MINIMIZER_COLOR, markersize=s, markeredgecolor="white",
                markeredgewidth=0.6, zorder=4, label="minimiser" if k == 0 else None)[0]
        for k, ((x, y), s) in enumerate(zip(mins, sizes, strict=True))
    ]


# --------------------------------------------------------------------------- paths and curves


def path(ax, positions, name: str, label: str | None = None, linestyle: str | None = None):
    """Draw the iterates ``positions`` (``(k, 2)``) as a line with small dots, in the colour and
    line style of optimizer ``name`` (``linestyle`` overrides the style); returns the
    :class:`~matplotlib.lines.Line2D`."""
    colour, style = optimizer_style(name)
    (line,) = ax.plot([], [], linestyle or style, color=colour, marker="o", markersize=2.5,
                      linewidth=1.4, label=label if label is not None else name, zorder=3)
    update_path(line, positions)
    return line


def update_path(line, positions):
    """Show ``positions`` (``(k, 2)``) on a line made by :func:`path`."""
    positions = np.asarray(positions)
    line.set_data(positions[:, 0], positions[:, 1])


def loss_curve(ax, losses, min_value: float, name: str, label: str | None = None,
               linestyle: str | None = None):
    r"""Draw :math:`f(x_t) - f^*` against the step :math:`t` on a log axis (or :math:`f(x_t)` on
    a linear one when ``min_value`` is :math:`-\infty`), in the colour and line style of
    optimizer ``name`` (``linestyle`` overrides the style); returns the
    :class:`~matplotlib.lines.Line2D`."""
    colour, style = optimizer_style(name)
    (line,) = ax.plot([], [], linestyle or style, color=colour, linewidth=1.4,
                      label=label if label is not None else name)
    ax.set_yscale("log" if math.isfinite(min_value) else "linear")
    update_loss_curve(line, losses, min_value)
    return line


def loss_values(losses, min_value: float) -> np.ndarray:
    r""":math:`f(x_t) - f^*`, floored at the smallest positive float so that a run landing
    exactly on the minimum stays on a log axis (unchanged when :math:`f^* = -\infty`)."""
    losses = np.asarray(losses, dtype=np.float64)
    if not math.isfinite(min_value):
        return losses
    return np.maximum(losses - min_value, np.finfo(np.float64).tiny)


def update_loss_curve(line, losses, min_value: float):
    """Show ``losses`` on a line made by :func:`loss_curve`."""
    values = loss_values(losses, min_value)
    line.set_data(np.arange(values.size), values)


def rate_line(ax, start: float, rate: float, steps: int, *, power: float = 1.0, color="black",
              label: str | None = None):
    r"""Draw the theoretical decay :math:`c\,\rho^{p t}` for :math:`t = 0..` ``steps`` as a
    dashed line (``start`` = :math:`c`, ``rate`` = :math:`\rho`, ``power`` = :math:`p`: 1 for
    an error norm, 2 for a quadratic's excess loss); returns the Line2D."""
    (line,) = ax.plot([], [], "--", color=color, linewidth=1.1, label=label)
    update_rate_line(line, start, rate, steps, power=power)
    return line


def update_rate_line(line, start: float, rate: float, steps: int, *, power: float = 1.0):
    """Show :math:`c\\,\\rho^{pt}` on a line made by :func:`rate_line`; an empty line when
    ``rate`` is not finite. Values are floored at the smallest positive float."""
    if not math.isfinite(rate):
        line.set_data([], [])
        return
    t = np.arange(steps + 1)
    with np.errstate(under="ignore", over="ignore"):
        values = start * np.power(float(rate), power * t)
    line.set_data(t, np.clip(values, np.finfo(np.float64).tiny, np.finfo(np.float64).max))


# --------------------------------------------------------------------------- notes


def divergence_text(k: int | None) -> str:
    """The book's wording for a run that diverged at step ``k`` ('' when it did not)."""
    return "" if k is None else f"diverged at step {k}"


def note(ax, x: float, y: float, text: str = "", *, color="black", ha="left", va="top"):
    """A short text in axes coordinates on a white box (e.g. "diverged at step k"), in
    ``color`` darkened to text contrast (:func:`text_shade`); returns the
    :class:`~matplotlib.text.Text` to update with ``set_text``."""
    return ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, color=text_shade(color),
                   fontsize=FONT["note"], zorder=6,
                   bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "alpha": 0.85,
                         "edgecolor": "none"})


# --------------------------------------------------------------------------- heat maps


def rate_cmap():
    """:data:`RATE_CMAP` with NaN (diverged) and values above the top (rate ≥ 1) in
    :data:`NO_CONVERGENCE_COLOR`."""
    return mpl.colormaps[RATE_CMAP].with_extremes(bad=NO_CONVERGENCE_COLOR,
                                                  over=NO_CONVERGENCE_COLOR)


#: Ticks of the colour bar of :func:`rate_norm`.
RATE_TICKS = (0.0, 0.5, 0.9, 0.99, 0.999, 1.0)


def rate_norm(slack: float = 1e-3):
    r"""A fixed colour scale for rates :math:`\rho \in [0, 1]`, logarithmic in
    :math:`1 + \delta - \rho` (:math:`\delta` = ``slack``), so 0.9, 0.99 and 0.999 are nearly
    evenly spaced and slow rates near 1 stay distinguishable (colour-bar ticks:
    :data:`RATE_TICKS`). NaN and rates above 1 fall outside it (drawn in
    :data:`NO_CONVERGENCE_COLOR` by :func:`rate_cmap`).

    Being fixed, it keeps one colour for one rate whatever the data, so a heat map updated
    with new values needs no new colour bar."""

    def forward(rho):
        with np.errstate(invalid="ignore", divide="ignore"):
            return -np.log10(1.0 + slack - np.asarray(rho, dtype=np.float64))

    def inverse(y):
        return 1.0 + slack - 10.0 ** -np.asarray(y, dtype=np.float64)

    return mpl.colors.FuncNorm((forward, inverse), vmin=0.0, vmax=1.0)


def heat_map(ax, values, x_extent, y_extent, *, vmin: float | None = None, vmax: float = 1.0,
             colorbar_label: str = "rate", cmap=None, norm=None, ticks=None):
    """Draw ``values`` (``(ny, nx)``, rows along y) as an image over the rectangle
    ``x_extent`` × ``y_extent``, with a colour bar; returns ``(image, colorbar)``.

    Cell ``[iy, ix]`` covers the ``ix``-th of ``nx`` equal slices of ``x_extent`` and the
    ``iy``-th of ``y_extent`` (so grid values should be the slices' centres). Colours are
    linear from ``vmin`` to ``vmax``, or given by ``norm`` (e.g. :func:`rate_norm`; then
    ``vmin`` is not given); ``ticks`` are the colour bar's (default: chosen by Matplotlib).
    NaN cells and cells above the top are drawn in
    :data:`NO_CONVERGENCE_COLOR` (with the default ``cmap``). Update with
    :func:`update_heat_map`.
    """
    if (norm is None) == (vmin is None):
        raise ValueError("give heat_map either vmin (a linear scale) or norm, not both")
    if norm is None:
        norm = mpl.colors.Normalize(vmin, vmax)
    image = ax.imshow(
        values, origin="lower", aspect="auto", interpolation="nearest",
        interpolation_stage="data",  # nearest: the same pixels, 3 times faster than "rgba"
        extent=(*x_extent, *y_extent), cmap=cmap if cmap is not None else rate_cmap(),
        norm=norm,
    )
    colorbar = ax.figure.colorbar(image, ax=ax, extend="max", pad=0.02)
    if ticks is not None:
        colorbar.set_ticks(ticks, labels=[f"{t:g}" for t in ticks])
    colorbar.set_label(colorbar_label, fontsize=FONT["label"])
    colorbar.ax.tick_params(labelsize=FONT["tick"])
    return image, colorbar


def update_heat_map(image, values, x_extent=None, y_extent=None, *, vmin: float | None = None,
                    vmax: float | None = None):
    """Show new ``values`` on an image made by :func:`heat_map`, over a new rectangle and with
    new colour limits where given (the colour bar follows)."""
    image.set_data(values)
    if x_extent is not None or y_extent is not None:
        old = image.get_extent()
        image.set_extent((*(x_extent or old[:2]), *(y_extent or old[2:])))
    if vmin is not None or vmax is not None:
        image.set_clim(vmin, vmax)
