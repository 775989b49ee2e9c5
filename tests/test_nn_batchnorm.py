"""Batch normalisation against a NumPy transcription of PyTorch's documented algorithm, over
several batches in training and evaluation, and its backward pass against Ioffe & Szegedy."""

import numpy as np
import pytest

from nn_reference import TorchBatchNorm1d, batchnorm_backward, central_gradient
from optbook import nn


def batches(seed, count=5, rows=8, cols=6):
    rng = np.random.default_rng(seed)
    return [4.0 + 3.0 * rng.standard_normal((rows, cols)) for _ in range(count)]


# float32 arithmetic against a float64 reference: outputs of order 1 agree to a few float32
# rounding steps (1.2e-7 each); the running statistics are sums of a few such terms.
TOLERANCES = {np.float64: 1e-12, np.float32: 3e-6}


def batchnorm(features, large):
    """A layer that takes every batch as large (:mod:`optbook.nn.large_batch`'s kernels) or
    none (the default threshold, far above these tests' batches)."""
    layer = nn.BatchNorm1d(features)
    if large:
        layer.large_batch_bytes = 0
    return layer


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_training_and_evaluation_follow_pytorch_over_several_batches(dtype, large):
    layer = batchnorm(6, large)
    net = nn.Sequential(layer, dtype=dtype)
    rng = np.random.default_rng(1)
    gamma, beta = rng.standard_normal(6), rng.standard_normal(6)
    net.params[...] = np.concatenate([gamma, beta])
    gamma, beta = net.params[:6].astype(float), net.params[6:].astype(float)
    reference = TorchBatchNorm1d(6)
    tol = TOLERANCES[dtype]
    for x in batches(0) + batches(2, rows=7):
        x = x.astype(dtype)
        out = net.forward(x, training=True)
        expected = reference(x, gamma, beta, training=True)
        np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)
        np.testing.assert_allclose(layer.running_mean, reference.running_mean, rtol=tol)
        np.testing.assert_allclose(layer.running_var, reference.running_var, rtol=tol)
        test_batch = x[:3] + 1.0
        np.testing.assert_allclose(net.forward(test_batch, training=False),
                                   reference(test_batch, gamma, beta, training=False),
                                   rtol=tol, atol=tol)


def test_running_statistics_start_at_zero_and_one_and_move_by_a_tenth():
    layer = nn.BatchNorm1d(2)
    net = nn.Sequential(layer)
    np.testing.assert_array_equal(layer.running_mean, [0.0, 0.0])
    np.testing.assert_array_equal(layer.running_var, [1.0, 1.0])
    x = np.array([[1.0, 10.0], [3.0, 14.0]])  # means (2, 12), unbiased variances (2, 8)
    net.forward(x, training=True)
    np.testing.assert_allclose(layer.running_mean, [0.2, 1.2], rtol=1e-15)
    np.testing.assert_allclose(layer.running_var, [0.9 + 0.2, 0.9 + 0.8], rtol=1e-15)
    # The batch itself is normalised with the biased variance (1 and 4): x_hat = -+1/sqrt(1+eps).
    out = net.forward(x, training=True)
    np.testing.assert_allclose(out[:, 0], [-1 / np.sqrt(1 + 1e-5), 1 / np.sqrt(1 + 1e-5)])
    np.testing.assert_allclose(out[:, 1], [-2 / np.sqrt(4 + 1e-5), 2 / np.sqrt(4 + 1e-5)])


