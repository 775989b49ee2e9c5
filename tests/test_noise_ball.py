"""The noise-ball theory against exact enumeration of every batch sequence, and against runs."""

import itertools
import math

import numpy as np
import pytest

from optbook import finite_sum, noise_ball, noisy


def _tiny_least_squares():
    X = np.array([[1.0, 0.2], [0.3, -1.5], [-0.7, 0.9], [1.2, 1.1]])
    y = np.array([0.5, -1.0, 2.0, 0.3])
    return finite_sum.least_squares(X, y)


def _batches(n, s, sampling):
    if sampling == "replacement":
        return list(itertools.product(range(n), repeat=s))
    return list(itertools.combinations(range(n), s))


@pytest.mark.parametrize("sampling", ["replacement", "subset"])
@pytest.mark.parametrize("s", [1, 2, 3])
def test_batch_noise_factor_by_enumerating_every_batch(sampling, s):
    values = np.array([0.3, -1.2, 2.0, 0.4, -1.5])
    population = np.mean((values - values.mean()) ** 2)
    means = [values[list(b)].mean() for b in _batches(5, s, sampling)]
    exact = np.mean((np.array(means) - values.mean()) ** 2)
    assert noise_ball.batch_noise_factor(5, s, sampling) * population == pytest.approx(
        exact, rel=1e-13)


def test_batch_noise_factor_values():
    assert noise_ball.batch_noise_factor(200, 100, "replacement") == 0.01
    assert noise_ball.batch_noise_factor(200, 100, "subset") == pytest.approx(100 / (100 * 199))
    assert noise_ball.batch_noise_factor(200, 200, "shuffle") == 0.0


