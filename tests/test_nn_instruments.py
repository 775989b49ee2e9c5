"""Instruments: the loss along a segment, permuted hidden units, Hessian-vector products and
the top eigenvalue against exact Hessians, Monte-Carlo dropout and ensembles."""

import math

import numpy as np
import pytest

from optbook import nn


def regression(seed=0, n=40, d=4):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)) * [1.0, 3.0, 0.5, 2.0][:d]
    return x, rng.standard_normal(n)


def exact_regression_hessian(x):
    """Hessian of mean((x w + b - y)^2) in (w, b): (2/n) [x 1]^T [x 1]."""
    a = np.column_stack([x, np.ones(len(x))])
    return 2.0 / len(x) * a.T @ a


def test_loss_along_a_segment_starts_and_ends_at_the_two_networks():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((20, 3)), rng.integers(0, 2, 20)
    net = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2), seed=0)
    a = net.get_params()
    b = a + rng.standard_normal(a.size)
    losses = nn.loss_along_segment(net, "cross_entropy", x, y, a, b, alphas=[0.0, 0.5, 1.0])
    values = []
    for theta in (a, (a + b) / 2, b):
        net.set_params(theta)
        values.append(net.evaluate(x, y, "cross_entropy")[0])
    np.testing.assert_allclose(losses, values, rtol=1e-13)
    np.testing.assert_array_equal(net.params, b)  # left as it was before the call


def test_permuting_hidden_units_leaves_the_function_unchanged():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((10, 4)), rng.integers(0, 3, 10)
    net = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Dropout(drop=0.1), nn.Linear(6, 5),
                        nn.ReLU(), nn.Linear(5, 3), seed=1)
    before = net.predict(x)
    theta = net.get_params()
    permuted = nn.permute_units(net, "linear0", np.array([3, 0, 5, 1, 4, 2]))
    assert not np.allclose(permuted, theta)
    net.set_params(permuted)
    np.testing.assert_allclose(net.predict(x), before, rtol=1e-13, atol=1e-15)
    w1 = theta[:24].reshape(6, 4)
    np.testing.assert_array_equal(permuted[:24].reshape(6, 4)[0], w1[3])
    ends = nn.loss_along_segment(net, "cross_entropy", x, y, theta, permuted, alphas=[0, 1])
    assert ends[0] == pytest.approx(ends[1], rel=1e-13)


@pytest.mark.parametrize(("layers", "layer", "perm", "match"), [
    ((nn.Linear(3, 2),), "linear0", [1, 0], "last linear layer"),
    ((nn.Linear(3, 2), nn.BatchNorm1d(2), nn.Linear(2, 2)), "linear0", [1, 0], "BatchNorm1d"),
    ((nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 2)), "relu1", [1, 0], "linear layer"),
    ((nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 2)), "linear0", [1, 1], "permutation"),
])
def test_bad_permutations(layers, layer, perm, match):
    net = nn.Sequential(*layers)
    with pytest.raises(ValueError, match=match):
        nn.permute_units(net, layer, np.array(perm))


def test_hessian_vector_products_of_least_squares_are_exact():
    x, y = regression()
    net = nn.Sequential(nn.Linear(4, 1), seed=0)
    hessian = exact_regression_hessian(x)
    v = np.random.default_rng(1).standard_normal(5)
    hv = nn.hessian_vector_product(net, "mse", x, y, v)
    # The gradient is linear in theta: the difference quotient is exact up to rounding.
    np.testing.assert_allclose(hv, hessian @ v, rtol=1e-8, atol=1e-10)


def test_hessian_vector_products_of_a_tanh_network_match_second_differences_of_the_loss():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 3)), rng.integers(0, 3, 8)
    net = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 3), seed=2)
    theta = net.get_params()

    def loss(t):
        net.set_params(t)
        return net.evaluate(x, y, "cross_entropy")[0]

    n, h = theta.size, 1e-4
    hessian = np.empty((n, n))
    basis = np.eye(n) * h
    for i in range(n):
        for j in range(n):
            hessian[i, j] = (loss(theta + basis[i] + basis[j]) - loss(theta + basis[i] - basis[j])
                             - loss(theta - basis[i] + basis[j])
                             + loss(theta - basis[i] - basis[j])) / (4 * h * h)
    net.set_params(theta)
    v = rng.standard_normal(n)
    hv = nn.hessian_vector_product(net, "cross_entropy", x, y, v)
    # Second differences: truncation h^2 |f''''| and rounding 1e-16/h^2, both about 1e-8.
    np.testing.assert_allclose(hv, hessian @ v, rtol=0, atol=1e-6 * np.abs(hessian @ v).max())


