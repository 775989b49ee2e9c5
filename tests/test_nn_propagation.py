"""Variance propagation through depth: the prediction against hand-worked recursions and
numerical integrals, the measurement against plain-NumPy passes, the two against each other on
wide networks, and constant weights against their exact scalar recursion."""

import math

import numpy as np
import pytest

from optbook import nn
from optbook.nn import propagation as prop


def legendre_mean(func, q, panels=800, order=20):
    """E[f(z)], z ~ N(0, q), by Gauss-Legendre on equal panels of [-14 sd, 14 sd] with 0 at a
    panel edge (independent of the library's trapezoidal rule)."""
    sd = math.sqrt(q)
    nodes, weights = np.polynomial.legendre.leggauss(order)
    edges = np.linspace(-14 * sd, 14 * sd, panels + 1)
    mid, half = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2
    z = (mid[:, None] + half[:, None] * nodes[None, :]).ravel()
    w = (half[:, None] * weights[None, :]).ravel()
    return float(np.sum(w * func(z) * np.exp(-z * z / (2 * q))) / math.sqrt(2 * math.pi * q))


@pytest.mark.parametrize("q", [0.01, 0.5, 1.0, 4.0, 30.0, 100.0])
def test_activation_moments_against_the_trapezoidal_rule(q):
    def sig(z):
        return 1 / (1 + np.exp(-z))

    cases = {
        "tanh": (lambda z: np.tanh(z) ** 2, lambda z: (1 - np.tanh(z) ** 2) ** 2),
        "sigmoid": (lambda z: sig(z) ** 2, lambda z: (sig(z) * (1 - sig(z))) ** 2),
        "relu": (lambda z: np.maximum(z, 0) ** 2, lambda z: (z > 0).astype(float)),
    }
    for name, (square, slope) in cases.items():
        got = prop.activation_moments(name, q)
        assert got[0] == pytest.approx(legendre_mean(square, q), rel=1e-11, abs=1e-14)
        assert got[1] == pytest.approx(legendre_mean(slope, q), rel=1e-11, abs=1e-14)
    assert prop.activation_moments("linear", q) == (q, 1.0)


def test_activation_moments_at_zero_variance_are_the_values_at_zero():
    assert prop.activation_moments("tanh", 0.0) == pytest.approx((0.0, 1.0))
    assert prop.activation_moments("sigmoid", 0.0) == pytest.approx((0.25, 1 / 16))
    assert prop.activation_moments("relu", 0.0) == (0.0, 0.0)


def test_a_linear_network_is_a_geometric_series():
    n, sigma2, depth = 10, 0.3, 6
    got = prop.predict([n] * (depth + 1), "linear", sigma2, input_mean_square=2.0,
                       output_grad_mean_square=0.5)
    layers = np.arange(1, depth + 1)
    np.testing.assert_allclose(got.forward, 2.0 * (n * sigma2) ** layers, rtol=1e-14)
    # p_l = (n sigma^2)^(L - l) r_L for l = 0..L-1
    np.testing.assert_allclose(got.backward, 0.5 * (n * sigma2) ** (depth - np.arange(depth)),
                               rtol=1e-14)


def test_relu_recursion_worked_by_hand():
    # widths 3 -> 5 -> 4 -> 2, weight variances 0.2, 0.5, 0.1, bias variances 0.01, 0, 0.03
    got = prop.predict([3, 5, 4, 2], "relu", [0.2, 0.5, 0.1], [0.01, 0.0, 0.03],
                       input_mean_square=1.5, output_grad_mean_square=2.0)
    q1 = 3 * 0.2 * 1.5 + 0.01
    q2 = 5 * 0.5 * (q1 / 2)
    q3 = 4 * 0.1 * (q2 / 2) + 0.03
    np.testing.assert_allclose(got.forward, [q1, q2, q3], rtol=1e-14)
    p2 = 2 * 0.1 * 2.0              # dJ/dh_2 = W_3^T dJ/dz_3
    p1 = 4 * 0.5 * (p2 * 0.5)       # through relu'(z_2)^2 = 1/2 on average
    p0 = 5 * 0.2 * (p1 * 0.5)
    np.testing.assert_allclose(got.backward, [p0, p1, p2], rtol=1e-14)


