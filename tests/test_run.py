"""Trajectories and sweeps: divergence, noise, dtypes, rates against theory, fast vs generic."""

import math
import warnings

import numpy as np
import pytest

from optbook import landscapes, optimizers, run
from optbook.run import empirical_rate, sweep, trajectory


def errors_of(traj, landscape):
    return np.linalg.norm(traj.positions - landscape.minimizers[0], axis=1)


@pytest.mark.parametrize("kappa", [1, 10, 100, 1000])
def test_gd_at_optimal_rate_converges_at_theory(kappa):
    land = landscapes.conditioned_quadratic(kappa, angle=0.3)
    lam_min, lam_max = 1.0, float(kappa)
    lr = 2.0 / (lam_min + lam_max)
    traj = trajectory(land, optimizers.gd(lr), [3.0, -2.0], 3000)
    rate = empirical_rate(errors_of(traj, land), burn_in=100)
    # kappa = 1: one step lands on the minimiser (up to rounding of the rotation), rate ~ 0
    assert rate == pytest.approx((kappa - 1) / (kappa + 1), abs=1e-6)


@pytest.mark.parametrize("lam_max", [10.0, 100.0])
def test_gd_diverges_just_past_two_over_lambda_max(lam_max):
    land = landscapes.quadratic([1.0, lam_max], angle=0.7)
    edge = 2.0 / lam_max
    past = trajectory(land, optimizers.gd(edge * 1.01), [1.0, 1.0], 5000)
    below = trajectory(land, optimizers.gd(edge * 0.99), [1.0, 1.0], 5000)
    assert past.diverged_at is not None and below.diverged_at is None
    assert past.steps_run == past.diverged_at - 1 == len(past.positions) - 1
    assert np.all(np.isfinite(past.positions)) and np.abs(past.positions).max() <= 1e6
    assert below.losses[-1] < 1e-12 * below.losses[0]


def test_heavy_ball_at_optimum_converges_at_theory():
    # alpha* = (2/(sqrt(L)+sqrt(mu)))^2, beta* = ((sqrt(k)-1)/(sqrt(k)+1))^2. Both
    # eigen-directions then have a double root r = (sqrt(k)-1)/(sqrt(k)+1), so e_t ~ (a + b t) r^t:
    # not exactly geometric. Checked: e_t / r^t grows linearly (the double root), and the rate
    # measured over [75, 150] lies between r and r (150/75)^(1/75), the linear factor's share.
    kappa = 100.0
    land = landscapes.conditioned_quadratic(kappa, angle=0.5)
    alpha = (2.0 / (math.sqrt(kappa) + 1.0)) ** 2
    r = (math.sqrt(kappa) - 1.0) / (math.sqrt(kappa) + 1.0)
    traj = trajectory(land, optimizers.momentum(alpha, r**2), [3.0, -2.0], 150)
    errors = errors_of(traj, land)
    assert errors[-1] > 1e-12 * errors[0]  # the floor is not reached: the window is [75, 150]
    rate = empirical_rate(errors, burn_in=75)
    assert r < rate <= r * 2 ** (1 / 75)
    scaled = errors[40:] / r ** np.arange(40, errors.size)
    slopes = np.diff(scaled[::20])
    assert np.all(slopes > 0) and slopes.max() / slopes.min() < 1.2
    assert rate < 0.9 * (kappa - 1) / (kappa + 1)


def test_divergence_is_a_result_without_warnings():
    land = landscapes.rosenbrock()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = trajectory(land, optimizers.gd(0.1), [-1.5, 2.0], 500)
        traj32 = trajectory(land, optimizers.adam(10.0), np.float32([-1.5, 2.0]), 500, bound=1e3)
    assert traj.diverged_at is not None and len(traj.losses) == traj.diverged_at
    assert np.all(np.isfinite(traj.losses)) and np.all(np.isfinite(traj.grad_norms))
    assert traj32.positions.dtype == np.float32


