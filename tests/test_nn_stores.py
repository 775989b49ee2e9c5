"""Batch norm's output passes with non-temporal stores: the same numbers as NumPy's expressions
bit for bit, only on arrays they can handle, and used by the layer for large outputs only."""

import numpy as np
import pytest
from numba.core.errors import TypingError

from optbook import nn
from optbook.nn import kernels, stores

# (dtype, columns): whole lines of 64 bytes are 16 float32 or 8 float64 numbers.
LINED = [(np.float32, 16), (np.float32, 1024), (np.float64, 8), (np.float64, 40)]


def lined_copy(a):
    out = stores.empty_lines(*a.shape, a.dtype)
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
    y = stores.empty_lines(*x.shape, dtype)
    stores.affine_columns(x, a, c, y)
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
    dx = stores.empty_lines(*x.shape, dtype)
    stores.combine_columns(dy, x, a, b, c, dx)
    expected = a.astype(dtype) * dy + b.astype(dtype) * x + c.astype(dtype)
    np.testing.assert_array_equal(dx, expected)
    plain = np.empty_like(x)
    kernels.combine_columns(dy, x, a, b, c, plain)
    np.testing.assert_array_equal(dx, plain)


@pytest.mark.parametrize("rows", [1, 3, 100])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_empty_lines_start_a_line_and_are_c_contiguous(rows, dtype):
    for cols in (1, 7, 16, 1000):
        out = stores.empty_lines(rows, cols, dtype)
        assert out.shape == (rows, cols)
        assert out.dtype == dtype
        assert out.flags.c_contiguous and out.flags.writeable
        assert out.ctypes.data % stores.LINE == 0
    assert stores.empty_lines(0, 5, dtype).shape == (0, 5)  # no first element to align


def test_streamable_takes_only_what_the_line_stores_can_handle():
    out = stores.empty_lines(4, 16, np.float32)
    x = np.ones((4, 16), np.float32)
    assert stores.streamable(out, x)
    assert stores.streamable(stores.empty_lines(4, 8, np.float64), x.astype(np.float64))
    # rows that do not fill whole lines, or do not start one
    assert not stores.streamable(stores.empty_lines(4, 15, np.float32), x[:, :15].copy())
    assert not stores.streamable(stores.empty_lines(4, 8, np.float32), x[:, :8].copy())
    shifted = stores.empty_lines(4, 17, np.float32)[:, 1:]
    assert not stores.streamable(shifted, x)
    # inputs of another dtype, or not contiguous; outputs that are not floats or not 2-D
    assert not stores.streamable(out, x.astype(np.float64))
    assert not stores.streamable(out, np.ones((4, 32), np.float32)[:, ::2])
    assert not stores.streamable(stores.empty_lines(4, 16, np.int32), x.astype(np.int32))
    assert not stores.streamable(stores.empty_lines(1, 16, np.float32)[0], x[0])


def test_line_stores_refuse_mixed_dtypes_when_compiled():
    y = stores.empty_lines(2, 16, np.float32)
    with pytest.raises(TypingError, match="one dtype"):
        stores.affine_columns(np.ones((2, 16)), np.ones(16), np.zeros(16), y)


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


@pytest.fixture
def stream_calls(monkeypatch):
    """The names of the streamed kernels called, in order."""
    calls = []
    for name in ("affine_columns", "combine_columns"):
        kernel = getattr(stores, name)

        def counted(*args, kernel=kernel, name=name):
            calls.append(name)
            kernel(*args)
        monkeypatch.setattr(stores, name, counted)
    return calls


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batchnorm_streams_large_outputs_with_the_same_results(dtype, stream_calls):
    streamed = nn.BatchNorm1d(64)
    streamed.stream_bytes = 0
    streamed_record = training_steps(streamed, dtype)
    # three training steps stream forward and backward, evaluation streams its forward pass
    assert stream_calls == ["affine_columns", "combine_columns"] * 3 + ["affine_columns"]
    stream_calls.clear()
    plain_record = training_steps(nn.BatchNorm1d(64), dtype)
    assert stream_calls == []  # 64 x 64 outputs are far below the default threshold
    for got, expected in zip(streamed_record, plain_record, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_outputs_are_streamed_from_the_threshold_on(stream_calls):
    layer = nn.BatchNorm1d(16)
    nn.Sequential(layer, dtype=np.float32)
    x = np.ones((4, 16), np.float32)
    layer.stream_bytes = x.nbytes + 1
    layer.forward(x, training=True)
    assert stream_calls == []
    layer.stream_bytes = x.nbytes
    layer.forward(x, training=True)
    assert stream_calls == ["affine_columns"]
