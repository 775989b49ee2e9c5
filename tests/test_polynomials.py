"""polynomials.py against independent derivations: the library's runs read in the eigenbasis,
powers of the 2x2 iteration matrices, Chebyshev polynomials as cos/cosh of multiple angles,
equioscillation, Polyak's closed form and hand values of the bounds."""

import math

import numpy as np
import pytest

from optbook import landscapes, optimizers, polynomials, run, theory

LAM = np.array([1.0, 7.0])


def _run_ratios(optimizer, steps):
    """e_t / e_0 per eigen-direction of diag(1, 7) from (1, 1): the library's own iterates."""
    land = landscapes.quadratic(LAM)
    return run.trajectory(land, optimizer, [1.0, 1.0], steps).positions


def test_gd_residuals_are_the_runs_errors():
    p = polynomials.gd_residuals(0.2, 25, LAM)
    assert p.shape == (26, 2)
    assert np.allclose(p, _run_ratios(optimizers.gd(0.2), 25), rtol=1e-12, atol=1e-300)
    assert np.allclose(p[:, 0], 0.8 ** np.arange(26), rtol=1e-13)


def test_heavy_ball_residuals_are_the_runs_errors_and_matrix_powers():
    lr, gamma = 0.1, 0.6
    p = polynomials.heavy_ball_residuals(lr, gamma, 40, LAM)
    assert np.allclose(p, _run_ratios(optimizers.momentum(lr, gamma), 40), rtol=1e-10,
                       atol=1e-14)
    for i, lam in enumerate(LAM):
        m = theory.heavy_ball_matrix(lr, gamma, lam)
        powers = [np.linalg.matrix_power(m, t)[0, 0] for t in range(41)]  # from (e, v) = (1, 0)
        assert np.allclose(p[:, i], powers, rtol=1e-10, atol=1e-14)


def test_nesterov_residuals_are_the_runs_errors():
    lr, gamma = 0.1, 0.6
    p = polynomials.nesterov_residuals(lr, gamma, 40, LAM)
    assert np.allclose(p, _run_ratios(optimizers.nesterov(lr, gamma), 40), rtol=1e-10,
                       atol=1e-14)


def _chebyshev_closed_form(lam_min, lam_max, t, lam):
    """T_t(y) = cos(t arccos y) on [-1, 1], sign(y)^t cosh(t arccosh |y|) outside."""

    def cheb(y):
        y = np.asarray(y, dtype=np.float64)
        inside = np.abs(y) <= 1
        with np.errstate(invalid="ignore"):
            out = np.where(inside, np.cos(t * np.arccos(np.clip(y, -1, 1))),
                           np.sign(y) ** t * np.cosh(t * np.arccosh(np.maximum(np.abs(y), 1))))
        return out

    d, c = (lam_max + lam_min) / 2, (lam_max - lam_min) / 2
    return cheb((d - lam) / c) / cheb(d / c)


@pytest.mark.parametrize("t", [0, 1, 2, 5, 17])
def test_chebyshev_residuals_are_scaled_chebyshev_polynomials(t):
    lam = np.linspace(-5.0, 110.0, 577)
    p = polynomials.chebyshev_residuals(2.0, 100.0, t, lam)[-1]
    assert np.allclose(p, _chebyshev_closed_form(2.0, 100.0, t, lam), rtol=1e-9, atol=1e-12)
    assert polynomials.chebyshev_residuals(2.0, 100.0, t, 0.0)[-1] == pytest.approx(1.0)


def test_chebyshev_residual_equioscillates_at_the_minimax_value():
    lo, hi, t = 2.0, 100.0, 9
    d, c = (hi + lo) / 2, (hi - lo) / 2
    extremes = d - c * np.cos(np.arange(t + 1) * np.pi / t)  # where T_t = +-1
    p = polynomials.chebyshev_residuals(lo, hi, t, extremes)[-1]
    level = polynomials.chebyshev_minimax(hi / lo, t)[-1]
    assert np.allclose(np.abs(p), level, rtol=1e-10)
    assert np.all(np.sign(p[1:]) == -np.sign(p[:-1]))
    fine = np.linspace(lo, hi, 20001)
    assert np.abs(polynomials.chebyshev_residuals(lo, hi, t, fine)[-1]).max() <= level * (1 + 1e-9)


