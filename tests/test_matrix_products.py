"""Products of Gaussian matrices: digamma and trigamma against derivatives of log-gamma, the
Lyapunov exponents against known values and simulation, and the renormalised products against
plain ones."""

import math

import numpy as np
import pytest

from optbook import matrix_products as mp


@pytest.mark.parametrize("x", [0.5, 1.0, 1.5, 2.0, 3.5, 7.0, 12.5])
def test_digamma_and_trigamma_are_derivatives_of_log_gamma(x):
    h = 1e-4
    first = (math.lgamma(x + h) - math.lgamma(x - h)) / (2 * h)
    second = (math.lgamma(x + h) - 2 * math.lgamma(x) + math.lgamma(x - h)) / h**2
    assert mp.digamma_half_integer(x) == pytest.approx(first, abs=1e-7)
    assert mp.trigamma_half_integer(x) == pytest.approx(second, abs=1e-5)


def test_known_values():
    gamma = 0.5772156649015329
    assert mp.digamma_half_integer(1) == pytest.approx(-gamma, abs=1e-15)
    assert mp.digamma_half_integer(2) == pytest.approx(1 - gamma, abs=1e-15)
    assert mp.trigamma_half_integer(2) == pytest.approx(math.pi**2 / 6 - 1, abs=1e-15)
    # n = 1: the exponent of a product of scalars is E ln|Z| = -(gamma + ln 2)/2
    assert mp.gaussian_lyapunov_exponents(1)[0] == pytest.approx(-(gamma + math.log(2)) / 2)
    # n = 4, the lecture's size: lambda_1 = (ln 2 + 1 - gamma)/2
    assert mp.gaussian_lyapunov_exponents(4)[0] == pytest.approx(
        (math.log(2) + 1 - gamma) / 2, abs=1e-15)


def test_exponents_against_a_qr_simulation():
    # The classical estimate: push an orthonormal frame through the product, re-orthonormalise
    # by QR and average the logarithms of |diag(R)|.
    n, steps = 4, 20_000
    rng = np.random.default_rng(0)
    q = np.eye(n)
    logs = np.zeros(n)
    for _ in range(steps):
        q, r = np.linalg.qr(rng.standard_normal((n, n)) @ q)
        logs += np.log(np.abs(np.diag(r)))
    estimate = logs / steps
    # Each exponent's estimate has standard error about 0.45/sqrt(steps) = 0.003.
    np.testing.assert_allclose(estimate, mp.gaussian_lyapunov_exponents(n), atol=0.015)


def test_log_growth_moments_against_sampled_chi_squares():
    rng = np.random.default_rng(1)
    for n in (2, 4, 9):
        ratios = np.linalg.norm(rng.standard_normal((200_000, n)), axis=1)  # |G v| for |v| = 1
        sample = np.log(ratios)
        moments = mp.log_growth_moments(n)
        assert moments.mean == pytest.approx(sample.mean(), abs=5 * sample.std() / 447)
        assert moments.variance == pytest.approx(sample.var(), rel=0.02)
        assert moments.mean == pytest.approx(mp.gaussian_lyapunov_exponents(n)[0], abs=1e-15)


def test_renormalised_products_equal_plain_products():
    start = np.array([[1.0, 2.0], [-0.5, 3.0]])
    count, trials = 7, 5
    got = mp.log10_max_entries(count, n=2, start=start, trials=trials, seed=3, every_step=True)
    rng = np.random.default_rng(3)
    product = np.broadcast_to(start, (trials, 2, 2)).copy()
    np.testing.assert_allclose(got[0], np.log10(3.0))
    for k in range(1, count + 1):
        product = product @ rng.standard_normal((trials, 2, 2))
        np.testing.assert_allclose(got[k], np.log10(np.abs(product).max(axis=(1, 2))),
                                   rtol=1e-12)
    last = mp.log10_max_entries(count, n=2, start=start, trials=trials, seed=3)
    np.testing.assert_array_equal(last, got[-1])


def test_long_products_stay_finite_and_scale_with_the_start():
    plain = mp.log10_max_entries(2000, n=3, trials=4, seed=0)
    assert np.all(np.isfinite(plain)) and np.all(plain > 100)  # far beyond float64's range
    scaled = mp.log10_max_entries(2000, n=3, start=1e5 * np.eye(3), trials=4, seed=0)
    np.testing.assert_allclose(scaled - plain, 5.0, atol=1e-9)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="half-integer"):
        mp.digamma_half_integer(0.3)
    with pytest.raises(ValueError, match="n must"):
        mp.gaussian_lyapunov_exponents(0)
    with pytest.raises(ValueError, match="count"):
        mp.log10_max_entries(-1)
    with pytest.raises(ValueError, match="start"):
        mp.log10_max_entries(3, n=2, start=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="trials"):
        mp.log10_max_entries(3, trials=0)
