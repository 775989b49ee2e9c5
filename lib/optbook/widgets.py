r"""The book's explorers: ipywidgets controls over figures that the library recomputes live.

Each explorer is an object holding its ipywidgets layout (its ``widget`` attribute; the
explorer itself displays as that layout in a notebook) and an ``update(**values)``
method that sets controls by name, recomputes with :mod:`optbook.run` and :mod:`optbook.theory`
and redraws. Tests and benchmarks call ``update`` directly, with no browser and no kernel.

* :class:`TrajectoryExplorer`: up to three optimizers on a landscape, their paths over the
  level sets and their losses, with the theoretical rate on quadratics.
* :class:`QuadraticRateExplorer`: gradient descent on a quadratic of condition number
  :math:`\kappa`; the contraction :math:`|1-\eta\lambda_i|` per direction against
  :math:`\eta`, and the measured rate of a run.
* :class:`MomentumRateMap`: heavy ball's empirical rate over the :math:`(\eta, \gamma)` plane,
  the stability boundary and Polyak's optimum over it, and the path at the chosen point.

How an explorer draws
---------------------
The figure is built once. A redraw updates its artists in place (``set_data``, ``set_array``,
``set_text``); only the level sets of the momentum map's landscape, which change with
:math:`\kappa`, are replaced. Drawing is blitted in layers: an event draws only what it changed
on a cached image of the rest, because Agg draws text slowly (about 0.3 ms a glyph: a whole
figure costs 100 to 250 ms); the blitted image is the one a plain draw of the figure gives.
The figure reaches the page as a PNG in an
:class:`ipywidgets.Output`, whose ``outputs`` are set from the kernel. That output is part of
the widget state a notebook stores when executed, so the HTML book shows every explorer's
figure at its default values (the vendored widget manager draws the sliders, which need a live
kernel to move anything), and in a kernel every control is live.

Values past a stability bound are allowed: divergence is part of the lesson. A run that
diverges is drawn up to its last finite iterate and labelled "diverged at step k". Values
outside a control's range raise ``ValueError`` naming the control and the range.
"""

from __future__ import annotations

import base64
import math
from contextlib import contextmanager
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from optbook import landscapes, optimizers, plotting, run, theory

_DESCRIPTION = {"description_width": "38px"}
_SLIDER_WIDTH = "230px"


# --------------------------------------------------------------------------- controls


@dataclass
class _Control:
    """A slider and the range of values ``update`` accepts for it (the slider's range)."""

    key: str
    widget: widgets.Widget

    @property
    def bounds(self) -> tuple[float, float]:
        w = self.widget
        if isinstance(w, widgets.FloatLogSlider):
            return w.base**w.min, w.base**w.max
        return w.min, w.max

    def check(self, value):
        """``value`` as the slider's type; ``ValueError`` naming the key and range if it does
        not fit."""
        return _in_range(self.key, value, *self.bounds,
                         integer=isinstance(self.widget, widgets.IntSlider))


def _in_range(key, value, lo, hi, *, integer=False, note=""):
    """``value`` (an int if ``integer``) if it lies in [lo, hi], else a ``ValueError`` naming
    ``key`` and the range (followed by ``note``)."""
    kind = "an integer" if integer else "a real number"
    message = f"{key} must be {kind} in [{lo:.4g}, {hi:.4g}]{note}, got {value!r}"
    if isinstance(value, bool) or (integer and not isinstance(value, int | np.integer)):
        raise ValueError(message)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if not lo <= number <= hi:  # also rejects NaN
        raise ValueError(message)
    return int(value) if integer else number


def _log_slider(description, value, lo, hi, *, continuous=True):
    """A base-10 log slider over [lo, hi] (widened to hold ``value``), 50 positions a decade."""
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{description} must be > 0 for a log slider, got {value!r}")
    return widgets.FloatLogSlider(
        value=value, base=10, min=math.log10(min(lo, value)), max=math.log10(max(hi, value)),
        step=0.02, description=description, readout_format=".3g",
        continuous_update=continuous, style=_DESCRIPTION,
        layout=widgets.Layout(width=_SLIDER_WIDTH),
    )


def _linear_slider(description, value, lo, hi, step, *, continuous=True, fmt=".3g"):
    """A linear slider over [lo, hi] (widened to hold ``value``)."""
    return widgets.FloatSlider(
        value=value, min=min(lo, value), max=max(hi, value), step=step,
        description=description, readout_format=fmt, continuous_update=continuous,
        style=_DESCRIPTION, layout=widgets.Layout(width=_SLIDER_WIDTH),
    )


#: The slider of each optimizer hyper-parameter, as a tuple of its label, ``"log"`` or the
#: step of a linear slider, and its lowest and highest values.
HYPER_SLIDERS = {
    "lr": ("η", "log", 1e-5, 10.0),
    "gamma": ("γ", 0.01, 0.0, 0.99),
    "beta1": ("β₁", 0.01, 0.0, 0.99),
    "beta2": ("β₂", 0.0001, 0.5, 0.9999),
    "eps": ("ε", "log", 1e-12, 1.0),
    "rho": ("ρ", 0.001, 0.0, 0.999),
    "kappa": ("κ", "log", 1e-6, 1.0),
    "phi": ("φ", 0.01, 0.0, 1.0),
    "theta": ("θ", 0.01, 0.0, 0.99),
    "weight_decay": ("λ", "log", 1e-5, 1.0),
    "momentum_decay": ("ψ", "log", 1e-4, 1.0),
}


