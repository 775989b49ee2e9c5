r"""Explorers alive in the static HTML book: the page's view of an explorer, written at build
time.

A notebook displays an explorer once. When the book is built (``make book`` and ``make test``
execute the chapters with the environment variable :data:`ENV` set), the display bundle
carries two views: the ipywidgets view (``application/vnd.jupyter.widget-view+json``), which a
kernel front-end (JupyterLab, Binder, Colab) renders and drives with the library, and an HTML
view (``text/html``), which the book's HTML build shows instead (MyST-NB's
``nb_mime_priority_overrides: [["html", "text/html", 5]]`` in ``_config.yml`` ranks it above
the widget view, 10). JupyterLab ranks its widget renderer above HTML, so there the widget is
shown as before. Without :data:`ENV` (a reader's own kernel) only the widget view is made, so a
reader never waits for a view they cannot see.

The HTML view is a ``<div class="optbook-static-explorer">`` holding one JSON document, which
the page's script (``js/``, bundled by the Makefile into ``_vendor/optbook-explorers.js``) turns
into native controls (``<input type="range">`` or ``<select>``, each with its spoken label as
``aria-label``) built from the explorer's :meth:`~optbook.widgets.engine.Explorer.control_specs`
and a figure. There are two kinds of view:

* **live** (:class:`~optbook.widgets.quadratic_rate.QuadraticRateExplorer`,
  :class:`~optbook.widgets.trajectory.TrajectoryExplorer`,
  :class:`~optbook.widgets.momentum_map.MomentumRateMap`,
  :class:`~optbook.widgets.optimizer_race.OptimizerRace`): matplotlib draws
  the scenery at build time (the figure without its moving parts: axes, ticks, labels,
  legend), the document gives each axes' box in CSS pixels and its data limits and scales
  (the data-to-pixel transform), and the page computes with its port of the library (kept
  identical by the test vectors of ``tests/js``) and draws the moving parts on a canvas over
  the scenery. Where an axis' limits follow the state, the document holds one strip of that
  axis' ticks and labels per limits a slider setting reaches, or (where every slider moves
  them, as on the trajectory explorer's loss axis) the page chooses and draws the ticks as
  matplotlib does; where a choice changes part of the scenery
  (:class:`~optbook.widgets.optimizer_race.OptimizerRace`'s landscape and rule), one image of
  that part per option.
* **precomputed** (any other explorer whose controls each take finitely many settings, at most
  :data:`MAX_STATES` combinations; the contract of issue 14): the explorer is moved through
  every combination with ``update`` at build time, and the document holds the figure (PNG) and
  the alternative text (:meth:`~optbook.widgets.engine.Explorer.alt_text`) of each; the page
  swaps them as the reader moves the controls, and says beside the explorer that its states
  were computed when the book was built.

An explorer with neither (continuous controls and no live view yet) keeps the widget view only.
"""

from __future__ import annotations

import base64
import html
import inspect
import io
import itertools
import json
import math
import os
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imsave
from matplotlib.transforms import Bbox, IdentityTransform

from optbook import landscapes, optimizers, plotting
from optbook.widgets.engine import FIGURE

#: Set (to anything but "" or "0") when the chapters are executed for the HTML book.
ENV = "OPTBOOK_STATIC_VIEWS"

HTML_MIME = "text/html"

#: The MyST-NB setting that makes the HTML book show the static view (lower ranks first).
MIME_PRIORITY_OVERRIDES = [["html", HTML_MIME, 5]]

#: The most combinations of control settings a precomputed view holds.
MAX_STATES = 48


def enabled() -> bool:
    """Whether displays carry the static view (:data:`ENV` set)."""
    return os.environ.get(ENV, "") not in ("", "0")


def bundle(explorer) -> dict:
    """The explorer's display bundle: its widget view and, when :func:`enabled` and the
    explorer has one, its static view."""
    data = explorer.widget._repr_mimebundle_()
    data = data[0] if isinstance(data, tuple) else data
    if enabled():
        document = view_document(explorer)
        if document is not None:
            data = {**data, HTML_MIME: view_html(document)}
    return data


