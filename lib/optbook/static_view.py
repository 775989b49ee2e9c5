r"""An explorer alive in the static HTML book: the page's view, written at build time.

A notebook displays an explorer once. Its display bundle carries two views: the ipywidgets
view (``application/vnd.jupyter.widget-view+json``), which a kernel front-end (JupyterLab,
Binder, Colab) renders and drives with the library, and an HTML view (``text/html``), which the
book's HTML build shows instead (MyST-NB: ``nb_mime_priority_overrides: [["html", "text/html",
5]]`` ranks it above the widget view, 10). JupyterLab ranks its widget renderer above HTML, so
there the widget is shown as before.

The HTML view is a ``<div class="optbook-explorer">`` holding one JSON document:

* ``controls``: the explorer's control specification, one entry per slider,
  ``{"key", "label", "symbol", "kind" ("log" | "linear" | "int" | "choice"), "min", "max",
  "step" (log10 units for "log"), "value", "options"}``;
* ``scenery``: what matplotlib draws at build time, as PNG data (the figure without the moving
  parts: axes, ticks, labels, legend, fixed bands), and, for an axis whose limits follow the
  data, one strip of its ticks and labels per limits the sliders can reach;
* ``axes``: each axes' box in CSS pixels from the figure's top-left corner and its data limits
  and scales, i.e. the data-to-pixel transform;
* the explorer's fixed data (the learning-rate grid of the contraction curves, the number of
  steps).

The page's script (``js/``, bundled into one classic script, since Chromium does not load ES
modules from ``file://``) builds native ``<input type="range">`` sliders from ``controls``,
computes with its port of the library (kept identical by test vectors) and draws the moving
parts (curves, paths, markers, the note) on a canvas over the scenery in the book's style.

Only :class:`~optbook.widgets.QuadraticRateExplorer` has a static view so far (this module is
the measured prototype of issue 14).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math

import numpy as np
from matplotlib.image import imsave

from optbook import landscapes, optimizers, plotting, run, theory, widgets

HTML_MIME = "text/html"

#: The MyST-NB setting that makes the HTML book show the static view (lower ranks first).
MIME_PRIORITY_OVERRIDES = [["html", HTML_MIME, 5]]


def control(key, label, symbol, kind, lo, hi, step, value, options=None) -> dict:
    """One control's specification (see the module docstring); ``ValueError`` on a bad one."""
    kinds = ("log", "linear", "int", "choice")
    if kind not in kinds:
        raise ValueError(f"kind must be one of {kinds}, got {kind!r}")
    if kind == "choice":
        if not options or value not in options:
            raise ValueError(f"{key}: value must be one of options {options!r}, got {value!r}")
    elif not (lo <= value <= hi and step > 0 and (kind != "log" or lo > 0)):
        raise ValueError(f"{key}: need 0 < step and min <= value <= max (min > 0 for a log "
                         f"slider), got min={lo}, max={hi}, step={step}, value={value}")
    return {"key": key, "label": label, "symbol": symbol, "kind": kind, "min": lo, "max": hi,
            "step": step, "value": value, "options": options}


def axes_geometry(ax) -> dict:
    """The axes' box in CSS pixels from the figure's top-left corner, and its data limits and
    scales: all the page needs to map data to pixels as matplotlib does."""
    fig = ax.figure
    height = fig.bbox.height
    box = ax.bbox
    return {
        "box": [box.x0, height - box.y1, box.width, box.height],
        "x": {"scale": ax.get_xscale(), "limits": [float(v) for v in ax.get_xlim()]},
        "y": {"scale": ax.get_yscale(), "limits": [float(v) for v in ax.get_ylim()]},
    }


