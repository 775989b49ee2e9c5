"""Santurkar et al.'s measurements against the closed forms of a quadratic loss, their
internal covariate shift against gradients computed by hand at the mixed parameters, and the
frozen randomness that makes both repeatable."""

import numpy as np
import pytest

from optbook import nn
from optbook.nn.noise import ShiftScaleNoise
from optbook.nn.smoothness import along_gradient, covariate_shift


def least_squares(seed=0, n=30, d=4):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)) * np.array([1.0, 2.0, 0.5, 3.0])[:d]
    return x, rng.standard_normal(n)


def test_along_the_gradient_of_a_quadratic_everything_is_closed_form():
    """J(theta) = mean((x w + b - y)^2) has Hessian H = (2/n) A^T A with A = [x 1]; along
    -g: J(theta - s g) = J - s |g|^2 + s^2/2 g^T H g, |grad(theta - s g) - g| = s |H g|, and
    the effective beta is |H g| / |g| at every step size."""
    x, y = least_squares()
    net = nn.Sequential(nn.Linear(4, 1), seed=1)
    a = np.column_stack([x, np.ones(len(x))])
    hessian = 2.0 / len(x) * a.T @ a
    theta = net.get_params()
    g = 2.0 / len(x) * a.T @ (a @ theta - y)
    j0 = np.mean((a @ theta - y) ** 2)
    sizes = np.array([0.01, 0.05, 0.2])
    result = along_gradient(net, "mse", x, y, sizes)
    np.testing.assert_allclose(result.loss, j0 - sizes * (g @ g) + sizes**2 / 2 * (g @ hessian @ g),
                               rtol=1e-12)
    hg = np.linalg.norm(hessian @ g)
    np.testing.assert_allclose(result.gradient_change, sizes * hg, rtol=1e-10)
    assert result.beta == pytest.approx(hg / np.linalg.norm(g), rel=1e-10)
    assert result.loss_at_start == pytest.approx(j0, rel=1e-14)
    np.testing.assert_array_equal(net.params, theta)


def test_a_given_direction_replaces_the_gradient():
    x, y = least_squares(1)
    net = nn.Sequential(nn.Linear(4, 1), seed=2)
    a = np.column_stack([x, np.ones(len(x))])
    theta = net.get_params()
    d = np.array([1.0, 0.0, 0.0, 0.0, 0.0])
    result = along_gradient(net, "mse", x, y, [0.5], direction=d)
    assert result.loss[0] == pytest.approx(np.mean((a @ (theta - 0.5 * d) - y) ** 2), rel=1e-13)


def test_measurements_repeat_with_noise_layers_and_leave_the_network_as_it_was():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 3)), rng.integers(0, 2, 16)
    net = nn.Sequential(nn.Linear(3, 6), nn.BatchNorm1d(6), ShiftScaleNoise(6, seed=4),
                        nn.ReLU(), nn.Linear(6, 2), seed=0)
    noise = net.layers[2]
    generator = noise.rng.bit_generator.state
    running = net.layers[1].running_var.copy()
    first = along_gradient(net, "cross_entropy", x, y, [1e-6, 0.1])
    second = along_gradient(net, "cross_entropy", x, y, [1e-6, 0.1])
    np.testing.assert_array_equal(first.loss, second.loss)
    # with the same noise at every evaluation, a step 1e5 times shorter changes the gradient
    # about 1e5 times less (fresh noise would change it by about the gradient's own size)
    assert first.gradient_change[0] < 1e-3 * first.gradient_change[1]
    assert noise.rng.bit_generator.state == generator
    np.testing.assert_array_equal(net.layers[1].running_var, running)


def by_hand_gradient(net, params, x, y):
    saved = net.params.copy()
    net.params[...] = params
    net.loss_and_grad(x, y, "cross_entropy")
    net.params[...] = saved
    return net.grads.copy()


def test_covariate_shift_compares_the_gradient_before_and_after_the_layers_below_move():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((20, 4)), rng.integers(0, 3, 20)
    net = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 5), nn.ReLU(),
                        nn.Linear(5, 3), seed=3)
    update = 0.3 * rng.standard_normal(net.size)
    theta = net.get_params()
    first = covariate_shift(net, "cross_entropy", x, y, update, "linear0")
    assert first.distance == 0.0 and first.cosine == pytest.approx(1.0)
    block = net.slices["linear4"]
    weights = slice(block.start, block.start + 15)
    mixed = theta.copy()
    mixed[:block.start] += update[:block.start]
    g_before = by_hand_gradient(net, theta, x, y)[weights]
    g_after = by_hand_gradient(net, mixed, x, y)[weights]
    last = covariate_shift(net, "cross_entropy", x, y, update, "linear4")
    assert last.distance == pytest.approx(np.linalg.norm(g_before - g_after), rel=1e-12)
    cosine = g_before @ g_after / np.linalg.norm(g_before) / np.linalg.norm(g_after)
    assert last.cosine == pytest.approx(cosine, rel=1e-12)
    assert last.grad_norm == pytest.approx(np.linalg.norm(g_before), rel=1e-12)
    assert last.distance > 0.0
    np.testing.assert_array_equal(net.params, theta)


@pytest.mark.parametrize(("call", "match"), [
    (lambda net, x, y: along_gradient(net, "mse", x, y, [0.0]), "step_sizes"),
    (lambda net, x, y: along_gradient(net, "mse", x, y, [0.1], direction=np.ones(2)),
     "direction"),
    (lambda net, x, y: covariate_shift(net, "mse", x, y, np.zeros(5), "relu1"), "linear layer"),
    (lambda net, x, y: covariate_shift(net, "mse", x, y, np.zeros(4), "linear0"), "update"),
])
def test_bad_arguments_are_named(call, match):
    x, y = least_squares()
    with pytest.raises(ValueError, match=match):
        call(nn.Sequential(nn.Linear(4, 1)), x, y)


def test_unit_moments_of_a_noisy_layer_are_its_draws():
    from optbook.nn.smoothness import unit_moments

    rng = np.random.default_rng(5)
    x = rng.standard_normal((40, 3))
    noise = ShiftScaleNoise(4, shift=2.0, scale=3.0, seed=1)
    net = nn.Sequential(nn.Linear(3, 4, bias=False), nn.BatchNorm1d(4), noise, nn.ReLU(),
                        nn.Linear(4, 2), seed=0)
    means, stds = unit_moments(net, x, "noise2")
    draw = np.random.default_rng(1)
    shifts = draw.uniform(-2.0, 2.0, 4)
    scales = np.exp(draw.uniform(-np.log(3.0), np.log(3.0), 4))
    np.testing.assert_allclose(means, shifts, atol=1e-12)
    # a normalised unit has standard deviation sqrt(var / (var + eps)), 1 - O(1e-5) here
    np.testing.assert_allclose(stds, scales, rtol=1e-4)
    again, _ = unit_moments(net, x, "noise2")
    np.testing.assert_array_equal(again, means)  # the generator was put back
    with pytest.raises(ValueError, match="layer"):
        unit_moments(net, x, "noise9")
