"""Run every benchmark, print the table and write it to _build/bench/results.json."""

import json
import os
import platform
from pathlib import Path

from benchmarks import (
    bench_adam,
    bench_coldstart,
    bench_depth_explorer,
    bench_dispatch,
    bench_finite_sum,
    bench_nn,
    bench_static,
    bench_static_race,
    bench_sweep,
    bench_trajectory,
    bench_widgets,
)
from benchmarks.common import row

RESULTS = Path(__file__).resolve().parents[1] / "_build" / "bench" / "results.json"


def fmt(value):
    return "-" if value is None else f"{value:.4g}"


def main():
    rows = [row("load average (1 min) at start", "-", os.getloadavg()[0], None,
                "runnable processes on 2 cores (figures below are minima of repeats)")]
    # Cold start first: measured right after the 10^7-element Adam benchmark (280 MB of arrays),
    # the same fresh process took 1.07-1.10 s here, against 0.91-0.94 s just before it.
    for module in (bench_coldstart, bench_trajectory, bench_sweep, bench_adam, bench_dispatch,
                   bench_widgets, bench_depth_explorer, bench_nn, bench_finite_sum,
                   bench_static, bench_static_race):
        rows += module.run()
    width = max(len(r["figure"]) for r in rows)
    print(f"{'figure':<{width}}  {'goal':<27}  {'measured':>9}  {'ratio':>8}  unit")
    for r in rows:
        print(f"{r['figure']:<{width}}  {r['goal']:<27}  {fmt(r['measured']):>9}  "
              f"{fmt(r['ratio']):>8}  {r['unit']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": platform.processor() or platform.machine(),
                                   "results": rows}, indent=1))
    print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
