"""The chapter's run: its network's initial scale, its equivalence with a direct call of the
training loop, determinism, divergence as a result, and its checks."""

import math

import numba
import numpy as np
import pytest

from optbook import babysit, data, monitor, nn, optimizers


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


def test_curves_are_the_runs_records_padded_after_divergence():
    result = babysit.curves(0.1, 1e-3, 1.0, 0.0, epochs=3)
    h = babysit.babysit(0.1, 1e-3, 1.0, 0.0, epochs=3).history
    s = result["series"]
    assert s.shape == (len(babysit.SERIES), 3)
    assert np.array_equal(s[0], h.train_loss) and np.array_equal(s[3], h.val_accuracy)
    assert np.array_equal(s[4:7], np.array(list(h.update_ratio.values())))
    assert np.array_equal(s[7:9], np.array([v["dead"] for v in h.activations.values()]))
    assert result["diverged_at"] == -1
    assert monitor.NAMES[result["diagnosis"]] == monitor.diagnose(h, 10)
    # With dropout the layers get other names; the series keep their order.
    dropped = babysit.curves(0.1, 1e-3, 1.0, 0.5, epochs=2)["series"]
    assert np.all(np.isfinite(dropped))
    diverged = babysit.curves(5.0, epochs=2)
    assert diverged["diverged_at"] >= 0 and np.all(np.isnan(diverged["series"]))
    assert monitor.NAMES[diverged["diagnosis"]] == "diverged"


def test_explorer_grid_is_the_curves_at_every_stop(tmp_path, monkeypatch):
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    stops = {"lr": (0.01, 5.0), "weight_decay": (1e-3,), "init_scale": (1.0,),
             "drop": (0.0, 0.5)}
    grid = babysit.explorer_grid(stops, epochs=2)
    assert grid["series"].shape == (2, 1, 1, 2, len(babysit.SERIES), 2)
    assert grid["series"].dtype == np.float32
    for i, lr in enumerate(stops["lr"]):
        for k, drop in enumerate(stops["drop"]):
            expected = babysit.curves(lr, 1e-3, 1.0, drop, epochs=2)
            assert np.array_equal(grid["series"][i, 0, 0, k],
                                  expected["series"].astype(np.float32), equal_nan=True)
            assert grid["diverged_at"][i, 0, 0, k] == expected["diverged_at"]
            assert grid["diagnosis"][i, 0, 0, k] == expected["diagnosis"]
    assert np.array_equal(grid["lr"], [0.01, 5.0])
    again = babysit.explorer_grid(stops, epochs=2)  # read from the cache
    assert np.array_equal(again["series"], grid["series"], equal_nan=True)
    with pytest.raises(ValueError, match="stops"):
        babysit.explorer_grid({"lr": (0.1,)})


def test_the_default_stops_are_half_decades_and_at_most_48_runs():
    assert babysit.EXPLORER_STOPS["lr"] == pytest.approx(10 ** np.arange(-2, 0.51, 0.5))
    assert babysit.EXPLORER_STOPS["init_scale"] == pytest.approx([0.1, 1.0])
    assert np.prod([len(v) for v in babysit.EXPLORER_STOPS.values()]) == 48


def test_copy_layers_copies_exactly_the_named_layers():
    source, target = babysit.network(seed=1), babysit.network(seed=2)
    before = target.get_params()
    babysit.copy_layers(source, target, ["linear2"])
    s = target.slices["linear2"]
    assert np.array_equal(target.params[s], source.params[source.slices["linear2"]])
    rest = np.ones(target.size, dtype=bool)
    rest[s] = False
    assert np.array_equal(target.params[rest], before[rest])
    small = nn.mlp([64, 100, 100, 5], seed=0)
    with pytest.raises(ValueError, match="different shapes"):
        babysit.copy_layers(small, target, ["linear4"])
    with pytest.raises(ValueError, match="both networks"):
        babysit.copy_layers(small, target, ["relu1"])


def test_fine_tune_is_the_training_loop_on_the_chosen_classes():
    source = babysit.pretrain([0, 1, 2], epochs=2)
    history = babysit.fine_tune([7, 8, 9], 12, source=source, steps=40)
    split = data.digits(seed=0)
    rows = np.flatnonzero(np.isin(split.y_train, [7, 8, 9]))[:12]
    val = np.isin(split.y_val, [7, 8, 9])
    net = nn.mlp([64, 100, 100, 3], seed=0)
    for name in ("linear0", "linear2"):
        net.params[net.slices[name]] = source.params[source.slices[name]]
    expected = nn.train(net, "cross_entropy", optimizers.gd(0.1),
                        (split.X_train[rows], split.y_train[rows] - 7),
                        validation=(split.X_val[val], split.y_val[val] - 7), epochs=20,
                        batch_size=12, progress=False)
    assert np.array_equal(history.train_loss, expected.train_loss)
    assert np.array_equal(history.val_accuracy, expected.val_accuracy)
    with pytest.raises(ValueError, match="classes"):
        babysit.fine_tune([3, 3], 5)
    with pytest.raises(ValueError, match="n must be"):
        babysit.fine_tune([7, 8], 10_000)


def test_steps_per_epoch_counts_the_last_partial_batch():
    assert babysit.steps_per_epoch() == 34  # 1078 = 33 * 32 + 22
    assert babysit.steps_per_epoch(10, 100) == 10
    assert babysit.steps_per_epoch(32, 20) == 1  # one batch of all 20
    with pytest.raises(ValueError, match="batch_size"):
        babysit.steps_per_epoch(0)
