"""noisy.py against independent derivations: the discrete Lyapunov equation solved with a
Kronecker product, gradient descent's noise ball by hand, exact noiseless runs, and seeded
Monte-Carlo averages of the library's noisy trajectories."""

import math

import numpy as np
import pytest

from optbook import landscapes, noisy, optimizers, run, theory

# stable for both methods (Nesterov: eta lam < (2 + 2 gamma) / (1 + 2 gamma))
PARAMS = [(0.01, 0.9, 2.0), (0.01, 0.9, 100.0), (0.012, 0.5, 100.0), (0.3, 0.0, 1.0),
          (0.5, 0.81, 1.0), (0.001, 0.99, 7.0)]


def _matrix(method, lr, gamma, lam):
    """The 2x2 map of (e, u), applying one step to (1, 0) and (0, 1)."""

    def step(e, u):
        point = e - gamma * u if method == "nesterov" else e
        u = gamma * u + lr * lam * point
        return e - u, u

    return np.array([step(1.0, 0.0), step(0.0, 1.0)]).T


def _lyapunov_variance(method, lr, gamma, lam, noise_var):
    """Var e from C = M C M^T + Q, Q = lr^2 noise_var b b^T with b = (-1, 1), by vec."""
    m = _matrix(method, lr, gamma, lam)
    b = np.array([-1.0, 1.0])
    q = lr * lr * noise_var * np.outer(b, b)
    c = np.linalg.solve(np.eye(4) - np.kron(m, m), q.reshape(-1)).reshape(2, 2)
    return c[0, 0]


@pytest.mark.parametrize("method", noisy.METHODS)
@pytest.mark.parametrize(("lr", "gamma", "lam"), PARAMS)
def test_stationary_variance_solves_the_lyapunov_equation(method, lr, gamma, lam):
    expected = _lyapunov_variance(method, lr, gamma, lam, 2.5)
    assert noisy.stationary_variance(lr, gamma, lam, 2.5, method) == pytest.approx(
        expected, rel=1e-10)


def test_heavy_ball_variance_has_the_closed_form():
    lr, gamma, lam, s2 = 0.02, 0.7, 3.0, 0.4
    hand = (1 + gamma) * lr * s2 / ((1 - gamma) * lam * (2 + 2 * gamma - lr * lam))
    assert noisy.stationary_variance(lr, gamma, lam, s2) == pytest.approx(hand, rel=1e-13)


@pytest.mark.parametrize("method", noisy.METHODS)
def test_without_momentum_it_is_gradient_descents_noise_ball(method):
    # e' = (1 - a) e - lr xi  =>  Var = lr^2 s2 / (1 - (1 - a)^2) = lr s2 / (lam (2 - a))
    lr, lam, s2 = 0.15, 4.0, 0.3
    hand = lr * s2 / (lam * (2 - lr * lam))
    assert noisy.stationary_variance(lr, 0.0, lam, s2, method) == pytest.approx(hand, rel=1e-13)


def test_small_steps_give_the_effective_learning_rate():
    # eta lam -> 0 at fixed eta/(1-gamma): Var -> eta_eff s2 / (2 lam), as GD at eta_eff
    lam, s2, gamma = 2.0, 1.0, 0.9
    for lr in (1e-3, 1e-5):
        var = noisy.stationary_variance(lr, gamma, lam, s2)
        limit = lr / (1 - gamma) * s2 / (2 * lam)
        assert var == pytest.approx(limit, rel=2 * lr * lam)


def test_unstable_settings_have_no_stationary_variance():
    gamma, lam = 0.9, 100.0
    hb_edge = (2 + 2 * gamma) / lam
    nag_edge = (2 + 2 * gamma) / (1 + 2 * gamma) / lam
    assert math.isfinite(noisy.stationary_variance(0.99 * hb_edge, gamma, lam, 1.0))
    assert noisy.stationary_variance(1.01 * hb_edge, gamma, lam, 1.0) == math.inf
    assert math.isfinite(noisy.stationary_variance(0.99 * nag_edge, gamma, lam, 1.0, "nesterov"))
    assert noisy.stationary_variance(1.01 * nag_edge, gamma, lam, 1.0, "nesterov") == math.inf
    grid = noisy.stationary_variance(np.array([0.99, 1.01]) * hb_edge, gamma, lam, 1.0)
    assert np.isfinite(grid[0]) and grid[1] == math.inf


