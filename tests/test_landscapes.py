"""Landscapes against independent derivations: formulas re-typed from the lectures, finite
differences, the lecture tables, hand-worked values."""

import dataclasses
import math
import re

import numba
import numpy as np
import pytest

from optbook import landscapes as L

# The CSC321 Lecture 7 tables (x1, x2, t), typed again from the lecture.
TABLE_1 = np.array([[114.8, 0.00323, 5.1], [338.1, 0.00183, 3.2], [98.8, 0.00279, 4.1]])
TABLE_2 = np.array([[1003.2, 1005.1, 3.3], [1001.1, 1008.2, 4.8], [998.3, 1003.4, 2.9]])
TABLES = {1: TABLE_1, 2: TABLE_2}


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def _rot(theta):
    return np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])


def _design(table, standardize):
    x, t = TABLES[table][:, :2], TABLES[table][:, 2]
    if standardize:
        x = (x - x.mean(0)) / x.std(0)
        t = t - t.mean()
    return x, t


def _ravine_formula(table, standardize):
    x, t = _design(table, standardize)
    return lambda w: 0.5 * np.mean((x @ w - t) ** 2)


_U = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
_T = _sig(1.5 * _U - 0.5)

# name -> (factory, the formula written independently here)
CASES = {
    "lecture_2": (lambda: L.lecture_quadratic(2), lambda p: p[0] ** 2 + 2 * p[1] ** 2),
    "lecture_50": (lambda: L.lecture_quadratic(50), lambda p: p[0] ** 2 + 50 * p[1] ** 2),
    "kappa_100_rot": (
        lambda: L.conditioned_quadratic(100, lam_min=0.5, angle=0.4),
        lambda p: 0.5 * p @ (_rot(0.4) @ np.diag([0.5, 50.0]) @ _rot(0.4).T) @ p,
    ),
    "quadratic_centered": (
        lambda: L.quadratic([3.0, 0.2], angle=-1.0, center=[1.0, -2.0]),
        lambda p: (
            0.5 * (p - [1, -2]) @ (_rot(-1.0) @ np.diag([3.0, 0.2]) @ _rot(-1.0).T) @ (p - [1, -2])
        ),
    ),
    "rosenbrock": (
        lambda: L.rosenbrock(),
        lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2,
    ),
    "rosenbrock_a_b": (
        lambda: L.rosenbrock(a=-0.5, b=10.0),
        lambda p: (-0.5 - p[0]) ** 2 + 10 * (p[1] - p[0] ** 2) ** 2,
    ),
    "two_minima": (
        L.two_minima,
        lambda p: (
            -2 * np.exp(-((p[0] - 1) ** 2 + p[1] ** 2) / 0.2)
            - 6 * np.exp(-((p[0] + 1) ** 2 + p[1] ** 2) / 0.2)
            + p[0] ** 2
            + p[1] ** 2
        ),
    ),
    "saddle": (L.saddle, lambda p: p[0] ** 2 - p[1] ** 2),
    "plane": (lambda: L.plane([0.5, -2.0]), lambda p: 0.5 * p[0] - 2.0 * p[1]),
    "plateau": (L.plateau, lambda p: 0.5 * np.mean((_sig(p[0] * _U + p[1]) - _T) ** 2)),
    "cliff": (L.cliff, lambda p: 0.5 * (p[0] ** 2 + p[1] ** 2) + 20 * _sig(20 * (p[0] - 1))),
    "cliff_gentle": (
        lambda: L.cliff(height=3.0, steepness=2.0, edge=0.5),
        lambda p: 0.5 * (p[0] ** 2 + p[1] ** 2) + 3 * _sig(2 * (p[0] - 0.5)),
    ),
    "cliff_left": (
        lambda: L.cliff(edge=-1.0),
        lambda p: 0.5 * (p[0] ** 2 + p[1] ** 2) + 20 * _sig(-20 * (p[0] + 1)),
    ),
}
for _table in (1, 2):
    for _std in (False, True):
        CASES[f"ravine_{_table}_{'std' if _std else 'raw'}"] = (
            lambda t=_table, s=_std: L.regression_ravine(t, standardize=s),
            _ravine_formula(_table, _std),
        )


def _points(land, k, seed):
    """k seeded random points in the landscape's window."""
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = land.window
    return np.column_stack([rng.uniform(x0, x1, k), rng.uniform(y0, y1, k)])


def _steps(land):
    """Finite-difference steps, one per coordinate, scaled to the window."""
    return np.array([1e-6 * (hi - lo) for lo, hi in land.window])


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    factory, formula = CASES[request.param]
    return factory(), formula


