"""Every layer's backward pass against central differences, and the network's flat layout.

The loss of a layer's output ``y`` is ``sum(y * R)`` for a fixed random ``R``, so ``dy = R``;
the hand-written gradients must agree with fourth-order central differences of that loss to a
relative error of 1e-7 in float64 (CS231n's threshold for a correct gradient without kinks).
Inputs to the ReLU family stay at least 0.05 from the kink at 0, far beyond the steps 2h = 2e-4.
"""

import numpy as np
import pytest

from nn_reference import central_gradient, max_relative_error
from optbook import nn

TOLERANCE = 1e-7
SHAPES = [(1, 3), (4, 7), (16, 5)]


def away_from_zero(rng, shape):
    return np.sign(rng.standard_normal(shape)) * (0.05 + rng.random(shape))


def check_layer_alone(net, x, training=True):
    """Backward of ``net`` (a one-layer Sequential or one with fixed parts) for sum(y * R)."""
    rng = np.random.default_rng(1)
    y = net.forward(x, training)
    r = rng.standard_normal(y.shape)

    def loss_of_input(z):
        net.reseed_dropout(7)
        return float(np.sum(net.forward(z, training) * r))

    def loss_of_params(theta):
        kept = net.params.copy()
        net.params[...] = theta
        value = loss_of_input(x)
        net.params[...] = kept
        return value

    loss_of_input(x)
    dx = net.backward(r, input_grad=True).copy()
    grads = net.grads.copy()
    assert max_relative_error(dx, central_gradient(loss_of_input, x)) < TOLERANCE
    if net.size:
        assert max_relative_error(grads, central_gradient(loss_of_params, net.params)) < TOLERANCE


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_backward_matches_central_differences(shape, bias):
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.Linear(shape[1], 4, bias=bias), seed=2)
    check_layer_alone(net, rng.standard_normal(shape))


def check_free_layer(layer, x, training):
    """Backward of a layer without parameters, used on its own, for sum(y * R)."""
    r = np.random.default_rng(1).standard_normal(x.shape)

    def loss_of_input(z):
        if isinstance(layer, nn.Dropout):
            layer.reseed(7)
        return float(np.sum(layer.forward(z, training) * r))

    loss_of_input(x)
    dx = layer.backward(r).copy()
    assert max_relative_error(dx, central_gradient(loss_of_input, x)) < TOLERANCE


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("make", [nn.ReLU, lambda: nn.LeakyReLU(0.2), nn.Tanh, nn.Sigmoid],
                         ids=["relu", "leaky_relu", "tanh", "sigmoid"])
def test_activation_backward_matches_central_differences(shape, make):
    check_free_layer(make(), away_from_zero(np.random.default_rng(0), shape), training=True)


def test_activation_values_are_the_functions():
    z = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
    expected = {
        nn.ReLU(): np.maximum(z, 0.0),
        nn.LeakyReLU(0.1): np.where(z > 0, z, 0.1 * z),
        nn.Tanh(): np.tanh(z),
        nn.Sigmoid(): 1.0 / (1.0 + np.exp(-z)),
    }
    for layer, values in expected.items():
        np.testing.assert_allclose(layer.forward(z), values, rtol=1e-15, atol=0)
        assert layer.forward(z) is not z


def test_sigmoid_saturates_without_overflow():
    z = np.array([[-800.0, 800.0]])
    np.testing.assert_array_equal(nn.Sigmoid().forward(z), [[0.0, 1.0]])


def test_relu_takes_the_left_derivative_at_zero():
    layer = nn.ReLU()
    layer.forward(np.array([[0.0, 1.0]]))
    np.testing.assert_array_equal(layer.backward(np.array([[5.0, 5.0]])), [[0.0, 5.0]])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["inverted", "vanilla"])
@pytest.mark.parametrize("training", [True, False])
def test_dropout_backward_matches_central_differences_for_a_fixed_mask(shape, mode, training):
    x = np.random.default_rng(0).standard_normal(shape)
    check_free_layer(nn.Dropout(drop=0.4, mode=mode), x, training)


@pytest.mark.parametrize("shape", [(3, 4), (5, 2), (16, 6)])
def test_batchnorm_backward_matches_central_differences(shape):
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.BatchNorm1d(shape[1]), seed=0)
    net.params[...] = rng.standard_normal(net.size)
    check_layer_alone(net, 3.0 + 2.0 * rng.standard_normal(shape), training=True)
    check_layer_alone(net, rng.standard_normal(shape), training=False)


