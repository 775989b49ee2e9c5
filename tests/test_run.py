"""Trajectories and sweeps: divergence, noise, dtypes, rates against theory, fast vs generic."""

import math
import warnings

import numba
import numpy as np
import pytest

from optbook import landscapes, optimizers, run
from optbook.run import empirical_rate, sweep, trajectory
from optbook.sweep_heavy_ball import log_positive


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
    np.testing.assert_allclose(fast.rate[ok], slow.rate[ok], rtol=1e-11)
    np.testing.assert_allclose(fast.final_loss[ok], slow.final_loss[ok], rtol=1e-9, atol=1e-30)
    assert np.all(np.isnan(fast.rate[~ok]))


def test_sweep_rates_fall_on_the_side_of_one_that_theory_puts_them():
    # the high-momentum rows of the momentum chapter's rate map, where a two-point ratio read
    # decaying oscillations as growth
    ravine = landscapes.lecture_quadratic(50)
    lrs = np.linspace(0.0002, 0.045, 180)
    gammas = np.linspace(0.0, 0.99, 160)[-12:]
    result = sweep(ravine, optimizers.momentum(0.01), ravine.start, 500, x=("lr", lrs),
                   y=("gamma", gammas))
    # heavy ball along one eigenvector:
    # (u_{t+1}, u_t) = [[1 + gamma - lr lam, -gamma], [1, 0]] (u_t, u_{t-1})
    lr, gamma, lam = np.meshgrid(lrs, gammas, ravine.eigenvalues, indexing="xy")
    matrices = np.stack([np.stack([1 + gamma - lr * lam, -gamma], -1),
                         np.stack([np.ones_like(lr), np.zeros_like(lr)], -1)], -2)
    radius = np.abs(np.linalg.eigvals(matrices)).max(axis=(-1, -2))
    assert 0 < (radius < 1).sum() < radius.size
    np.testing.assert_array_equal(~result.diverged & (result.rate < 1), radius < 1)


def test_the_fast_paths_logarithm_matches_math_log():
    log = numba.njit(lambda x: log_positive(x))
    rng = np.random.default_rng(3)
    values = np.concatenate([np.exp(rng.uniform(-700, 700, 2000)),
                             rng.uniform(np.sqrt(0.5), np.sqrt(2.0), 2000),
                             [1.0, 2.0, np.sqrt(2.0), 1e-300, 1e300]])
    assert max(abs(log(v) - math.log(v)) for v in values) < 2e-11


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
            assert result.rate[iy, ix] == pytest.approx(run.fitted_rate(errors), rel=1e-12)


def test_empirical_rate_rules():
    geometric = 3.0 * 0.5 ** np.arange(20)
    assert empirical_rate(geometric) == pytest.approx(0.5, rel=1e-14)
    assert empirical_rate([1.0, 0.0, 0.0]) == 0.0  # lands on the minimiser and stays
    assert math.isnan(empirical_rate([1.0, np.inf]))
    # the window is never shorter than half the run up to the floor, which it leaves out
    assert empirical_rate(0.1 ** np.arange(30), burn_in=25) == pytest.approx(0.1, rel=1e-12)


def test_a_run_through_the_minimiser_reads_the_rate_around_it():
    # the error halves, is exactly 0 at step 30 (an iterate on the minimiser) and leaves again:
    # the zero, below the floor, neither ends the window nor is read
    errors = 0.5 ** np.arange(41.0)
    errors[30] = 0.0
    assert empirical_rate(errors) == pytest.approx(0.5, rel=1e-14)
    assert run.fitted_rate(errors) == pytest.approx(0.5, rel=1e-14)


def test_the_floor_point_is_left_out_of_the_window():
    # halving per step, with a dip far below the floor at step 20 (an error at a node of an
    # oscillation): with the dip in the window the rate read far below 0.5
    errors = 0.5 ** np.arange(41.0)
    errors[20] = 1e-30
    assert empirical_rate(errors) == pytest.approx(0.5, rel=1e-12)
    assert run.fitted_rate(errors) == pytest.approx(0.5, rel=1e-12)


