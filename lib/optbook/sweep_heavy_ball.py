r"""The fast path of :func:`optbook.run.sweep`: heavy ball over (η, γ) on a 2-D quadratic.

In the Hessian's eigenbasis the heavy ball moves each coordinate on its own, so a cell of the
grid is four numbers (two coordinates, two velocities) and a step is a few multiplications.
Cells are advanced in blocks of :data:`FAST_BLOCK`, cells in the loop and the
:data:`BLOCK_STEPS` steps of a measurement block unrolled inside it, which LLVM vectorises (8
cells per AVX-512 instruction); blocks of cells run in parallel.

The rate of a cell is measured as :func:`optbook.run.fitted_rate` measures one run (see
:mod:`optbook.run`): through the largest error above the floor of each block of
:data:`BLOCK_STEPS` steps of the window. A cell keeps its block's largest squared error in a
register; at the end of the block it adds that point to five running sums (count,
:math:`\sum t`, :math:`\sum t^2`, :math:`\sum\log e^2`, :math:`\sum t\log e^2`), with a
vectorisable logarithm (:func:`log_positive`): one logarithm per cell and block, where a libm
call per cell and step would cost more than the whole step. The same register tells whether
the error passed the bound; a cell whose block ends at or below the floor is stepped through
that block again alone, from the state kept at its start, to find the step it settled at, if
it did.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

RATE_FLOOR = 1e-12
"""Relative error :math:`e_t/e_0` at which rate measurements stop (as in :mod:`optbook.run`)."""

SETTLE = 20
"""Consecutive steps at or below the floor after which a run counts as settled there (as in
:mod:`optbook.run`)."""

BLOCK_STEPS = 8
"""The measurement reads the largest error of each block of this many steps (steps
:math:`8q+1 .. 8q+8`), as in :mod:`optbook.run`."""

FAST_BLOCK = 256
"""Cells one task advances together (about 39 KB of state)."""

SNAPSHOT_STEPS = 32
"""Before the window, every cell's state is kept every this many steps, so that a cell run
again starts from the last one before its window instead of from the start."""

# The fields of a block of cells, one after another, FAST_BLOCK values each: coordinates,
# velocities, momentum, the two rate coefficients, the fit's five running sums; the state at
# the start of the current block, how the block ended (_OUT), the cell's own window start
# and the step a cell run again starts from.
(_U0, _U1, _V0, _V1, _CG, _CA0, _CA1, _SN, _ST, _STT, _SY, _STY, _PU0, _PU1, _PV0, _PV1, _OUT,
 _B, _K0) = (i * FAST_BLOCK for i in range(19))
_FIELDS = 19
_MOVED = 12
"""The first fields, which move with a cell to a freed slot in the main pass (the others
are read only in the block that just ended, or are the same for every cell)."""
_RUNNING, _AT_FLOOR, _BEYOND = 0.0, 1.0, 2.0
"""How a block ended for a cell (its ``_OUT``): between the floor and the bound, at or below
the floor, or beyond the bound (or NaN) at one of its steps."""

_LN2 = math.log(2.0)


@intrinsic
def _float_bits(typingctx, value):
    """The bits of a float64 as an int64."""
    if value != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _bits_float(typingctx, value):
    """The float64 whose bits are an int64."""
    if value != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@njit(cache=True, error_model="numpy", inline="always")
def log_positive(x):
    r"""Natural logarithm of a positive normal float64, in operations LLVM vectorises.

    With :math:`x = 2^e m`, :math:`m \in [\sqrt{1/2}, \sqrt2)`, :math:`\log x = e\ln 2 +
    2\,\mathrm{artanh}\,s` where :math:`s = (m-1)/(m+1)`, :math:`|s| < 0.172`; the series of
    :math:`\mathrm{artanh}` is summed to :math:`s^{11}`, so the error is below twice the next
    term, :math:`2|s|^{13}/13 < 1.8\cdot10^{-11}` (tested against ``math.log``).
    """
    bits = _float_bits(x)
    exponent = (bits >> 52) - 1023
    mantissa = _bits_float((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)
    if mantissa > 1.4142135623730951:
        mantissa = 0.5 * mantissa
        exponent += 1
    s = (mantissa - 1.0) / (mantissa + 1.0)
    z = s * s
    series = 1.0 + z * (1.0 / 3.0 + z * (1.0 / 5.0 + z * (1.0 / 7.0 + z * (1.0 / 9.0 + z * (
        1.0 / 11.0)))))
    return exponent * _LN2 + 2.0 * s * series


@njit(cache=True, error_model="numpy", inline="always")
def fit_slope(count, sum_t, sum_tt, sum_y, sum_ty):
    r"""Slope of the least-squares line through ``count`` points :math:`(t, y)`, from the
    sums :math:`\sum t`, :math:`\sum t^2`, :math:`\sum y` and :math:`\sum t y`."""
    return (count * sum_ty - sum_t * sum_y) / (count * sum_tt - sum_t * sum_t)


@njit(cache=True, error_model="numpy", inline="always")
def _move(u0, u1, v0, v1, gamma, a0, a1, lam0, lam1, pytorch_form):
    """One heavy-ball step in the eigenbasis: coefficients ``(gamma, lr lam0, lr lam1)`` in the
    velocity form, ``(gamma, lr, lr)`` in the PyTorch form (``lr lam`` rounded before it meets
    ``u``, as the fast path always formed it)."""
    if pytorch_form:
        w0 = gamma * v0 + lam0 * u0
        w1 = gamma * v1 + lam1 * u1
        return u0 - a0 * w0, u1 - a1 * w1, w0, w1
    w0 = gamma * v0 + a0 * u0
    w1 = gamma * v1 + a1 * u1
    return u0 - w0, u1 - w1, w0, w1


@njit(cache=True, error_model="numpy", inline="always")
def _add_point(st, c, e, t):
    """Add the point :math:`(t, \\log e)` to the sums of the cell in slot ``c`` if ``e > 0``
    (a block with an error above the floor)."""
    y = log_positive(e) if e > 0.0 else 0.0
    weight = 1.0 if e > 0.0 else 0.0
    st[_SN + c] += weight
    st[_ST + c] += weight * t
    st[_STT + c] += weight * t * t
    st[_SY + c] += y
    st[_STY + c] += t * y


@njit(cache=True, error_model="numpy", inline="always")
def _run(st, active, first, count, pytorch_form, lam0, lam1, floor_sq, bound_sq, window,
         offset, last_step):
    r"""Steps ``first .. first + count - 1`` (a block, or the end of a run) of the first
    ``active`` cells; returns how many of them ended the block at or below the floor, or
    passed the bound (or NaN) at one of its steps, as marked in their ``_OUT`` field.

    With ``window`` (a constant), each cell adds the block's largest squared error, if above
    the floor, to its sums, at the block's middle; with ``offset`` (a constant) as well, a
    cell's steps count from its own start ``_K0``, it reads the block only from its own window
    start ``_B`` on, and only the steps up to ``last_step``.
    ``st`` holds the fields one after another, so every access is a constant offset from one
    pointer: LLVM proves they do not overlap and vectorises the loop over cells without
    runtime alias checks; with a constant ``count`` the steps are unrolled. The loop runs to a
    multiple of 8 slots: free slots hold zeros, and their results are not read.
    """
    outside = 0
    for c in range((active + 7) // 8 * 8):
        u0, u1, v0, v1 = st[_U0 + c], st[_U1 + c], st[_V0 + c], st[_V1 + c]
        st[_PU0 + c] = u0
        st[_PU1 + c] = u1
        st[_PV0 + c] = v0
        st[_PV1 + c] = v1
        gamma, a0, a1 = st[_CG + c], st[_CA0 + c], st[_CA1 + c]
        k0 = st[_K0 + c] if offset else 0.0
        highest = 0.0
        e = 0.0
        for i in range(count):
            u0, u1, v0, v1 = _move(u0, u1, v0, v1, gamma, a0, a1, lam0, lam1, pytorch_form)
            e = u0 * u0 + u1 * u1
            if offset:
                highest = e if (e > highest) & (k0 + (first + i) <= last_step) else highest
            else:
                highest = e if e > highest else highest
        st[_U0 + c] = u0
        st[_U1 + c] = u1
        st[_V0 + c] = v0
        st[_V1 + c] = v1
        beyond = not ((e <= bound_sq) & (highest <= bound_sq))
        st[_OUT + c] = _BEYOND if beyond else (_AT_FLOOR if e <= floor_sq else _RUNNING)
        outside += 1 if (beyond | (e <= floor_sq)) & (c < active) else 0
        if window:
            block = k0 + first
            read = (highest > floor_sq) & (block >= st[_B + c]) if offset else highest > floor_sq
            _add_point(st, c, highest if read else 0.0, block + 0.5 * (BLOCK_STEPS - 1))
    return outside


@njit(cache=True, error_model="numpy")
def _run_main(st, active, first, count, pytorch_form, lam0, lam1, floor_sq, bound_sq, window):
    """:func:`_run` without offsets: a version for each form and window with a whole block of
    steps, one for the steps left at the end of a run."""
    if count != BLOCK_STEPS:
        return _run(st, active, first, count, pytorch_form, lam0, lam1, floor_sq, bound_sq,
                    window, False, 0.0)
    if pytorch_form:
        if window:
            return _run(st, active, first, BLOCK_STEPS, True, lam0, lam1, floor_sq, bound_sq,
                        True, False, 0.0)
        return _run(st, active, first, BLOCK_STEPS, True, lam0, lam1, floor_sq, bound_sq,
                    False, False, 0.0)
    if window:
        return _run(st, active, first, BLOCK_STEPS, False, lam0, lam1, floor_sq, bound_sq,
                    True, False, 0.0)
    return _run(st, active, first, BLOCK_STEPS, False, lam0, lam1, floor_sq, bound_sq, False,
                False, 0.0)


@njit(cache=True, error_model="numpy")
def _run_again(st, active, first, pytorch_form, lam0, lam1, floor_sq, last_step):
    """:func:`_run` from each cell's own start, over its own window, a whole block of
    steps."""
    if pytorch_form:
        return _run(st, active, first, BLOCK_STEPS, True, lam0, lam1, floor_sq, math.inf, True,
                    True, last_step)
    return _run(st, active, first, BLOCK_STEPS, False, lam0, lam1, floor_sq, math.inf, True,
                True, last_step)


@njit(cache=True, error_model="numpy", inline="always")
def _load(st, c, u0_start, u1_start, lr, gamma, lam0, lam1, pytorch_form, start):
    """Put a cell at the start in slot ``c``: its coefficients and its window's first step
    ``start``."""
    st[_U0 + c] = u0_start
    st[_U1 + c] = u1_start
    st[_V0 + c] = 0.0
    st[_V1 + c] = 0.0
    st[_CG + c] = gamma
    st[_CA0 + c] = lr if pytorch_form else lr * lam0
    st[_CA1 + c] = lr if pytorch_form else lr * lam1
    st[_SN + c] = 0.0
    st[_ST + c] = 0.0
    st[_STT + c] = 0.0
    st[_SY + c] = 0.0
    st[_STY + c] = 0.0
    st[_B + c] = start
    st[_K0 + c] = 0.0


@njit(cache=True, error_model="numpy", inline="always")
def first_block(b):
    """The first step of the first block of steps :math:`8q+1 .. 8q+8` that begins at or
    after step ``b`` (and after the start)."""
    return (max(b, 1) + BLOCK_STEPS - 2) // BLOCK_STEPS * BLOCK_STEPS + 1


@njit(cache=True, error_model="numpy", inline="always")
def _window_start(end, steps, burn_in):
    """The first step read in a window ``range(b, end)``, the first block from :math:`b`:
    ``end`` is ``steps + 1`` for a run measured to its end, else the step :math:`m` its error
    settled at the floor."""
    return first_block(min(burn_in, min(end, steps) // 2))


@njit(cache=True, error_model="numpy", inline="always")
def _sums_rate(st, c):
    """The rate from the sums of the cell in slot ``c`` (its slope is that of
    :math:`\\log e^2`); NaN with fewer than two points, to be measured again alone."""
    count = st[_SN + c]
    if count < 2.0:
        return math.nan
    return math.exp(0.5 * fit_slope(count, st[_ST + c], st[_STT + c], st[_SY + c],
                                    st[_STY + c]))


@njit(cache=True, error_model="numpy")
def _cell_rate(u0_start, u1_start, lr, gamma, lam0, lam1, pytorch_form, steps, end):
    r"""One cell's rate when its window holds fewer than two blocks' points:
    :math:`(e_m/e_0)^{1/m}`, the cell run alone up to :math:`m` with the same arithmetic."""
    m = min(end, steps)
    a0 = lr if pytorch_form else lr * lam0
    a1 = lr if pytorch_form else lr * lam1
    u0, u1, v0, v1 = u0_start, u1_start, 0.0, 0.0
    for _ in range(m):
        u0, u1, v0, v1 = _move(u0, u1, v0, v1, gamma, a0, a1, lam0, lam1, pytorch_form)
    return math.sqrt((u0 * u0 + u1 * u1) / (u0_start * u0_start + u1_start * u1_start)) ** (
        1.0 / m)


@njit(cache=True, error_model="numpy")
def _stays_below(u0, u1, v0, v1, gamma, a0, a1, lam0, lam1, pytorch_form, floor_sq, count):
    """Whether a cell whose error is at or below the floor stays there for the next ``count``
    steps (run on a copy of its state, with the same arithmetic)."""
    for _ in range(count):
        u0, u1, v0, v1 = _move(u0, u1, v0, v1, gamma, a0, a1, lam0, lam1, pytorch_form)
        if u0 * u0 + u1 * u1 > floor_sq:
            return False
    return True


@njit(cache=True, error_model="numpy")
def _settle_step(st, c, first, count, steps, pytorch_form, lam0, lam1, floor_sq):
    """The cell in slot ``c``, whose block ``first .. first + count - 1`` ended at or below the
    floor, stepped through the block again from the state kept at its start: ``(m, u0, u1)``
    at the step ``m`` from which its error stays at the floor, or ``(0, ., .)`` if it leaves
    again (it passed the floor at a node of its oscillation)."""
    u0, u1, v0, v1 = st[_PU0 + c], st[_PU1 + c], st[_PV0 + c], st[_PV1 + c]
    gamma, a0, a1 = st[_CG + c], st[_CA0 + c], st[_CA1 + c]
    for k in range(first, first + count):
        u0, u1, v0, v1 = _move(u0, u1, v0, v1, gamma, a0, a1, lam0, lam1, pytorch_form)
        if u0 * u0 + u1 * u1 <= floor_sq and _stays_below(
                u0, u1, v0, v1, gamma, a0, a1, lam0, lam1, pytorch_form, floor_sq,
                min(SETTLE - 1, steps - k)):
            return k, u0, u1
    return 0, u0, u1


@njit(cache=True, error_model="numpy", inline="always")
def _finish(st, c, j, m, x0, x1, big_b, steps, burn_in, f0, lam0, lam1, end, final_loss,
            rate, diverged):
    """Record cell ``j`` (in slot ``c``, at ``(x0, x1)``), whose window ends at ``m``
    (``steps + 1`` for a window to the end of the run): its loss there, and its rate if its
    window starts at ``big_b`` (NaN until it is run again otherwise)."""
    diverged[j] = False
    final_loss[j] = f0 + 0.5 * (lam0 * x0 * x0 + lam1 * x1 * x1)
    end[j] = m
    rate[j] = _sums_rate(st, c) if _window_start(m, steps, burn_in) == big_b else math.nan


@njit(cache=True, error_model="numpy")
def _block(lam0, lam1, u0_start, u1_start, lr, gamma, pytorch_form, steps, burn_in, bound,
           f0, final_loss, rate, diverged):
    r"""Heavy ball on a 2-D quadratic in its eigenbasis, for a block of cells at once.

    ``(u0_start, u1_start)`` is :math:`x_0 - x^*` in eigen-coordinates; ``lr`` and ``gamma``
    hold one value per cell (at most :data:`FAST_BLOCK`). Only the cells still running are
    advanced: a cell that stops (beyond the bound or NaN, or settled at the floor) is recorded
    and the last running cell moves into its slot (on the book's benchmark grid most diverged
    cells stop within 30 steps). Every cell's window starts at :math:`b = \min(\text{burn-in},
    \lfloor n/2\rfloor)` and no cell reads its errors before it; a cell whose window ends at
    :math:`m < 2b` starts its window at :math:`\lfloor m/2\rfloor` instead: those are run again
    afterwards (the same arithmetic, so the same bits).
    """
    n = lr.size
    e0_sq = u0_start * u0_start + u1_start * u1_start
    floor_sq = RATE_FLOOR * RATE_FLOOR * e0_sq
    bound_sq = bound * bound
    big_b = _window_start(steps + 1, steps, burn_in)
    st = np.zeros(_FIELDS * FAST_BLOCK)
    snapshots = np.empty((big_b // SNAPSHOT_STEPS + 1, 4, n))
    slot_cell = np.arange(FAST_BLOCK)
    end = np.full(n, steps + 1)
    for c in range(n):
        _load(st, c, u0_start, u1_start, lr[c], gamma[c], lam0, lam1, pytorch_form, big_b)
    active = n
    k = 0
    while k < steps and active > 0:
        count = min(BLOCK_STEPS, steps - k)
        outside = _run_main(st, active, float(k + 1), count, pytorch_form, lam0, lam1,
                            floor_sq, bound_sq, k + 1 >= big_b)
        k += count
        if k < big_b and k % SNAPSHOT_STEPS == 0:
            _snapshot(st, active, slot_cell, snapshots[k // SNAPSHOT_STEPS])
        # downwards, so the cell moved into slot c from the end was already looked at
        c = active
        while outside > 0:
            c -= 1
            if st[_OUT + c] == _RUNNING:
                continue
            outside -= 1
            j = slot_cell[c]
            if st[_OUT + c] == _BEYOND:
                # no step of a block can pass the bound after the run has settled at the floor
                diverged[j] = True
                final_loss[j] = math.nan
                rate[j] = math.nan
            else:
                m, x0, x1 = _settle_step(st, c, k - count + 1, count, steps, pytorch_form,
                                         lam0, lam1, floor_sq)
                if m == 0:
                    continue
                _finish(st, c, j, m, x0, x1, big_b, steps, burn_in, f0, lam0, lam1, end,
                        final_loss, rate, diverged)
            active -= 1
            for field in range(_MOVED):
                st[field * FAST_BLOCK + c] = st[field * FAST_BLOCK + active]
            slot_cell[c] = slot_cell[active]
            _clear(st, active)
    for c in range(active):
        _finish(st, c, slot_cell[c], steps + 1, st[_U0 + c], st[_U1 + c], big_b, steps,
                burn_in, f0, lam0, lam1, end, final_loss, rate, diverged)
    _run_short_windows(st, slot_cell, snapshots, lam0, lam1, u0_start, u1_start, lr, gamma,
                       pytorch_form, steps, burn_in, big_b, floor_sq, end, rate,
                       diverged)
    # cells whose window holds fewer than two points: their two-point contraction
    for j in range(n):
        if not diverged[j] and not rate[j] >= 0.0:
            rate[j] = _cell_rate(u0_start, u1_start, lr[j], gamma[j], lam0, lam1,
                                 pytorch_form, steps, end[j])


@njit(cache=True, error_model="numpy")
def _run_short_windows(st, slot_cell, snapshots, lam0, lam1, u0_start, u1_start, lr, gamma,
                       pytorch_form, steps, burn_in, big_b, floor_sq, end, rate,
                       diverged):
    """Measure the cells whose window ends at :math:`m < 2b` over :math:`[m/2, m)`: run them
    again from the last snapshot before their window to the block of :math:`m - 1`, those with
    the most blocks to go first, so the cells still to run are always the first ``need``
    slots."""
    again = np.empty(lr.size, dtype=np.int64)
    count = 0
    for j in range(lr.size):
        if not diverged[j] and _window_start(end[j], steps, burn_in) != big_b:
            again[count] = j
            count += 1
    again = again[:count]
    start = np.empty(count, dtype=np.int64)
    blocks = np.empty(count, dtype=np.int64)
    for i in range(count):
        j = again[i]
        start[i] = _window_start(end[j], steps, burn_in) // SNAPSHOT_STEPS * SNAPSHOT_STEPS
        blocks[i] = (end[j] - 1 - start[i] + BLOCK_STEPS - 1) // BLOCK_STEPS
    order = np.argsort(-blocks, kind="mergesort")
    left = np.empty(count, dtype=np.int64)
    for need in range(count):
        i = order[need]
        j = again[i]
        _load(st, need, u0_start, u1_start, lr[j], gamma[j], lam0, lam1, pytorch_form,
              _window_start(end[j], steps, burn_in))
        if start[i] > 0:
            snapshot = snapshots[start[i] // SNAPSHOT_STEPS]
            st[_U0 + need] = snapshot[0, j]
            st[_U1 + need] = snapshot[1, j]
            st[_V0 + need] = snapshot[2, j]
            st[_V1 + need] = snapshot[3, j]
            st[_K0 + need] = start[i]
        slot_cell[need] = j
        left[need] = blocks[i]
    for c in range(count, FAST_BLOCK):
        _clear(st, c)
    need = count
    done = 0
    while need > 0:
        _run_again(st, need, float(done * BLOCK_STEPS + 1), pytorch_form, lam0, lam1,
                   floor_sq, float(steps))
        done += 1
        while need > 0 and left[need - 1] <= done:
            need -= 1
            rate[slot_cell[need]] = _sums_rate(st, need)
            _clear(st, need)


@njit(cache=True, error_model="numpy", inline="always")
def _clear(st, c):
    """Zero the state of the free slot ``c``: it is stepped with the last cells (as 0, which
    stays 0) and its result is not read."""
    st[_U0 + c] = 0.0
    st[_U1 + c] = 0.0
    st[_V0 + c] = 0.0
    st[_V1 + c] = 0.0


@njit(cache=True, error_model="numpy")
def _snapshot(st, active, slot_cell, snapshot):
    """Keep the state of the first ``active`` cells, by cell, in ``snapshot`` ``(4, n)``."""
    for c in range(active):
        j = slot_cell[c]
        snapshot[0, j] = st[_U0 + c]
        snapshot[1, j] = st[_U1 + c]
        snapshot[2, j] = st[_V0 + c]
        snapshot[3, j] = st[_V1 + c]


@njit(cache=True, parallel=True)
def sweep_heavy_ball(lam, u_start, lr, gamma, pytorch_form, steps, burn_in, bound, f0,
                     final_loss, rate, diverged):
    """Blocks of :data:`FAST_BLOCK` cells (of the flattened grid) in parallel.

    Task ``i`` runs the even blocks first, then the odd ones: numba hands each thread a
    contiguous range of tasks, so each thread gets rows from the whole grid (on the benchmark
    grid the low-momentum half costs 47% of the work, the even rows 49.9%).
    """
    n_cells = lr.size
    n_blocks = (n_cells + FAST_BLOCK - 1) // FAST_BLOCK
    n_even = (n_blocks + 1) // 2
    for i in prange(n_blocks):
        block = 2 * i if i < n_even else 2 * (i - n_even) + 1
        s = block * FAST_BLOCK
        e = min(s + FAST_BLOCK, n_cells)
        _block(
            lam[0], lam[1], u_start[0], u_start[1], lr[s:e], gamma[s:e], pytorch_form, steps,
            burn_in, bound, f0, final_loss[s:e], rate[s:e], diverged[s:e],
        )
