"""Newton's method against hand-worked steps and closed forms: Newton maps derived by hand
(x - 1 + y e^-x for the Poisson curve, -x^3 for pseudo-Huber), the 2x2 inverse written out,
the one-step property on quadratics, and Armijo's condition re-checked on every damped step."""

import math

import numpy as np
import pytest

from optbook import curves as C
from optbook import landscapes as L
from optbook import newton as N


def _rosenbrock_newton_by_hand(x, y):
    """One Newton step on (1-x)^2 + 100 (y-x^2)^2 with the 2x2 inverse written out."""
    gx = -2 * (1 - x) - 400 * x * (y - x * x)
    gy = 200 * (y - x * x)
    a, b, d = 2 - 400 * (y - x * x) + 800 * x * x, -400 * x, 200.0
    det = a * d - b * b
    return x - (d * gx - b * gy) / det, y - (-b * gx + a * gy) / det


def test_newton_step_matches_hand_computation():
    rosen = L.rosenbrock()
    np.testing.assert_allclose(
        N.newton_step(rosen, [-1.2, 1.0]), _rosenbrock_newton_by_hand(-1.2, 1.0), rtol=1e-13
    )
    assert N.newton_step(C.pseudo_huber(), [0.7])[0] == pytest.approx(-(0.7**3), rel=1e-14)
    x = 3.0
    assert N.newton_step(C.poisson_nll(2.0), x)[0] == pytest.approx(
        x - 1 + 2 * math.exp(-x), rel=1e-15
    )


@pytest.mark.parametrize("land", [L.lecture_quadratic(2), L.conditioned_quadratic(1000, angle=0.5),
                                  L.quadratic([0.3, 2.0, 7.0], center=[1.0, -1.0, 2.0])])
def test_one_step_lands_on_the_minimiser_of_a_quadratic(land):
    x0 = np.linspace(-5.0, 3.0, land.dim)
    np.testing.assert_allclose(N.newton_step(land, x0), land.minimizers[0], atol=1e-12)


def test_pure_newton_iterates_follow_the_hand_derived_maps():
    run = N.newton(C.pseudo_huber(), [0.9], 4)
    expected = [0.9]
    for _ in range(4):
        expected.append(-expected[-1] ** 3)
    np.testing.assert_allclose(run.positions[:, 0], expected, rtol=1e-13)
    assert run.diverged_at is None and np.all(run.step_sizes == 1.0)
    # from 1.1: 1.1, -1.331, 2.358, -13.11, 2253.6, then -1.14e10 is beyond the bound
    div = N.newton(C.pseudo_huber(), [1.1], 20)
    assert div.diverged_at == 5 and div.steps_run == 4
    x = 1.1
    for _ in range(4):
        x = -(x**3)
    assert div.positions[4, 0] == pytest.approx(x, rel=1e-12)
    assert div.positions[4, 0] == pytest.approx(2253.24, rel=1e-6)
    # from exactly 1 the map cycles between -1 and 1
    np.testing.assert_allclose(N.newton(C.pseudo_huber(), [1.0], 6).positions[:, 0],
                               [1, -1, 1, -1, 1, -1, 1])


def test_quadratic_convergence_constant_is_measured():
    curve = C.poisson_nll(2.0)
    assert N.quadratic_convergence_constant(curve) == pytest.approx(0.5, rel=1e-15)
    x_star = math.log(2.0)
    run = N.newton(curve, [2.0], 5)
    e = np.abs(run.positions[:, 0] - x_star)
    # independent: iterate the hand-derived map
    x, errors = 2.0, [abs(2.0 - x_star)]
    for _ in range(5):
        x = x - 1 + 2 * math.exp(-x)
        errors.append(abs(x - x_star))
    np.testing.assert_allclose(e, errors, rtol=1e-9, atol=1e-15)
    assert e[4] / e[3] ** 2 == pytest.approx(0.5, abs=2e-3)
    assert N.convergence_orders(e[:5])[-1] == pytest.approx(2.0, abs=0.02)
    with pytest.raises(ValueError, match="no third derivative"):
        N.quadratic_convergence_constant(C.axis_slice(L.two_minima()))


