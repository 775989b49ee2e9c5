"""Critical points: the GOE fraction against the exact 2x2 value and dense sampling, the
saddle's escape time against gradient descent stepped by hand, the index against known
spectra."""

import math

import numpy as np
import pytest

from optbook import critical, landscapes, optimizers, run


def test_one_by_one_is_a_coin():
    f = critical.minimum_fraction(1, 200_000, seed=1)
    assert abs(f.estimate - 0.5) < 4 * f.stderr


def test_two_by_two_matches_the_closed_form():
    # [[a, b], [b, c]], a, c ~ N(0, 1), b ~ N(0, 1/2): P(positive definite) = (2 - sqrt 2)/4
    # (Dean & Majumdar 2008, the n = 2 case worked in closed form).
    f = critical.minimum_fraction(2, 400_000, seed=2)
    assert abs(f.estimate - (2 - math.sqrt(2)) / 4) < 4 * f.stderr


@pytest.mark.parametrize("n", [3, 4])
def test_tridiagonal_model_agrees_with_dense_matrices(n):
    fast = critical.minimum_fraction(n, 400_000, seed=n)
    dense = critical.dense_minimum_fraction(n, 100_000, seed=10 + n)
    assert abs(fast.estimate - dense.estimate) < 4 * math.hypot(fast.stderr, dense.stderr)
    assert dense.hits > 100


def test_fraction_is_seeded_and_chunking_does_not_change_the_count_law():
    a = critical.minimum_fraction(3, 50_000, seed=5)
    assert a == critical.minimum_fraction(3, 50_000, seed=5)
    b = critical.minimum_fraction(3, 50_000, seed=5, chunk=7_000)
    assert b.samples == 50_000 and abs(a.estimate - b.estimate) < 4 * math.hypot(a.stderr,
                                                                                b.stderr)


def test_fraction_falls_faster_than_exponentially():
    p = [critical.minimum_fraction(n, 400_000, seed=n).estimate for n in (1, 2, 3, 4)]
    ratios = np.array(p[1:]) / np.array(p[:-1])
    assert np.all(np.diff(ratios) < 0)  # log p concave in n: e^{-c n^2}, not e^{-c n}


@pytest.mark.parametrize(("lr", "expected"), [(0.1, 102), (0.01, 931)])
def test_escape_steps_closed_form(lr, expected):
    # ln(1e8)/ln(1.2) = 101.04 and ln(1e8)/ln(1.02) = 930.2, rounded up by hand
    assert critical.saddle_escape_steps(lr, 1e-8) == expected


@pytest.mark.parametrize("lr", [0.1, 0.03, 0.01])
def test_escape_steps_match_gradient_descent_on_the_saddle(lr):
    y = 1e-8
    t = 0
    while abs(y) < 1.0:  # the unstable coordinate by hand: y <- y + 2 lr y
        y = y + lr * 2.0 * y
        t += 1
    assert critical.saddle_escape_steps(lr, 1e-8) == t
    traj = run.trajectory(landscapes.saddle(), optimizers.gd(lr), np.array([1.0, 1e-8]), t + 5)
    assert critical.first_exit(traj.positions, 1, 1.0) == t


def test_escape_steps_edges_and_errors():
    assert critical.saddle_escape_steps(0.1, 2.0) == 0
    with pytest.raises(ValueError, match="lr"):
        critical.saddle_escape_steps(0.0, 1e-3)
    with pytest.raises(ValueError, match="y0"):
        critical.saddle_escape_steps(0.1, -1.0)
    assert critical.first_exit(np.zeros((4, 2)), 1, 1.0) is None
    with pytest.raises(ValueError, match="coordinate"):
        critical.first_exit(np.zeros((4, 2)), 2, 1.0)


def test_hessian_index_counts_negative_directions():
    rot = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))[0]
    for spectrum, index in [([1, 2, 3, 4], 0), ([-1, 2, 3, 4], 1), ([-1, -2, 0, 5], 2)]:
        assert critical.hessian_index(rot @ np.diag(spectrum) @ rot.T) == index
    # rounding of a measured Hessian is not a negative direction
    assert critical.hessian_index(np.diag([-1e-12, 1.0])) == 0
    with pytest.raises(ValueError, match="square"):
        critical.hessian_index(np.ones((2, 3)))


def test_stationary_points_of_the_two_minima_function():
    land = landscapes.two_minima()
    for seed, index in (([-1.0, 0.0], 0), ([1.0, 0.0], 0), ([0.1, 0.0], 1)):
        s = critical.stationary_point(land, seed)
        assert s.index == index and np.linalg.norm(land.grad(s.point)) < 1e-10
    barrier = critical.stationary_point(land, [0.1, 0.0]).point
    # on the x axis between the wells f is largest at the barrier (checked on a fine grid)
    xs = np.linspace(land.minimizers[0][0], land.minimizers[1][0], 20001)
    values = [land.value([x, 0.0]) for x in xs]
    assert abs(xs[int(np.argmax(values))] - barrier[0]) < 2e-4
    s = critical.stationary_point(landscapes.saddle(), [0.3, -0.2])
    np.testing.assert_allclose(s.point, [0.0, 0.0], atol=1e-15)
    assert s.index == 1 and s.value == 0.0
    with pytest.raises(RuntimeError, match="critical point"):
        critical.stationary_point(landscapes.saddle(), [0.3, -0.2], iterations=1, tol=-1.0)