def test_a_run_at_the_floor_within_two_steps_reads_its_contraction():
    assert empirical_rate([1.0, 1e-13, 1e-20]) == pytest.approx(1e-13, rel=1e-12)
    assert run.fitted_rate([1.0, 0.5, 1e-20, 1e-30]) == pytest.approx(1e-10, rel=1e-12)


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
        (lambda q: trajectory(q, optimizers.gd(0.1), [1.0, 2.0], 5, noise_std=np.inf),
         "noise_std must be a finite number"),
        (lambda q: trajectory(q, optimizers.gd(0.1), [1.0, 2.0], 5, bound=1.5),
         "x0 = \\[1.0, 2.0\\] lies beyond bound = 1.5"),
        (lambda q: trajectory(q, optimizers.gd(0.1), [1.0, 2.0], 10**8),
         "steps = 100000000 would record 3.0 GiB"),
        (lambda q: sweep(q, optimizers.momentum(0.1), [1.0, 2.0], 5, x=("lr", [0.1]),
                         y=("beta", [0.5])), "no real hyper-parameter 'beta'"),
        (lambda q: sweep(q, optimizers.momentum(0.1), [1.0, 2.0], 5, x=("lr", [0.1]),
                         y=("gamma", [0.5, 1.0])), r"y: gamma must be .* in \[0, 1\)"),
        (lambda q: sweep(q, optimizers.momentum(0.1), [1.0, 2.0], 5, x=("lr", [-0.1]),
                         y=("gamma", [0.5])), r"x: lr must be .* in \[0, inf\)"),
        (lambda q: sweep(q, optimizers.momentum(0.1), [1.0, 2.0], 50),
         r"x: give the values of lr, as x=\('lr', values\)"),
        (lambda q: sweep(q, optimizers.momentum(0.1), [1.0, 2.0], 5, x=("lr", "abc"),
                         y=("gamma", [0.5])), "x: the values of lr must be numbers"),
        (lambda q: sweep(q, optimizers.rmsprop(), [1.0, 2.0], 5, x=("lr", [0.1]),
                         y=("centered", [0, 1])), "no real hyper-parameter 'centered'"),
        (lambda q: sweep(q, optimizers.momentum(0.1), [0.0, 0.0], 5, x=("lr", [0.1]),
                         y=("gamma", [0.5])), "is a minimiser"),
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