def test_minimax_is_one_over_chebyshev_at_the_interval_ratio():
    kappa = 50.0
    t = np.arange(0, 61)
    sigma = (kappa + 1) / (kappa - 1)
    assert np.allclose(polynomials.chebyshev_minimax(kappa, 60), 1 / np.cosh(t * np.arccosh(sigma)),
                       rtol=1e-12)


def test_no_tuned_heavy_ball_or_gd_beats_the_minimax_on_the_interval():
    lo, hi = 2.0, 100.0
    fine = np.linspace(lo, hi, 8001)
    best = theory.heavy_ball_optimal(lo, hi)
    minimax = polynomials.chebyshev_minimax(hi / lo, 60)
    for p in (polynomials.heavy_ball_residuals(best.lr, best.gamma, 60, fine),
              polynomials.gd_residuals(theory.gd_optimal_lr(lo, hi), 60, fine)):
        assert np.all(np.abs(p).max(axis=1) >= minimax * (1 - 1e-9))


def test_chebyshev_coefficients_start_as_gd_and_tend_to_polyaks_optimum():
    lo, hi = 2.0, 100.0
    alphas, betas = polynomials.chebyshev_coefficients(lo, hi, 400)
    assert alphas[0] == pytest.approx(2 / (lo + hi), rel=1e-15) and betas[0] == 0.0
    best = theory.heavy_ball_optimal(lo, hi)
    assert alphas[-1] == pytest.approx(best.lr, rel=1e-12)
    assert betas[-1] == pytest.approx(best.gamma, rel=1e-12)


def test_chebyshev_iterates_follow_their_polynomial():
    lo, hi = 2.0, 100.0
    land = landscapes.quadratic([lo, 37.0, hi])
    x0 = np.array([1.0, -2.0, 0.5])
    xs = polynomials.chebyshev_iterates(land, x0, lo, hi, 30)
    p = polynomials.chebyshev_residuals(lo, hi, 30, np.array([lo, 37.0, hi]))
    assert np.allclose(xs, p * x0, rtol=1e-9, atol=1e-13)


def test_lower_bound_hand_values_and_order():
    # kappa = 4: rho = (2 - 1) / (2 + 1) = 1/3
    assert np.allclose(polynomials.first_order_lower_bound(4.0, 2), [1.0, 1 / 3, 1 / 9])
    # 2 rho^t / (1 + rho^2t) at t = 1: (2/3) / (10/9) = 0.6
    assert polynomials.chebyshev_minimax(4.0, 1)[-1] == pytest.approx(0.6, rel=1e-15)
    kappa = 1000.0
    assert np.all(polynomials.chebyshev_minimax(kappa, 200)
                  >= polynomials.first_order_lower_bound(kappa, 200))
    assert polynomials.first_order_lower_bound(1.0, 3)[1:].max() == 0.0


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="lr"):
        polynomials.gd_residuals(0.0, 3, LAM)
    with pytest.raises(ValueError, match="gamma"):
        polynomials.heavy_ball_residuals(0.1, 1.5, 3, LAM)
    with pytest.raises(ValueError, match="steps"):
        polynomials.nesterov_residuals(0.1, 0.5, -1, LAM)
    with pytest.raises(ValueError, match="lam"):
        polynomials.gd_residuals(0.1, 3, [math.nan])
    with pytest.raises(ValueError, match="lam_min"):
        polynomials.chebyshev_coefficients(3.0, 3.0, 5)
    with pytest.raises(ValueError, match="kappa"):
        polynomials.chebyshev_minimax(0.5, 5)
    with pytest.raises(ValueError, match="x0"):
        polynomials.chebyshev_iterates(landscapes.quadratic([1.0, 2.0]), [1.0], 1.0, 2.0, 3)