def test_value_matches_the_formula(case):
    land, formula = case
    for p in _points(land, 8, seed=1):
        assert land.value(p) == pytest.approx(formula(p), rel=1e-12, abs=1e-12)


def _central_difference(fn, p, k, h):
    """(fn(p + h e_k) - fn(p - h e_k)) / 2h: the derivative of fn along coordinate k."""
    e = np.zeros_like(p)
    e[k] = h
    return (fn(p + e) - fn(p - e)) / (2 * h)


def test_gradient_matches_central_differences(case):
    land, formula = case
    h = _steps(land)
    for p in _points(land, 8, seed=2):
        g = land.grad(p)
        for k in range(2):
            fd = _central_difference(formula, p, k, h[k])
            # truncation O(h^2 f''') plus rounding ~ eps |f| / h
            tol = 1e-6 * abs(g[k]) + 1e-9 * (1 + abs(formula(p))) / h[k]
            assert abs(fd - g[k]) <= tol, (p, k, fd, g[k])


def test_hessian_matches_differenced_gradients(case):
    land, _ = case
    h = _steps(land)
    for p in _points(land, 8, seed=3):
        hess = land.hessian(p)
        for k in range(2):
            col = _central_difference(land.grad, p, k, h[k])
            scale = 1 + np.abs(land.grad(p)).max()
            np.testing.assert_allclose(col, hess[:, k], rtol=1e-5, atol=1e-8 * scale / h[k])
        np.testing.assert_array_equal(hess, hess.T)


def test_float32_value_and_grad(case):
    land, _ = case
    p = _points(land, 1, seed=4)[0]
    x32 = p.astype(np.float32)
    g32 = np.empty(2, np.float32)
    f32 = L.value_and_grad(land.code, land.params, x32, g32)
    g64 = np.empty(2)
    f64 = L.value_and_grad(land.code, land.params, x32.astype(np.float64), g64)
    assert isinstance(f32, float)
    assert f32 == f64  # float64 arithmetic on the same (rounded) point
    np.testing.assert_array_equal(g32, g64.astype(np.float32))


def test_minimizers_are_strict_minima(case):
    land, formula = case
    if land.name in ("saddle", "plane"):
        assert land.minimizers.shape == (0, 2) and land.min_value == -math.inf
        return
    for m in land.minimizers:
        scale = 1 + np.abs(land.grad(land.start)).max()
        assert np.abs(land.grad(m)).max() <= 1e-10 * scale
        assert np.linalg.eigvalsh(land.hessian(m))[0] > 0
    assert land.value(land.minimizers[0]) == pytest.approx(land.min_value, abs=1e-12)
    assert formula(land.minimizers[0]) == pytest.approx(land.min_value, abs=1e-12)
    assert all(land.value(m) >= land.min_value for m in land.minimizers)


def test_window_holds_minimizers_and_start(case):
    land, _ = case
    (x0, x1), (y0, y1) = land.window
    for p in [*land.minimizers, land.start]:
        assert x0 <= p[0] <= x1 and y0 <= p[1] <= y1


def test_value_grid_matches_value(case):
    land, _ = case
    (x0, x1), (y0, y1) = land.window
    X, Y = np.meshgrid(np.linspace(x0, x1, 7), np.linspace(y0, y1, 5))
    Z = land.value_grid(X, Y)
    assert Z.shape == X.shape
    for i, j in np.ndindex(X.shape):
        assert Z[i, j] == land.value([X[i, j], Y[i, j]])


def test_hand_worked_values():
    q = L.lecture_quadratic(2)  # EE 628: f = x1^2 + 2 x2^2 at (-5, -2)
    assert q.value([-5, -2]) == 33.0
    np.testing.assert_array_equal(q.grad([-5, -2]), [-10.0, -8.0])
    np.testing.assert_array_equal(q.start, [-5.0, -2.0])
    np.testing.assert_array_equal(q.hessian([0, 0]), [[2, 0], [0, 4]])
    r = L.rosenbrock()  # (1+1.2)^2 + 100 (1-1.44)^2
    assert r.value([-1.2, 1.0]) == pytest.approx(4.84 + 19.36, rel=1e-15)
    np.testing.assert_allclose(r.grad([-1.2, 1.0]), [-4.4 - 211.2, -88.0], rtol=1e-14)
    s = L.saddle()
    assert s.value([1.0, 2.0]) == -3.0
    np.testing.assert_array_equal(s.grad([1.0, 2.0]), [2.0, -4.0])
    flat = L.plane([-1.0])  # f(x) = -x: the gradient is -1 wherever we stand
    assert flat.value([3.0]) == -3.0
    np.testing.assert_array_equal(flat.grad([1e9]), [-1.0])
    np.testing.assert_array_equal(flat.hessian([7.0]), [[0.0]])


