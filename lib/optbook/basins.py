r"""Basins of attraction: where an optimizer settles from each of many starts.

A run *settles* at a minimiser when it stays finite, its last ``tail`` iterates differ by at
most ``tol`` in every coordinate, and the last one lies within ``within`` of that minimiser.
A run that diverges, keeps moving (bouncing inside a well whose curvature forbids the learning
rate, or still crawling) or comes to rest elsewhere (at a saddle) does not settle. The set of
starts that settle at a minimiser is its basin of attraction for that optimizer and learning
rate.
"""

from __future__ import annotations

import numpy as np

from optbook import landscapes, run
from optbook.optimizers import Optimizer

UNSETTLED = -1
"""The label :func:`settle` gives a start whose run does not settle at a minimiser."""


def settle(landscape, optimizer, starts, steps=3000, *, tail=20, tol=1e-9, within=1e-6):
    r"""For each start (a row of ``starts``, shape ``(n, dim)``), the index in
    ``landscape.minimizers`` of the minimiser its run of ``steps`` steps settles at, or
    :data:`UNSETTLED` (see the module docstring). Returns an ``(n,)`` integer array."""
    if not isinstance(landscape, landscapes.Landscape) or len(landscape.minimizers) == 0:
        raise ValueError("landscape must be an optbook Landscape with at least one minimizer")
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be an optbook Optimizer, got {type(optimizer).__name__}")
    starts = np.asarray(starts, dtype=np.float64)
    if starts.ndim != 2 or starts.shape[1] != landscape.dim or starts.shape[0] == 0:
        raise ValueError(
            f"starts must have shape (n, {landscape.dim}) with n >= 1, got {starts.shape}"
        )
    if isinstance(tail, bool) or not isinstance(tail, int | np.integer) or not 2 <= tail <= steps:
        raise ValueError(f"tail must be an integer in [2, steps={steps}], got {tail!r}")
    if not (tol >= 0 and within > 0):
        raise ValueError(f"tol must be >= 0 and within > 0, got tol={tol}, within={within}")
    out = np.empty(len(starts), dtype=int)
    for k, x0 in enumerate(starts):
        tr = run.trajectory(landscape, optimizer, x0, steps)
        last = tr.positions[-tail:]
        if tr.diverged_at is not None or np.ptp(last, axis=0).max() > tol:
            out[k] = UNSETTLED
            continue
        distances = np.linalg.norm(landscape.minimizers - last[-1], axis=1)
        nearest = int(np.argmin(distances))
        out[k] = nearest if distances[nearest] <= within else UNSETTLED
    return out