@pytest.mark.parametrize("sampling", ["replacement", "subset"])
def test_moments_equal_the_average_over_every_sequence_of_batches(sampling):
    problem = _tiny_least_squares()
    s, lrs = 2, [0.3, 0.2, 0.25]
    x0 = np.array([1.0, -2.0])
    batches = _batches(problem.n, s, sampling)
    mean = np.zeros((4, 2))
    second = np.zeros((4, 2, 2))
    for sequence in itertools.product(batches, repeat=len(lrs)):
        x = x0.copy()
        path = [x - problem.minimizer]
        for lr, batch in zip(lrs, sequence, strict=True):
            x = x - lr * np.mean([problem.hessians[i] @ x - problem.linear[i] for i in batch],
                                 axis=0)
            path.append(x - problem.minimizer)
        for t, e in enumerate(path):
            mean[t] += e
            second[t] += np.outer(e, e)
    count = len(batches) ** len(lrs)
    exact = noise_ball.moments(problem, x0, lrs, s, sampling)
    np.testing.assert_allclose(exact.mean, mean / count, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(exact.second, second / count, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(
        exact.excess, [0.5 * np.trace(problem.mean_hessian @ m) for m in second / count],
        rtol=1e-12)


def test_additive_noise_ball_is_the_scalar_formula_and_the_momentum_module_s():
    problem = finite_sum.noisy_quadratic([0.5, 4.0], 64, 1.5, seed=2)
    for lr, s in [(0.05, 1), (0.3, 4), (0.45, 16)]:
        covariance = noise_ball.stationary_covariance(problem, lr, s)
        formula = noise_ball.sgd_stationary_variance(lr, problem.eigenvalues, 1.5**2, s)
        np.testing.assert_allclose(np.diag(covariance), formula, rtol=1e-12)
        assert abs(covariance[0, 1]) < 1e-15
        # the momentum chapter's AR(2) formula with gamma = 0, noise variance sigma^2 / S
        np.testing.assert_allclose(
            formula, noisy.stationary_variance(lr, 0.0, problem.eigenvalues, 1.5**2 / s),
            rtol=1e-12)
        with_n = noise_ball.sgd_stationary_variance(lr, problem.eigenvalues, 1.5**2, s, n=64,
                                                    sampling="subset")
        np.testing.assert_allclose(with_n, formula * (64 - s) / 63, rtol=1e-12)


def test_stationary_covariance_is_the_limit_of_the_moments():
    problem = _tiny_least_squares()
    lr = 0.15
    limit = noise_ball.moments(problem, [1.0, 1.0], np.full(3000, lr), 1).second[-1]
    np.testing.assert_allclose(noise_ball.stationary_covariance(problem, lr, 1), limit,
                               rtol=1e-9, atol=1e-15)
    assert noise_ball.stationary_excess(problem, lr, 1) == pytest.approx(
        0.5 * np.trace(problem.mean_hessian @ limit), rel=1e-9)


def test_multiplicative_noise_makes_the_ball_larger_and_breaks_it_before_2_over_lambda():
    problem = _tiny_least_squares()
    z = problem.eigenvectors.T @ problem.gradient_covariance() @ problem.eigenvectors
    lr = 0.1
    exact = problem.eigenvectors.T @ noise_ball.stationary_covariance(problem, lr, 1) \
        @ problem.eigenvectors
    additive = noise_ball.sgd_stationary_variance(lr, problem.eigenvalues, np.diag(z), 1)
    assert np.all(np.diag(exact) > additive)
    unstable = 1.9 / problem.eigenvalues[-1]  # below 2/lambda_max, yet no stationary moments
    assert np.isinf(noise_ball.stationary_covariance(problem, unstable, 1)).all()
    assert math.isinf(noise_ball.stationary_excess(problem, unstable, 1))


def test_stationary_excesses_evaluate_each_rate_of_a_schedule():
    problem = _tiny_least_squares()
    unstable = 1.9 / problem.eigenvalues[-1]  # no stationary moments with single examples
    lrs = np.array([[0.15, 0.05], [unstable, 0.15]])
    floors = noise_ball.stationary_excesses(problem, lrs, 1)
    assert floors.shape == (2, 2)
    for lr, floor in ((0.15, floors[0, 0]), (0.05, floors[0, 1]), (0.15, floors[1, 1])):
        # the limit of the exact moments at that constant rate
        limit = noise_ball.moments(problem, [1.0, 1.0], np.full(6000, lr), 1).second[-1]
        assert floor == pytest.approx(0.5 * np.trace(problem.mean_hessian @ limit), rel=1e-8)
    assert math.isinf(floors[1, 0])
    with pytest.raises(ValueError, match="lrs must be finite and > 0"):
        noise_ball.stationary_excesses(problem, [0.1, 0.0], 1)


def test_stationary_spread_of_long_runs_matches_the_theory():
    problem = finite_sum.noisy_quadratic([1.0, 10.0], 128, 1.0, seed=0)
    lr, s = 0.05, 4
    runs = [finite_sum.sgd(problem, [0.0, 0.0], lr, 100_000, batch_size=s, seed=k)
            for k in range(4)]
    measured = np.mean([problem.eigen_coordinates(r.positions[1000:]).var(axis=0) for r in runs],
                       axis=0)
    theory = noise_ball.sgd_stationary_variance(lr, problem.eigenvalues, 1.0, s)
    # relative standard error of a variance from 4 x 99,000 correlated samples with
    # r = 0.95 (slow direction): about sqrt(2 (1 + r^2) / (1 - r^2) / 396,000) = 1.4 %
    np.testing.assert_allclose(measured, theory, rtol=0.06)


def _reshuffled_by_enumeration(lr, lam, values, s):
    """Every permutation of the examples, one epoch: the exact variance at each position."""
    n = len(values)
    u = values - values.mean()
    r = 1 - lr * lam
    m = -(-n // s)
    contributions = []  # e_p - r^p e_0 for p = 0..m, for each permutation
    for order in itertools.permutations(range(n)):
        e, path = 0.0, [0.0]
        for k in range(m):
            e = r * e - lr * u[list(order[k * s:(k + 1) * s])].mean()
            path.append(e)
        contributions.append(path)
    contributions = np.array(contributions)
    added = contributions.var(axis=0)  # mean zero
    start = added[m] / (1 - r ** (2 * m))
    per_position = r ** (2 * np.arange(m)) * start + added[:m]
    return start, per_position.mean()


@pytest.mark.parametrize(("s", "lr"), [(1, 0.3), (2, 0.7), (3, 1.2), (6, 0.5)])
def test_reshuffled_variance_against_every_permutation(s, lr):
    values = np.array([0.3, -1.2, 2.0, 0.4, -1.5, 0.9])
    sigma2 = np.mean((values - values.mean()) ** 2)
    start, average = _reshuffled_by_enumeration(lr, 1.0, values, s)
    exact = noise_ball.reshuffled_variance(lr, 1.0, sigma2, 6, s)
    assert exact.epoch_start == pytest.approx(start, rel=1e-12, abs=1e-15)
    assert exact.average == pytest.approx(average, rel=1e-12, abs=1e-15)


def test_reshuffled_runs_match_the_reshuffled_theory():
    problem = finite_sum.noisy_quadratic([1.0, 10.0], 64, 1.0, seed=1)
    lr, s = 0.05, 4
    runs = [finite_sum.sgd(problem, [0.0, 0.0], lr, 64_000, batch_size=s, sampling="shuffle",
                           seed=k) for k in range(4)]
    measured = np.mean([problem.eigen_coordinates(r.positions[1600:]).var(axis=0) for r in runs],
                       axis=0)
    theory = [noise_ball.reshuffled_variance(lr, lam, 1.0, 64, s).average
              for lam in problem.eigenvalues]
    np.testing.assert_allclose(measured, theory, rtol=0.06)
    independent = noise_ball.sgd_stationary_variance(lr, problem.eigenvalues, 1.0, s, n=64,
                                                     sampling="subset")
    assert theory[0] < 0.6 * independent[0]  # an epoch's noise adds up to zero


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: noise_ball.batch_noise_factor(10, 11),
         r"batch_size must be an integer in \[1, 10\]"),
        (lambda: noise_ball.batch_noise_factor(10, 2, "bootstrap"), "sampling must be one of"),
        (lambda: noise_ball.sgd_stationary_variance(0.1, 1.0, 1.0, 2, 10, "shuffle"),
         "reshuffled_variance"),
        (lambda: noise_ball.sgd_stationary_variance(-0.1, 1.0, 1.0), "lr must be finite and > 0"),
        (lambda: noise_ball.reshuffled_variance(2.5, 1.0, 1.0, 10, 2), r"in \(0, 2\)"),
        (lambda: noise_ball.moments(_tiny_least_squares(), [0.0, 0.0], [0.1], 1, "shuffle"),
         "independent batches"),
        (lambda: noise_ball.moments(_tiny_least_squares(), [0.0], [0.1], 1), "x0 must be 2"),
    ],
)
def test_bad_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_mean_square_limit_is_2_over_lambda_max_for_additive_noise():
    problem = finite_sum.noisy_quadratic([0.5, 4.0], 64, 1.0, seed=2)
    assert noise_ball.mean_square_limit(problem, 4) == pytest.approx(0.5, rel=1e-9)


def test_mean_square_limit_separates_bounded_from_growing_second_moments():
    problem = _tiny_least_squares()
    limit = noise_ball.mean_square_limit(problem, 1)
    assert limit < 2.0 / problem.eigenvalues[-1]
    below = noise_ball.moments(problem, [1.0, 1.0], np.full(4000, 0.97 * limit), 1).excess
    above = noise_ball.moments(problem, [1.0, 1.0], np.full(4000, 1.03 * limit), 1).excess
    assert below[-1] < 2 * below[2000]  # settled
    assert above[-1] > 10 * above[2000]  # growing geometrically
