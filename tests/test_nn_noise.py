"""The shift-and-scale noise layer: an affine map per unit drawn afresh at every training
pass, within its ranges, the identity in evaluation, and its backward pass."""

import numpy as np
import pytest

from nn_reference import central_gradient
from optbook import nn
from optbook.nn.noise import ShiftScaleNoise


def test_training_passes_shift_and_scale_each_unit_by_fresh_draws_within_range():
    layer = ShiftScaleNoise(50, shift=0.5, scale=3.0, seed=1)
    net = nn.Sequential(nn.BatchNorm1d(50), layer)
    x = np.random.default_rng(0).standard_normal((40, 50))
    seen = []
    for _ in range(3):
        normalised = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5)
        out = net.forward(x, training=True)
        np.testing.assert_allclose(out, normalised * layer.scales + layer.shifts, rtol=1e-12)
        assert np.all(np.abs(layer.shifts) < 0.5)
        assert np.all((layer.scales > 1 / 3.0) & (layer.scales < 3.0))
        seen.append(layer.shifts.copy())
        # the unit means are the shifts: the distribution moves from step to step
        np.testing.assert_allclose(out.mean(axis=0), layer.shifts, atol=1e-12)
    assert not np.allclose(seen[0], seen[1])
    np.testing.assert_array_equal(net.forward(x)[:, :3], net.layers[0].forward(x)[:, :3])


def test_the_same_seed_gives_the_same_draws():
    a, b = ShiftScaleNoise(4, seed=9), ShiftScaleNoise(4, seed=9)
    for layer in (a, b):
        nn.Sequential(nn.Linear(2, 4), layer).forward(np.ones((3, 2)), training=True)
    np.testing.assert_array_equal(a.shifts, b.shifts)
    a.reseed(9)
    nn.Sequential(nn.Linear(2, 4), ShiftScaleNoise(4)).forward(np.ones((3, 2)))
    assert a.rng.random() == np.random.default_rng(9).random()


def test_backward_multiplies_by_the_drawn_scales():
    layer = ShiftScaleNoise(3, seed=2)
    net = nn.Sequential(nn.Linear(2, 3), layer, seed=0)
    x = np.random.default_rng(1).standard_normal((5, 2))
    dy = np.random.default_rng(2).standard_normal((5, 3))
    net.forward(x, training=True)
    scales, shifts = layer.scales.copy(), layer.shifts.copy()
    dx = net.backward(dy, input_grad=True)
    w = net.params[:6].reshape(3, 2)
    b = net.params[6:]

    def probe(z):
        return float(np.sum(((z @ w.T + b) * scales + shifts) * dy))

    np.testing.assert_allclose(dx, central_gradient(probe, x), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"shift": -1.0}, "shift"), ({"scale": 0.5}, "scale"), ({"num_features": 0}, "num_features"),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ShiftScaleNoise(**{"num_features": 3, **kwargs})
