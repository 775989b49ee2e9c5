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


def row(figure, goal, measured, ratio, unit):
    """One line of the results table (and of results.json)."""
    return {"figure": figure, "goal": goal, "measured": measured, "unit": unit, "ratio": ratio}
