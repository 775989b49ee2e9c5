r"""The optimizer race: one adaptive rule against gradient descent at the same learning rate,
on one of four landscapes, with the first step's length against its closed form."""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np

from optbook import adaptive, landscapes, optimizers, plotting, run
from optbook.widgets import controls
from optbook.widgets.engine import ARTISTS, FIGURE, Explorer, number

#: The rules the race offers, and which of the explorer's four hyper-parameters each reads
#: (RMSProp's and AdaDelta's :math:`\rho` is the explorer's :math:`\beta_2`).
METHODS = {
    "adagrad": ("lr", "eps"),
    "rmsprop": ("lr", "beta2", "eps"),
    "adadelta": ("lr", "beta2", "eps"),
    "adam": ("lr", "beta1", "beta2", "eps"),
    "amsgrad": ("lr", "beta1", "beta2", "eps"),
    "nadam": ("lr", "beta1", "beta2", "eps"),
    "adamax": ("lr", "beta1", "beta2", "eps"),
}

#: The landscapes, each with the window the explorer shows (fixed, whatever the other
#: controls) and its start.
LANDSCAPES = {
    "ravine": (lambda: landscapes.lecture_quadratic(50), ((-1.0, 5.0), (-1.5, 1.5)), (4.0, 0.5)),
    "rotated ravine": (lambda: landscapes.quadratic([2.0, 100.0], angle=math.pi / 4),
                       ((-4.0, 4.0), (-4.0, 4.0)), None),
    "rosenbrock": (landscapes.rosenbrock, ((-1.5, 1.5), (-0.5, 1.5)), (-1.2, 1.0)),
    "two minima": (landscapes.two_minima, ((-2.0, 2.0), (-1.5, 1.5)), (1.5, 0.5)),
}

#: Limits of the loss axis, the same in every state (:math:`f(x_t) - f^*` from 1e-10 to 1e3).
LOSS_LIMITS = (1e-10, 1e3)


def _rule_name(method):
    return {"adagrad": "AdaGrad", "rmsprop": "RMSProp", "adadelta": "AdaDelta", "adam": "Adam",
            "amsgrad": "AMSGrad", "nadam": "NAdam", "adamax": "Adamax"}[method]