@pytest.mark.parametrize(
    "layers",
    [
        lambda: (nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3)),
        lambda: (nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 6), nn.Sigmoid(), nn.Linear(6, 3)),
        lambda: (nn.Linear(5, 8, bias=False), nn.BatchNorm1d(8), nn.LeakyReLU(0.1),
                 nn.Dropout(keep=0.7), nn.Linear(8, 3)),
    ],
    ids=["relu", "tanh-sigmoid", "batchnorm-dropout"],
)
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_network_gradient_with_penalty_matches_central_differences(layers, l2):
    rng = np.random.default_rng(3)
    net = nn.Sequential(*layers(), seed=4)
    x, y = rng.standard_normal((10, 5)), rng.integers(0, 3, 10)
    net.reseed_dropout(5)

    def objective(theta):
        kept = net.params.copy()
        net.params[...] = theta
        net.reseed_dropout(5)
        value, _ = net.loss_and_grad(x, y, "cross_entropy", l2=l2)
        net.params[...] = kept
        return value

    objective(net.params)
    analytic = net.grads.copy()
    numeric = central_gradient(objective, net.params)
    assert max_relative_error(analytic, numeric) < TOLERANCE
    # The library's check is CS231n's two-point difference (h = 1e-5), whose truncation error
    # h^2 |f'''| / 6 is about 1e-10 here: its threshold is 1e-6 on entries above 1e-4.
    check = nn.gradient_check(net, "cross_entropy", x, y, l2=l2, seed=5)
    assert np.max(check.relative_errors[np.abs(check.numeric) > 1e-4]) < 1e-6


@pytest.mark.parametrize("make", [nn.ReLU, lambda: nn.LeakyReLU(0.1), nn.Tanh, nn.Sigmoid])
def test_fused_bias_gives_the_unfused_values(make):
    """Inside a network a linear layer's bias is added and summed by the activation after it;
    the same layers apart (a dropout with keep=1 in between stops the fusion) agree."""
    rng = np.random.default_rng(0)
    fused = nn.Sequential(nn.Linear(4, 6), make(), nn.Linear(6, 2), seed=1)
    apart = nn.Sequential(nn.Linear(4, 6), nn.Dropout(keep=1.0), make(), nn.Linear(6, 2),
                          seed=1)
    assert fused.layers[0].bias_fused and not apart.layers[0].bias_fused
    x, y = rng.standard_normal((7, 4)), rng.integers(0, 2, 7)
    for net in (fused, apart):
        net.loss_and_grad(x, y, "cross_entropy")
    np.testing.assert_allclose(fused.grads, apart.grads, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(fused.predict(x), apart.predict(x), rtol=1e-14)


@pytest.mark.parametrize("slope", [0.0, 0.1])
def test_statistics_and_patterns_of_a_fused_layer_come_from_its_input_plus_the_bias(slope):
    """The activation adds the bias of the linear layer before it to what it reads; its dead
    units and its frozen pattern are those of z = x W^T + b computed here in NumPy, also on a
    batch passed through a frozen pattern, whose outputs no longer tell the sign of z."""
    rng = np.random.default_rng(3)
    make = nn.ReLU if slope == 0.0 else (lambda: nn.LeakyReLU(slope))
    net = nn.Sequential(nn.Linear(3, 8), make(), nn.Linear(8, 2), seed=0)
    linear, act, out = net.layers
    linear.bias[:3] = -50.0  # three units below zero on every example
    linear.bias[3:] = 0.0  # the others change sign with the input
    x = rng.standard_normal((6, 3))

    def z_of(inputs):
        return inputs @ linear.weight.T + linear.bias

    def dead(z):
        return np.mean(np.all(z <= 0, axis=0))

    net.forward(x)
    z = z_of(x)
    stats = act.statistics()
    y = np.where(z > 0, z, slope * z)
    assert stats["dead"] == dead(z) >= 3 / 8
    assert stats["mean"] == pytest.approx(y.mean(), rel=1e-13)
    act.freeze_pattern()
    x2 = -x
    z2 = z_of(x2)
    frozen = np.where(z > 0, 1.0, slope) * z2
    np.testing.assert_allclose(net.forward(x2), frozen @ out.weight.T + out.bias, rtol=1e-13)
    assert act.statistics()["dead"] == dead(z2)
    if slope == 0.0:  # the frozen ReLU's outputs alone would count more units dead
        assert dead(frozen) > dead(z2)
    act.freeze_pattern()  # taken again: from z2 now
    again = np.where(z2 > 0, 1.0, slope) * z2
    np.testing.assert_allclose(net.forward(x2), again @ out.weight.T + out.bias, rtol=1e-13)


def test_parameters_live_in_one_flat_vector_with_views_per_layer():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2, bias=False), seed=0)
    assert net.size == 3 * 4 + 4 + 4 * 2
    first, last = net.layers[0], net.layers[2]
    assert np.shares_memory(first.weight, net.params) and np.shares_memory(last.grad_weight,
                                                                           net.grads)
    net.params[:12] = np.arange(12.0)
    np.testing.assert_array_equal(first.weight, np.arange(12.0).reshape(4, 3))
    assert net.slices == {"linear0": slice(0, 16), "linear2": slice(16, 24)}
    assert net.weight_slices == [slice(0, 12), slice(16, 24)]
    x = np.ones((2, 3))
    expected = np.maximum(x @ first.weight.T + first.bias, 0) @ last.weight.T
    np.testing.assert_allclose(net.predict(x), expected, rtol=1e-15)