def view_html(document: dict) -> str:
    """The HTML view: a container that the page's script fills, holding the JSON document."""
    data = json.dumps(document, separators=(",", ":")).replace("</", "<\\/")
    kind = html.escape(document["kind"])
    return (f'<div class="optbook-static-explorer" data-explorer="{kind}">'
            f'<script type="application/json">{data}</script></div>')


def view_document(explorer) -> dict | None:
    """The static view's document of ``explorer`` (module docstring), ``None`` if it has none."""
    from optbook.widgets.momentum_map import MomentumRateMap
    from optbook.widgets.optimizer_race import OptimizerRace
    from optbook.widgets.quadratic_rate import QuadraticRateExplorer
    from optbook.widgets.trajectory import TrajectoryExplorer

    if type(explorer) is QuadraticRateExplorer:
        return quadratic_rate_document(explorer)
    if type(explorer) is TrajectoryExplorer:
        return trajectory_document(explorer)
    if type(explorer) is MomentumRateMap:
        return momentum_map_document(explorer)
    if type(explorer) is OptimizerRace:
        return optimizer_race_document(explorer)
    if precomputable(explorer.control_specs()):
        return precomputed_document(explorer)
    return None


# --------------------------------------------------------------------------- the figure


def axes_geometry(ax) -> dict:
    """The axes' box in CSS pixels from the figure's top-left corner, and its data limits and
    scales: all the page needs to map data to pixels as matplotlib does."""
    height = ax.figure.bbox.height
    box = ax.bbox
    return {
        "box": [box.x0, height - box.y1, box.width, box.height],
        "x": {"scale": ax.get_xscale(), "limits": [float(v) for v in ax.get_xlim()]},
        "y": {"scale": ax.get_yscale(), "limits": [float(v) for v in ax.get_ylim()]},
    }


