r"""Trajectory kernels for 2-D runs, one per (landscape, rule) pair, compiled on first use.

Every landscape the book draws is 2-D, and a run's speed there is set by the chain of dependent
operations from :math:`x_t` to :math:`x_{t+1}` (for GD on a quadratic: :math:`x - c`, the
matrix-vector product, :math:`\eta g`, :math:`x - \eta g`). Three things keep a step close to
that chain:

* The point, the gradient and the rule's state are scalars, never arrays
  (:func:`~optbook.landscapes.value_and_grad_2d`, and the rule's element function applied to
  each coordinate), so they live in registers; only the records go to memory.
* The landscape and rule codes are compile-time constants of the kernel (closure variables).
  The rule's functions come from the registry by its code while numba types the kernel
  (:mod:`optbook.optimizers.dispatch`), so a kernel holds one rule, and LLVM folds the
  landscape's branches. Measured here (2 cores): with the rule code a run-time value, the
  same scalar loop took about 17 ns for a GD step on a quadratic instead of about 6, and the
  array kernel (``optbook.run``'s, any dimension, values in arrays) about 70 ns
  (``benchmarks/bench_trajectory.py`` prints both).
* Rules whose per-step constants need divisions or square roots (the Adam family: the bias
  corrections; NAdam: its coefficients; their forms are ``tabled`` in the registry) get them for
  :data:`BLOCK` steps at a time from :func:`~optbook.optimizers.dispatch.step_constants_block`,
  in a loop LLVM vectorises, before those steps run. Worked out step by step, they queued for
  the divider alongside the chain's own square roots and divisions: an Adam step on the
  benchmark's quadratic took about 36 ns, against about 28.5 ns with the table (chain bound
  about 22.5 ns).

A reader's own objective (:func:`optbook.landscapes.custom`, a numba-jitted pair) takes the
landscape's place: its functions are compiled into the pair's kernel, inlined like the built-in
formulas. Such a kernel is not cached on disk (it holds the reader's functions, which numba
cannot key a cache entry on); it compiles once per session.

numba caches each built-in pair's kernel on disk like any ``cache=True`` function: the index
entry is keyed on the closure's values, so a later process loads the pair's machine code in a
few milliseconds instead of compiling it (about 1.5 s a pair). :mod:`optbook.warmup` compiles
every pair once. Schedule, clipping and gradient noise stay run-time arguments: they are off
the chain, and a branch the CPU predicts costs next to nothing (measured: no change with them
removed).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from optbook.landscapes import value_and_grad_2d
from optbook.optimizers import form_of
from optbook.optimizers.dispatch import (
    counters,
    rule_advance,
    rule_decay,
    rule_element,
    rule_hyper_constants,
    rule_point,
    rule_step_constants,
    step_constants_block,
    store_counters,
)
from optbook.schedules import CLIP_NONE, clip_2d, schedule_lr

_KERNELS = {}

BLOCK = 64
"""Steps whose learning rates and rule constants a kernel works out ahead, in one batch."""


def kernel_2d(land_code: int, opt_code: int, objective=None, decay: bool = False):
    """The jitted 2-D trajectory kernel of one (landscape code, rule code) pair.

    ``objective``: ``None`` for a built-in landscape, or the jitted ``(value, grad)`` pair of a
    reader's landscape (:attr:`optbook.landscapes.Landscape.objective`). ``decay``: compile the
    rule's coupled weight decay in (:attr:`~optbook.optimizers.registry.Optimizer.decays`); a kernel
    without it is a different kernel, so a rule without decay pays nothing for the option. An
    unknown rule code raises ``ValueError``.

    Signature: ``kernel(land_params, hyper, x, rows, scalars, sched_code, sched_params,
    clip_mode, clip_c, noise, noise_scale, bound, step0, positions, losses, grad_sq)``. It
    fills the records from ``x``, the run's iterate ``step0`` (its schedule counts from there;
    ``rows`` and ``scalars`` are those of the optimizer's :class:`~optbook.optimizers.state.State`
    at that point), leaves in ``rows`` and ``scalars`` the state after the last step it took,
    and returns the number of recorded iterates, fewer than ``len(positions)`` if the run
    diverged. ``grad_sq`` receives
    :math:`\\|\\nabla f(x_t)\\|^2`.
    """
    form_of(opt_code)
    key = (int(land_code), int(opt_code), objective, int(bool(decay)))
    if key not in _KERNELS:
        _KERNELS[key] = _specialise(*key)
    return _KERNELS[key]


@njit(cache=True, inline="always")
def _store_state(rows, n_rows, a0, a1, b0, b1, c0, c1):
    if n_rows > 0:
        rows[0, 0] = a0
        rows[0, 1] = a1
    if n_rows > 1:
        rows[1, 0] = b0
        rows[1, 1] = b1
    if n_rows > 2:
        rows[2, 0] = c0
        rows[2, 1] = c1


def _specialise(land_code, opt_code, objective, decay):
    rule, form = form_of(opt_code)
    tabled = form.tabled
    # a rule that keeps only the step counter, and does not read it, counts its steps at the end
    per_step_counters = tabled or form.counted or rule.counters != ("t",)
    lookahead = form.lookahead
    n_rows = len(form.rows)
    custom = objective is not None
    value_fn, grad_fn = objective if custom else (None, None)

    # Branches on the closure's constants (tabled, lookahead, custom, decay) are dropped by
    # numba before typing, so a kernel compiles only what its rule and landscape use.
    @njit(cache=not custom, error_model="numpy")
    def kernel(land_params, hyper, x, rows, scalars, sched_code, sched_params, clip_mode,
               clip_c, noise, noise_scale, bound, step0, positions, losses, grad_sq):
        cast = positions.dtype.type
        zero = cast(0.0)
        a0, a1 = (rows[0, 0], rows[0, 1]) if n_rows > 0 else (zero, zero)
        b0, b1 = (rows[1, 0], rows[1, 1]) if n_rows > 1 else (zero, zero)
        c0, c1 = (rows[2, 0], rows[2, 1]) if n_rows > 2 else (zero, zero)
        t, p1, p2, p3 = counters(scalars)
        t0 = t
        h = rule_hyper_constants(opt_code, hyper, positions)
        weight_decay = rule_decay(opt_code, hyper, positions)
        x0 = x[0]
        x1 = x[1]
        steps = positions.shape[0] - 1
        with_noise = noise.shape[0] > 0
        block = BLOCK if tabled else 0
        lrs = np.empty(block)
        products = np.empty((4, block))
        table = np.empty((3, block), positions.dtype)
        # Blocks cover the steps and the final iterate, which is recorded and not stepped from.
        for start in range(0, steps + 1, BLOCK):
            size = min(BLOCK, steps + 1 - start)
            if tabled:
                for j in range(size):
                    lrs[j] = schedule_lr(sched_code, sched_params, hyper[0],
                                         step0 + start + j + 1)
                step_constants_block(opt_code, hyper, lrs, size, t, p1, p2, p3, products,
                                     table)
            for j in range(size):
                k = start + j
                if custom:
                    point = (np.float64(x0), np.float64(x1))
                    f = np.float64(value_fn(point))
                    grad = grad_fn(point)
                    g0 = cast(grad[0])
                    g1 = cast(grad[1])
                else:
                    f, g0, g1 = value_and_grad_2d(land_code, land_params, np.float64(x0),
                                                  np.float64(x1))
                    g0 = cast(g0)
                    g1 = cast(g1)
                sq = np.float64(g0) * np.float64(g0) + np.float64(g1) * np.float64(g1)
                if not ((abs(x0) <= bound) & (abs(x1) <= bound) & math.isfinite(f)
                        & math.isfinite(sq)):
                    _store_state(rows, n_rows, a0, a1, b0, b1, c0, c1)
                    store_counters(scalars, t if per_step_counters else t0 + k, p1, p2, p3)
                    return k
                positions[k, 0] = x0
                positions[k, 1] = x1
                losses[k] = f
                grad_sq[k] = sq
                if k == steps:
                    break
                if lookahead:
                    look0 = np.float64(rule_point(opt_code, x0, a0, h))
                    look1 = np.float64(rule_point(opt_code, x1, a1, h))
                    if custom:
                        grad = grad_fn((look0, look1))
                        g0 = cast(grad[0])
                        g1 = cast(grad[1])
                    else:
                        _, g0, g1 = value_and_grad_2d(land_code, land_params, look0, look1)
                        g0 = cast(g0)
                        g1 = cast(g1)
                if with_noise:
                    g0 = cast(g0 + noise_scale * noise[k, 0])
                    g1 = cast(g1 + noise_scale * noise[k, 1])
                if clip_mode != CLIP_NONE:
                    clipped0, clipped1 = clip_2d(clip_mode, clip_c, g0, g1)
                    g0 = cast(clipped0)
                    g1 = cast(clipped1)
                if decay:
                    g0 = g0 + weight_decay * rule_point(opt_code, x0, a0, h)
                    g1 = g1 + weight_decay * rule_point(opt_code, x1, a1, h)
                if tabled:
                    lr = lrs[j]
                    k0, k1, k2 = table[0, j], table[1, j], table[2, j]
                    t, p1, p2, p3 = products[0, j], products[1, j], products[2, j], \
                        products[3, j]
                else:
                    if per_step_counters:
                        t, p1, p2, p3 = rule_advance(opt_code, hyper, t, p1, p2, p3)
                    lr = schedule_lr(sched_code, sched_params, hyper[0], step0 + k + 1)
                    k0, k1, k2 = rule_step_constants(opt_code, hyper, lr, t, p1, p2, p3,
                                                     positions)
                x0, a0, b0, c0 = rule_element(opt_code, x0, g0, a0, b0, c0, k0, k1, k2, h)
                x1, a1, b1, c1 = rule_element(opt_code, x1, g1, a1, b1, c1, k0, k1, k2, h)
        _store_state(rows, n_rows, a0, a1, b0, b1, c0, c1)
        store_counters(scalars, t if per_step_counters else t0 + steps, p1, p2, p3)
        return steps + 1

    return kernel