def test_lecture_quadratics_thresholds():
    # DD2424: on x1^2 + 50 x2^2, lambda_max = 100, GD diverges for eta > 2/100 = 0.02.
    for a2 in (1, 2, 10, 50):
        land = L.lecture_quadratic(a2)
        np.testing.assert_array_equal(land.eigenvalues, sorted([2.0, 2.0 * a2]))
        assert land.condition_number == max(a2, 1 / a2)
        np.testing.assert_array_equal(land.minimizers, [[0.0, 0.0]])


def test_quadratic_closed_form_any_dimension():
    lam, c = [0.5, 2.0, 7.0], [1.0, -1.0, 0.5]
    land = L.quadratic(lam, angle=0.3, center=c)
    r = np.eye(3)
    r[:2, :2] = _rot(0.3)
    a = r @ np.diag(lam) @ r.T
    np.testing.assert_allclose(land.hessian(np.zeros(3)), a, atol=1e-15)
    np.testing.assert_array_equal(land.minimizers, [c])
    rng = np.random.default_rng(5)
    for p in rng.normal(size=(5, 3)):
        assert land.value(p) == pytest.approx(0.5 * (p - c) @ a @ (p - c), rel=1e-13)
        np.testing.assert_allclose(land.grad(p), a @ (p - c), rtol=1e-13, atol=1e-15)
        g32 = np.empty(3, np.float32)
        L.value_and_grad(land.code, land.params, p.astype(np.float32), g32)
        np.testing.assert_allclose(g32, a @ (p.astype(np.float32) - c), rtol=1e-6)
    assert land.window is None and land.start is None
    np.testing.assert_allclose(land.eigenvalues, lam)
    # eigenvector of lambda_1 is (cos, sin) of the angle
    v = np.array([np.cos(0.3), np.sin(0.3), 0.0])
    np.testing.assert_allclose(land.hessian(np.zeros(3)) @ v, 0.5 * v, atol=1e-15)


def test_conditioned_quadratic_kappa():
    land = L.conditioned_quadratic(1000.0, lam_min=0.1, angle=0.7)
    assert land.condition_number == pytest.approx(1000.0, rel=1e-12)
    np.testing.assert_allclose(land.eigenvalues, [0.1, 100.0], rtol=1e-12)


@pytest.mark.parametrize("table", [1, 2])
def test_ravine_hessian_is_XtX_over_N(table):
    x, t = _design(table, standardize=False)
    land = L.regression_ravine(table)
    np.testing.assert_allclose(land.hessian(np.zeros(2)), x.T @ x / 3, rtol=1e-14)
    w = np.array([0.01, -2.0])
    np.testing.assert_allclose(land.grad(w), x.T @ (x @ w - t) / 3, rtol=1e-9)
    std = L.regression_ravine(table, standardize=True)
    xs, _ = _design(table, standardize=True)
    np.testing.assert_allclose(std.hessian(np.zeros(2)), xs.T @ xs / 3, atol=1e-14)
    np.testing.assert_allclose(np.diag(std.hessian(np.zeros(2))), [1.0, 1.0], rtol=1e-14)
    np.testing.assert_array_equal(land.start, [0.0, 0.0])


def test_standardizing_shrinks_kappa():
    before = [L.regression_ravine(t).condition_number for t in (1, 2)]
    after = [L.regression_ravine(t, standardize=True).condition_number for t in (1, 2)]
    for t, (b, a) in enumerate(zip(before, after, strict=True), start=1):
        x, _ = _design(t, standardize=False)
        lam = np.linalg.eigvalsh(x.T @ x / 3)
        assert b == pytest.approx(lam[1] / lam[0], rel=1e-6)
        rho = abs(np.corrcoef(x.T)[0, 1])  # correlation matrix eigenvalues 1 -+ rho
        assert a == pytest.approx((1 + rho) / (1 - rho), rel=1e-10)
    assert before[0] > 1e10 and after[0] < 30
    assert before[1] > 1e5 and after[1] < 3


@pytest.mark.parametrize("table", [1, 2])
def test_standardized_ravine_is_the_bias_model_at_its_best_bias(table):
    xs, _ = _design(table, standardize=True)
    t = TABLES[table][:, 2]
    land = L.regression_ravine(table, standardize=True)
    rng = np.random.default_rng(6)
    for w in rng.normal(size=(5, 2)):
        bias = np.linspace(t.mean() - 1, t.mean() + 1, 2001)
        best = min(0.5 * np.mean((xs @ w + b - t) ** 2) for b in bias)
        assert land.value(w) == pytest.approx(best, rel=1e-12)


