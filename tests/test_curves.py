"""Curves against independent derivations: derivatives by central differences of f (and of
f', f''), minimisers where the derivative vanishes, formulas typed again here."""

import math

import numpy as np
import pytest

from optbook import curves as C
from optbook import landscapes as L


def _central(fun, x, h):
    return (fun(x + h) - fun(x - h)) / (2 * h)


CURVES = {
    "poisson_2": C.poisson_nll(2.0),
    "poisson_5": C.poisson_nll(5.0),
    "pseudo_huber_1": C.pseudo_huber(1.0),
    "pseudo_huber_3": C.pseudo_huber(3.0),
}


@pytest.mark.parametrize("name", sorted(CURVES))
@pytest.mark.parametrize("x", [-1.7, -0.3, 0.4, 2.2])
def test_derivatives_match_central_differences(name, x):
    curve = CURVES[name]
    h = 1e-5
    assert curve.grad(x)[0] == pytest.approx(_central(curve.value, x, h), rel=1e-8, abs=1e-9)
    assert curve.hessian(x)[0, 0] == pytest.approx(
        _central(lambda z: curve.grad(z)[0], x, h), rel=1e-8, abs=1e-9
    )
    assert curve.third(x) == pytest.approx(
        _central(lambda z: curve.hessian(z)[0, 0], x, h), rel=1e-7, abs=1e-9
    )


def test_formulas_typed_again():
    p = C.poisson_nll(2.0)
    assert p.value(1.5) == pytest.approx(math.exp(1.5) - 3.0, rel=1e-15)
    assert p.minimizers == (pytest.approx(math.log(2.0), rel=1e-15),)
    assert p.grad(p.minimizers[0])[0] == pytest.approx(0.0, abs=1e-15)
    h = C.pseudo_huber(2.0)
    assert h.value(1.5) == pytest.approx(4.0 * (math.sqrt(1 + 0.75**2) - 1.0), rel=1e-15)
    assert h.value(0.0) == 0.0 and h.grad(0.0)[0] == 0.0
    # the shapes Newton's method and the line searches expect
    assert h.grad(np.array([0.5])).shape == (1,)
    assert h.hessian(np.array([0.5])).shape == (1, 1)


def test_axis_slice_of_two_minima():
    wells = L.two_minima()
    g = C.axis_slice(wells, 0.0)
    for x in (-1.3, 0.1, 0.7):
        # typed again from the Barra lecture, on the line y = 0
        expected = (-2 * math.exp(-((x - 1) ** 2) / 0.2) - 6 * math.exp(-((x + 1) ** 2) / 0.2)
                    + x * x)
        assert g.value(x) == pytest.approx(expected, rel=1e-14)
        assert g.grad(x)[0] == pytest.approx(_central(g.value, x, 1e-6), rel=1e-7)
        assert g.hessian(x)[0, 0] == pytest.approx(
            _central(lambda z: g.grad(z)[0], x, 1e-6), rel=1e-6
        )
    assert g.minimizers == tuple(float(m[0]) for m in wells.minimizers)
    assert g.minimizers[0] < 0 < g.minimizers[1]
    with pytest.raises(ValueError, match="no third derivative"):
        g.third(0.0)


def test_bad_input():
    with pytest.raises(ValueError, match="count"):
        C.poisson_nll(0.0)
    with pytest.raises(ValueError, match="delta"):
        C.pseudo_huber(-1.0)
    with pytest.raises(ValueError, match="x must be one number"):
        C.pseudo_huber().value([1.0, 2.0])
    with pytest.raises(ValueError, match="2-D optbook Landscape"):
        C.axis_slice(L.quadratic([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="fixed"):
        C.axis_slice(L.two_minima(), math.nan)
