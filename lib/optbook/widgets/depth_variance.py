r"""The depth explorer: forward and backward mean squares through a deep network, layer by
layer, measured in one network over the mean-field prediction."""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D

from optbook import plotting
from optbook.nn import propagation
from optbook.widgets import controls
from optbook.widgets.engine import ARTISTS, Explorer, number

_NAMES = {"tanh": "tanh", "relu": "ReLU"}


class DepthVarianceExplorer(Explorer):
    r"""Square networks of ``depth`` layers of ``width`` units without biases, weights
    :math:`W_\ell = \sigma G_\ell` with :math:`G_\ell` standard normal and
    :math:`n\sigma^2 =` ``scale`` (:func:`optbook.nn.propagation.depth_profiles`, one batch of
    64 standard normal inputs and one standard normal output gradient, all drawn from
    ``seed``).

    Left: the mean square :math:`q_\ell` of the pre-activations :math:`z_\ell` against the layer
    :math:`\ell = 1, \dots, L`; right: the mean square :math:`p_\ell` of
    :math:`\partial J/\partial h_\ell` for :math:`\ell = 0, \dots, L-1` (0 is the input). Dots:
    measured in the network; lines: the recursion of
    :func:`~optbook.nn.propagation.predict`,

    .. math:: q_\ell = n\sigma^2\,\mathbb E[\phi(z)^2]_{z\sim\mathcal N(0, q_{\ell-1})}, \qquad
              p_{\ell-1} = n\sigma^2\,\mathbb E[\phi'(z)^2]_{z\sim\mathcal N(0, q_\ell)}\,p_\ell

    (Poole et al. 2016; Schoenholz et al. 2017).

    Every control takes finitely many values (:attr:`ACTIVATIONS`, :attr:`WIDTHS`, the depths
    :attr:`DEPTH_RANGE` in steps of :attr:`DEPTH_STEP`, the scales :attr:`SCALE_RANGE` in
    factors of 2): 48 combinations, the figure's axes fixed across them, so that a static page
    can show one precomputed image per combination. Moving ``scale`` or ``depth`` keeps the
    draws: a depth-:math:`d` network is the first :math:`d` layers of the deepest one, and
    the unit-variance draws :math:`G_\ell` do not depend on the scale. Computed profiles are
    cached, so a revisited combination is only redrawn.

    Attributes: ``fig``, ``ax_forward`` and ``ax_backward``; ``measured`` and ``predicted``
    (the :class:`~optbook.nn.propagation.Propagation` drawn); ``forward_dots``,
    ``forward_line``, ``backward_dots``, ``backward_line`` and the notes ``forward_note`` and
    ``backward_note``.
    """

    ACTIVATIONS = ("tanh", "relu")
    WIDTHS = (16, 256)
    DEPTH_RANGE = (10, 50)
    DEPTH_STEP = 20
    SCALE_RANGE = (0.5, 4.0)
    SCALE_STEP = math.log10(2.0)
    #: The mean-square axis of both panels, the same for every combination of the controls.
    MEAN_SQUARE_LIMITS = (1e-32, 1e17)

    def __init__(self, activation="relu", width=256, depth=50, scale=1.0, *, seed=0):
        super().__init__()
        self.seed = seed
        self._cache: dict = {}
        self._layout(self._own(widgets.VBox([
            self._own(widgets.HBox([
                self._add_control(controls.spec(
                    "activation", "activation φ", "φ", "choice", activation,
                    options=self.ACTIVATIONS)),
                self._add_control(controls.spec(
                    "width", "width n", "n", "choice", width, options=self.WIDTHS)),
            ])),
            self._own(widgets.HBox([
                self._add_control(controls.spec(
                    "depth", "depth L", "L", "int", depth, *self.DEPTH_RANGE, self.DEPTH_STEP)),
                self._add_control(controls.spec(
                    "scale", "init scale nσ²", "nσ²", "log", scale, *self.SCALE_RANGE,
                    self.SCALE_STEP)),
            ])),
        ])))
        self._build_figure()
        self._start()

    def _build_figure(self):
        self.fig, (self.ax_forward, self.ax_backward) = plotting.subplots(
            1, 2, height=3.6, sharey=True)
        blue, orange = plotting.PALETTE["blue"], plotting.PALETTE["orange"]
        top = self.DEPTH_RANGE[1]
        for ax, colour, xlabel, ylabel, title in [
            (self.ax_forward, blue, r"layer $\ell$", "mean square",
             r"forward: $q_\ell$, of $z_\ell$"),
            (self.ax_backward, orange, r"layer $\ell$ (0: the input)", "",
             r"backward: $p_\ell$, of $\partial J/\partial h_\ell$"),
        ]:
            ax.set_yscale("log")
            ax.set_xlim(-1, top + 1)
            ax.set_ylim(*self.MEAN_SQUARE_LIMITS)
            ax.set_yticks([10.0**k for k in range(-30, 11, 10)])
            ax.axhline(1.0, color="0.6", lw=0.8, ls=":")
            plotting.label(ax, xlabel, ylabel, title)
        (self.forward_line,) = self.ax_forward.plot([], [], color=blue, lw=1.6)
        (self.forward_dots,) = self.ax_forward.plot([], [], "o", color=blue, ms=3.2)
        (self.backward_line,) = self.ax_backward.plot([], [], color=orange, lw=1.6)
        (self.backward_dots,) = self.ax_backward.plot([], [], "o", color=orange, ms=3.2)
        # forward values start near n sigma^2 at layer 1, backward ones at the output's end:
        # the corners these notes take stay clear of the curves
        self.forward_note = plotting.note(self.ax_forward, 0.03, 0.97)
        self.backward_note = plotting.note(self.ax_backward, 0.97, 0.97, ha="right")
        self._dynamic = [self.forward_line, self.forward_dots, self.backward_line,
                         self.backward_dots, self.forward_note, self.backward_note]
        plotting.figure_legend(self.fig, [
            Line2D([], [], color="0.3", lw=1.6, label="line: mean-field prediction"),
            Line2D([], [], color="0.3", lw=0, marker="o", ms=3.2,
                   label="dots: measured in one network"),
        ], ncols=2)

    def profiles(self, activation: str, width: int, depth: int, scale: float):
        """The measured and predicted :class:`~optbook.nn.propagation.Propagation` of one
        combination (cached; every depth stop of a (activation, width, scale) is computed in
        one call)."""
        key = (activation, int(width), round(float(scale), 9))
        stored = self._cache.setdefault(key, {})
        if depth not in stored:
            low, high = self.DEPTH_RANGE
            depths = sorted({*range(low, high + 1, self.DEPTH_STEP), int(depth)} - set(stored))
            result = propagation.depth_profiles(activation, int(width), float(scale), depths,
                                                seed=self.seed)
            for d in depths:
                stored[d] = (result.measured[d], result.predicted[d])
        return stored[depth]

    def _redraw(self, changed):
        v = self.values
        self.measured, self.predicted = self.profiles(v["activation"], v["width"], v["depth"],
                                                      v["scale"])
        depth = v["depth"]
        forward_layers, backward_layers = np.arange(1, depth + 1), np.arange(0, depth)
        self.forward_line.set_data(forward_layers, self.predicted.forward)
        self.forward_dots.set_data(forward_layers, self.measured.forward)
        self.backward_line.set_data(backward_layers, self.predicted.backward)
        self.backward_dots.set_data(backward_layers, self.measured.backward)
        self.forward_note.set_text(
            f"layer {depth}: measured {self.measured.forward[-1]:.2g}\n"
            f"predicted {self.predicted.forward[-1]:.2g}")
        self.backward_note.set_text(
            f"input: measured {self.measured.backward[0]:.2g}\n"
            f"predicted {self.predicted.backward[0]:.2g}")
        return ARTISTS

    def alt_text(self) -> str:
        v = self.values
        m, p = self.measured, self.predicted
        depth = v["depth"]
        return (
            f"Two panels with the layer, 0 to {self.DEPTH_RANGE[1]}, on the horizontal axis and "
            f"the mean square on a log axis from 10 to the minus 32 to 10 to the 17, for a "
            f"{_NAMES[v['activation']]} network of depth {depth} and width {v['width']} whose "
            f"weights have n sigma squared equal to {number(v['scale'])}. Left, forward: the "
            f"mean square of the pre-activations goes from {number(m.forward[0])} at layer 1 to "
            f"{number(m.forward[-1])} at layer {depth}, measured, against "
            f"{number(p.forward[0])} and {number(p.forward[-1])} predicted. Right, backward: the "
            f"mean square of the gradient goes from {number(m.backward[-1])} at layer "
            f"{depth - 1} to {number(m.backward[0])} at the input, measured, against "
            f"{number(p.backward[-1])} and {number(p.backward[0])} predicted."
        )