def _png(rgba) -> str:
    buffer = io.BytesIO()
    imsave(buffer, rgba, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _rendered(fig) -> np.ndarray:
    """The figure drawn without its animated artists (an explorer's moving parts), as RGBA."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def _slider_values(lo, hi, step, value):
    """The values a log slider takes: its start value and 10^(log10(lo) + k step)."""
    exponents = np.arange(math.log10(lo), math.log10(hi) + step / 2, step)
    return [value, *(10.0**exponents)]


class StaticView:
    """An explorer with both views: displayed, it offers the widget and the HTML view."""

    def __init__(self, explorer, document: dict):
        self.explorer = explorer
        self.document = document

    @property
    def html(self) -> str:
        """The HTML view, a container that the page's script fills, holding the JSON document."""
        data = json.dumps(self.document, separators=(",", ":")).replace("</", "<\\/")
        kind = html.escape(self.document["kind"])
        return (f'<div class="optbook-explorer" data-explorer="{kind}">'
                f'<script type="application/json">{data}</script></div>')

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.explorer._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        return {**data, HTML_MIME: self.html}


def quadratic_rate_view(kappa=10.0, lr=None, steps=300) -> StaticView:
    """A :class:`~optbook.widgets.QuadraticRateExplorer` with its static view.

    The error axis' limits follow the run (whole decades); the view carries a strip of that
    axis' ticks and labels for every pair of limits a slider setting reaches, found by running
    every setting of the two sliders once (about 34,000 short runs, a few seconds).
    """
    explorer = widgets.QuadraticRateExplorer(kappa=kappa, lr=lr, steps=steps)
    cls = widgets.QuadraticRateExplorer
    kappa_spec = control("kappa", "condition number κ", "κ", "log", *cls.KAPPA_RANGE, 0.02,
                         explorer.values["kappa"])
    lr_spec = control("lr", "learning rate η", "η", "log", *cls.LR_RANGE, 0.02,
                      explorer.values["lr"])
    fig = explorer.fig
    base = _rendered(fig)
    strips = _error_axis_strips(explorer, kappa_spec, lr_spec)
    document = {
        "kind": "quadratic-rate",
        "controls": [kappa_spec, lr_spec],
        "size": [fig.bbox.width, fig.bbox.height],
        "scenery": _png(base),
        "axes": {"rate": axes_geometry(explorer.ax_rate), "error": axes_geometry(explorer.ax_err)},
        "strips": strips,
        "steps": explorer.steps,
        "lr_grid": {"start": widgets.QuadraticRateExplorer.LR_RANGE[0],
                    "stop": widgets.QuadraticRateExplorer.LR_RANGE[1], "count": 600},
    }
    return StaticView(explorer, document)


def _error_limits(kappa, lr, steps):
    land = landscapes.conditioned_quadratic(kappa)
    traj = run.trajectory(land, optimizers.gd(lr), land.start, steps)
    errors = np.linalg.norm(traj.positions - land.minimizers[0], axis=1)
    return plotting.decade_limits(errors, floor=errors[0] * 1e-13)


def _error_axis_strips(explorer, kappa_spec, lr_spec) -> dict:
    """PNG strips of the error axis' ticks and labels, one per reachable pair of limits."""
    limits = set()
    for kappa in _slider_values(kappa_spec["min"], kappa_spec["max"], kappa_spec["step"],
                                kappa_spec["value"]):
        for lr in _slider_values(lr_spec["min"], lr_spec["max"], lr_spec["step"],
                                 lr_spec["value"]):
            limits.add(_error_limits(kappa, lr, explorer.steps))
    ax = explorer.ax_err
    fig = explorer.fig
    height = fig.bbox.height
    # The column left of the axes, from the top down past the lowest tick label (half a label
    # below the axes): everything in it but the y-axis is the same in every strip.
    left = math.floor(explorer.ax_rate.bbox.x1 + 4)
    right = math.ceil(ax.bbox.x0 + 2)
    top = 0
    bottom = math.ceil(height - ax.bbox.y0 + 2 * plotting.FONT["tick"] * fig.dpi / 72)
    saved = ax.get_ylim()
    images = {}
    for lo, hi in sorted(limits):
        ax.set_ylim(lo, hi)
        rgba = _rendered(fig)
        images[_decades(lo, hi)] = _png(rgba[top:bottom, left:right])
    ax.set_ylim(*saved)
    fig.canvas.draw()
    return {"box": [left, top, right - left, bottom - top], "images": images}


def _decades(lo, hi) -> str:
    """The key of a strip: the decades of the axis' limits, as "-13 1"."""
    return f"{round(math.log10(lo))} {round(math.log10(hi))}"


def quadratic_rate_values(kappa, lr, steps=300) -> dict:
    """What the explorer prints at ``(kappa, lr)``, for checking a page against the library."""
    land = landscapes.conditioned_quadratic(kappa)
    traj = run.trajectory(land, optimizers.gd(lr), land.start, steps)
    errors = np.linalg.norm(traj.positions - land.minimizers[0], axis=1)
    return {"theory_rate": theory.gd_rate(lr, land.eigenvalues),
            "measured_rate": run.empirical_rate(errors), "diverged_at": traj.diverged_at}
