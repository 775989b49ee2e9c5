r"""Run optimizers on landscapes: trajectories, and sweeps over two hyper-parameters.

:func:`trajectory` follows one optimizer from one start and records every iterate; divergence
is a result, reported as ``diverged_at``, never an exception or a warning. :func:`sweep` runs a
grid of hyper-parameter pairs in parallel (numba ``prange``) and reports, per cell, the final
loss and the measured linear convergence rate of :math:`\|x_t - x^*\|`.

How rates are measured
----------------------
With the errors :math:`e_t = \|x_t - x^*\|`, :math:`t = 0..n` (:math:`x^*` the nearest
minimiser), every measurement here uses one window :math:`[b, m)`, and reads only the errors in
it that lie above the floor ``RATE_FLOOR`` :math:`\cdot e_0 = 10^{-12} e_0` (below it,
rounding takes over where :math:`x^* \ne 0`):

* it ends at :math:`m`, the first step from which the error stays at or below the floor for
  :data:`~optbook.sweep_heavy_ball.SETTLE` :math:`= 20` steps, or until the end of the run; a
  run whose error never settles there is measured over :math:`[b, n]`. An iterate that passes
  exactly through the minimiser and leaves again (error 0 for a step, as heavy ball on
  :math:`\kappa = 1` does) or an error that dips below the floor at a node of its oscillation
  does not end the window, and its error, below the floor, is not read;
* it starts at :math:`b = \min(\text{burn-in}, \lfloor m/2\rfloor)`, burn-in
  :math:`\lfloor n/2\rfloor` unless given, so it is never shorter than half the measured run.

:func:`fitted_rate` (the rate :func:`sweep` reports, and the explorers' "measured") reads the
envelope of the error. It cuts the run into blocks of
:data:`~optbook.sweep_heavy_ball.BLOCK_STEPS` = 8 steps, steps :math:`8q+1 .. 8q+8`, and reads
those that begin in the window, from the first block beginning at or after :math:`b` (and
after the start); the last is cut at the window's end. From each block it takes the largest of
its errors above the floor, at the block's middle :math:`t = 8q + 4.5`, and it returns
:math:`\exp` of the slope of the least-squares line through these points
:math:`(t, \log e)`. On a run whose error oscillates as it decays (momentum with complex roots,
Nesterov) the largest error of a block follows the envelope rather than the nodes, and the line
averages what is left of the oscillation out, where a ratio of two errors depends on where in
the oscillation its end points fall. On a geometric sequence every block's largest error is its
first, and the fitted rate is the sequence's ratio exactly. :func:`empirical_rate` is the
two-point ratio :math:`(e_{t_2}/e_{t_1})^{1/(t_2-t_1)}` between the first and last errors read
in :math:`[b, m)`. A window with fewer than two points to read (errors for the ratio, blocks for
the fit), as in a run at the floor within a few steps, gives :math:`(e_m/e_0)^{1/m}
\le 10^{-12/m}` (exactly 0 for a run that lands on the minimiser and stays). :func:`sweep`
reports each cell's loss at the end of its window, :math:`m`.

On the momentum chapter's rate map (heavy ball on the ravine :math:`\mathrm{diag}(2, 100)`,
500 steps) the ratio of the window's end points, which :func:`sweep` reported before, read
decaying oscillations near :math:`\gamma = 0.99` as growth, and dozens of cells as faster than
Polyak's optimum; the fitted rate measures every cell on the side of 1 that theory puts it
(``tests/test_run.py``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from optbook import landscapes, schedules
from optbook.kernels2d import kernel_2d
from optbook.landscapes import value_and_grad
from optbook.optimizers import Optimizer, State, form_of
from optbook.optimizers.dispatch import (
    apply_step_rows,
    array_kernels,
    gradient_point_rows,
    state_rows,
)
from optbook.schedules import Schedule, apply_clip, schedule_lr
from optbook.sweep_heavy_ball import (
    BLOCK_STEPS,
    RATE_FLOOR,
    SETTLE,
    first_block,
    fit_slope,
    sweep_heavy_ball,
)

MAX_RECORD_BYTES = 1 << 30
"""The most memory a trajectory's records may take (1 GiB); longer runs raise ``ValueError``."""