def test_two_minima_global_first_and_basins():
    land = L.two_minima()
    (g, loc) = land.minimizers
    assert g[0] < 0 < loc[0] and g[1] == 0 and loc[1] == 0
    assert land.value(g) < land.value(loc)
    # The documented start lies in the shallow well's basin: plain GD ends there.
    p = land.start.copy()
    for _ in range(1000):
        p = p - 0.02 * land.grad(p)
    np.testing.assert_allclose(p, loc, atol=1e-8)
    np.testing.assert_array_equal(land.nearest_minimizer(p), loc)


def test_plateau_start_is_flat_and_gd_stalls():
    land = L.plateau()
    assert np.linalg.norm(land.grad(land.start)) < 3e-4
    assert np.linalg.norm(land.grad([0.0, 0.0])) > 0.1
    p = land.start.copy()
    for _ in range(500):
        p = p - 1.0 * land.grad(p)
    assert land.value(land.start) - land.value(p) < 1e-4
    assert land.value(p) > 0.2


def test_cliff_face_slope_minimiser_and_catapult():
    land = L.cliff()
    # On the face x = c the step's slope is h k sigma'(0) = h k / 4, plus the bowl's x = c.
    np.testing.assert_allclose(land.grad([1.0, 0.5]), [20 * 20 / 4 + 1.0, 0.5], rtol=1e-14)
    # Hessian there: the step's second derivative h k^2 s (1-s)(1-2s) vanishes at s = 1/2.
    np.testing.assert_allclose(land.hessian([1.0, 0.5]), np.eye(2), atol=1e-12)
    # The minimiser solves x + h k s (1 - s) = 0 with s = sigma(k (x - c)): x* = -hk e^{-kc}
    # to first order (the fixed point x = -h k sigma'(k (x - c)), iterated by hand here).
    x_star = 0.0
    for _ in range(5):
        s = _sig(20 * (x_star - 1))
        x_star = -20 * 20 * s * (1 - s)
    np.testing.assert_allclose(land.minimizers[0], [x_star, 0.0], rtol=1e-12, atol=1e-300)
    # first order in e^{-kc}; the factor e^{k x*} = 1 - 1.6e-5 is the next correction
    assert x_star == pytest.approx(-400 * math.exp(-20), rel=2e-5)
    assert land.min_value == pytest.approx(0.5 * x_star**2 + 20 * _sig(20 * (x_star - 1)))
    # From the documented start GD with lr 0.1 lands on the face and is thrown out of the
    # window (x < -4), then the bowl brings it back.
    p = land.start.copy()
    lowest = p[0]
    for _ in range(200):
        p = p - 0.1 * land.grad(p)
        lowest = min(lowest, p[0])
    assert lowest < -8.0
    np.testing.assert_allclose(p, land.minimizers[0], atol=1e-6)


@pytest.mark.parametrize("name", ["height", "steepness", "edge"])
def test_cliff_refuses_bad_parameters(name):
    with pytest.raises(ValueError, match=name):
        L.cliff(**{name: 0.0})
    if name != "edge":
        with pytest.raises(ValueError, match=name):
            L.cliff(**{name: -1.0})


def test_cliff_with_a_negative_edge_is_the_mirror_image():
    right, left = L.cliff(), L.cliff(edge=-1.0)
    mirror = np.array([-1.0, 1.0])
    for p in np.random.default_rng(5).uniform(-4, 4, size=(20, 2)):
        assert left.value(p) == pytest.approx(right.value(p * mirror), rel=1e-14)
        np.testing.assert_allclose(left.grad(p), right.grad(p * mirror) * mirror, rtol=1e-13)
        np.testing.assert_allclose(left.hessian(p), right.hessian(p * mirror), rtol=1e-12,
                                   atol=1e-12)
    np.testing.assert_allclose(left.minimizers[0], right.minimizers[0] * mirror, rtol=1e-12)
    np.testing.assert_array_equal(left.start, right.start * mirror)


def test_landscape_is_read_only():
    land = L.rosenbrock()
    with pytest.raises(dataclasses.FrozenInstanceError):
        land.code = 3
    with pytest.raises(ValueError):
        land.params[0] = 2.0


