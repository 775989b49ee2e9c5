"""Diagonal preconditioning against a plain-NumPy transcription of the preconditioned update
x <- x - eta D^-1 grad f(x), and against D^-1/2 H D^-1/2 computed here."""

import math

import numpy as np
import pytest

from optbook import landscapes as L
from optbook import optimizers as O
from optbook import run
from optbook.preconditioning import diagonal_preconditioned


@pytest.mark.parametrize("land", [L.lecture_quadratic(50),
                                  L.quadratic([2.0, 100.0], angle=math.pi / 6),
                                  L.regression_ravine(1), L.regression_ravine(2)])
def test_spectrum_is_that_of_the_scaled_hessian(land):
    pre, d = diagonal_preconditioned(land)
    h = land.hessian(land.minimizers[0])
    dd = np.diag(1 / np.sqrt(np.diag(h)))
    np.testing.assert_allclose(pre.eigenvalues, np.linalg.eigvalsh(dd @ h @ dd), rtol=1e-9)
    np.testing.assert_allclose(d, np.sqrt(np.diag(h)), rtol=1e-15)
    np.testing.assert_allclose(np.diag(pre.hessian(pre.minimizers[0])), 1.0, rtol=1e-12)


def test_axis_aligned_ravine_becomes_round():
    pre, _ = diagonal_preconditioned(L.lecture_quadratic(50))
    assert pre.condition_number == pytest.approx(1.0, rel=1e-14)


def test_gd_on_the_preconditioned_quadratic_is_preconditioned_gd():
    land = L.quadratic([2.0, 100.0], angle=math.pi / 6, center=[0.5, -1.0])
    pre, d = diagonal_preconditioned(land)
    lr = 0.4
    x0 = np.array([4.0, 0.5])
    mapped_back = run.trajectory(pre, O.gd(lr), d * x0, 25).positions / d
    h = land.hessian(x0)
    x, reference = x0.copy(), [x0.copy()]
    for _ in range(25):
        x = x - lr * land.grad(x) / np.diag(h)
        reference.append(x.copy())
    np.testing.assert_allclose(mapped_back, reference, rtol=1e-12, atol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="2-D quadratic"):
        diagonal_preconditioned(L.rosenbrock())
    with pytest.raises(ValueError, match="2-D quadratic"):
        diagonal_preconditioned(L.quadratic([1.0, 2.0, 3.0]))
