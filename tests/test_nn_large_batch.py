"""Batch norm's kernels for large batches: the moments by pairs of rows against float64 NumPy,
the output passes with non-temporal stores against NumPy's expressions bit for bit (only on
arrays they can handle), and the layer using them for large batches only. The layer's results
on this path are checked against PyTorch's algorithm in test_nn_batchnorm.py."""

import numpy as np
import pytest
from numba.core.errors import TypingError

from optbook import nn
from optbook.nn import kernels, large_batch

# (dtype, columns): whole lines of 64 bytes are 16 float32 or 8 float64 numbers.
LINED = [(np.float32, 16), (np.float32, 1024), (np.float64, 8), (np.float64, 40)]


def lined_copy(a):
    out = large_batch.empty_lines(*a.shape, a.dtype)
    out[...] = a
    return out


def operands(dtype, cols, rows=5, seed=0):
    rng = np.random.default_rng(seed)
    x, dy = (rng.standard_normal((rows, cols)).astype(dtype) for _ in range(2))
    a, b, c = (rng.standard_normal(cols) for _ in range(3))
    return x, dy, a, b, c


@pytest.mark.parametrize(("dtype", "cols"), LINED)
def test_streamed_affine_equals_numpy_bit_for_bit(dtype, cols):
    x, _, a, _, c = operands(dtype, cols)
    y = large_batch.empty_lines(*x.shape, dtype)
    large_batch.affine_columns(x, a, c, y)
    # per-column factors rounded to the output's dtype once, then a product and a sum
    expected = x * a.astype(dtype) + c.astype(dtype)
    assert expected.dtype == dtype
    np.testing.assert_array_equal(y, expected)
    plain = np.empty_like(x)
    kernels.affine_columns(x, a, c, plain)
    np.testing.assert_array_equal(y, plain)


@pytest.mark.parametrize(("dtype", "cols"), LINED)
def test_streamed_input_gradient_equals_numpy_bit_for_bit(dtype, cols):
    x, dy, a, b, c = operands(dtype, cols, seed=1)
    dx = large_batch.empty_lines(*x.shape, dtype)
    large_batch.combine_columns(dy, x, a, b, c, dx)
    expected = a.astype(dtype) * dy + b.astype(dtype) * x + c.astype(dtype)
    np.testing.assert_array_equal(dx, expected)
    plain = np.empty_like(x)
    kernels.combine_columns(dy, x, a, b, c, plain)
    np.testing.assert_array_equal(dx, plain)


@pytest.mark.parametrize("rows", [1, 3, 100])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_empty_lines_start_a_line_and_are_c_contiguous(rows, dtype):
    for cols in (1, 7, 16, 1000):
        out = large_batch.empty_lines(rows, cols, dtype)
        assert out.shape == (rows, cols)
        assert out.dtype == dtype
        assert out.flags.c_contiguous and out.flags.writeable
        assert out.ctypes.data % large_batch.LINE == 0
    assert large_batch.empty_lines(0, 5, dtype).shape == (0, 5)  # no first element to align


def test_streamable_takes_only_what_the_line_stores_can_handle():
    out = large_batch.empty_lines(4, 16, np.float32)
    x = np.ones((4, 16), np.float32)
    assert large_batch.streamable(out, x)
    assert large_batch.streamable(large_batch.empty_lines(4, 8, np.float64), x.astype(np.float64))
    # rows that do not fill whole lines, or do not start one
    assert not large_batch.streamable(large_batch.empty_lines(4, 15, np.float32), x[:, :15].copy())
    assert not large_batch.streamable(large_batch.empty_lines(4, 8, np.float32), x[:, :8].copy())
    shifted = large_batch.empty_lines(4, 17, np.float32)[:, 1:]
    assert not large_batch.streamable(shifted, x)
    # inputs of another dtype, or not contiguous; outputs that are not floats or not 2-D
    assert not large_batch.streamable(out, x.astype(np.float64))
    assert not large_batch.streamable(out, np.ones((4, 32), np.float32)[:, ::2])
    assert not large_batch.streamable(large_batch.empty_lines(4, 16, np.int32), x.astype(np.int32))
    assert not large_batch.streamable(large_batch.empty_lines(1, 16, np.float32)[0], x[0])


