r"""The trajectory explorer: up to three optimizers on one 2-D landscape, run live."""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D

from optbook import landscapes, optimizers, plotting, run
from optbook.widgets import controls
from optbook.widgets.engine import ARTISTS, FIGURE, Explorer, number, set_limits

#: Markers of the 1st, 2nd and 3rd run in one explorer, so that runs tell apart without colour.
MARKERS = ("o", "s", "^")

#: Colours a repeated optimizer takes after its own (Okabe-Ito names, in order), so that two
#: runs of one method never share a colour.
REPEAT_COLOURS = ("orange", "bluish green", "reddish purple", "sky blue", "vermillion", "blue")

#: The line style of a theory curve that is a bound (gradient descent, ``True``) and of one
#: that gives only the asymptotic slope (``False``).
THEORY_STYLE = {True: ":", False: "-."}


def _labels(names):
    """Control prefixes: the optimizer's name, numbered when it occurs more than once."""
    labels = []
    for k, name in enumerate(names):
        if names.count(name) == 1:
            labels.append(name)
        else:
            labels.append(f"{name}_{names[: k + 1].count(name)}")
    return labels


def _colours(names):
    """One colour per run: the optimizer's own, except for repeats of a name, which take the
    first colours of :data:`REPEAT_COLOURS` that no run uses."""
    colours = []
    for k, name in enumerate(names):
        own = plotting.optimizer_style(name)[0]
        if name not in names[:k]:
            colours.append(own)
            continue
        taken = set(colours) | {plotting.optimizer_style(n)[0] for n in names}
        colours.append(next(plotting.PALETTE[c] for c in REPEAT_COLOURS
                            if plotting.PALETTE[c] not in taken))
    return colours


