"""Latency of the explorers: what a reader waits for after moving a slider.

A slider event is one ``update()`` call: the library recomputes, the artists are updated in
place, the figure is drawn with Agg (blitted: only what the event changed is drawn, on a cached
image of the rest) and encoded as the PNG the page receives. That is more than the issue's
"recompute and redraw" (it includes the PNG), so the goals are met with room if these pass.

* Trajectory explorer: GD, momentum and Nesterov on x1² + 10 x2², 500 steps, the learning
  rate of GD moved through 40 values, twice; the median event, goal ≤ 30 ms.
* Momentum rate map: κ moved through 10 values, three times; each event sweeps the 256 × 256
  (η, γ) grid (500 heavy-ball steps per cell) and redraws what κ changes (the map's colours,
  the optimum, the title, the right-hand panel; the map's axes are in η λmax and stay put);
  the median event, goal ≤ 100 ms. Its two parts are also timed alone: the sweep (the library's
  ``run.sweep``, as the explorer calls it) and the redraw with the PNG. Moving η or γ alone
  re-runs one trajectory and is reported too.

The machine may be busy with other work: the load average (runnable processes, 1 minute) is
reported before and after, and every figure is a median of many events.
"""

import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np

from benchmarks.common import row
from optbook import landscapes, optimizers, widgets
from optbook import run as library_run

TRAJECTORY_GOAL = 0.030
MAP_GOAL = 0.100
KAPPAS = np.geomspace(10, 1000, 10)


def median_time(func, calls):
    """Median wall time in seconds of ``func(*args)`` for each ``args`` in ``calls`` (after
    one warm-up call)."""
    func(*calls[-1])
    times = []
    for args in calls:
        start = time.perf_counter()
        func(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def median_event(explorer, events):
    """Median wall time in seconds of ``explorer.update(**values)`` over ``events``."""
    return median_time(lambda values: explorer.update(**values), [(v,) for v in events])


def map_sweep(rate_map, kappa):
    """The sweep a κ event of ``rate_map`` runs, run alone."""
    land = landscapes.conditioned_quadratic(kappa)
    n, lr_max = rate_map.resolution, rate_map.LR_SPAN / kappa
    lrs = (np.arange(n) + 0.5) * lr_max / n
    gammas = (np.arange(n) + 0.5) / n
    library_run.sweep(land, optimizers.momentum(lrs[0], gammas[0]), land.start, rate_map.steps,
                      x=("lr", lrs), y=("gamma", gammas))


def map_redraw(rate_map):
    """A κ event's drawing alone: the scenery and the dynamic artists, and the PNG."""
    rate_map._draw(widgets.SCENERY)
    rate_map._publish()


def run():
    load_before = os.getloadavg()[0]
    trajectory = widgets.TrajectoryExplorer(
        landscapes.lecture_quadratic(10),
        [optimizers.gd(0.05), optimizers.momentum(0.05, 0.9), optimizers.nesterov(0.05, 0.9)],
        steps=500,
    )
    slide = median_event(trajectory, [{"gd_lr": lr} for lr in np.geomspace(0.02, 0.09, 40)] * 2)

    rate_map = widgets.MomentumRateMap()
    recompute = median_event(rate_map, [{"kappa": k} for k in KAPPAS] * 3)
    sweep = median_time(lambda k: map_sweep(rate_map, k), [(k,) for k in KAPPAS] * 2)
    redraw = median_time(lambda: map_redraw(rate_map), [()] * 20)
    point = median_event(rate_map, [{"gamma": g} for g in np.linspace(0.3, 0.9, 20)] * 2)
    load_after = os.getloadavg()[0]
    return [
        row("trajectory explorer: slider event, 3 x 500 steps", "<= 30 ms", slide * 1e3,
            slide / TRAJECTORY_GOAL, "ms (ratio: measured / goal)"),
        row("rate map: kappa event, 256x256 sweep + redraw", "<= 100 ms", recompute * 1e3,
            recompute / MAP_GOAL, "ms (ratio: measured / goal)"),
        row("rate map: its 256x256 sweep alone (run.sweep)", "-", sweep * 1e3, None, "ms"),
        row("rate map: its redraw + PNG alone", "-", redraw * 1e3, None, "ms"),
        row("rate map: (lr, gamma) event, one trajectory", "-", point * 1e3, None, "ms"),
        row("load average (1 min) before / after the widget benchmarks", "-", load_before,
            None, f"runnable processes (after: {load_after:.2f}; cores: {os.cpu_count()})"),
    ]
