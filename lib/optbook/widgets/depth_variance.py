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

    Top left: the mean square :math:`q_\ell` of the pre-activations :math:`z_\ell` against the
    layer :math:`\ell = 1, \dots, L`; top right: the mean square :math:`p_\ell` of
    :math:`\partial J/\partial h_\ell` for :math:`\ell = 0, \dots, L-1` (0 is the input). Dots:
    measured in the network; lines: the recursion of
    :func:`~optbook.nn.propagation.predict`,

    .. math:: q_\ell = n\sigma^2\,\mathbb E[\phi(z)^2]_{z\sim\mathcal N(0, q_{\ell-1})}, \qquad
              p_{\ell-1} = n\sigma^2\,\mathbb E[\phi'(z)^2]_{z\sim\mathcal N(0, q_\ell)}\,p_\ell

    (Poole et al. 2016; Schoenholz et al. 2017). Bottom: the ratio of the measured to the
    predicted mean square in every layer, forward and backward, on an axis of its own: the
    top panels span 49 decades, on which a narrow network's departure by a factor of ten barely
    shows.

    Every control takes finitely many values (:attr:`ACTIVATIONS`, :attr:`WIDTHS`, the depths
    :attr:`DEPTH_RANGE` in steps of :attr:`DEPTH_STEP`, the scales :attr:`SCALE_RANGE` in
    factors of 2): 48 combinations, the figure's axes fixed across them, so that a static page
    can show one precomputed image per combination. Moving ``scale`` or ``depth`` keeps the
    draws: a depth-:math:`d` network is the first :math:`d` layers of the deepest one, and
    the unit-variance draws :math:`G_\ell` do not depend on the scale. Computed profiles are
    cached, so a revisited combination is only redrawn.

    Attributes: ``fig``, ``ax_forward``, ``ax_backward`` and ``ax_ratio``; ``measured`` and
    ``predicted`` (the :class:`~optbook.nn.propagation.Propagation` drawn); ``forward_dots``,
    ``forward_line``, ``backward_dots``, ``backward_line``, ``forward_ratio``,
    ``backward_ratio`` and the notes ``forward_note`` and ``backward_note``.
    """

    #: The activations on offer.
    ACTIVATIONS = ("tanh", "relu")
    #: The widths on offer.
    WIDTHS = (16, 256)
    #: The shallowest and the deepest network; the depths in between go in steps of
    #: :attr:`DEPTH_STEP`.
    DEPTH_RANGE = (10, 50)
    #: The step of the depth slider.
    DEPTH_STEP = 20
    #: The smallest and largest :math:`n\sigma^2`, in factors of 2 (:attr:`SCALE_STEP`).
    SCALE_RANGE = (0.5, 4.0)
    #: The step of the scale slider in log10 units (a factor of 2).
    SCALE_STEP = math.log10(2.0)
    #: The mean-square axis of the top panels, the same for every combination of the controls.
    MEAN_SQUARE_LIMITS = (1e-32, 1e17)
    #: The axis of the measured-to-predicted ratios (bottom panel), also fixed.
    RATIO_LIMITS = (10**-2.5, 10**2.5)

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
        self.fig, axes = plotting.subplots(2, 2, height=5.6,
                                           gridspec_kw={"height_ratios": [2.2, 1.0]})
        self.ax_forward, self.ax_backward = axes[0]
        grid = axes[1, 0].get_gridspec()
        axes[1, 0].remove()
        axes[1, 1].remove()
        self.ax_ratio = self.fig.add_subplot(grid[1, :])
        self.ax_ratio.tick_params(labelsize=plotting.FONT["tick"])
        self.ax_backward.sharey(self.ax_forward)
        self.ax_backward.tick_params(labelleft=False)
        blue, orange = plotting.PALETTE["blue"], plotting.PALETTE["orange"]
        input_layer = r"layer $\ell$ (0: the input)"
        for ax, xlabel, ylabel, title in [
            (self.ax_forward, r"layer $\ell$", "mean square", r"forward: $q_\ell$, of $z_\ell$"),
            (self.ax_backward, input_layer, "",
             r"backward: $p_\ell$, of $\partial J/\partial h_\ell$"),
            (self.ax_ratio, input_layer, "measured / predicted", None),
        ]:
            ax.set_yscale("log")
            ax.set_xlim(-1, self.DEPTH_RANGE[1] + 1)
            ax.axhline(1.0, color="0.6", lw=0.8, ls=":")
            plotting.label(ax, xlabel, ylabel, title)
        self.ax_forward.set_ylim(*self.MEAN_SQUARE_LIMITS)
        self.ax_forward.set_yticks([10.0**k for k in range(-30, 11, 10)])
        self.ax_ratio.set_ylim(*self.RATIO_LIMITS)
        self.ax_ratio.set_yticks([0.01, 0.1, 1.0, 10.0, 100.0])
        # a wide pale line, so that it shows under dots that sit on it
        line, dots = {"lw": 3.0, "alpha": 0.45}, {"marker": "o", "ls": "", "ms": 3.0}
        (self.forward_line,) = self.ax_forward.plot([], [], color=blue, **line)
        (self.forward_dots,) = self.ax_forward.plot([], [], color=blue, **dots)
        (self.backward_line,) = self.ax_backward.plot([], [], color=orange, **line)
        (self.backward_dots,) = self.ax_backward.plot([], [], color=orange, **dots)
        (self.forward_ratio,) = self.ax_ratio.plot([], [], "o-", color=blue, ms=3.0, lw=1.0,
                                                   label="forward")
        (self.backward_ratio,) = self.ax_ratio.plot([], [], "o-", color=orange, ms=3.0, lw=1.0,
                                                    label="backward")
        # forward values start near n sigma^2 at layer 1, backward ones at the output's end:
        # the corners these notes take stay clear of the curves
        self.forward_note = plotting.note(self.ax_forward, 0.03, 0.97)
        self.backward_note = plotting.note(self.ax_backward, 0.97, 0.97, ha="right")
        self._dynamic = [self.forward_line, self.forward_dots, self.backward_line,
                         self.backward_dots, self.forward_ratio, self.backward_ratio,
                         self.forward_note, self.backward_note]
        plotting.figure_legend(self.fig, [
            Line2D([], [], color="0.3", **line, label="line: mean-field prediction"),
            Line2D([], [], color="0.3", **dots, label="dots: measured in one network"),
            Line2D([], [], color=blue, marker="o", ms=3.0, lw=1.0, label="forward"),
            Line2D([], [], color=orange, marker="o", ms=3.0, lw=1.0, label="backward"),
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
        self.forward_ratio.set_data(forward_layers, self.measured.forward / self.predicted.forward)
        self.backward_ratio.set_data(backward_layers,
                                     self.measured.backward / self.predicted.backward)
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
        ratios = np.concatenate([m.forward / p.forward, m.backward / p.backward])
        return (
            f"Three panels with the layer, 0 to {self.DEPTH_RANGE[1]}, on the horizontal axis, "
            f"for a {_NAMES[v['activation']]} network of depth {depth} and width {v['width']} "
            f"whose weights have n sigma squared equal to {number(v['scale'])}. Top left, "
            f"forward, on a log axis from 10 to the minus 32 to 10 to the 17: the mean square "
            f"of the pre-activations goes from {number(m.forward[0])} at layer 1 to "
            f"{number(m.forward[-1])} at layer {depth}, measured, against "
            f"{number(p.forward[0])} and {number(p.forward[-1])} predicted. Top right, "
            f"backward: the mean square of the gradient goes from {number(m.backward[-1])} at "
            f"layer {depth - 1} to {number(m.backward[0])} at the input, measured, against "
            f"{number(p.backward[-1])} and {number(p.backward[0])} predicted. Bottom: the ratio "
            f"of measured to predicted in every layer lies between {number(ratios.min(), 2)} "
            f"and {number(ratios.max(), 2)}."
        )
