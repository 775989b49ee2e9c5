"""Basins against independent facts about the two-minima slice: the hilltop between the wells
(a zero of g' found here by bisection), and the stability bound 2/g'' at each minimum."""

import numpy as np
import pytest

from optbook import basins as B
from optbook import landscapes as L
from optbook import optimizers as O

WELLS = L.two_minima()


def _hilltop():
    """Bisection on g'(x) = d/dx f(x, 0) between the wells (g' > 0 left of the top)."""
    lo, hi = -0.5, 0.5
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if WELLS.grad([mid, 0.0])[0] > 0 else (lo, mid)
    return 0.5 * (lo + hi)


def _axis(xs):
    return np.column_stack([xs, np.zeros(len(xs))])


def test_small_rate_basins_meet_at_the_hilltop():
    top = _hilltop()
    xs = np.array([-1.8, -0.9, top - 0.01, top + 0.01, 0.5, 1.9])
    np.testing.assert_array_equal(B.settle(WELLS, O.gd(0.01), _axis(xs)), [0, 0, 0, 1, 1, 1])


def test_a_rate_above_the_deep_bound_leaves_only_the_shallow_well():
    lam_deep = WELLS.hessian(WELLS.minimizers[0])[0, 0]
    lam_shallow = WELLS.hessian(WELLS.minimizers[1])[0, 0]
    lr = 0.05
    assert 2 / lam_deep < lr < 2 / lam_shallow
    xs = np.array([-1.5, -0.6, 0.5, 1.5])
    np.testing.assert_array_equal(B.settle(WELLS, O.gd(lr), _axis(xs)),
                                  [B.UNSETTLED, B.UNSETTLED, 1, 1])


def test_divergence_and_rest_away_from_a_minimiser_do_not_settle():
    assert B.settle(WELLS, O.gd(5.0), _axis([1.0]))[0] == B.UNSETTLED  # diverges
    # from the exact hilltop on a coarse tolerance: at rest, but at no minimiser
    top = _hilltop()
    assert B.settle(WELLS, O.gd(1e-6), _axis([top]), steps=50, tol=1e-3)[0] == B.UNSETTLED


def test_bad_input():
    with pytest.raises(ValueError, match="starts must have shape"):
        B.settle(WELLS, O.gd(0.01), [0.1, 0.0])
    with pytest.raises(ValueError, match="at least one minimizer"):
        B.settle(L.saddle(), O.gd(0.01), _axis([0.1]))
    with pytest.raises(ValueError, match="optimizer"):
        B.settle(WELLS, "gd", _axis([0.1]))
    with pytest.raises(ValueError, match="tail"):
        B.settle(WELLS, O.gd(0.01), _axis([0.1]), steps=10, tail=50)
