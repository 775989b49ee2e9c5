r"""The babysitter explorer: one run of the digits network, watched through its monitors."""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np

from optbook import babysit, monitor, plotting
from optbook.widgets import controls
from optbook.widgets.engine import ARTISTS, Explorer, number

#: The controls' keys, their labels, symbols and kinds, in :data:`optbook.babysit.EXPLORER_STOPS`'s
#: order.
CONTROLS = {
    "lr": ("learning rate η", "η", "log"),
    "weight_decay": ("weight decay λ", "λ", "log"),
    "init_scale": ("initial scale (× He)", "c", "log"),
    "drop": ("drop probability p", "p", "linear"),
}

#: Fixed limits of the loss panel's log axis, the same for every state (the static page swaps
#: images of equal frames; the accuracy and dead-unit panels span 0 to 100 %).
LOSS_LIMITS = (1e-3, 1e2)
#: Fixed limits of the update-ratio panel's log axis.
RATIO_LIMITS = (1e-5, 10.0)


def stop_spec(key: str, stops, value) -> dict:
    """The specification of control ``key`` whose settings are exactly ``stops`` (evenly
    spaced, in log10 units for a log control), at ``value``."""
    label, symbol, kind = CONTROLS[key]
    stops = np.asarray(stops, dtype=float)
    if stops.size < 2:
        raise ValueError(f"{key} needs at least two stops, got {stops.tolist()}")
    steps = np.diff(np.log10(stops) if kind == "log" else stops)
    if not np.allclose(steps, steps[0], rtol=1e-9) or steps[0] <= 0:
        raise ValueError(f"{key}: stops must be increasing and evenly spaced"
                         f"{' in log10' if kind == 'log' else ''}, got {stops.tolist()}")
    return controls.spec(key, label, symbol, kind, value, stops[0], stops[-1], float(steps[0]))


