r"""Trajectory kernels for 2-D runs, one per (landscape, rule) pair, compiled on first use.

Every landscape the book draws is 2-D, and a run's speed there is set by the chain of dependent
operations from :math:`x_t` to :math:`x_{t+1}` (for GD on a quadratic: :math:`x - c`, the
matrix-vector product, :math:`\eta g`, :math:`x - \eta g`). Three things keep a step close to
that chain:

* The point, the gradient and the rule's state are scalars, never arrays
  (:func:`~optbook.landscapes.value_and_grad_2d`, and per rule a 2-D step such as
  :func:`~optbook.optimizers.adam_2d`), so they live in registers; only the records go to
  memory.
* The landscape and rule codes are compile-time constants of the kernel (closure variables).
  numba drops the branches for the other rules before typing, so a kernel compiles one rule,
  and LLVM folds the landscape's branches. Measured here (2 cores): with the rule code a
  run-time value, the same scalar loop took about 17 ns for a GD step on a quadratic instead of
  about 6, and the array kernel (``optbook.run._trajectory_kernel``, run-time codes, values
  in arrays) about 70 ns (``benchmarks/bench_trajectory.py`` prints both).
* Rules whose per-step constants need divisions or square roots (Adam, AdamW, AMSGrad: the bias
  corrections; NAdam: its coefficients) get them for :data:`BLOCK` steps at a time from
  :func:`~optbook.optimizers.step_constants_block`, in a loop LLVM vectorises, before those
  steps run. Worked out step by step, they queued for the divider alongside the chain's own
  square roots and divisions: an Adam step on the benchmark's quadratic took about 36 ns,
  against about 28.5 ns with the table (chain bound about 22.5 ns).

numba caches each pair's kernel on disk like any ``cache=True`` function: the index entry is
keyed on the closure's values, so a later process loads the pair's machine code in a few
milliseconds instead of compiling it (about 1.5 s a pair). :mod:`optbook.warmup` compiles every
pair once. Schedule, clipping and gradient noise stay run-time arguments: they are off the
chain, and a branch the CPU predicts costs next to nothing (measured: no change with them
removed).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from optbook import optimizers as opt
from optbook.landscapes import value_and_grad_2d
from optbook.optimizers import (
    ADADELTA,
    ADAGRAD,
    ADAM,
    ADAMW,
    AMSGRAD,
    DELTA_BAR_DELTA,
    GD,
    MOMENTUM,
    MOMENTUM_PYTORCH,
    NESTEROV,
    NESTEROV_REFORMULATED,
    RMSPROP,
    lookahead_element,
)
from optbook.schedules import CLIP_NONE, clip_2d, schedule_lr

_KERNELS = {}

BLOCK = 64
"""Steps whose learning rates and rule constants a kernel works out ahead, in one batch."""


def kernel_2d(land_code: int, opt_code: int):
    """The jitted 2-D trajectory kernel of one (landscape code, rule code) pair.

    Signature: ``kernel(land_params, hyper, x, state, scalars, sched_code, sched_params,
    clip_mode, clip_c, noise, noise_scale, bound, positions, losses, grad_sq)``. It fills the
    records from ``x`` (``state`` and ``scalars`` as
    :meth:`~optbook.optimizers.Optimizer.init_state` makes them) and returns the number of
    recorded iterates, fewer than ``len(positions)`` if the run diverged. ``grad_sq``
    receives :math:`\\|\\nabla f(x_t)\\|^2`.
    """
    key = (int(land_code), int(opt_code))
    if key not in _KERNELS:
        _KERNELS[key] = _specialise(*key)
    return _KERNELS[key]


def _specialise(land_code, opt_code):
    # Only these rules batch their learning rates with their constants: for the others the
    # schedule is worked out inside the step loop, where it overlaps the chain (a batch pass
    # over it added about 0.7 ns to a GD step).
    tabled = opt_code in opt.TABLE_RULES

    @njit(cache=True, error_model="numpy")
    def kernel(land_params, hyper, x, state, scalars, sched_code, sched_params, clip_mode,
               clip_c, noise, noise_scale, bound, positions, losses, grad_sq):
        # Branches on the closure's constants: numba drops the others before typing, so a
        # kernel compiles one rule only.
        if opt_code == GD:
            step = opt.gd_2d
        elif opt_code == MOMENTUM:
            step = opt.momentum_2d
        elif opt_code == NESTEROV:
            step = opt.momentum_2d
        elif opt_code == MOMENTUM_PYTORCH:
            step = opt.momentum_pytorch_2d
        elif opt_code == NESTEROV_REFORMULATED:
            step = opt.nesterov_reformulated_2d
        elif opt_code == DELTA_BAR_DELTA:
            step = opt.delta_bar_delta_2d
        elif opt_code == ADAGRAD:
            step = opt.adagrad_2d
        elif opt_code == RMSPROP:
            step = opt.rmsprop_2d
        elif opt_code == ADADELTA:
            step = opt.adadelta_2d
        elif opt_code == ADAM:
            step = opt.adam_2d
        elif opt_code == ADAMW:
            step = opt.adamw_2d
        elif opt_code == AMSGRAD:
            step = opt.amsgrad_2d
        else:
            step = opt.nadam_2d
        cast = positions.dtype.type
        rows = state.shape[0]
        zero = cast(0.0)
        a0, a1 = (state[0, 0], state[0, 1]) if rows > 0 else (zero, zero)
        b0, b1 = (state[1, 0], state[1, 1]) if rows > 1 else (zero, zero)
        c0, c1 = (state[2, 0], state[2, 1]) if rows > 2 else (zero, zero)
        n = scalars.size
        p1 = scalars[1] if n > 1 else 1.0
        p2 = scalars[2] if n > 2 else 1.0
        p3 = scalars[3] if n > 3 else 1.0
        x0 = x[0]
        x1 = x[1]
        steps = positions.shape[0] - 1
        with_noise = noise.shape[0] > 0
        block = BLOCK if tabled else 0
        lrs = np.empty(block)
        products = np.empty((5, block))
        table = np.empty((3, block), positions.dtype)
        # Blocks cover the steps and the final iterate, which is recorded and not stepped from.
        for start in range(0, steps + 1, BLOCK):
            size = min(BLOCK, steps + 1 - start)
            if tabled:
                for j in range(size):
                    lrs[j] = schedule_lr(sched_code, sched_params, hyper[0], start + j + 1)
                p1, p2, p3 = opt.step_constants_block(opt_code, hyper, lrs, size, p1, p2, p3,
                                                      products, table)
            for j in range(size):
                k = start + j
                f, g0, g1 = value_and_grad_2d(land_code, land_params, np.float64(x0),
                                              np.float64(x1))
                g0 = cast(g0)
                g1 = cast(g1)
                sq = np.float64(g0) * np.float64(g0) + np.float64(g1) * np.float64(g1)
                if not ((abs(x0) <= bound) & (abs(x1) <= bound) & math.isfinite(f)
                        & math.isfinite(sq)):
                    return k
                positions[k, 0] = x0
                positions[k, 1] = x1
                losses[k] = f
                grad_sq[k] = sq
                if k == steps:
                    break
                if opt_code == NESTEROV:
                    gamma = cast(hyper[1])
                    _, g0, g1 = value_and_grad_2d(
                        land_code, land_params, np.float64(lookahead_element(x0, a0, gamma)),
                        np.float64(lookahead_element(x1, a1, gamma)),
                    )
                    g0 = cast(g0)
                    g1 = cast(g1)
                if with_noise:
                    g0 = cast(g0 + noise_scale * noise[k, 0])
                    g1 = cast(g1 + noise_scale * noise[k, 1])
                if clip_mode != CLIP_NONE:
                    clipped0, clipped1 = clip_2d(clip_mode, clip_c, g0, g1)
                    g0 = cast(clipped0)
                    g1 = cast(clipped1)
                if tabled:
                    lr = lrs[j]
                    k0, k1, k2 = table[0, j], table[1, j], table[2, j]
                else:
                    lr = schedule_lr(sched_code, sched_params, hyper[0], k + 1)
                    k0 = k1 = k2 = zero
                x0, x1, a0, a1, b0, b1, c0, c1 = step(
                    hyper, lr, k0, k1, k2, positions, x0, x1, g0, g1, a0, a1, b0, b1, c0, c1
                )
        return steps + 1

    return kernel
