r"""The noise-ball explorer: mini-batch SGD runs on least squares against the exact moments."""

from __future__ import annotations

import math
from typing import NamedTuple

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from optbook import data, finite_sum, noise_ball, plotting, robbins_monro, schedules
from optbook.widgets import controls
from optbook.widgets.engine import ARTISTS, Explorer, number

#: The schedules on the explorer's menu, by the name the control shows.
SCHEDULE_NAMES = ("constant", "step decay", "1/t decay", "cosine")


def schedule_for(name: str, steps: int) -> schedules.Schedule:
    r"""The schedule called ``name`` for a run of ``steps`` steps: constant; step decay
    halving the rate every ``steps // 5`` steps; :math:`\eta_0/(1 + k(t-1))` with
    :math:`k = 20/\text{steps}` (the rate falls by about 20 over the run); cosine annealing to 0
    over the run."""
    if name not in SCHEDULE_NAMES:
        raise ValueError(f"schedule must be one of {SCHEDULE_NAMES}, got {name!r}")
    return {
        "constant": schedules.constant,
        "step decay": lambda: schedules.step(0.5, max(1, steps // 5)),
        "1/t decay": lambda: schedules.inverse_time(20.0 / steps),
        "cosine": lambda: schedules.cosine(steps),
    }[name]()


class BallState(NamedTuple):
    """What the explorer draws at one setting of its controls (cached per setting)."""

    lrs: np.ndarray
    r"""``(T,)`` the rates :math:`\eta_1..\eta_T`."""
    path: np.ndarray
    """``(k+1, 2)`` the first run's iterates (up to its last finite one)."""
    finals: np.ndarray
    """``(R', 2)`` the last iterates of the runs that did not diverge."""
    diverged: int
    """How many of the runs diverged (left the library's bound)."""
    measured_mean: np.ndarray
    r"""``(T+1,)`` the mean of :math:`f(x_t)-f^\star` over the runs that did not diverge."""
    low: np.ndarray
    """``(T+1,)`` the runs' 10th percentile of the excess loss at each step."""
    high: np.ndarray
    """``(T+1,)`` their 90th percentile."""
    expected: np.ndarray
    r"""``(T+1,)`` the exact :math:`\mathbb E f(x_t)-f^\star` (:func:`optbook.noise_ball.moments`;
    ``inf`` where it overflows)."""
    floor: np.ndarray
    r"""``(T,)`` the stationary excess loss of the constant rate :math:`\eta_t`
    (:func:`optbook.noise_ball.stationary_excesses`; ``inf`` past the mean-square limit)."""
    mean_T: np.ndarray
    r"""``(2,)`` the exact :math:`\mathbb E x_T - x^\star`."""
    cov_T: np.ndarray
    r"""``(2, 2)`` the exact covariance of :math:`x_T` (``inf`` where it overflows)."""
    window_measured: float
    """The measured mean excess over the runs that did not diverge and the last ``window``
    steps."""
    window_expected: float
    """The exact expected excess averaged over the same steps."""


def ellipse(center, covariance, scale=2.0, points=120) -> np.ndarray:
    r"""``(points, 2)`` points of the ellipse :math:`\{c + s\,L u: \|u\| = 1\}`,
    :math:`LL^\top` = ``covariance``: the ``scale``-standard-deviation contour of a Gaussian
    with that covariance (empty when the covariance is not finite)."""
    covariance = np.asarray(covariance, dtype=np.float64)
    if not np.all(np.isfinite(covariance)):
        return np.empty((0, 2))
    values, vectors = np.linalg.eigh(0.5 * (covariance + covariance.T))
    angles = np.linspace(0.0, 2.0 * np.pi, points)
    circle = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return np.asarray(center) + scale * (circle * np.sqrt(np.maximum(values, 0.0))) @ vectors.T


class NoiseBallExplorer(Explorer):
    r"""Mini-batch SGD on the two-feature least-squares problem of the SGD chapter
    (``data.badly_scaled_regression(n=200, scales=(1, 3), noise=0.5, seed=1)``,
    :func:`optbook.finite_sum.least_squares`), batches drawn with replacement, from
    :math:`x^\star + (0.3, -0.25)`.

    ``runs`` independent runs of ``steps`` steps (:func:`optbook.finite_sum.sgd`, seeds
    ``seed .. seed + runs - 1``) at the chosen initial rate :math:`\eta_0`, batch size
    :math:`S` and schedule (:func:`schedule_for`). Left: the plane around the minimiser, with
    the level sets of :math:`f`, the first run's path, the last iterates of all runs, their
    measured 2σ ellipse and the exact one (the covariance of :math:`x_T` from the moment
    recursion :func:`optbook.noise_ball.moments`). Right: the excess loss against the step: the
    runs' 10–90 % band and their mean (measured), the exact :math:`\mathbb E f(x_t)-f^\star`,
    and the floor :math:`\lim \mathbb E f - f^\star` a constant rate :math:`\eta_t` would
    settle at (:func:`optbook.noise_ball.stationary_excesses`).

    Every axis is fixed, whatever the controls: each setting's figure is comparable with every
    other. Controls: ``lr`` (log, :attr:`LR_RANGE` in steps of :attr:`LR_STEP`: four settings),
    ``batch_size`` (:attr:`BATCH_SIZES`), ``schedule`` (:data:`SCHEDULE_NAMES`): 48 settings,
    each computed once and cached (``state``, a :class:`BallState`). Attributes: ``fig``,
    ``problem``, ``start``, ``state``, ``mean_square_limit`` (the largest constant rate with
    bounded second moments at the current :math:`S`), ``note``.
    """

    #: The lowest and highest value of the initial rate's slider.
    LR_RANGE = (10**-2.5, 0.1)
    #: The step of the initial rate's slider in log10 units (half a decade, so four settings).
    LR_STEP = 0.5
    #: The batch sizes offered.
    BATCH_SIZES = (1, 4, 16)
    #: The plane shows :math:`x^\star` plus or minus this in each coordinate.
    PLANE_HALF_WIDTH = 0.4
    #: The excess-loss axis (log scale), the same for every setting.
    LOSS_LIMITS = (1e-6, 10.0)
    #: The percentiles of the runs' excess loss that bound the band.
    BAND = (10, 90)

    def __init__(self, lr=0.01, batch_size=4, schedule="constant", *, runs=64, steps=2000,
                 window=200, seed=0):
        super().__init__()
        for name, value, lo in (("runs", runs, 2), ("steps", steps, 10), ("window", window, 1)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo:
                raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
        if window > steps:
            raise ValueError(f"window must be at most steps = {steps}, got {window!r}")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
        self.runs, self.steps, self.window, self.seed = int(runs), int(steps), int(window), seed
        regression = data.badly_scaled_regression(n=200, scales=(1.0, 3.0), noise=0.5, seed=1)
        self.problem = finite_sum.least_squares(regression.X, regression.y)
        self.start = self.problem.minimizer + np.array([0.3, -0.25])
        self._cache: dict[tuple, BallState] = {}
        self._limits: dict[int, float] = {}
        lr = controls.check(self._lr_spec(self.LR_RANGE[0]), lr)
        batch_size = controls.check(self._batch_spec(self.BATCH_SIZES[0]), batch_size)
        schedule = controls.check(self._schedule_spec(SCHEDULE_NAMES[0]), schedule)
        specs = [self._lr_spec(lr), self._batch_spec(batch_size), self._schedule_spec(schedule)]
        self._layout(self._own(widgets.HBox(
            [self._add_control(s, continuous=False) for s in specs],
            layout=widgets.Layout(flex_flow="row wrap"))))
        self._build_figure()
        self._start()

    def _lr_spec(self, value):
        return controls.spec("lr", "initial learning rate η₀", "η₀", "log", value,
                             *self.LR_RANGE, self.LR_STEP)

    def _batch_spec(self, value):
        return controls.spec("batch_size", "batch size S", "S", "choice", value,
                             options=list(self.BATCH_SIZES))

    def _schedule_spec(self, value):
        return controls.spec("schedule", "learning-rate schedule", "", "choice", value,
                             options=list(SCHEDULE_NAMES))

    # --- computation

    def compute(self, lr: float, batch_size: int, schedule: str) -> BallState:
        """The :class:`BallState` of one setting (cached); a value outside its control's range
        raises ``ValueError`` naming the control."""
        lr, batch_size, schedule = (controls.check(self._controls[key], value) for key, value
                                    in (("lr", lr), ("batch_size", batch_size),
                                        ("schedule", schedule)))
        key = (round(lr, 12), batch_size, schedule)
        if key not in self._cache:
            self._cache[key] = self._compute(lr, batch_size, schedule)
        return self._cache[key]

    def _compute(self, lr, batch_size, name) -> BallState:
        problem, steps = self.problem, self.steps
        schedule = schedule_for(name, steps)
        lrs = robbins_monro.rates(schedule, lr, steps)
        excess = np.full((self.runs, steps + 1), np.inf)
        finals, path = [], None
        for r in range(self.runs):
            run = finite_sum.sgd(problem, self.start, lr, steps, batch_size=batch_size,
                                 schedule=schedule, seed=self.seed + r)
            excess[r, :run.steps_run + 1] = run.excess
            if r == 0:
                path = run.positions
            if run.diverged_at is None:
                finals.append(run.positions[-1])
        with np.errstate(invalid="ignore"):  # between two diverged runs: inf - inf
            low, high = np.nan_to_num(np.percentile(excess, self.BAND, axis=0), nan=np.inf)
        with np.errstate(over="ignore", invalid="ignore"):
            exact = noise_ball.moments(problem, self.start, lrs, batch_size)
            expected = np.where(np.isfinite(exact.excess), exact.excess, np.inf)
            mean_T = exact.mean[-1]
            cov_T = exact.second[-1] - np.outer(mean_T, mean_T)
        tail = slice(steps + 1 - self.window, steps + 1)
        kept = excess[np.isfinite(excess[:, -1])]  # the mean is over the runs that stayed finite
        return BallState(
            lrs=lrs, path=path, finals=np.array(finals).reshape(-1, 2),
            diverged=self.runs - len(finals),
            measured_mean=kept.mean(axis=0) if len(kept) else np.full(steps + 1, np.inf), low=low,
            high=high, expected=expected,
            floor=noise_ball.stationary_excesses(problem, lrs, batch_size), mean_T=mean_T,
            cov_T=cov_T if np.all(np.isfinite(cov_T)) else np.full((2, 2), np.inf),
            window_measured=float(kept[:, tail].mean()) if len(kept) else math.inf,
            window_expected=float(expected[tail].mean()),
        )

    def _mean_square_limit(self, batch_size):
        if batch_size not in self._limits:
            self._limits[batch_size] = noise_ball.mean_square_limit(self.problem, batch_size)
        return self._limits[batch_size]

    # --- figure

    def _build_figure(self):
        self.fig, (self.ax_plane, self.ax_loss) = plotting.subplots(
            1, 2, height=3.8, gridspec_kw={"width_ratios": [1.0, 1.35]})
        p = plotting.PALETTE
        ax = self.ax_plane
        h = self.PLANE_HALF_WIDTH
        offsets = np.linspace(-h, h, 121)
        g1, g2 = np.meshgrid(offsets, offsets)
        levels = self.problem.excess(self.problem.minimizer + np.stack([g1, g2], axis=-1))
        ax.contour(g1, g2, levels, levels=np.geomspace(1e-3, 1.0, 7), colors="0.8",
                   linewidths=0.8)
        ax.plot([0.0], [0.0], "+", color="black", ms=9, mew=1.5)
        (self.path_line,) = ax.plot([], [], color=p["blue"], lw=0.5, alpha=0.5,
                                    label="first run's path")
        (self.final_points,) = ax.plot([], [], "o", color=p["vermillion"], ms=2.5,
                                       alpha=0.8, label="last iterates")
        (self.measured_ellipse,) = ax.plot([], [], "--", color=p["vermillion"], lw=1.5,
                                           label="measured 2σ")
        (self.exact_ellipse,) = ax.plot([], [], color="black", lw=1.5, label="exact 2σ")
        (self.start_marker,) = ax.plot([], [], "o", color="black", markerfacecolor="white",
                                       ms=6, zorder=5, label="start")
        ax.set_xlim(-h, h)
        ax.set_ylim(-h, h)
        ax.set_aspect("equal")
        plotting.label(ax, r"$x_1 - x^\star_1$", r"$x_2 - x^\star_2$")

        ax = self.ax_loss
        t = np.arange(self.steps + 1)
        self._t = t
        self.band = ax.fill_between(t, np.ones_like(t), np.ones_like(t), color=p["vermillion"],
                                    alpha=0.25, lw=0, label="runs, 10–90 %")
        (self.measured_line,) = ax.plot([], [], color=p["vermillion"], lw=1.0,
                                        label="runs, mean")
        (self.expected_line,) = ax.plot([], [], color="black", lw=1.6,
                                        label=r"exact $\mathbb{E} f - f^\star$")
        (self.floor_line,) = ax.plot([], [], ":", color=p["blue"], lw=1.6,
                                     label=r"floor of the rate $\eta_t$")
        ax.set_yscale("log")
        ax.set_xlim(0, self.steps)
        ax.set_ylim(*self.LOSS_LIMITS)
        plotting.label(ax, "step $t$", r"$f(x_t) - f^\star$")
        self.note = plotting.note(ax, 0.97, 0.97, ha="right")
        self.title = self.fig.suptitle(" ", fontsize=plotting.FONT["title"])
        self._dynamic = [self.path_line, self.final_points, self.measured_ellipse,
                         self.exact_ellipse, self.start_marker,
                         self.band, self.measured_line, self.expected_line, self.floor_line,
                         self.note, self.title]
        plotting.figure_legend(self.fig, [
            self.path_line, self.final_points, self.measured_ellipse, self.exact_ellipse,
            Patch(color=p["vermillion"], alpha=0.25, label="runs, 10–90 %"),
            self.measured_line, self.expected_line, self.floor_line,
            Line2D([], [], marker="o", color="black", markerfacecolor="white", ls="",
                   label="start"),
        ], ncols=5)

    def _redraw(self, changed):
        lr, batch_size, name = (self.values[k] for k in ("lr", "batch_size", "schedule"))
        self.state = state = self.compute(lr, batch_size, name)
        self.mean_square_limit = self._mean_square_limit(batch_size)
        x_star = self.problem.minimizer
        self.path_line.set_data(*(state.path - x_star).T)
        self.final_points.set_data(*(state.finals - x_star).T)
        self.start_marker.set_data(*([c] for c in self.start - x_star))
        if len(state.finals) > 1:
            spread = np.cov(state.finals.T)
            self.measured_ellipse.set_data(*ellipse(state.finals.mean(axis=0) - x_star,
                                                    spread).T)
        else:
            self.measured_ellipse.set_data([], [])
        self.exact_ellipse.set_data(*ellipse(state.mean_T, state.cov_T).T)

        lo, hi = self.LOSS_LIMITS
        t = self._t
        clip = (lo, 1e3 * hi)  # finite values past the axis, so lines and the band stay drawn
        low = np.clip(state.low, *clip)
        high = np.clip(state.high, *clip)
        self.band.set_verts([np.concatenate([np.stack([t, low], axis=1),
                                             np.stack([t[::-1], high[::-1]], axis=1)])])
        self.measured_line.set_data(t, np.clip(state.measured_mean, *clip))
        self.expected_line.set_data(t, np.clip(state.expected, *clip))
        self.floor_line.set_data(t[1:], np.clip(state.floor, *clip))
        self.title.set_text(f"{self.runs} runs of SGD, S = {batch_size}, η₀ = {lr:.3g}, "
                            f"{name}")
        self.note.set_text(self._note_text())
        return ARTISTS

    def _note_text(self):
        s = self.state
        lines = [f"last {self.window} steps, mean f − f*:",
                 f"exact {_short(s.window_expected)}, runs {_short(s.window_measured)}"]
        if s.lrs.max() > self.mean_square_limit:
            lines.append(f"η above the mean-square limit {self.mean_square_limit:.3g}")
        if s.diverged:
            lines.append(f"{s.diverged} of {self.runs} runs diverged")
        return "\n".join(lines)

    def alt_text(self) -> str:
        s = self.state
        lr, batch_size, name = (self.values[k] for k in ("lr", "batch_size", "schedule"))
        if np.all(np.isfinite(s.cov_T)):
            axes = 2 * np.sqrt(np.maximum(np.linalg.eigvalsh(s.cov_T), 0.0))
            exact = (f"the exact two-standard-deviation ellipse has half-axes "
                     f"{number(axes[1])} and {number(axes[0])}")
        else:
            exact = "the exact covariance is beyond double precision"
        if len(s.finals) > 1:
            axes = 2 * np.sqrt(np.maximum(np.linalg.eigvalsh(np.cov(s.finals.T)), 0.0))
            measured = f"the measured one {number(axes[1])} and {number(axes[0])}"
        else:
            measured = "too few runs stayed finite to measure one"
        above = (f" The rate exceeds the mean-square limit {number(self.mean_square_limit)} for "
                 f"this batch size." if s.lrs.max() > self.mean_square_limit else "")
        diverged = f" {s.diverged} of the runs diverged." if s.diverged else ""
        return (
            f"{self.runs} runs of mini-batch SGD on a two-feature least-squares problem with "
            f"batch size {batch_size}, initial learning rate {number(lr)} and a {name} "
            f"schedule, {self.steps} steps each. Left: the level sets around the minimiser, the "
            f"first run's path and the last iterates of all runs; {exact}, {measured}. Right: "
            f"the excess loss against the step on a log axis: the runs' 10 to 90 percent band "
            f"and mean, the exact expected excess loss and the floor of the current rate. Over "
            f"the last {self.window} steps the exact expected excess loss is "
            f"{_spoken(s.window_expected)} and the runs' mean {_spoken(s.window_measured)}."
            f"{above}{diverged}"
        )


def _short(value: float) -> str:
    return "> 1e308" if not math.isfinite(value) else f"{value:.2e}"


def _spoken(value: float) -> str:
    return "beyond double precision" if not math.isfinite(value) else number(value)
