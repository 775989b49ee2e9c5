"""The data sets: the digits split and standardised, the synthetic problems' geometry, and
Wilson et al.'s separable data with the two solutions the paper contrasts."""

import math

import numpy as np
import pytest
from sklearn.datasets import load_digits

from optbook import data


def test_digits_are_scikit_learns_images():
    X, y = data._digits_arrays()
    reference = load_digits()
    np.testing.assert_array_equal(X, reference.data)
    np.testing.assert_array_equal(y, reference.target)


def test_digits_are_split_standardised_and_complete():
    d = data.digits(seed=0)
    assert [a.shape for a in d] == [(1078, 64), (1078,), (359, 64), (359,), (360, 64), (360,)]
    labels = np.concatenate([d.y_train, d.y_val, d.y_test])
    np.testing.assert_array_equal(np.bincount(labels), np.bincount(load_digits().target))
    varying = d.X_train.std(axis=0) > 0
    assert varying.sum() < 64, "some border pixels are 0 in every training image"
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(d.X_train.std(axis=0)[varying], 1.0, rtol=1e-12)
    assert abs(d.X_val.mean()) < 0.1  # the same map applied to held-out images
    np.testing.assert_array_equal(data.digits(seed=0).X_val, d.X_val)
    assert not np.array_equal(data.digits(seed=1).y_train, d.y_train)
    assert data.digits(dtype=np.float32).X_train.dtype == np.float32


def test_split_fractions_and_their_checks():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    parts = data.split(x, y, (0.5, 0.3, 0.2), seed=0)
    assert [len(p) for p in parts[1::2]] == [5, 3, 2]
    np.testing.assert_array_equal(np.sort(np.concatenate(parts[1::2])), y)
    np.testing.assert_array_equal(parts.X_train[:, 0] // 2, parts.y_train)
    for bad in [(0.5, 0.5), (0.6, 0.6, -0.2), (0.5, 0.2, 0.2), (0.0, 0.5, 0.5)]:
        with pytest.raises(ValueError, match="fraction"):
            data.split(x, y, bad)


def test_two_moons_lie_on_their_half_circles_without_noise():
    x, y = data.two_moons(101, noise=0.0, seed=0)
    assert x.shape == (101, 2) and np.bincount(y).tolist() == [51, 50]
    upper, lower = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, rtol=1e-15)
    assert np.all(upper[:, 1] >= 0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, rtol=1e-15)
    assert np.all(lower[:, 1] <= 0.5)
    noisy, _ = data.two_moons(101, noise=0.1, seed=0)
    # Each coordinate gets N(0, 0.1^2): 202 draws, sample sd within 20 % of 0.1.
    assert abs(np.std(noisy - x) / 0.1 - 1) < 0.2


def test_spirals_have_their_radii_and_arms():
    x, y = data.spirals(50, classes=3, noise=0.0, turns=1.0, seed=0)
    assert x.shape == (150, 2) and np.bincount(y).tolist() == [50, 50, 50]
    radius = np.tile(np.arange(1, 51) / 50, 3)
    np.testing.assert_allclose(np.hypot(*x.T), radius, rtol=1e-14)
    # One full turn: the last point of each arm is back at the arm's starting angle 2 pi k/3.
    angles = 2 * math.pi * np.arange(3) / 3
    np.testing.assert_allclose(x[[49, 99, 149]], np.column_stack([np.cos(angles),
                                                                   np.sin(angles)]), atol=1e-12)


def test_badly_scaled_regression_is_ill_conditioned_and_exact_without_noise():
    problem = data.badly_scaled_regression(n=4000, scales=(1.0, 100.0), noise=0.0, seed=0)
    np.testing.assert_allclose(problem.X @ problem.w, problem.y, rtol=1e-12)
    condition = np.linalg.cond(problem.X.T @ problem.X)
    assert 0.8e4 < condition < 1.25e4  # (100/1)^2; the sample covariance is within 3 % of it
    np.testing.assert_allclose(np.std(problem.X, axis=0), [1.0, 100.0], rtol=0.05)


def test_wilson_data_have_the_papers_structure():
    d = data.wilson_separable(n=60, p=0.75, n_test=400, seed=0)
    assert d.X_train.shape == (60, 360) and d.X_test.shape == (400, 360)
    np.testing.assert_array_equal(d.X_train[:, 0], d.y_train)
    np.testing.assert_array_equal(d.X_train[:, 1:3], 1.0)
    own = d.X_train[:, 3:]
    np.testing.assert_array_equal(own.sum(axis=1), np.where(d.y_train > 0, 1, 5))
    assert np.all(own.sum(axis=0) <= 1), "no two training points share an own feature"
    first = np.argmax(own > 0, axis=1) + 3
    np.testing.assert_array_equal(first, 3 + 5 * np.arange(60))  # 4 + 5(i - 1), 1-based
    used = (d.X_train != 0).any(axis=0)
    assert not np.any((d.X_test[:, 3:] != 0) & used[3:]), "test points' own features are new"
    labels = np.concatenate([d.y_train, d.y_test])
    # 460 labels, +1 with probability 0.75: sd of the fraction 0.02; four of them.
    assert abs(np.mean(labels > 0) - 0.75) < 4 * math.sqrt(0.75 * 0.25 / 460)


def test_the_minimum_norm_solution_generalises_and_the_sign_solution_does_not():
    """The paper's point, checked with NumPy alone: the minimum-norm least-squares solution
    (where gradient descent from 0 ends) labels every test point correctly, while any
    multiple of sign(X^T y) (where the adaptive methods end) labels them all +1."""
    d = data.wilson_separable(n=60, seed=1)
    minimum_norm = np.linalg.pinv(d.X_train) @ d.y_train
    np.testing.assert_allclose(d.X_train @ minimum_norm, d.y_train, atol=1e-10)
    assert np.all(np.sign(d.X_test @ minimum_norm) == d.y_test)
    adaptive = np.sign(d.X_train.T @ d.y_train)
    assert np.all(d.X_test @ adaptive > 0)
    assert np.mean(np.sign(d.X_test @ adaptive) != d.y_test) == np.mean(d.y_test < 0)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: data.two_moons(1), "n must be an integer >= 2"),
    (lambda: data.two_moons(10, noise=-1.0), "noise"),
    (lambda: data.spirals(10, classes=1), "classes"),
    (lambda: data.spirals(10, turns=0.0), "turns"),
    (lambda: data.badly_scaled_regression(scales=(1.0, 0.0)), "scales"),
    (lambda: data.wilson_separable(n=5), "n must be an integer >= 8"),
    (lambda: data.wilson_separable(p=0.5), r"p must be in \(0.5, 1\)"),
    (lambda: data.digits(dtype=np.int32), "dtype"),
])
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
