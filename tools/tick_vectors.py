"""Test vectors of matplotlib's tick choice for ``js/ticks.js`` (written into the vectors file
by ``tools/write_test_vectors.py``): the ticks and labels matplotlib draws on the trajectory
explorer's loss axes for many limits, and its locators alone for every number of bins."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import LogLocator, MaxNLocator

#: Step counts of the step axis (the explorer's slider: 1..2000).
STEPS = [*range(1, 121), *range(121, 2001, 7), 1000, 1500, 1999, 2000]
#: Decade pairs (low, high) of the loss axis, as plotting.decade_limits gives them (the curves
#: are floored at numpy's smallest normal double, about 2.2e-308).
DECADES = [(low, low + span) for low in range(-308, 20, 3) for span in range(1, 26)]


def _drawn(axis) -> list:
    """The ticks the axis draws now (location, label), major then minor."""
    return [[float(tick.get_loc()), tick.label1.get_text()] for tick in axis._update_ticks()]


def tick_vectors() -> dict:
    from optbook import landscapes, optimizers
    from optbook.widgets import TrajectoryExplorer

    explorer = TrajectoryExplorer(landscapes.lecture_quadratic(50), [optimizers.gd(0.019)],
                                  steps=5)
    ax = explorer.ax_loss
    x_bins = int(np.clip(ax.xaxis.get_tick_space(), 1, 9))
    y_ticks = int(np.clip(ax.yaxis.get_tick_space(), 2, 9))
    saved = ax.get_xlim(), ax.get_ylim()
    steps_axis = []
    for steps in STEPS:
        ax.set_xlim(0, steps)
        steps_axis.append([steps, _drawn(ax.xaxis)])
    loss_axis = []
    for low, high in DECADES:
        ax.set_ylim(10.0**low, 10.0**high)
        loss_axis.append([low, high, _drawn(ax.yaxis)])
    ax.set_xlim(*saved[0])
    ax.set_ylim(*saved[1])
    locators = []
    for nbins in range(1, 10):
        for steps in STEPS[::3]:
            ticks = MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10]).tick_values(0, steps)
            locators.append(["max_n", nbins, 0, steps, [float(t) for t in ticks]])
    for numticks in range(2, 10):
        for low, high in DECADES[::2]:
            for subs, kind in (((1.0,), "log_major"), ("auto", "log_minor")):
                ticks = LogLocator(subs=subs, numticks=numticks).tick_values(10.0**low,
                                                                             10.0**high)
                locators.append([kind, numticks, low, high, [float(t) for t in ticks]])
    return {"x_bins": x_bins, "y_ticks": y_ticks, "steps_axis": steps_axis,
            "loss_axis": loss_axis, "locators": locators}