def test_line_stores_refuse_mixed_dtypes_when_compiled():
    y = large_batch.empty_lines(2, 16, np.float32)
    with pytest.raises(TypingError, match="one dtype"):
        large_batch.affine_columns(np.ones((2, 16)), np.ones(16), np.zeros(16), y)


def training_steps(layer, dtype, rows=64, cols=64, steps=3):
    """Outputs, input gradients, parameter gradients and running statistics of a few forward
    and backward passes in training, then one forward pass in evaluation."""
    net = nn.Sequential(layer, dtype=dtype)
    rng = np.random.default_rng(7)
    net.params[...] = rng.standard_normal(net.params.size)
    record = []
    for _ in range(steps):
        x = (3.0 + 2.0 * rng.standard_normal((rows, cols))).astype(dtype)
        dy = rng.standard_normal((rows, cols)).astype(dtype)
        y = net.forward(x, training=True).copy()
        dx = net.backward(dy, input_grad=True).copy()
        record += [y, dx, net.grads.copy(), layer.running_mean.copy(), layer.running_var.copy()]
    record.append(net.forward(x, training=False).copy())
    return record


@pytest.mark.parametrize("rows", [2, 3, 32, 33, 64, 101])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_moments_by_pairs_of_rows_equal_float64_numpy(dtype, rows):
    rng = np.random.default_rng(rows)
    # a mean large against the spread: the sums of x - x[0] must not cancel
    x = (1000.0 + rng.standard_normal((rows, 20))).astype(dtype)
    mean, var = np.empty(20), np.empty(20)
    large_batch.batch_moments(x, mean, var)
    exact = x.astype(np.float64)
    # float32 blocks of 32 rows: a few roundings of the block sums, relative to their size
    tol = 1e-12 if dtype == np.float64 else 2e-6
    np.testing.assert_allclose(mean, exact.mean(axis=0), rtol=tol)
    np.testing.assert_allclose(var, exact.var(axis=0), rtol=30 * tol)


def test_moments_by_pairs_round_blocks_of_as_many_rows_as_row_by_row():
    assert 2 * large_batch.PAIRS == kernels.BLOCK


def test_moments_by_pairs_count_every_row_once():
    """Integers are summed exactly: each row's weight shows in the totals."""
    rows = 71
    x = np.zeros((rows, 3))
    x[:, 0] = 2.0 ** np.arange(rows) % 1000  # distinct values in every row
    x[:, 1] = np.arange(rows)
    x[:, 2] = 5.0
    mean, var = np.empty(3), np.empty(3)
    large_batch.batch_moments(x, mean, var)
    np.testing.assert_allclose(mean, x.mean(axis=0), rtol=1e-15)
    np.testing.assert_allclose(var, x.var(axis=0), rtol=1e-13, atol=1e-13)


LARGE = ["batch_moments", "affine_columns", "combine_columns"]


@pytest.fixture
def large_calls(monkeypatch):
    """The names of the kernels of :mod:`optbook.nn.large_batch` called, in order."""
    calls = []
    for name in LARGE:
        kernel = getattr(large_batch, name)

        def counted(*args, kernel=kernel, name=name):
            calls.append(name)
            kernel(*args)
        monkeypatch.setattr(large_batch, name, counted)
    return calls


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batchnorm_takes_the_large_batch_kernels_for_large_batches_only(dtype, large_calls):
    large = nn.BatchNorm1d(64)
    large.large_batch_bytes = 0
    large_record = training_steps(large, dtype)
    # three training steps, forward and backward, then evaluation's forward (no moments)
    assert large_calls == LARGE * 3 + ["affine_columns"]
    large_calls.clear()
    small_record = training_steps(nn.BatchNorm1d(64), dtype)
    assert large_calls == []  # 64 x 64 outputs are far below the default threshold
    # the same up to the order of the sums (float32: a few roundings, amplified by 1/sigma)
    tol = 1e-11 if dtype == np.float64 else 1e-4
    for got, expected in zip(large_record, small_record, strict=True):
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


def test_large_batches_start_at_the_threshold(large_calls):
    layer = nn.BatchNorm1d(16)
    nn.Sequential(layer, dtype=np.float32)
    x = np.ones((4, 16), np.float32)
    x[0] = 2.0
    layer.large_batch_bytes = x.nbytes + 1
    layer.forward(x, training=True)
    assert large_calls == []
    layer.large_batch_bytes = x.nbytes
    layer.forward(x, training=True)
    assert large_calls == ["batch_moments", "affine_columns"]