CHUNK = 1 << 16
"""How many steps a trajectory runs, records and draws noise for at a time, so that a run that
diverges early allocates one chunk, not the whole run."""


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
    state: State
    """The optimizer's state after its last step (for a diverged run, the step that left the
    bounds), with named rows: ``state["v"]``, ``state.step``."""


class Sweep(NamedTuple):
    """A grid of runs; arrays are indexed ``[iy, ix]``."""

    x_name: str
    x_values: np.ndarray
    y_name: str
    y_values: np.ndarray
    final_loss: np.ndarray
    """``(ny, nx)`` loss where the measurement stopped (NaN where diverged)."""
    rate: np.ndarray
    """``(ny, nx)`` :func:`fitted_rate` of :math:`\\|x_t - x^*\\|` (NaN where diverged)."""
    diverged: np.ndarray
    """``(ny, nx)`` bool: some iterate was non-finite or :math:`\\|x_t - x^*\\| >` bound."""


# --------------------------------------------------------------------------- trajectory kernels

_ARRAY_KERNELS = {}


def _array_kernel(opt_code, objective, decay=False):
    """The trajectory kernel of rule ``opt_code`` for any dimension (the landscape's code is a
    run-time argument), or for a reader's jitted ``objective``; ``decay`` as in
    :func:`~optbook.kernels2d.kernel_2d`."""
    key = (opt_code, objective, int(bool(decay)))
    if key not in _ARRAY_KERNELS:
        _ARRAY_KERNELS[key] = _make_array_kernel(*key)
    return _ARRAY_KERNELS[key]


@njit(cache=True, error_model="numpy")
def _landscape_value_and_grad(land_code, land_params, x, g):
    """:func:`~optbook.landscapes.value_and_grad` as a call: its several returns, inlined into
    the generic sweep's parallel loop, would keep numba from running that loop in parallel."""
    return value_and_grad(land_code, land_params, x, g)


@njit(cache=True, error_model="numpy", inline="always")
def _objective(custom, value_fn, grad_fn, land_code, land_params, x, g, point):
    """Return :math:`f(x)` and write :math:`\\nabla f(x)` into ``g``: a built-in landscape's
    formula, or (``custom``, a compile-time constant) a reader's jitted pair, which receives
    the point as the float64 array ``point``."""
    if custom:
        for i in range(x.size):
            point[i] = x[i]
        grad = grad_fn(point)
        for i in range(x.size):
            g[i] = grad[i]
        value = np.float64(value_fn(point))
    else:
        value = _landscape_value_and_grad(land_code, land_params, x, g)
    return value


def _make_array_kernel(opt_code, objective, decay):
    lookahead = form_of(opt_code)[1].lookahead
    custom = objective is not None
    value_fn, grad_fn = objective if custom else (None, None)

    @njit(cache=not custom, error_model="numpy")
    def kernel(land_code, land_params, hyper, rows, scalars, sched_code, sched_params,
               clip_mode, clip_c, noise, noise_scale, bound, step0, x, positions, losses,
               grad_sq):
        """Fill the records of a run in any dimension; return the number of recorded iterates.

        The array counterpart of :func:`optbook.kernels2d.kernel_2d` (which 2-D runs use),
        with the same records, stopping rule and state left behind; ``step0`` is the index of
        ``x`` in the whole run (its schedule counts from there).
        """
        s0, s1, s2 = state_rows(rows, x)
        g = np.empty_like(x)
        look = np.empty_like(x)
        point = np.empty(x.size)
        dim = x.size
        steps = positions.shape[0] - 1
        with_noise = noise.shape[0] > 0
        for k in range(steps + 1):
            loss = _objective(custom, value_fn, grad_fn, land_code, land_params, x, g, point)
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
            if lookahead:
                gradient_point_rows(opt_code, hyper, x, s0, look)
                _objective(custom, value_fn, grad_fn, land_code, land_params, look, g, point)
            if with_noise:
                for i in range(dim):
                    g[i] += noise_scale * noise[k, i]
            apply_clip(clip_mode, clip_c, g)
            lr = schedule_lr(sched_code, sched_params, hyper[0], step0 + k + 1)
            apply_step_rows(opt_code, decay, hyper, lr, x, g, s0, s1, s2, scalars)
        return steps + 1

    return kernel