def test_predict_for_reads_the_initialisers_variances_and_pytorchs_biases():
    widths = [20, 30, 30, 10]
    got = prop.predict_for(widths, "tanh", "pytorch")
    expected = prop.predict(widths, "tanh", [1 / 60, 1 / 90, 1 / 90], [1 / 60, 1 / 90, 1 / 90])
    np.testing.assert_allclose(got.forward, expected.forward, rtol=1e-14)
    he = prop.predict_for(widths, "relu", "he_normal")
    np.testing.assert_allclose(he.forward, [2.0, 2.0, 2.0], rtol=1e-14)
    zero = prop.predict_for(widths, "relu", "zeros")
    assert not zero.forward.any() and not zero.backward.any()


def test_an_exploding_prediction_overflows_to_inf_without_error():
    got = prop.predict([100] * 400, "linear", 1.0)
    assert math.isinf(got.forward[-1]) and math.isinf(got.backward[0])
    # An infinite pre-activation saturates tanh: |h| = 1 and tanh' = 0 in the next layer.
    saturated = prop.predict([10, 10, 10], "tanh", 1.0, input_mean_square=1e308)
    np.testing.assert_array_equal(saturated.forward, [math.inf, 10.0])
    np.testing.assert_array_equal(saturated.backward, [0.0, 10.0])


def numpy_passes(weights, biases, activation, x, d_out):
    """Forward and backward through the layers in plain NumPy (rows are examples)."""
    phi = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh}[activation]
    dphi = {"relu": lambda z: (z > 0).astype(float), "tanh": lambda z: 1 - np.tanh(z) ** 2}
    zs, h = [], x
    for k, (w, b) in enumerate(zip(weights, biases, strict=True)):
        z = h @ w.T + b
        zs.append(z)
        h = phi(z) if k < len(weights) - 1 else z
    grads = [None] * len(weights)
    g = d_out
    for k in range(len(weights) - 1, -1, -1):
        grads[k] = g @ weights[k]           # dJ/dh_{k}
        if k > 0:
            g = grads[k] * dphi[activation](zs[k - 1])
    return [np.mean(z**2) for z in zs], [np.mean(g**2) for g in grads]


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_measure_matches_plain_numpy_passes(activation):
    net = nn.mlp([7, 9, 6, 4], activation, init="pytorch", seed=3)
    rng = np.random.default_rng(0)
    x, d_out = rng.standard_normal((11, 7)), rng.standard_normal((11, 4))
    linears = net.layers[0::2]
    forward, backward = numpy_passes([la.weight.copy() for la in linears],
                                     [la.bias.copy() for la in linears], activation, x, d_out)
    got = prop.measure(net, x, d_out)
    np.testing.assert_allclose(got.forward, forward, rtol=1e-12)
    np.testing.assert_allclose(got.backward, backward, rtol=1e-12)


# Wide networks: the measured mean squares fluctuate around the prediction (each layer's weights
# are one sample). Over five layers of width 1024, three seeds averaged, the largest deviations
# are 5.2 % for ReLU and 0.7 % for tanh (seeds 0-2); 10 % is allowed.
@pytest.mark.parametrize(("activation", "init"), [("relu", "he_normal"), ("relu", "pytorch"),
                                                  ("tanh", "xavier_normal"),
                                                  ("tanh", nn.init.normal(2.0 / 32))])
def test_prediction_matches_wide_networks(activation, init):
    width, depth, batch = 1024, 5, 128
    rng = np.random.default_rng(7)
    x, d_out = rng.standard_normal((batch, width)), rng.standard_normal((batch, width))
    measured = [prop.measure(prop.deep_network(depth, width, activation, init, seed=s), x, d_out)
                for s in range(3)]
    forward = np.mean([m.forward for m in measured], axis=0)
    backward = np.mean([m.backward for m in measured], axis=0)
    predicted = prop.predict_for([width] * (depth + 1), activation, init)
    np.testing.assert_allclose(forward, predicted.forward, rtol=0.10)
    np.testing.assert_allclose(backward, predicted.backward, rtol=0.10)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_constant_weights_follow_their_scalar_recursion(activation):
    widths = [6, 8, 8, 5]
    c = 0.3
    rng = np.random.default_rng(1)
    x, d_out = rng.standard_normal((9, 6)), rng.standard_normal((9, 5))
    net = nn.mlp(widths, activation, init=nn.init.constant(c), seed=0)
    measured = prop.measure(net, x, d_out)
    exact = prop.symmetric_propagation(c, widths, activation, x, d_out)
    np.testing.assert_allclose(measured.forward, exact.forward, rtol=1e-12)
    np.testing.assert_allclose(measured.backward, exact.backward, rtol=1e-12)
    trace = net.trace(x, d_out)
    for hidden in trace.outputs[:-1]:
        assert np.ptp(hidden, axis=1).max() == 0.0, "every unit of a layer is the same"