class BabysitterExplorer(Explorer):
    r"""A run of the chapter's network (:func:`optbook.babysit.babysit`: the 64-100-100-10 ReLU
    perceptron on the 8×8 digits, mini-batch SGD, batches of 32) for ``epochs`` epochs, seen
    through the monitors of the chapter on training in practice, per epoch: the training and
    validation cross-entropy (with :math:`\ln C`), the training and validation accuracy, the
    update-to-weight ratio :math:`\|\Delta W\|/\|W\|` of each linear layer at the epoch's last
    step (with the lecture's :math:`10^{-3}`) and the fraction of dead units of each hidden
    ReLU layer; the note gives the name :func:`optbook.monitor.diagnose` gives the run.

    Controls: ``lr`` (:math:`\eta`), ``weight_decay`` (:math:`\lambda`, the coupled L2
    penalty), ``init_scale`` (a factor on He's initial weights) and ``drop`` (the probability
    of dropping a hidden unit). Their sliders move between the stops of ``stops`` (default
    :data:`optbook.babysit.EXPLORER_STOPS`, 48 combinations), whose runs
    :func:`optbook.babysit.explorer_grid` computes once per version of the library; a value
    between stops, given to :meth:`update`, is trained when asked for (about 0.3 s) and kept.
    Every axis has fixed limits, so each state is drawn in the same frame.

    Attributes: ``fig``, ``axes`` (loss, accuracy, ratio, dead fraction), ``run`` (the
    :func:`optbook.babysit.curves` dict drawn, with its ``series`` by name), ``loss_lines``,
    ``accuracy_lines`` (training, validation), ``ratio_lines`` (three layers), ``dead_lines``
    (two layers), ``note`` (the settings, the outcome and the monitor's name, above the panels),
    ``divergence_note`` (on the loss panel, empty unless the run diverged).
    """

    def __init__(self, lr=0.1, weight_decay=1e-3, init_scale=1.0, drop=0.0, *,
                 stops=None, epochs=babysit.EXPLORER_EPOCHS):
        super().__init__()
        if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 2:
            raise ValueError(f"epochs must be an integer >= 2, got {epochs!r}")
        self.epochs = int(epochs)
        stops = dict(babysit.EXPLORER_STOPS if stops is None else stops)
        if list(stops) != list(CONTROLS):
            raise ValueError(f"stops must give values for {list(CONTROLS)}, in that order")
        initial = {"lr": lr, "weight_decay": weight_decay, "init_scale": init_scale,
                   "drop": drop}
        specs = {key: stop_spec(key, values, min(values)) for key, values in stops.items()}
        initial = {key: controls.check(specs[key], value) for key, value in initial.items()}
        self._grid = babysit.explorer_grid(stops, self.epochs)
        self._runs = {}
        for index in np.ndindex(self._grid["diverged_at"].shape):
            knobs = tuple(float(self._grid[k][i]) for k, i in zip(CONTROLS, index, strict=True))
            self._runs[self._key(knobs)] = {
                "series": self._grid["series"][index].astype(float),
                "diverged_at": int(self._grid["diverged_at"][index]),
                "diagnosis": int(self._grid["diagnosis"][index]),
            }
        sliders = [self._add_control(stop_spec(key, stops[key], initial[key]),
                                     continuous=False) for key in CONTROLS]
        self._layout(self._own(widgets.HBox(sliders, layout=widgets.Layout(flex_flow="row wrap"))))
        self._build_figure()
        self._start()

    @staticmethod
    def _key(knobs) -> tuple:
        return tuple(float(f"{v:.9g}") for v in knobs)

    def run_at(self, lr, weight_decay, init_scale, drop) -> dict:
        """The run at these values (precomputed at the stops, else trained now and kept), as
        :func:`optbook.babysit.curves` gives it."""
        key = self._key((lr, weight_decay, init_scale, drop))
        if key not in self._runs:
            self._runs[key] = babysit.curves(*key, epochs=self.epochs)
        return self._runs[key]

    # --- figure

    def _build_figure(self):
        self.fig, axes = plotting.subplots(2, 2, height=5.6, sharex=True)
        self.axes = axes.ravel()
        ax_loss, ax_acc, ax_ratio, ax_dead = self.axes
        p = plotting.PALETTE
        epochs = np.arange(1, self.epochs + 1)
        empty = np.full(self.epochs, np.nan)
        kinds = (("training", p["blue"], None), ("validation", p["vermillion"], "o"))
        self.loss_lines = [ax_loss.plot(epochs, empty, color=c, marker=m, ms=3, lw=1.5,
                                        label=name)[0] for name, c, m in kinds]
        self.accuracy_lines = [ax_acc.plot(epochs, empty, color=c, marker=m, ms=3, lw=1.5)[0]
                               for _, c, m in kinds]
        layer_colours = (p["bluish green"], p["orange"], p["reddish purple"])
        self.ratio_lines = [ax_ratio.plot(epochs, empty, color=c, marker="s", ms=3, lw=1.3,
                                          label=f"layer {i + 1}")[0]
                            for i, c in enumerate(layer_colours)]
        self.dead_lines = [ax_dead.plot(epochs, empty, color=c, marker="s", ms=3, lw=1.3)[0]
                           for c in layer_colours[:2]]
        references = ((ax_loss, math.log(babysit.SIZES[-1]), r"$\ln C$"),
                      (ax_acc, 100.0 / babysit.SIZES[-1], "chance"),
                      (ax_ratio, 1e-3, "$10^{-3}$"))
        for ax, level, text in references:
            ax.axhline(level, color="0.45", ls="--", lw=1)
            ax.annotate(text, (1.0, level), xycoords=("axes fraction", "data"),
                        xytext=(3, 0), textcoords="offset points", va="center",
                        fontsize=plotting.FONT["note"], color="0.3")
        ax_loss.set_yscale("log")
        ax_loss.set_ylim(*LOSS_LIMITS)
        ax_ratio.set_yscale("log")
        ax_ratio.set_ylim(*RATIO_LIMITS)
        ax_acc.set_ylim(0.0, 100.0)
        ax_dead.set_ylim(0.0, 100.0)
        ax_loss.set_xlim(0.5, self.epochs + 0.5)
        ax_loss.set_xticks(np.unique(np.r_[1, np.arange(5, self.epochs + 1, 5), self.epochs]))
        plotting.label(ax_loss, "", "cross-entropy")
        plotting.label(ax_acc, "", "accuracy (%)")
        plotting.label(ax_ratio, "epoch", r"update ratio $\|\Delta W\|/\|W\|$")
        plotting.label(ax_dead, "epoch", "dead units (%)")
        plotting.figure_legend(self.fig, [*self.loss_lines, *self.ratio_lines], ncols=5)
        self.divergence_note = plotting.note(ax_loss, 0.5, 0.5, "", color=p["vermillion"],
                                             ha="center", va="center")
        self.note = self.fig.suptitle(" \n ", fontsize=plotting.FONT["note"])
        self._dynamic = [*self.loss_lines, *self.accuracy_lines, *self.ratio_lines,
                         *self.dead_lines, self.divergence_note, self.note]

    def _redraw(self, changed):
        values = self.values
        self.run = dict(self.run_at(*(values[k] for k in CONTROLS)))
        series = dict(zip(babysit.SERIES, self.run["series"], strict=True))
        self.run["series"] = series
        for line, name in zip(self.loss_lines, ("train_loss", "val_loss"), strict=True):
            line.set_ydata(series[name])
        for line, name in zip(self.accuracy_lines, ("train_accuracy", "val_accuracy"),
                              strict=True):
            line.set_ydata(100.0 * series[name])
        for i, line in enumerate(self.ratio_lines):
            line.set_ydata(series[f"ratio_{i + 1}"])
        for i, line in enumerate(self.dead_lines):
            line.set_ydata(100.0 * series[f"dead_{i + 1}"])
        self.note.set_text(self._summary(values))
        self.divergence_note.set_text(plotting.divergence_text(
            self.run["diverged_at"] if self.run["diverged_at"] >= 0 else None))
        return ARTISTS

    def diagnosis(self) -> str:
        """The name :func:`optbook.monitor.diagnose` gives the run shown."""
        return monitor.NAMES[self.run["diagnosis"]]

    def _summary(self, values) -> str:
        settings_text = (f"η = {values['lr']:.3g}, λ = {values['weight_decay']:.3g}, "
                         f"initial scale {values['init_scale']:.3g}, p = {values['drop']:.3g}")
        series = self.run["series"]
        if self.run["diverged_at"] >= 0:
            outcome = plotting.divergence_text(self.run["diverged_at"])
        else:
            outcome = (f"validation accuracy {100 * series['val_accuracy'][-1]:.1f}% after "
                       f"{self.epochs} epochs")
        return f"{settings_text}\n{outcome}; monitor: {self.diagnosis()}"

    def alt_text(self) -> str:
        values = self.values
        series = self.run["series"]
        head = (
            f"Four panels over {self.epochs} epochs of training the digits network with "
            f"learning rate {number(values['lr'])}, weight decay {number(values['weight_decay'])}"
            f", initial weights {number(values['init_scale'])} times He's and drop probability "
            f"{number(values['drop'])}. "
        )
        if self.run["diverged_at"] >= 0:
            k = self.run["diverged_at"]
            body = (f"The run diverges at step {k}, in epoch "
                    f"{max(k - 1, 0) // babysit.steps_per_epoch() + 1}: its weights are no "
                    "longer finite, and the panels show no epoch after it. ")
        else:
            ratios = ", ".join(number(series[f"ratio_{i}"][-1], 2) for i in (1, 2, 3))
            body = (
                "Top left: the cross-entropy on the training digits is "
                f"{number(series['train_loss'][0])} in the first epoch and "
                f"{number(series['train_loss'][-1])} in the last, and on the validation digits "
                f"it ends at {number(series['val_loss'][-1])} (chance: "
                f"{number(math.log(babysit.SIZES[-1]))}). Top right: the training accuracy ends "
                f"at {100 * series['train_accuracy'][-1]:.1f} percent and the validation "
                f"accuracy at {100 * series['val_accuracy'][-1]:.1f} percent. Bottom left: the "
                f"update-to-weight ratios of the three layers end at {ratios}, against the "
                f"lecture's 10 to the minus 3. Bottom right: {100 * series['dead_1'][-1]:.0f} "
                f"and {100 * series['dead_2'][-1]:.0f} percent of the units of the two hidden "
                "layers are dead at the end. "
            )
        return head + body + f"The monitor names the run: {self.diagnosis()}."