def png_data(png: bytes) -> str:
    """PNG bytes as a data URL."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _rgba_png(rgba) -> str:
    buffer = io.BytesIO()
    imsave(buffer, rgba, format="png")
    return png_data(buffer.getvalue())


def _scenery(fig) -> np.ndarray:
    """The figure drawn without its animated artists (an explorer's moving parts), as RGBA."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


# --------------------------------------------------------------------------- settings


def _positions(spec: dict) -> tuple:
    """``(lo, hi, step, count)`` of a slider in its own units (log10 units on a log control),
    ``count`` the number of steps from ``lo`` that stay at or below ``hi``, plus one."""
    lo, hi, step = spec["min"], spec["max"], spec["step"]
    if spec["kind"] == "log":
        lo, hi = math.log10(lo), math.log10(hi)
    return lo, hi, step, math.floor((hi - lo) / step + 1e-9) + 1


def settings(spec: dict) -> list:
    """Every value a control takes in a static view: its options, or min, min + step, ...,
    max (in log10 units on a log control; the last setting is max itself)."""
    if spec["kind"] == "choice":
        return list(spec["options"])
    lo, hi, step, count = _positions(spec)
    positions = [lo + k * step for k in range(count)]
    if positions[-1] < hi - 1e-9 * max(step, abs(hi)):
        raise ValueError(f"{spec['key']}: max {spec['max']!r} is not min plus a whole number "
                         f"of steps {step!r}")
    positions[-1] = hi
    if spec["kind"] == "int":
        return [int(round(p)) for p in positions]
    values = [10.0**p for p in positions] if spec["kind"] == "log" else positions
    values[0], values[-1] = spec["min"], spec["max"]
    return [float(v) for v in values]


def precomputable(specs) -> bool:
    """Whether a precomputed view can hold every combination of these controls' settings."""
    total = 1
    for spec in specs:
        total *= len(spec["options"]) if spec["kind"] == "choice" else _positions(spec)[3]
        if total > MAX_STATES:
            return False
    return True


def _setting_index(spec: dict, values: list, value) -> int:
    """The index of the control's current value among its settings; ``ValueError`` if it is
    not one of them."""
    for k, setting in enumerate(values):
        if setting == value or (spec["kind"] in ("log", "linear")
                                and math.isclose(setting, value, rel_tol=1e-9, abs_tol=1e-12)):
            return k
    raise ValueError(f"{spec['key']}: the explorer's value {value!r} is not one of the "
                     f"settings of its control {values!r}; start it on one")


def precomputed_document(explorer) -> dict:
    """Every combination of the explorer's control settings, its figure and alternative text
    (row-major over the controls, the last control fastest); the explorer is left at the
    values it had."""
    specs = explorer.control_specs()
    grids = [settings(spec) for spec in specs]
    total = math.prod(len(grid) for grid in grids)
    if total > MAX_STATES:
        raise ValueError(f"a precomputed view holds at most {MAX_STATES} combinations of "
                         f"settings; these controls have {total}")
    start = explorer.values
    current = [_setting_index(spec, grid, start[spec["key"]])
               for spec, grid in zip(specs, grids, strict=True)]
    images, alts = [], []
    for combination in itertools.product(*grids):
        explorer.update(**{spec["key"]: value
                           for spec, value in zip(specs, combination, strict=True)})
        images.append(png_data(explorer.png()))
        alts.append(explorer.alt_text())
    explorer.update(**start)
    width, height = explorer.fig.canvas.get_width_height()
    return {"kind": "precomputed", "controls": specs, "settings": grids, "start": current,
            "size": [width, height], "images": images, "alt": alts}


# --------------------------------------------------------------------------- live views


def quadratic_rate_document(explorer) -> dict:
    """The live view of a :class:`~optbook.widgets.quadratic_rate.QuadraticRateExplorer`.

    The error axis' limits follow the run (whole decades); the view carries a strip of that
    axis' ticks and labels for every pair of limits a setting of the two sliders reaches
    (:func:`error_decades`).
    """
    specs = explorer.control_specs()
    fig = explorer.fig
    base = _scenery(fig)
    by_key = {spec["key"]: spec for spec in specs}
    kappas = settings(by_key["kappa"]) + [by_key["kappa"]["value"]]
    lrs = settings(by_key["lr"]) + [by_key["lr"]["value"]]
    decades = error_decades(np.array(kappas), np.array(lrs), explorer.steps)
    return {
        "kind": "quadratic-rate",
        "controls": specs,
        "size": [fig.bbox.width, fig.bbox.height],
        "scenery": _rgba_png(base),
        "axes": {"rate": axes_geometry(explorer.ax_rate), "error": axes_geometry(explorer.ax_err)},
        "strips": _error_axis_strips(explorer, sorted(set(map(tuple, decades.tolist())))),
        "steps": explorer.steps,
        "lr_grid": {"start": explorer.LR_RANGE[0], "stop": explorer.LR_RANGE[1],
                    "count": len(explorer._grid)},
    }


def error_decades(kappas, lrs, steps, bound=1e6) -> np.ndarray:
    r"""The quadratic-rate explorer's error-axis limits, as decades ``(low, high)``, for every
    pair of ``kappas`` and ``lrs`` (an array ``(len(kappas) * len(lrs), 2)``, ``lrs``
    fastest).

    Every run is stepped at once, in arrays, with the 2-D kernel's operations on
    :func:`~optbook.landscapes.conditioned_quadratic` (gradient :math:`A(x - 0)`, then
    :math:`x - \eta g`) and its stopping rule (a coordinate beyond ``bound``), so the errors
    are the run's; the limits are :func:`optbook.plotting.decade_limits` of them with the
    explorer's floor :math:`10^{-13}\,e_0`. 34,000 settings of 300 steps take a fraction of a
    second, where one run each takes seconds.
    """
    kappa, lr = (a.ravel() for a in np.meshgrid(np.asarray(kappas, dtype=np.float64),
                                                 np.asarray(lrs, dtype=np.float64),
                                                 indexing="ij"))
    start = landscapes.conditioned_quadratic(1.0).start  # the same for every kappa
    x0 = np.full(kappa.size, start[0])
    x1 = np.full(kappa.size, start[1])
    first = np.sqrt(x0 * x0 + x1 * x1)
    low, high = first.copy(), first.copy()
    alive = np.ones(kappa.size, dtype=bool)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            g0 = 1.0 * x0 + 0.0 * x1
            g1 = 0.0 * x0 + kappa * x1
            x0 = x0 - lr * g0
            x1 = x1 - lr * g1
            alive &= (np.abs(x0) <= bound) & (np.abs(x1) <= bound)
            error = np.sqrt(x0 * x0 + x1 * x1)
            seen = alive & (error > 0.0)
            low = np.where(seen, np.minimum(low, error), low)
            high = np.where(seen, np.maximum(high, error), high)
    low = np.maximum(low, first * 1e-13)
    high = np.maximum(high, low)
    return np.stack([np.floor(np.log10(low)), np.floor(np.log10(high)) + 1], axis=1).astype(int)


def _error_axis_strips(explorer, decades) -> dict:
    """PNG strips of the error axis' ticks and labels, one per pair of decades."""
    ax = explorer.ax_err
    fig = explorer.fig
    height = fig.bbox.height
    # The column left of the axes, from a tick label above its top down past the lowest tick
    # label (half a label below the axes): everything in it but the y-axis is the same in every
    # strip.
    left = math.floor(explorer.ax_rate.bbox.x1 + 4)
    right = math.ceil(ax.bbox.x0 + 2)
    label = plotting.FONT["tick"] * fig.dpi / 72
    top = max(0, math.floor(height - ax.bbox.y1 - label))
    bottom = math.ceil(height - ax.bbox.y0 + 2 * label)
    saved = ax.get_ylim()
    # Only the error axes reach into the strip: the rest is hidden while the strips are drawn
    # (Agg's text is slow, and the legend alone holds most of the figure's glyphs).
    hidden = [artist for artist in [*fig.legends, explorer.ax_rate] if artist.get_visible()]
    for artist in hidden:
        artist.set_visible(False)
    images = {}
    for lo, hi in decades:
        ax.set_ylim(10.0**lo, 10.0**hi)
        images[f"{lo} {hi}"] = _rgba_png(_scenery(fig)[top:bottom, left:right])
    for artist in hidden:
        artist.set_visible(True)
    ax.set_ylim(*saved)
    explorer._draw(FIGURE)  # the whole figure again, as it was
    return {"box": [left, top, right - left, bottom - top], "images": images}


def trajectory_document(explorer) -> dict | None:
    """The live view of a :class:`~optbook.widgets.trajectory.TrajectoryExplorer`, or ``None``
    on a landscape unbounded below (its linear loss axis has no port in the page yet).

    The scenery is the figure without its moving parts and without the loss axis' ticks, tick
    labels and y label: every slider moves that axis' limits (steps to ``[0, steps]``, the runs
    to whole decades), so the page chooses the ticks as matplotlib does (``js/ticks.js``) and
    draws them, and places the y label (an image of it) beside the widest tick label, as
    matplotlib does. The document gives each run's rule, colour and marker, the landscape's
    library parameters and minimisers, and the tick sizes.
    """
    from optbook.widgets.trajectory import MARKERS

    ax = explorer.ax_loss
    if ax.get_yscale() != "log":
        return None
    land = explorer.landscape
    fig = explorer.fig
    dpi = fig.dpi
    rc = mpl.rcParams
    # the numbers of bins and ticks matplotlib's 'auto' locators ask for on these axes
    ticks = {
        "x_bins": int(np.clip(ax.xaxis.get_tick_space(), 1, 9)),
        "y_ticks": int(np.clip(ax.yaxis.get_tick_space(), 2, 9)),
        "major": [rc["xtick.major.size"], rc["xtick.major.width"]],
        "minor": [rc["ytick.minor.size"], rc["ytick.minor.width"]],
        "pad": rc["xtick.major.pad"],
        "font_size": ax.yaxis.get_major_ticks()[0].label1.get_fontsize(),
    }
    ylabel = _label_image(ax.yaxis.label)
    ylabel["pad"] = ax.yaxis.labelpad * dpi / 72
    scenery = _without_loss_axis_ticks(explorer)
    runs = []
    for opt, label, colour, marker, line in zip(
            explorer.optimizers, explorer.labels, explorer.colours, MARKERS[:len(explorer.labels)],
            explorer.theory_lines, strict=True):
        runs.append({
            "name": opt.name, "form": opt.form, "label": label, "colour": colour,
            "marker": marker, "style": plotting.optimizer_style(opt.name)[1],
            "text_colour": plotting.text_shade(colour),
            "params": {k: v for k, v in opt.params.items() if k != "form"},
            "hypers": [h.name for h in explorer._hypers(opt)],
            "settings": [[h.name, h.label] for h in explorer._hypers(opt) if not h.boolean],
            "theory_style": line.get_linestyle(),
        })
    stars = [{"x": float(line.get_xdata()[0]), "y": float(line.get_ydata()[0]),
              "size": line.get_markersize(), "edge_width": line.get_markeredgewidth()}
             for line in explorer.ax_path.lines if line.get_marker() == "*"]
    return {
        "kind": "trajectory",
        "controls": explorer.control_specs(),
        "reset": "reset to the values given",
        # the kernel's columns: each optimizer's controls under its name and colour, then the run
        "groups": [*({"title": run["label"], "colour": run["colour"],
                      "keys": [f"{run['label']}_{name}" for name in run["hypers"]]}
                     for run in runs),
                   {"title": "run", "colour": None, "keys": ["steps", "x0_1", "x0_2"]}],
        "size": [fig.bbox.width, fig.bbox.height],
        "scenery": _rgba_png(scenery),
        "axes": {"path": axes_geometry(explorer.ax_path), "loss": axes_geometry(ax)},
        "ticks": ticks,
        "ylabel": ylabel,
        "landscape": {
            "name": land.name, "code": int(land.code), "params": [float(p) for p in land.params],
            "min_value": float(land.min_value),
            "eigenvalues": ([float(v) for v in land.eigenvalues]
                            if land.code == landscapes.QUADRATIC else None),
        },
        "stars": stars,
        "runs": runs,
    }


def _label_image(label) -> dict:
    """An axis label as the figure draws it, alone on a transparent image: its data URL, its
    box in CSS pixels from the figure's top-left corner, and the position of its ink's right
    edge and middle (where the page anchors it)."""
    fig = label.figure
    x, y = label.get_transform().transform(label.get_position())
    alone = Figure(figsize=fig.get_size_inches(), dpi=fig.dpi)
    FigureCanvasAgg(alone)
    alone.patch.set_alpha(0.0)
    text = alone.text(x, y, label.get_text(), transform=IdentityTransform(),
                      fontproperties=label.get_fontproperties(), rotation=label.get_rotation(),
                      rotation_mode=label.get_rotation_mode(), ha=label.get_ha(),
                      va=label.get_va(), color=label.get_color())
    rgba = _scenery(alone)
    box = text.get_window_extent()
    height = alone.bbox.height
    left, right = math.floor(box.x0), math.ceil(box.x1)
    top, bottom = math.floor(height - box.y1), math.ceil(height - box.y0)
    return {"image": _rgba_png(rgba[top:bottom, left:right]),
            "box": [left, top, right - left, bottom - top], "right": float(box.x1),
            "middle": float(height - (box.y0 + box.y1) / 2)}


def _without_loss_axis_ticks(explorer) -> np.ndarray:
    """The trajectory explorer's scenery (RGBA) without the loss axis' tick marks, tick labels
    and y label, which the page draws; the x label stays where the tick labels put it (they
    are made transparent, not removed, so the layout is the one the kernel draws)."""
    ax = explorer.ax_loss
    fig = explorer.fig
    marks = [(tick, tick.tick1line.get_markeredgecolor(), tick.label1.get_color())
             for axis in (ax.xaxis, ax.yaxis)
             for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]]
    for tick, _, _ in marks:
        tick.tick1line.set_markeredgecolor("none")
        tick.label1.set_color("none")
    ax.yaxis.label.set_visible(False)
    try:
        return _scenery(fig)
    finally:
        for tick, mark, text in marks:
            tick.tick1line.set_markeredgecolor(mark)
            tick.label1.set_color(text)
        ax.yaxis.label.set_visible(True)
        explorer._draw(FIGURE)  # the whole figure again, as it was


