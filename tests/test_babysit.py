"""The chapter's run: its network's initial scale, its equivalence with a direct call of the
training loop, determinism, divergence as a result, and its checks."""

import math

import numpy as np
import pytest

from optbook import babysit, data, nn, optimizers


def test_network_scales_the_he_weights_and_leaves_the_biases():
    one, two = babysit.network(1.0, seed=4), babysit.network(2.0, seed=4)
    scaled = np.zeros(one.size, dtype=bool)
    for s in one.weight_slices:
        scaled[s] = True
    assert two.params[scaled] == pytest.approx(2 * one.params[scaled], rel=1e-15)
    assert np.array_equal(two.params[~scaled], one.params[~scaled])
    # He's normal: variance 2/fan_in for the first layer's 6400 weights.
    first = one.params[one.weight_slices[0]]
    assert np.var(first) == pytest.approx(2 / 64, rel=0.05)
    assert [la.kind for la in babysit.network(drop=0.5).layers].count("dropout") == 2


def test_a_run_is_the_training_loop_on_the_digits():
    run = babysit.babysit(0.05, 1e-3, 0.5, 0.2, epochs=3, train_size=300, seed=2)
    split = data.digits(seed=0)
    net = nn.mlp([64, 100, 100, 10], dropout=0.2, seed=2)
    for s in net.weight_slices:
        net.params[s] *= 0.5
    history = nn.train(net, "cross_entropy", optimizers.gd(0.05),
                       (split.X_train[:300], split.y_train[:300]),
                       validation=(split.X_val, split.y_val), epochs=3, batch_size=32, l2=1e-3,
                       seed=2, progress=False)
    assert np.array_equal(run.history.train_loss, history.train_loss)
    assert np.array_equal(run.history.val_accuracy, history.val_accuracy)
    assert np.array_equal(run.net.params, net.params)


def test_runs_repeat_and_divergence_is_a_result():
    a = babysit.babysit(0.1, epochs=2, record="step")
    b = babysit.babysit(0.1, epochs=2, record="step")
    assert np.array_equal(a.history.train_loss, b.history.train_loss)
    assert a.history.update_ratio["linear4"].size == 2 * 34
    diverged = babysit.babysit(5.0, epochs=2)
    assert diverged.history.diverged_at is not None
    assert math.isnan(babysit.validation_loss(5.0, epochs=2))
    assert babysit.validation_loss(0.1, epochs=2) == pytest.approx(
        babysit.babysit(0.1, epochs=2).history.val_loss[-1], rel=1e-15)


def test_the_shared_split_cannot_be_modified():
    with pytest.raises(ValueError, match="read-only"):
        babysit.digits_split().X_train[0, 0] = 1.0


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"init_scale": 0.0}, "init_scale"), ({"drop": 1.0}, "drop"),
    ({"train_size": 0}, "train_size"), ({"lr": -1.0}, "lr"),
])
def test_bad_settings_are_refused_by_name(kwargs, match):
    with pytest.raises(ValueError, match=match):
        babysit.babysit(**{"lr": 0.1, "epochs": 1, **kwargs})


def test_indices_choose_the_training_examples():
    idx = np.array([3, 10, 200, 7])
    run = babysit.babysit(0.1, epochs=2, indices=idx)
    split = data.digits(seed=0)
    net = babysit.network()
    history = nn.train(net, "cross_entropy", optimizers.gd(0.1),
                       (split.X_train[idx], split.y_train[idx]),
                       validation=(split.X_val, split.y_val), epochs=2, batch_size=4,
                       progress=False)
    assert np.array_equal(run.history.train_loss, history.train_loss)
    with pytest.raises(ValueError, match="not both"):
        babysit.babysit(0.1, epochs=1, indices=idx, train_size=5)
    with pytest.raises(ValueError, match="indices"):
        babysit.babysit(0.1, epochs=1, indices=np.array([5000]))
