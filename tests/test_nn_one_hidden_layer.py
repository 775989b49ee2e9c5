"""The lecture's one-hidden-layer network: the hand-written backward pass against central
differences of the objective and against the toolkit's network."""

import numpy as np
import pytest

from nn_reference import central_gradient, max_relative_error
from optbook import nn
from optbook.nn import one_hidden_layer as ohl


def objective(w1, w2, x, y, l2, activation):
    """J = cross-entropy + l2/2 (|W1|^2 + |W2|^2), written without the module."""
    phi = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0),
           "sigmoid": lambda z: 1 / (1 + np.exp(-z))}[activation]
    o = w2 @ phi(w1 @ x)
    return np.log(np.sum(np.exp(o))) - o[y] + l2 / 2 * (np.sum(w1**2) + np.sum(w2**2))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_hand_gradients_match_central_differences(activation):
    rng = np.random.default_rng(0)
    w1, w2, x = rng.standard_normal((5, 4)), rng.standard_normal((3, 5)), rng.standard_normal(4)
    y, l2 = 2, 0.1
    got = ohl.gradients(w1, w2, x, y, l2, activation)
    assert got.objective == pytest.approx(objective(w1, w2, x, y, l2, activation), rel=1e-14)
    d_w1 = central_gradient(lambda w: objective(w, w2, x, y, l2, activation), w1)
    d_w2 = central_gradient(lambda w: objective(w1, w, x, y, l2, activation), w2)
    assert max_relative_error(got.d_w1, d_w1) < 1e-7
    assert max_relative_error(got.d_w2, d_w2) < 1e-7


def test_hand_gradients_equal_the_toolkits_backward_pass():
    net = nn.Sequential(nn.Linear(4, 6, bias=False), nn.Tanh(), nn.Linear(6, 3, bias=False),
                        seed=1)
    x = np.random.default_rng(2).standard_normal(4)
    value, _ = net.loss_and_grad(x[None, :], np.array([1]), "cross_entropy", l2=0.05)
    w1, w2 = net.layers[0].weight, net.layers[2].weight
    got = ohl.gradients(w1, w2, x, 1, 0.05, "tanh")
    assert got.objective == pytest.approx(value, rel=1e-14)
    np.testing.assert_allclose(got.d_w1, net.layers[0].grad_weight, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got.d_w2, net.layers[2].grad_weight, rtol=1e-12, atol=1e-15)


def test_the_intermediate_gradients_follow_the_lectures_lines():
    rng = np.random.default_rng(3)
    w1, w2, x = rng.standard_normal((3, 2)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    got = ohl.gradients(w1, w2, x, 0, 0.0, "tanh")
    p = np.exp(got.o) / np.exp(got.o).sum()
    np.testing.assert_allclose(got.d_o, p - [1, 0], rtol=1e-14)
    np.testing.assert_allclose(got.d_h, w2.T @ got.d_o, rtol=1e-14)
    np.testing.assert_allclose(got.d_z, got.d_h * (1 - np.tanh(w1 @ x) ** 2), rtol=1e-14)
    assert got.penalty == 0.0 and got.loss == got.objective


def test_bad_inputs_are_refused():
    w1, w2, x = np.ones((3, 2)), np.ones((2, 3)), np.ones(2)
    with pytest.raises(ValueError, match="shapes"):
        ohl.gradients(w1, w2.T, x, 0, 0.0)
    with pytest.raises(ValueError, match="label"):
        ohl.gradients(w1, w2, x, 2, 0.0)
    with pytest.raises(ValueError, match="l2"):
        ohl.gradients(w1, w2, x, 0, -1.0)
    with pytest.raises(ValueError, match="activation"):
        ohl.gradients(w1, w2, x, 0, 0.0, "softplus")