def test_float32_trajectory():
    land = landscapes.lecture_quadratic(10)
    t32 = trajectory(land, optimizers.nesterov(0.05, 0.5), np.float32([4.0, 0.5]), 100)
    t64 = trajectory(land, optimizers.nesterov(0.05, 0.5), [4.0, 0.5], 100)
    assert t32.positions.dtype == np.float32 and t64.positions.dtype == np.float64
    np.testing.assert_allclose(t32.positions, t64.positions, rtol=1e-5, atol=1e-6)


def test_gradient_noise_is_seeded_with_variance_sigma2_over_s():
    land = landscapes.quadratic([1.0, 3.0])
    sigma, batch, lr = 2.0, 16, 0.01
    a = trajectory(land, optimizers.gd(lr), [1.0, 1.0], 4000, noise_std=sigma, batch_size=batch)
    b = trajectory(land, optimizers.gd(lr), [1.0, 1.0], 4000, noise_std=sigma, batch_size=batch)
    c = trajectory(land, optimizers.gd(lr), [1.0, 1.0], 4000, noise_std=sigma, batch_size=batch,
                   seed=1)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert not np.array_equal(a.positions, c.positions)
    used = (a.positions[:-1] - a.positions[1:]) / lr
    exact = np.array([land.grad(x) for x in a.positions[:-1]])
    noise = used - exact
    assert noise.std() == pytest.approx(sigma / math.sqrt(batch), rel=0.03)
    assert abs(noise.mean()) < 0.05 * sigma / math.sqrt(batch)


def heavy_ball_grid():
    lrs = np.linspace(0.001, 0.045, 48)
    gammas = np.linspace(0.0, 0.98, 40)
    return lrs, gammas


@pytest.mark.parametrize("form", ["velocity", "pytorch"])
def test_sweep_fast_path_agrees_with_generic_path(form):
    land = landscapes.conditioned_quadratic(100, angle=0.4)
    lrs, gammas = heavy_ball_grid()
    if form == "pytorch":
        gammas = gammas[:-2]
    opt = optimizers.momentum(0.01, form=form)
    kw = dict(x=("lr", lrs), y=("gamma", gammas))
    fast = sweep(land, opt, [1.0, 1.0], 300, **kw)
    slow = sweep(land, opt, [1.0, 1.0], 300, fast_path=False, **kw)
    np.testing.assert_array_equal(fast.diverged, slow.diverged)
    assert 0 < fast.diverged.sum() < fast.diverged.size
    ok = ~fast.diverged
    np.testing.assert_allclose(fast.rate[ok], slow.rate[ok], rtol=1e-9)
    np.testing.assert_allclose(fast.final_loss[ok], slow.final_loss[ok], rtol=1e-6, atol=1e-30)
    assert np.all(np.isnan(fast.rate[~ok]))


def test_sweep_divergence_boundary_is_lr_lambda_max_below_two_plus_two_gamma():
    lam = np.array([1.0, 100.0])
    land = landscapes.quadratic(lam, angle=1.0)
    lrs = np.linspace(0.001, 0.045, 96)
    gammas = np.linspace(0.0, 0.95, 80)
    result = sweep(land, optimizers.momentum(0.01), [1.0, -1.0], 500, x=("lr", lrs),
                   y=("gamma", gammas))
    margin = lrs[None, :] * lam.max() / (2.0 + 2.0 * gammas[:, None])
    stable, unstable = margin < 0.97, margin > 1.03
    assert stable.sum() > 1000 and unstable.sum() > 1000
    assert not result.diverged[stable].any()
    assert result.diverged[unstable].all()
    assert result.rate.shape == (gammas.size, lrs.size)


def test_sweep_generic_path_other_optimizer_and_axes():
    land = landscapes.rosenbrock()
    result = sweep(land, optimizers.adam(), [-1.0, 1.0], 200,
                   x=("lr", [1e-3, 1e-2, 1e-1]), y=("beta1", [0.0, 0.5, 0.9]))
    assert result.final_loss.shape == (3, 3) and not result.diverged.any()
    for iy, beta1 in enumerate([0.0, 0.5, 0.9]):
        for ix, lr in enumerate([1e-3, 1e-2, 1e-1]):
            traj = trajectory(land, optimizers.adam(lr, beta1=beta1), [-1.0, 1.0], 200)
            assert result.final_loss[iy, ix] == pytest.approx(traj.losses[-1], rel=1e-12)
            errors = errors_of(traj, land)
            assert result.rate[iy, ix] == pytest.approx(empirical_rate(errors), rel=1e-12)


