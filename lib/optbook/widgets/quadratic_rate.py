r"""The quadratic-rate explorer: gradient descent's rate against the learning rate."""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D

from optbook import landscapes, optimizers, plotting, run, theory
from optbook.widgets import controls
from optbook.widgets.engine import ARTISTS, FIGURE, Explorer, number, set_limits


class QuadraticRateExplorer(Explorer):
    r"""Gradient descent on the quadratic with eigenvalues :math:`1` and :math:`\kappa`
    (:func:`optbook.landscapes.conditioned_quadratic`), from its start :math:`(4, 0.5)`.

    Left: the contraction :math:`|1-\eta\lambda_i|` of each eigen-direction and the rate
    :math:`\rho(\eta) = \max_i|1-\eta\lambda_i|` against :math:`\eta`
    (:func:`optbook.theory.contraction_factors`, :func:`~optbook.theory.gd_rate`), with the
    stability bound :math:`2/\lambda_{\max}` and the optimum :math:`\eta^* =
    2/(\lambda_{\min}+\lambda_{\max})` marked, the current :math:`\eta` and, on it, the rate
    measured on a run (:func:`optbook.run.fitted_rate` of :math:`\|x_t - x^*\|`). Right:
    the run's error :math:`\|x_t-x^*\|` and its eigen-components against the step, with the
    bound :math:`\|x_0-x^*\|\rho^t` (every component contracts by at most :math:`\rho` a
    step).

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
        kappa = controls.check(self._kappa_spec(1.0), kappa)
        land = landscapes.conditioned_quadratic(kappa)
        lr = theory.gd_optimal_lr(*land.eigenvalues[[0, -1]]) if lr is None else lr
        lr = controls.check(self._lr_spec(self.LR_RANGE[0]), lr)
        self._layout(self._own(widgets.HBox([
            self._add_control(self._kappa_spec(kappa)),
            self._add_control(self._lr_spec(lr)),
        ])))
        self._build_figure()
        self._start()

    def _kappa_spec(self, value):
        return controls.spec("kappa", "condition number κ", "κ", "log", value,
                             *self.KAPPA_RANGE, 0.02)

    def _lr_spec(self, value):
        return controls.spec("lr", "learning rate η", "η", "log", value, *self.LR_RANGE, 0.02)

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
                                              label=r"bound $\|x_0-x^*\|\rho^t$")
        self.theory_line.set_linestyle(":")
        ax.set_yscale("log")
        plotting.label(ax, "step $t$", r"$\|x_t - x^*\|$ and its components")
        # the label is drawn over the curves that cross it, as in a plain draw
        self._dynamic = [*self.direction_lines, self.rate_curve, self.bound_line,
                         self.optimum_line, self.lr_line, self.rate_marker, self.note,
                         no_convergence,
                         *self.component_lines, self.error_line, self.theory_line]
        plotting.figure_legend(self.fig, [
            *self.direction_lines, self.rate_curve, self.bound_line, self.optimum_line,
            Line2D([], [], color=p["blue"], marker="o", label=r"GD at $\eta$: measured"),
            self.theory_line,
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
        self.measured_rate = run.fitted_rate(errors)
        self.theory_rate = theory.gd_rate(lr, lam)
        self.rate_marker.set_data([lr], [self.measured_rate])
        self._write_note(kappa, lr)
        return FIGURE if self._draw_errors(land, offsets, errors) else ARTISTS

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
        return set_limits(self.ax_err, xlim=(0, self.steps), ylim=ylim)

    def _write_note(self, kappa, lr):
        lines = [rf"$\kappa$ = {kappa:.3g}, $\eta$ = {lr:.3g}",
                 rf"theory $\rho$ = {self.theory_rate:.4f}"]
        diverged = plotting.divergence_text(self.run.diverged_at)
        lines.append(diverged if diverged else f"measured = {self.measured_rate:.4f}")
        self.note.set_text("\n".join(lines))

    def alt_text(self) -> str:
        kappa, lr = self.values["kappa"], self.values["lr"]
        lam = landscapes.conditioned_quadratic(kappa).eigenvalues
        verdict = (f"diverges at step {self.run.diverged_at}" if self.run.diverged_at is not None
                   else f"measures a rate of {number(self.measured_rate, 4)}")
        return (
            f"Left: the contraction per step of gradient descent along each eigen-direction of "
            f"a quadratic with condition number {number(kappa)} (eigenvalues {number(lam[0])} "
            f"and {number(lam[-1])}), and their maximum, the rate, against the learning rate on "
            f"a log axis, with the stability bound 2 over lambda max at {number(2 / lam[-1])} "
            f"and the optimal learning rate at {number(2 / (lam[0] + lam[-1]))}. At the "
            f"learning rate {number(lr)} theory gives {number(self.theory_rate, 4)} and the run "
            f"{verdict}. Right: the run's distance to the minimiser and its two components "
            f"against the step on a log axis, under the bound from theory."
        )
