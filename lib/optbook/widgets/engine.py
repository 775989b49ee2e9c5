r"""The drawing engine every explorer shares: controls, layered redraws, the published image.

An explorer is an object holding its ipywidgets layout (``widget``; the explorer itself
displays as that layout in a notebook) and an ``update(**values)`` method that sets controls by
name, recomputes with :mod:`optbook.run` and :mod:`optbook.theory` and redraws. Tests and
benchmarks call ``update`` directly, with no browser and no kernel.

How an explorer draws
---------------------
The figure is built once. A redraw updates its artists in place (``set_data``, ``set_array``,
``set_text``). Drawing is blitted in layers: an event draws only what it changed on a cached
image of the rest, because Agg draws text slowly (about 0.3 ms a glyph: a whole figure costs
100 to 250 ms); the blitted image is the one a plain draw of the figure gives. The figure
reaches the page as an ``<img>`` with alternative text (:meth:`Explorer.alt_text`, which says
what the figure shows at the current values) in an :class:`ipywidgets.Output`, whose
``outputs`` are set from the kernel. That output is part of the widget state a notebook stores
when executed, so the HTML book shows every explorer's figure at its default values, and in a
kernel every control is live.

Lifetime: the controls' callbacks hold the explorer weakly, so an explorer nobody refers to any
more is freed with its figure (re-running a cell that makes one does not accumulate them), and
its widgets are closed then; :meth:`Explorer.close` closes them at once.
"""

from __future__ import annotations

import base64
import html
import math
import weakref
from contextlib import contextmanager

import ipywidgets as widgets
import numpy as np
from matplotlib.axes import Axes

from optbook import plotting
from optbook.widgets import controls

#: The layer an event changed, as an explorer's redraw reports it (only the dynamic artists,
#: the scenery too, or what the whole figure shows, such as axis limits).
ARTISTS, SCENERY, FIGURE = 0, 1, 2


def _call_weakly(explorer, method: str, *args):
    """A callback that calls ``explorer.<method>(*args, *its own args)`` while the explorer
    lives, without keeping it alive."""
    ref = weakref.ref(explorer)

    def callback(*more):
        target = ref()
        if target is not None:
            getattr(target, method)(*args, *more)

    return callback


def _close_all(items):
    for item in items:
        item.close()