def test_zero_weights_measure_exactly_zero_except_nothing():
    net = prop.deep_network(4, 16, "tanh", "zeros")
    rng = np.random.default_rng(2)
    got = prop.measure(net, rng.standard_normal((8, 16)), rng.standard_normal((8, 16)))
    assert not got.forward.any() and not got.backward.any()


def test_deep_networks_share_their_first_layers():
    short = prop.deep_network(3, 12, "relu", "he_normal", n_in=5, seed=4)
    long = prop.deep_network(6, 12, "relu", "he_normal", n_in=5, seed=4)
    for a, b in zip(short.layers[0::2], long.layers[0:6:2], strict=True):
        np.testing.assert_array_equal(a.weight, b.weight)


def test_bad_inputs_are_refused_with_the_parameter_named():
    with pytest.raises(ValueError, match="activation"):
        prop.predict([3, 3], "softplus", 1.0)
    with pytest.raises(ValueError, match="widths"):
        prop.predict([3], "relu", 1.0)
    with pytest.raises(ValueError, match="weight_variance"):
        prop.predict([3, 3, 3], "relu", [1.0, -1.0])
    with pytest.raises(ValueError, match="weight_variance"):
        prop.predict([3, 3, 3], "relu", [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="q must be"):
        prop.activation_moments("tanh", -1.0)
    with pytest.raises(ValueError, match="symmetric_propagation"):
        prop.predict_for([3, 3], "relu", nn.init.constant(0.5))
    with pytest.raises(ValueError, match="d_out"):
        prop.symmetric_propagation(0.1, [3, 2], "relu", np.ones((4, 3)), np.ones((4, 3)))
    with pytest.raises(ValueError, match="alternate"):
        prop.measure(nn.Sequential(nn.Linear(3, 3), nn.Dropout(drop=0.5), nn.Linear(3, 2)),
                     np.ones((2, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="depth"):
        prop.deep_network(0, 4, "relu", "he_normal")


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_depth_profiles_equal_the_toolkits_networks_with_the_same_weights(activation):
    width, scale = 24, 1.7
    profiles = prop.depth_profiles(activation, width, scale, [2, 5, 3], batch=10, seed=4)
    assert sorted(profiles.measured) == [2, 3, 5]
    sigma = math.sqrt(scale / width)
    for depth in (2, 3, 5):
        net = prop.deep_network(depth, width, activation, "zeros")
        for layer, g in zip(net.layers[0::2], profiles.weights, strict=False):
            layer.weight[...] = sigma * g
        expected = prop.measure(net, profiles.x, profiles.d_out)
        got = profiles.measured[depth]
        np.testing.assert_allclose(got.forward, expected.forward, rtol=1e-12)
        np.testing.assert_allclose(got.backward, expected.backward, rtol=1e-12)
        predicted = prop.predict([width] * (depth + 1), activation, sigma**2)
        np.testing.assert_allclose(profiles.predicted[depth].forward, predicted.forward)


def test_depth_profiles_share_the_draw_across_scales_and_depths():
    a = prop.depth_profiles("relu", 8, 1.0, [4], batch=6, seed=2)
    b = prop.depth_profiles("relu", 8, 2.0, [4], batch=6, seed=2)
    np.testing.assert_array_equal(a.weights[3], b.weights[3])
    deeper = prop.depth_profiles("relu", 8, 1.0, [4, 9], batch=6, seed=2)
    np.testing.assert_array_equal(deeper.x, a.x)
    np.testing.assert_array_equal(deeper.measured[4].backward, a.measured[4].backward)
    # ReLU is positively homogeneous: doubling n sigma^2 multiplies layer l's z^2 by 2^l
    np.testing.assert_allclose(b.measured[4].forward / a.measured[4].forward,
                               2.0 ** np.arange(1, 5), rtol=1e-12)
    with pytest.raises(ValueError, match="scale"):
        prop.depth_profiles("relu", 8, 0.0, [4])
    with pytest.raises(ValueError, match="depths"):
        prop.depth_profiles("relu", 8, 1.0, [0, 3])