def colour_table(cmap) -> str:
    """A colour map's 256 colours as base64 of their RGB bytes, as matplotlib paints an image
    with them (``bytes=True``: 255 times the colour, truncated); the page indexes them as
    matplotlib does, ``int(x * 256)``, with 1 itself the last colour."""
    rgb = cmap(np.arange(256), bytes=True)[:, :3]
    return base64.b64encode(rgb.tobytes()).decode("ascii")


def momentum_map_document(explorer) -> dict:
    r"""The live view of a :class:`~optbook.widgets.momentum_map.MomentumRateMap`.

    The scenery is the figure without what :math:`\kappa` or the point changes: the map's
    cells, boundary, star, point and title, and the right-hand axes' contents, frame, ticks,
    tick labels and vertical axis label (placed beside the tick labels; the horizontal one
    stays). The page sweeps the map with ``js/sweep.js`` and
    colours its cells with :func:`optbook.plotting.rate_norm` (its two ends, written here) and
    the colour map's table; the right-hand axes' limits and three ticks follow
    :func:`~optbook.widgets.engine.set_symmetric_limits`. Controls: the specifications, the
    :math:`\kappa` slider marked ``"continuous": false`` (the map is swept on release, as in
    the kernel), the :math:`\eta` slider's range given as ``"follows"``: its top is ``span /
    (kappa * scale)``, its low end and step the top over ``ratio``, and a :math:`\kappa` change
    keeps :math:`\eta\kappa` (clipped to the range); and the *snap to optimum* button.
    """
    specs = explorer.control_specs()
    for spec in specs:
        if spec["key"] == "kappa":
            spec["continuous"] = bool(explorer._widgets["kappa"].continuous_update)
        if spec["key"] == "lr":
            spec["follows"] = {"key": "kappa", "span": explorer.LR_SPAN,
                               "scale": explorer.lam_min, "ratio": explorer.LR_RATIO}
    fig = explorer.fig
    ax = explorer.ax_path
    contours = explorer._contours
    # the right-hand axes without its moving parts: its frame and axis labels are scenery (its
    # ticks are drawn transparent, so the labels keep their places beside them)
    colours = {name: (axis.get_major_ticks()[0].tick1line.get_color(),
                      axis.get_major_ticks()[0].label1.get_color())
               for name, axis in (("x", ax.xaxis), ("y", ax.yaxis))}
    ax.set_animated(False)
    contours.set_visible(False)
    for spine in ax.spines.values():  # the page draws the frame over the level sets
        spine.set_visible(False)
    ax.yaxis.label.set_visible(False)  # beside tick labels whose width follows the run
    ax.tick_params(color="none", labelcolor="none")
    try:
        base = _scenery(fig)
    finally:
        for name, (line, label) in colours.items():
            ax.tick_params(axis=name, color=line, labelcolor=label)
        for spine in ax.spines.values():
            spine.set_visible(True)
        ax.yaxis.label.set_visible(True)
        contours.set_visible(True)
        ax.set_animated(True)
        explorer._draw(FIGURE)
    norm = plotting.rate_norm()
    slack = inspect.signature(plotting.rate_norm).parameters["slack"].default
    # the scale's ends through its own forward function (the transform of matplotlib's
    # FuncNorm), so the page divides by the numbers the kernel's image divides by
    low, high = (float(v) for v in norm._trf.transform(np.array([norm.vmin, norm.vmax])))
    return {
        "kind": "momentum-map",
        "controls": specs,
        "buttons": [{"label": "snap to optimum", "action": "snap_to_optimum"}],
        "size": [fig.bbox.width, fig.bbox.height],
        "scenery": _rgba_png(base),
        "axes": {"map": axes_geometry(explorer.ax_map), "path": axes_geometry(ax)},
        "steps": explorer.steps,
        "resolution": explorer.resolution,
        "lam_min": explorer.lam_min,
        "lr_span": explorer.LR_SPAN,
        "rate_norm": {"slack": slack, "low": low, "high": high},
        "rate_colours": colour_table(plotting.rate_cmap()),
        "no_convergence": [int(v) for v in plotting.rate_cmap()(np.nan, bytes=True)[:3]],
        "contour_colours": colour_table(mpl.colormaps[plotting.CONTOUR_CMAP]),
        "path_style": list(plotting.optimizer_style("momentum")),
    }


