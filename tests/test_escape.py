"""SGD as a walk at a temperature: the temperature, the saddle between two minima, arrivals."""

import numpy as np
import pytest

from optbook import escape, landscapes, noise_ball


def test_temperature_matches_the_noise_ball_for_small_steps():
    # the stationary variance of SGD on a quadratic tends to the Gibbs variance T / lambda
    lr, noise_var, s, lam = 1e-4, 3.0, 4, 2.0
    gibbs = escape.temperature(lr, noise_var, s) / lam
    assert gibbs == pytest.approx(lr * noise_var / (2 * s * lam), rel=1e-15)
    ball = noise_ball.sgd_stationary_variance(lr, lam, noise_var, s)
    assert ball == pytest.approx(gibbs, rel=2 * lr * lam)  # the factor 2 / (2 - eta lambda)


def test_saddle_of_the_two_minima_function():
    wells = landscapes.two_minima()
    deep, shallow = wells.minimizers
    saddle = escape.saddle_between(wells, shallow, deep)
    np.testing.assert_allclose(wells.grad(saddle.point), 0.0, atol=1e-12)
    eigenvalues = np.linalg.eigvalsh(wells.hessian(saddle.point))
    assert eigenvalues[0] < 0 < eigenvalues[1]
    # independently: the highest point of f on the x1-axis between the two wells, by a fine grid
    xs = np.linspace(shallow[0], deep[0], 200_001)
    values = np.array([wells.value([x, 0.0]) for x in xs])
    assert saddle.point[0] == pytest.approx(xs[np.argmax(values)], abs=1e-4)
    assert saddle.point[1] == 0.0
    assert saddle.barriers[0] == pytest.approx(values.max() - wells.value(shallow), rel=1e-9)
    assert saddle.barriers[1] == pytest.approx(values.max() - wells.value(deep), rel=1e-9)


def test_no_saddle_on_a_convex_landscape():
    bowl = landscapes.quadratic([1.0, 3.0])
    with pytest.raises(ValueError, match="no saddle point found"):
        escape.saddle_between(bowl, [-1.0, 0.0], [1.0, 0.0])


def test_arrhenius_slope_and_first_arrival():
    assert escape.arrhenius_slope(1.5, 0.02, 50.0) == pytest.approx(3.0)
    path = np.array([[3.0, 0.0], [2.0, 0.0], [1.1, 0.0], [0.9, 0.1], [0.0, 0.0]])
    assert escape.first_arrival(path, [1.0, 0.0], 0.2) == 2
    assert escape.first_arrival(path, [5.0, 5.0], 0.5) is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: escape.temperature(0.0, 1.0), "lr must be a finite number > 0"),
        (lambda: escape.temperature(0.1, 1.0, 0), "batch_size must be an integer >= 1"),
        (lambda: escape.arrhenius_slope(-1.0, 0.1, 1.0), "barrier must be"),
        (lambda: escape.first_arrival(np.zeros((3, 2)), [0, 0], 0.0), "radius must be"),
        (lambda: escape.saddle_between("wells", [0, 0], [1, 1]), "landscape must be"),
    ],
)
def test_bad_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