def test_get_by_name():
    assert L.get("lecture_quadratic", a2=10).value([1.0, 1.0]) == 11.0
    assert L.get("regression_ravine", table=2).dim == 2


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: L.quadratic([1.0, 0.0]), "eigenvalues"),
        (lambda: L.quadratic([1.0, -2.0]), "eigenvalues"),
        (lambda: L.quadratic([1.0, 2.0], center=[0.0]), "center"),
        (lambda: L.quadratic([1.0], angle=0.5), "angle"),
        (lambda: L.conditioned_quadratic(0.5), "kappa"),
        (lambda: L.conditioned_quadratic(10, lam_min=0), "lam_min"),
        (lambda: L.lecture_quadratic(0), "a2"),
        (lambda: L.rosenbrock(b=0), "b must be > 0"),
        (lambda: L.regression_ravine(3), "table must be one of [1, 2]"),
        (lambda: L.get("bowl"), "rosenbrock"),
        (lambda: L.saddle().value([1.0, 2.0, 3.0]), "x must have shape (2,)"),
        (lambda: L.quadratic([1.0, 2.0, 3.0]).value_grid([0.0], [0.0]), "value_grid"),
        (lambda: L.saddle().value_grid(np.zeros(2), np.zeros(3)), "same shape"),
        (lambda: L.saddle().nearest_minimizer([0.0, 0.0]), "no minimizer"),
        (lambda: L.plane([]), "slope must be a non-empty vector"),
        (lambda: L.plane([1.0, np.nan]), "slope must be a non-empty vector"),
        (lambda: L.quadratic([[2.0, 1.0], [1.0, 2.0]]), "eigenvalues must be a flat sequence"),
        (lambda: L.quadratic([1.0, 2.0], angle="abc"), "angle must be a finite real number"),
        (lambda: L.quadratic([1.0, 2.0], angle=None), "angle must be a finite real number"),
        (lambda: L.rosenbrock(a="1"), "a must be a finite real number"),
        (lambda: L.custom(1.0, 2.0), "value and grad must be functions"),
        (lambda: L.custom(_bowl_value, lambda x: (1.0,)), "grad 2 finite numbers"),
        (lambda: L.custom(_bowl_value, _bowl_grad, dim=0), "dim must be an integer >= 1"),
        (lambda: L.custom(_jit_value, _bowl_grad), "both be numba-jitted or both plain"),
        (lambda: L.custom(_bowl_value, _bowl_grad, start=[1.0]), "start must be 2 finite"),
    ],
)
@pytest.mark.filterwarnings("ignore::optbook.landscapes.SlowObjectiveWarning")
def test_bad_input_raises_naming_the_parameter(call, needle):
    with pytest.raises(ValueError, match=re.escape(needle)):
        call()


@pytest.mark.parametrize("name", sorted(CASES))
def test_latex_is_valid_mathtext(name):
    # the explorers put it in a title: matplotlib's mathtext must parse it (it has no \tfrac,
    # no \big, which made the explorers fail on construction)
    from matplotlib.mathtext import MathTextParser

    MathTextParser("agg").parse(f"${CASES[name][0]().latex}$")


# --------------------------------------------------------------------------- a reader's own


def _bowl_value(x):
    return (x[0] - 1.0) ** 2 + 10.0 * x[1] ** 2


def _bowl_grad(x):
    return (2.0 * (x[0] - 1.0), 20.0 * x[1])


_jit_value = numba.njit(_bowl_value)
_jit_grad = numba.njit(_bowl_grad)


def test_a_readers_jitted_pair_is_a_landscape():
    land = L.custom(_jit_value, _jit_grad, start=[3.0, 1.0], minimizers=[[1.0, 0.0]],
                    name="bowl")
    assert land.jitted and land.code == L.CUSTOM and land.min_value == 0.0
    assert land.value([2.0, 1.0]) == 11.0
    np.testing.assert_array_equal(land.grad([2.0, 1.0]), [2.0, 20.0])
    # the default window holds the start and the minimiser with room around them
    (x0, x1), (y0, y1) = land.window
    assert x0 < 1.0 < 3.0 < x1 and y0 < 0.0 < 1.0 < y1
    X, Y = np.meshgrid([0.0, 1.0], [0.0, 2.0])
    np.testing.assert_array_equal(land.value_grid(X, Y), [[1.0, 0.0], [41.0, 40.0]])
    with pytest.raises(ValueError, match="no Hessian"):
        land.hessian([0.0, 0.0])


def test_a_plain_python_pair_works_and_says_it_is_slow():
    with pytest.warns(L.SlowObjectiveWarning, match="decorate both with numba.njit"):
        land = L.custom(_bowl_value, _bowl_grad, start=[3.0, 1.0])
    assert not land.jitted and land.min_value == -math.inf and land.value([1.0, 0.0]) == 0.0