def optimizer_race_document(explorer) -> dict:
    r"""The live view of an :class:`~optbook.widgets.optimizer_race.OptimizerRace`.

    Two controls change the scenery: the landscape (level sets, the path axes' limits and
    ticks) and the method (the legend names the rule in its colour and line style); the loss
    axis is the same in every state (:data:`~optbook.widgets.optimizer_race.LOSS_LIMITS`). The
    document holds the figure without its legend, the image of the path axes' column for each
    landscape and of the legend for each method, each drawn by the explorer at that setting;
    each landscape's definition (code and parameters, the library's doubles), start,
    minimisers and axes; each method's hyper-parameters beyond the controls (the library's
    defaults), colour and line style. NAdam's powers :math:`0.96^{\psi}` and
    :math:`0.96^{2\psi}` are the library's (the C library's ``pow``, which the browser's may
    miss in the last bit). The explorer is left at the values it had.
    """
    from optbook.widgets import optimizer_race as race

    specs = explorer.control_specs()
    start = explorer.values
    fig = explorer.fig
    height = fig.bbox.height
    legends, legend_extents, methods = {}, [], {}
    for method in race.METHODS:
        explorer.update(method=method)
        legend_extents.append(explorer._legend.get_window_extent(fig.canvas.get_renderer()))
        legends[method] = _scenery(fig)
        methods[method] = race_method(explorer.current_optimizer())
    legend_box = _pixel_box(Bbox.union(legend_extents), fig, pad=1)
    # The path axes' column, from the figure's left edge to the loss axes' label and down to
    # the legend: only the landscape changes what it shows.
    column = [0, 0, 0, legend_box[1]]
    columns, landscapes_doc = {}, {}
    for name in race.LANDSCAPES:
        explorer.update(landscape=name)
        with _hidden([explorer._legend]):
            columns[name] = _scenery(fig)
        with _hidden([explorer._legend, *explorer._dynamic]):
            renderer = fig.canvas.get_renderer()
            path_extent = explorer.ax_path.get_tightbbox(renderer)
            column[2] = math.floor(explorer.ax_loss.get_tightbbox(renderer).x0) - 1
        if path_extent.x1 > column[2] or height - path_extent.y0 > column[3]:
            raise ValueError(f"{name}: the path axes reach into the loss axes or the legend")
        landscapes_doc[name] = {**race_landscape(name), "axes": axes_geometry(explorer.ax_path)}
    explorer.update(**start)
    with _hidden([explorer._legend, explorer._contours]):  # both are the images' part
        base = _scenery(fig)
    explorer._draw(FIGURE)  # the whole figure again, as it was
    for name, image in columns.items():
        landscapes_doc[name]["scenery"] = _rgba_png(_crop(image, column))
    return {
        "kind": "optimizer-race",
        "controls": specs,
        "size": [fig.bbox.width, fig.bbox.height],
        "scenery": _rgba_png(base),
        "column": column,
        "legend": {"box": legend_box,
                   "images": {m: _rgba_png(_crop(image, legend_box))
                              for m, image in legends.items()}},
        "landscapes": landscapes_doc,
        "loss": axes_geometry(explorer.ax_loss),
        "noteLineStep": _note_line_step(explorer.ax_loss),
        "lossFloor": race.LOSS_LIMITS[0] / 10,
        "steps": explorer.STEPS,
        "methods": methods,
        "gd": {"color": plotting.optimizer_style("gd")[0],
               "text": plotting.text_shade(plotting.optimizer_style("gd")[0])},
    }


