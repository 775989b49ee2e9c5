r"""The explorers' controls: one JSON-serialisable specification per control, and its widget.

A control specification is a plain ``dict`` of this shape (the static book builds its own
controls from it, native ``<input type="range">`` elements with an ``aria-label``)::

    {"key": "gd_lr", "label": "learning rate η", "symbol": "η", "kind": "log",
     "min": 1e-05, "max": 10.0, "step": 0.02, "value": 0.05, "options": None}

``kind`` is ``"log"`` (``min``, ``max`` and ``value`` in the parameter's units, ``step`` in
log10 units), ``"linear"``, ``"int"`` or ``"choice"`` (``value`` one of ``options``; ``min``,
``max`` and ``step`` are ``None``). ``label`` is what a screen reader reads and what the page
shows next to the control. The specifications of an optimizer's hyper-parameters come from the
registry (:func:`hyper_spec`); :func:`make_widget` turns a specification into its ipywidgets
control and :func:`check` validates a value against it.

How ipywidgets 8 names a slider for a screen reader (ipywidgets 8.1, ``@jupyter-widgets/
controls`` 5.0, read from its sources and measured in Chromium's accessibility tree by
``tests/browser/test_lab_widgets.py``): a ``FloatSlider`` renders its ``description`` as a
``<label class="widget-label">`` that is tied to nothing, and the slider itself as noUiSlider's
``div.noUi-handle`` with ``role="slider"``, ``tabindex="0"`` and the ``aria-value*`` attributes
but no ``aria-label``, ``aria-labelledby`` or ``title``: its accessible name is empty, whatever
``description`` or ``tooltip`` hold (the tooltip becomes the label's ``title``). Nothing in the
widget's model reaches the handle, so each explorer also displays :data:`LABEL_SLIDERS`, a few
lines of JavaScript that copy each slider's label text into its handle's ``aria-label`` (and
follow re-rendered views). Buttons render as ``<button>`` elements named by their text;
dropdowns and checkboxes as labelled form controls. Every control is reachable with Tab and
moves with the arrow keys.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np

from optbook.optimizers import Hyper

KINDS = ("log", "linear", "int", "choice")

_STYLE = {"description_width": "initial"}
_WIDTH = "300px"

LABEL_SLIDERS = """
(function () {
  function label(root) {
    root.querySelectorAll('.optbook-explorer .widget-slider').forEach(function (slider) {
      var text = slider.querySelector('.widget-label');
      var handle = slider.querySelector('.noUi-handle');
      if (text && handle && handle.getAttribute('aria-label') !== text.textContent) {
        handle.setAttribute('aria-label', text.textContent);
      }
    });
  }
  label(document);
  if (!window.optbookSliderLabels) {
    window.optbookSliderLabels = new MutationObserver(function () { label(document); });
    window.optbookSliderLabels.observe(document.body, {childList: true, subtree: true});
  }
})();
"""
"""The JavaScript that gives every explorer slider's handle its label as ``aria-label``."""


def spec(key, label, symbol, kind, value, low=None, high=None, step=None, options=None) -> dict:
    """A control specification (see the module docstring), validated."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if kind == "choice":
        if not options or value not in options:
            raise ValueError(f"{key}: value {value!r} must be one of the options {options!r}")
        return {"key": key, "label": label, "symbol": symbol, "kind": kind, "min": None,
                "max": None, "step": None, "value": value, "options": list(options)}
    if not (low <= value <= high) or (kind == "log" and low <= 0):
        raise ValueError(f"{key}: value {value!r} must lie in [{low}, {high}]"
                         + (" with a positive lower end" if kind == "log" else ""))
    cast = int if kind == "int" else float
    return {"key": key, "label": label, "symbol": symbol, "kind": kind, "min": cast(low),
            "max": cast(high), "step": cast(step), "value": cast(value), "options": None}


def hyper_spec(key: str, hyper: Hyper, value) -> dict:
    """The specification of hyper-parameter ``hyper``'s control, from its record, its range
    widened to hold ``value``."""
    slider = hyper.slider
    label = f"{hyper.label} {hyper.symbol}".strip()
    if slider.kind == "choice":
        return spec(key, label, hyper.symbol, "choice", value, options=slider.options)
    low, high = min(slider.low, value), max(slider.high, value)
    if slider.kind == "log" and low <= 0:
        raise ValueError(f"{key} must be > 0 for its logarithmic control, got {value!r}")
    return spec(key, label, hyper.symbol, slider.kind, value, low, high, slider.step)


def check(control: dict, value):
    """``value`` as the control's type if it fits the control, else a ``ValueError`` naming the
    key and what is allowed."""
    key, kind = control["key"], control["kind"]
    if kind == "choice":
        if isinstance(value, bool | np.bool_) != isinstance(control["options"][0], bool) \
                or value not in control["options"]:
            raise ValueError(f"{key} must be one of {control['options']}, got {value!r}")
        return bool(value) if isinstance(value, np.bool_) else value
    integer = kind == "int"
    lo, hi = control["min"], control["max"]
    message = (f"{key} must be {'an integer' if integer else 'a real number'} in "
               f"[{lo:.4g}, {hi:.4g}], got {value!r}")
    if isinstance(value, bool | np.bool_) or (integer and not isinstance(value, int | np.integer)):
        raise ValueError(message)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if not lo <= number <= hi:  # also rejects NaN
        raise ValueError(message)
    return int(value) if integer else number


def make_widget(control: dict, *, continuous=True) -> widgets.Widget:
    """The ipywidgets control of a specification, its ``description`` the spoken label."""
    kind, label = control["kind"], control["label"]
    common = dict(description=label, style=_STYLE, layout=widgets.Layout(width=_WIDTH))
    if kind == "choice":
        options = control["options"]
        if options == [False, True]:
            return widgets.Checkbox(value=control["value"], description=label, indent=False,
                                    layout=widgets.Layout(width=_WIDTH))
        return widgets.Dropdown(options=options, value=control["value"], **common)
    if kind == "int":
        return widgets.IntSlider(value=control["value"], min=control["min"], max=control["max"],
                                 step=control["step"], continuous_update=continuous, **common)
    if kind == "log":
        return widgets.FloatLogSlider(
            value=control["value"], base=10, min=math.log10(control["min"]),
            max=math.log10(control["max"]), step=control["step"], readout_format=".3g",
            continuous_update=continuous, **common)
    return widgets.FloatSlider(value=control["value"], min=control["min"], max=control["max"],
                               step=control["step"], readout_format=".4g",
                               continuous_update=continuous, **common)


def set_range(widget, control: dict):
    """Give a slider made by :func:`make_widget` the range of an updated specification."""
    with widget.hold_trait_notifications():
        if control["kind"] == "log":
            widget.min, widget.max = math.log10(control["min"]), math.log10(control["max"])
        else:
            widget.min, widget.max = control["min"], control["max"]
        widget.step = control["step"]
        widget.value = control["value"]


def button(description, on_click, width="auto") -> widgets.Button:
    """A button (a ``<button>`` named by its text); ``on_click()`` takes no argument."""
    widget = widgets.Button(description=description, layout=widgets.Layout(width=width))
    widget.on_click(lambda _: on_click())
    return widget
