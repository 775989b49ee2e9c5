"""Mini-batch SGD on a finite sum and the exact moment recursion, against plain NumPy loops.

Both compiled loops (``optbook.finite_sum.sgd``'s kernel and ``optbook.noise_ball.moments``'s)
exist because the SGD chapter runs hundreds of thousands of steps: the plain loops below, the
same arithmetic one NumPy call at a time, are what they replaced.
"""

import os

import numpy as np

from benchmarks.common import interleaved_minima, row
from optbook import finite_sum, noise_ball

STEPS = 20_000
BATCH = 4


def numpy_sgd(problem, x0, lr, indices):
    """SGD with one NumPy expression per step, on the same batches."""
    x = np.array(x0, dtype=float)
    for batch in indices:
        x = x - lr * (problem.hessians[batch] @ x - problem.linear[batch]).mean(axis=0)
    return x


def numpy_moments(problem, x0, lrs):
    """The moment recursion one matrix-vector product at a time (its four pieces as in
    ``noise_ball``)."""
    rec = noise_ball._recursion(problem, BATCH, "replacement")
    a = problem.mean_hessian
    m = np.asarray(x0, dtype=float) - problem.minimizer
    second = np.outer(m, m).ravel()
    for lr in lrs:
        second = second + lr * (rec.first @ second) + lr * lr * (
            rec.second @ second + rec.cross @ m + rec.source)
        m = m - lr * (a @ m)
    return second


def run():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 2)) * [1.0, 3.0]
    problem = finite_sum.least_squares(X, X @ [1.0, -1.0] + 0.5 * rng.standard_normal(200))
    x0 = problem.minimizer + 1.0
    indices = finite_sum.BatchSampler(200, BATCH, seed=0).take(STEPS)[0].reshape(-1, BATCH)
    lrs = np.full(STEPS, 0.02)
    load = os.getloadavg()[0]
    wall, _ = interleaved_minima({
        "sgd": lambda: finite_sum.sgd(problem, x0, 0.02, STEPS, batch_size=BATCH),
        "numpy_sgd": lambda: numpy_sgd(problem, x0, 0.02, indices),
        "moments": lambda: noise_ball.moments(problem, x0, lrs, BATCH),
        "numpy_moments": lambda: numpy_moments(problem, x0, lrs),
    }, repeats=5)
    return [
        row(f"finite_sum.sgd, {STEPS} steps of 4 (load {load:.1f})", "faster than NumPy",
            wall["sgd"] * 1e3, wall["numpy_sgd"] / wall["sgd"],
            "ms; ratio: NumPy loop / compiled (batches drawn included)"),
        row(f"noise_ball.moments, {STEPS} steps", "faster than NumPy",
            wall["moments"] * 1e3, wall["numpy_moments"] / wall["moments"],
            "ms; ratio: NumPy loop / compiled"),
    ]
