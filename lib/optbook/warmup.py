"""Compile and cache every numba kernel the chapters and explorers call, so a reader's first run
is quick.

Binder's ``postBuild`` runs ``python -m optbook.warmup`` once when it builds the image; numba
writes the compiled kernels to its on-disk cache (``cache=True``), and a notebook started later
loads them instead of compiling. The explorers let a reader pick any landscape and any rule, so
every (landscape, rule) pair's 2-D kernel is compiled in float64 (about 1.5 s each); float32
kernels and the array kernel of other dimensions compile on first use. Locally the chapters
fill the cache as a side effect; this module makes it explicit and measurable. It also computes
the training runs the babysitter explorer shows at its slider stops
(:func:`optbook.babysit.explorer_grid`), which are stored beside the kernels
(:mod:`optbook.statecache`).
"""

from __future__ import annotations

import time

import numpy as np

from . import babysit, landscapes, optimizers, run

LANDSCAPES = (
    landscapes.conditioned_quadratic(10.0),
    landscapes.rosenbrock(),
    landscapes.two_minima(),
    landscapes.saddle(),
    landscapes.plateau(),
    landscapes.plane([1.0, 0.5]),
    landscapes.cliff(),
)
"""One landscape per built-in landscape code."""


def _every_form() -> tuple:
    """One optimizer per form of every rule in the registry, at its defaults (``lr=0.1``
    where the rule has no default rate)."""
    made = []
    for name, form in optimizers.forms():
        rule = optimizers.RULES[name]
        kwargs = {} if form is None else {"form": form}
        if rule.hyper("lr").default is None:
            kwargs["lr"] = 0.1
        made.append(optimizers.get(name, **kwargs))
    return tuple(made)


RULES = _every_form()
"""One optimizer per compiled rule (each form of each rule of the registry)."""


def warm_up() -> float:
    """Run every pair's kernel for a few steps and one sweep per path; return the seconds."""
    start = time.perf_counter()
    for land in LANDSCAPES:
        for rule in RULES:
            run.trajectory(land, rule, np.array(land.start), 3)
    bowl = LANDSCAPES[0]
    heavy_ball = optimizers.momentum(0.1, 0.5)
    grid = {"x": ("lr", [0.05, 0.1]), "y": ("gamma", [0.0, 0.5])}
    for fast_path in (True, False):
        run.sweep(bowl, heavy_ball, np.array([1.0, 1.0]), 4, fast_path=fast_path, **grid)
    bowl.value_grid(*np.meshgrid([0.0, 1.0], [0.0, 1.0]))
    bowl.hessian(np.zeros(2))
    babysit.explorer_grid()
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"optbook kernels compiled and cached in {warm_up():.1f} s")
