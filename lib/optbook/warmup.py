"""Compile and cache every numba kernel the chapters call, so a reader's first run is quick.

Binder's ``postBuild`` runs ``python -m optbook.warmup`` once when it builds the image; numba
writes the compiled kernels to its on-disk cache (``cache=True``), and a notebook started later
loads them instead of compiling. Locally the first chapter executed does the same as a side
effect; this module only makes it explicit and measurable.
"""

from __future__ import annotations

import time

import numpy as np

from . import landscapes, optimizers, run


def warm_up() -> float:
    """Run one short trajectory per dtype and one sweep per path; return the seconds taken."""
    start = time.perf_counter()
    bowl = landscapes.conditioned_quadratic(10.0)
    heavy_ball = optimizers.momentum(0.1, 0.5)
    for dtype in (np.float64, np.float32):
        run.trajectory(bowl, heavy_ball, np.array([1.0, 1.0], dtype=dtype), 3)
    grid = {"x": ("lr", [0.05, 0.1]), "y": ("gamma", [0.0, 0.5])}
    for fast_path in (True, False):
        run.sweep(bowl, heavy_ball, np.array([1.0, 1.0]), 4, fast_path=fast_path, **grid)
    bowl.value_grid(*np.meshgrid([0.0, 1.0], [0.0, 1.0]))
    bowl.hessian(np.zeros(2))
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"optbook kernels compiled and cached in {warm_up():.1f} s")
