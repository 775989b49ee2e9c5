"""Learning-rate sweeps against the closed-form stability boundary of gradient descent on
least squares, and the readings of a sweep and of a run."""

import math

import numpy as np
import pytest

from optbook import nn, optimizers
from optbook.nn.sweeps import Sweep, largest_rate, lr_sweep, steps_to_loss


def least_squares(seed=0, n=40):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)) * np.array([1.0, 2.0, 4.0])
    return x, x @ np.array([1.0, -1.0, 0.5]) + 0.1 * rng.standard_normal(n)


def test_full_batch_runs_diverge_just_above_two_over_the_largest_curvature():
    x, y = least_squares()
    a = np.column_stack([x, np.ones(len(x))])
    edge = 2.0 / np.linalg.eigvalsh(2.0 / len(x) * a.T @ a).max()
    lrs = edge * np.array([0.5, 0.9, 0.98, 1.02, 1.1, 2.0])
    sweep = lr_sweep(lambda: nn.Sequential(nn.Linear(3, 1), seed=0), lrs, (x, y), loss="mse",
                     epochs=1500, batch_size=len(x))
    stable = sweep.diverged_at < 0
    np.testing.assert_array_equal(stable, [True, True, True, False, False, False])
    assert np.all(np.isfinite(sweep.final_loss[stable]))
    assert np.all(np.isnan(sweep.final_loss[~stable]))
    # the further past the edge, the sooner the run leaves the bound
    assert sweep.diverged_at[3] > sweep.diverged_at[4] > sweep.diverged_at[5]
    assert largest_rate(sweep) == pytest.approx(0.98 * edge)
    assert len(sweep.histories) == 6


def test_largest_rate_reads_the_largest_passing_rate():
    sweep = Sweep(np.array([0.1, 1.0, 10.0, 100.0]), np.array([0.5, 2.0, 0.4, np.nan]),
                  np.array([-1, -1, -1, 7]), [])
    assert largest_rate(sweep) == 10.0
    assert largest_rate(sweep, below=0.45) == 10.0
    assert math.isnan(largest_rate(sweep, below=0.3))


def test_steps_to_loss_counts_the_steps_before_the_recorded_loss():
    x, y = least_squares(1)
    net = nn.Sequential(nn.Linear(3, 1), seed=0)
    history = nn.train(net, "mse", optimizers.gd(0.01), (x, y), epochs=30,
                       batch_size=len(x), record="step", progress=False)
    target = history.train_loss[0] / 2
    k = steps_to_loss(history, target)
    assert history.train_loss[k] <= target < history.train_loss[k - 1]
    epochs = nn.train(nn.Sequential(nn.Linear(3, 1), seed=0), "mse",
                      optimizers.gd(0.01), (x, y), epochs=30,
                      batch_size=10, progress=False)
    k = steps_to_loss(epochs, target)
    first = int(np.flatnonzero(epochs.train_loss <= target)[0])
    assert k == 4 * (first + 1)
    assert steps_to_loss(history, -1.0) is None


def test_bad_rates_are_refused():
    x, y = least_squares()
    with pytest.raises(ValueError, match="lrs"):
        lr_sweep(lambda: nn.Sequential(nn.Linear(3, 1)), [0.1, -1.0], (x, y), loss="mse",
                 epochs=1)
    with pytest.raises(ValueError, match="build"):
        lr_sweep(None, [0.1], (x, y), loss="mse", epochs=1)