@contextmanager
def _hidden(artists):
    """Hide the visible ``artists`` for the block."""
    shown = [a for a in artists if a.get_visible()]
    for artist in shown:
        artist.set_visible(False)
    try:
        yield
    finally:
        for artist in shown:
            artist.set_visible(True)


def _pixel_box(extent, fig, pad=0) -> list:
    """A display-space box as whole CSS pixels ``[left, top, width, height]`` from the
    figure's top-left corner, grown by ``pad`` pixels and kept inside the figure."""
    width, height = fig.canvas.get_width_height()
    left = max(0, math.floor(extent.x0) - pad)
    top = max(0, math.floor(height - extent.y1) - pad)
    right = min(width, math.ceil(extent.x1) + pad)
    bottom = min(height, math.ceil(height - extent.y0) + pad)
    return [left, top, right - left, bottom - top]


def _note_line_step(ax) -> float:
    """Pixels from one line of a note (:func:`optbook.plotting.note`) to the next, as
    matplotlib lays several lines out (from the fonts' line gap and ascent, more than the
    1.2 font sizes of a browser's): the height a third line adds to a note."""
    renderer = ax.figure.canvas.get_renderer()
    heights = []
    for text in ("lp\nlp", "lp\nlp\nlp"):
        probe = plotting.note(ax, 0.5, 0.5, text)
        heights.append(probe.get_window_extent(renderer).height)
        probe.remove()
    return heights[1] - heights[0]


