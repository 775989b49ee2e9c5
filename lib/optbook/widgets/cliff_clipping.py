r"""The cliff-clipping explorer: gradient descent on the cliff, with and without clipping."""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np

from optbook import landscapes, optimizers, plotting, run
from optbook.widgets import controls
from optbook.widgets.engine import ARTISTS, Explorer, number

_MODE_NAMES = {"none": "no clipping", "value": "clipping by value",
               "norm": "clipping by norm"}


class CliffClippingExplorer(Explorer):
    r"""Gradient descent on :func:`optbook.landscapes.cliff` (the bowl with a step of height 20
    and steepness 20 at :math:`x = 1`) from :math:`(x_{0,1}, 1.5)`, its gradient clipped
    by value, by norm or not at all (:func:`optbook.run.trajectory`'s ``clip``).

    Left: the level sets in the fixed window :math:`[-4, 4]\times[-3, 3]`, the path, and an
    arrow at the window's edge to the farthest point when the path leaves it. Right: the length
    of each step :math:`\|x_{t+1} - x_t\|` on a log axis (fixed limits), with the cap
    :math:`\eta c` that clipping by norm puts on it (by value the cap is
    :math:`\eta c\sqrt2`).

    Every control takes a few values, so the static book can show every combination
    (:attr:`SETTINGS`; :meth:`combinations` lists them): ``mode`` (none, value, norm),
    ``lr`` :math:`\eta \in \{0.1, 0.2\}`, ``threshold`` :math:`c \in \{1, 10\}`, ``start``
    :math:`x_{0,1} \in \{2.5, 3, 3.5, 4\}`: 48 combinations. Runs are cached by their values,
    so a revisit costs nothing. Attributes: ``fig``, ``run`` (the
    :class:`~optbook.run.Trajectory` drawn), ``steps_taken`` (its step lengths), ``landscape``.
    """

    STEPS = 60
    START_Y = 1.5
    #: The settings of each control (the mode's options; the grids of lr and threshold, on a
    #: log scale, and of start).
    SETTINGS = {"mode": ("none", "value", "norm"), "lr": (0.1, 0.2), "threshold": (1.0, 10.0),
                "start": (2.5, 3.0, 3.5, 4.0)}
    WINDOW = ((-4.0, 4.0), (-3.0, 3.0))
    STEP_LIMITS = (1e-5, 1e2)

    def __init__(self, mode="none", lr=0.1, threshold=1.0, start=3.0):
        super().__init__()
        self.landscape = landscapes.cliff()
        self._cache = {}
        specs = self._specs(mode, lr, threshold, start)
        for s in specs:
            controls.check(s, s["value"])
        self._layout(self._own(widgets.VBox([
            self._own(widgets.HBox([self._add_control(specs[0], continuous=False),
                                    self._add_control(specs[1], continuous=False)])),
            self._own(widgets.HBox([self._add_control(specs[2], continuous=False),
                                    self._add_control(specs[3], continuous=False)])),
        ])))
        self._build_figure()
        self._start()

    @classmethod
    def _specs(cls, mode, lr, threshold, start):
        s = cls.SETTINGS
        return [
            controls.spec("mode", "clipping mode", "mode", "choice", mode,
                          options=list(s["mode"])),
            controls.spec("lr", "learning rate η", "η", "log", _snap(lr, s["lr"], "lr"),
                          s["lr"][0], s["lr"][-1], math.log10(s["lr"][1] / s["lr"][0])),
            controls.spec("threshold", "clipping threshold c", "c", "log",
                          _snap(threshold, s["threshold"], "threshold"), s["threshold"][0],
                          s["threshold"][-1], math.log10(s["threshold"][1] / s["threshold"][0])),
            controls.spec("start", "start x₁", "x₁", "linear", _snap(start, s["start"], "start"),
                          s["start"][0], s["start"][-1], s["start"][1] - s["start"][0]),
        ]

    @classmethod
    def combinations(cls) -> list[dict]:
        """Every combination of the controls' settings, as ``update`` keyword dicts."""
        s = cls.SETTINGS
        return [{"mode": m, "lr": lr, "threshold": c, "start": x}
                for m in s["mode"] for lr in s["lr"] for c in s["threshold"] for x in s["start"]]

    def _build_figure(self):
        p = plotting.PALETTE
        self.fig, (self.ax_path, self.ax_steps) = plotting.subplots(1, 2, height=3.6)
        ax = self.ax_path
        plotting.contours(ax, self.landscape, window=self.WINDOW, n_levels=16)
        (x0, x1), (y0, y1) = self.WINDOW
        ax.axvspan(self.landscape.params[2], x1, color=plotting.NO_CONVERGENCE_COLOR, alpha=0.3,
                   lw=0)
        ax.text(x1 - 0.15, y0 + 0.2, f"shelf: {self.landscape.params[0]:g} higher", ha="right",
                va="bottom", fontsize=plotting.FONT["note"])
        (self.path_line,) = ax.plot([], [], "-o", color=p["vermillion"], markersize=2.5, lw=1.3,
                                    zorder=3)
        (self.start_marker,) = ax.plot([], [], "s", color=p["vermillion"], markersize=5,
                                       zorder=4)
        self.escape_arrow = ax.annotate(
            "", xy=(0, 0), xytext=(0, 0), zorder=5,
            arrowprops={"arrowstyle": "->", "color": p["vermillion"], "lw": 1.6})
        self.escape_text = ax.text(0, 0, "", color=plotting.TEXT_COLOR["vermillion"], ha="left",
                                   va="bottom", fontsize=plotting.FONT["note"], zorder=5)
        plotting.label(ax, "$x_1$", "$x_2$")
        ax = self.ax_steps
        (self.step_line,) = ax.plot([], [], "-o", color=p["vermillion"], markersize=2.5, lw=1.3)
        self.cap_line = ax.axhline(1.0, color="black", ls="--", lw=1.0)
        ax.set_yscale("log")
        ax.set_xlim(0, self.STEPS)
        ax.set_ylim(*self.STEP_LIMITS)
        plotting.label(ax, "step $t$", r"step length $\|x_{t+1} - x_t\|$")
        self.note = plotting.note(ax, 0.97, 0.97, ha="right")
        self._dynamic = [self.path_line, self.start_marker, self.escape_arrow, self.escape_text,
                         self.step_line, self.cap_line, self.note]

    def _trajectory(self, mode, lr, threshold, start):
        key = (mode, lr, threshold, start)
        if key not in self._cache:
            clip = None if mode == "none" else (mode, threshold)
            self._cache[key] = run.trajectory(self.landscape, optimizers.gd(lr),
                                              np.array([start, self.START_Y]), self.STEPS,
                                              clip=clip)
        return self._cache[key]

    def _redraw(self, changed):
        v = self.values
        self.run = self._trajectory(v["mode"], v["lr"], v["threshold"], v["start"])
        pos = self.run.positions
        self.steps_taken = np.linalg.norm(np.diff(pos, axis=0), axis=1)
        self.path_line.set_data(pos[:, 0], pos[:, 1])
        self.start_marker.set_data([pos[0, 0]], [pos[0, 1]])
        self._draw_escape(pos)
        t = np.arange(len(self.steps_taken))
        shown = np.where(self.steps_taken >= self.STEP_LIMITS[0], self.steps_taken, np.nan)
        self.step_line.set_data(t, np.minimum(shown, self.STEP_LIMITS[1]))
        cap = v["lr"] * v["threshold"]
        self.cap_line.set_ydata([cap, cap])
        self.cap_line.set_visible(v["mode"] != "none")
        self.note.set_text("\n".join([
            f"{_MODE_NAMES[v['mode']]}, $\\eta$ = {v['lr']:g}"
            + ("" if v["mode"] == "none" else f", c = {v['threshold']:g}"),
            f"largest step {self.steps_taken.max():.3g}",
            f"distance to $x^*$ at the end {self.final_distance:.2g}",
        ]))
        return ARTISTS

    @property
    def farthest(self) -> np.ndarray:
        """The iterate farthest from the minimiser."""
        pos = self.run.positions
        return pos[np.argmax(np.linalg.norm(pos - self.landscape.minimizers[0], axis=1))]

    @property
    def final_distance(self) -> float:
        return float(np.linalg.norm(self.run.positions[-1] - self.landscape.minimizers[0]))

    @property
    def left_window(self) -> bool:
        (x0, x1), (y0, y1) = self.WINDOW
        pos = self.run.positions
        return bool(np.any((pos[:, 0] < x0) | (pos[:, 0] > x1) | (pos[:, 1] < y0)
                           | (pos[:, 1] > y1)))

    def _draw_escape(self, pos):
        visible = self.left_window
        self.escape_arrow.set_visible(visible)
        self.escape_text.set_visible(visible)
        if visible:
            far = self.farthest
            (x0, _), _ = self.WINDOW
            tip = (x0 + 0.1, float(np.clip(far[1], -2.8, 2.8)))
            self.escape_arrow.xy = tip
            self.escape_arrow.set_position((x0 + 1.6, tip[1]))
            self.escape_text.set_position((x0 + 0.2, tip[1] + 0.15))
            self.escape_text.set_text(f"thrown to $x_1$ = {far[0]:.1f}")

    def alt_text(self) -> str:
        v = self.values
        mode = _MODE_NAMES[v["mode"]]
        if v["mode"] != "none":
            mode += f" at threshold {number(v['threshold'])}"
        far = self.farthest
        thrown = (f"it is thrown out of the window to x1 = {number(far[0])}"
                  if self.left_window else "it stays inside the window")
        return (
            f"Left: level sets of a bowl with a cliff, a drop of height 20 along the line x1 = 1, "
            f"and gradient descent with learning rate {number(v['lr'])} and {mode}, from "
            f"({number(v['start'])}, {number(self.START_Y)}) on the high shelf; {thrown}. Its "
            f"largest step has length {number(self.steps_taken.max())} and after {self.STEPS} "
            f"steps it is {number(self.final_distance, 2)} from the minimiser. Right: the "
            f"length of each step on a log axis"
            + ("." if v["mode"] == "none"
               else f", with the cap eta times c = {number(v['lr'] * v['threshold'])}.")
        )


def _snap(value, settings, name):
    """``value`` if it is one of ``settings`` (to rounding), else a ``ValueError``."""
    for s in settings:
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isclose(
                value, s, rel_tol=1e-9):
            return s
    raise ValueError(f"{name} must be one of {list(settings)}, got {value!r}")
