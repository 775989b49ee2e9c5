r"""The element-wise work of the network toolkit, as a few numba kernels.

Matrix products stay in NumPy's BLAS; what is left is element-wise or a reduction over the
batch, where a compiled loop makes one pass where NumPy makes several and allocates
temporaries. Each kernel here was kept only where it measured faster than the NumPy
expression it replaces (``benchmarks/bench_nn.py`` prints both). Arrays are 2-D C-contiguous
``(batch, features)`` of one float dtype (float32 or float64); per-column scalars are rounded
to that dtype once, so float32 work stays in single precision, while every sum over the batch
accumulates in float64.

The jitted code of :mod:`optbook.nn` lives in this file and in :mod:`optbook.nn.large_batch`
(batch norm's kernels for batches too large for the caches); neither calls anything outside
its own file, so numba's own check of a file's time stamp keeps its disk cache fresh.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

RELU = 0
LEAKY_RELU = 1
TANH = 2
SIGMOID = 3


@njit(cache=True, error_model="numpy")
def add_bias(y, b):
    """``y[i, j] += b[j]`` in place."""
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            y[i, j] += b[j]


@njit(cache=True, error_model="numpy")
def column_sums(d, out):
    """``out[j] = sum_i d[i, j]`` (accumulated in float64, stored in ``out``'s dtype)."""
    acc = np.zeros(d.shape[1])
    for i in range(d.shape[0]):
        for j in range(d.shape[1]):
            acc[j] += d[i, j]
    for j in range(d.shape[1]):
        out[j] = acc[j]


@njit(cache=True, error_model="numpy", inline="always")
def _sigmoid(z):
    """The logistic function without overflow: :math:`e^z/(1+e^z)` for :math:`z<0`."""
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@njit(cache=True, error_model="numpy", inline="always")
def _phi(code, a, v):
    """The activation of one value (``a``: the leaky ReLU's slope, in ``v``'s dtype)."""
    zero = v * 0
    if code == RELU:
        return v if v > zero else zero
    if code == LEAKY_RELU:
        return v if v > zero else a * v
    if code == TANH:
        return math.tanh(v)
    return _sigmoid(v)


@njit(cache=True, error_model="numpy")
def activation_forward(code, slope, z, bias, y):
    r"""``y = phi(z)`` for ReLU :math:`\max(z,0)`, leaky ReLU :math:`\max(z, az)`,
    :math:`\tanh z` or the logistic sigmoid :math:`1/(1+e^{-z})`.

    With a non-empty ``bias`` (the bias of the linear layer before, whose addition is fused
    into this pass) it computes ``y = phi(z + bias)``, leaving ``z`` as it is (writing
    ``z + bias`` back would be one more pass over the batch).
    """
    a = z.dtype.type(slope)
    if bias.size > 0:
        for i in range(z.shape[0]):
            for j in range(z.shape[1]):
                y[i, j] = _phi(code, a, z[i, j] + bias[j])
    else:
        for i in range(z.shape[0]):
            for j in range(z.shape[1]):
                y[i, j] = _phi(code, a, z[i, j])


@njit(cache=True, error_model="numpy", inline="always")
def _phi_prime_times(code, a, y, g):
    """``g * phi'(z)`` read from the output ``y = phi(z)``: for the ReLU family ``y > 0``
    exactly where ``z > 0`` (the slope ``a`` is >= 0)."""
    zero = g * 0
    one = zero + 1
    if code == RELU:
        return g if y > zero else zero
    if code == LEAKY_RELU:
        return g if y > zero else a * g
    if code == TANH:
        return g * (one - y * y)
    return g * (y * (one - y))


@njit(cache=True, error_model="numpy")
def activation_backward(code, slope, y, dy, dx, grad_bias):
    r"""``dx = dy * phi'(z)`` from the output ``y = phi(z)``: ReLU 1 for :math:`z > 0` else 0
    (the left derivative at 0, as PyTorch), leaky ReLU 1 or :math:`a`,
    :math:`\tanh' = 1-y^2`, :math:`\sigma' = y(1-y)`.

    With a non-empty ``grad_bias`` it also writes the column sums of ``dx`` there: the bias
    gradient of the linear layer before (fused, as in :func:`activation_forward`).
    """
    a = y.dtype.type(slope)
    rows, cols = y.shape
    if grad_bias.size > 0:
        acc = np.zeros(cols)
        for i in range(rows):
            for j in range(cols):
                d = _phi_prime_times(code, a, y[i, j], dy[i, j])
                dx[i, j] = d
                acc[j] += d
        for j in range(cols):
            grad_bias[j] = acc[j]
    else:
        for i in range(rows):
            for j in range(cols):
                dx[i, j] = _phi_prime_times(code, a, y[i, j], dy[i, j])


@njit(cache=True, error_model="numpy")
def shift_by_row_max(logits, labels, bias, shifted):
    r"""``shifted = logits - max`` per row (every entry :math:`\le 0`, so its exponential
    cannot overflow); returns the number of rows whose first largest logit is the label.

    A non-empty ``bias`` (the output layer's, whose addition is fused into this pass) is added
    to ``logits`` in place first."""
    if bias.size > 0:
        for i in range(logits.shape[0]):
            row = logits[i]
            for k in range(row.size):
                row[k] += bias[k]
    correct = 0
    for i in range(logits.shape[0]):
        best = 0
        top = logits[i, 0]
        for k in range(1, logits.shape[1]):
            if logits[i, k] > top:
                top = logits[i, k]
                best = k
        correct += best == labels[i]
        for k in range(logits.shape[1]):
            shifted[i, k] = logits[i, k] - top
    return correct


@njit(cache=True, error_model="numpy")
def cross_entropy_from_exp(shifted, exps, labels, grad_bias):
    r"""Mean cross-entropy from ``shifted`` logits and their exponentials, and in place of
    ``exps`` its gradient.

    Per row: :math:`\ell = \log\sum_k e^{s_k} - s_y` and
    :math:`\partial\ell/\partial z_k = (e^{s_k}/\sum_j e^{s_j} - [k = y])/B` for the batch
    mean of :math:`B` rows. Returns the mean loss (float64). A non-empty ``grad_bias``
    receives the column sums of the gradient (the output layer's bias gradient).
    """
    rows, classes = exps.shape
    total = 0.0
    inv_rows = 1.0 / rows
    for i in range(rows):
        s = 0.0
        for k in range(classes):
            s += np.float64(exps[i, k])
        total += math.log(s) - np.float64(shifted[i, labels[i]])
        scale = exps.dtype.type(inv_rows / s)
        for k in range(classes):
            exps[i, k] *= scale
        exps[i, labels[i]] -= exps.dtype.type(inv_rows)
    if grad_bias.size > 0:
        column_sums(exps, grad_bias)
    return total * inv_rows


@njit(cache=True, error_model="numpy")
def squared_error(outputs, targets, bias, doutputs, grad_bias):
    r"""Mean squared error over all entries, :math:`\frac1{BK}\sum (o - t)^2`, and its
    gradient :math:`2(o - t)/(BK)` written into ``doutputs``. Returns the mean (float64).

    A non-empty ``bias`` is first added to ``outputs`` in place, and a non-empty ``grad_bias``
    receives the column sums of the gradient (the output layer's bias, fused as in
    :func:`shift_by_row_max` and :func:`cross_entropy_from_exp`)."""
    if bias.size > 0:
        add_bias(outputs, bias)
    total = 0.0
    n = outputs.size
    scale = 2.0 / n
    for i in range(outputs.shape[0]):
        for j in range(outputs.shape[1]):
            r = np.float64(outputs[i, j]) - np.float64(targets[i, j])
            total += r * r
            doutputs[i, j] = scale * r
    if grad_bias.size > 0:
        column_sums(doutputs, grad_bias)
    return total / n


@njit(cache=True, error_model="numpy")
def dropout_forward(x, uniforms, keep, scale, y, mask):
    """Keep each entry where ``uniforms < keep``: ``mask`` gets ``scale`` there and 0 elsewhere,
    ``y = x * mask``."""
    s = x.dtype.type(scale)
    zero = x.dtype.type(0.0)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            m = s if uniforms[i, j] < keep else zero
            mask[i, j] = m
            y[i, j] = x[i, j] * m


# Batch norm's kernels make two passes over (B, C) data: per-column sums, then the output
# (batches larger than the caches go through optbook.nn.large_batch instead).
# Each inner loop runs along one row (a contiguous view), which LLVM vectorises; indexing the
# 2-D array with a computed column (x[i, j0 + j]) is not vectorised (numba's wraparound test
# for negative indices) and ran 20 times slower. Blocking by column strips, to reread a strip
# from cache in the second pass, was slower still on these 4 KB rows. Sums collect BLOCK rows
# in the data's dtype, then add the block into float64: float32 data keep 8 lanes per
# instruction, while the float64 totals keep the error of 4096 rows at that of 32.
BLOCK = 32


@njit(cache=True, error_model="numpy")
def batch_moments(x, mean, var):
    r"""Per-column mean and biased variance of ``x`` (float64 outputs), in one pass.

    Sums are taken of :math:`x - K` with :math:`K` the column's first entry, so that
    :math:`\frac1n\sum(x-K)^2 - (\frac1n\sum(x-K))^2` does not cancel when the mean is large
    against the spread.
    """
    rows, cols = x.shape
    shift = x[0].copy()
    s1 = np.zeros(cols)
    s2 = np.zeros(cols)
    b1 = np.zeros(cols, dtype=x.dtype)
    b2 = np.zeros(cols, dtype=x.dtype)
    for i0 in range(0, rows, BLOCK):
        for i in range(i0, min(i0 + BLOCK, rows)):
            row = x[i]
            for j in range(cols):
                d = row[j] - shift[j]
                b1[j] += d
                b2[j] += d * d
        for j in range(cols):
            s1[j] += b1[j]
            s2[j] += b2[j]
            b1[j] = 0.0
            b2[j] = 0.0
    for j in range(cols):
        m = s1[j] / rows
        mean[j] = shift[j] + m
        var[j] = max(s2[j] / rows - m * m, 0.0)


@njit(cache=True, error_model="numpy")
def affine_columns(x, scale, shift, y):
    """``y[i, j] = x[i, j] * scale[j] + shift[j]`` with ``scale, shift`` rounded to ``y``'s
    dtype: batch norm's normalise-and-scale, in training and in evaluation."""
    a = scale.astype(y.dtype)
    c = shift.astype(y.dtype)
    for i in range(x.shape[0]):
        row = x[i]
        out = y[i]
        for j in range(row.size):
            out[j] = row[j] * a[j] + c[j]


@njit(cache=True, error_model="numpy")
def batchnorm_sums(dy, x, mean, sum_dy, sum_dy_centred):
    r""":math:`\sum_i dy_{ij}` and :math:`\sum_i dy_{ij}(x_{ij} - \mu_j)` per column (float64)."""
    rows, cols = x.shape
    centre = mean.astype(x.dtype)
    b1 = np.zeros(cols, dtype=x.dtype)
    b2 = np.zeros(cols, dtype=x.dtype)
    sum_dy[:] = 0.0
    sum_dy_centred[:] = 0.0
    for i0 in range(0, rows, BLOCK):
        for i in range(i0, min(i0 + BLOCK, rows)):
            g = dy[i]
            row = x[i]
            for j in range(cols):
                b1[j] += g[j]
                b2[j] += g[j] * (row[j] - centre[j])
        for j in range(cols):
            sum_dy[j] += b1[j]
            sum_dy_centred[j] += b2[j]
            b1[j] = 0.0
            b2[j] = 0.0


@njit(cache=True, error_model="numpy")
def combine_columns(dy, x, a, b, c, dx):
    """``dx[i, j] = a[j] dy[i, j] + b[j] x[i, j] + c[j]`` (batch norm's input gradient),
    with ``a, b, c`` rounded to ``dx``'s dtype."""
    fa = a.astype(dx.dtype)
    fb = b.astype(dx.dtype)
    fc = c.astype(dx.dtype)
    for i in range(x.shape[0]):
        g = dy[i]
        row = x[i]
        out = dx[i]
        for j in range(row.size):
            out[j] = fa[j] * g[j] + fb[j] * row[j] + fc[j]


@njit(cache=True, error_model="numpy", fastmath={"reassoc"})
def health(x, g, bound):
    r"""``(sum of g**2, count of entries of x not within [-bound, bound])``, NaN counted,
    in one pass: the gradient norm squared and the divergence check of a training step.

    ``reassoc`` lets LLVM split the sum into vector lanes (a fixed order, so still
    reproducible bit for bit); without it the sum is one serial chain, five times slower here.
    """
    total = 0.0
    bad = 0
    for i in range(x.size):
        gi = np.float64(g[i])
        total += gi * gi
        bad += not (abs(x[i]) <= bound)
    return total, bad


@njit(cache=True, error_model="numpy", fastmath={"reassoc"})
def activation_moments(code, z, y, saturation):
    r"""``(mean, std, dead, saturated)`` of one batch of an activation layer, in one pass.

    ``dead``: the fraction of columns (units) whose input ``z`` is :math:`\le 0` in every row;
    ``saturated``: the fraction of outputs whose derivative is below ``saturation`` times its
    peak (:math:`1-y^2` for tanh, :math:`4y(1-y)` for the sigmoid). Each is ``nan`` for the
    activations it does not apply to.
    """
    rows, cols = y.shape
    total = 0.0
    squares = 0.0
    saturated = 0
    alive = np.zeros(cols, dtype=np.bool_)
    for i in range(rows):
        for j in range(cols):
            v = np.float64(y[i, j])
            total += v
            squares += v * v
            alive[j] |= z[i, j] > 0.0
            if code == TANH:
                saturated += 1.0 - v * v < saturation
            elif code == SIGMOID:
                saturated += 4.0 * v * (1.0 - v) < saturation
    n = rows * cols
    mean = total / n
    std = math.sqrt(max(squares / n - mean * mean, 0.0))
    if code == RELU or code == LEAKY_RELU:
        return mean, std, 1.0 - alive.sum() / cols, math.nan
    return mean, std, math.nan, saturated / n


@njit(cache=True, error_model="numpy", fastmath={"reassoc"})
def relative_change(before, after):
    r""":math:`\|a - b\|/\|b\|` of two vectors (inf when :math:`b = 0`)."""
    change = 0.0
    size = 0.0
    for i in range(before.size):
        b = np.float64(before[i])
        d = np.float64(after[i]) - b
        change += d * d
        size += b * b
    return math.sqrt(change / size) if size > 0.0 else math.inf
