"""Latency of the explorers: what a reader waits for after moving a slider.

A slider event is one ``update()`` call: the library recomputes, the artists are updated in
place, the figure is drawn with Agg (blitted: only the artists that move, unless an axis
changed) and encoded as the PNG the page receives. That is more than the issue's
"recompute and redraw" (it includes the PNG), so the goals are met with room if these pass.

* Trajectory explorer: GD, momentum and Nesterov on x1² + 10 x2², 500 steps, the learning
  rate of GD moved through 40 values; the median event, goal ≤ 30 ms.
* Momentum rate map: κ moved through 10 values; each event sweeps the 256 × 256 (η, γ) grid
  (500 heavy-ball steps per cell) and draws the whole figure again (its axes change with κ);
  the median event, goal ≤ 100 ms. Moving η or γ alone re-runs one trajectory and is
  reported too.
"""

import statistics
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np

from benchmarks.common import row
from optbook import landscapes, optimizers, widgets

TRAJECTORY_GOAL = 0.030
MAP_GOAL = 0.100


def median_event(explorer, events):
    """Median wall time in seconds of ``explorer.update(**values)`` over ``events``
    (after one warm-up event)."""
    explorer.update(**events[-1])
    times = []
    for values in events:
        start = time.perf_counter()
        explorer.update(**values)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run():
    trajectory = widgets.TrajectoryExplorer(
        landscapes.lecture_quadratic(10),
        [optimizers.gd(0.05), optimizers.momentum(0.05, 0.9), optimizers.nesterov(0.05, 0.9)],
        steps=500,
    )
    slide = median_event(trajectory, [{"gd_lr": lr} for lr in np.geomspace(0.02, 0.09, 40)])

    rate_map = widgets.MomentumRateMap()
    recompute = median_event(rate_map, [{"kappa": k} for k in np.geomspace(10, 1000, 10)])
    point = median_event(rate_map, [{"gamma": g} for g in np.linspace(0.3, 0.9, 20)])
    return [
        row("trajectory explorer: slider event, 3 x 500 steps", "<= 30 ms", slide * 1e3,
            slide / TRAJECTORY_GOAL, "ms (ratio: measured / goal)"),
        row("rate map: kappa event, 256x256 sweep + full draw", "<= 100 ms", recompute * 1e3,
            recompute / MAP_GOAL, "ms (ratio: measured / goal)"),
        row("rate map: (lr, gamma) event, one trajectory", "-", point * 1e3, None, "ms"),
    ]