def _python_run(landscape, optimizer, state, schedule, clip_mode, clip_c, noise, noise_scale,
                bound, step0, x, positions, losses, grad_sq):
    """:func:`_make_array_kernel`'s loop in Python, for a reader's plain Python objective: the
    same records and stopping rule, the rule's step by its compiled array kernel."""
    value, grad = landscape.functions
    step_kernel, point_kernel = array_kernels(optimizer.code, optimizer.decays)
    cast = x.dtype.type
    look = np.empty_like(x)
    steps = positions.shape[0] - 1
    for k in range(steps + 1):
        loss = float(value(landscapes._as_argument(x)))
        g = np.asarray(grad(landscapes._as_argument(x)), dtype=np.float64).astype(x.dtype)
        total = float(np.sum(g.astype(np.float64) ** 2))
        if not (np.all(np.abs(x) <= bound) and math.isfinite(loss) and math.isfinite(total)):
            return k
        positions[k] = x
        losses[k] = loss
        grad_sq[k] = total
        if k == steps:
            break
        if optimizer.lookahead:
            point_kernel(optimizer.hyper, x, state.rows, look)
            g = np.asarray(grad(landscapes._as_argument(look)), dtype=np.float64).astype(x.dtype)
        if noise.shape[0]:
            g = np.array([cast(gi + noise_scale * ni) for gi, ni in zip(g, noise[k],
                                                                       strict=True)])
        schedules.apply_clip(clip_mode, clip_c, g)
        lr = schedules.schedule_lr(schedule.code, schedule.params, optimizer.lr, step0 + k + 1)
        step_kernel(optimizer.hyper, lr, x, g, state.rows, state.scalars)
    return steps + 1


# --------------------------------------------------------------------------- checks


def _check_count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_number(name, value, minimum, strict, finite=False):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if isinstance(value, bool | np.bool_) or math.isnan(number) or number < minimum \
            or (strict and number == minimum) or (finite and math.isinf(number)):
        kind = "a finite number" if finite else "a number"
        raise ValueError(f"{name} must be {kind} {'>' if strict else '>='} {minimum:g}, "
                         f"got {value!r}")
    return number


def _check_inputs(landscape, optimizer, x0):
    if not isinstance(landscape, landscapes.Landscape):
        raise ValueError(f"landscape must be an optbook Landscape, got {type(landscape).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be an optbook Optimizer, got {type(optimizer).__name__}")
    try:
        x0 = np.asarray(x0)
        dtype = np.float32 if x0.dtype == np.float32 else np.float64
        x0 = np.array(x0, dtype=dtype).ravel() if x0.ndim <= 1 else x0
    except (TypeError, ValueError):
        raise ValueError(f"x0 must be {landscape.dim} real numbers, got {x0!r}") from None
    if x0.shape != (landscape.dim,):
        raise ValueError(
            f"x0 must have shape ({landscape.dim},) for {landscape.name}, got {np.shape(x0)}"
        )
    if not np.all(np.isfinite(x0)):
        raise ValueError(f"x0 must be finite, got {x0}")
    return x0


def _check_start(landscape, x0, bound):
    """A run must start inside ``bound`` and at a finite loss: it records its start."""
    if np.any(np.abs(x0) > bound):
        raise ValueError(f"x0 = {x0.tolist()} lies beyond bound = {bound:g}: a run must start "
                         f"inside it")
    loss = landscape.value(x0)
    if not math.isfinite(loss):
        raise ValueError(f"the loss at x0 = {x0.tolist()} is {loss}: a run must start at a "
                         f"finite loss")


