"""theory.py against independent derivations: matrices built here from the recursions, numpy
eigenvalues, and plain loops that iterate the methods and measure their contraction."""

import math
import re

import numpy as np
import pytest

from optbook import theory as T


def _one_step_heavy_ball(e, v, lr, gamma, lam):
    v = gamma * v + lr * lam * e
    return e - v, v


def _one_step_nesterov(e, v, lr, gamma, lam):
    v = gamma * v + lr * lam * (e - gamma * v)
    return e - v, v


def _matrix_of(step, lr, gamma, lam):
    """The 2x2 map of one step, column by column: the step applied to (1, 0) and (0, 1)."""
    return np.array([step(1.0, 0.0, lr, gamma, lam), step(0.0, 1.0, lr, gamma, lam)]).T


def _radius(m):
    return np.abs(np.linalg.eigvals(m)).max()


def _measured_rate(step, lr, gamma, eigenvalues, steps=4000, burn_in=1000):
    """Iterate the recursion on every eigen-direction from (e, v) = (1, 0) in a plain loop,
    renormalising to avoid underflow, and return the mean contraction per step of the joint
    state norm after the burn-in."""
    state = [(1.0, 0.0) for _ in eigenvalues]
    log_norm = 0.0
    logs = []
    for _ in range(steps):
        state = [step(e, v, lr, gamma, lam) for (e, v), lam in zip(state, eigenvalues, strict=True)]
        norm = math.sqrt(sum(e * e + v * v for e, v in state))
        log_norm += math.log(norm)
        state = [(e / norm, v / norm) for e, v in state]
        logs.append(log_norm)
    return math.exp((logs[-1] - logs[burn_in - 1]) / (steps - burn_in))


def _gd_step(e, v, lr, gamma, lam):
    return e - lr * lam * e, 0.0


# --------------------------------------------------------------------------- GD


def test_gd_bounds_and_optimum():
    assert T.gd_stability_bound(100.0) == 0.02  # DD2424: x1^2 + 50 x2^2 diverges for eta > .02
    lr = T.gd_optimal_lr(2.0, 100.0)
    assert lr == 2.0 / 102.0
    f = T.contraction_factors(lr, [2.0, 100.0])
    assert f[0] == pytest.approx(f[1], rel=1e-14)
    assert T.gd_rate(lr, [2.0, 100.0]) == pytest.approx(T.gd_optimal_rate(50.0), rel=1e-14)
    assert T.gd_optimal_rate(50.0) == pytest.approx(49 / 51, rel=1e-15)
    for eta in (lr * 0.9, lr * 1.1):
        assert T.gd_rate(eta, [2.0, 100.0]) > T.gd_rate(lr, [2.0, 100.0])
    np.testing.assert_allclose(
        T.contraction_factors(np.array([0.001, 0.03]), [2.0, 100.0]),
        [[0.998, 0.9], [0.94, 2.0]],
        rtol=1e-14,
    )


@pytest.mark.parametrize("lr", [0.005, 0.015, 0.0199, 0.0201])
def test_gd_measured_rate(lr):
    eig = [2.0, 20.0, 100.0]
    measured = _measured_rate(_gd_step, lr, 0.0, eig, steps=2000, burn_in=1000)
    assert measured == pytest.approx(T.gd_rate(lr, eig), abs=1e-10)
    assert (measured < 1) == (lr < T.gd_stability_bound(100.0))


# --------------------------------------------------------------------------- heavy ball


def test_heavy_ball_matrix_and_radius_against_eigvals():
    rng = np.random.default_rng(0)
    for _ in range(200):
        lr, gamma, lam = rng.uniform(0.001, 1.0), rng.uniform(0, 1), rng.uniform(0.1, 5)
        m = _matrix_of(_one_step_heavy_ball, lr, gamma, lam)
        np.testing.assert_allclose(T.heavy_ball_matrix(lr, gamma, lam), m, rtol=1e-15)
        assert T.heavy_ball_radius(lr, gamma, lam) == pytest.approx(_radius(m), rel=1e-6)


@pytest.mark.parametrize(
    ("lr", "gamma"), [(0.01, 0.9), (0.02, 0.5), (0.005, 0.2), (0.03, 0.95), (0.019, 0.0)]
)
def test_heavy_ball_measured_rate(lr, gamma):
    eig = [2.0, 20.0, 100.0]
    measured = _measured_rate(_one_step_heavy_ball, lr, gamma, eig)
    assert measured == pytest.approx(T.heavy_ball_rate(lr, gamma, eig), abs=2e-3)


