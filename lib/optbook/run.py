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
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic
from numba.np.arrayobj import populate_array

from optbook import landscapes, optimizers, schedules
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


@intrinsic
def _stack_array(typingctx, like, n):
    """A 1-D array of ``n`` (a compile-time constant) elements of ``like``'s dtype on the stack.

    Its memory is an LLVM ``alloca`` that no call sees, so once every kernel touching it is
    inlined, LLVM keeps its elements in registers.
    """
    if not isinstance(n, types.IntegerLiteral):
        return None
    array_type = types.Array(like.dtype, 1, "C")

    def codegen(context, builder, signature, args):
        element = context.get_data_type(like.dtype)
        itemsize = context.get_abi_sizeof(element)
        array = context.make_array(array_type)(context, builder)
        populate_array(
            array, data=cgutils.alloca_once(builder, element, size=n.literal_value),
            shape=[cgutils.intp_t(n.literal_value)], strides=[cgutils.intp_t(itemsize)],
            itemsize=cgutils.intp_t(itemsize), meminfo=None,
        )
        return array._getvalue()

    return array_type(like, n), codegen


@njit(cache=True, error_model="numpy", inline="always")
def _trajectory_loop(
    land_code, land_params, opt_code, hyper, s0, s1, s2, scalars, sched_code, sched_params,
    clip_mode, clip_c, noise, noise_scale, bound, x, g, look, positions, losses, grad_norms,
):
    """The steps of :func:`_trajectory_kernel` on the working arrays it provides."""
    dim = x.size
    steps = positions.shape[0] - 1
    with_noise = noise.shape[0] > 0
    for k in range(steps + 1):
        loss = value_and_grad(land_code, land_params, x, g)
        total = 0.0
        in_bounds = True
        for i in range(dim):
            total += float(g[i]) * float(g[i])
            in_bounds &= abs(x[i]) <= bound
        norm = math.sqrt(total)
        if not (in_bounds and math.isfinite(loss) and math.isfinite(norm)):
            return k
        for i in range(dim):
            positions[k, i] = x[i]
        losses[k] = loss
        grad_norms[k] = norm
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