def trajectory(
    landscape, optimizer, x0, steps, *, schedule=None, clip=None, noise_std=0.0, batch_size=1,
    seed=0, bound=1e6,
) -> Trajectory:
    r"""Run ``optimizer`` on ``landscape`` from ``x0`` for ``steps`` steps.

    ``schedule``: a :class:`~optbook.schedules.Schedule` scaling ``optimizer.lr`` per step.
    ``clip``: ``None``, ``("value", c)`` or ``("norm", c)``, applied to the (noisy) gradient.
    ``noise_std`` :math:`\sigma`, ``batch_size`` :math:`S`: mini-batch noise, each gradient
    component gets :math:`\mathcal N(0, \sigma^2/S)` from ``np.random.default_rng(seed)``
    (drawn :data:`CHUNK` steps at a time as the run goes, the same numbers as drawn at once),
    so a run is reproducible. The run stops at the first iterate with a non-finite coordinate,
    loss or gradient, or with a coordinate beyond ``bound`` in absolute value; that index is
    ``diverged_at``. ``x0`` must lie within ``bound`` at a finite loss, and the records may
    take at most :data:`MAX_RECORD_BYTES`. Arithmetic follows ``x0``'s dtype (float32 or
    float64). The result holds the optimizer's final :class:`~optbook.optimizers.state.State`.
    """
    x0 = _check_inputs(landscape, optimizer, x0)
    steps = _check_count("steps", steps, 1)
    batch_size = _check_count("batch_size", batch_size, 1)
    noise_std = _check_number("noise_std", noise_std, 0.0, strict=False, finite=True)
    bound = _check_number("bound", bound, 0.0, strict=True)
    if schedule is None:
        schedule = schedules.constant()
    if not isinstance(schedule, Schedule):
        raise ValueError(f"schedule must be None or a Schedule, got {type(schedule).__name__}")
    clip_mode, clip_c = schedules.parse_clip(clip)
    dim = landscape.dim
    record_bytes = (steps + 1) * (dim * x0.dtype.itemsize + 16)
    if record_bytes > MAX_RECORD_BYTES:
        most = MAX_RECORD_BYTES // (dim * x0.dtype.itemsize + 16) - 1
        raise ValueError(f"steps = {steps} would record {record_bytes / 2**30:.1f} GiB of "
                         f"iterates; at most {most} steps fit in {MAX_RECORD_BYTES / 2**30:g} "
                         f"GiB for a {dim}-D run")
    _check_start(landscape, x0, bound)
    state = optimizer.init_state(dim, x0.dtype)
    rng = np.random.default_rng(seed) if noise_std > 0.0 else None
    noise_scale = noise_std / math.sqrt(batch_size)
    records = []
    x = x0.copy()
    done = 0
    while True:
        size = min(CHUNK, steps - done)
        noise = rng.standard_normal((size, dim)) if rng is not None else np.empty((0, dim))
        chunk = (np.empty((size + 1, dim), dtype=x0.dtype), np.empty(size + 1),
                 np.empty(size + 1))
        n = _run_chunk(landscape, optimizer, state, schedule, clip_mode, clip_c, noise,
                       noise_scale, bound, done, x, *chunk)
        records.append(tuple(r[:n] if done == 0 else r[1:n] for r in chunk))
        done += size
        if n < size + 1 or done == steps:
            break
        x = chunk[0][-1].copy()
    positions, losses, grad_sq = (np.concatenate(parts) for parts in zip(*records, strict=True))
    total = len(losses)
    return Trajectory(positions, losses, np.sqrt(grad_sq),
                      None if total == steps + 1 else total, total - 1, state)


def _run_chunk(landscape, optimizer, state, schedule, clip_mode, clip_c, noise, noise_scale,
               bound, step0, x, positions, losses, grad_sq):
    """Run one chunk from ``x`` (the run's iterate ``step0``); returns the iterates recorded."""
    args = (state.rows, state.scalars, schedule.code, schedule.params, clip_mode, clip_c, noise,
            noise_scale, bound, step0)
    if not landscape.jitted:
        return _python_run(landscape, optimizer, state, schedule, clip_mode, clip_c, noise,
                           noise_scale, bound, step0, x.copy(), positions, losses, grad_sq)
    if landscape.dim == 2:
        kernel = kernel_2d(landscape.code, optimizer.code, landscape.objective, optimizer.decays)
        return kernel(landscape.params, optimizer.hyper, x, *args, positions, losses, grad_sq)
    kernel = _array_kernel(optimizer.code, landscape.objective, optimizer.decays)
    return kernel(landscape.code, landscape.params, optimizer.hyper, *args, x.copy(),
                  positions, losses, grad_sq)


# --------------------------------------------------------------------------- rates