def test_stationary_excess_loss_sums_the_directions_and_broadcasts():
    lam = np.array([2.0, 100.0])
    each = [noisy.stationary_variance(0.01, 0.9, v, 0.5) for v in lam]
    total = noisy.stationary_excess_loss(0.01, 0.9, lam, 0.5)
    assert total == pytest.approx(0.5 * float(lam @ np.array(each)), rel=1e-14)
    grid = noisy.stationary_excess_loss(np.array([[0.01], [0.005]]), np.array([0.9, 0.5]), lam, 0.5)
    assert grid.shape == (2, 2)
    assert grid[0, 0] == pytest.approx(total, rel=1e-14)


@pytest.mark.parametrize("method", noisy.METHODS)
def test_expected_loss_without_noise_is_the_run(method):
    land = landscapes.quadratic([2.0, 30.0])
    make = optimizers.momentum if method == "heavy_ball" else optimizers.nesterov
    traj = run.trajectory(land, make(0.04, 0.7), land.start, 60)
    curve = noisy.expected_excess_loss(0.04, 0.7, [2.0, 30.0], land.start, 0.0, 60, method)
    assert np.allclose(curve, traj.losses, rtol=1e-12, atol=1e-300)


def test_expected_loss_tends_to_the_stationary_value():
    lam, e0 = [2.0, 100.0], [4.0, 0.5]
    best = theory.heavy_ball_optimal(*lam)
    curve = noisy.expected_excess_loss(best.lr, best.gamma, lam, e0, 0.7, 3000)
    assert curve[-1] == pytest.approx(
        noisy.stationary_excess_loss(best.lr, best.gamma, lam, 0.7), rel=1e-10)


def test_expected_loss_matches_seeded_noisy_runs():
    """Monte Carlo: 300 seeded runs of the library's noisy heavy ball; the mean loss at three
    times lies within 4 standard errors (independent seeds) of the exact expectation."""
    lam, lr, gamma, sigma = [1.0, 8.0], 0.05, 0.8, 0.6
    land = landscapes.quadratic(lam)
    steps = 120
    losses = np.array([
        run.trajectory(land, optimizers.momentum(lr, gamma), land.start, steps,
                       noise_std=sigma, seed=seed).losses
        for seed in range(300)
    ])
    exact = noisy.expected_excess_loss(lr, gamma, lam, land.start, sigma**2, steps)
    for t in (10, 40, 120):
        mean = losses[:, t].mean()
        error = losses[:, t].std(ddof=1) / math.sqrt(losses.shape[0])
        assert abs(mean - exact[t]) < 4 * error


def test_critical_damping_at_an_effective_learning_rate():
    lr_eff, lam = 0.02, 3.0
    tuned = noisy.critical_damping_at_effective_lr(lr_eff, lam)
    assert tuned.lr / (1 - tuned.gamma) == pytest.approx(lr_eff, rel=1e-13)
    assert tuned.gamma == pytest.approx(theory.critical_damping(tuned.lr, lam), rel=1e-12)
    assert tuned.rate == pytest.approx(theory.heavy_ball_radius(tuned.lr, tuned.gamma, lam),
                                       rel=1e-7)  # a double root: sqrt of a vanishing discriminant
    a = lr_eff * lam
    assert tuned.rate == pytest.approx((1 - a) / (1 + a), rel=1e-13)
    with pytest.raises(ValueError, match="lr_eff"):
        noisy.critical_damping_at_effective_lr(0.5, 3.0)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="lr"):
        noisy.stationary_variance(-0.1, 0.9, 1.0, 1.0)
    with pytest.raises(ValueError, match="gamma"):
        noisy.stationary_variance(0.1, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="noise_var"):
        noisy.stationary_variance(0.1, 0.5, 1.0, -1.0)
    with pytest.raises(ValueError, match="method"):
        noisy.stationary_variance(0.1, 0.5, 1.0, 1.0, method="adam")
    with pytest.raises(ValueError, match="e0"):
        noisy.expected_excess_loss(0.1, 0.5, [1.0, 2.0], [1.0], 1.0, 10)
    with pytest.raises(ValueError, match="steps"):
        noisy.expected_excess_loss(0.1, 0.5, [1.0], [1.0], 1.0, 2.5)
