"""Losses against hand-worked values, their stability, the gradient check, and the checks of
data and labels."""

import math

import numpy as np
import pytest

from nn_reference import central_gradient
from optbook import nn


def test_cross_entropy_hand_values_and_gradient():
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    labels = np.array([2, 1])
    value, correct, grad = nn.CrossEntropy()(logits, labels)
    first = math.log(math.exp(1) + math.exp(2) + math.exp(3)) - 3  # 0.4076059644
    assert value == pytest.approx((first + math.log(3)) / 2, rel=1e-15)
    assert correct == 1  # row 2 is a three-way tie: the first index (0) wins, as in argmax
    e = np.exp([1.0, 2.0, 3.0])
    expected = np.array([e / e.sum() - [0, 0, 1], np.full(3, 1 / 3) - [0, 1, 0]]) / 2
    np.testing.assert_allclose(grad, expected, rtol=1e-15, atol=1e-17)


def test_cross_entropy_is_finite_for_logits_of_ten_thousand():
    logits = np.array([[1e4, 0.0, -1e4], [1e4, 0.0, -1e4]])
    value, correct, grad = nn.CrossEntropy()(logits, np.array([0, 1]))
    assert value == pytest.approx((0.0 + 1e4) / 2, rel=1e-15)
    assert correct == 1
    np.testing.assert_allclose(grad, [[0, 0, 0], [0.5, -0.5, 0]], atol=1e-300)
    assert np.isfinite(nn.CrossEntropy().value(np.array([[1e300, -1e300]]), [1]))


def test_cross_entropy_float32_logits_stay_float32():
    logits = np.array([[0.5, -0.25]], dtype=np.float32)
    value, _, grad = nn.CrossEntropy()(logits, np.array([0]))
    assert grad.dtype == np.float32
    assert value == pytest.approx(math.log(1 + math.exp(-0.75)), rel=1e-7)


def test_mean_squared_error_hand_values():
    value, correct, grad = nn.MSE()(np.array([[1.0, 2.0], [3.0, 4.0]]),
                                    np.array([[0.0, 2.0], [3.0, 6.0]]))
    assert value == 1.25 and correct == 0
    np.testing.assert_array_equal(grad, [[0.5, 0.0], [0.0, -1.0]])


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_loss_gradients_match_central_differences(loss):
    rng = np.random.default_rng(0)
    outputs = rng.standard_normal((5, 4))
    targets = rng.integers(0, 4, 5) if loss == "cross_entropy" else rng.standard_normal((5, 4))
    obj = nn.losses.get(loss)
    checked = obj.check_targets(targets, 5, 4)
    grad = obj(outputs, checked)[2].copy()
    numeric = central_gradient(lambda z: obj(z, checked)[0], outputs)
    np.testing.assert_allclose(grad, numeric, rtol=1e-9, atol=1e-12)


def test_initial_loss_of_an_untrained_classifier_is_log_of_the_classes():
    """All-zero logits give ln C: 2.302585 for 10 classes (the practice chapter's first check)."""
    net = nn.Sequential(nn.Linear(64, 10, init="zeros", bias_init="zeros"))
    x = np.random.default_rng(0).standard_normal((30, 64))
    value, _ = net.evaluate(x, np.arange(30) % 10, "cross_entropy")
    assert value == pytest.approx(math.log(10), rel=1e-15)


def test_gradient_check_reports_cs231n_relative_error_and_finds_a_planted_bug():
    assert nn.relative_error([1.0, 0.0, -2.0], [1.1, 0.0, 2.0]).tolist() == pytest.approx(
        [0.1 / 1.1, 0.0, 2.0])
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 4)), rng.integers(0, 3, 8)
    good = nn.Sequential(nn.Linear(4, 6, bias=False), nn.BatchNorm1d(6), nn.Tanh(),
                         nn.Linear(6, 3), seed=1)
    bug = nn.Sequential(nn.Linear(4, 6, bias=False), nn.BatchNorm1d(6, constant_stats=True),
                        nn.Tanh(), nn.Linear(6, 3), seed=1)
    result = nn.gradient_check(good, "cross_entropy", x, y)
    assert result.max_relative_error < 1e-6
    assert result.indices.size == good.size
    assert nn.gradient_check(bug, "cross_entropy", x, y).max_relative_error > 1e-2
    sampled = nn.gradient_check(good, "cross_entropy", x, y, entries=10, seed=3)
    assert sampled.indices.size == 10 and np.all(np.diff(sampled.indices) > 0)


