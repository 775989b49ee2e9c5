"""The learning-rate search: each rate's score is its own run's final validation loss, a
diverging rate scores inf and is never chosen, and the grid's edges are flagged."""

import math

import numpy as np
import pytest

from optbook import data, nn, optimizers, tuning


def _problem():
    reg = data.badly_scaled_regression(n=80, scales=(1.0, 1.0), noise=0.1, seed=3)
    X, y = reg.X, reg.y[:, None]
    return (X[:60], y[:60]), (X[60:], y[60:])


def _net():
    return nn.Sequential(nn.Linear(2, 1), seed=0)


def test_search_scores_each_rate_by_its_own_run():
    train, val = _problem()
    lrs = [1e-3, 1e-1, 1e3]
    search = tuning.learning_rate_search(optimizers.gd, lrs, _net, train, val, loss="mse",
                                         epochs=5, batch_size=20)
    assert search.val_loss[2] == math.inf  # lr = 1000 diverges
    assert search.best == 1 and search.best_lr == pytest.approx(0.1)
    assert not search.at_edge
    # the score of a rate is the final validation loss of a run trained by hand the same way
    alone = nn.train(_net(), "mse", optimizers.gd(1e-3), train, validation=val, epochs=5,
                     batch_size=20, progress=False)
    assert search.val_loss[0] == alone.val_loss[-1]
    # with a small lr the loss falls less in 5 epochs than with lr = 0.1
    assert search.val_loss[0] > search.val_loss[1]


def test_search_flags_a_best_rate_at_the_edge():
    train, val = _problem()
    search = tuning.learning_rate_search(optimizers.gd, [1e-4, 1e-3, 1e-2], _net, train, val,
                                         loss="mse", epochs=3, batch_size=20)
    assert search.best == 2 and search.at_edge
    assert np.all(np.diff(search.val_loss) < 0)


def test_search_checks_its_input():
    train, val = _problem()
    with pytest.raises(ValueError, match="lrs"):
        tuning.learning_rate_search(optimizers.gd, [0.0], _net, train, val, loss="mse",
                                    epochs=1, batch_size=20)
    with pytest.raises(ValueError, match="make_optimizer"):
        tuning.learning_rate_search(lambda lr: lr, [0.1], _net, train, val, loss="mse",
                                    epochs=1, batch_size=20)
