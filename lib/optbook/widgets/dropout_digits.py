r"""The dropout explorer: a network on the digits across drop probabilities, widths and numbers
of Monte-Carlo samples."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D

from optbook import dropout, plotting
from optbook.widgets import controls
from optbook.widgets.engine import ARTISTS, Explorer, number


class DropoutDigitsExplorer(Explorer):
    r"""The runs of :func:`optbook.dropout.digits_sweep` (the network
    :math:`64 \to w \to w \to 10`, dropout after each hidden layer, trained by Adam on digits
    some of whose labels were replaced by wrong ones), one run at a time.

    Left: the chosen run's cross-entropy against the epoch, on the training set (the labels
    it was trained on) and on the validation set (true labels), both evaluated without
    dropout, over the same width's run without dropout in grey. Right: the validation
    cross-entropy of three predictions of the trained network: the arithmetic mean of the first
    :math:`s` Monte-Carlo passes (fresh masks each) for :math:`s = 1, \dots, S`, their
    normalised geometric mean, and the single pass with every unit on (weight scaling, a
    horizontal line); a dot marks :math:`s = S`. A network trained without dropout has one
    prediction only, and the right panel shows just its line.

    Every run is trained once, by the sweep (pass ``sweep`` to reuse one; by default
    :func:`~optbook.dropout.digits_sweep` runs with its defaults, about 7 s on one core), so
    every setting of the controls is a redraw. The axis limits are those of the whole sweep,
    the same for every setting.

    Controls (each takes finitely many values): ``drop`` (the drop probability, PyTorch's
    ``p``; one of the sweep's), ``width`` (one of the sweep's widths) and ``samples``
    (:math:`S`, one of :attr:`SAMPLE_STOPS` up to the sweep's number of samples).
    Attributes: ``fig``, ``sweep``, ``train_line``, ``val_line``, ``plain_train_line``,
    ``plain_val_line`` (empty when the run is the one without dropout), ``mc_line``,
    ``geometric_line``, ``samples_marker`` (empty without dropout), ``scaled_line``,
    ``curves_title`` (the validation loss's last and lowest values), ``ensemble_title`` (the
    validation accuracies), ``title`` (the width and drop probability).
    """

    SAMPLE_STOPS = (1, 3, 10, 100)
    """The numbers of Monte-Carlo samples the ``samples`` control offers."""
    LOSS_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
    """Where the right panel's logarithmic loss axis may have ticks."""
    SAMPLES_AXIS = (0.8, 125.0)
    """The limits of the right panel's axis of :math:`s`."""

    def __init__(self, sweep: dropout.DigitsSweep | None = None, *, drop=0.5, width=64,
                 samples=10):
        super().__init__()
        if sweep is None:
            sweep = dropout.digits_sweep()
        elif not isinstance(sweep, dropout.DigitsSweep):
            raise ValueError(f"sweep must be a dropout.DigitsSweep, got {type(sweep).__name__}")
        self.sweep = sweep
        stops = [s for s in self.SAMPLE_STOPS if s <= sweep.samples[-1]]
        specs = [
            controls.spec("drop", "drop probability (PyTorch's p)", "1−p", "choice",
                          self._option(drop, sweep.drops, "drop"), options=list(sweep.drops)),
            controls.spec("width", "hidden width w", "w", "choice",
                          self._option(width, sweep.widths, "width"), options=list(sweep.widths)),
            controls.spec("samples", "Monte-Carlo samples S", "S", "choice",
                          self._option(samples, stops, "samples"), options=stops),
        ]
        self._layout(self._own(widgets.HBox([self._add_control(s) for s in specs],
                                            layout=widgets.Layout(flex_flow="row wrap"))))
        self._build_figure()
        self._start()

    @staticmethod
    def _option(value, options, name):
        if value not in options:
            raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")
        return options[list(options).index(value)]

    # --- figure

    def _build_figure(self):
        sweep = self.sweep
        self.fig, (self.ax_curves, self.ax_ensemble) = plotting.subplots(1, 2, height=3.9)
        p = plotting.PALETTE
        ax = self.ax_curves
        (self.plain_train_line,) = ax.plot([], [], color="0.65", lw=1.1)
        (self.plain_val_line,) = ax.plot([], [], color="0.65", lw=1.1, ls="--")
        (self.train_line,) = ax.plot([], [], color=p["blue"], lw=1.6, label="training")
        (self.val_line,) = ax.plot([], [], color=p["vermillion"], lw=1.6, ls="--",
                                   label="validation")
        ax.set_yscale("log")
        ax.set_xlim(0, sweep.epochs[-1])
        ax.set_ylim(*plotting.decade_limits(
            np.concatenate([sweep.train_loss.ravel(), sweep.val_loss.ravel()]), floor=1e-4))
        plotting.label(ax, "epoch", "cross-entropy", title=" ")
        self.curves_title = ax.title
        self.curves_title.set_fontsize(plotting.FONT["note"])

        ax = self.ax_ensemble
        (self.scaled_line,) = ax.plot([], [], color="black", lw=1.4, label="one pass, all units")
        (self.geometric_line,) = ax.plot([], [], color=p["bluish green"], lw=1.6, ls="-.",
                                         label="geometric mean")
        (self.mc_line,) = ax.plot([], [], color=p["orange"], lw=1.8,
                                  label="mean of s passes")
        (self.samples_marker,) = ax.plot([], [], "o", color=p["orange"], markersize=7,
                                         markeredgecolor="black", zorder=5, label="s = S")
        ax.set_xscale("log")
        ax.set_xlim(*self.SAMPLES_AXIS)
        ax.set_xticks([1, 10, 100], ["1", "10", "100"])
        ensemble = np.concatenate([sweep.mc_loss.ravel(), sweep.mc_geometric_loss.ravel(),
                                   sweep.scaled_loss.ravel()])
        ensemble = ensemble[np.isfinite(ensemble)]
        low, high = ensemble.min() / 1.1, ensemble.max() * 1.1
        ax.set_yscale("log")
        ax.set_ylim(low, high)
        ticks = [t for t in self.LOSS_TICKS if low <= t <= high]
        ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
        plotting.label(ax, "Monte-Carlo passes s", "validation cross-entropy", title=" ")
        self.ensemble_title = ax.title
        self.ensemble_title.set_fontsize(plotting.FONT["note"])
        self.title = self.fig.suptitle(" ", fontsize=plotting.FONT["title"])
        self._dynamic = [self.plain_train_line, self.plain_val_line, self.train_line,
                         self.val_line, self.curves_title, self.scaled_line,
                         self.geometric_line, self.mc_line, self.samples_marker,
                         self.ensemble_title, self.title]
        plotting.figure_legend(self.fig, [
            self.train_line, self.val_line,
            Line2D([], [], color="0.65", lw=1.1, label="no dropout, same width"),
            self.mc_line, self.geometric_line, self.scaled_line, self.samples_marker,
        ], ncols=4)

    def _indices(self):
        values = self.values
        return (self.sweep.drops.index(values["drop"]), self.sweep.widths.index(values["width"]),
                values["samples"])

    def _redraw(self, changed):
        sweep = self.sweep
        i, j, count = self._indices()
        epochs = sweep.epochs
        plain = sweep.drops.index(0.0) if 0.0 in sweep.drops else None
        for line, curves in ((self.plain_train_line, sweep.train_loss),
                             (self.plain_val_line, sweep.val_loss)):
            if plain is None or plain == i:  # the run is its own reference
                line.set_data([], [])
            else:
                line.set_data(epochs, curves[plain, j])
        self.train_line.set_data(epochs, sweep.train_loss[i, j])
        self.val_line.set_data(epochs, sweep.val_loss[i, j])
        best = int(np.argmin(sweep.val_loss[i, j]))
        self.curves_title.set_text(
            f"validation loss: last {sweep.val_loss[i, j, -1]:.3f}\n"
            f"lowest {sweep.val_loss[i, j, best]:.3f} at epoch {best + 1}")

        self.scaled_line.set_data(self.SAMPLES_AXIS, [sweep.scaled_loss[i, j]] * 2)
        s = sweep.samples[:count]
        accuracy = f"validation accuracy: one pass {sweep.scaled_accuracy[i, j]:.3f}\n"
        if np.isnan(sweep.mc_loss[i, j, 0]):  # no dropout: every pass is the same network
            for line in (self.mc_line, self.geometric_line, self.samples_marker):
                line.set_data([], [])
            self.ensemble_title.set_text(f"{accuracy}no dropout: nothing to average")
        else:
            self.mc_line.set_data(s, sweep.mc_loss[i, j, :count])
            self.geometric_line.set_data(s, sweep.mc_geometric_loss[i, j, :count])
            self.samples_marker.set_data([count], [sweep.mc_loss[i, j, count - 1]])
            passes = "one sampled pass" if count == 1 else f"mean of {count} passes"
            self.ensemble_title.set_text(
                f"{accuracy}{passes} {sweep.mc_accuracy[i, j, count - 1]:.3f}")
        drop = sweep.drops[i]
        self.title.set_text(f"width {sweep.widths[j]}, drop probability {drop:g} "
                            f"(keep {1 - drop:g})")
        return ARTISTS

    def alt_text(self) -> str:
        sweep = self.sweep
        i, j, count = self._indices()
        drop, width = sweep.drops[i], sweep.widths[j]
        best = int(np.argmin(sweep.val_loss[i, j]))
        text = (
            f"A network with two hidden layers of width {width} trained on "
            f"{sweep.n_train} digits, {sweep.flipped} of them with a wrong label, with drop "
            f"probability {number(drop)}. Left: its cross-entropy against the epoch on a log "
            f"axis; on the training set it ends at {number(sweep.train_loss[i, j, -1])}, on "
            f"the validation set it is lowest, {number(sweep.val_loss[i, j, best])}, at epoch "
            f"{best + 1} and ends at {number(sweep.val_loss[i, j, -1])}"
        )
        if drop != 0.0 and 0.0 in sweep.drops:
            plain = sweep.drops.index(0.0)
            text += (f"; the same network without dropout, in grey, ends at "
                     f"{number(sweep.train_loss[plain, j, -1])} and "
                     f"{number(sweep.val_loss[plain, j, -1])}")
        text += (f". Right: the validation cross-entropy of the single pass with every unit "
                 f"on, {number(sweep.scaled_loss[i, j])} (accuracy "
                 f"{number(sweep.scaled_accuracy[i, j])})")
        if np.isnan(sweep.mc_loss[i, j, 0]):
            return text + "; without dropout every pass is the same, so there is nothing to "\
                          "average."
        if count == 1:
            return text + (
                f", and that of one pass with fresh masks, {number(sweep.mc_loss[i, j, 0])} "
                f"(accuracy {number(sweep.mc_accuracy[i, j, 0])})."
            )
        return text + (
            f", against the number of Monte-Carlo passes averaged, up to {count}: the "
            f"arithmetic mean of one pass has {number(sweep.mc_loss[i, j, 0])}, of {count} "
            f"passes {number(sweep.mc_loss[i, j, count - 1])} (accuracy "
            f"{number(sweep.mc_accuracy[i, j, count - 1])}), and their geometric mean "
            f"{number(sweep.mc_geometric_loss[i, j, count - 1])}."
        )
