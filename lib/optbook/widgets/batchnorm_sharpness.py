r"""The batch-norm explorer: a deep ReLU network's loss and sharpness against :math:`2/\eta`."""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D

from optbook import plotting
from optbook.nn import curvature
from optbook.nn.deep_nets import relu_net
from optbook.widgets import controls
from optbook.widgets.engine import ARTISTS, Explorer, number


def trailing_mean(values, window: int) -> np.ndarray:
    r"""The mean of ``values[max(0, t - window + 1)], ..., values[t]`` for every :math:`t`:
    a running mean defined from the first value on (the first ``window - 1`` means average
    fewer values)."""
    values = np.asarray(values, dtype=np.float64)
    sums = np.concatenate([[0.0], np.cumsum(values)])
    ends = np.arange(1, values.size + 1)
    starts = np.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)


class BatchNormSharpnessExplorer(Explorer):
    r"""SGD on a deep ReLU network of the digits, with and without batch norm: its training
    loss and its sharpness :math:`\lambda_{\max}(H)` against :math:`2/\eta`.

    Each state is one run of :func:`optbook.nn.curvature.curvature_run`: a network of
    ``depth`` hidden blocks of 64 ReLU units (:func:`optbook.nn.deep_nets.relu_net`, He's
    initialisation, seed 0, the batch-norm blocks without the redundant bias) trained by SGD
    with rate :math:`\eta` and mini-batches of ``batch_size`` on ``data`` for :attr:`STEPS`
    steps, measuring every :attr:`EVERY` steps the sharpness of the loss on the fixed batch
    ``probe`` (training mode, by Lanczos iteration, :func:`optbook.nn.sharpness.sharpness`).
    The gradient-descent bound :math:`\lambda_{\max} < 2/\eta` of a quadratic is drawn beside
    it. Left: the mini-batch loss (mean of the last :attr:`SMOOTH` steps) against the step;
    right: the sharpness at the checkpoints. The run with batch norm toggled, everything else
    equal, is drawn in grey for comparison. A run that diverges is drawn up to its last finite
    value, marked with a cross at the top of the axes, and labelled "diverged at step k".

    Every control takes finitely many values, so every state can be computed in advance (the
    static page shows one image per state): ``lr`` (log slider, :attr:`LRS`, half decades from
    :math:`10^{-1.5}` to :math:`10^{0.5}`), ``depth`` (:attr:`DEPTHS`), ``batchnorm`` (off or
    on) and ``batch_size`` (:attr:`BATCH_SIZES`): 40 states. A learning rate between the stops
    is refused. Runs are computed when first shown and kept (``runs``, keyed by
    ``(lr, depth, batchnorm, batch_size)``, the keys of
    :func:`~optbook.nn.curvature.curvature_grid`); pass a grid computed beforehand with the same
    ``data``, ``probe``, :attr:`STEPS` and :attr:`EVERY` as ``runs`` to start with all of them.
    The axes' limits are fixed, the same in every state.

    Attributes: ``fig``, ``runs``, ``run`` (the run shown), ``other`` (its counterpart),
    ``loss_line``, ``sharp_line``, ``edge_line`` (the line :math:`2/\eta`), ``note``.
    """

    #: The learning rates, the log slider's stops.
    LRS = tuple(float(10.0**e) for e in (-1.5, -1.0, -0.5, 0.0, 0.5))
    #: The depths (hidden blocks) offered.
    DEPTHS = (3, 8)
    #: The mini-batch sizes offered.
    BATCH_SIZES = (16, 128)
    #: Steps of a run's record (the last checkpoint is step ``STEPS - 1``).
    STEPS = 151
    #: Steps between two measurements of the sharpness.
    EVERY = 10
    #: Steps averaged in the loss curve.
    SMOOTH = 10
    #: Units of each hidden block.
    WIDTH = 64
    #: The loss axis (log), the same in every state; a larger loss is drawn at the top.
    LOSS_LIMITS = (1e-4, 1e2)
    #: The sharpness axis (log), the same in every state.
    SHARPNESS_LIMITS = (1e-2, 1e3)

    def __init__(self, data, probe, *, runs=None, lr=1.0, depth=8, batchnorm=True,
                 batch_size=128):
        super().__init__()
        self.data, self.probe = data, probe
        self.runs = {}
        for key, value in (runs or {}).items():
            lr_key, depth_key, normed, batch = key
            self.runs[self._stop(lr_key), int(depth_key), bool(normed), int(batch)] = value
        specs = self._specs(lr, depth, batchnorm, batch_size)
        checked = {spec["key"]: controls.check(spec, spec["value"]) for spec in specs}
        self._stop(checked["lr"])
        self._layout(self._own(widgets.HBox([self._add_control(specs[0]),
                                             self._add_control(specs[1])])),
                     self._own(widgets.HBox([self._add_control(specs[2]),
                                             self._add_control(specs[3])])))
        self._build_figure()
        self._start()

    # --- controls

    def _specs(self, lr, depth, batchnorm, batch_size):
        low, high = self.LRS[0], self.LRS[-1]
        return [
            controls.spec("lr", "learning rate η", "η", "log", lr, low, high, 0.5),
            controls.spec("depth", "hidden blocks", "depth", "choice", depth,
                          options=list(self.DEPTHS)),
            controls.spec("batchnorm", "batch norm", "BN", "choice", batchnorm,
                          options=[False, True]),
            controls.spec("batch_size", "batch size B", "B", "choice", batch_size,
                          options=list(self.BATCH_SIZES)),
        ]

    def _stop(self, lr, *, snap=False) -> float:
        """The stop of :attr:`LRS` that ``lr`` is (to rounding), else a ``ValueError``; with
        ``snap``, the stop nearest to ``lr`` on the log axis."""
        exponents = np.log10(self.LRS)
        if not (isinstance(lr, int | float | np.floating) and lr > 0 and math.isfinite(lr)):
            raise ValueError(f"lr must be one of {[round(x, 4) for x in self.LRS]}, got {lr!r}")
        nearest = int(np.argmin(np.abs(exponents - math.log10(lr))))
        if not snap and abs(exponents[nearest] - math.log10(lr)) > 1e-6:
            raise ValueError(f"lr must be one of the slider's stops "
                             f"{[round(x, 4) for x in self.LRS]}, got {lr!r}")
        return self.LRS[nearest]

    def _on_change(self, key, change):
        """A reader who types a rate between the stops into the slider's readout gets the
        nearest stop (the slider itself moves from stop to stop)."""
        if key == "lr" and not self._muted:
            stop = self._stop(change["new"], snap=True)
            if stop != change["new"] and abs(math.log10(stop / change["new"])) > 1e-6:
                self._widgets["lr"].value = stop  # calls this again, with the stop
                return
        super()._on_change(key, change)

    def _check(self, values) -> dict:
        checked = super()._check(values)
        if "lr" in checked:
            checked["lr"] = self._stop(checked["lr"])
        return checked

    def state(self) -> tuple:
        """The key of the run shown: ``(lr, depth, batchnorm, batch_size)``, ``lr`` a stop."""
        values = self.values
        return (self._stop(values["lr"]), values["depth"], values["batchnorm"],
                values["batch_size"])

    def run_for(self, lr, depth, batchnorm, batch_size) -> curvature.CurvatureRun:
        """The run of that state, computed on first use and kept."""
        key = (self._stop(lr), int(depth), bool(batchnorm), int(batch_size))
        if key not in self.runs:
            x, y = self.data
            net = relu_net(key[1], self.WIDTH, kind="batchnorm" if key[2] else "plain",
                           inputs=np.asarray(x).shape[1], outputs=int(np.max(y)) + 1, seed=0)
            self.runs[key] = curvature.curvature_run(
                net, self.data, self.probe, lr=key[0], steps=self.STEPS, batch_size=key[3],
                every=self.EVERY, seed=0)
        return self.runs[key]

    # --- drawing

    def _build_figure(self):
        self.fig, (self.ax_loss, self.ax_sharp) = plotting.subplots(1, 2, height=3.6)
        p = plotting.PALETTE
        grey = "0.6"
        ax = self.ax_loss
        (self.other_loss_line,) = ax.plot([], [], color=grey, lw=1.2, ls="--")
        (self.loss_line,) = ax.plot([], [], lw=1.8)
        (self.other_cross,) = ax.plot([], [], "x", ms=8, mew=2, color=grey, clip_on=False)
        (self.cross,) = ax.plot([], [], "x", ms=9, mew=2.2, clip_on=False)
        for cross in (self.other_cross, self.cross):  # drawn on the top edge, out of the layout
            cross.set_in_layout(False)
        ax.set_yscale("log")
        ax.set_xlim(*self._step_limits())
        ax.set_ylim(*self.LOSS_LIMITS)
        plotting.label(ax, "step", f"mini-batch loss ({self.SMOOTH}-step mean)")
        self.note = plotting.note(ax, 0.97, 0.97, ha="right")

        ax = self.ax_sharp
        (self.other_sharp_line,) = ax.plot([], [], "o--", ms=3, lw=1.0, color=grey)
        (self.sharp_line,) = ax.plot([], [], "o-", ms=4, lw=1.5)
        self.edge_line = ax.axhline(1.0, color="black", lw=1.2, ls=":")
        ax.set_yscale("log")
        ax.set_xlim(*self._step_limits())
        ax.set_ylim(*self.SHARPNESS_LIMITS)
        plotting.label(ax, "step", r"sharpness $\lambda_{\max}(H)$")
        self._dynamic = [self.other_loss_line, self.loss_line, self.other_cross, self.cross,
                         self.note, self.other_sharp_line, self.sharp_line, self.edge_line]
        plotting.figure_legend(self.fig, [
            Line2D([], [], color=p["blue"], lw=1.8, label="with batch norm"),
            Line2D([], [], color=p["vermillion"], lw=1.8, label="without batch norm"),
            Line2D([], [], color=grey, lw=1.2, ls="--", label="batch norm toggled"),
            Line2D([], [], color="black", lw=1.2, ls=":", label=r"$2/\eta$"),
            Line2D([], [], color="black", marker="x", ls="none", label="diverged"),
        ], ncols=3)

    def _step_limits(self):
        """The step axis, a little wider than the run so the first and last points show."""
        margin = 0.02 * (self.STEPS - 1)
        return -margin, self.STEPS - 1 + margin

    def _colour(self, batchnorm) -> str:
        return plotting.PALETTE["blue" if batchnorm else "vermillion"]

    def _draw_run(self, run_, loss_line, cross, sharp_line):
        top = self.LOSS_LIMITS[1]
        finite = run_.loss[np.isfinite(run_.loss)]
        means = np.minimum(trailing_mean(finite, self.SMOOTH), top)
        loss_line.set_data(np.arange(means.size), means)
        if run_.diverged_at is None:
            cross.set_data([], [])
        else:
            cross.set_data([run_.diverged_at], [top])
        sharp_line.set_data(run_.steps, run_.sharpness)

    def _redraw(self, changed):
        lr, depth, batchnorm, batch_size = self.state()
        self.run = self.run_for(lr, depth, batchnorm, batch_size)
        self.other = self.run_for(lr, depth, not batchnorm, batch_size)
        colour = self._colour(batchnorm)
        for artist in (self.loss_line, self.cross, self.sharp_line):
            artist.set_color(colour)
        self._draw_run(self.run, self.loss_line, self.cross, self.sharp_line)
        self._draw_run(self.other, self.other_loss_line, self.other_cross,
                       self.other_sharp_line)
        self.edge_line.set_ydata([2.0 / lr] * 2)
        name = "with batch norm" if batchnorm else "no batch norm"
        verdict = (plotting.divergence_text(self.run.diverged_at)
                   if self.run.diverged_at is not None
                   else f"final loss {self.final_loss(self.run):.3g}")
        self.note.set_text(f"$\\eta$ = {lr:.3g}, {depth} blocks, B = {batch_size}\n"
                           f"{name}: {verdict}")
        return ARTISTS

    @classmethod
    def final_loss(cls, run_) -> float:
        """The mean mini-batch loss of a run's last :attr:`SMOOTH` steps."""
        return float(np.mean(run_.loss[-cls.SMOOTH:]))

    def _describe(self, run_, lr) -> str:
        if run_.diverged_at is not None:
            return (f"diverges at step {run_.diverged_at}; its sharpness at the start is "
                    f"{number(run_.sharpness[0])}")
        above = run_.sharpness >= 2.0 / lr
        if not above.any():
            where = "below 2 over eta at every checkpoint"
        elif above[-1]:
            where = f"above 2 over eta at {int(above.sum())} of {above.size} checkpoints"
        else:
            last = int(run_.steps[np.flatnonzero(above)[-1] + 1])
            where = f"below 2 over eta from step {last} on"
        return (f"ends at a loss of {number(self.final_loss(run_))}; its sharpness goes from "
                f"{number(run_.sharpness[0])} to {number(run_.sharpness[-1])}, {where}")

    def alt_text(self) -> str:
        lr, depth, batchnorm, batch_size = self.state()
        name, other = (("with", "without") if batchnorm else ("without", "with"))
        return (
            f"Two panels over {self.STEPS - 1} steps of SGD with learning rate {number(lr)} "
            f"and batches of {batch_size} on a ReLU network of {depth} hidden blocks "
            f"{name} batch norm. Left: the mini-batch loss on a log axis; right: the "
            f"sharpness, the largest Hessian eigenvalue, every {self.EVERY} steps on a log "
            f"axis, with the line 2 over eta at {number(2.0 / lr)}. The run "
            f"{self._describe(self.run, lr)}. The same network {other} batch norm, in grey, "
            f"{self._describe(self.other, lr)}."
        )