def test_slow_running_variance_of_the_chapter_notes():
    """True variance 9, start 1, momentum 0.1: after 4 batches the running variance is still
    far from 9 (the notes give 2.7 to 4.9); it is 1 + (9 - 1)(1 - 0.9^4) in expectation."""
    layer = nn.BatchNorm1d(1)
    net = nn.Sequential(layer)
    rng = np.random.default_rng(0)
    for _ in range(4):
        net.forward(3.0 * rng.standard_normal((64, 1)), training=True)
    expected = 1 + 8 * (1 - 0.9**4)
    assert 2.7 < layer.running_var[0] < 4.9
    assert abs(layer.running_var[0] - expected) < 0.6  # 4 batches of 64: sd of the sum ~0.3


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("rows", [3, 8, 32, 67])
def test_backward_matches_ioffe_and_szegedy(rows, large):
    rng = np.random.default_rng(rows)
    net = nn.Sequential(batchnorm(5, large))
    net.params[...] = rng.standard_normal(10)
    x = 2.0 + rng.standard_normal((rows, 5))
    dy = rng.standard_normal((rows, 5))
    net.forward(x, training=True)
    dx = net.backward(dy, input_grad=True)
    ref_dx, ref_dgamma, ref_dbeta = batchnorm_backward(x, net.params[:5], dy)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(net.grads[:5], ref_dgamma, rtol=1e-12)
    np.testing.assert_allclose(net.grads[5:], ref_dbeta, rtol=1e-12)
    np.testing.assert_allclose(dx.sum(axis=0), 0.0, atol=1e-12)


def test_constant_statistics_give_the_wrong_gradient_on_purpose():
    rng = np.random.default_rng(0)
    x = 1.0 + rng.standard_normal((8, 4))
    dy = rng.standard_normal((8, 4))
    grads = {}
    for constant in (False, True):
        layer = nn.BatchNorm1d(4, constant_stats=constant)
        net = nn.Sequential(layer)
        net.forward(x, training=True)
        grads[constant] = net.backward(dy, input_grad=True).copy()

    def loss(z):
        return float(np.sum(nn.Sequential(nn.BatchNorm1d(4)).forward(z, training=True) * dy))

    numeric = central_gradient(loss, x)
    np.testing.assert_allclose(grads[False], numeric, rtol=1e-7, atol=1e-9)
    error = np.linalg.norm(grads[True] - numeric) / np.linalg.norm(numeric)
    assert error > 0.3, "treating mu and sigma as constants must visibly change the gradient"
    np.testing.assert_allclose(grads[True], dy / np.sqrt(x.var(axis=0) + 1e-5), rtol=1e-12)
    assert np.all(np.abs(grads[True].sum(axis=0)) > 1e-3)


def test_batchnorm_makes_the_loss_invariant_to_the_scale_of_the_weights_before_it():
    """Loss at 10 W equals the loss at W, the gradient shrinks by 10, and is orthogonal to W.

    Exact without eps; with eps = 1e-5 the deviations are of order eps / var, below 1e-6 for
    the pre-activation variances here (about 30, from weights 10 times PyTorch's default)."""
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.Linear(6, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(),
                        nn.Linear(8, 3), seed=1)
    x, y = rng.standard_normal((32, 6)), rng.integers(0, 3, 32)
    w = net.weight_slices[0]
    net.params[w] *= 10.0
    loss1, _ = net.loss_and_grad(x, y, "cross_entropy")
    g1 = net.grads[w].copy()
    w1 = net.params[w].copy()
    net.params[w] *= 10.0
    loss10, _ = net.loss_and_grad(x, y, "cross_entropy")
    g10 = net.grads[w].copy()
    assert abs(loss10 - loss1) < 1e-7 * loss1
    np.testing.assert_allclose(g10, g1 / 10.0, rtol=1e-5, atol=1e-6 * np.abs(g1).max())
    assert abs(g1 @ w1) < 1e-6 * np.linalg.norm(g1) * np.linalg.norm(w1)


def test_batch_of_one_in_training_is_refused():
    net = nn.Sequential(nn.BatchNorm1d(3))
    with pytest.raises(ValueError, match="at least 2 examples"):
        net.forward(np.ones((1, 3)), training=True)
    np.testing.assert_allclose(net.forward(np.ones((1, 3))), np.ones((1, 3)) / np.sqrt(1 + 1e-5))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"momentum": 1.5}, "momentum"), ({"eps": 0.0}, "eps"), ({"num_features": 0},
                                                             "num_features"),
])
def test_bad_batchnorm_arguments(kwargs, match):
    args = {"num_features": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        nn.BatchNorm1d(**args)
