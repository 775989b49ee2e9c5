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


def best_times(funcs, repeats=5):
    """Smallest wall time of each of ``funcs`` over ``repeats`` rounds, in seconds.

    Each round calls every function once, in turn, so that a figure which compares them is not
    skewed by the machine changing speed between them (on a shared VM, memory bandwidth drifts
    by tens of percent over seconds).
    """
    for func in funcs:
        func()
    best = [float("inf")] * len(funcs)
    for _ in range(repeats):
        for i, func in enumerate(funcs):
            start = time.perf_counter()
            func()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def row(figure, goal, measured, ratio, unit):
    """One line of the results table (and of results.json)."""
    return {"figure": figure, "goal": goal, "measured": measured, "unit": unit, "ratio": ratio}
