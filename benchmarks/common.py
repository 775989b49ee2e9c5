"""Timing helpers shared by the benchmarks."""

import time


def best_time(func, repeats=5):
    """Smallest wall time of ``repeats`` calls of ``func()`` in seconds (after one warm-up)."""
    func()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def interleaved_minima(funcs, repeats):
    """Wall and process-CPU minima, in seconds, of each of the dict ``funcs``, called in turn.

    Each of ``repeats`` rounds calls every function once, so a figure that compares them is not
    skewed by the machine changing speed between them: this VM has slower phases lasting seconds
    (same code, same data), and its memory bandwidth drifts by tens of percent. The CPU
    time (all threads) shows the work itself when the wall time only shows what the scheduler
    granted.
    """
    for func in funcs.values():
        func()
    wall = dict.fromkeys(funcs, float("inf"))
    cpu = dict.fromkeys(funcs, float("inf"))
    for _ in range(repeats):
        for name, func in funcs.items():
            c, t = time.process_time(), time.perf_counter()
            func()
            wall[name] = min(wall[name], time.perf_counter() - t)
            cpu[name] = min(cpu[name], time.process_time() - c)
    return wall, cpu


def row(figure, goal, measured, ratio, unit):
    """One line of the results table (and of results.json)."""
    return {"figure": figure, "goal": goal, "measured": measured, "unit": unit, "ratio": ratio}