def _hyper_slider(param, value):
    description, kind, lo, hi = HYPER_SLIDERS[param]
    if kind == "log":
        return _log_slider(description, value, lo, hi)
    return _linear_slider(description, value, lo, hi, kind)


# --------------------------------------------------------------------------- base


class _Explorer:
    """Controls, an output showing the figure, and the update cycle shared by the explorers.

    A subclass builds ``self.fig`` and its artists, lists in ``self._dynamic`` the artists
    every event may change and in ``self._scenery`` those (artists or whole axes) that only
    some controls change, registers its sliders with :meth:`_add_control`, sets
    ``self.widget`` with :meth:`_layout`, implements :meth:`_redraw`, and calls :meth:`_start`
    once to draw the defaults.

    Drawing is blitted in three layers. The figure without the scenery and the dynamic artists
    (axes, ticks, labels, legend, colour bar) is drawn once and kept as the *base*; the base
    with the scenery on it is kept as the *background*; an event restores the background and
    draws the dynamic artists on it. Each layer is drawn in z-order, but over the layers below
    it whatever their z-order: an artist that must show on top of a dynamic one (a minimiser's
    star under a path that ends on it) is made dynamic too, and :meth:`_start` adds the frame
    (spines) of each axes to the highest layer drawing in it, so the blitted figure is the one a
    plain draw gives. ``_redraw`` returns what changed: :data:`_ARTISTS` (only
    the dynamic artists), :data:`_SCENERY` (the background is redrawn from the base) or
    :data:`_FIGURE` (new axis limits in the base: the whole figure is drawn again).
    """

    fig = None
    widget: widgets.Widget

    def __init__(self):
        self._controls: dict[str, _Control] = {}
        self._dynamic = []
        self._scenery = []
        self._base = self._background = None
        self._muted = False
        self._out = widgets.Output(layout=widgets.Layout(width="100%"))

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
        return {key: control.widget.value for key, control in self._controls.items()}

    def png(self) -> bytes:
        """The figure as shown, as PNG bytes."""
        return plotting.canvas_png(self.fig)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # --- for subclasses

    def _add_control(self, key, widget):
        self._controls[key] = _Control(key, widget)
        widget.observe(lambda change: self._on_change(key, change["new"]), names="value")
        return widget

    def _layout(self, *rows):
        self.widget = widgets.VBox([*rows, self._out])

    def _check(self, values) -> dict:
        unknown = sorted(set(values) - set(self._controls))
        if unknown:
            raise ValueError(f"unknown control(s) {unknown}; known: {sorted(self._controls)}")
        return {key: self._controls[key].check(value) for key, value in values.items()}

    def _apply(self, checked):
        for key, value in checked.items():
            self._controls[key].widget.value = value

    def _redraw(self, changed: set) -> int:
        """Recompute and update the artists for the controls named in ``changed``; return the
        layer that changed (:data:`_ARTISTS`, :data:`_SCENERY` or :data:`_FIGURE`)."""
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
        self._draw(_FIGURE)
        self._publish()

    # --- internals

    def _draw(self, layer):
        """Draw the figure on its canvas, from the cached layer below ``layer``."""
        canvas = self.fig.canvas
        if layer >= _FIGURE or self._base is None:
            canvas.draw()  # skips the animated (scenery and dynamic) artists
            self._base = canvas.copy_from_bbox(self.fig.bbox)
            layer = _SCENERY
        if layer >= _SCENERY:
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
        """Set sliders without their observers calling ``update`` again."""
        self._muted = True
        try:
            yield
        finally:
            self._muted = False

    def _on_change(self, key, value):
        if not self._muted:
            self.update(**{key: value})

    def _publish(self):
        """Show the figure's PNG in the output widget (one state update, no flicker)."""
        data = base64.b64encode(self.png()).decode("ascii")
        self._out.outputs = (
            {
                "output_type": "display_data",
                "data": {"image/png": data, "text/plain": f"<{type(self).__name__} figure>"},
                "metadata": {},
            },
        )


def _draw_order(artist):
    """Sort key giving the order in which a plain draw of the figure draws ``artist``'s kind:
    by z-order, then as its axes hold them (artists in different axes do not overlap)."""
    ax = artist.axes
    if ax is None or ax is artist:
        return artist.get_zorder(), 0
    return artist.get_zorder(), ax.get_children().index(artist)


#: What :meth:`_Explorer._redraw` changed: only the dynamic artists, the scenery too, or what
#: the whole figure shows (axis limits).
_ARTISTS, _SCENERY, _FIGURE = 0, 1, 2


def _set_limits(ax, xlim=None, ylim=None) -> bool:
    """Set the limits given; return whether any changed."""
    changed = False
    for new, get, set_ in ((xlim, ax.get_xlim, ax.set_xlim), (ylim, ax.get_ylim, ax.set_ylim)):
        if new is not None and not np.allclose(get(), new, rtol=1e-12, atol=0):
            set_(*new)
            changed = True
    return changed


