"""The 256 x 256 heavy-ball (lr, gamma) sweep of 500 steps on a kappa = 100 quadratic."""

import os

import numpy as np
from numba import njit, prange

from benchmarks.common import best_time, interleaved_minima, row
from optbook import landscapes, optimizers
from optbook.run import sweep

STEPS = 500
LRS = np.linspace(1e-3, 0.05, 256)
GAMMAS = np.linspace(0.0, 0.99, 256)


@njit(cache=True, parallel=True)
def naive_per_cell(lam, u_start, lrs, gammas, steps, out):
    """The obvious layout: one cell at a time, its 500 steps in the inner loop."""
    nx = lrs.size
    for cell in prange(out.size):
        lr = lrs[cell % nx]
        gamma = gammas[cell // nx]
        u0, u1 = u_start[0], u_start[1]
        v0 = v1 = 0.0
        e_sq = 0.0
        for _ in range(steps):
            v0 = gamma * v0 + lr * lam[0] * u0
            v1 = gamma * v1 + lr * lam[1] * u1
            u0 -= v0
            u1 -= v1
            e_sq = u0 * u0 + u1 * u1
            if not (1e-24 < e_sq <= 1e12):
                break
        out[cell] = e_sq


def run():
    land = landscapes.conditioned_quadratic(100, angle=0.5)
    opt = optimizers.momentum(0.01)
    x0 = [1.0, 1.0]
    kw = dict(x=("lr", LRS), y=("gamma", GAMMAS))
    lam, vectors = np.linalg.eigh(land.hessian(np.zeros(2)))
    u_start = vectors.T @ np.asarray(x0)
    out = np.empty(LRS.size * GAMMAS.size)
    load = os.getloadavg()[0]
    wall, cpu = interleaved_minima({
        "fast": lambda: sweep(land, opt, x0, STEPS, **kw),
        "naive": lambda: naive_per_cell(lam, u_start, LRS, GAMMAS, STEPS, out),
    }, repeats=60)
    fast, naive = wall["fast"], wall["naive"]
    generic = best_time(lambda: sweep(land, opt, x0, STEPS, fast_path=False, **kw), repeats=2)
    return [
        row("256x256x500 heavy-ball sweep (fast path)", "<= 15 ms", fast * 1e3, fast / 0.015,
            f"ms (ratio: measured / goal; load {load:.2f} -> {os.getloadavg()[0]:.2f})"),
        row("  its CPU time, both threads", "-", cpu["fast"] * 1e3, cpu["fast"] / fast,
            "ms (ratio: CPU / wall, 2 = both cores granted throughout)"),
        row("naive per-cell loop / fast path", "-", naive * 1e3, naive / fast,
            "ms naive, interleaved with the fast path (ratio: speed-up)"),
        row("generic sweep path / fast path", "-", generic * 1e3, generic / fast,
            "ms generic (ratio: speed-up)"),
    ]