class OptimizerRace(Explorer):
    r"""An adaptive rule and gradient descent, both at the learning rate :math:`\eta`, from the
    landscape's start.

    Left: the level sets, the minimisers, the two paths. Right: :math:`f(x_t) - f^*` of both
    runs on a fixed log axis. A note gives the length of the adaptive rule's first step next to
    its closed form (:func:`optbook.adaptive.first_step`; about :math:`\eta\sqrt2` for the Adam
    family, whose first step is :math:`\eta` per coordinate).

    Controls (names for ``update``), each with finitely many settings: ``method`` (one of
    :data:`METHODS`), ``landscape`` (one of :data:`LANDSCAPES`), ``lr`` :math:`\eta` (log,
    :math:`10^{-3}` to 1 in half decades), ``beta1`` (0 to 0.9 in steps of 0.3), ``beta2``
    (0.9, 0.99 or 0.999; RMSProp's and AdaDelta's :math:`\rho`) and ``eps`` (log,
    :math:`10^{-8}` to :math:`10^{-2}` in steps of a hundredfold). A rule ignores the controls
    it has no use for (:data:`METHODS`); the alternative text says which. Axis limits depend on
    the landscape only. Every run is ``STEPS`` = 300 steps.

    Attributes: ``fig``; ``runs``, the :class:`~optbook.run.Trajectory` of the adaptive rule
    and of gradient descent; ``first_step`` (measured, closed form).
    """

    STEPS = 300
    """Steps of each run."""

    def __init__(self, method="adam", landscape="ravine", lr=0.1, beta1=0.9, beta2=0.999,
                 eps=1e-8):
        super().__init__()
        specs = [
            controls.spec("method", "adaptive rule", "", "choice", method,
                          options=tuple(METHODS)),
            controls.spec("landscape", "landscape", "", "choice", landscape,
                          options=tuple(LANDSCAPES)),
            controls.spec("lr", "learning rate η", "η", "log", lr, 1e-3, 1.0, 0.5),
            controls.spec("beta1", "first-moment decay β₁", "β₁", "linear", beta1, 0.0, 0.9,
                          0.3),
            controls.spec("beta2", "second-moment decay β₂ (ρ)", "β₂", "choice", beta2,
                          options=(0.9, 0.99, 0.999)),
            controls.spec("eps", "stability constant ε", "ε", "log", eps, 1e-8, 1e-2, 2.0),
        ]
        row = [self._add_control(s, continuous=False) for s in specs]
        self._layout(self._own(widgets.HBox(row[:3], layout=widgets.Layout(flex_flow="row wrap"))),
                     self._own(widgets.HBox(row[3:], layout=widgets.Layout(flex_flow="row wrap"))))
        self._landscapes = {}
        self._shown = None
        self._contours = None
        self.runs = []
        self.first_step = (math.nan, math.nan)
        self._build_figure()
        self._start()

    # --- computations

    def landscape(self, name=None):
        """The :class:`~optbook.landscapes.Landscape` called ``name`` (the current one by
        default), made once."""
        name = self.values["landscape"] if name is None else name
        if name not in self._landscapes:
            self._landscapes[name] = LANDSCAPES[name][0]()
        return self._landscapes[name]

    def start(self, name=None) -> np.ndarray:
        name = self.values["landscape"] if name is None else name
        given = LANDSCAPES[name][2]
        return np.array(self.landscape(name).start if given is None else given, dtype=float)

    def current_optimizer(self) -> optimizers.Optimizer:
        """The adaptive rule with the controls' values (those it reads)."""
        values = self.values
        method = values["method"]
        kwargs = {"lr": values["lr"], "eps": values["eps"]}
        if "beta2" in METHODS[method]:
            kwargs["rho" if method in ("rmsprop", "adadelta") else "beta2"] = values["beta2"]
        if "beta1" in METHODS[method]:
            kwargs["beta1"] = values["beta1"]
        return optimizers.get(method, **kwargs)

    # --- figure

    def _build_figure(self):
        self.fig, (self.ax_path, self.ax_loss) = plotting.subplots(
            1, 2, height=3.5, gridspec_kw={"width_ratios": [1.0, 1.1]})
        (self.stars,) = self.ax_path.plot([], [], "*", color=plotting.MINIMIZER_COLOR,
                                          markersize=11, markeredgecolor="white",
                                          markeredgewidth=0.6, zorder=4, label="minimiser")
        (self.start_marker,) = self.ax_path.plot([], [], "o", color="black", markersize=6,
                                                 markerfacecolor="white", zorder=5,
                                                 label="start")
        empty = np.empty((0, 2))
        self.path = plotting.path(self.ax_path, empty, "adam", label="adaptive rule")
        self.gd_path = plotting.path(self.ax_path, empty, "gd", label="GD, same η",
                                     linestyle="--")
        self.loss = plotting.loss_curve(self.ax_loss, [], 0.0, "adam")
        self.gd_loss = plotting.loss_curve(self.ax_loss, [], 0.0, "gd", linestyle="--")
        self.ax_loss.set_ylim(*LOSS_LIMITS)
        self.ax_loss.set_xlim(0, self.STEPS)
        self.step_note = plotting.note(self.ax_loss, 0.97, 0.97, ha="right")
        self.gd_note = plotting.note(self.ax_path, 0.03, 0.97, color=plotting.PALETTE["blue"])
        self.rule_note = plotting.note(self.ax_path, 0.03, 0.86)
        plotting.label(self.ax_path, "$x_1$", "$x_2$")
        plotting.label(self.ax_loss, "step $t$", r"$f(x_t) - f^*$")
        self._dynamic = [self.stars, self.start_marker, self.gd_path, self.path, self.gd_loss,
                         self.loss, self.step_note, self.gd_note, self.rule_note]
        self._legend = None
        self._legend_for = None

    def _show_legend(self, method) -> bool:
        """Name the adaptive rule, in its colour, in the legend; return whether it changed."""
        if method == self._legend_for:
            return False
        if self._legend is not None:
            self._legend.remove()
        self._legend = plotting.figure_legend(self.fig, [self.path, self.gd_path, self.stars,
                                                         self.start_marker], ncols=4)
        self._legend_for = method
        return True

    def _show_landscape(self) -> bool:
        """Draw the current landscape's level sets if they are not shown; return whether the
        scenery changed."""
        name = self.values["landscape"]
        if name == self._shown:
            return False
        if self._contours is not None:
            self._contours.remove()
        land = self.landscape(name)
        window = LANDSCAPES[name][1]
        self._contours = plotting.contours(self.ax_path, land, window=window, n_levels=12,
                                           minimizers=False)
        self.stars.set_data(land.minimizers[:, 0], land.minimizers[:, 1])
        self._shown = name
        return True

    def _redraw(self, changed):
        new_scenery = self._show_landscape()
        land, x0 = self.landscape(), self.start()
        opt = self.current_optimizer()
        gd = optimizers.gd(opt.lr)
        self.runs = [run.trajectory(land, opt, x0, self.STEPS),
                     run.trajectory(land, gd, x0, self.STEPS)]
        colour, dash = plotting.optimizer_style(opt.name)
        for line in (self.path, self.loss):
            line.set_color(colour)
            line.set_linestyle(dash)
        self.path.set_label(_rule_name(opt.name))
        new_scenery = self._show_legend(opt.name) or new_scenery
        for path, curve, traj in ((self.path, self.loss, self.runs[0]),
                                  (self.gd_path, self.gd_loss, self.runs[1])):
            plotting.update_path(path, traj.positions)
            plotting.update_loss_curve(curve, np.maximum(traj.losses, land.min_value +
                                                         LOSS_LIMITS[0] / 10), land.min_value)
        self.start_marker.set_data([x0[0]], [x0[1]])
        measured = float(np.linalg.norm(self.runs[0].positions[1] - x0)) \
            if self.runs[0].steps_run >= 1 else math.nan
        theory = float(np.linalg.norm(adaptive.first_step(opt, land.grad(x0))))
        self.first_step = (measured, theory)
        self.step_note.set_text(f"first step {measured:.3g}\nclosed form {theory:.3g}\n"
                                f"ratio {measured / theory:.4f}")
        self.gd_note.set_text(self._fate("GD", self.runs[1]))
        self.rule_note.set_text(self._fate(_rule_name(opt.name), self.runs[0]))
        self.rule_note.set_color(plotting.text_shade(colour))
        return FIGURE if new_scenery else ARTISTS

    def _fate(self, label, traj):
        if traj.diverged_at is not None:
            return f"{label}: {plotting.divergence_text(traj.diverged_at)}"
        gap = traj.losses[-1] - self.landscape().min_value
        return f"{label}: f - f* = {gap:.2g}"

    def alt_text(self) -> str:
        values = self.values
        opt = self.current_optimizer()
        used = METHODS[values["method"]]
        ignored = [k for k in ("beta1", "beta2", "eps") if k not in used]
        x0 = self.start()
        parts = [f"Left: level sets of the {values['landscape']} landscape, its minimisers as "
                 f"stars, the start at ({number(x0[0])}, {number(x0[1])}) and two "
                 f"{self.STEPS}-step paths."]
        for label, traj in ((_rule_name(opt.name), self.runs[0]), ("Gradient descent",
                                                                   self.runs[1])):
            if traj.diverged_at is not None:
                parts.append(f"{label} with learning rate {number(opt.lr)} diverges at step "
                             f"{traj.diverged_at}.")
            else:
                end = traj.positions[-1]
                gap = traj.losses[-1] - self.landscape().min_value
                parts.append(f"{label} with learning rate {number(opt.lr)} ends at "
                             f"({number(end[0])}, {number(end[1])}), where f minus its minimum "
                             f"is {number(gap)}.")
        settings = ", ".join(f"{k} {number(values[k])}" for k in used if k != "lr")
        parts.append(f"{_rule_name(opt.name)} uses {settings}"
                     + (f" and ignores {' and '.join(ignored)}." if ignored else "."))
        measured, theory = self.first_step
        parts.append(f"Its first step is {number(measured)} long; the closed form gives "
                     f"{number(theory)}.")
        parts.append("Right: f minus its minimum for both runs against the step, on a log "
                     "scale from 10 to the minus 10 to 1000.")
        return " ".join(parts)