@njit(cache=True, error_model="numpy")
def _trajectory_kernel(
    land_code, land_params, opt_code, hyper, state, scalars, sched_code, sched_params,
    clip_mode, clip_c, noise, noise_scale, bound, x, positions, losses, grad_norms,
):
    """Fill the records; return the number of recorded iterates (< len when it diverged).

    A 2-D run (every landscape of the book) works on stack copies of ``x``, the state rows and
    the scalars (:func:`_stack_array`; copied element by element, since a slice copy's overlap
    test would let them escape), so LLVM keeps them in registers instead of reloading ``x``
    through store forwarding each step; other dimensions use heap arrays. Measured here (2
    shared cores, same run): a 2-D GD step on a quadratic fell from about 100 ns to about
    40 ns. The codes stay runtime values: with both fixed at compile time the step takes 7 ns,
    but each (landscape, rule) specialisation adds 10 to 20 s of compilation.
    """
    if x.size != 2:
        s0, s1, s2 = state_rows(state, x)
        return _trajectory_loop(
            land_code, land_params, opt_code, hyper, s0, s1, s2, scalars, sched_code,
            sched_params, clip_mode, clip_c, noise, noise_scale, bound, x, np.empty_like(x),
            np.empty_like(x), positions, losses, grad_norms,
        )
    n_state = state.shape[0]
    work = _stack_array(x, 2)
    s0 = _stack_array(x, 2)
    s1 = _stack_array(x, 2)
    s2 = _stack_array(x, 2)
    work_scalars = _stack_array(scalars, 4)
    for i in range(2):  # element by element: a slice copy would let the stack arrays escape
        work[i] = x[i]
        s0[i] = state[0, i] if n_state > 0 else 0.0
        s1[i] = state[1, i] if n_state > 1 else 0.0
        s2[i] = state[2, i] if n_state > 2 else 0.0
    for i in range(4):
        work_scalars[i] = scalars[i] if i < scalars.size else 0.0
    n = _trajectory_loop(
        land_code, land_params, opt_code, hyper, s0, s1, s2, work_scalars, sched_code,
        sched_params, clip_mode, clip_c, noise, noise_scale, bound, work, _stack_array(x, 2),
        _stack_array(x, 2), positions, losses, grad_norms,
    )
    for i in range(2):
        x[i] = work[i]
        if n_state > 0:
            state[0, i] = s0[i]
        if n_state > 1:
            state[1, i] = s1[i]
        if n_state > 2:
            state[2, i] = s2[i]
    for i in range(scalars.size):
        scalars[i] = work_scalars[i]
    return n


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
    grad_norms = np.empty(steps + 1)
    n = _trajectory_kernel(
        landscape.code, landscape.params, optimizer.code, optimizer.hyper, state, scalars,
        schedule.code, schedule.params, clip_mode, clip_c, noise,
        noise_std / math.sqrt(batch_size), bound, x0.copy(), positions, losses, grad_norms,
    )
    return Trajectory(
        positions[:n], losses[:n], grad_norms[:n], None if n == steps + 1 else n, n - 1
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


def empirical_rate(errors, burn_in=None) -> float:
    r"""Geometric-mean contraction of the error norms ``errors`` (:math:`e_0 .. e_n`).

    ``burn_in`` (default :math:`n/2`) skips the transient; see the module docstring for the
    floor rule. Returns NaN if ``errors`` holds a non-finite value.
    """
    errors = np.asarray(errors, dtype=np.float64)
    if errors.ndim != 1 or errors.size < 2:
        raise ValueError(f"errors must be a 1-D array of at least 2 values, got {errors.shape}")
    if not np.all(np.isfinite(errors)):
        return math.nan
    if errors[0] <= 0.0:
        raise ValueError(f"errors[0] must be > 0, got {errors[0]!r}")
    return float(_empirical_rate(errors, _check_burn_in(burn_in, errors.size - 1)))


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


FAST_BLOCK = 64
"""Cells advanced together by the heavy-ball fast path (their state stays in L1)."""


@njit(cache=True, error_model="numpy")
def _heavy_ball_block(
    lam0, lam1, u0_start, u1_start, lr, gamma, pytorch_form, steps, burn_in, bound, f0,
    final_loss, rate, diverged,
):
    """Heavy ball on a 2-D quadratic in its eigenbasis, for a block of cells at once.

    ``(u0_start, u1_start)`` is :math:`x_0 - x^*` in eigen-coordinates; ``lr`` and ``gamma``
    hold one value per cell. Cells are the innermost loop, so one step is a few vector
    instructions per four cells. A stopped cell (diverged, or at the floor) is parked at its
    start with zero coefficients: it costs no denormal or NaN arithmetic, and the per-step test
    for stopping cells is a branch-free count.
    """
    n = lr.size
    lr = lr.copy()
    gamma = gamma.copy()
    u0 = np.full(n, u0_start)
    u1 = np.full(n, u1_start)
    v0 = np.zeros(n)
    v1 = np.zeros(n)
    e0_sq = u0_start * u0_start + u1_start * u1_start
    floor_sq = RATE_FLOOR * RATE_FLOOR * e0_sq
    bound_sq = bound * bound
    err_sq = np.empty((steps + 1, n))
    err_sq[0, :] = e0_sq
    m = np.full(n, steps)
    loss = np.full(n, math.nan)
    for k in range(1, steps + 1):
        e_k = err_sq[k]
        running = 0
        if pytorch_form:
            for c in range(n):
                b0 = gamma[c] * v0[c] + lam0 * u0[c]
                b1 = gamma[c] * v1[c] + lam1 * u1[c]
                x0 = u0[c] - lr[c] * b0
                x1 = u1[c] - lr[c] * b1
                v0[c] = b0
                v1[c] = b1
                u0[c] = x0
                u1[c] = x1
                e = x0 * x0 + x1 * x1
                e_k[c] = e
                running += (e > floor_sq) & (e <= bound_sq)
        else:
            for c in range(n):
                w0 = gamma[c] * v0[c] + lr[c] * lam0 * u0[c]
                w1 = gamma[c] * v1[c] + lr[c] * lam1 * u1[c]
                x0 = u0[c] - w0
                x1 = u1[c] - w1
                v0[c] = w0
                v1[c] = w1
                u0[c] = x0
                u1[c] = x1
                e = x0 * x0 + x1 * x1
                e_k[c] = e
                running += (e > floor_sq) & (e <= bound_sq)
        if running == n:
            continue
        for c in range(n):
            if floor_sq < e_k[c] <= bound_sq or m[c] < k or diverged[c]:
                continue
            if e_k[c] <= floor_sq:
                m[c] = k
                loss[c] = f0 + 0.5 * (lam0 * u0[c] * u0[c] + lam1 * u1[c] * u1[c])
            else:
                diverged[c] = True
            gamma[c] = 0.0
            lr[c] = 0.0
            u0[c] = u0_start
            u1[c] = u1_start
            v0[c] = 0.0
            v1[c] = 0.0
    for c in range(n):
        if diverged[c]:
            final_loss[c] = math.nan
            rate[c] = math.nan
            continue
        if m[c] == steps and math.isnan(loss[c]):
            loss[c] = f0 + 0.5 * (lam0 * u0[c] * u0[c] + lam1 * u1[c] * u1[c])
        final_loss[c] = loss[c]
        b = min(burn_in, m[c] // 2)
        rate[c] = _window_rate(math.sqrt(err_sq[b, c]), math.sqrt(err_sq[m[c], c]), m[c] - b)


@njit(cache=True, parallel=True)
def _sweep_heavy_ball(
    lam, u_start, lr, gamma, pytorch_form, steps, burn_in, bound, f0, final_loss, rate,
    diverged,
):
    """Blocks of ``FAST_BLOCK`` cells (flattened grid) in parallel."""
    n_cells = lr.size
    for block in prange((n_cells + FAST_BLOCK - 1) // FAST_BLOCK):
        s = block * FAST_BLOCK
        e = min(s + FAST_BLOCK, n_cells)
        diverged[s:e] = False
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
    for value in values:
        optimizer.with_params(**{name: value})
    return name, values


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