def test_heavy_ball_rate_map_broadcasts():
    eig = np.array([1.0, 10.0])
    lrs, gammas = np.meshgrid(np.geomspace(0.01, 0.5, 6), np.linspace(0, 0.99, 5))
    rate = T.heavy_ball_rate(lrs, gammas, eig)
    assert rate.shape == (5, 6)
    for i, j in np.ndindex(rate.shape):
        ms = [_matrix_of(_one_step_heavy_ball, lrs[i, j], gammas[i, j], lam) for lam in eig]
        assert rate[i, j] == pytest.approx(max(_radius(m) for m in ms), rel=1e-6)


@pytest.mark.parametrize(("lam_min", "lam_max"), [(1.0, 100.0), (2.0, 100.0), (0.3, 0.3001)])
def test_heavy_ball_optimum_equalises_all_directions(lam_min, lam_max):
    lr, gamma, rate = T.heavy_ball_optimal(lam_min, lam_max)
    kappa = lam_max / lam_min
    assert lr == pytest.approx((2 / (math.sqrt(lam_max) + math.sqrt(lam_min))) ** 2, rel=1e-14)
    assert gamma == pytest.approx(((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2)
    assert rate == pytest.approx(math.sqrt(gamma), rel=1e-14)
    for lam in np.linspace(lam_min, lam_max, 41):
        m = _matrix_of(_one_step_heavy_ball, lr, gamma, lam)
        assert _radius(m) == pytest.approx(math.sqrt(gamma), abs=1e-6)
    # the extreme directions are double roots: rounding of O(eps) moves them by O(sqrt(eps))
    assert T.heavy_ball_rate(lr, gamma, [lam_min, lam_max]) == pytest.approx(rate, abs=1e-7)


def test_heavy_ball_beats_gd_at_the_optimum():
    # kappa = 100: GD's (k-1)/(k+1) = 99/101 against heavy ball's (10-1)/(10+1) = 9/11
    assert T.gd_optimal_rate(100.0) == pytest.approx(99 / 101)
    assert T.heavy_ball_optimal(1.0, 100.0).rate == pytest.approx(9 / 11, rel=1e-14)
    lr, gamma, rate = T.heavy_ball_optimal(1.0, 100.0)
    eig = [1.0, 30.0, 100.0]
    # at critical damping the Jordan block adds a factor t: allow for it in the tolerance
    assert _measured_rate(_one_step_heavy_ball, lr, gamma, eig) == pytest.approx(rate, abs=3e-3)


@pytest.mark.parametrize(("lr", "lam"), [(0.1, 1.0), (0.01, 100.0), (0.5, 3.0), (1.0, 4.0)])
def test_critical_damping_gives_a_double_root(lr, lam):
    gamma = T.critical_damping(lr, lam)
    assert gamma == pytest.approx((1 - math.sqrt(lr * lam)) ** 2, rel=1e-14)
    m = _matrix_of(_one_step_heavy_ball, lr, gamma, lam)
    disc = np.trace(m) ** 2 - 4 * np.linalg.det(m)
    assert abs(disc) < 1e-12
    # slightly more damping: two real roots; slightly less: complex pair of modulus sqrt(gamma)
    if gamma > 1e-3:
        below = _matrix_of(_one_step_heavy_ball, lr, gamma * 0.99, lam)
        assert np.trace(below) ** 2 - 4 * np.linalg.det(below) > 0
    if gamma < 0.99:
        above = _matrix_of(_one_step_heavy_ball, lr, gamma * 1.01 + 1e-3, lam)
        assert np.trace(above) ** 2 - 4 * np.linalg.det(above) < 0


@pytest.mark.parametrize(("lr", "gamma", "lam"), [(0.1, 0.5, 1.0), (0.02, 0.9, 50.0), (1, 0.3, 1)])
def test_complex_roots_have_radius_sqrt_gamma(lr, gamma, lam):
    assert gamma > T.critical_damping(lr, lam)
    m = _matrix_of(_one_step_heavy_ball, lr, gamma, lam)
    z = np.linalg.eigvals(m)
    assert np.all(np.abs(z.imag) > 0)
    np.testing.assert_allclose(np.abs(z), math.sqrt(gamma), rtol=1e-12)
    assert T.heavy_ball_radius(lr, gamma, lam) == pytest.approx(math.sqrt(gamma), rel=1e-14)
    measured = _measured_rate(_one_step_heavy_ball, lr, gamma, [lam])
    assert measured == pytest.approx(math.sqrt(gamma), abs=2e-3)


@pytest.mark.parametrize(("gamma", "lam"), [(0.0, 1.0), (0.5, 2.0), (0.9, 100.0)])
def test_stability_boundary(gamma, lam):
    edge = (2 + 2 * gamma) / lam
    for lr, stable in ((edge * (1 - 1e-6), True), (edge * (1 + 1e-6), False)):
        m = _matrix_of(_one_step_heavy_ball, lr, gamma, lam)
        assert (_radius(m) < 1) == stable
        assert T.heavy_ball_stable(lr, gamma, lam) == stable
        assert (T.heavy_ball_radius(lr, gamma, lam) < 1) == stable
    np.testing.assert_array_equal(
        T.heavy_ball_stable(np.array([0.5, 1.5]) * edge, gamma, lam), [True, False]
    )
    assert not T.heavy_ball_stable(0.01 / lam, 1.0, lam)


def test_terminal_velocity():
    g = np.array([0.3, -1.2])
    v = np.zeros(2)
    for _ in range(3000):
        v = 0.99 * v + 0.01 * g
    np.testing.assert_allclose(T.terminal_velocity(0.01, 0.99, g), v, rtol=1e-10)
    np.testing.assert_allclose(T.terminal_velocity(0.01, 0.99, g), 1.0 * g, rtol=1e-12)


# --------------------------------------------------------------------------- Nesterov


def test_nesterov_matrix_and_radius_against_eigvals():
    rng = np.random.default_rng(1)
    for _ in range(200):
        lr, gamma, lam = rng.uniform(0.001, 1.0), rng.uniform(0, 1), rng.uniform(0.1, 5)
        m = _matrix_of(_one_step_nesterov, lr, gamma, lam)
        np.testing.assert_allclose(T.nesterov_matrix(lr, gamma, lam), m, rtol=1e-14, atol=1e-16)
        assert T.nesterov_radius(lr, gamma, lam) == pytest.approx(_radius(m), rel=1e-6)


@pytest.mark.parametrize(("lr", "gamma"), [(0.01, 0.9), (0.009, 0.5), (0.005, 0.95), (0.015, 0.3)])
def test_nesterov_measured_rate(lr, gamma):
    eig = [2.0, 20.0, 100.0]
    measured = _measured_rate(_one_step_nesterov, lr, gamma, eig)
    assert measured == pytest.approx(T.nesterov_rate(lr, gamma, eig), abs=2e-3)


def test_nesterov_damps_the_stiff_direction():
    # At lr = 1/lam_max the stiff direction is removed in one step by Nesterov (its matrix
    # has a zero row factor 1 - lr*lam = 0), while heavy ball keeps radius sqrt(gamma) there.
    assert T.nesterov_radius(0.01, 0.9, 100.0) == 0.0
    assert T.heavy_ball_radius(0.01, 0.9, 100.0) == pytest.approx(math.sqrt(0.9))


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: T.gd_stability_bound(0.0), "lam_max"),
        (lambda: T.gd_optimal_lr(3.0, 1.0), "lam_min must be <= lam_max"),
        (lambda: T.gd_optimal_lr(-1.0, 1.0), "lam_min"),
        (lambda: T.gd_rate(0.0, [1.0]), "lr must be finite and > 0"),
        (lambda: T.gd_rate(0.1, [1.0, -1.0]), "eigenvalues"),
        (lambda: T.gd_optimal_rate(0.5), "kappa must be finite and >= 1"),
        (lambda: T.contraction_factors(float("nan"), [1.0]), "lr"),
        (lambda: T.heavy_ball_matrix(0.1, 1.5, 1.0), "gamma must be in [0, 1]"),
        (lambda: T.heavy_ball_radius(0.1, -0.1, 1.0), "gamma"),
        (lambda: T.heavy_ball_rate(0.1, 0.5, []), "eigenvalues"),
        (lambda: T.heavy_ball_stable(0.1, 0.5, 0.0), "lam"),
        (lambda: T.heavy_ball_optimal(2.0, 1.0), "lam_min must be <= lam_max"),
        (lambda: T.critical_damping(1.0, 5.0), "lr*lam must be in (0, 4]"),
        (lambda: T.nesterov_matrix(-0.1, 0.5, 1.0), "lr"),
        (lambda: T.nesterov_rate(0.1, 2.0, [1.0]), "gamma"),
        (lambda: T.terminal_velocity(0.1, 1.0, [1.0]), "mu must be in [0, 1)"),
    ],
)
def test_bad_input_raises_naming_the_parameter(call, needle):
    with pytest.raises(ValueError, match=re.escape(needle)):
        call()
