"""Dropout: expectations by exact enumeration of the masks, the keep/drop naming, per-example
masks, seeding and the checks of its arguments."""

import itertools
import math

import numpy as np
import pytest

from optbook import nn


class FixedUniforms:
    """Stands in for the layer's generator: every draw returns the given uniforms, so a mask
    can be chosen (entries below the keep probability are kept)."""

    def __init__(self, uniforms):
        self.uniforms = np.asarray(uniforms, dtype=np.float64)

    def random(self, shape):
        return np.broadcast_to(self.uniforms, shape).copy()


def masks(units):
    """All keep patterns of ``units`` units as 0/1 arrays."""
    return [np.array(bits, dtype=float) for bits in itertools.product((0, 1), repeat=units)]


def probability(mask, keep):
    kept = mask.sum()
    return keep**kept * (1 - keep) ** (mask.size - kept)


@pytest.mark.parametrize("mode", ["inverted", "vanilla"])
@pytest.mark.parametrize("keep", [0.5, 0.8])
def test_expected_training_output_equals_the_evaluation_output(mode, keep):
    """The lecture's unit a = w0 x + w1 y with dropout on its inputs: averaged over the four
    masks with their probabilities, the training output equals the evaluation output (p a
    for vanilla dropout, a for inverted)."""
    dropout = nn.Dropout(keep=keep, mode=mode)
    net = nn.Sequential(dropout, nn.Linear(2, 1, bias=False), seed=0)
    net.params[...] = [0.7, -1.3]
    x = np.array([[2.0, 0.5]])
    expected = 0.0
    for mask in masks(2):
        dropout.rng = FixedUniforms(np.where(mask == 1, 0.0, 1.0))
        expected += probability(mask, keep) * net.forward(x, training=True)[0, 0]
    a = 0.7 * 2.0 - 1.3 * 0.5
    assert net.forward(x, training=False)[0, 0] == pytest.approx(
        a if mode == "inverted" else keep * a, rel=1e-15)
    assert expected == pytest.approx(net.forward(x, training=False)[0, 0], rel=1e-14)


def test_inverted_dropout_variance_by_enumeration():
    """One unit with activation a: the inverted output is a/p with probability p, else 0, so
    its variance is a^2 (1 - p)/p."""
    keep, a = 0.3, 1.7
    layer = nn.Dropout(keep=keep)
    values = {}
    for kept in (0, 1):
        layer.rng = FixedUniforms([0.0 if kept else 1.0])
        values[kept] = layer.forward(np.array([[a]]), training=True)[0, 0]
    mean = keep * values[1] + (1 - keep) * values[0]
    variance = keep * values[1] ** 2 + (1 - keep) * values[0] ** 2 - mean**2
    assert mean == pytest.approx(a, rel=1e-15)
    assert variance == pytest.approx(a**2 * (1 - keep) / keep, rel=1e-14)


def test_weight_scaling_is_the_normalised_geometric_mean_for_a_softmax_layer():
    """For a softmax layer whose inputs are dropped, the weight-scaled prediction (one pass in
    evaluation mode) equals the normalised geometric mean of the predictions of all masks,
    weighted by their probabilities (Srivastava et al. 2014), exactly."""
    keep = 0.6
    dropout = nn.Dropout(keep=keep, mode="vanilla")
    net = nn.Sequential(dropout, nn.Linear(3, 4), seed=2)
    x = np.array([[0.5, -1.0, 2.0]])
    log_mean = np.zeros(4)
    for mask in masks(3):
        dropout.rng = FixedUniforms(np.where(mask == 1, 0.0, 1.0))
        log_mean += probability(mask, keep) * np.log(nn.softmax(net.forward(x, True))[0])
    geometric = np.exp(log_mean) / np.exp(log_mean).sum()
    np.testing.assert_allclose(nn.softmax(net.predict(x))[0], geometric, rtol=1e-13)


def test_keep_and_drop_name_the_same_layer_both_ways():
    assert nn.Dropout(drop=0.2).keep == pytest.approx(0.8, abs=1e-16)
    assert nn.Dropout(keep=0.8).drop == pytest.approx(0.2, abs=1e-16)
    with pytest.raises(ValueError, match="by keyword"):
        nn.Dropout(0.5)


def test_masks_are_drawn_per_example_and_seeded():
    x = np.ones((200, 50))
    layer = nn.Dropout(drop=0.3)
    layer.reseed(11)
    first = layer.forward(x, training=True).copy()
    assert set(np.unique(first)) == {0.0, 1 / 0.7}
    assert len({row.tobytes() for row in first}) == 200, "every example needs its own mask"
    # 10,000 Bernoulli(0.7) draws: standard deviation sqrt(0.21 / 1e4) = 0.0046; 4 of them.
    assert abs(np.mean(first > 0) - 0.7) < 4 * math.sqrt(0.7 * 0.3 / x.size)
    layer.reseed(11)
    np.testing.assert_array_equal(layer.forward(x, training=True), first)
    np.testing.assert_array_equal(layer.mask, first)
    np.testing.assert_array_equal(layer.forward(x, training=False), x)
    assert layer.mask is None


def test_a_network_reseeds_its_dropout_layers_from_its_seed():
    def outputs(seed):
        net = nn.Sequential(nn.Linear(4, 30), nn.Dropout(drop=0.5), nn.ReLU(),
                            nn.Dropout(drop=0.5), nn.Linear(30, 2), seed=seed)
        return net.forward(np.ones((5, 4)), training=True).copy()

    np.testing.assert_array_equal(outputs(3), outputs(3))
    assert not np.array_equal(outputs(3), outputs(4))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"drop": 1.0}, r"drop probability must be in \[0, 1\)"),
    ({"drop": -0.1}, r"drop probability must be in \[0, 1\)"),
    ({"keep": 0.0}, r"keep probability must be in \(0, 1\]"),
    ({"keep": 1.5}, r"keep probability must be in \(0, 1\]"),
    ({"drop": float("nan")}, "drop probability"),
    ({"drop": 0.1, "keep": 0.9}, "exactly one"),
    ({}, "exactly one"),
    ({"drop": 0.1, "mode": "scaled"}, "mode"),
])
def test_bad_dropout_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        nn.Dropout(**kwargs)
