r"""The momentum rate map: heavy ball's measured rate over the (η, γ) plane."""

from __future__ import annotations

import math
import numbers

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Patch

from optbook import landscapes, optimizers, plotting, run, theory
from optbook.widgets import controls
from optbook.widgets.engine import (
    ARTISTS,
    SCENERY,
    Explorer,
    number,
    set_symmetric_limits,
)


class MomentumRateMap(Explorer):
    r"""Heavy ball's empirical convergence rate over the :math:`(\eta, \gamma)` plane.

    The quadratic has eigenvalues :math:`\lambda_{\min}` (``lam_min``, default 1) and
    :math:`\kappa\lambda_{\min}` (:func:`optbook.landscapes.conditioned_quadratic`; the
    momentum chapter's ravine :math:`\mathrm{diag}(2, 100)` is ``lam_min=2, kappa=50``), the
    runs start at :math:`(4, 0.5)` and use the velocity form of
    :func:`optbook.optimizers.momentum`. Left: the rate of :math:`\|x_t-x^*\|` measured by
    :func:`optbook.run.sweep` (:func:`optbook.run.fitted_rate`) on a ``resolution`` ×
    ``resolution`` grid of ``steps``-step runs, :math:`\eta` from 0 to
    :data:`LR_SPAN`:math:`/\lambda_{\max}`, :math:`\gamma` from 0 to 1, coloured on the fixed
    scale :func:`optbook.plotting.rate_norm` (grey: no convergence); the stability boundary
    :math:`\eta\lambda_{\max} = 2 + 2\gamma` (GD's bound
    :func:`~optbook.theory.gd_stability_bound` scaled by :math:`1+\gamma`); Polyak's optimum
    :math:`(\alpha^*, \beta^*)` (:func:`optbook.theory.heavy_ball_optimal`) as a star; the
    current :math:`(\eta, \gamma)` as a white dot. The map's horizontal axis is
    :math:`\eta\lambda_{\max}`, so the frame, its ticks
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
    LR_RATIO = 1000.0
    """The :math:`\\eta` slider runs from its top :data:`LR_SPAN`:math:`/\\lambda_{\\max}` down to
    the top over ``LR_RATIO``, in steps of that low end."""
    GAMMA_MAX = 0.99

    def __init__(self, kappa=100.0, lr=0.01, gamma=0.9, *, lam_min=1.0, resolution=256,
                 steps=500):
        super().__init__()
        for name, value, lo in (("resolution", resolution, 2), ("steps", steps, 2)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo:
                raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
        self.resolution, self.steps = int(resolution), int(steps)
        if isinstance(lam_min, bool) or not isinstance(lam_min, numbers.Real) \
                or not (math.isfinite(lam_min) and lam_min > 0):
            raise ValueError(f"lam_min must be a finite number > 0, got {lam_min!r}")
        self.lam_min = float(lam_min)
        kappa = controls.check(self._kappa_spec(1.0), kappa)
        lr = self._check_lr(lr, kappa)
        gamma = controls.check(self._gamma_spec(0.0), gamma)
        kappa_slider = self._add_control(self._kappa_spec(kappa), continuous=False)
        lr_slider = self._add_control(self._lr_spec(lr, kappa))
        gamma_slider = self._add_control(self._gamma_spec(gamma))
        self._layout(self._own(widgets.HBox(
            [kappa_slider, lr_slider, gamma_slider,
             self._button("snap to optimum", "snap_to_optimum")],
            layout=widgets.Layout(flex_flow="row wrap"))))
        self._build_figure(self._landscape(kappa))
        self._contours = None
        self._start()

    def snap_to_optimum(self):
        r"""Move the point to :math:`(\alpha^*, \beta^*)`."""
        self.update(lr=self.optimum.lr, gamma=self.optimum.gamma)

    # --- controls

    def _landscape(self, kappa):
        return landscapes.conditioned_quadratic(kappa, self.lam_min)

    def _lr_bounds(self, kappa):
        lr_max = self.LR_SPAN / (kappa * self.lam_min)
        return lr_max / self.LR_RATIO, lr_max

    def _kappa_spec(self, value):
        return controls.spec("kappa", "condition number κ", "κ", "log", value,
                             *self.KAPPA_RANGE, 0.02)

    def _lr_spec(self, value, kappa):
        lo, hi = self._lr_bounds(kappa)
        return controls.spec("lr", "learning rate η", "η", "linear", value, lo, hi, lo)

    def _gamma_spec(self, value):
        return controls.spec("gamma", "momentum γ", "γ", "linear", value, 0.0,
                             self.GAMMA_MAX, 0.005)

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
        lo, _ = self._lr_bounds(kappa)
        try:
            return controls.check(self._lr_spec(lo, kappa), lr)
        except ValueError as error:
            raise ValueError(f"{error} (the range for kappa = {kappa:.4g})") from None

    def _apply(self, checked):
        kappa = checked.get("kappa", self.values["kappa"])
        lr = checked.get("lr", self.values["lr"])
        self._controls["lr"] = self._lr_spec(lr, kappa)
        controls.set_range(self._widgets["lr"], self._controls["lr"])
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
            ticks=plotting.RATE_TICKS, colorbar_label=r"measured rate $\rho$"
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
        plotting.label(ax, r"$\eta\,\lambda_{\max}$  (learning rate × $\lambda_{\max}$)",
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
        land = self._landscape(values["kappa"])
        new_map = self._contours is None or "kappa" in changed
        if new_map:
            self._redraw_map(land)
        lr, gamma = values["lr"], values["gamma"]
        self.point_marker.set_data([lr * land.eigenvalues[-1]], [gamma])
        self.run = run.trajectory(land, optimizers.momentum(lr, gamma), land.start, self.steps)
        plotting.update_path(self.path_line, self.run.positions)
        refit = self._fit_path(land)
        errors = np.linalg.norm(self.run.positions - land.minimizers[0], axis=1)
        self.measured_rate = run.fitted_rate(errors)
        self.theory_rate = theory.heavy_ball_rate(lr, gamma, land.eigenvalues)
        diverged = plotting.divergence_text(self.run.diverged_at)
        self.note.set_text(
            rf"$\eta$ = {lr:.4g}, $\gamma$ = {gamma:.3f}" + "\n"
            + rf"theory $\rho$ = {self.theory_rate:.4f}" + "\n"
            + (diverged if diverged else f"measured = {self.measured_rate:.4f}")
        )
        return SCENERY if new_map or refit else ARTISTS

    def _fit_path(self, land) -> bool:
        """Show the start's level set, and the path up to the level sets' window (a path that
        swings across the ravine can leave the level set far behind): the half-height is the
        level set's times a power of 2, capped by the window's. Return whether it changed."""
        half_x, half_y = self._half_widths(land)
        swing = np.abs(self.run.positions[:, 1]).max()
        doublings = math.ceil(math.log2(max(swing / half_y, 1.0)))
        half = min(half_y * 2.0**doublings, half_x)
        return set_symmetric_limits(self.ax_path.yaxis, half)

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
        set_symmetric_limits(self.ax_path.xaxis, half)
        self.start_marker.set_data([land.start[0]], [land.start[1]])

    def alt_text(self) -> str:
        values = self.values
        land = self._landscape(values["kappa"])
        lam = land.eigenvalues
        rates = self.sweep.rate
        best = float(np.nanmin(np.where(rates < 1.0, rates, np.nan))) if np.any(rates < 1.0) \
            else math.nan
        verdict = (f"diverges at step {self.run.diverged_at}" if self.run.diverged_at is not None
                   else f"measures {number(self.measured_rate, 4)}")
        end = self.run.positions[-1]
        return (
            f"Left: a heat map of heavy ball's measured rate on a quadratic with eigenvalues "
            f"{number(lam[0])} and {number(lam[-1])}, over the learning rate times lambda max "
            f"from 0 to {number(self.LR_SPAN)} and the momentum from 0 to 1; grey cells do not "
            f"converge, right of the stability boundary, eta lambda max equals 2 plus 2 gamma. "
            f"The fastest cell measures {number(best, 4)}; Polyak's optimum, a star at learning "
            f"rate {number(self.optimum.lr)} and momentum {number(self.optimum.gamma)}, has "
            f"rate {number(self.optimum.rate, 4)}. The white dot at learning rate "
            f"{number(values['lr'])} and momentum {number(values['gamma'])}: theory "
            f"{number(self.theory_rate, 4)}, the run {verdict}. Right: that run's path from "
            f"({number(land.start[0])}, {number(land.start[1])}) over the level sets, ending "
            f"at ({number(end[0])}, {number(end[1])})."
        )