def test_rates_reject_bad_input():
    with pytest.raises(ValueError, match="errors must be a 1-D array"):
        run.fitted_rate([1.0])
    with pytest.raises(ValueError, match="errors\\[0\\] must be > 0"):
        run.fitted_rate([0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="errors must be norms, >= 0"):
        empirical_rate([1.0, -1.0])
    with pytest.raises(ValueError, match="errors must be a 1-D array of numbers"):
        empirical_rate(["a", "b"])
    assert math.isnan(run.fitted_rate([1.0, np.inf, 0.5]))


def test_an_infinite_loss_at_the_start_is_rejected():
    # exp(-(x^2 + y^2)/s) underflows nowhere, but a huge start overflows x^2 + y^2
    with pytest.raises(ValueError, match="a run must start at a finite loss"):
        trajectory(landscapes.two_minima(), optimizers.gd(0.1), [1e200, 0.0], 5, bound=np.inf)


def test_a_long_run_that_diverges_early_allocates_one_chunk():
    import tracemalloc

    land = landscapes.quadratic([1.0, 10.0])
    trajectory(land, optimizers.gd(0.5), [1.0, 1.0], 10, noise_std=0.1)  # kernel loaded
    tracemalloc.start()
    try:
        traj = trajectory(land, optimizers.gd(0.5), [1.0, 1.0], 30_000_000, noise_std=0.1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert traj.diverged_at is not None and traj.diverged_at < 100
    # one chunk of records and noise: 3.2 MB measured; the whole run would be about 1.4 GB
    assert peak < 10e6


def test_runs_in_chunks_are_the_run_in_one(monkeypatch):
    from optbook import schedules

    land = landscapes.rosenbrock()
    kw = dict(schedule=schedules.cosine(300, 1e-4), noise_std=0.3, clip=("norm", 5.0))
    whole = trajectory(land, optimizers.adam(0.01), [-1.2, 1.0], 300, **kw)
    monkeypatch.setattr(run, "CHUNK", 64)
    chunked = trajectory(land, optimizers.adam(0.01), [-1.2, 1.0], 300, **kw)
    for a, b in zip(whole[:3], chunked[:3], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(whole.state.rows, chunked.state.rows)
    np.testing.assert_array_equal(whole.state.scalars, chunked.state.scalars)


def test_trajectory_returns_the_final_state():
    land = landscapes.quadratic([1.0, 10.0], angle=0.3)
    traj = trajectory(land, optimizers.momentum(0.02, 0.9), [3.0, 2.0], 50)
    # velocity form: x_t = x_{t-1} - v_t, so the last velocity is the last step taken
    np.testing.assert_allclose(traj.state["v"], traj.positions[-2] - traj.positions[-1],
                               rtol=1e-12)
    assert traj.state.step == 50
    adam = trajectory(land, optimizers.adam(0.1), [3.0, 2.0], 70).state
    assert adam.step == 70
    assert adam.counters["beta1_t"] == pytest.approx(0.9**70, rel=1e-13)


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_runs_in_five_dimensions_match_the_reference(name):
    from reference import reference_run

    land = landscapes.quadratic([1.0, 2.0, 3.0, 5.0, 8.0], angle=0.2)
    x0 = np.linspace(-1.0, 1.0, 5)
    kw = {"lr": 0.02, "gamma": 0.8} if name == "momentum" else {"lr": 0.05}
    traj = trajectory(land, optimizers.get(name, **kw, weight_decay=0.1), x0, 300)
    expected = reference_run(name, land.grad, x0, 300, form="velocity", **kw, weight_decay=0.1,
                             **({} if name == "momentum" else {"beta1": 0.9, "beta2": 0.999,
                                                               "eps": 1e-8}))
    np.testing.assert_allclose(traj.positions, expected, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- a reader's own


def _rosen_value(x):
    # d * d, not d ** 2: Python's ** calls libm's pow, which can differ from d * d in the last
    # bit (numba, and the built-in formula, multiply)
    r = x[1] - x[0] * x[0]
    d = 1.0 - x[0]
    return d * d + 100.0 * r * r


def _rosen_grad(x):  # the operations of the built-in Rosenbrock, in its order
    r = x[1] - x[0] * x[0]
    return (-2.0 * (1.0 - x[0]) - 4.0 * 100.0 * x[0] * r, 2.0 * 100.0 * r)


ROSEN_JIT = (numba.njit(_rosen_value), numba.njit(_rosen_grad))


def readers_rosenbrock(jitted=True):
    value, grad = ROSEN_JIT if jitted else (_rosen_value, _rosen_grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", landscapes.SlowObjectiveWarning)
        return landscapes.custom(value, grad, start=[-1.2, 1.0], minimizers=[[1.0, 1.0]],
                                 name="my_rosenbrock")


@pytest.mark.parametrize("opt", [optimizers.gd(1e-3), optimizers.nesterov(1e-3, 0.9)],
                         ids=["gd", "nesterov-lookahead"])
def test_a_readers_objective_runs_as_the_built_in_one(opt):
    built_in = trajectory(landscapes.rosenbrock(), opt, [-1.2, 1.0], 500)
    for jitted in (True, False):
        mine = trajectory(readers_rosenbrock(jitted), opt, [-1.2, 1.0], 500)
        for a, b in zip(built_in[:3], mine[:3], strict=True):
            np.testing.assert_array_equal(a, b)


def test_a_readers_objective_in_any_dimension():
    scales = np.array([1.0, 3.0, 0.5])

    @numba.njit
    def value(x):
        return 0.5 * (x[0] ** 2 + 3.0 * x[1] ** 2 + 0.5 * x[2] ** 2)

    @numba.njit
    def grad(x):
        return np.array([x[0], 3.0 * x[1], 0.5 * x[2]])

    land = landscapes.custom(value, grad, dim=3, minimizers=[[0.0, 0.0, 0.0]])
    traj = trajectory(land, optimizers.gd(0.1), [1.0, 1.0, 1.0], 20)
    np.testing.assert_allclose(traj.positions[-1], (1 - 0.1 * scales) ** 20, rtol=1e-14)


def test_a_readers_objective_in_a_sweep():
    kw = dict(x=("lr", [1e-3, 1e-2]), y=("beta1", [0.5, 0.9]))
    built_in = sweep(landscapes.rosenbrock(), optimizers.adam(), [-1.0, 1.0], 200, **kw)
    for jitted in (True, False):
        mine = sweep(readers_rosenbrock(jitted), optimizers.adam(), [-1.0, 1.0], 200, **kw)
        np.testing.assert_array_equal(mine.final_loss, built_in.final_loss)
        np.testing.assert_array_equal(mine.rate, built_in.rate)