def _set_symmetric_limits(axis, half) -> bool:
    """Show [-half, half] on ``axis`` (an x or y axis) with three ticks, 0 and ±a nice number
    well inside the limits (so no label sticks out of the figure, and few glyphs are drawn:
    Agg's text is slow); return whether the limits changed."""
    ax = axis.axes
    if not _set_limits(ax, **{f"{axis.axis_name}lim": (-half, half)}):
        return False
    top = 0.8 * half
    decade = 10.0 ** math.floor(math.log10(top))
    tick = max(m for m in (1.0, 2.0, 5.0, 10.0) if m * decade <= top) * decade
    axis.set_ticks([-tick, 0.0, tick])
    return True


def _button(description, on_click, width="auto"):
    button = widgets.Button(description=description, layout=widgets.Layout(width=width))
    button.on_click(lambda _: on_click())
    return button


def _proxy(color, style, label, marker=None):
    """A legend entry for a kind of line."""
    return Line2D([], [], color=color, linestyle=style, marker=marker, label=label)


# --------------------------------------------------------------------------- trajectories


def _labels(names):
    """Control prefixes: the optimizer's name, numbered when it occurs more than once."""
    labels = []
    for k, name in enumerate(names):
        if names.count(name) == 1:
            labels.append(name)
        else:
            labels.append(f"{name}_{names[: k + 1].count(name)}")
    return labels


#: Line style of the 1st, 2nd, 3rd run of the same optimizer in one explorer.
_REPEAT_STYLES = ("-", "--", ":")


