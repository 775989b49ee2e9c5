"""Runs that measure their sharpness: on least squares the Hessian is constant and known, so
every checkpoint must give its largest eigenvalue; past 2/lambda_max the run diverges."""

import numpy as np
import pytest

from optbook import nn, optimizers
from optbook.nn.curvature import curvature_grid, curvature_run
from optbook.nn.deep_nets import relu_net


def least_squares(seed=0, n=40):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)) * np.array([1.0, 2.0, 3.0])
    return x, x @ np.array([1.0, -1.0, 0.5]) + 0.1 * rng.standard_normal(n)


def largest_curvature(x):
    a = np.column_stack([x, np.ones(len(x))])
    return np.linalg.eigvalsh(2.0 / len(x) * a.T @ a)[-1]


def test_checkpoints_measure_the_constant_hessian_and_the_loss():
    x, y = least_squares()
    lam = largest_curvature(x)
    lr = 1.0 / lam
    run = curvature_run(nn.Sequential(nn.Linear(3, 1), seed=0), (x, y), (x, y), lr=lr,
                        steps=21, batch_size=len(x), every=5, lanczos_steps=4, lanczos_tol=None,
                        loss="mse")
    np.testing.assert_array_equal(run.steps, [0, 5, 10, 15, 20])
    np.testing.assert_allclose(run.sharpness, lam, rtol=1e-6)
    history = nn.train(nn.Sequential(nn.Linear(3, 1), seed=0), "mse", optimizers.gd(lr), (x, y),
                       epochs=21, batch_size=len(x), record="step", progress=False)
    np.testing.assert_array_equal(run.loss, history.train_loss)
    np.testing.assert_allclose(run.probe_loss, history.train_loss[run.steps], rtol=1e-12)
    assert run.diverged_at is None and run.lr == lr


def test_past_two_over_the_curvature_the_run_diverges_and_stops_measuring():
    x, y = least_squares(1)
    lam = largest_curvature(x)
    run = curvature_run(nn.Sequential(nn.Linear(3, 1), seed=0), (x, y), (x, y), lr=3.0 / lam,
                        steps=2000, batch_size=len(x), every=100, lanczos_steps=4, loss="mse")
    assert run.diverged_at is not None and run.diverged_at < 2000
    assert run.steps[-1] < run.diverged_at and run.sharpness.size == run.steps.size
    assert np.all(np.isfinite(run.sharpness))


def test_the_grid_holds_one_run_per_combination_each_the_single_run():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((48, 4)), rng.integers(0, 3, 48)
    grid = curvature_grid((x, y), (x[:16], y[:16]), lrs=[0.1, 1.0], depths=[1, 2],
                          batch_sizes=[16], steps=7, every=3, width=8, lanczos_steps=3)
    assert sorted(grid) == sorted((lr, d, bn, 16) for lr in (0.1, 1.0) for d in (1, 2)
                                  for bn in (False, True))
    single = curvature_run(relu_net(2, 8, inputs=4, outputs=3), (x, y),
                           (x[:16], y[:16]), lr=1.0, steps=7, batch_size=16, every=3,
                           lanczos_steps=3)
    np.testing.assert_array_equal(grid[1.0, 2, True, 16].sharpness, single.sharpness)
    np.testing.assert_array_equal(grid[1.0, 2, True, 16].loss, single.loss)
    with pytest.raises(ValueError, match="lrs"):
        curvature_grid((x, y), (x, y), lrs=[-1.0], depths=[1], batch_sizes=[16], steps=2,
                       every=1)


def test_the_stopping_rule_finds_the_sharpness_of_deep_networks():
    """curvature_run stops Lanczos when the top Ritz pair's residual is 1 % of its value: on
    the digits networks at initialisation that agrees with sixty steps to 1e-3, taking four
    steps where the top eigenvalue stands apart and more where it does not."""
    from optbook import data
    from optbook.nn.sharpness import sharpness

    digits = data.digits(seed=0)
    x, y = digits.X_train[:128], digits.y_train[:128]
    used = []
    for depth, kind in ((3, "plain"), (8, "plain"), (8, "batchnorm")):
        net = relu_net(depth, 64, kind=kind, seed=0)
        stopped = sharpness(net, "cross_entropy", x, y, steps=20, tol=1e-2)
        full = sharpness(net, "cross_entropy", x, y, steps=60)
        assert stopped.largest == pytest.approx(full.largest, rel=1e-3)
        assert stopped.residual <= 1e-2 * stopped.largest
        used.append(stopped.steps)
    assert min(used) < 8 < max(used) <= 20