def test_gradient_check_leaves_the_network_as_it_was():
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(drop=0.5),
                        nn.Linear(6, 2), seed=1)
    x, y = rng.standard_normal((8, 4)), rng.integers(0, 2, 8)
    net.forward(x, training=True)
    params, grads, state = net.params.copy(), net.grads.copy(), net.state()
    nn.gradient_check(net, "cross_entropy", x, y, entries=5)
    np.testing.assert_array_equal(net.params, params)
    np.testing.assert_array_equal(net.grads, grads)
    np.testing.assert_array_equal(net.layers[1].running_var, state["buffers"][0]["running_var"])
    assert net.dropouts[0].rng.bit_generator.state == state["rngs"][0]


NET = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
GOOD_X = np.zeros((6, 4))
GOOD_Y = np.zeros(6, dtype=int)


@pytest.mark.parametrize(("x", "y", "loss", "match"), [
    (np.zeros((6, 5)), GOOD_Y, "cross_entropy", r"shape \(batch, 4\).*got shape \(6, 5\)"),
    (np.zeros((0, 4)), GOOD_Y[:0], "cross_entropy", "at least one example"),
    (np.where(np.eye(6, 4) > 0, np.nan, 0.0), GOOD_Y, "cross_entropy", "finite"),
    (np.full((6, 4), np.inf), GOOD_Y, "cross_entropy", "finite"),
    (GOOD_X, np.zeros(5, dtype=int), "cross_entropy", "1-D array of 6 class indices"),
    (GOOD_X, np.full(6, 3), "cross_entropy", r"labels must be in \[0, 2\].*from 3 to 3"),
    (GOOD_X, np.full(6, -1), "cross_entropy", r"labels must be in \[0, 2\]"),
    (GOOD_X, np.full(6, 0.5), "cross_entropy", "integers"),
    (GOOD_X, np.zeros((6, 2)), "mse", r"targets must have shape \(6, 3\)"),
    (GOOD_X, np.full((6, 3), np.nan), "mse", "finite"),
    (GOOD_X, GOOD_Y, "hinge", "unknown loss 'hinge'; known: cross_entropy, mse"),
])
def test_bad_data_and_labels_are_refused_with_the_allowed_range(x, y, loss, match):
    with pytest.raises(ValueError, match=match):
        NET.loss_and_grad(x, y, loss)


def test_cross_entropy_needs_two_outputs():
    with pytest.raises(ValueError, match="at least 2 outputs"):
        nn.Sequential(nn.Linear(3, 1)).evaluate(np.ones((2, 3)), [0, 0], "cross_entropy")


def test_losses_keep_a_gradient_buffer_per_batch_shape_and_at_most_max_shapes():
    """An epoch's shorter last batch and the full batches after it each find their own buffer
    again (no new array a call), the values are those of a fresh loss, and a loss that sees
    many shapes keeps no more than MAX_SHAPES of them."""
    rng = np.random.default_rng(0)
    loss = nn.CrossEntropy()
    full, short = rng.standard_normal((8, 3)), rng.standard_normal((5, 3))
    labels_full, labels_short = rng.integers(0, 3, 8), rng.integers(0, 3, 5)
    first = loss(full, labels_full)[2]
    second = loss(short, labels_short)[2]
    assert loss(full, labels_full)[2] is first
    assert loss(short, labels_short)[2] is second
    np.testing.assert_array_equal(second, nn.CrossEntropy()(short, labels_short)[2])
    for rows in range(1, 3 * nn.losses.MAX_SHAPES):
        loss(rng.standard_normal((rows, 3)), rng.integers(0, 3, rows))
        assert len(loss._buffers) <= nn.losses.MAX_SHAPES