class Explorer:
    """Controls, an output showing the figure, and the update cycle shared by the explorers.

    A subclass builds ``self.fig`` and its artists, lists in ``self._dynamic`` the artists
    every event may change and in ``self._scenery`` those (artists or whole axes) that only
    some controls change, registers its controls with ``_add_control``, sets
    ``self.widget`` with ``_layout``, implements ``_redraw`` and :meth:`alt_text`, and
    calls ``_start`` once to draw the defaults.

    Drawing is blitted in three layers. The figure without the scenery and the dynamic artists
    (axes, ticks, labels, legend, colour bar) is drawn once and kept as the *base*; the base
    with the scenery on it is kept as the *background*; an event restores the background and
    draws the dynamic artists on it. Each layer is drawn in z-order, but over the layers below
    it whatever their z-order: an artist that must show on top of a dynamic one (a minimiser's
    star under a path that ends on it) is made dynamic too, and ``_start`` adds the frame
    (spines) of each axes to the highest layer drawing in it, so the blitted figure is the one a
    plain draw gives. ``_redraw`` returns what changed: :data:`ARTISTS` (only the dynamic
    artists), :data:`SCENERY` (the background is redrawn from the base) or :data:`FIGURE` (new
    axis limits in the base: the whole figure is drawn again).
    """

    fig = None
    widget: widgets.Widget

    def __init__(self):
        self._controls: dict[str, dict] = {}
        self._widgets: dict[str, widgets.Widget] = {}
        self._dynamic = []
        self._scenery = []
        self._base = self._background = None
        self._muted = False
        self._owned = []
        self._out = self._own(widgets.Output(layout=widgets.Layout(width="100%")))
        weakref.finalize(self, _close_all, self._owned)

    # --- public

    def update(self, **values):
        """Set controls by name (see :attr:`values` for the names), recompute and redraw.

        Raises ``ValueError`` naming an unknown control, or a value outside a control's range
        (nothing is changed then).
        """
        checked = self._check(values)
        with self._quiet():
            self._apply(checked)
        self._draw(self._redraw(set(checked)))
        self._publish()

    @property
    def values(self) -> dict:
        """The controls' current values by name."""
        return {key: self._widgets[key].value for key in self._controls}

    def control_specs(self) -> list:
        """The specification of every control, at its current value and range (JSON
        serialisable; see :mod:`optbook.widgets.controls`)."""
        return [{**control, "value": self._widgets[key].value}
                for key, control in self._controls.items()]

    def alt_text(self) -> str:
        """What the figure shows at the current values, in words, for a screen reader."""
        raise NotImplementedError

    def png(self) -> bytes:
        """The figure as shown, as PNG bytes."""
        return plotting.canvas_png(self.fig)

    def close(self):
        """Close the explorer's widgets (their views go blank); the figure is dropped."""
        _close_all(self._owned)
        self.fig = None

    def _ipython_display_(self):
        from IPython.display import Javascript, display

        from optbook.widgets import static

        # the widget view, and the static book's view when the book is being built
        display(static.bundle(self), raw=True)
        display(Javascript(controls.LABEL_SLIDERS))

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # --- for subclasses

    def _own(self, widget):
        """Keep ``widget`` to close with the explorer."""
        self._owned.append(widget)
        return widget

    def _add_control(self, control: dict, *, continuous=True) -> widgets.Widget:
        """Register a control from its specification; returns its widget."""
        key = control["key"]
        widget = self._own(controls.make_widget(control, continuous=continuous))
        self._controls[key] = control
        self._widgets[key] = widget
        widget.observe(_call_weakly(self, "_on_change", key), names="value")
        return widget

    def _button(self, description, method: str, width="auto") -> widgets.Button:
        """A button that calls ``self.<method>()`` (holding the explorer weakly)."""
        return self._own(controls.button(description, _call_weakly(self, method), width))

    def _layout(self, *rows):
        self.widget = self._own(widgets.VBox([*rows, self._out]))
        self.widget.add_class("optbook-explorer")

    def _check(self, values) -> dict:
        unknown = sorted(set(values) - set(self._controls))
        if unknown:
            raise ValueError(f"unknown control(s) {unknown}; known: {sorted(self._controls)}")
        return {key: controls.check(self._controls[key], value)
                for key, value in values.items()}

    def _apply(self, checked):
        for key, value in checked.items():
            self._widgets[key].value = value

    def _redraw(self, changed: set) -> int:
        """Recompute and update the artists for the controls named in ``changed``; return the
        layer that changed (:data:`ARTISTS`, :data:`SCENERY` or :data:`FIGURE`)."""
        raise NotImplementedError

    def _start(self):
        """Draw the defaults, fix the layout they give, and show them."""
        self._redraw(set(self._controls))
        plotting.freeze_layout(self.fig)
        whole_axes = {a for a in self._scenery if isinstance(a, Axes)}
        for layer in (self._dynamic, self._scenery):  # the highest layer first
            for ax in {a.axes for a in layer} - whole_axes - {None}:
                layer.extend(spine for spine in ax.spines.values()
                             if spine not in self._dynamic and spine not in self._scenery)
        for layer in (self._scenery, self._dynamic):
            layer.sort(key=_draw_order)
            for artist in layer:
                artist.set_animated(True)
        self._draw(FIGURE)
        self._publish()

    # --- internals

    def _draw(self, layer):
        """Draw the figure on its canvas, from the cached layer below ``layer``."""
        canvas = self.fig.canvas
        if layer >= FIGURE or self._base is None:
            canvas.draw()  # skips the animated (scenery and dynamic) artists
            self._base = canvas.copy_from_bbox(self.fig.bbox)
            layer = SCENERY
        if layer >= SCENERY:
            if self._scenery:
                canvas.restore_region(self._base)
                for artist in self._scenery:
                    self.fig.draw_artist(artist)
                self._background = canvas.copy_from_bbox(self.fig.bbox)
            else:
                self._background = self._base
        else:
            canvas.restore_region(self._background)
        for artist in self._dynamic:
            self.fig.draw_artist(artist)

    @contextmanager
    def _quiet(self):
        """Set controls without their observers calling ``update`` again."""
        self._muted = True
        try:
            yield
        finally:
            self._muted = False

    def _on_change(self, key, change):
        if not self._muted:
            self.update(**{key: change["new"]})

    def _publish(self):
        """Show the figure in the output widget (one state update, no flicker): an ``<img>``
        whose ``alt`` is :meth:`alt_text`, with the same text as the plain-text view."""
        data = base64.b64encode(self.png()).decode("ascii")
        alt = self.alt_text()
        width, height = self.fig.canvas.get_width_height()
        image = (f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
                 f'width="{width}" height="{height}" style="max-width: 100%; height: auto">')
        self._out.outputs = (
            {"output_type": "display_data", "data": {"text/html": image, "text/plain": alt},
             "metadata": {}},
        )


def _draw_order(artist):
    """Sort key giving the order in which a plain draw of the figure draws ``artist``'s kind:
    by z-order, then as its axes hold them (artists in different axes do not overlap)."""
    ax = artist.axes
    if ax is None or ax is artist:
        return artist.get_zorder(), 0
    return artist.get_zorder(), ax.get_children().index(artist)


def set_limits(ax, xlim=None, ylim=None) -> bool:
    """Set the limits given; return whether any changed."""
    changed = False
    for new, get, set_ in ((xlim, ax.get_xlim, ax.set_xlim), (ylim, ax.get_ylim, ax.set_ylim)):
        if new is not None and not np.allclose(get(), new, rtol=1e-12, atol=0):
            set_(*new)
            changed = True
    return changed


def set_symmetric_limits(axis, half) -> bool:
    """Show [-half, half] on ``axis`` (an x or y axis) with three ticks, 0 and ±a nice number
    well inside the limits (so no label sticks out of the figure, and few glyphs are drawn:
    Agg's text is slow); return whether the limits changed."""
    ax = axis.axes
    if not set_limits(ax, **{f"{axis.axis_name}lim": (-half, half)}):
        return False
    top = 0.8 * half
    decade = 10.0 ** math.floor(math.log10(top))
    tick = max(m for m in (1.0, 2.0, 5.0, 10.0) if m * decade <= top) * decade
    axis.set_ticks([-tick, 0.0, tick])
    return True


def number(value: float, digits: int = 3) -> str:
    """A number for alternative text: ``digits`` significant digits, no exponent notation a
    screen reader would read letter by letter where it can be avoided."""
    if not math.isfinite(value):
        return "not a number" if math.isnan(value) else "infinite"
    return f"{value:.{digits}g}".replace("e-0", " times 10 to the minus ").replace(
        "e-", " times 10 to the minus ").replace("e+0", " times 10 to the ").replace(
        "e+", " times 10 to the ")
