"""progress.py against hand-worked runs: distances, steps to a tolerance, eigen-components."""

import math

import numpy as np
import pytest

from optbook import landscapes, optimizers, progress, run


def _halving_run(steps=30):
    """GD with eta * lambda = 1/2 on f = x^2 / 2 from 1: x_t = 2^-t exactly."""
    return run.trajectory(landscapes.quadratic([1.0]), optimizers.gd(0.5), [1.0], steps)


def test_distances_of_a_halving_run_are_powers_of_two():
    traj = _halving_run()
    assert np.array_equal(progress.distances(traj, landscapes.quadratic([1.0])),
                          0.5 ** np.arange(31))


def test_steps_to_is_the_first_step_below_the_tolerance():
    traj = _halving_run()
    land = landscapes.quadratic([1.0])
    # 2^-19 = 1.9e-6 > 1e-6 >= 2^-20 = 9.5e-7
    assert progress.steps_to(traj, land) == 20
    assert progress.steps_to(traj, land, tol=0.25) == 2
    assert progress.steps_to(traj, land, tol=1.0) == 0
    assert progress.steps_to(traj, land, tol=1e-12) is None


def test_distances_use_the_minimiser_the_run_went_to():
    wells = landscapes.two_minima()
    traj = run.trajectory(wells, optimizers.gd(0.02), wells.start, 2000)
    shallow = wells.minimizers[1]
    assert np.linalg.norm(traj.positions[-1] - shallow) < 1e-6
    expected = np.hypot(*(traj.positions - shallow).T)
    assert np.allclose(progress.distances(traj, wells), expected, rtol=1e-12, atol=1e-15)


def test_eigen_components_rotate_into_the_eigenbasis():
    angle, centre = 0.3, np.array([1.0, -2.0])
    land = landscapes.quadratic([1.0, 10.0], angle=angle, center=centre)
    traj = run.trajectory(land, optimizers.momentum(0.05, 0.8), land.start, 40)
    lam, comp = progress.eigen_components(traj, land)
    assert np.allclose(lam, [1.0, 10.0], rtol=1e-12)
    c, s = math.cos(angle), math.sin(angle)
    along = np.array([[c, s], [-s, c]])  # rows: the eigenvectors for 1 and 10
    expected = (traj.positions - centre) @ along.T
    # an eigenvector's sign is NumPy's choice
    assert np.allclose(np.abs(comp), np.abs(expected), rtol=1e-12, atol=1e-12)
    assert np.allclose(comp[0] ** 2, [4.0**2, 0.5**2], rtol=1e-12)  # the start is c + R(4, .5)


def test_a_plain_array_of_iterates_is_a_run_too():
    traj = _halving_run()
    land = landscapes.quadratic([1.0])
    assert np.array_equal(progress.distances(traj.positions, land), 0.5 ** np.arange(31))
    assert progress.steps_to(traj.positions, land) == 20


def test_bad_input_is_named():
    traj = _halving_run()
    with pytest.raises(ValueError, match="tol"):
        progress.steps_to(traj, landscapes.quadratic([1.0]), tol=0.0)
    with pytest.raises(ValueError, match="tol"):
        progress.steps_to(traj, landscapes.quadratic([1.0]), tol="small")
    with pytest.raises(ValueError, match="traj"):
        progress.distances([[1.0], [0.5]], landscapes.quadratic([1.0]))
    with pytest.raises(ValueError, match="traj"):
        progress.distances(np.zeros((3, 1), dtype=int), landscapes.quadratic([1.0]))
    with pytest.raises(ValueError, match="landscape"):
        progress.distances(traj, "quadratic")
    with pytest.raises(ValueError, match="dimension 1"):
        progress.distances(traj, landscapes.quadratic([1.0, 2.0]))
    with pytest.raises(ValueError, match="no minimizer"):
        progress.distances(run.trajectory(landscapes.saddle(), optimizers.gd(0.1), [1.0, 1.0], 3),
                           landscapes.saddle())
