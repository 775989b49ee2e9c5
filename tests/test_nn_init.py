"""Initialisers: the variance of their draws against the formulas (seeded, with tolerances from
the sampling distribution of the variance), their supports, and their names."""

import math

import numpy as np
import pytest

from optbook import nn
from optbook.nn import init

FAN_IN, FAN_OUT = 300, 100
N = FAN_IN * FAN_OUT  # 30,000 draws per check

# The sample variance of n draws has relative standard deviation sqrt((kurtosis - 1)/n):
# sqrt(2/n) = 0.0082 for a normal, sqrt(0.8/n) = 0.0052 for a uniform. Five of them.
RELATIVE_TOLERANCE = {"normal": 5 * math.sqrt(2 / N), "uniform": 5 * math.sqrt(0.8 / N)}

CASES = [
    (init.normal(0.05), "normal", 0.05**2),
    (init.uniform(0.2), "uniform", 0.2**2 / 3),
    (init.lecun_normal(), "normal", 1 / FAN_IN),
    (init.lecun_uniform(), "uniform", 1 / FAN_IN),
    (init.xavier_normal(), "normal", 2 / (FAN_IN + FAN_OUT)),
    (init.xavier_uniform(gain=2.0), "uniform", 4 * 2 / (FAN_IN + FAN_OUT)),
    (init.he_normal(), "normal", 2 / FAN_IN),
    (init.he_uniform(negative_slope=0.5), "uniform", 2 / (1.25 * FAN_IN)),
    (init.pytorch(), "uniform", 1 / (3 * FAN_IN)),
]


@pytest.mark.parametrize(("initializer", "kind", "variance"), CASES,
                         ids=[c[0].name for c in CASES])
def test_draws_have_the_stated_variance(initializer, kind, variance):
    draws = initializer.draw(np.random.default_rng(0), (FAN_OUT, FAN_IN), FAN_IN, FAN_OUT)
    assert initializer.variance(FAN_IN, FAN_OUT) == pytest.approx(variance, rel=1e-14)
    assert abs(draws.var() / variance - 1) < RELATIVE_TOLERANCE[kind]
    # The mean of n draws has standard deviation sqrt(variance / n); five of them.
    assert abs(draws.mean()) < 5 * math.sqrt(variance / N)
    if kind == "uniform":
        bound = math.sqrt(3 * variance)
        assert np.abs(draws).max() <= bound
        assert np.abs(draws).max() > 0.99 * bound


def test_constant_and_zero_initialisers_are_exact():
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(init.zeros().draw(rng, (3, 2), 2, 3), np.zeros((3, 2)))
    np.testing.assert_array_equal(init.constant(0.25).draw(rng, (3, 2), 2, 3), 0.25)
    assert init.constant(0.25).variance(2, 3) == 0.0


def test_linear_layers_draw_weights_and_biases_like_pytorch_by_default():
    net = nn.Sequential(nn.Linear(FAN_IN, FAN_OUT), seed=0)
    layer = net.layers[0]
    bound = 1 / math.sqrt(FAN_IN)
    assert np.abs(layer.weight).max() <= bound and np.abs(layer.bias).max() <= bound
    assert abs(layer.weight.var() * 3 * FAN_IN - 1) < RELATIVE_TOLERANCE["uniform"]
    assert np.ptp(layer.bias) > bound, "PyTorch's biases are drawn, not zero"
    he = nn.Sequential(nn.Linear(FAN_IN, FAN_OUT, init="he_normal"), seed=0).layers[0]
    np.testing.assert_array_equal(he.bias, 0.0)


def test_the_same_seed_gives_the_same_network_and_another_seed_another():
    def params(seed):
        return nn.Sequential(nn.Linear(5, 4, init="xavier_uniform"), nn.Tanh(),
                             nn.Linear(4, 2), seed=seed).params.copy()

    np.testing.assert_array_equal(params(7), params(7))
    assert not np.array_equal(params(7), params(8))


def test_constant_weights_keep_the_hidden_units_identical():
    """The symmetry problem: with every weight equal, all hidden units compute the same
    value and receive the same gradient."""
    net = nn.Sequential(nn.Linear(3, 4, init=init.constant(0.3)), nn.Tanh(),
                        nn.Linear(4, 2, init=init.constant(0.2)), seed=0)
    rng = np.random.default_rng(0)
    net.loss_and_grad(rng.standard_normal((6, 3)), rng.integers(0, 2, 6), "cross_entropy")
    grad_w1 = net.grads[net.weight_slices[0]].reshape(4, 3)
    np.testing.assert_allclose(grad_w1, np.broadcast_to(grad_w1[0], (4, 3)), rtol=1e-14)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: init.get("glorot"), "unknown initialiser 'glorot'; known names: zeros"),
    (lambda: init.get("normal"), "needs a number"),
    (lambda: init.normal(-1.0), "std"),
    (lambda: init.uniform(0.0), "bound"),
    (lambda: init.xavier_normal(gain=float("inf")), "gain"),
    (lambda: init.he_normal(negative_slope=-0.1), "negative_slope"),
    (lambda: init.constant("a"), "value"),
    (lambda: nn.Linear(3, 2, init="kaiming"), "unknown initialiser"),
])
def test_bad_initialiser_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
