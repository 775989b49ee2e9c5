"""Sharpness by Lanczos against the eigenvalues of the full Hessian (finite differences of
the gradient, column by column), including a network whose most negative eigenvalue is larger
in magnitude than its largest, where power iteration returns the wrong end."""

import numpy as np
import pytest

from optbook import nn
from optbook.nn.deep_nets import relu_net
from optbook.nn.sharpness import sharpness


def problem():
    rng = np.random.default_rng(0)
    return rng.standard_normal((30, 4)), rng.integers(0, 3, 30)


def test_largest_eigenvalue_where_the_negative_end_dominates():
    x, y = problem()
    net = relu_net(2, 5, inputs=4, outputs=3, seed=0)
    eigenvalues = np.linalg.eigvalsh(nn.hessian(net, "cross_entropy", x, y, training=True))
    assert -eigenvalues[0] > eigenvalues[-1] > 0  # the case power iteration gets wrong
    power = nn.top_hessian_eigenvalue(net, "cross_entropy", x, y, training=True)
    assert power.eigenvalue == pytest.approx(eigenvalues[0], rel=1e-4)
    before = net.get_params()
    result = sharpness(net, "cross_entropy", x, y, steps=20)
    assert result.largest == pytest.approx(eigenvalues[-1], rel=1e-6)
    assert result.smallest == pytest.approx(eigenvalues[0], rel=1e-6)
    assert result.residual < 1e-6 and result.steps == 20
    np.testing.assert_array_equal(net.params, before)


def test_a_least_squares_hessian_in_closed_form():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 6)) * np.array([1.0, 1.0, 2.0, 3.0, 0.5, 5.0])
    t = rng.standard_normal(40)
    a = np.column_stack([x, np.ones(40)])
    exact = np.linalg.eigvalsh(2.0 / 40 * a.T @ a)
    net = nn.Sequential(nn.Linear(6, 1), seed=0)
    full = sharpness(net, "mse", x, t, steps=7)  # the whole space: exact up to rounding
    assert full.largest == pytest.approx(exact[-1], rel=1e-7)
    assert full.smallest == pytest.approx(exact[0], rel=1e-5)
    few = sharpness(net, "mse", x, t, steps=4)  # Ritz values lie inside the spectrum
    assert exact[0] - 1e-9 <= few.smallest <= few.largest <= exact[-1] + 1e-9
    assert abs(few.largest - exact[-1]) <= few.residual + 1e-6


def test_bad_steps_are_refused():
    x, y = problem()
    with pytest.raises(ValueError, match="steps"):
        sharpness(relu_net(1, 3, inputs=4, outputs=3), "cross_entropy", x, y, steps=0)


def one_hidden_layer_hessian(net, x, t):
    """The Hessian of mean((f - t)^2) for f = a . relu(W x + b) + c with the ReLU pattern of
    the current parameters held fixed, in the network's parameter order (W row by row, b, a,
    c): (2/N) sum_i (grad f_i grad f_i^T + r_i Hess f_i), where f is bilinear in (W, b) and a,
    so Hess f_i has only the blocks d f / d w_k d a_k = d_ik x_i and d f / d b_k d a_k = d_ik."""
    k, d = net.layers[0].n_out, net.layers[0].n_in
    theta = net.params
    w = theta[: k * d].reshape(k, d)
    b = theta[k * d: k * d + k]
    a = theta[k * d + k: k * d + 2 * k]
    c = theta[-1]
    z = x @ w.T + b
    mask = (z > 0).astype(float)
    u = mask * z
    r = u @ a + c - t
    n = len(t)
    size = theta.size
    hessian = np.zeros((size, size))
    for i in range(n):
        grad = np.concatenate([((a * mask[i])[:, None] * x[i]).ravel(), a * mask[i], u[i], [1.0]])
        second = np.zeros((size, size))
        for j in range(k):
            rows = list(range(j * d, (j + 1) * d)) + [k * d + j]
            col = k * d + k + j
            second[rows, col] = np.append(mask[i, j] * x[i], mask[i, j])
            second[col, rows] = second[rows, col]
        hessian += np.outer(grad, grad) + r[i] * second
    return 2.0 / n * hessian


def test_frozen_patterns_keep_kinks_out_of_the_differences():
    """A unit whose input sits 1e-7 from its kink: the plain central difference of the
    gradient (power iteration's) jumps there, the frozen-pattern one gives the Hessian."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((12, 2))
    t = rng.standard_normal(12)
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), seed=1)
    w = net.params[:6].reshape(3, 2)
    net.params[6] = 1e-7 - x[0] @ w[0]  # unit 0's input at example 0 is 1e-7
    exact = np.linalg.eigvalsh(one_hidden_layer_hessian(net, x, t))
    result = sharpness(net, "mse", x, t, steps=net.size)
    assert result.largest == pytest.approx(exact[-1], rel=1e-6)
    assert result.smallest == pytest.approx(exact[0], rel=1e-5, abs=1e-8)
    unfrozen = np.linalg.eigvalsh(nn.hessian(net, "mse", x, t))
    assert abs(unfrozen[-1] - exact[-1]) > 0.1 * exact[-1]  # the kink's spurious curvature
    assert all(la._pattern is None for la in net.layers if la.kind == "relu")


def test_a_frozen_pattern_is_the_linearisation_at_the_point_it_was_taken():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 3))
    net = nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.1), nn.Linear(4, 2), seed=0)
    dy = rng.standard_normal((5, 2))
    out = net.forward(x).copy()
    grads_x = net.backward(dy, input_grad=True).copy()
    grads = net.grads.copy()
    act = net.layers[1]
    act.freeze_pattern()
    np.testing.assert_array_equal(net.forward(x), out)
    np.testing.assert_array_equal(net.backward(dy, input_grad=True), grads_x)
    np.testing.assert_array_equal(net.grads, grads)
    z = x @ net.params[:12].reshape(4, 3).T + net.params[12:16]
    pattern = np.where(z > 0, 1.0, 0.1)
    shifted = net.forward(x + 5.0).copy()  # far from the point: the same pattern, linear
    z_shifted = (x + 5.0) @ net.params[:12].reshape(4, 3).T + net.params[12:16]
    w2, b2 = net.params[16:24].reshape(2, 4), net.params[24:]
    np.testing.assert_allclose(shifted, (pattern * z_shifted) @ w2.T + b2, rtol=1e-13)
    with pytest.raises(ValueError, match="frozen pattern"):
        net.forward(x[:3])
    act.thaw_pattern()
    assert not np.allclose(net.forward(x + 5.0), shifted)
    with pytest.raises(ValueError, match="smooth"):
        nn.Sequential(nn.Linear(3, 4), nn.Tanh()).layers[1].freeze_pattern()