@njit(cache=True)
def _window(errors, burn_in):
    """``(b, end, m)``: the measurement window ``range(b, end)`` and the step ``m`` it ends at
    (module docstring)."""
    n = errors.size - 1
    floor = RATE_FLOOR * errors[0]
    since = -1
    for k in range(1, n + 1):
        if errors[k] <= floor:
            if since < 0:
                since = k
            if k - since + 1 >= SETTLE:
                break
        else:
            since = -1
    m = since if since >= 0 else n
    return min(burn_in, m // 2), (m if since >= 0 else n + 1), m


@njit(cache=True)
def _fitted_rate(errors, burn_in):
    b, end, m = _window(errors, burn_in)
    floor = RATE_FLOOR * errors[0]
    count = 0.0
    sum_t = sum_tt = sum_y = sum_ty = 0.0
    for block in range(first_block(b), end, BLOCK_STEPS):
        # steps block .. block + 7, cut at the window's end, read at the block's middle
        top = floor
        for t in range(block, min(block + BLOCK_STEPS, end)):
            top = max(top, errors[t])
        if top > floor:
            t = block + 0.5 * (BLOCK_STEPS - 1)
            y = math.log(top)
            count += 1.0
            sum_t += t
            sum_tt += t * t
            sum_y += y
            sum_ty += t * y
    if count < 2.0:
        return (errors[m] / errors[0]) ** (1.0 / m)
    return math.exp(fit_slope(count, sum_t, sum_tt, sum_y, sum_ty))


@njit(cache=True)
def _empirical_rate(errors, burn_in):
    b, end, m = _window(errors, burn_in)
    floor = RATE_FLOOR * errors[0]
    first = last = -1
    for k in range(b, end):
        if errors[k] > floor:
            if first < 0:
                first = k
            last = k
    if last - first < 1:
        return (errors[m] / errors[0]) ** (1.0 / m)
    return (errors[last] / errors[first]) ** (1.0 / (last - first))


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
    try:
        errors = np.asarray(errors, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"errors must be a 1-D array of numbers, got {errors!r}") from None
    if errors.ndim != 1 or errors.size < minimum:
        raise ValueError(
            f"errors must be a 1-D array of at least {minimum} values, got {errors.shape}"
        )
    if not np.all(np.isfinite(errors)):
        return None
    if np.any(errors < 0.0):
        raise ValueError("errors must be norms, >= 0; got a negative value")
    if errors[0] <= 0.0:
        raise ValueError(f"errors[0] must be > 0, got {errors[0]!r}")
    return errors


def empirical_rate(errors, burn_in=None) -> float:
    r"""Two-point contraction of the error norms ``errors`` (:math:`e_0 .. e_n`) over the
    measurement window (module docstring): :math:`(e_{m'}/e_b)^{1/(m'-b)}`.

    ``burn_in`` defaults to :math:`\lfloor n/2\rfloor`. Returns NaN if ``errors`` holds a
    non-finite value. On an oscillating error prefer :func:`fitted_rate`.
    """
    errors = _error_norms(errors, 2)
    if errors is None:
        return math.nan
    return float(_empirical_rate(errors, _check_burn_in(burn_in, errors.size - 1)))


def fitted_rate(errors, burn_in=None) -> float:
    r"""Linear rate of the error norms ``errors`` (:math:`e_0 .. e_n`): :math:`\exp` of the
    slope of the least-squares line through the log of the largest error of each 8-step block
    of the measurement window (module docstring), the rate :func:`sweep` reports.

    ``burn_in`` defaults to :math:`\lfloor n/2\rfloor`. On an oscillating run (momentum with
    complex roots, Nesterov) the ratio of two errors, as in :func:`empirical_rate`, depends on
    where in the oscillation its end points fall; the blocks' largest errors follow the
    envelope. Returns NaN if ``errors`` holds a non-finite value.
    """
    errors = _error_norms(errors, 2)
    if errors is None:
        return math.nan
    return float(_fitted_rate(errors, _check_burn_in(burn_in, errors.size - 1)))


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


_SWEEP_KERNELS = {}


def _sweep_kernel(opt_code, objective, decay):
    """The generic sweep of rule ``opt_code`` (any landscape, any two hyper-parameters)."""
    key = (opt_code, objective, int(bool(decay)))
    if key not in _SWEEP_KERNELS:
        _SWEEP_KERNELS[key] = _make_sweep_kernel(*key)
    return _SWEEP_KERNELS[key]


@njit(cache=True, inline="always")
def _generic_cell(custom, value_fn, grad_fn, opt_code, lookahead, decay, land_code,
                  land_params, minimizers, h, initial, n_scalars, x0, steps, burn_in, bound):
    """One cell of the generic sweep: ``(final loss, rate, diverged)``."""
    dim = x0.size
    x = x0.copy()
    g = np.empty(dim)
    look = np.empty(dim)
    point = np.empty(dim)
    rows = np.zeros((initial.size, dim))
    for r in range(initial.size):
        if initial[r] >= 0:
            rows[r, :] = h[initial[r]]
    s0, s1, s2 = state_rows(rows, x)
    scalars = np.ones(n_scalars)
    scalars[0] = 0.0
    errors = np.empty(steps + 1)
    losses = np.empty(steps + 1)
    errors[0] = _distance_to_nearest(x0, minimizers)
    last = steps
    since = -1
    beyond = False
    # one exit only: an inlined early return would keep numba from running the cells'
    # loop in parallel
    for k in range(1, steps + 1):
        losses[k - 1] = _objective(custom, value_fn, grad_fn, land_code, land_params, x, g,
                                   point)
        if lookahead:
            gradient_point_rows(opt_code, h, x, s0, look)
            _objective(custom, value_fn, grad_fn, land_code, land_params, look, g, point)
        apply_step_rows(opt_code, decay, h, h[0], x, g, s0, s1, s2, scalars)
        errors[k] = _distance_to_nearest(x, minimizers)
        if not (errors[k] <= bound):
            beyond = True
            break
        if errors[k] <= RATE_FLOOR * errors[0]:
            since = k if since < 0 else since
            if k - since + 1 >= SETTLE:
                last = k
                break
        else:
            since = -1
    loss = math.nan
    rate = math.nan
    if not beyond:
        losses[last] = _objective(custom, value_fn, grad_fn, land_code, land_params, x, g, point)
        loss = losses[since if since >= 0 else last]
        rate = _fitted_rate(errors[: last + 1], burn_in)
    return loss, rate, beyond


def _make_sweep_kernel(opt_code, objective, decay):
    lookahead = form_of(opt_code)[1].lookahead
    custom = objective is not None
    value_fn, grad_fn = objective if custom else (None, None)

    @njit(cache=not custom, parallel=True)
    def sweep_kernel(land_code, land_params, minimizers, hyper, initial, n_scalars, ix,
                     x_values, iy, y_values, x0, steps, burn_in, bound, final_loss, rate,
                     diverged):
        """Every cell runs the whole optimizer/landscape machinery; cells in parallel."""
        nx = x_values.size
        for c in prange(nx * y_values.size):
            h = hyper.copy()
            h[ix] = x_values[c % nx]
            h[iy] = y_values[c // nx]
            final_loss[c], rate[c], diverged[c] = _generic_cell(
                custom, value_fn, grad_fn, opt_code, lookahead, decay, land_code, land_params,
                minimizers, h, initial, n_scalars, x0, steps, burn_in, bound,
            )

    return sweep_kernel


def _python_sweep(landscape, optimizer, grid, x0, steps, burn_in, bound, final_loss, rate,
                  diverged):
    """The generic sweep in Python, for a reader's plain Python objective."""
    for c, values in enumerate(grid):
        opt = optimizer.with_params(**values)
        traj = trajectory(landscape, opt, x0, steps, bound=math.inf)
        errors = np.array([_distance_to_nearest(x, landscape.minimizers)
                           for x in traj.positions])
        beyond = np.flatnonzero(~(errors <= bound))
        if traj.diverged_at is not None or beyond.size:
            final_loss[c], rate[c], diverged[c] = math.nan, math.nan, True
            continue
        final_loss[c] = traj.losses[_window(errors, burn_in)[2]]
        rate[c] = _fitted_rate(errors, burn_in)
        diverged[c] = False


def _axis(optimizer, spec, which):
    if not (isinstance(spec, tuple | list) and len(spec) == 2 and isinstance(spec[0], str)):
        raise ValueError(f"{which} must be a pair (hyper-parameter name, values), got {spec!r}")
    name, values = spec
    numeric = [h.name for h in optimizer.rule.hypers_for(optimizer.form) if not h.boolean]
    if name not in numeric:
        raise ValueError(
            f"{which}: {optimizer.name} has no real hyper-parameter {name!r}; known: {numeric}"
        )
    if values is None:
        raise ValueError(f"{which}: give the values of {name}, as {which}=({name!r}, values)")
    try:
        values = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"{which}: the values of {name} must be numbers, got {values!r}") \
            from None
    if values.size == 0:
        raise ValueError(f"{which}: the values of {name} must not be empty")
    # Every hyper-parameter's rule is an interval (the registry's validators), so when the
    # extremes pass and no value is NaN, all pass: two constructions instead of one per value
    # (256 values cost 3 ms). Otherwise each value in turn, so the error names the first bad one.
    if np.isnan(values).any() or not _valid(optimizer, name, values.min(), values.max()):
        for value in values:
            try:
                optimizer.with_params(**{name: float(value)})
            except ValueError as error:
                raise ValueError(f"{which}: {error}") from None
    return name, values


def _valid(optimizer, name, *values):
    try:
        for value in values:
            optimizer.with_params(**{name: float(value)})
    except ValueError:
        return False
    return True


def sweep(
    landscape, optimizer, x0, steps, *, x=("lr", None), y=("gamma", None), burn_in=None,
    bound=1e6, fast_path=True,
) -> Sweep:
    r"""Run ``optimizer`` from ``x0`` for every pair of the two hyper-parameters ``x`` and ``y``.

    ``x`` and ``y`` are ``(name, values)`` pairs naming two different real hyper-parameters of
    ``optimizer`` (the others keep the optimizer's values). Each cell reports its final loss and
    the :func:`fitted_rate` of :math:`\|x_t - x^*\|` (see the module docstring; ``burn_in``
    defaults to ``steps // 2``); a cell diverges when an iterate is non-finite or
    :math:`\|x_t - x^*\| >` ``bound``. Arithmetic is float64, cells run in parallel.

    Heavy ball (either form, so also GD as the :math:`\gamma = 0` row) over ``lr`` and
    ``gamma`` on a 2-D quadratic takes a fast path in the Hessian's eigenbasis with many cells
    per vector instruction (:mod:`optbook.sweep_heavy_ball`); it computes the same iterates up
    to rounding, and its rates agree with the generic path's to about :math:`10^{-12}`
    (``fast_path=False`` forces the generic path, for comparison).
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
    if _distance_to_nearest(x0, np.asarray(landscape.minimizers, dtype=np.float64)) == 0.0:
        raise ValueError(f"x0 = {x0.tolist()} is a minimiser: there is no rate to measure")
    _check_start(landscape, x0, math.inf)
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
        and optimizer.name == "momentum"
        and optimizer.weight_decay == 0.0
        and optimizer.dampening == 0.0
        and {x_name, y_name} == {"lr", "gamma"}
    ):
        lam, vectors = np.linalg.eigh(landscape.hessian(x0))
        sweep_heavy_ball(
            lam, vectors.T @ (x0 - landscape.minimizers[0]), grid["lr"].ravel(),
            grid["gamma"].ravel(), optimizer.form == "pytorch", steps, burn_in, bound,
            float(landscape.min_value), final_loss, rate, diverged,
        )
    elif not landscape.jitted:
        cells = [{y_name: float(a), x_name: float(b)}
                 for a, b in zip(grid[y_name].ravel(), grid[x_name].ravel(), strict=True)]
        _python_sweep(landscape, optimizer, cells, x0, steps, burn_in, bound, final_loss, rate,
                      diverged)
    else:
        names = optimizer.hyper_names
        form = optimizer._form
        initial = np.array([names.index(form.initial[row]) if row in form.initial else -1
                            for row in form.rows], dtype=np.int64)
        decay_axis = optimizer.rule.decay in (x_name, y_name)
        axis_values = x_values if optimizer.rule.decay == x_name else y_values
        decay = optimizer.decays or (decay_axis and bool(np.any(axis_values != 0.0)))
        _sweep_kernel(optimizer.code, landscape.objective, decay)(
            landscape.code, landscape.params, np.asarray(landscape.minimizers, dtype=np.float64),
            np.array(optimizer.hyper), initial, optimizer.n_scalars, names.index(x_name),
            x_values, names.index(y_name), y_values, x0, steps, burn_in, bound, final_loss,
            rate, diverged,
        )
    shape = (y_values.size, x_values.size)
    return Sweep(
        x_name, x_values, y_name, y_values, final_loss.reshape(shape), rate.reshape(shape),
        diverged.reshape(shape),
    )
