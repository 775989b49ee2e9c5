"""Finite sums of quadratics, mini-batch sampling and SGD, against direct formulas and loops."""

import itertools
import math

import numpy as np
import pytest

from optbook import finite_sum, plateau, schedules


def _regression(n=40, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3)) * [1.0, 2.0, 0.5]
    y = X @ [1.0, -2.0, 0.5] + 0.3 * rng.standard_normal(n)
    return X, y


def test_least_squares_value_gradient_and_minimizer():
    X, y = _regression()
    problem = finite_sum.least_squares(X, y)
    x = np.array([0.3, -1.0, 2.0])
    assert problem.value(x) == pytest.approx(0.5 * np.mean((X @ x - y) ** 2), rel=1e-14)
    np.testing.assert_allclose(problem.grad(x), X.T @ (X @ x - y) / len(y), rtol=1e-13)
    np.testing.assert_allclose(problem.sample_grads(x), X * (X @ x - y)[:, None], rtol=1e-13)
    np.testing.assert_allclose(problem.minimizer, np.linalg.lstsq(X, y, rcond=None)[0],
                               rtol=1e-12)
    assert problem.min_value == pytest.approx(
        0.5 * np.mean((X @ problem.minimizer - y) ** 2), rel=1e-12)
    # the excess loss is f - f*, and its finite differences give the gradient
    assert problem.excess(x) == pytest.approx(problem.value(x) - problem.min_value, rel=1e-12)
    h = 1e-6
    numeric = [(problem.value(x + h * e) - problem.value(x - h * e)) / (2 * h)
               for e in np.eye(3)]
    np.testing.assert_allclose(problem.grad(x), numeric, rtol=1e-7)
    np.testing.assert_allclose(problem.eigenvalues, np.linalg.eigvalsh(X.T @ X / len(y)),
                               rtol=1e-12)


def test_gradient_covariance_is_the_population_covariance_of_the_per_example_gradients():
    X, y = _regression()
    problem = finite_sum.least_squares(X, y)
    x = np.array([1.0, 0.0, -1.0])
    g = X * (X @ x - y)[:, None]
    np.testing.assert_allclose(problem.gradient_covariance(x), np.cov(g.T, bias=True),
                               rtol=1e-12, atol=1e-14)
    residuals = X @ problem.minimizer - y
    at_min = X * residuals[:, None]
    np.testing.assert_allclose(problem.gradient_covariance(), at_min.T @ at_min / len(y),
                               rtol=1e-10, atol=1e-14)


def test_shifted_quadratic_has_the_same_noise_at_every_point():
    A = np.array([[2.0, 0.5], [0.5, 1.0]])
    centers = np.random.default_rng(0).standard_normal((30, 2))
    problem = finite_sum.shifted_quadratic(A, centers)
    np.testing.assert_allclose(problem.minimizer, centers.mean(axis=0), rtol=1e-12, atol=1e-14)
    for x in ([0.0, 0.0], [5.0, -3.0]):
        noise = problem.sample_grads(x) - problem.grad(x)
        np.testing.assert_allclose(noise, -(centers - centers.mean(axis=0)) @ A, atol=1e-12)
    x = np.array([1.0, 2.0])
    direct = np.mean([0.5 * (x - c) @ A @ (x - c) for c in centers])
    assert problem.value(x) == pytest.approx(direct, rel=1e-13)


def test_noisy_quadratic_noise_covariance_is_exactly_sigma_squared():
    problem = finite_sum.noisy_quadratic([0.5, 3.0, 10.0], 50, 2.0, seed=4)
    np.testing.assert_allclose(problem.mean_hessian, np.diag([0.5, 3.0, 10.0]))
    np.testing.assert_allclose(problem.minimizer, 0.0, atol=1e-13)
    for x in (np.zeros(3), np.array([1.0, -2.0, 0.5])):
        np.testing.assert_allclose(problem.gradient_covariance(x), 4.0 * np.eye(3), atol=1e-12)