class TrajectoryExplorer(_Explorer):
    r"""Up to three optimizers on one 2-D landscape, run live from one start point.

    Left: the level sets, the minimisers (stars), the start and each optimizer's path. Right:
    :math:`f(x_t) - f^*` against the step on a log axis; on a quadratic, gradient descent,
    momentum and Nesterov also get their theoretical rate as a dashed line
    :math:`(f(x_0) - f^*)\rho^{2t}` (:func:`optbook.theory.gd_rate`,
    :func:`~optbook.theory.heavy_ball_rate`, :func:`~optbook.theory.nesterov_rate`).

    Controls (names for ``update``): ``"<label>_<param>"`` for each hyper-parameter of
    each optimizer, where ``label`` is the optimizer's name (``"gd_lr"``, ``"momentum_gamma"``)
    or, when a name occurs twice, the name numbered (``"gd_1_lr"``, ``"gd_2_lr"``); ``"steps"``;
    the start point ``"x0_1"``, ``"x0_2"``, or both at once as ``x0=(x1, x2)``. The learning
    rate and other scale parameters have log sliders. *Reset* returns to the values given here
    (the lecture's).

    Attributes: ``fig``; ``runs``, the :class:`~optbook.run.Trajectory` of each optimizer as
    drawn; ``paths``, ``loss_lines``, ``theory_lines``, ``notes`` (the "diverged at step k"
    texts), one per optimizer.
    """

    MAX_STEPS = 2000

    def __init__(self, landscape, optimizers, x0=None, steps=100):
        super().__init__()
        self.landscape, self.optimizers = self._check_setup(landscape, optimizers)
        names = [opt.name for opt in self.optimizers]
        self.labels = _labels(names)
        x0 = landscape.start if x0 is None else x0
        x0 = np.asarray(x0, dtype=np.float64)
        if x0.shape != (2,) or not np.all(np.isfinite(x0)):
            raise ValueError(f"x0 must be 2 finite numbers, got {x0}")
        if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or not (
            1 <= steps <= self.MAX_STEPS
        ):
            raise ValueError(f"steps must be an integer in [1, {self.MAX_STEPS}], got {steps!r}")
        self._build_controls(x0, int(steps))
        self._defaults = self.values
        self._build_figure(names)
        self.runs = []
        self._start()

    @staticmethod
    def _check_setup(landscape, opts):
        if not isinstance(landscape, landscapes.Landscape) or landscape.dim != 2:
            raise ValueError(f"landscape must be a 2-D optbook Landscape, got {landscape!r}")
        if isinstance(opts, optimizers.Optimizer):
            opts = [opts]
        opts = list(opts)
        if not 1 <= len(opts) <= 3 or not all(isinstance(o, optimizers.Optimizer) for o in opts):
            raise ValueError(f"optimizers must be 1 to 3 optbook Optimizers, got {opts!r}")
        return landscape, opts

    # --- controls

    def _hyper_params(self, opt):
        return [p for p in opt.params if p != "form"]

    def _build_controls(self, x0, steps):
        columns = []
        for opt, label in zip(self.optimizers, self.labels, strict=True):
            colour, _ = plotting.optimizer_style(opt.name)
            title = widgets.HTML(f"<b style='color:{colour}'>{label}</b>")
            sliders = [
                self._add_control(f"{label}_{p}", _hyper_slider(p, getattr(opt, p)))
                for p in self._hyper_params(opt)
            ]
            columns.append(widgets.VBox([title, *sliders]))
        (wx0, wx1), (wy0, wy1) = self.landscape.window
        run_column = widgets.VBox([
            widgets.HTML("<b>run</b>"),
            self._add_control("steps", widgets.IntSlider(
                value=steps, min=1, max=self.MAX_STEPS, description="steps",
                continuous_update=True, style=_DESCRIPTION,
                layout=widgets.Layout(width=_SLIDER_WIDTH))),
            self._add_control("x0_1", _linear_slider("x₁(0)", x0[0], wx0, wx1, (wx1 - wx0) / 200)),
            self._add_control("x0_2", _linear_slider("x₂(0)", x0[1], wy0, wy1, (wy1 - wy0) / 200)),
            _button("reset to the lecture's values", self.reset, width=_SLIDER_WIDTH),
        ])
        self._layout(widgets.HBox([*columns, run_column],
                                  layout=widgets.Layout(flex_flow="row wrap")))

    def _check(self, values):
        values = dict(values)
        if "x0" in values:
            x0 = values.pop("x0")
            if np.shape(x0) != (2,):
                raise ValueError(f"x0 must be a pair (x1, x2), got {x0!r}")
            values["x0_1"], values["x0_2"] = x0
        return super()._check(values)

    def reset(self):
        """Return every control to the values the explorer was made with."""
        self.update(**self._defaults)

    # --- figure

    def _build_figure(self, names):
        self.fig, (self.ax_path, self.ax_loss) = plotting.subplots(
            1, 2, height=3.7, gridspec_kw={"width_ratios": [1.0, 1.15]}
        )
        land = self.landscape
        plotting.contours(self.ax_path, land, minimizers=False)
        stars = plotting.mark_minimizers(self.ax_path, land)
        (self.start_marker,) = self.ax_path.plot([], [], "o", color="black", markersize=6,
                                                 markerfacecolor="white", zorder=5, label="start")
        self.paths, self.loss_lines, self.theory_lines, self.notes = [], [], [], []
        empty = np.empty((0, 2))
        for k, (name, label) in enumerate(zip(names, self.labels, strict=True)):
            style = _REPEAT_STYLES[names[:k].count(name)]
            colour, _ = plotting.optimizer_style(name)
            self.paths.append(plotting.path(self.ax_path, empty, name, label, linestyle=style))
            self.loss_lines.append(plotting.loss_curve(self.ax_loss, [], land.min_value, name,
                                                       label, linestyle=style))
            self.theory_lines.append(plotting.rate_line(self.ax_loss, 1.0, math.nan, 1,
                                                        power=2, color=colour))
            self.notes.append(plotting.note(self.ax_path, 0.03, 0.97 - 0.09 * k, color=colour))
        self._dynamic = [self.start_marker, *stars, *self.paths, *self.loss_lines,
                         *self.theory_lines, *self.notes]
        plotting.label(self.ax_path, "$x_1$", "$x_2$", f"${land.latex}$")
        self.ax_path.title.set_fontsize(plotting.FONT["note"])
        finite = math.isfinite(land.min_value)
        plotting.label(self.ax_loss, "step $t$", r"$f(x_t) - f^*$" if finite else r"$f(x_t)$")
        handles = [*self.paths, *stars[:1], self.start_marker]
        if land.code == landscapes.QUADRATIC:
            handles.append(_proxy("black", "--", r"theory $(f(x_0)-f^*)\,\rho^{2t}$"))
        plotting.figure_legend(self.fig, handles, ncols=min(len(handles), 4))

    def _theory_rate(self, opt):
        """The asymptotic rate theory gives ``opt`` on this landscape, or NaN if none does."""
        if self.landscape.code != landscapes.QUADRATIC or opt.lr <= 0:
            return math.nan
        lam = self.landscape.eigenvalues
        if opt.name == "gd":
            return theory.gd_rate(opt.lr, lam)
        if opt.name == "momentum":
            return theory.heavy_ball_rate(opt.lr, opt.gamma, lam)
        if opt.name == "nesterov":
            return theory.nesterov_rate(opt.lr, opt.gamma, lam)
        return math.nan

    def current_optimizers(self) -> list:
        """The optimizers with the hyper-parameters the controls show."""
        values = self.values
        return [
            opt.with_params(**{p: values[f"{label}_{p}"] for p in self._hyper_params(opt)})
            for opt, label in zip(self.optimizers, self.labels, strict=True)
        ]

    def _redraw(self, changed):
        values = self.values
        x0 = np.array([values["x0_1"], values["x0_2"]])
        steps = values["steps"]
        land = self.landscape
        self.start_marker.set_data([x0[0]], [x0[1]])
        self.runs = []
        for k, opt in enumerate(self.current_optimizers()):
            traj = run.trajectory(land, opt, x0, steps)
            self.runs.append(traj)
            plotting.update_path(self.paths[k], traj.positions)
            plotting.update_loss_curve(self.loss_lines[k], traj.losses, land.min_value)
            excess = traj.losses[0] - land.min_value
            plotting.update_rate_line(self.theory_lines[k], excess, self._theory_rate(opt),
                                      steps, power=2)
            text = plotting.divergence_text(traj.diverged_at)
            self.notes[k].set_text(f"{self.labels[k]}: {text}" if text else "")
        return _FIGURE if self._rescale_loss_axis(steps) else _ARTISTS

    def _rescale_loss_axis(self, steps) -> bool:
        """Fit the loss axis to the measured curves (the theory lines may run past them) in
        whole decades, or whole units of the span's decade on a linear axis; return whether
        the limits changed."""
        data = np.concatenate([line.get_ydata() for line in self.loss_lines])
        if self.ax_loss.get_yscale() == "log":
            ylim = plotting.decade_limits(data, floor=data.max() * 1e-20)
        else:
            unit = 10.0 ** math.floor(math.log10(max(np.ptp(data), 1e-12)))
            ylim = (math.floor(data.min() / unit) * unit, math.ceil(data.max() / unit) * unit)
        return _set_limits(self.ax_loss, xlim=(0, steps), ylim=ylim)


