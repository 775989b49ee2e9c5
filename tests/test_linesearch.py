"""Line searches against closed forms and hand-worked steps: the Armijo threshold on a quadratic
solved by hand, the parabola along -g minimised by hand, consecutive exact-search gradients at
right angles, and the Kantorovich ratio reached from the worst start and never exceeded."""

import math

import numpy as np
import pytest

from optbook import curves as C
from optbook import landscapes as L
from optbook import linesearch as S

RAVINE = L.lecture_quadratic(50)  # x1^2 + 50 x2^2, A = diag(2, 100)


def test_backtracking_by_hand_on_the_ravine():
    # At (4, 0.5): g = (8, 50), g.g = 2564, g.A.g = 2*64 + 100*2500 = 250128. Along -g the change
    # is -eta 2564 + eta^2 250128 / 2, and Armijo with c asks for <= -c eta 2564, i.e.
    # eta <= 2 (1 - c) 2564 / 250128 = 0.0205 (to 4 digits). Halving from 1: 1, 1/2, ..., 1/64.
    x = np.array([4.0, 0.5])
    res = S.backtracking(RAVINE, x, -RAVINE.grad(x), lr0=1.0, shrink=0.5, c=1e-4)
    assert res == (2.0**-6, 7, True)
    threshold = 2 * (1 - 1e-4) * 2564 / 250128
    assert 2.0**-6 <= threshold < 2.0**-5
    # a trial that passes at once costs one evaluation
    assert S.backtracking(RAVINE, x, -RAVINE.grad(x), lr0=0.01) == (0.01, 1, True)


def test_backtracking_rejects_non_descent_and_reports_exhaustion():
    x = np.array([4.0, 0.5])
    with pytest.raises(ValueError, match="descent direction"):
        S.backtracking(RAVINE, x, RAVINE.grad(x))
    res = S.backtracking(RAVINE, x, -RAVINE.grad(x), lr0=1.0, max_evaluations=3)
    assert res == (0.25, 3, False)
    for kw, match in (({"shrink": 1.0}, "shrink"), ({"c": 0.0}, "c must"), ({"lr0": -1}, "lr0"),
                      ({"max_evaluations": 0}, "max_evaluations")):
        with pytest.raises(ValueError, match=match):
            S.backtracking(RAVINE, x, -RAVINE.grad(x), **kw)


def test_backtracking_survives_an_overflowing_trial():
    curve = C.poisson_nll(2.0)
    res = S.backtracking(curve, [0.0], [1.0], lr0=1e6)  # e^(1e6) overflows: a failed trial
    assert res.accepted and res.lr < 1.0


def test_exact_step_minimises_the_parabola_along_the_gradient():
    x = np.array([4.0, 0.5])
    eta = S.exact_quadratic_step(RAVINE, x)
    assert eta == pytest.approx(2564 / 250128, rel=1e-15)
    phi = [RAVINE.value(x - e * RAVINE.grad(x)) for e in (eta * 0.999, eta, eta * 1.001)]
    assert phi[1] < phi[0] and phi[1] < phi[2]
    with pytest.raises(ValueError, match="quadratic Landscape"):
        S.exact_quadratic_step(L.rosenbrock(), x)
    with pytest.raises(ValueError, match="vanishes"):
        S.exact_quadratic_step(RAVINE, [0.0, 0.0])


def test_exact_search_gradients_alternate_at_right_angles():
    land = L.conditioned_quadratic(30, angle=0.7)
    run = S.steepest_descent(land, land.start, 12, rule="exact")
    grads = np.array([land.grad(p) for p in run.positions])
    cos = np.sum(grads[1:] * grads[:-1], axis=1) / (
        np.linalg.norm(grads[1:], axis=1) * np.linalg.norm(grads[:-1], axis=1))
    np.testing.assert_allclose(cos, 0.0, atol=1e-12)
    assert np.all(run.evaluations == 0)


@pytest.mark.parametrize("kappa, angle", [(10.0, 0.0), (50.0, 0.4), (1000.0, -1.1)])
def test_kantorovich_bound_met_from_the_worst_start_and_kept_elsewhere(kappa, angle):
    land = L.conditioned_quadratic(kappa, lam_min=2.0, angle=angle)
    bound = ((kappa - 1) / (kappa + 1)) ** 2
    assert S.kantorovich_rate(kappa) == pytest.approx(bound, rel=1e-15)
    x0 = S.kantorovich_worst_start(land, distance=3.0)
    assert np.linalg.norm(x0 - land.minimizers[0]) == pytest.approx(3.0, rel=1e-14)
    run = S.steepest_descent(land, x0, 20, rule="exact")
    ratios = run.values[1:] / run.values[:-1]
    np.testing.assert_allclose(ratios, bound, rtol=1e-9)
    rng = np.random.default_rng(4)
    for x0 in rng.normal(size=(50, 2)):
        run = S.steepest_descent(land, x0, 10, rule="exact")
        assert np.all(run.values[1:] / run.values[:-1] <= bound * (1 + 1e-12))


def test_kantorovich_worst_start_in_three_dimensions():
    land = L.quadratic([1.0, 4.0, 9.0], angle=0.3)
    run = S.steepest_descent(land, S.kantorovich_worst_start(land), 8, rule="exact")
    np.testing.assert_allclose(run.values[1:] / run.values[:-1], (8 / 10) ** 2, rtol=1e-9)


def test_armijo_steps_never_fall_below_the_floor():
    land = L.conditioned_quadratic(40, lam_min=0.5, angle=0.3)
    lipschitz = land.eigenvalues[-1]
    floor = S.armijo_step_floor(lipschitz, lr0=1.0, shrink=0.5, c=0.3)
    assert floor == pytest.approx(min(1.0, 2 * 0.5 * 0.7 / 20.0), rel=1e-15)
    run = S.steepest_descent(land, land.start, 200, rule="armijo", c=0.3)
    assert run.step_sizes.min() >= floor
    assert np.all(np.diff(run.values) < 0)
    # every accepted step satisfies Armijo's condition, checked here from its definition
    for t in range(run.steps_run):
        g = land.grad(run.positions[t])
        assert run.values[t + 1] <= run.values[t] - 0.3 * run.step_sizes[t] * (g @ g)


def test_steepest_descent_on_a_curve_and_early_stop():
    curve = C.poisson_nll(2.0)
    run = S.steepest_descent(curve, [3.0], 500, rule="armijo", tol=1e-12)
    assert run.steps_run < 500
    assert run.positions[-1, 0] == pytest.approx(math.log(2.0), abs=1e-11)
    assert run.grad_norms[-1] <= 1e-12
    assert len(run.positions) == run.steps_run + 1 == len(run.evaluations) + 1


def test_bad_input():
    with pytest.raises(ValueError, match="rule"):
        S.steepest_descent(RAVINE, [1.0, 1.0], 5, rule="wolfe")
    with pytest.raises(ValueError, match="quadratic Landscape"):
        S.steepest_descent(L.rosenbrock(), [1.0, 1.0], 5, rule="exact")
    with pytest.raises(ValueError, match="steps"):
        S.steepest_descent(RAVINE, [1.0, 1.0], 0)
    with pytest.raises(ValueError, match="x0 must have 2"):
        S.steepest_descent(RAVINE, [1.0, 1.0, 1.0], 5)
    with pytest.raises(ValueError, match="kappa"):
        S.kantorovich_rate(0.5)
    with pytest.raises(ValueError, match="lipschitz"):
        S.armijo_step_floor(0.0)
    with pytest.raises(ValueError, match="dim >= 2"):
        S.kantorovich_worst_start(L.quadratic([2.0]))