def test_batch_sampler_replacement_is_uniform_and_independent_of_how_it_is_called():
    sampler = finite_sum.BatchSampler(7, 3, "replacement", seed=1)
    indices, offsets = sampler.take(70_000)
    assert offsets.tolist() == list(range(0, 210_001, 3))
    counts = np.bincount(indices, minlength=7) / indices.size
    np.testing.assert_allclose(counts, 1 / 7, atol=0.005)
    batches = indices.reshape(-1, 3)
    repeated = np.mean([len(set(b)) < 3 for b in batches[:5000]])
    assert repeated == pytest.approx(1 - (6 / 7) * (5 / 7), abs=0.03)  # some draw repeats
    pieces = finite_sum.BatchSampler(7, 3, "replacement", seed=1)
    again = np.concatenate([pieces.take(k)[0] for k in (1, 99_999 // 3, 5, 70_000 - 6 - 33_333)])
    np.testing.assert_array_equal(again, indices)


def test_batch_sampler_subset_draws_distinct_indices_uniformly():
    indices, offsets = finite_sum.BatchSampler(6, 2, "subset", seed=2).take(30_000)
    pairs = indices.reshape(-1, 2)
    assert np.all(pairs[:, 0] != pairs[:, 1])
    keys, counts = np.unique(np.sort(pairs, axis=1), axis=0, return_counts=True)
    assert len(keys) == 15  # every one of the C(6, 2) subsets appears, about equally often
    np.testing.assert_allclose(counts / len(pairs), 1 / 15, atol=0.006)
    full, _ = finite_sum.BatchSampler(5, 5, "subset", seed=0).take(3)
    assert sorted(full[:5]) == list(range(5))


def test_batch_sampler_shuffle_covers_each_epoch_once():
    sampler = finite_sum.BatchSampler(10, 4, "shuffle", seed=5)
    assert sampler.batches_per_epoch == 3
    indices, offsets = sampler.take(9)
    assert np.diff(offsets).tolist() == [4, 4, 2] * 3
    for epoch in range(3):
        assert sorted(indices[10 * epoch:10 * (epoch + 1)]) == list(range(10))
    assert indices[:10].tolist() != indices[10:20].tolist()
    pieces = finite_sum.BatchSampler(10, 4, "shuffle", seed=5)
    parts = [pieces.take(k) for k in (2, 5, 2)]
    np.testing.assert_array_equal(np.concatenate([p[0] for p in parts]), indices)


def test_minibatch_deviations_against_a_direct_computation():
    values = np.random.default_rng(0).standard_normal((12, 5))
    for sampling in finite_sum.SAMPLINGS:
        deviations = finite_sum.minibatch_deviations(values, [5, 12], sampling, 50, seed=9)
        assert deviations.shape == (2, 50)
        for k, size in enumerate([5, 12]):
            sampler = finite_sum.BatchSampler(12, size, sampling, seed=(9, k))
            indices, offsets = sampler.take(50)
            direct = [np.sum((values[indices[a:b]].mean(axis=0) - values.mean(axis=0)) ** 2)
                      for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
            np.testing.assert_allclose(deviations[k], direct, rtol=1e-10, atol=1e-13)


def _sgd_transcription(problem, x0, lrs, indices, offsets):
    """Plain NumPy: x <- x - lr * mean over the batch of (H_i x - q_i)."""
    x = np.array(x0, dtype=float)
    out = [x.copy()]
    for k, lr in enumerate(lrs):
        batch = indices[offsets[k]:offsets[k + 1]]
        g = np.mean([problem.hessians[i] @ x - problem.linear[i] for i in batch], axis=0)
        x = x - lr * g
        out.append(x.copy())
    return np.array(out)


@pytest.mark.parametrize("sampling", finite_sum.SAMPLINGS)
def test_sgd_matches_a_numpy_transcription_on_the_same_batches(sampling):
    X, y = _regression()
    problem = finite_sum.least_squares(X, y)
    sched = schedules.inverse_time(0.01)
    run = finite_sum.sgd(problem, [0.0, 0.0, 0.0], 0.05, 300, batch_size=7, sampling=sampling,
                         schedule=sched, seed=11)
    indices, offsets = finite_sum.BatchSampler(40, 7, sampling, seed=11).take(300)
    lrs = [sched(t, 0.05) for t in range(1, 301)]
    expected = _sgd_transcription(problem, [0.0, 0.0, 0.0], lrs, indices, offsets)
    np.testing.assert_allclose(run.positions, expected, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(run.excess, problem.value(expected) - problem.min_value,
                               rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(run.lrs, lrs, rtol=1e-15)
    assert run.diverged_at is None and run.steps_run == 300


def test_full_batch_sgd_is_gradient_descent():
    X, y = _regression()
    problem = finite_sum.least_squares(X, y)
    run = finite_sum.sgd(problem, [1.0, 1.0, 1.0], 0.1, 50, batch_size=40, sampling="subset")
    x = np.ones(3)
    for _ in range(50):
        x = x - 0.1 * problem.grad(x)
    np.testing.assert_allclose(run.positions[-1], x, rtol=1e-11)


def test_divergence_is_reported_not_raised():
    X, y = _regression()
    problem = finite_sum.least_squares(X, y)
    lam_max = problem.eigenvalues[-1]
    run = finite_sum.sgd(problem, [1.0, 1.0, 1.0], 2.5 / lam_max, 1000, batch_size=40,
                         sampling="subset", bound=1e3)
    assert run.diverged_at is not None and run.steps_run == run.diverged_at - 1
    assert np.all(np.abs(run.positions) <= 1e3)
    assert np.abs(run.positions[-1]).max() > 100  # it was growing when it left the bound


def test_plateau_rule_drives_the_rate_from_the_full_loss_after_each_epoch():
    problem = finite_sum.noisy_quadratic([1.0, 4.0], 20, 1.0, seed=0)
    rule = plateau.ReduceOnPlateau(factor=0.5, patience=2)
    run = finite_sum.sgd(problem, [3.0, 3.0], 0.2, 400, batch_size=5, schedule=rule, seed=1)
    # replay: the rate is constant over each epoch of 4 steps; the tracker sees f at its end
    tracker = rule.start(0.2)
    for epoch in range(100):
        block = run.lrs[4 * epoch:4 * (epoch + 1)]
        assert np.all(block == tracker.lr)
        tracker.step(problem.min_value + run.excess[4 * (epoch + 1)])
    assert tracker.cuts > 0 and run.lrs[-1] < 0.2
    # the iterates are those of SGD with that sequence of rates
    indices, offsets = finite_sum.BatchSampler(20, 5, "replacement", seed=1).take(400)
    expected = _sgd_transcription(problem, [3.0, 3.0], run.lrs, indices, offsets)
    np.testing.assert_allclose(run.positions, expected, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: finite_sum.least_squares(np.ones((3, 2)), np.ones(2)), "one target per row"),
        (lambda: finite_sum.least_squares(np.ones((3, 2)), np.ones(3)), "positive definite"),
        (lambda: finite_sum.shifted_quadratic(np.eye(3), np.ones((4, 2))), r"A must have shape"),
        (lambda: finite_sum.noisy_quadratic([1.0, -1.0], 10, 1.0), "eigenvalues must be > 0"),
        (lambda: finite_sum.noisy_quadratic([1.0, 2.0], 2, 1.0), "n must be an integer > 2"),
        (lambda: finite_sum.noisy_quadratic([1.0], 5, 0.0), "noise_std must be"),
        (lambda: finite_sum.BatchSampler(5, 6), r"batch_size must be an integer in \[1, 5\]"),
        (lambda: finite_sum.BatchSampler(5, 2, "bootstrap"), "sampling must be one of"),
        (lambda: finite_sum.sgd(finite_sum.noisy_quadratic([1.0], 5, 1.0), [0.0], 0.0, 10),
         "lr must be a finite number > 0"),
        (lambda: finite_sum.sgd(finite_sum.noisy_quadratic([1.0], 5, 1.0), [0.0, 1.0], 0.1, 10),
         "x0 must be 1 finite numbers"),
        (lambda: finite_sum.sgd(finite_sum.noisy_quadratic([1.0], 5, 1.0), [0.0], 0.1, 10,
                                schedule="cosine"), "schedule must be None"),
    ],
)
def test_bad_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_sampler_count_of_subsets_matches_enumeration():
    # every S-subset of N is equally likely: compare with the number of subsets
    n, s = 5, 3
    indices, _ = finite_sum.BatchSampler(n, s, "subset", seed=8).take(20_000)
    seen = {tuple(sorted(b)) for b in indices.reshape(-1, s)}
    assert seen == set(itertools.combinations(range(n), s))
    assert math.comb(n, s) == len(seen)


@pytest.mark.parametrize(("n", "s"), [(40, 3), (12, 6)])  # rejection and sorted keys
def test_subsets_include_each_example_with_probability_s_over_n(n, s):
    indices, _ = finite_sum.BatchSampler(n, s, "subset", seed=6).take(40_000)
    batches = indices.reshape(-1, s)
    assert all(len(set(b)) == s for b in batches[:2000])
    np.testing.assert_allclose(np.bincount(indices, minlength=n) / len(batches), s / n,
                               rtol=0.05)
    # pairs are included with probability s (s - 1) / (n (n - 1)), as for a uniform subset
    both = np.mean([(0 in b) and (1 in b) for b in batches])
    assert both == pytest.approx(s * (s - 1) / (n * (n - 1)), rel=0.15)
