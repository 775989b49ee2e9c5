"""Reduce-on-plateau: the rule worked by hand, and the network loop it drives."""

import numpy as np
import pytest

from optbook import data, nn, optimizers, plateau


def test_tracker_follows_pytorch_s_rule_step_by_step():
    rule = plateau.ReduceOnPlateau(factor=0.5, patience=2, threshold=0.1, cooldown=1,
                                   min_lr=0.3)
    tracker = rule.start(2.0)
    # losses and the rate expected after each, worked by hand (an improvement needs a loss
    # below 0.9 times the best):
    #  10 best; 9.5, 9.2 no; 9.1 no: 3 bad epochs > 2 -> 1.0, one epoch of cooldown;
    #  9.0 no, but in cooldown (the count restarts); 8.9 < 9 yes (best 8.9);
    #  8.95, 9.0 no (1, 2); 8.0 < 8.01 yes (best 8.0); 8.0 three times -> 0.5, cooldown;
    #  8.0 in cooldown; 8.0 three times -> max(0.25, 0.3) = 0.3, cooldown;
    #  8.0 in cooldown; 8.0 three times: max(0.15, 0.3) = 0.3 changes nothing, no cut
    losses = [10, 9.5, 9.2, 9.1, 9.0, 8.9, 8.95, 9.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0,
              8.0, 8.0, 8.0, 8.0]
    expected = [2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.3,
                0.3, 0.3, 0.3, 0.3]
    assert [tracker.step(loss) for loss in losses] == expected
    assert tracker.cuts == 3


def test_a_rule_starts_afresh_for_every_run():
    rule = plateau.ReduceOnPlateau(patience=0)
    first = rule.start(1.0)
    first.step(1.0)
    first.step(1.0)
    assert first.lr == pytest.approx(0.1)
    assert rule.start(1.0).lr == 1.0


def test_train_network_is_nn_train_epoch_by_epoch_with_the_tracker_s_rates():
    d = data.digits(seed=0)
    X, y = d.X_train[:200], d.y_train[:200]
    rule = plateau.ReduceOnPlateau(factor=0.5, patience=0, threshold=0.5)
    net = nn.mlp([64, 16, 10], seed=1)
    result = plateau.train_network(net, "cross_entropy", 0.2, (X, y), rule, epochs=6,
                                   batch_size=50, validation=(d.X_val, d.y_val), seed=4)
    assert result.steps_per_epoch == 4 and not result.diverged
    replay = nn.mlp([64, 16, 10], seed=1)
    tracker = rule.start(0.2)
    for epoch in range(6):
        assert result.lr[epoch] == tracker.lr
        history = nn.train(replay, "cross_entropy", optimizers.gd(tracker.lr), (X, y), epochs=1,
                           batch_size=50, validation=(d.X_val, d.y_val), seed=[4, epoch + 1],
                           progress=False)
        assert result.train_loss[epoch] == history.train_loss[-1]
        assert result.val_loss[epoch] == history.val_loss[-1]
        tracker.step(history.train_loss[-1])
    np.testing.assert_array_equal(net.params, replay.params)
    assert tracker.cuts >= 1  # halving the loss every epoch: not for long


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: plateau.ReduceOnPlateau(factor=1.0), r"factor must be in \(0, 1\)"),
        (lambda: plateau.ReduceOnPlateau(patience=-1), "patience must be an integer >= 0"),
        (lambda: plateau.ReduceOnPlateau(threshold=-0.1), "threshold must be in"),
        (lambda: plateau.ReduceOnPlateau(min_lr=-1.0), "min_lr must be in"),
        (lambda: plateau.ReduceOnPlateau().start(0.0), r"lr must be in \(0"),
        (lambda: plateau.train_network(nn.mlp([2, 2]), "mse", 0.1, (np.zeros((4, 2)),
                                       np.zeros((4, 2))), plateau.ReduceOnPlateau(), epochs=1,
                                       monitor="val_loss"), "needs validation data"),
        (lambda: plateau.train_network(nn.mlp([2, 2]), "mse", 0.1, (np.zeros((4, 2)),
                                       np.zeros((4, 2))), "plateau", epochs=1),
         "rule must be a ReduceOnPlateau"),
    ],
)
def test_bad_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
