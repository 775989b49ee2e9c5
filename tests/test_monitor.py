"""Reading runs: symptoms and names on curves built by hand, the gallery's real runs named as
intended, and the two formulas of the first update ratio against real first steps."""

import math

import numpy as np
import pytest

from optbook import babysit, monitor, nn

LN10 = math.log(10)


def fake_history(train_loss, train_acc=None, val_loss=None, val_acc=None, *, dead=0.0,
                 saturated=math.nan, diverged_at=None, record="epoch", epoch=None):
    """A History whose records are the given curves (one ReLU-like and one tanh-like layer)."""
    train_loss = np.asarray(train_loss, dtype=float)
    k = train_loss.size
    epochs = np.arange(1, k + 1) if epoch is None else np.asarray(epoch)
    n_epochs = int(epochs.max()) if k else 0
    ones = np.ones(k)
    train_acc = np.full(k, 0.9) if train_acc is None else np.asarray(train_acc, float)
    val_loss = np.full(n_epochs, 0.3) if val_loss is None else np.asarray(val_loss, float)
    val_acc = np.full(n_epochs, 0.9) if val_acc is None else np.asarray(val_acc, float)
    return nn.History(
        record=record, step=np.arange(1, k + 1), epoch=epochs, lr=0.1 * ones,
        train_loss=train_loss, train_accuracy=train_acc, grad_norm=ones,
        update_ratio={"linear0": 1e-3 * ones},
        activations={"relu1": {"mean": ones, "std": ones, "dead": dead * ones,
                               "saturated": np.full(k, math.nan)},
                     "tanh3": {"mean": ones, "std": ones, "dead": np.full(k, math.nan),
                               "saturated": saturated * ones}},
        val_loss=val_loss, val_accuracy=val_acc, epoch_end_step=np.arange(1, n_epochs + 1),
        diverged_at=diverged_at, steps_run=k, epochs_run=n_epochs, epoch_results=[])


def test_symptoms_by_hand():
    h = fake_history([LN10, 2.30, 2.27, 1.0, 0.5], train_acc=[0.1, 0.1, 0.2, 0.8, 0.95],
                     val_loss=[2.3, 2.3, 2.2, 0.9, 0.99], val_acc=[0.1, 0.1, 0.2, 0.8, 0.85],
                     dead=0.25)
    s = monitor.symptoms(h, 10)
    # 2% of ln 10 is 0.046: the first three losses are that close to ln 10.
    assert s.plateau_epochs == 3
    assert s.loss_drop == pytest.approx(LN10 / 0.5)
    # Last quarter of 5 epochs: from epoch 4 (1.0) to epoch 5 (0.5).
    assert s.last_quarter_drop == pytest.approx(0.5)
    assert s.accuracy_gap == pytest.approx(0.10)
    assert s.val_rise == pytest.approx(0.99 / 0.9 - 1)
    assert s.dead == 0.25
    assert math.isnan(s.saturated)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"train_loss": [2.0, 1.0], "diverged_at": 70, "dead": 1.0}, "diverged"),
    ({"train_loss": [3.0, 2.31, 2.31, 2.31], "dead": 0.6}, "dead units"),
    ({"train_loss": [2.0, 1.5, 1.4], "saturated": 0.7}, "saturated units"),
    ({"train_loss": [2.30, 2.30, 2.29, 2.0, 0.1]}, "plateau at chance"),
    ({"train_loss": [3.0, 2.6, 2.3, 2.0, 1.8]}, "too slow"),
    ({"train_loss": [1.0, 0.1, 0.01, 0.001], "train_acc": [0.7, 0.9, 1.0, 1.0],
      "val_acc": [0.6, 0.8, 0.88, 0.88]}, "overfitting"),
    ({"train_loss": [1.0, 0.1, 0.01, 0.001], "train_acc": [0.7, 0.9, 1.0, 1.0],
      "val_loss": [0.9, 0.4, 0.5, 0.6], "val_acc": [0.7, 0.9, 0.98, 0.97]}, "overfitting"),
    ({"train_loss": [1.0, 0.1, 0.05, 0.04], "train_acc": [0.7, 0.9, 0.99, 0.99],
      "val_loss": [0.9, 0.3, 0.2, 0.2], "val_acc": [0.7, 0.9, 0.97, 0.97]}, "healthy"),
])
def test_each_rule_names_the_curve_made_for_it(kwargs, name):
    assert monitor.diagnose(fake_history(**kwargs), 10) == name


def test_a_loss_that_has_levelled_off_is_not_too_slow():
    # Fell by less than 10 but flat over the last quarter: not "too slow".
    flat = fake_history([3.0, 1.0, 0.9, 0.9, 0.9])
    assert monitor.symptoms(flat, 10).last_quarter_drop == 0.0
    assert monitor.diagnose(flat, 10) == "healthy"


def test_step_records_are_read_through_their_epoch_means():
    # Two epochs of two steps: the epoch means are 2.3026 and 1.0.
    h = fake_history([LN10, LN10, 1.5, 0.5], train_acc=[0.1, 0.1, 0.5, 0.7],
                     record="step", epoch=[1, 1, 2, 2], val_acc=[0.1, 0.55])
    s = monitor.symptoms(h, 10)
    assert s.plateau_epochs == 1
    assert s.loss_drop == pytest.approx(LN10)
    assert s.accuracy_gap == pytest.approx(0.6 - 0.55)


def test_checks_of_the_arguments():
    h = fake_history([1.0, 0.5])
    with pytest.raises(ValueError, match="history"):
        monitor.symptoms({"train_loss": [1.0]}, 10)
    with pytest.raises(ValueError, match="n_classes"):
        monitor.symptoms(h, 1)
    with pytest.raises(ValueError, match="dead"):
        monitor.diagnose(h, 10, dead=-0.5)
    with pytest.raises(ValueError, match="plateau"):
        monitor.diagnose(h, 10, plateau=0)


def test_layer_ratios_are_medians_over_the_window():
    h = fake_history([1.0, 0.9, 0.8, 0.7])
    h.update_ratio["linear0"] = np.array([1.0, 5.0, 2.0, 100.0])
    assert monitor.layer_ratios(h) == {"linear0": 3.5}
    assert monitor.layer_ratios(h, 0, 3) == {"linear0": 2.0}


def test_every_gallery_run_is_named_as_intended_per_step_and_per_epoch():
    for record in ("step", "epoch"):
        runs = babysit.gallery(record)
        assert list(runs) == list(babysit.GALLERY)
        for name, run in runs.items():
            assert monitor.diagnose(run.history, 10) == name, (record, name)


def test_first_sgd_step_has_the_lecture_ratio_and_first_adam_step_the_sign_ratio():
    # Full-batch first steps: the gradient is that of the whole training set at the start.
    split = babysit.digits_split()
    for rule, lr, formula in [("gd", 0.1, monitor.gradient_ratios),
                              ("adam", 1e-3, monitor.sign_step_ratios)]:
        run = babysit.babysit(lr, rule=rule, batch_size=split.X_train.shape[0], epochs=1,
                              record="step")
        measured = {k: v[0] for k, v in run.history.update_ratio.items()}
        predicted = formula(babysit.network(), split.X_train, split.y_train, lr)
        assert measured.keys() == predicted.keys()
        for key, value in predicted.items():
            # Adam's step is g/(|g| + eps): eps = 1e-8 against gradients of 1e-5 or more.
            assert measured[key] == pytest.approx(value, rel=1e-12 if rule == "gd" else 1e-3)
