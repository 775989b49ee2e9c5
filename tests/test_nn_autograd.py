"""The scalar autograd: the lecture's (x + y) z, accumulation, topological order, every
operation against central differences, and the drawing."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from optbook import nn
from optbook.nn import Value


def test_the_lecture_graph_at_minus_two_five_minus_four():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z
    f.backward()
    assert (q.data, f.data) == (3.0, -12.0)
    assert (x.grad, y.grad, z.grad, q.grad) == (-4.0, -4.0, 3.0, -4.0)


def test_a_value_used_twice_accumulates_both_contributions():
    a = Value(3.0)
    f = a * a + a  # df/da = 2a + 1 = 7: three uses, three contributions
    f.backward()
    assert a.grad == 7.0
    f.backward()  # a second pass starts from zero again
    assert a.grad == 7.0


def test_topological_order_puts_every_node_after_its_parents():
    a, b = Value(0.5, "a"), Value(-1.5, "b")
    c = a * b
    d = c.tanh() + a.exp()
    e = d * c - b
    order = nn.topological_order(e)
    position = {id(n): k for k, n in enumerate(order)}
    assert order[-1] is e and len(order) == len(position)
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node.parents)
    assert {id(a), id(b), id(c), id(d)} <= set(position)


OPERATIONS = {
    "add": lambda u, v: u + v,
    "sub": lambda u, v: u - v,
    "rsub": lambda u, v: 2.0 - u * v,
    "mul": lambda u, v: u * v,
    "div": lambda u, v: u / v,
    "rdiv": lambda u, v: 3.0 / (u + v * v),
    "pow": lambda u, v: (u * v) ** 3,
    "exp-log": lambda u, v: (u * u + 1.0).log() * v.exp(),
    "tanh": lambda u, v: (u * v).tanh(),
    "sigmoid": lambda u, v: (u - v).sigmoid(),
    "relu": lambda u, v: (u * v).relu() + (u + v).relu(),
    "neg": lambda u, v: -(u * v),
}


@pytest.mark.parametrize("name", OPERATIONS)
def test_each_operation_matches_central_differences(name):
    op = OPERATIONS[name]
    u0, v0, h = 0.7, -1.3, 1e-6
    u, v = Value(u0), Value(v0)
    out = op(u, v)
    out.backward()

    def value(a, b):
        return op(Value(a), Value(b)).data

    du = (value(u0 + h, v0) - value(u0 - h, v0)) / (2 * h)
    dv = (value(u0, v0 + h) - value(u0, v0 - h)) / (2 * h)
    # Two-point differences of smooth functions of size 1: error about 1e-10 absolute.
    assert u.grad == pytest.approx(du, rel=1e-7, abs=1e-9)
    assert v.grad == pytest.approx(dv, rel=1e-7, abs=1e-9)


def test_a_small_neuron_by_hand():
    """tanh(w1 x1 + w2 x2 + b): the gradient of each weight is x_i (1 - out^2)."""
    x1, x2, w1, w2, b = Value(2.0), Value(0.0), Value(-3.0), Value(1.0), Value(6.8813735870)
    out = (x1 * w1 + x2 * w2 + b).tanh()
    out.backward()
    slope = 1 - out.data**2
    assert out.data == pytest.approx(math.tanh(-6.0 + 6.8813735870), rel=1e-15)
    assert (w1.grad, w2.grad, x1.grad) == pytest.approx((2.0 * slope, 0.0, -3.0 * slope))


def test_drawing_shows_values_gradients_and_operations():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    f.backward()
    fig = nn.draw_graph(f)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"x = -2", "y = 5", "z = -4", "q = 3", "f = -12", "+", "×"} <= texts
    assert {"∂f/∂x = -4", "∂f/∂y = -4", "∂f/∂z = 3", "∂f/∂q = -4", "∂f/∂f = 1"} <= texts
    plt.close(fig)


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match="real number"):
        Value("two")
    with pytest.raises(ValueError, match="constant exponents"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(ValueError, match="positive"):
        Value(-1.0).log()
    with pytest.raises(ValueError, match="root must be a Value"):
        nn.topological_order(3.0)
