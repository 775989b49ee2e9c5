"""Averages of iterates, and their variance on an AR(1) process, against direct sums."""

import numpy as np
import pytest

from optbook import averaging, finite_sum, noise_ball


def test_running_average_against_a_loop():
    x = np.random.default_rng(0).standard_normal((50, 3))
    out = averaging.running_average(x, 10)
    assert out.shape == (40, 3)
    for t in (0, 7, 39):
        np.testing.assert_allclose(out[t], x[10:11 + t].mean(axis=0), rtol=1e-13)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.999])
def test_exponential_average_against_its_recursion(beta):
    x = np.random.default_rng(1).standard_normal((1000, 2))
    z = np.empty_like(x)
    z[0] = x[0]
    for t in range(1, len(x)):
        z[t] = beta * z[t - 1] + (1 - beta) * x[t]
    np.testing.assert_allclose(averaging.exponential_average(x, beta), z, rtol=1e-11,
                               atol=1e-13)


@pytest.mark.parametrize(("r", "n"), [(0.9, 1), (0.9, 37), (0.5, 200), (-0.6, 10), (0.0, 5)])
def test_tail_average_variance_is_the_double_sum_of_covariances(r, n):
    v = 2.5
    lags = np.subtract.outer(np.arange(n), np.arange(n))
    direct = v * np.sum(r ** np.abs(lags)) / n**2
    assert averaging.tail_average_variance(r, v, n) == pytest.approx(direct, rel=1e-12)


@pytest.mark.parametrize(("r", "beta"), [(0.9, 0.5), (0.5, 0.99), (-0.3, 0.8), (0.95, 0.0)])
def test_ema_variance_is_the_double_sum_of_its_weights(r, beta):
    v = 1.7
    k = np.arange(4000)  # beta^4000 < 1e-17 for beta <= 0.99
    weights = (1 - beta) * beta**k
    truncated = v * weights @ (r ** np.abs(np.subtract.outer(k, k))) @ weights
    assert averaging.ema_variance(r, v, beta) == pytest.approx(truncated, rel=1e-10)


def test_averaged_sgd_variance_matches_runs_and_does_not_depend_on_the_rate():
    problem = finite_sum.noisy_quadratic([1.0], 100, 1.0, seed=0)
    window = 400
    for lr in (0.05, 0.2):
        run = finite_sum.sgd(problem, [0.0], lr, 400_000, batch_size=1, seed=3)
        e = run.positions[1000:, 0]
        means = e[: e.size // window * window].reshape(-1, window).mean(axis=1)
        v = noise_ball.sgd_stationary_variance(lr, 1.0, 1.0)
        theory = averaging.tail_average_variance(1 - lr, v, window)
        assert means.var() == pytest.approx(theory, rel=0.12)  # ~1000 nearly independent means
        # for a long window the variance tends to sigma^2 / (lambda^2 n), whatever the rate
        assert theory == pytest.approx(1.0 / window, rel=0.12)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: averaging.running_average(np.zeros((5, 2)), 5), r"start must be an integer"),
        (lambda: averaging.exponential_average(np.zeros((5, 2)), 1.0), r"beta must be in"),
        (lambda: averaging.tail_average_variance(1.0, 1.0, 3), r"rate must be in \(-1, 1\)"),
        (lambda: averaging.tail_average_variance(0.5, 1.0, 0), "n must be an integer >= 1"),
        (lambda: averaging.ema_variance(0.5, -1.0, 0.5), "variance must be finite"),
        (lambda: averaging.running_average(np.zeros(5)), "positions must be a non-empty"),
    ],
)
def test_bad_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
