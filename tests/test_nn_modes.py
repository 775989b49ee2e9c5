"""Forward and reverse mode: the lecture's graph, gradients against central differences, and
the multiplication counts against counts worked by hand."""

import math

import numpy as np
import pytest

from optbook import nn
from optbook.nn import Value, modes


def lecture_graph():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    return (x + y) * z, [x, y, z]


def test_both_modes_give_the_lectures_gradient_at_their_cost():
    f, inputs = lecture_graph()
    forward = modes.forward_mode(f, inputs)
    f, inputs = lecture_graph()
    reverse = modes.reverse_mode(f, inputs)
    np.testing.assert_array_equal(forward.gradient, [-4.0, -4.0, 3.0])
    np.testing.assert_array_equal(reverse.gradient, [-4.0, -4.0, 3.0])
    # two operations with two parents each: 4 edges; three forward sweeps, one reverse sweep
    assert modes.edge_count(f) == 4
    assert (forward.sweeps, forward.multiplications) == (3, 12)
    assert (reverse.sweeps, reverse.multiplications) == (1, 4)


def neuron_sum(values, weights):
    """sum_k tanh(w_k . x), built from Values."""
    total = Value(0.0)
    for row in weights:
        s = Value(0.0)
        for w, x in zip(row, values, strict=True):
            s = s + w * x
        total = total + s.tanh()
    return total


def test_gradients_match_central_differences_on_a_shared_graph():
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(6)
    weights = rng.standard_normal((3, 6)) * 0.5

    def f(x):
        return sum(math.tanh(float(row @ x)) for row in weights)

    numeric = np.array([(f(x0 + h) - f(x0 - h)) / 2e-6 for h in 1e-6 * np.eye(6)])
    inputs = [Value(v) for v in x0]
    root = neuron_sum(inputs, weights)
    fwd = modes.forward_mode(root, inputs)
    rev = modes.reverse_mode(root, inputs)
    np.testing.assert_allclose(fwd.gradient, numeric, rtol=1e-7)
    np.testing.assert_allclose(rev.gradient, fwd.gradient, rtol=1e-14)
    # per neuron: 6 products (a constant and an input each), 6 sums (two parents each), one
    # tanh, one sum into the total: 12 + 12 + 1 + 2 = 27 edges; three neurons: 81
    assert modes.edge_count(root) == 81
    assert fwd.multiplications == 6 * 81 and rev.multiplications == 81


def test_a_value_used_twice_counts_two_edges():
    a = Value(3.0)
    f = a * a
    assert modes.edge_count(f) == 2
    assert modes.forward_mode(f, [a]).gradient[0] == 6.0


def test_a_reverse_sweep_needs_topological_order():
    x = Value(1.5, "x")
    b = x * x
    c = b * 3.0
    f = b + c          # df/db = 1 + 3 = 4, df/dx = 4 * 2x = 12
    right = modes.reverse_sweep(f, list(reversed(nn.topological_order(f))))
    assert right[id(x)] == 12.0
    # breadth-first from f meets b (at distance 1) before c has passed on its 3: b forwards
    # only 1 to x, and c's later contribution to b never reaches x
    bfs = modes.breadth_first_order(f)
    assert [id(n) for n in bfs[:2]] == [id(f), id(b)]
    assert modes.reverse_sweep(f, bfs)[id(x)] == 2 * 1.5
    f.backward()
    assert x.grad == right[id(x)] and b.grad == 4.0


def test_chain_costs_worked_by_hand():
    # widths 3 -> 4 -> 5 -> 1: J1 is 4x3, J2 5x4, J3 1x5.
    # forward: J2 J1 costs 5*4*3 = 60, J3 (J2 J1) costs 1*5*3 = 15.
    # reverse: J3 J2 costs 1*5*4 = 20, (J3 J2) J1 costs 1*4*3 = 12.
    assert modes.jacobian_chain_costs([3, 4, 5, 1]) == (75, 32)
    assert modes.jacobian_chain_costs([7, 2]) == (0, 0)


def test_bad_inputs_are_refused():
    f, inputs = lecture_graph()
    with pytest.raises(ValueError, match="root"):
        modes.forward_mode(1.0, inputs)
    with pytest.raises(ValueError, match="distinct"):
        modes.reverse_mode(f, [inputs[0], inputs[0]])
    with pytest.raises(ValueError, match="widths"):
        modes.jacobian_chain_costs([3])
    with pytest.raises(ValueError, match="order"):
        modes.reverse_sweep(f, inputs)