class TrajectoryExplorer(Explorer):
    r"""Up to three optimizers on one 2-D landscape, run live from one start point.

    Left: the level sets, the minimisers (stars), the start and each optimizer's path, each run
    in its own colour and marker (a repeated optimizer takes a colour of its own too). Right:
    :math:`f(x_t) - f^*` against the step on a log axis; on a quadratic, a rule with a theory
    curve in the registry (gradient descent, momentum, Nesterov, without weight decay) also
    gets :math:`(f(x_0) - f^*)\rho^{2t}`: dotted where it bounds the run from above at every
    step (gradient descent), dash-dotted where it gives the asymptotic slope only (momentum,
    Nesterov), and labelled so.

    Controls (names for ``update``): ``"<label>_<param>"`` for each hyper-parameter of each
    optimizer's form (the registry's sliders), where ``label`` is the optimizer's name
    (``"gd_lr"``, ``"momentum_gamma"``) or, when a name occurs twice, the name numbered
    (``"gd_1_lr"``, ``"gd_2_lr"``); ``"steps"``; the start point ``"x0_1"``, ``"x0_2"``, or
    both at once as ``x0=(x1, x2)``. *Reset* returns to the values given here.

    Attributes: ``fig``; ``runs``, the :class:`~optbook.run.Trajectory` of each optimizer as
    drawn; ``paths``, ``loss_lines``, ``theory_lines``, ``notes`` (the "diverged at step k"
    texts), ``colours``, one per optimizer.
    """

    MAX_STEPS = 2000

    def __init__(self, landscape, optimizers, x0=None, steps=100):
        super().__init__()
        self.landscape, self.optimizers = self._check_setup(landscape, optimizers)
        names = [opt.name for opt in self.optimizers]
        self.labels = _labels(names)
        self.colours = _colours(names)
        x0 = landscape.start if x0 is None else x0
        if x0 is None:
            raise ValueError(f"{landscape.name} has no start point: give x0")
        x0 = np.asarray(x0, dtype=np.float64)
        if x0.shape != (2,) or not np.all(np.isfinite(x0)):
            raise ValueError(f"x0 must be 2 finite numbers, got {x0}")
        if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or not (
            1 <= steps <= self.MAX_STEPS
        ):
            raise ValueError(f"steps must be an integer in [1, {self.MAX_STEPS}], got {steps!r}")
        self._build_controls(x0, int(steps))
        self._defaults = self.values
        self._build_figure()
        self.runs = []
        self._start()

    @staticmethod
    def _check_setup(landscape, opts):
        if not isinstance(landscape, landscapes.Landscape) or landscape.dim != 2:
            raise ValueError(f"landscape must be a 2-D optbook Landscape, got {landscape!r}")
        if landscape.window is None:
            raise ValueError(f"{landscape.name} has no plot window")
        if isinstance(opts, optimizers.Optimizer):
            opts = [opts]
        opts = list(opts)
        if not 1 <= len(opts) <= 3 or not all(isinstance(o, optimizers.Optimizer) for o in opts):
            raise ValueError(f"optimizers must be 1 to 3 optbook Optimizers, got {opts!r}")
        return landscape, opts

    # --- controls

    @staticmethod
    def _hypers(opt):
        return opt.rule.hypers_for(opt.form)

    def _build_controls(self, x0, steps):
        columns = []
        for opt, label, colour in zip(self.optimizers, self.labels, self.colours, strict=True):
            # the palette's colours are too light for text on white (WCAG 4.5:1): the name is
            # black beside a swatch of the run's colour
            title = widgets.HTML(
                f"<span aria-hidden='true' style='display:inline-block;width:0.8em;"
                f"height:0.8em;margin-right:0.3em;background:{colour}'></span><b>{label}</b>")
            column = [self._add_control(controls.hyper_spec(f"{label}_{h.name}", h,
                                                            getattr(opt, h.name)))
                      for h in self._hypers(opt)]
            columns.append(self._own(widgets.VBox([self._own(title), *column])))
        (wx0, wx1), (wy0, wy1) = self.landscape.window
        lo = np.minimum([wx0, wy0], x0)
        hi = np.maximum([wx1, wy1], x0)
        run_column = widgets.VBox([
            self._own(widgets.HTML("<b>run</b>")),
            self._add_control(controls.spec("steps", "steps", "", "int", steps, 1,
                                            self.MAX_STEPS, 1)),
            self._add_control(controls.spec("x0_1", "start x₁", "x₁", "linear", x0[0], lo[0],
                                            hi[0], (wx1 - wx0) / 200)),
            self._add_control(controls.spec("x0_2", "start x₂", "x₂", "linear", x0[1], lo[1],
                                            hi[1], (wy1 - wy0) / 200)),
            self._button("reset to the values given", "reset", width="300px"),
        ])
        self._layout(self._own(widgets.HBox([*columns, self._own(run_column)],
                                            layout=widgets.Layout(flex_flow="row wrap"))))

    def _check(self, values):
        values = dict(values)
        if "x0" in values:
            if "x0_1" in values or "x0_2" in values:
                raise ValueError("give the start as x0=(x1, x2) or as x0_1 and x0_2, not both")
            x0 = values.pop("x0")
            if np.shape(x0) != (2,):
                raise ValueError(f"x0 must be a pair (x1, x2), got {x0!r}")
            values["x0_1"], values["x0_2"] = x0
        return super()._check(values)

    def reset(self):
        """Return every control to the values the explorer was made with."""
        self.update(**self._defaults)

    def current_optimizers(self) -> list:
        """The optimizers with the hyper-parameters the controls show."""
        values = self.values
        return [
            opt.with_params(**{h.name: values[f"{label}_{h.name}"] for h in self._hypers(opt)})
            for opt, label in zip(self.optimizers, self.labels, strict=True)
        ]

    # --- figure

    def _build_figure(self):
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
        on_quadratic = land.code == landscapes.QUADRATIC
        kinds = set()
        for k, (opt, label) in enumerate(zip(self.optimizers, self.labels, strict=True)):
            colour, marker = self.colours[k], MARKERS[k]
            path = plotting.path(self.ax_path, empty, opt.name, label)
            path.set_color(colour)
            path.set_marker(marker)
            path.set_markersize(3.0)
            self.paths.append(path)
            curve = plotting.loss_curve(self.ax_loss, [], land.min_value, opt.name, label)
            curve.set_color(colour)
            self.loss_lines.append(curve)
            bound = opt.rule.theory_bound
            line = plotting.rate_line(self.ax_loss, 1.0, math.nan, 1, power=2, color=colour)
            line.set_linestyle(THEORY_STYLE[bound])
            self.theory_lines.append(line)
            if on_quadratic and opt.rule.theory is not None:
                kinds.add(bound)
            self.notes.append(plotting.note(self.ax_path, 0.03, 0.97 - 0.09 * k, color=colour))
        self._dynamic = [self.start_marker, *stars, *self.paths, *self.loss_lines,
                         *self.theory_lines, *self.notes]
        plotting.label(self.ax_path, "$x_1$", "$x_2$", f"${land.latex}$")
        self.ax_path.title.set_fontsize(plotting.FONT["note"])
        finite = math.isfinite(land.min_value)
        plotting.label(self.ax_loss, "step $t$", r"$f(x_t) - f^*$" if finite else r"$f(x_t)$")
        handles = [*self.paths, *stars[:1], self.start_marker]
        if True in kinds:
            handles.append(Line2D([], [], color="black", linestyle=THEORY_STYLE[True],
                                  label=r"bound $(f(x_0)-f^*)\,\rho^{2t}$"))
        if False in kinds:
            handles.append(Line2D([], [], color="black", linestyle=THEORY_STYLE[False],
                                  label=r"asymptotic rate $\rho^{2t}$"))
        plotting.figure_legend(self.fig, handles, ncols=min(len(handles), 4))

    def _theory_rate(self, opt):
        """The rate the registry's theory gives ``opt`` on this landscape, or NaN."""
        if self.landscape.code != landscapes.QUADRATIC or opt.lr <= 0:
            return math.nan
        return opt.theory_rate(self.landscape.eigenvalues)

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
        return FIGURE if self._rescale_loss_axis(steps) else ARTISTS

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
        return set_limits(self.ax_loss, xlim=(0, steps), ylim=ylim)

    def alt_text(self) -> str:
        land = self.landscape
        x0 = self.runs[0].positions[0]
        parts = [f"Left: level sets of the {land.name.replace('_', ' ')} landscape with its "
                 f"minimisers as stars and the start at ({number(x0[0])}, {number(x0[1])})."]
        for label, opt, traj in zip(self.labels, self.current_optimizers(), self.runs,
                                    strict=True):
            settings = ", ".join(f"{h.label} {number(getattr(opt, h.name))}"
                                 for h in self._hypers(opt) if not h.boolean)
            end = traj.positions[-1]
            if traj.diverged_at is not None:
                fate = f"diverges at step {traj.diverged_at}"
            else:
                gap = traj.losses[-1] - land.min_value
                loss = (f"f minus its minimum is {number(gap)}" if math.isfinite(gap)
                        else f"f is {number(traj.losses[-1])}")
                fate = (f"ends at ({number(end[0])}, {number(end[1])}) after "
                        f"{traj.steps_run} steps, where {loss}")
            parts.append(f"{label} ({settings}) {fate}.")
        scale = "a log scale" if self.ax_loss.get_yscale() == "log" else "a linear scale"
        parts.append(f"Right: the loss of each run against the step, on {scale}.")
        drawn = [self.labels[k] for k, line in enumerate(self.theory_lines)
                 if len(line.get_xdata())]
        if drawn:
            parts.append(f"Theory curves for {', '.join(drawn)}.")
        return " ".join(parts)