def test_float32_network_rounds_the_float64_one():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 5))
    nets = {dt: nn.Sequential(nn.Linear(5, 6), nn.BatchNorm1d(6), nn.Tanh(), nn.Linear(6, 3),
                              dtype=dt, seed=3) for dt in (np.float32, np.float64)}
    assert nets[np.float32].params.dtype == np.float32
    np.testing.assert_array_equal(nets[np.float32].params,
                                  nets[np.float64].params.astype(np.float32))
    out32 = nets[np.float32].forward(x, training=True)
    out64 = nets[np.float64].forward(x, training=True)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, out64, rtol=2e-5, atol=2e-6)


def test_a_bias_before_batch_norm_gets_no_gradient():
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2), seed=0)
    net.loss_and_grad(rng.standard_normal((8, 4)), rng.integers(0, 2, 8), "cross_entropy")
    bias_grad = net.layers[0].grad_bias
    assert np.max(np.abs(bias_grad)) < 1e-15 * np.max(np.abs(net.grads))


def test_trace_returns_every_layers_output_and_input_gradient():
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3), seed=1)
    x = rng.standard_normal((5, 4))
    r = rng.standard_normal((5, 3))
    outputs, grads = net.trace(x, r)
    first, last = net.layers[0], net.layers[2]
    np.testing.assert_allclose(outputs[0], x @ first.weight.T + first.bias, rtol=1e-14)
    np.testing.assert_array_equal(outputs[1], np.maximum(outputs[0], 0.0))
    np.testing.assert_allclose(outputs[2], net.predict(x), rtol=1e-15)
    np.testing.assert_allclose(grads[2], r @ last.weight, rtol=1e-14)
    np.testing.assert_array_equal(grads[1], grads[2] * (outputs[0] > 0))
    numeric = central_gradient(lambda z: float(np.sum(net.forward(z) * r)), x)
    assert max_relative_error(grads[0], numeric) < TOLERANCE
    assert net.trace(x).input_grads == []
    with pytest.raises(ValueError, match=r"d_out must be a finite array of shape \(5, 3\)"):
        net.trace(x, r[:, :2])


def test_activations_by_name_and_bad_network_definitions():
    net = nn.Sequential(nn.Linear(3, 4), "tanh", nn.Linear(4, 2), seed=0)
    assert isinstance(net.layers[1], nn.Tanh) and net.names == ["linear0", "tanh1", "linear2"]
    cases = [
        (lambda: nn.Sequential(nn.Linear(3, 4), "swish"), "unknown layer or activation 'swish'"),
        (lambda: nn.mlp([3, 4, 2], activation="swish"), "unknown activation 'swish'"),
        (lambda: nn.Sequential(nn.Linear(3, 4), nn.Linear(5, 2)),
         r"Linear\(5, 2\) takes 5 input features, but gets 4"),
        (lambda: nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(5)), "takes 5 features"),
        (lambda: nn.Sequential(nn.ReLU()), "needs a Linear or BatchNorm1d"),
        (lambda: nn.Sequential(nn.Linear(3, 4), np.eye(3)), "layer 1 must be an optbook.nn layer"),
        (lambda: nn.Sequential(nn.Linear(3, 4), dtype=np.float16), "float32 or float64"),
        (lambda: nn.Linear(0, 4), "n_in must be an integer >= 1"),
        (lambda: nn.LeakyReLU(1.5), "negative_slope"),
    ]
    for build, match in cases:
        with pytest.raises(ValueError, match=match):
            build()
    shared = nn.Linear(3, 3)
    nn.Sequential(shared)
    with pytest.raises(ValueError, match="already belongs to a network"):
        nn.Sequential(shared)


def test_alternating_batch_sizes_reuse_each_sizes_buffers_and_give_fresh_values():
    """The full batches and an epoch's shorter last one switch between two views of one
    buffer per output (the same array for the same size, no new one a call); a larger batch
    replaces the buffer and the views of the old one go with it; every value is what a
    network that never saw another size computes."""
    rng = np.random.default_rng(0)

    def make():
        return nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3), seed=0)

    net = make()
    batches = {rows: rng.standard_normal((rows, 4)) for rows in (8, 5, 20)}
    first = {rows: net.forward(batches[rows]) for rows in (8, 5)}
    assert net.forward(batches[8]) is first[8]
    assert net.forward(batches[5]) is first[5]
    assert np.shares_memory(first[8], first[5])
    for rows in (20, 5, 8, 5):
        got = net.forward(batches[rows]).copy()
        np.testing.assert_array_equal(got, make().forward(batches[rows]))
    for layer in net.layers:
        for (name, _), view in layer._views.items():
            assert np.shares_memory(view, layer._buffers[name])
