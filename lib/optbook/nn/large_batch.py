r"""Batch norm's kernels for batches too large for the caches.

Batch norm's forward reads :math:`x` twice (the column moments, then :math:`y = x\,s + t`),
and its backward reads :math:`dy` and :math:`x` twice (two column sums, then
:math:`dx = a\,dy + b\,x + c`). For a batch whose arrays do not fit in the caches (4096 × 1024
float32 is 16 MB an array) each pass streams from memory, and two changes make the passes
faster there (``benchmarks/bench_nn.py`` measures both against the memory-bandwidth bound):

* **Moments by pairs of rows far apart.** :func:`batch_moments` adds row :math:`i` of the
  first half of the batch and row :math:`i + \lfloor B/2\rfloor` of the second half to the
  block sums in one step, which halves the loads and stores of the block sums per row read: the
  moments then take as long as a plain read of :math:`x`. Neighbouring rows read together (4 KB
  apart) were slower than one row at a time; rows half a batch apart are not. The sums are
  those of :func:`optbook.nn.kernels.batch_moments` in another order (float32 sums over blocks
  of 32 rows, 16 pairs, added into float64 totals), so they have the same rounding error but
  not the same bits. The backward's two sums by pairs were no faster than row by row (they
  read two arrays), so the backward keeps :func:`optbook.nn.kernels.batchnorm_sums`.
* **Outputs past the caches.** An ordinary store first reads the line it writes into the
  cache, so the forward's output pass moves three arrays' worth of bytes where two would do
  (the backward's four for three), and the output then fills the cache that the pass's inputs
  could have stayed in. A non-temporal store writes a whole 64-byte line straight to memory: no
  read of the line, no room taken in any cache. :func:`affine_columns` and
  :func:`combine_columns` compute each element with the same operations in the same order as
  :func:`optbook.nn.kernels.affine_columns` and :func:`~optbook.nn.kernels.combine_columns` (a
  product, then sums from the left, in the output's dtype), so their results are bit-identical.
  They need what :func:`streamable` checks: C-contiguous arrays of one float dtype, and output
  rows that start a line and fill whole lines (the layers allocate their outputs so). Rows with
  a ragged start or end were tried (ordinary stores at the edges, the line loop between bounds
  computed per row): the pass lost its gain, and LLVM compiled that line loop differently
  (unrolled eightfold) from the one over whole rows. Non-temporal stores are weakly ordered, so
  each kernel ends with a full memory fence.

For batches that fit in the caches the non-temporal stores are slower (the next layer would
read the output back from memory, not from the cache). The moments by pairs are faster there
too, but they would change the last bits of every batch norm the chapters train, whose printed
numbers are checked; so ``BatchNorm1d`` uses this module only for outputs of at least
``BatchNorm1d.large_batch_bytes``, and the chapters' batches stay on
:mod:`optbook.nn.kernels`.

Like :mod:`optbook.nn.kernels`, this file's jitted code calls nothing outside the file, so
numba's check of its time stamp keeps the disk cache fresh.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core.errors import TypingError
from numba.extending import intrinsic

LINE = 64
"""Bytes in a cache line, and the alignment a non-temporal vector store needs."""

PAIRS = 16
"""Pairs of rows summed in the data's dtype before a block is added into the float64 totals:
32 rows, as in the blocks of :mod:`optbook.nn.kernels` (``BLOCK``)."""

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def streamable(out, *inputs) -> bool:
    """Whether the kernels here may write ``out`` from ``inputs``: all C-contiguous, all of
    one float dtype, and ``out`` 2-D with rows that start a line and fill whole lines."""
    arrays = (out, *inputs)
    return (out.ndim == 2
            and out.dtype in FLOATS
            and all(a.dtype == out.dtype and a.flags.c_contiguous for a in arrays)
            and out.ctypes.data % LINE == 0
            and out.shape[1] * out.itemsize % LINE == 0)


def empty_lines(rows: int, cols: int, dtype) -> np.ndarray:
    """An empty C-contiguous ``(rows, cols)`` array whose first element starts a line, so
    that its rows are :func:`streamable` when ``cols`` elements fill whole lines (the layers'
    outputs are allocated so)."""
    dtype = np.dtype(dtype)
    nbytes = rows * cols * dtype.itemsize
    raw = np.empty(nbytes + LINE, dtype=np.uint8)
    start = -raw.ctypes.data % LINE
    return raw[start:start + nbytes].view(dtype).reshape(rows, cols)


def _check(arrays):
    """The line intrinsics load each input as vectors of the output's dtype from contiguous
    rows: refuse anything else at compile time."""
    if len({a.dtype for a in arrays}) != 1 or any(a.layout != "C" for a in arrays):
        raise TypingError(f"a streamed line needs C-contiguous arrays of one dtype, got {arrays}")


@intrinsic
def _lanes(typingctx, array):
    """Elements of ``array``'s dtype in a line, as a compile-time constant (a step LLVM knows
    lets it address the lines from one pointer per array)."""
    def codegen(context, builder, signature, args):
        size = context.get_abi_sizeof(context.get_data_type(signature.args[0].dtype))
        return context.get_constant(types.intp, LINE // size)
    return types.intp(array), codegen


def _line_pointer(context, builder, array_type, array, start, vector):
    data = context.make_array(array_type)(context, builder, array).data
    return builder.bitcast(builder.gep(data, [start]), vector.as_pointer())


def _line_codegen(combine):
    """Code that loads one line's worth of elements of every input from ``start`` (unaligned
    loads), combines them with ``combine(builder, loaded)``, and writes the result to the
    output's line at ``start`` with one aligned non-temporal store."""
    def codegen(context, builder, signature, args):
        *input_types, output_type, _ = signature.args
        dtype = output_type.dtype
        size = context.get_abi_sizeof(context.get_data_type(dtype))
        vector = ir.VectorType(context.get_value_type(dtype), LINE // size)
        start = args[-1]
        loaded = [builder.load(_line_pointer(context, builder, t, a, start, vector), align=size)
                  for t, a in zip(input_types, args, strict=False)]
        out = _line_pointer(context, builder, output_type, args[-2], start, vector)
        store = builder.store(combine(builder, loaded), out, align=LINE)
        store.set_metadata("nontemporal",
                           builder.module.add_metadata([ir.Constant(ir.IntType(32), 1)]))
        return context.get_dummy_value()
    return codegen


@intrinsic
def _affine_line(typingctx, x, scale, shift, y, start):
    """``y[start:start + lanes] = x * scale + shift`` on one line, streamed."""
    def combine(builder, loaded):
        value, a, c = loaded
        return builder.fadd(builder.fmul(value, a), c)
    _check((x, scale, shift, y))
    return types.void(x, scale, shift, y, start), _line_codegen(combine)


@intrinsic
def _combine_line(typingctx, dy, x, a, b, c, dx, start):
    """``dx[start:start + lanes] = a dy + b x + c`` on one line, streamed."""
    def combine(builder, loaded):
        g, value, fa, fb, fc = loaded
        return builder.fadd(builder.fadd(builder.fmul(fa, g), builder.fmul(fb, value)), fc)
    _check((dy, x, a, b, c, dx))
    return types.void(dy, x, a, b, c, dx, start), _line_codegen(combine)


@intrinsic
def _fence(typingctx):
    """A full memory fence: the streamed lines are in memory order before the kernel returns."""
    def codegen(context, builder, signature, args):
        builder.fence("seq_cst")
        return context.get_dummy_value()
    return types.void(), codegen


@njit(cache=True, error_model="numpy")
def affine_columns(x, scale, shift, y):
    """``y[i, j] = x[i, j] * scale[j] + shift[j]`` with ``scale, shift`` rounded to ``y``'s
    dtype, ``y`` written with non-temporal stores (arrays as :func:`streamable` says)."""
    a = scale.astype(y.dtype)
    c = shift.astype(y.dtype)
    lanes = _lanes(y)
    for i in range(x.shape[0]):
        row = x[i]
        out = y[i]
        for j in range(0, row.size, lanes):
            _affine_line(row, a, c, out, j)
    _fence()


@njit(cache=True, error_model="numpy")
def combine_columns(dy, x, a, b, c, dx):
    """``dx[i, j] = a[j] dy[i, j] + b[j] x[i, j] + c[j]`` with ``a, b, c`` rounded to
    ``dx``'s dtype, ``dx`` written with non-temporal stores (arrays as :func:`streamable`
    says)."""
    fa = a.astype(dx.dtype)
    fb = b.astype(dx.dtype)
    fc = c.astype(dx.dtype)
    lanes = _lanes(dx)
    for i in range(x.shape[0]):
        g = dy[i]
        row = x[i]
        out = dx[i]
        for j in range(0, row.size, lanes):
            _combine_line(g, row, fa, fb, fc, out, j)
    _fence()


@njit(cache=True, error_model="numpy")
def batch_moments(x, mean, var):
    r"""Per-column mean and biased variance of ``x`` (float64 outputs), in one pass, summing
    rows :math:`i` and :math:`i + \lfloor B/2\rfloor` together (module docstring).

    As :func:`optbook.nn.kernels.batch_moments`, the sums are taken of :math:`x - K` with
    :math:`K` the column's first entry, so that the variance does not cancel when the mean is
    large against the spread.
    """
    rows, cols = x.shape
    half = rows // 2
    shift = x[0].copy()
    s1 = np.zeros(cols)
    s2 = np.zeros(cols)
    b1 = np.zeros(cols, dtype=x.dtype)
    b2 = np.zeros(cols, dtype=x.dtype)
    for i0 in range(0, half, PAIRS):
        for i in range(i0, min(i0 + PAIRS, half)):
            upper = x[i]
            lower = x[i + half]
            for j in range(cols):
                d = upper[j] - shift[j]
                e = lower[j] - shift[j]
                b1[j] = (b1[j] + d) + e
                b2[j] = (b2[j] + d * d) + e * e
        for j in range(cols):
            s1[j] += b1[j]
            s2[j] += b2[j]
            b1[j] = 0.0
            b2[j] = 0.0
    if rows % 2:
        last = x[rows - 1]
        for j in range(cols):
            d = last[j] - shift[j]
            s1[j] += d
            s2[j] += d * d
    for j in range(cols):
        m = s1[j] / rows
        mean[j] = shift[j] + m
        var[j] = max(s2[j] / rows - m * m, 0.0)