def test_empirical_rate_rules():
    geometric = 3.0 * 0.5 ** np.arange(20)
    assert empirical_rate(geometric) == pytest.approx(0.5, rel=1e-14)
    assert empirical_rate([1.0, 0.0, 0.0]) == 0.0
    assert math.isnan(empirical_rate([1.0, np.inf]))
    # the window is never shorter than half the run up to the floor
    assert empirical_rate(0.1 ** np.arange(30), burn_in=25) == pytest.approx(0.1, rel=1e-12)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda q: trajectory(q, optimizers.gd(0.1), [1.0, 2.0, 3.0], 10), r"x0 must have shape"),
        (lambda q: trajectory(q, optimizers.gd(0.1), [1.0, 2.0], 0), "steps must be an integer"),
        (lambda q: trajectory(q, optimizers.gd(0.1), [1.0, 2.0], 2.5), "steps must be an integer"),
        (lambda q: trajectory(q, optimizers.gd(0.1), [1.0, np.nan], 5), "x0 must be finite"),
        (lambda q: trajectory(q, optimizers.gd(0.1), [1.0, 2.0], 5, clip=("norm", -1)), "clip"),
        (lambda q: trajectory(q, optimizers.gd(0.1), [1.0, 2.0], 5, noise_std=-1), "noise_std"),
        (lambda q: trajectory(q, optimizers.gd(0.1), [1.0, 2.0], 5, batch_size=0), "batch_size"),
        (lambda q: trajectory(q, "adam", [1.0, 2.0], 5), "optimizer must be"),
        (lambda q: trajectory(q, optimizers.gd(0.1), [1.0, 2.0], 5, schedule=0.1), "schedule"),
        (lambda q: sweep(q, optimizers.momentum(0.1), [1.0, 2.0], 5, x=("lr", [0.1]),
                         y=("beta", [0.5])), "no hyper-parameter 'beta'"),
        (lambda q: sweep(q, optimizers.momentum(0.1), [1.0, 2.0], 5, x=("lr", [0.1]),
                         y=("gamma", [0.5, 1.0])), r"gamma must be in \[0, 1\)"),
        (lambda q: sweep(q, optimizers.momentum(0.1), [1.0, 2.0], 5, x=("lr", [-0.1]),
                         y=("gamma", [0.5])), "lr must be >= 0"),
        (lambda q: sweep(q, optimizers.momentum(0.1), [1.0, 2.0], 5, x=("lr", [0.1]),
                         y=("lr", [0.5])), "different hyper-parameters"),
        (lambda q: sweep(q, optimizers.momentum(0.1), [1.0, 2.0], 5, x=("lr", [0.1]),
                         y=("gamma", [0.5]), burn_in=5), "burn_in must be"),
    ],
)
def test_bad_run_inputs_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call(landscapes.lecture_quadratic(2))


def test_fitted_rate_is_exact_on_a_geometric_sequence():
    errors = 3.0 * 0.9 ** np.arange(200)
    assert run.fitted_rate(errors) == pytest.approx(0.9, rel=1e-12)


def test_fitted_rate_averages_out_an_oscillation_that_fools_a_two_point_ratio():
    t = np.arange(401)
    errors = 0.95**t * (1.5 + np.cos(0.7 * t))  # envelope rate 0.95, phase-dependent factor
    assert run.fitted_rate(errors) == pytest.approx(0.95, abs=2e-3)
    assert abs(run.empirical_rate(errors) - 0.95) > 2e-3


def test_fitted_rate_rejects_bad_input():
    with pytest.raises(ValueError, match="errors must be a 1-D array"):
        run.fitted_rate([1.0, 0.5])
    with pytest.raises(ValueError, match="errors\\[0\\] must be > 0"):
        run.fitted_rate([0.0, 1.0, 2.0])
    assert math.isnan(run.fitted_rate([1.0, np.inf, 0.5]))
