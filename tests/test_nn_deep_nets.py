"""The chapter's deep ReLU networks: their layers, the same weights with and without batch
norm, He's variance, and the checks of their arguments."""

import numpy as np
import pytest

from optbook import nn, optimizers
from optbook.nn.deep_nets import relu_net


def test_blocks_of_each_kind():
    kinds = {kind: [la.kind for la in relu_net(2, 8, kind=kind).layers]
             for kind in ("plain", "batchnorm", "noisy")}
    assert kinds["plain"] == ["linear", "relu", "linear", "relu", "linear"]
    assert kinds["batchnorm"] == ["linear", "batchnorm", "relu"] * 2 + ["linear"]
    assert kinds["noisy"] == ["linear", "batchnorm", "noise", "relu"] * 2 + ["linear"]
    bn = relu_net(2, 8)
    assert [la.has_bias for la in bn.layers if la.kind == "linear"] == [False, False, True]
    assert relu_net(1, 4, constant_stats=True).layers[1].constant_stats


def test_same_weights_with_and_without_batch_norm_drawn_with_he_variance():
    plain = relu_net(3, 300, kind="plain", seed=4)
    normed = relu_net(3, 300, kind="noisy", seed=4)
    for a, b in zip(plain.weight_slices, normed.weight_slices, strict=True):
        np.testing.assert_array_equal(plain.params[a], normed.params[b])
    first = plain.params[plain.weight_slices[0]]
    assert first.var() == pytest.approx(2.0 / 64, rel=0.03)  # 19,200 draws: sd of var ~1 %
    assert np.all(plain.params[plain.slices["linear0"]][first.size:] == 0.0)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"depth": 0}, "depth"), ({"width": 0}, "width"), ({"kind": "layernorm"}, "kind"),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        relu_net(**{"depth": 2, **kwargs})


def test_the_network_trains():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 64))
    y = (x[:, 0] > 0).astype(int)
    net = relu_net(2, 16, outputs=2)
    history = nn.train(net, "cross_entropy", optimizers.gd(0.1),
                       (x, y), epochs=30, batch_size=16, progress=False)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