def test_top_eigenvalue_by_power_iteration_matches_the_exact_one():
    x, y = regression()
    net = nn.Sequential(nn.Linear(4, 1), seed=0)
    eigenvalues, vectors = np.linalg.eigh(exact_regression_hessian(x))
    top = nn.top_hessian_eigenvalue(net, "mse", x, y, iterations=500, tol=1e-12)
    assert top.converged
    assert top.eigenvalue == pytest.approx(eigenvalues[-1], rel=1e-8)
    assert abs(top.vector @ vectors[:, -1]) == pytest.approx(1.0, abs=1e-4)
    stuck = nn.top_hessian_eigenvalue(net, "mse", x, y, iterations=2, tol=1e-15)
    assert not stuck.converged and stuck.iterations == 2


def test_monte_carlo_dropout_averages_towards_weight_scaling():
    """Dropout before the last linear layer: the raw outputs are linear in the mask, so their
    mean over masks is the evaluation output; one sample has variance
    sum_j w_j^2 a_j^2 (1 - p)/p for inverted dropout, and the mean of S samples is within a
    few standard errors of it."""
    rng = np.random.default_rng(0)
    keep = 0.7
    net = nn.Sequential(nn.Linear(3, 20), nn.BatchNorm1d(20), nn.ReLU(),
                        nn.Dropout(keep=keep), nn.Linear(20, 2), seed=1)
    net.forward(rng.standard_normal((30, 3)), training=True)  # running statistics move once
    x = rng.standard_normal((4, 3))
    running = net.layers[1].running_mean.copy()
    samples = 2000
    mc = nn.mc_dropout_predict(net, x, samples, probabilities=False, seed=3)
    assert mc.members.shape == (samples, 4, 2)
    np.testing.assert_array_equal(net.layers[1].running_mean, running)
    exact = net.predict(x)
    first, norm = net.layers[0], net.layers[1]
    z = x @ first.weight.T + first.bias
    scaled = (z - norm.running_mean) / np.sqrt(norm.running_var + 1e-5) * norm.weight + norm.bias
    hidden = np.maximum(scaled, 0.0)  # what the dropout layer sees, in evaluation mode
    w = net.layers[4].weight
    sd = np.sqrt((hidden**2) @ (w.T**2) * (1 - keep) / keep)
    assert np.all(np.abs(mc.mean - exact) < 4 * sd / math.sqrt(samples))
    again = nn.mc_dropout_predict(net, x, samples, probabilities=False, seed=3)
    np.testing.assert_array_equal(again.members, mc.members)
    probs = nn.mc_dropout_predict(net, x, 10, seed=3)
    np.testing.assert_allclose(probs.members.sum(axis=2), 1.0, rtol=1e-14)
    with pytest.raises(ValueError, match="Dropout layer"):
        nn.mc_dropout_predict(nn.Sequential(nn.Linear(3, 2)), x, 5)


def test_an_ensemble_averages_the_members_probabilities():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3))
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3), seed=0)
    thetas = [nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3), seed=s).params.copy()
              for s in range(3)]
    own = net.get_params()
    result = nn.ensemble_predict(net, thetas, x)
    manual = []
    for theta in thetas:
        net.set_params(theta)
        logits = net.predict(x)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        manual.append(e / e.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(result.members, manual, rtol=1e-15)
    np.testing.assert_allclose(result.mean, np.mean(manual, axis=0), rtol=1e-15)
    net.set_params(own)
    nn.ensemble_predict(net, thetas, x)
    np.testing.assert_array_equal(net.params, own)
    with pytest.raises(ValueError, match=r"thetas\[1\] must have shape \(31,\)"):
        nn.ensemble_predict(net, [own, own[:5]], x)


def test_full_hessian_of_least_squares_is_exact_and_symmetric():
    x, y = regression(seed=2)
    net = nn.Sequential(nn.Linear(4, 1), seed=0)
    full = nn.hessian(net, "mse", x, y)
    np.testing.assert_allclose(full, exact_regression_hessian(x), rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(full, full.T)
