"""The depth explorer's settings, all computed: what a static page's build pays for it.

A static page shows one image per combination of the explorer's control settings (48 here:
2 activations x 2 widths x 3 depths x 4 scales). Each combination is one ``update()`` call on
one explorer: the profiles of its network (computed once per activation, width and scale, for
all three depths) and a redraw with the PNG. Goal: all 48 in <= 20 s on an idle core. A second
pass over the same combinations finds every profile cached and only redraws.

Wall and process-CPU times are both reported: on the shared machine the wall time shows what the
scheduler granted, the CPU time the work itself.
"""

import itertools
import math
import os
import time

import matplotlib

matplotlib.use("Agg")

from benchmarks.common import row
from optbook import widgets

GOAL = 20.0


def settings(control):
    """The values a control takes, as a static page enumerates them: its options, or min,
    min + step, ..., max (log: in log10 units)."""
    if control["kind"] == "choice":
        return control["options"]
    low, high = control["min"], control["max"]
    if control["kind"] == "log":
        low, high = math.log10(low), math.log10(high)
    count = round((high - low) / control["step"]) + 1
    values = [low + k * control["step"] for k in range(count)]
    return [10.0**v for v in values] if control["kind"] == "log" else values


def every_combination():
    explorer = widgets.DepthVarianceExplorer()
    stops = {control["key"]: settings(control) for control in explorer.control_specs()}
    return explorer, [dict(zip(stops, c, strict=True)) for c in itertools.product(*stops.values())]


def timed_pass(explorer, combinations):
    wall, cpu = time.perf_counter(), time.process_time()
    for values in combinations:
        explorer.update(**values)
    return time.perf_counter() - wall, time.process_time() - cpu


def run():
    load_before = os.getloadavg()[0]
    explorer, combinations = every_combination()
    first_wall, first_cpu = timed_pass(explorer, combinations)
    again_wall, again_cpu = timed_pass(explorer, combinations)
    return [
        row(f"depth explorer: all {len(combinations)} settings computed and drawn (CPU)",
            "<= 20 s", first_cpu, first_cpu / GOAL, f"s (wall {first_wall:.2f} s; "
            f"load before {load_before:.2f})"),
        row(f"depth explorer: the {len(combinations)} settings again, cached (CPU)", "-",
            again_cpu, None, f"s (wall {again_wall:.2f} s)"),
    ]