# --------------------------------------------------------------------------- GD rate


class QuadraticRateExplorer(_Explorer):
    r"""Gradient descent on the quadratic with eigenvalues :math:`1` and :math:`\kappa`
    (:func:`optbook.landscapes.conditioned_quadratic`), from its start :math:`(4, 0.5)`.

    Left: the contraction :math:`|1-\eta\lambda_i|` of each eigen-direction and the rate
    :math:`\rho(\eta) = \max_i|1-\eta\lambda_i|` against :math:`\eta`
    (:func:`optbook.theory.contraction_factors`, :func:`~optbook.theory.gd_rate`), with the
    stability bound :math:`2/\lambda_{\max}` and the optimum :math:`\eta^* =
    2/(\lambda_{\min}+\lambda_{\max})` marked, the current :math:`\eta` and, on it, the rate
    measured on a run (:func:`optbook.run.empirical_rate` of :math:`\|x_t - x^*\|`). Right:
    the run's error :math:`\|x_t-x^*\|` and its eigen-components against the step, with the
    theoretical :math:`\|x_0-x^*\|\rho^t`.

    Controls: ``kappa`` (log, 1 to 1000) and ``lr`` (log, :attr:`LR_RANGE`); ``lr=None``
    starts at :math:`\eta^*`. Attributes: ``fig``, ``run`` (the :class:`~optbook.run.Trajectory`
    drawn), ``measured_rate``, ``theory_rate``, ``rate_marker`` (the point
    :math:`(\eta, \text{measured rate})`), ``bound_line`` and ``optimum_line`` (vertical lines
    at :math:`2/\lambda_{\max}` and :math:`\eta^*`), ``note``.
    """

    KAPPA_RANGE = (1.0, 1000.0)
    #: Lowest and highest learning rate on the slider and the rate plot's axis.
    LR_RANGE = (1e-4, 10**0.5)

    def __init__(self, kappa=10.0, lr=None, steps=300):
        super().__init__()
        if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 2:
            raise ValueError(f"steps must be an integer >= 2, got {steps!r}")
        self.steps = int(steps)
        kappa = _in_range("kappa", kappa, *self.KAPPA_RANGE)
        land = landscapes.conditioned_quadratic(kappa)
        lr = theory.gd_optimal_lr(*land.eigenvalues[[0, -1]]) if lr is None else lr
        lr = _in_range("lr", lr, *self.LR_RANGE)
        self._layout(widgets.HBox([
            self._add_control("kappa", _log_slider("κ", kappa, *self.KAPPA_RANGE)),
            self._add_control("lr", _log_slider("η", lr, *self.LR_RANGE)),
        ]))
        self._build_figure()
        self._start()

    def _build_figure(self):
        self.fig, (self.ax_rate, self.ax_err) = plotting.subplots(1, 2, height=3.8)
        ax = self.ax_rate
        self._grid = np.geomspace(*self.LR_RANGE, 600)
        ax.axhspan(1.0, 10.0, color=plotting.NO_CONVERGENCE_COLOR, alpha=0.35, lw=0)
        no_convergence = ax.text(0.97, 1.03, "no convergence", transform=ax.get_yaxis_transform(),
                                 ha="right", va="bottom", fontsize=plotting.FONT["note"])
        p = plotting.PALETTE
        self.direction_lines = [
            ax.plot([], [], color=p["sky blue"], lw=1.3, label=r"along $\lambda_{\min}$")[0],
            ax.plot([], [], color=p["orange"], lw=1.3, label=r"along $\lambda_{\max}$")[0],
        ]
        (self.rate_curve,) = ax.plot([], [], color="black", lw=2.2, alpha=0.55,
                                     label=r"theory $\rho = \max_i|1-\eta\lambda_i|$")
        self.bound_line = ax.axvline(1.0, color=p["vermillion"], ls=":", lw=1.5,
                                     label=r"$2/\lambda_{\max}$")
        self.optimum_line = ax.axvline(1.0, color=p["bluish green"], ls="-.", lw=1.5,
                                       label=r"$\eta^*$")
        self.lr_line = ax.axvline(1.0, color=p["blue"], lw=1.0)
        (self.rate_marker,) = ax.plot([], [], "o", color=p["blue"], markersize=7,
                                      markeredgecolor="white", zorder=5,
                                      label=r"GD at $\eta$: measured")
        ax.set_xscale("log")
        ax.set_xlim(*self.LR_RANGE)
        ax.set_ylim(0.0, 1.6)
        plotting.label(ax, r"learning rate $\eta$", r"contraction $|1-\eta\lambda_i|$ per step")
        self.note = plotting.note(ax, 0.03, 0.97)

        ax = self.ax_err
        self.component_lines = [
            ax.plot([], [], color=line.get_color(), lw=1.0)[0] for line in self.direction_lines
        ]
        (self.error_line,) = ax.plot([], [], color=p["blue"], lw=1.8)
        self.theory_line = plotting.rate_line(ax, 1.0, math.nan, 1,
                                              label=r"theory $\|x_0-x^*\|\rho^t$")
        ax.set_yscale("log")
        plotting.label(ax, "step $t$", r"$\|x_t - x^*\|$ and its components")
        # the label is drawn over the curves that cross it, as in a plain draw
        self._dynamic = [*self.direction_lines, self.rate_curve, self.bound_line,
                         self.optimum_line, self.lr_line, self.rate_marker, self.note,
                         no_convergence,
                         *self.component_lines, self.error_line, self.theory_line]
        plotting.figure_legend(self.fig, [
            *self.direction_lines, self.rate_curve, self.bound_line, self.optimum_line,
            _proxy(p["blue"], "-", r"GD at $\eta$: measured", marker="o"), self.theory_line,
        ], ncols=4)

    def _redraw(self, changed):
        kappa, lr = self.values["kappa"], self.values["lr"]
        land = landscapes.conditioned_quadratic(kappa)
        lam = land.eigenvalues
        for line, factors in zip(self.direction_lines,
                                 theory.contraction_factors(self._grid, lam).T, strict=True):
            line.set_data(self._grid, factors)
        self.rate_curve.set_data(self._grid, theory.gd_rate(self._grid, lam))
        self.bound_line.set_xdata([theory.gd_stability_bound(lam[-1])] * 2)
        self.optimum_line.set_xdata([theory.gd_optimal_lr(lam[0], lam[-1])] * 2)
        self.lr_line.set_xdata([lr, lr])

        self.run = run.trajectory(land, optimizers.gd(lr), land.start, self.steps)
        offsets = self.run.positions - land.minimizers[0]
        errors = np.linalg.norm(offsets, axis=1)
        self.measured_rate = run.empirical_rate(errors)
        self.theory_rate = theory.gd_rate(lr, lam)
        self.rate_marker.set_data([lr], [self.measured_rate])
        self._write_note(kappa, lr)
        return _FIGURE if self._draw_errors(land, offsets, errors) else _ARTISTS

    def _draw_errors(self, land, offsets, errors) -> bool:
        """Draw the run's error and its eigen-components; return whether the axis changed."""
        _, vectors = np.linalg.eigh(land.hessian(land.minimizers[0]))
        components = np.abs(offsets @ vectors)
        steps = np.arange(len(errors))
        floor = np.finfo(np.float64).tiny
        for line, values in zip(self.component_lines, components.T, strict=True):
            line.set_data(steps, np.maximum(values, floor))
        self.error_line.set_data(steps, np.maximum(errors, floor))
        plotting.update_rate_line(self.theory_line, errors[0], self.theory_rate, self.steps)
        ylim = plotting.decade_limits(errors, floor=errors[0] * 1e-13)
        return _set_limits(self.ax_err, xlim=(0, self.steps), ylim=ylim)

    def _write_note(self, kappa, lr):
        lines = [rf"$\kappa$ = {kappa:.3g}, $\eta$ = {lr:.3g}",
                 rf"theory $\rho$ = {self.theory_rate:.4f}"]
        diverged = plotting.divergence_text(self.run.diverged_at)
        lines.append(diverged if diverged else f"measured = {self.measured_rate:.4f}")
        self.note.set_text("\n".join(lines))


