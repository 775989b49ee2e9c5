r"""Run optimizers on landscapes: trajectories, and sweeps over two hyper-parameters.

:func:`trajectory` follows one optimizer from one start and records every iterate; divergence
is a result, reported as ``diverged_at``, never an exception or a warning. :func:`sweep` runs a
grid of hyper-parameter pairs in parallel (numba ``prange``) and reports, per cell, the final
loss and the empirical linear convergence rate of :math:`\|x_t - x^*\|`.

Empirical rate (:func:`empirical_rate`, the same rule in every path): with errors
:math:`e_t = \|x_t - x^*\|` (:math:`x^*` the nearest minimiser), a run is measured up to
:math:`m`, the first step whose error falls to ``RATE_FLOOR`` :math:`\cdot e_0` (below that,
rounding would take over), else the last step. The rate is the geometric-mean contraction
:math:`(e_m/e_b)^{1/(m-b)}` with :math:`b = \min(\text{burn-in}, \lfloor m/2\rfloor)`, so the
window is never shorter than half the measured run (an oscillating error would otherwise be
read over a step or two). It is 0 for a run that lands exactly on the minimiser.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from optbook import landscapes, optimizers, schedules
from optbook.kernels2d import kernel_2d
from optbook.landscapes import value_and_grad
from optbook.optimizers import (
    MOMENTUM,
    MOMENTUM_PYTORCH,
    NESTEROV,
    Optimizer,
    apply_step,
    apply_step_rows,
    gradient_point,
    gradient_point_rows,
    state_rows,
)
from optbook.schedules import Schedule, apply_clip, schedule_lr

RATE_FLOOR = 1e-12
"""Relative error :math:`e_t/e_0` at which rate measurements stop."""


class Trajectory(NamedTuple):
    """One run. Arrays hold the iterates :math:`x_0 .. x_k` that stayed finite and in bounds."""

    positions: np.ndarray
    """``(k+1, dim)`` iterates, dtype of ``x0``."""
    losses: np.ndarray
    """``(k+1,)`` float64 :math:`f(x_t)`."""
    grad_norms: np.ndarray
    """``(k+1,)`` float64 :math:`\\|\\nabla f(x_t)\\|` (exact gradient, without noise)."""
    diverged_at: int | None
    """Index of the first iterate that was non-finite or beyond ``bound``, else ``None``."""
    steps_run: int
    """Number of steps whose result is recorded, ``len(positions) - 1``."""


class Sweep(NamedTuple):
    """A grid of runs; arrays are indexed ``[iy, ix]``."""

    x_name: str
    x_values: np.ndarray
    y_name: str
    y_values: np.ndarray
    final_loss: np.ndarray
    """``(ny, nx)`` loss where the measurement stopped (NaN where diverged)."""
    rate: np.ndarray
    """``(ny, nx)`` empirical linear rate of :math:`\\|x_t - x^*\\|` (NaN where diverged)."""
    diverged: np.ndarray
    """``(ny, nx)`` bool: some iterate was non-finite or :math:`\\|x_t - x^*\\| >` bound."""


# --------------------------------------------------------------------------- trajectory


@njit(cache=True, error_model="numpy")
def _trajectory_kernel(
    land_code, land_params, opt_code, hyper, state, scalars, sched_code, sched_params,
    clip_mode, clip_c, noise, noise_scale, bound, x, positions, losses, grad_sq,
):
    """Fill the records of a run in any dimension; return the number of recorded iterates.

    The array counterpart of :func:`optbook.kernels2d.kernel_2d` (which 2-D runs use), with
    the same records and stopping rule: ``grad_sq`` gets :math:`\\|\\nabla f(x_t)\\|^2`.
    """
    s0, s1, s2 = state_rows(state, x)
    g = np.empty_like(x)
    look = np.empty_like(x)
    dim = x.size
    steps = positions.shape[0] - 1
    with_noise = noise.shape[0] > 0
    for k in range(steps + 1):
        loss = value_and_grad(land_code, land_params, x, g)
        total = 0.0
        in_bounds = True
        for i in range(dim):
            total += np.float64(g[i]) * np.float64(g[i])
            in_bounds &= abs(x[i]) <= bound
        if not (in_bounds and math.isfinite(loss) and math.isfinite(total)):
            return k
        for i in range(dim):
            positions[k, i] = x[i]
        losses[k] = loss
        grad_sq[k] = total
        if k == steps:
            break
        if opt_code == NESTEROV:
            gradient_point_rows(opt_code, hyper, x, s0, look)
            value_and_grad(land_code, land_params, look, g)
        if with_noise:
            for i in range(dim):
                g[i] += noise_scale * noise[k, i]
        apply_clip(clip_mode, clip_c, g)
        lr = schedule_lr(sched_code, sched_params, hyper[0], k + 1)
        apply_step_rows(opt_code, hyper, lr, x, g, s0, s1, s2, scalars)
    return steps + 1


def _check_count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_number(name, value, minimum, strict):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if math.isnan(value) or value < minimum or (strict and value == minimum):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {minimum:g}, got {value!r}")
    return value


def _check_inputs(landscape, optimizer, x0):
    if not isinstance(landscape, landscapes.Landscape):
        raise ValueError(f"landscape must be an optbook Landscape, got {type(landscape).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be an optbook Optimizer, got {type(optimizer).__name__}")
    x0 = np.asarray(x0)
    dtype = np.float32 if x0.dtype == np.float32 else np.float64
    x0 = np.array(x0, dtype=dtype).ravel() if x0.ndim <= 1 else x0
    if x0.shape != (landscape.dim,):
        raise ValueError(
            f"x0 must have shape ({landscape.dim},) for {landscape.name}, got {np.shape(x0)}"
        )
    if not np.all(np.isfinite(x0)):
        raise ValueError(f"x0 must be finite, got {x0}")
    return x0


def trajectory(
    landscape, optimizer, x0, steps, *, schedule=None, clip=None, noise_std=0.0, batch_size=1,
    seed=0, bound=1e6,
) -> Trajectory:
    r"""Run ``optimizer`` on ``landscape`` from ``x0`` for ``steps`` steps.

    ``schedule``: a :class:`~optbook.schedules.Schedule` scaling ``optimizer.lr`` per step.
    ``clip``: ``None``, ``("value", c)`` or ``("norm", c)``, applied to the (noisy) gradient.
    ``noise_std`` :math:`\sigma`, ``batch_size`` :math:`S`: mini-batch noise, each gradient
    component gets :math:`\mathcal N(0, \sigma^2/S)` drawn up-front from
    ``np.random.default_rng(seed)``, so a run is reproducible.
    The run stops at the first iterate with a non-finite coordinate, loss or gradient, or with a
    coordinate beyond ``bound`` in absolute value; that index is ``diverged_at``. Arithmetic
    follows ``x0``'s dtype (float32 or float64).
    """
    x0 = _check_inputs(landscape, optimizer, x0)
    steps = _check_count("steps", steps, 1)
    batch_size = _check_count("batch_size", batch_size, 1)
    noise_std = _check_number("noise_std", noise_std, 0.0, strict=False)
    bound = _check_number("bound", bound, 0.0, strict=True)
    if schedule is None:
        schedule = schedules.constant()
    if not isinstance(schedule, Schedule):
        raise ValueError(f"schedule must be None or a Schedule, got {type(schedule).__name__}")
    clip_mode, clip_c = schedules.parse_clip(clip)
    dim = landscape.dim
    if noise_std > 0.0:
        noise = np.random.default_rng(seed).standard_normal((steps, dim))
    else:
        noise = np.empty((0, dim))
    state, scalars = optimizer.init_state(dim, x0.dtype)
    positions = np.empty((steps + 1, dim), dtype=x0.dtype)
    losses = np.empty(steps + 1)
    grad_sq = np.empty(steps + 1)
    args = (
        state, scalars, schedule.code, schedule.params, clip_mode, clip_c, noise,
        noise_std / math.sqrt(batch_size), bound,
    )
    if dim == 2:
        kernel = kernel_2d(landscape.code, optimizer.code)
        n = kernel(landscape.params, optimizer.hyper, x0, *args, positions, losses, grad_sq)
    else:
        n = _trajectory_kernel(landscape.code, landscape.params, optimizer.code,
                               optimizer.hyper, *args, x0.copy(), positions, losses, grad_sq)
    return Trajectory(
        positions[:n], losses[:n], np.sqrt(grad_sq[:n]), None if n == steps + 1 else n, n - 1
    )


# --------------------------------------------------------------------------- rates


@njit(cache=True)
def _window_rate(errors_at_b, error_at_m, span):
    """Geometric-mean contraction over ``span`` steps (0 when the error vanished)."""
    if error_at_m == 0.0:
        return 0.0
    return (error_at_m / errors_at_b) ** (1.0 / span)


@njit(cache=True)
def _empirical_rate(errors, burn_in):
    m = errors.size - 1
    for k in range(1, errors.size):
        if errors[k] <= RATE_FLOOR * errors[0]:
            m = k
            break
    b = min(burn_in, m // 2)
    return _window_rate(errors[b], errors[m], m - b)


def _check_burn_in(burn_in, steps):
    if burn_in is None:
        return steps // 2
    if isinstance(burn_in, bool) or not isinstance(burn_in, int | np.integer) or not (
        0 <= burn_in < steps
    ):
        raise ValueError(f"burn_in must be an integer in [0, {steps - 1}], got {burn_in!r}")
    return int(burn_in)


def _error_norms(errors, minimum):
    """``errors`` as a float64 vector of at least ``minimum`` values with ``errors[0] > 0``, or
    ``None`` when it holds a non-finite value (a diverged run, whose rate is NaN)."""
    errors = np.asarray(errors, dtype=np.float64)
    if errors.ndim != 1 or errors.size < minimum:
        raise ValueError(
            f"errors must be a 1-D array of at least {minimum} values, got {errors.shape}"
        )
    if not np.all(np.isfinite(errors)):
        return None
    if errors[0] <= 0.0:
        raise ValueError(f"errors[0] must be > 0, got {errors[0]!r}")
    return errors


def empirical_rate(errors, burn_in=None) -> float:
    r"""Geometric-mean contraction of the error norms ``errors`` (:math:`e_0 .. e_n`).

    ``burn_in`` (default :math:`n/2`) skips the transient; see the module docstring for the
    floor rule. Returns NaN if ``errors`` holds a non-finite value.
    """
    errors = _error_norms(errors, 2)
    if errors is None:
        return math.nan
    return float(_empirical_rate(errors, _check_burn_in(burn_in, errors.size - 1)))


def fitted_rate(errors) -> float:
    r"""Linear rate of the error norms ``errors`` from a least-squares line through
    :math:`\log e_t`, over the second half of the run up to where :math:`e_t` falls to
    :data:`RATE_FLOOR` of :math:`e_0`.

    On an oscillating run (momentum with complex roots, Nesterov) the ratio of two errors, as in
    :func:`empirical_rate`, depends on where in the oscillation its end points fall; the slope
    of the fitted line averages the oscillation out. Returns NaN if ``errors`` holds a
    non-finite value.
    """
    errors = _error_norms(errors, 3)
    if errors is None:
        return math.nan
    below = np.flatnonzero(errors <= RATE_FLOOR * errors[0])
    stop = int(below[0]) if below.size else errors.size - 1
    steps = np.arange(stop // 2, stop + 1)
    if steps.size < 2 or np.any(errors[steps] <= 0.0):
        raise ValueError("errors must stay positive over the second half of the run to fit a rate")
    slope = np.polyfit(steps, np.log(errors[steps]), 1)[0]
    return float(np.exp(slope))


# --------------------------------------------------------------------------- sweep


@njit(cache=True)
def _distance_to_nearest(x, minimizers):
    best = math.inf
    for j in range(minimizers.shape[0]):
        total = 0.0
        for i in range(x.size):
            d = x[i] - minimizers[j, i]
            total += d * d
        best = min(best, total)
    return math.sqrt(best)


@njit(cache=True)
def _generic_cell(land_code, land_params, minimizers, opt_code, h, n_state, n_scalars,
                  init_rate, x0, steps, burn_in, bound):
    """One cell of the generic sweep: ``(final loss, rate, diverged)``."""
    dim = x0.size
    x = x0.copy()
    g = np.empty(dim)
    look = np.empty(dim)
    state = np.zeros((n_state, dim))
    if init_rate:
        state[0, :] = h[0]
    scalars = np.ones(n_scalars)
    scalars[0] = 0.0
    errors = np.empty(steps + 1)
    errors[0] = _distance_to_nearest(x0, minimizers)
    m = steps
    for k in range(1, steps + 1):
        value_and_grad(land_code, land_params, x, g)
        if opt_code == NESTEROV:
            gradient_point(opt_code, h, x, state, look)
            value_and_grad(land_code, land_params, look, g)
        apply_step(opt_code, h, h[0], x, g, state, scalars)
        errors[k] = _distance_to_nearest(x, minimizers)
        if not (errors[k] <= bound):
            return math.nan, math.nan, True
        if errors[k] <= RATE_FLOOR * errors[0]:
            m = k
            break
    b = min(burn_in, m // 2)
    loss = value_and_grad(land_code, land_params, x, g)
    return loss, _window_rate(errors[b], errors[m], m - b), False


@njit(cache=True, parallel=True)
def _sweep_generic(
    land_code, land_params, minimizers, opt_code, hyper, n_state, n_scalars, init_rate,
    ix, x_values, iy, y_values, x0, steps, burn_in, bound, final_loss, rate, diverged,
):
    """Every cell runs the whole optimizer/landscape machinery; cells in parallel."""
    nx = x_values.size
    for cell in prange(nx * y_values.size):
        h = hyper.copy()
        h[ix] = x_values[cell % nx]
        h[iy] = y_values[cell // nx]
        final_loss[cell], rate[cell], diverged[cell] = _generic_cell(
            land_code, land_params, minimizers, opt_code, h, n_state, n_scalars, init_rate,
            x0, steps, burn_in, bound,
        )


FAST_BLOCK = 256
"""Cells one task of the heavy-ball fast path advances together (16 KB of state, in L1)."""

_U0, _U1, _V0, _V1, _CG, _CA0, _CA1, _EB, _E = (i * FAST_BLOCK for i in range(9))
_FIELDS = 8
"""Fields a cell takes along when it moves to a freed slot. ``_E`` (this step's squared error,
written by the vector loop so the scan for stopped cells need not recompute it) stays behind."""


@njit(cache=True, error_model="numpy", inline="always")
def _heavy_ball_advance(st, active, pytorch_form, lam0, lam1, floor_sq, bound_sq):
    """One step of the first ``active`` cells of a block; returns how many stay in the window.

    ``st`` holds the block's fields one after another (:data:`FAST_BLOCK` values each), so
    every access is a constant offset from one pointer: LLVM proves they do not overlap and
    vectorises the loop over cells without runtime alias checks (4 cells per AVX2 instruction).
    Coefficients: velocity form ``(gamma, lr lam0, lr lam1)``, PyTorch form ``(gamma, lr, lr)``;
    ``lr lam`` is rounded before it meets ``u``, as the fast path always formed it, so the sweep
    returns the same bits as before this layout (checked on 50 random grids, both forms).
    """
    running = 0
    for c in range(active):
        gamma = st[_CG + c]
        u0 = st[_U0 + c]
        u1 = st[_U1 + c]
        if pytorch_form:
            w0 = gamma * st[_V0 + c] + lam0 * u0
            w1 = gamma * st[_V1 + c] + lam1 * u1
            x0 = u0 - st[_CA0 + c] * w0
            x1 = u1 - st[_CA1 + c] * w1
        else:
            w0 = gamma * st[_V0 + c] + st[_CA0 + c] * u0
            w1 = gamma * st[_V1 + c] + st[_CA1 + c] * u1
            x0 = u0 - w0
            x1 = u1 - w1
        st[_U0 + c] = x0
        st[_U1 + c] = x1
        st[_V0 + c] = w0
        st[_V1 + c] = w1
        e = x0 * x0 + x1 * x1
        st[_E + c] = e
        running += (e > floor_sq) & (e <= bound_sq)
    return running


@njit(cache=True, error_model="numpy", inline="always")
def _heavy_ball_load(st, c, u0_start, u1_start, lr, gamma, lam0, lam1, pytorch_form, e0_sq):
    """Put a cell at the start, with its coefficients, in slot ``c`` of a block."""
    st[_U0 + c] = u0_start
    st[_U1 + c] = u1_start
    st[_V0 + c] = 0.0
    st[_V1 + c] = 0.0
    st[_CG + c] = gamma
    st[_CA0 + c] = lr if pytorch_form else lr * lam0
    st[_CA1 + c] = lr if pytorch_form else lr * lam1
    st[_EB + c] = e0_sq


@njit(cache=True, error_model="numpy")
def _heavy_ball_block(
    lam0, lam1, u0_start, u1_start, lr, gamma, pytorch_form, steps, burn_in, bound, f0,
    final_loss, rate, diverged,
):
    r"""Heavy ball on a 2-D quadratic in its eigenbasis, for a block of cells at once.

    ``(u0_start, u1_start)`` is :math:`x_0 - x^*` in eigen-coordinates; ``lr`` and ``gamma``
    hold one value per cell (at most :data:`FAST_BLOCK`). Steps are the outer loop, cells the
    inner one (vectorised, :func:`_heavy_ball_advance`), and only the cells still running are
    advanced: a cell that leaves the window (its squared error at or below the floor, beyond
    the bound, or NaN) is recorded and the last running cell moves into its slot. On the
    book's benchmark grid 44% of the cell-steps belong to cells that already stopped (most
    diverged cells stop within 30 steps). The per-step test is a branch-free count; the
    rate bookkeeping needs no error history: the error at :math:`b = \min(\text{burn-in},
    \lfloor n/2\rfloor)` is copied once at that step, and the few cells that reach the floor
    at :math:`m < 2b` are run again afterwards, longest first, up to their own
    :math:`\lfloor m/2\rfloor` (the same arithmetic, so the same bits).
    """
    n = lr.size
    e0_sq = u0_start * u0_start + u1_start * u1_start
    floor_sq = RATE_FLOOR * RATE_FLOOR * e0_sq
    bound_sq = bound * bound
    big_b = min(burn_in, steps // 2)
    st = np.empty((_FIELDS + 1) * FAST_BLOCK)
    slot_cell = np.arange(FAST_BLOCK)
    stop = np.full(n, steps)
    error_at_m = np.empty(n)
    for c in range(n):
        _heavy_ball_load(st, c, u0_start, u1_start, lr[c], gamma[c], lam0, lam1, pytorch_form,
                         e0_sq)
    active = n
    for k in range(1, steps + 1):
        if pytorch_form:
            running = _heavy_ball_advance(st, active, True, lam0, lam1, floor_sq, bound_sq)
        else:
            running = _heavy_ball_advance(st, active, False, lam0, lam1, floor_sq, bound_sq)
        if k == big_b:
            for c in range(active):
                st[_EB + c] = st[_U0 + c] * st[_U0 + c] + st[_U1 + c] * st[_U1 + c]
        if running == active:
            continue
        # downwards, so the cell moved into slot c from the end was already looked at
        for c in range(active - 1, -1, -1):
            e = st[_E + c]
            if floor_sq < e <= bound_sq:
                continue
            x0 = st[_U0 + c]
            x1 = st[_U1 + c]
            j = slot_cell[c]
            stop[j] = k
            if e <= floor_sq:
                diverged[j] = False
                final_loss[j] = f0 + 0.5 * (lam0 * x0 * x0 + lam1 * x1 * x1)
                error_at_m[j] = e
                if min(burn_in, k // 2) == big_b:
                    rate[j] = _window_rate(math.sqrt(st[_EB + c]), math.sqrt(e), k - big_b)
            else:
                diverged[j] = True
                final_loss[j] = math.nan
                rate[j] = math.nan
            active -= 1
            for field in range(_FIELDS):
                st[field * FAST_BLOCK + c] = st[field * FAST_BLOCK + active]
            slot_cell[c] = slot_cell[active]
        if active == 0:
            break
    for c in range(active):
        j = slot_cell[c]
        x0 = st[_U0 + c]
        x1 = st[_U1 + c]
        diverged[j] = False
        final_loss[j] = f0 + 0.5 * (lam0 * x0 * x0 + lam1 * x1 * x1)
        rate[j] = _window_rate(
            math.sqrt(st[_EB + c]), math.sqrt(x0 * x0 + x1 * x1), steps - big_b
        )
    # cells at the floor at m < 2 big_b measure from b = m // 2: run them again up to b, longest
    # first, so the cells still to run are always the first `need` slots
    order = np.argsort(-stop, kind="mergesort")
    need = 0
    for i in range(n):
        j = order[i]
        b = stop[j] // 2
        if stop[j] == steps or diverged[j] or b >= big_b:
            continue
        if b == 0:
            rate[j] = _window_rate(math.sqrt(e0_sq), math.sqrt(error_at_m[j]), stop[j])
            continue
        _heavy_ball_load(st, need, u0_start, u1_start, lr[j], gamma[j], lam0, lam1,
                         pytorch_form, e0_sq)
        slot_cell[need] = j
        need += 1
    k = 0
    while need > 0:
        k += 1
        if pytorch_form:
            _heavy_ball_advance(st, need, True, lam0, lam1, 0.0, math.inf)
        else:
            _heavy_ball_advance(st, need, False, lam0, lam1, 0.0, math.inf)
        while need > 0 and stop[slot_cell[need - 1]] // 2 == k:
            need -= 1
            j = slot_cell[need]
            x0 = st[_U0 + need]
            x1 = st[_U1 + need]
            rate[j] = _window_rate(
                math.sqrt(x0 * x0 + x1 * x1), math.sqrt(error_at_m[j]), stop[j] - k
            )


@njit(cache=True, parallel=True)
def _sweep_heavy_ball(
    lam, u_start, lr, gamma, pytorch_form, steps, burn_in, bound, f0, final_loss, rate,
    diverged,
):
    """Blocks of ``FAST_BLOCK`` cells (flattened grid) in parallel.

    Task ``i`` runs the even blocks first, then the odd ones: numba hands each thread a
    contiguous range of tasks, so each thread gets rows from the whole grid (on the benchmark
    grid the low-momentum half costs 47% of the work, the even rows 49.9%).

    Measured here (the 256 x 256 x 500 benchmark grid, 2 shared cores, minima over 25 calls
    interleaved with the references, load average 1.4; same bits as before): this kernel
    8.4 ms, the previous one (64-cell blocks, every cell advanced every step, a
    ``(steps+1, 64)`` error history per block) 12.7 ms, the naive per-cell loop 31.4 ms;
    ``sweep`` as a whole 10.3 ms (was 20.4 ms, 6 ms of it validating each grid value).
    """
    n_cells = lr.size
    n_blocks = (n_cells + FAST_BLOCK - 1) // FAST_BLOCK
    n_even = (n_blocks + 1) // 2
    for i in prange(n_blocks):
        block = 2 * i if i < n_even else 2 * (i - n_even) + 1
        s = block * FAST_BLOCK
        e = min(s + FAST_BLOCK, n_cells)
        _heavy_ball_block(
            lam[0], lam[1], u_start[0], u_start[1], lr[s:e], gamma[s:e], pytorch_form, steps,
            burn_in, bound, f0, final_loss[s:e], rate[s:e], diverged[s:e],
        )


def _axis(optimizer, spec, which):
    if not (isinstance(spec, tuple | list) and len(spec) == 2 and isinstance(spec[0], str)):
        raise ValueError(f"{which} must be a pair (hyper-parameter name, values), got {spec!r}")
    name, values = spec
    if name not in optimizer.params or name == "form":
        known = [key for key in optimizer.params if key != "form"]
        raise ValueError(
            f"{which}: {optimizer.name} has no hyper-parameter {name!r}; known: {known}"
        )
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0:
        raise ValueError(f"{which} values must not be empty")
    # Every hyper-parameter's rule is an interval (optimizers' validators), so when the
    # extremes pass and no value is NaN, all pass: two constructions instead of one per value
    # (256 values cost 3 ms). Otherwise each value in turn, so the error names the first bad one.
    if np.isnan(values).any() or not _valid(optimizer, name, values.min(), values.max()):
        for value in values:
            optimizer.with_params(**{name: value})
    return name, values


def _valid(optimizer, name, *values):
    try:
        for value in values:
            optimizer.with_params(**{name: value})
    except ValueError:
        return False
    return True


def sweep(
    landscape, optimizer, x0, steps, *, x=("lr", None), y=("gamma", None), burn_in=None,
    bound=1e6, fast_path=True,
) -> Sweep:
    r"""Run ``optimizer`` from ``x0`` for every pair of the two hyper-parameters ``x`` and ``y``.

    ``x`` and ``y`` are ``(name, values)`` pairs naming two different hyper-parameters of
    ``optimizer`` (the others keep the optimizer's values). Each cell reports its final loss and
    the empirical rate of :math:`\|x_t - x^*\|` (see the module docstring; ``burn_in`` defaults
    to ``steps // 2``); a cell diverges when an iterate is non-finite or
    :math:`\|x_t - x^*\| >` ``bound``. Arithmetic is float64, cells run in parallel.

    Heavy ball (either form, so also GD as the :math:`\gamma = 0` row) over ``lr`` and
    ``gamma`` on a 2-D quadratic takes a fast path in the Hessian's eigenbasis with many cells per
    vector instruction; it computes the same iterates up to rounding (``fast_path=False``
    forces the generic path, for comparison).
    """
    x0 = np.asarray(_check_inputs(landscape, optimizer, x0), dtype=np.float64)
    steps = _check_count("steps", steps, 1)
    burn_in = _check_burn_in(burn_in, steps)
    bound = _check_number("bound", bound, 0.0, strict=True)
    x_name, x_values = _axis(optimizer, x, "x")
    y_name, y_values = _axis(optimizer, y, "y")
    if x_name == y_name:
        raise ValueError(f"x and y must name different hyper-parameters, both are {x_name!r}")
    if len(landscape.minimizers) == 0:
        raise ValueError(f"{landscape.name} has no minimizer to measure a rate against")
    n_cells = y_values.size * x_values.size
    final_loss = np.empty(n_cells)
    rate = np.empty(n_cells)
    diverged = np.empty(n_cells, dtype=np.bool_)
    grid = dict(zip((y_name, x_name), np.meshgrid(y_values, x_values, indexing="ij"),
                    strict=True))
    if (
        fast_path
        and landscape.code == landscapes.QUADRATIC
        and landscape.dim == 2
        and optimizer.code in (MOMENTUM, MOMENTUM_PYTORCH)
        and {x_name, y_name} == {"lr", "gamma"}
    ):
        lam, vectors = np.linalg.eigh(landscape.hessian(x0))
        _sweep_heavy_ball(
            lam, vectors.T @ (x0 - landscape.minimizers[0]), grid["lr"].ravel(),
            grid["gamma"].ravel(), optimizer.code == MOMENTUM_PYTORCH, steps, burn_in, bound,
            float(landscape.min_value), final_loss, rate, diverged,
        )
    else:
        names = optimizer.hyper_names
        _sweep_generic(
            landscape.code, landscape.params, np.asarray(landscape.minimizers, dtype=np.float64),
            optimizer.code, np.array(optimizer.hyper), optimizer.n_state, optimizer.n_scalars,
            optimizer.code == optimizers.DELTA_BAR_DELTA, names.index(x_name), x_values,
            names.index(y_name), y_values, x0, steps, burn_in, bound, final_loss, rate, diverged,
        )
    shape = (y_values.size, x_values.size)
    return Sweep(
        x_name, x_values, y_name, y_values, final_loss.reshape(shape), rate.reshape(shape),
        diverged.reshape(shape),
    )