def _crop(rgba, box) -> np.ndarray:
    left, top, width, height = box
    return rgba[top:top + height, left:left + width]


def race_landscape(name) -> dict:
    """What the race's page computes with of the landscape called ``name``
    (:data:`~optbook.widgets.optimizer_race.LANDSCAPES`): its code and parameters, start,
    minimisers and minimum."""
    from optbook.widgets import optimizer_race as race

    make, _, given = race.LANDSCAPES[name]
    land = make()
    start = land.start if given is None else given
    return {"code": int(land.code), "params": [float(p) for p in land.params],
            "start": [float(v) for v in start], "minimizers": land.minimizers.tolist(),
            "minValue": float(land.min_value)}


def race_method(opt) -> dict:
    """What the race's page needs of the adaptive rule ``opt``: its label, the controls it
    reads, its other hyper-parameters (by the library's names: the page sets those the
    controls give), its colour and line style."""
    from optbook.widgets import optimizer_race as race

    colour, dash = plotting.optimizer_style(opt.name)
    hyper = {h.name: getattr(opt, h.name) for h in opt.rule.hypers_for(opt.form)}
    entry = {"label": race._rule_name(opt.name), "reads": list(race.METHODS[opt.name]),
             "beta2": "rho" if "rho" in hyper else "beta2", "form": opt.form, "hyper": hyper,
             "color": colour, "dash": dash, "text": plotting.text_shade(colour)}
    if opt.name == "nadam":
        psi = opt.momentum_decay
        hyper["decay_factor"] = optimizers.NADAM_DECAY_BASE ** psi
        entry["decayPowers"] = [optimizers.NADAM_DECAY_BASE ** psi,
                                optimizers.NADAM_DECAY_BASE ** (2.0 * psi)]
    return entry