def test_convergence_orders_of_known_sequences():
    np.testing.assert_allclose(N.convergence_orders(0.5 ** np.arange(6)), np.ones(4))
    np.testing.assert_allclose(N.convergence_orders(10.0 ** -(2.0 ** np.arange(5))), 2.0)
    np.testing.assert_allclose(N.convergence_orders(10.0 ** -(3.0 ** np.arange(4))), 3.0)
    assert np.isnan(N.convergence_orders([1.0, 0.1, 0.0, 0.0])).all()
    with pytest.raises(ValueError, match="at least 3"):
        N.convergence_orders([1.0, 0.5])


def _armijo_holds(objective, x, x_next, alpha, d, c=1e-4):
    g = objective.grad(x)
    return objective.value(x_next) <= objective.value(x) + c * alpha * float(g @ d)


def test_damped_newton_first_step_by_hand_and_armijo_on_every_step():
    curve = C.pseudo_huber()
    run = N.newton(curve, [3.0], 30, damped=True)
    # by hand: d = -x (1 + x^2) = -30; trials 1, 1/2, 1/4 overshoot to -27, -12, -4.5, whose
    # costs exceed f(3); 1/8 gives -0.75, which passes the Armijo test
    assert run.step_sizes[0] == 0.125
    assert run.positions[1, 0] == pytest.approx(-0.75, rel=1e-15)
    for t in range(run.steps_run):
        x, x_next = run.positions[t], run.positions[t + 1]
        d = -curve.grad(x) / curve.hessian(x)[0, 0]
        assert _armijo_holds(curve, x, x_next, run.step_sizes[t], d)
    assert np.all(np.diff(run.values) <= 0)
    assert abs(run.positions[-1, 0]) < 1e-12 and run.diverged_at is None
    assert run.step_sizes[-1] == 1.0 and not run.gradient_steps.any()


def test_damped_newton_falls_back_to_the_gradient_where_the_hessian_is_indefinite():
    wells = L.two_minima()
    g = C.axis_slice(wells, 0.0)
    x0 = 0.3
    assert g.hessian(x0)[0, 0] < 0  # between the wells the slice bends down
    pure = N.newton(g, [x0], 40)
    damped = N.newton(g, [x0], 40, damped=True)
    assert pure.values[-1] > g.value(x0)  # pure Newton climbs to the hilltop
    assert g.hessian(pure.positions[-1])[0, 0] < 0 and pure.grad_norms[-1] < 1e-12
    assert damped.gradient_steps[0]
    assert damped.positions[-1, 0] == pytest.approx(g.minimizers[1], abs=1e-10)
    assert np.all(np.diff(damped.values) <= 0)


def test_newton_on_rosenbrock_reaches_the_minimiser():
    rosen = L.rosenbrock()
    for damped in (False, True):
        run = N.newton(rosen, rosen.start, 60, damped=damped)
        assert np.linalg.norm(run.positions[-1] - [1.0, 1.0]) < 1e-12
    damped = N.newton(rosen, rosen.start, 60, damped=True)
    assert np.all(np.diff(damped.values) <= 0)


def test_bad_input():
    with pytest.raises(ValueError, match="singular"):
        N.newton_direction(L.plane([1.0, 2.0]), [0.0, 0.0])
    with pytest.raises(ValueError, match="steps"):
        N.newton(C.pseudo_huber(), [0.5], 0)
    with pytest.raises(ValueError, match="x must be 2 finite"):
        N.newton(L.rosenbrock(), [1.0, 2.0, 3.0], 5)
    with pytest.raises(ValueError, match="bound"):
        N.newton(C.pseudo_huber(), [0.5], 5, bound=0.0)