# --------------------------------------------------------------------------- momentum map


class MomentumRateMap(_Explorer):
    r"""Heavy ball's empirical convergence rate over the :math:`(\eta, \gamma)` plane.

    The quadratic has eigenvalues :math:`1` and :math:`\kappa`
    (:func:`optbook.landscapes.conditioned_quadratic`), the runs start at :math:`(4, 0.5)` and
    use the velocity form of :func:`optbook.optimizers.momentum`. Left: the rate of
    :math:`\|x_t-x^*\|` measured by :func:`optbook.run.sweep` on a ``resolution`` ×
    ``resolution`` grid of ``steps``-step runs, :math:`\eta` from 0 to
    :data:`LR_SPAN`:math:`/\lambda_{\max}`, :math:`\gamma` from 0 to 1, coloured on the fixed
    scale :func:`optbook.plotting.rate_norm` (grey: no convergence); the stability boundary
    :math:`\eta\lambda_{\max} = 2 + 2\gamma` (GD's bound
    :func:`~optbook.theory.gd_stability_bound` scaled by :math:`1+\gamma`); Polyak's optimum
    :math:`(\alpha^*, \beta^*)` (:func:`optbook.theory.heavy_ball_optimal`) as a star; the
    current :math:`(\eta, \gamma)` as a white dot. The map's horizontal axis is
    :math:`\eta\lambda_{\max}` (:math:`\lambda_{\max} = \kappa`), so the frame, its ticks
    and the boundary stay put when :math:`\kappa` changes and only the colours, the star and
    the title move (a :math:`\kappa` event redraws none of the map's axes); the note gives
    :math:`\eta` itself. Right: that point's path on the level sets.

    Controls: ``kappa`` (log, 1 to 1000), ``lr`` (linear, over the map's :math:`\eta` range,
    which scales with :math:`1/\kappa`), ``gamma``; *snap to optimum* sets :math:`(\alpha^*,
    \beta^*)`. Changing :math:`\kappa` alone keeps :math:`\eta\lambda_{\max}`, i.e. the point's
    place on the map. Attributes: ``fig``, ``sweep``, ``run``, ``measured_rate``, ``optimum``,
    ``image``, ``boundary_line``, ``optimum_marker``, ``point_marker`` (these four in map
    coordinates :math:`(\eta\lambda_{\max}, \gamma)`), ``path_line``, ``note``.
    """

    KAPPA_RANGE = (1.0, 1000.0)
    LR_SPAN = 4.5
    """The map's axis :math:`\\eta\\lambda_{\\max}` ends at ``LR_SPAN`` (the boundary reaches 4)."""
    GAMMA_MAX = 0.99

    def __init__(self, kappa=100.0, lr=0.01, gamma=0.9, *, resolution=256, steps=500):
        super().__init__()
        for name, value, lo in (("resolution", resolution, 2), ("steps", steps, 2)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo:
                raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
        self.resolution, self.steps = int(resolution), int(steps)
        kappa = _in_range("kappa", kappa, *self.KAPPA_RANGE)
        lr = self._check_lr(lr, kappa)
        gamma = _in_range("gamma", gamma, 0.0, self.GAMMA_MAX)
        lo, hi = self._lr_bounds(kappa)
        kappa_slider = self._add_control(
            "kappa", _log_slider("κ", kappa, *self.KAPPA_RANGE, continuous=False))
        lr_slider = self._add_control("lr", _linear_slider("η", lr, lo, hi, lo, fmt=".4g"))
        gamma_slider = self._add_control(
            "gamma", _linear_slider("γ", gamma, 0.0, self.GAMMA_MAX, 0.005))
        self._layout(widgets.HBox([kappa_slider, lr_slider, gamma_slider,
                                   _button("snap to optimum", self.snap_to_optimum)]))
        self._build_figure(landscapes.conditioned_quadratic(kappa))
        self._contours = None
        self._start()

    def snap_to_optimum(self):
        r"""Move the point to :math:`(\alpha^*, \beta^*)`."""
        self.update(lr=self.optimum.lr, gamma=self.optimum.gamma)

    # --- controls

    def _lr_bounds(self, kappa):
        lr_max = self.LR_SPAN / kappa
        return lr_max / 1000, lr_max

    def _check(self, values):
        values = dict(values)
        lr = values.pop("lr", None)
        checked = super()._check(values)
        old_kappa = self.values["kappa"]
        kappa = checked.get("kappa", old_kappa)
        if lr is None and kappa != old_kappa:
            lo, hi = self._lr_bounds(kappa)
            lr = min(max(self.values["lr"] * old_kappa / kappa, lo), hi)
        if lr is not None:
            checked["lr"] = self._check_lr(lr, kappa)
        return checked

    def _check_lr(self, lr, kappa):
        return _in_range("lr", lr, *self._lr_bounds(kappa), note=f" for kappa = {kappa:.4g}")

    def _apply(self, checked):
        slider = self._controls["lr"].widget
        lo, hi = self._lr_bounds(checked.get("kappa", self.values["kappa"]))
        with slider.hold_trait_notifications():
            slider.min, slider.max, slider.step = lo, hi, lo
            slider.value = checked.get("lr", slider.value)
        super()._apply({k: v for k, v in checked.items() if k != "lr"})

    # --- figure

    def _build_figure(self, land):
        """The figure's artists; ``land`` gives the minimiser (0 for every κ)."""
        self.fig, (self.ax_map, self.ax_path) = plotting.subplots(
            1, 2, height=3.8, gridspec_kw={"width_ratios": [1.3, 1.0]}
        )
        ax = self.ax_map
        blank = np.full((self.resolution, self.resolution), np.nan)
        self.image, self.colorbar = plotting.heat_map(
            ax, blank, (0.0, self.LR_SPAN), (0.0, 1.0), norm=plotting.rate_norm(),
            ticks=plotting.RATE_TICKS, colorbar_label=r"empirical rate $\rho$"
        )
        p = plotting.PALETTE
        (self.boundary_line,) = ax.plot([], [], color=p["vermillion"], lw=1.6, ls="--",
                                        label=r"$\eta\lambda_{\max} = 2+2\gamma$")
        (self.optimum_marker,) = ax.plot([], [], "*", color=p["orange"], markersize=14,
                                         markeredgecolor="black", markeredgewidth=0.6,
                                         label=r"$(\alpha^*, \beta^*)$")
        (self.point_marker,) = ax.plot([], [], "o", color="white", markersize=7,
                                       markeredgecolor="black", label=r"$(\eta, \gamma)$")
        ax.set_xlim(0.0, self.LR_SPAN)
        ax.set_ylim(0.0, 1.0)
        plotting.label(ax, r"$\eta\,\lambda_{\max}$  (learning rate × $\kappa$)",
                       r"momentum $\gamma$", title=" ")

        empty = np.empty((0, 2))
        self.path_line = plotting.path(self.ax_path, empty, "momentum",
                                       r"heavy ball at $(\eta, \gamma)$")
        (self.start_marker,) = self.ax_path.plot([], [], "o", color="black", markersize=6,
                                                 markerfacecolor="white", zorder=5, label="start")
        stars = plotting.mark_minimizers(self.ax_path, land)
        self.note = plotting.note(self.ax_path, 0.03, 0.97)
        self._dynamic = [self.point_marker, self.path_line, self.start_marker, *stars, self.note]
        # what kappa changes: the map's colours (drawn over its frame, hence the boundary
        # again), the star, the title, and the right-hand panel's level sets and
        # limits (that whole axes; the path, the start, the star and the note on it are dynamic)
        self._scenery = [self.image, self.boundary_line, self.optimum_marker, ax.title,
                         self.ax_path]
        plotting.label(self.ax_path, "$x_1$", "$x_2$")
        plotting.figure_legend(self.fig, [
            self.boundary_line, self.optimum_marker, self.point_marker,
            Patch(color=plotting.NO_CONVERGENCE_COLOR, label="no convergence"),
            self.path_line, self.start_marker, *stars,
        ], ncols=4)

    def _half_widths(self, land):
        """Half-widths of the box around the start's level set, enlarged by a quarter."""
        excess = land.value(land.start) - land.min_value
        return 1.25 * np.sqrt(2.0 * excess / land.eigenvalues)

    def _redraw(self, changed):
        values = self.values
        land = landscapes.conditioned_quadratic(values["kappa"])
        new_map = self._contours is None or "kappa" in changed
        if new_map:
            self._redraw_map(land)
        lr, gamma = values["lr"], values["gamma"]
        self.point_marker.set_data([lr * land.eigenvalues[-1]], [gamma])
        self.run = run.trajectory(land, optimizers.momentum(lr, gamma), land.start, self.steps)
        plotting.update_path(self.path_line, self.run.positions)
        refit = self._fit_path(land)
        errors = np.linalg.norm(self.run.positions - land.minimizers[0], axis=1)
        self.measured_rate = run.empirical_rate(errors)
        self.theory_rate = theory.heavy_ball_rate(lr, gamma, land.eigenvalues)
        diverged = plotting.divergence_text(self.run.diverged_at)
        self.note.set_text(
            rf"$\eta$ = {lr:.4g}, $\gamma$ = {gamma:.3f}" + "\n"
            + rf"theory $\rho$ = {self.theory_rate:.4f}" + "\n"
            + (diverged if diverged else f"measured = {self.measured_rate:.4f}")
        )
        return _SCENERY if new_map or refit else _ARTISTS

    def _fit_path(self, land) -> bool:
        """Show the start's level set, and the path up to the level sets' window (a path that
        swings across the ravine can leave the level set far behind): the half-height is the
        level set's times a power of 2, capped by the window's. Return whether it changed."""
        half_x, half_y = self._half_widths(land)
        swing = np.abs(self.run.positions[:, 1]).max()
        doublings = math.ceil(math.log2(max(swing / half_y, 1.0)))
        half = min(half_y * 2.0**doublings, half_x)
        return _set_symmetric_limits(self.ax_path.yaxis, half)

    def _redraw_map(self, land):
        """Sweep the (η, γ) grid for this κ and redraw what depends on κ."""
        lam_min, lam_max = land.eigenvalues[[0, -1]]
        n = self.resolution
        lr_max = self.LR_SPAN / lam_max
        lrs = (np.arange(n) + 0.5) * lr_max / n
        gammas = (np.arange(n) + 0.5) / n
        self.sweep = run.sweep(land, optimizers.momentum(lrs[0], gammas[0]), land.start,
                               self.steps, x=("lr", lrs), y=("gamma", gammas))
        plotting.update_heat_map(self.image, self.sweep.rate)
        edge = np.array([0.0, 1.0])  # in map coordinates: 2 + 2 gamma, up to rounding
        self.boundary_line.set_data(theory.gd_stability_bound(lam_max) * (1.0 + edge) * lam_max,
                                    edge)
        self.optimum = theory.heavy_ball_optimal(lam_min, lam_max)
        self.optimum_marker.set_data([self.optimum.lr * lam_max], [self.optimum.gamma])
        self.ax_map.title.set_text(
            rf"$\kappa$ = {lam_max / lam_min:.4g}: optimum $\rho^*$ = {self.optimum.rate:.3f}"
        )
        if self._contours is not None:
            self._contours.remove()
        half = self._half_widths(land)[0]
        self._contours = plotting.level_ellipses(self.ax_path, land, ((-half, half),) * 2)
        _set_symmetric_limits(self.ax_path.xaxis, half)
        self.start_marker.set_data([land.start[0]], [land.start[1]])
