r"""A scalar reverse-mode automatic differentiation, small enough to read in one sitting.

Every :class:`Value` remembers the values it was computed from (its *parents*) and the
derivative of itself with respect to each of them (its *local derivatives*), taken when it is
computed. :meth:`Value.backward` then applies the chain rule from the output back:

1. order the graph topologically, so that every node comes after all of its parents;
2. set :math:`\partial f/\partial f = 1` and every other gradient to 0;
3. visit the nodes from the output back, and add to each parent
   :math:`\frac{\partial f}{\partial\,\text{node}}\cdot\frac{\partial\,\text{node}}
   {\partial\,\text{parent}}`.

Step 3 *adds*: a value used twice (``x * x``, or ``x`` in two branches) receives one
contribution per use, which is the multivariate chain rule. The order of step 1 makes sure a
node's gradient is complete before it is passed on. :func:`draw_graph` draws the graph with
the forward values and the gradients, as in the backpropagation chapter's
:math:`f = (x + y)\,z`.
"""

from __future__ import annotations

import math


class Value:
    """A scalar node: ``data``, ``grad`` (filled by :meth:`backward`), ``parents``,
    ``local_grads`` (one per parent), ``op`` (the operation that made it, ``""`` for an input)
    and a ``label`` for drawings."""

    __slots__ = ("data", "grad", "parents", "local_grads", "op", "label")

    def __init__(self, data, label: str = "", *, parents=(), local_grads=(), op: str = ""):
        try:
            data = float(data)
        except (TypeError, ValueError):
            raise ValueError(f"a Value holds a real number, got {data!r}") from None
        self.data = data
        self.grad = 0.0
        self.parents = tuple(parents)
        self.local_grads = tuple(float(d) for d in local_grads)
        self.op = op
        self.label = label

    @staticmethod
    def _lift(other):
        return other if isinstance(other, Value) else Value(other, label=f"{float(other):g}")

    def __add__(self, other):
        other = self._lift(other)
        return Value(self.data + other.data, parents=(self, other), local_grads=(1.0, 1.0),
                     op="+")

    def __mul__(self, other):
        other = self._lift(other)
        return Value(self.data * other.data, parents=(self, other),
                     local_grads=(other.data, self.data), op="*")

    def __pow__(self, exponent):
        if isinstance(exponent, Value):
            raise ValueError("only constant exponents are supported: x ** 2, not x ** y")
        n = float(exponent)
        return Value(self.data**n, parents=(self,), local_grads=(n * self.data ** (n - 1.0),),
                     op=f"**{n:g}")

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __truediv__(self, other):
        return self * self._lift(other) ** -1

    def __radd__(self, other):
        return self._lift(other) + self

    def __rmul__(self, other):
        return self._lift(other) * self

    def __rsub__(self, other):
        return self._lift(other) - self

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def exp(self):
        e = math.exp(self.data)
        return Value(e, parents=(self,), local_grads=(e,), op="exp")

    def log(self):
        if self.data <= 0.0:
            raise ValueError(f"log needs a positive value, got {self.data!r}")
        return Value(math.log(self.data), parents=(self,), local_grads=(1.0 / self.data,),
                     op="log")

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, parents=(self,), local_grads=(1.0 - t * t,), op="tanh")

    def sigmoid(self):
        s = 0.5 * (1.0 + math.tanh(0.5 * self.data))
        return Value(s, parents=(self,), local_grads=(s * (1.0 - s),), op="sigmoid")

    def relu(self):
        return Value(max(self.data, 0.0), parents=(self,),
                     local_grads=(1.0 if self.data > 0.0 else 0.0,), op="relu")

    def backward(self) -> None:
        """Fill ``grad`` of every node of the graph with :math:`\\partial\\,\\text{self}/
        \\partial\\,\\text{node}` (earlier gradients are reset first)."""
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node.parents, node.local_grads, strict=True):
                parent.grad += node.grad * local

    def __repr__(self):
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:g}, grad={self.grad:g})"


def topological_order(root: Value) -> list:
    """The nodes of ``root``'s graph, each after all of its parents, ``root`` last.

    A depth-first search that emits a node once all its parents are emitted; iterative, so a
    deep graph cannot exhaust Python's recursion limit.
    """
    if not isinstance(root, Value):
        raise ValueError(f"root must be a Value, got {type(root).__name__}")
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((parent, False) for parent in reversed(node.parents)
                     if id(parent) not in seen)
    return order


OP_SYMBOLS = {"+": "+", "*": "×", "exp": "exp", "log": "log", "tanh": "tanh",
              "sigmoid": "σ", "relu": "ReLU"}


def _layout(order):
    """Level and height of every node. Levels count from the inputs, each value as late as
    its uses allow (an input used only by the last operation stands just before it); inputs
    are stacked in the order a walk from the output meets them, and every other value sits at
    the mean height of its parents."""
    root = order[-1]
    level = {id(root): 0}
    for node in reversed(order):
        for parent in node.parents:
            level[id(parent)] = max(level.get(id(parent), 0), level[id(node)] + 1)
    deepest = max(level.values())
    level = {key: deepest - value for key, value in level.items()}
    height = {}
    leaves = [node for node in order if not node.parents]
    for k, leaf in enumerate(leaves):
        height[id(leaf)] = -float(k)
    columns = {}
    for node in order:
        if node.parents:
            height[id(node)] = sum(height[id(p)] for p in node.parents) / len(node.parents)
            column = columns.setdefault(level[id(node)], [])
            # Values of one level keep at least one unit apart, in the order of their heights.
            for other in sorted(column, key=lambda n: -height[id(n)]):
                if abs(height[id(other)] - height[id(node)]) < 1.0:
                    height[id(node)] = height[id(other)] - 1.0
            column.append(node)
    return level, height


def draw_graph(root: Value, ax=None, *, grads: bool = True):
    """Draw ``root``'s graph left to right: a box per value (label and forward value, and in
    red the gradient :math:`\\partial\\,\\text{root}/\\partial\\,\\text{value}` when
    ``grads``), a circle per operation. Returns the matplotlib figure."""
    import matplotlib.pyplot as plt

    order = topological_order(root)
    level, height = _layout(order)
    if ax is None:
        width = 2.0 * max(level.values()) + 2.0
        fig, ax = plt.subplots(figsize=(width, 1.1 * (1 - min(height.values())) + 0.6))
    else:
        fig = ax.figure
    box = {"boxstyle": "round,pad=0.35", "facecolor": "#f4f4f4", "edgecolor": "#444444"}
    circle = {"boxstyle": "circle,pad=0.3", "facecolor": "#dde8f5", "edgecolor": "#2b5d9c"}
    arrow = {"arrowstyle": "-|>", "color": "#666666", "shrinkA": 2, "shrinkB": 2}
    boxes = {}
    for node in order:
        x, y = 2.0 * level[id(node)], height[id(node)]
        text = f"{node.label} = {node.data:.4g}" if node.label else f"{node.data:.4g}"
        boxes[id(node)] = ax.annotate(text, (x, y), ha="center", va="center", bbox=box,
                                      fontsize=10)
        if grads:
            name = (f"∂{root.label}/∂{node.label}" if root.label and node.label else "grad")
            ax.annotate(f"{name} = {node.grad:.4g}", (x, y - 0.3), ha="center", va="center",
                        color="#c0392b", fontsize=9)
    for node in order:
        if not node.parents:
            continue
        x, y = 2.0 * level[id(node)], height[id(node)]
        op = ax.annotate(OP_SYMBOLS.get(node.op, node.op), (x - 1.0, y), ha="center",
                         va="center", bbox=circle, fontsize=10)
        # Arrows run between the edges of the boxes: (1, 0.5) is the right middle of one.
        ax.annotate("", (0.0, 0.5), (1.0, 0.5), xycoords=boxes[id(node)], textcoords=op,
                    arrowprops=arrow)
        for parent in node.parents:
            ax.annotate("", (0.0, 0.5), (1.0, 0.5), xycoords=op, textcoords=boxes[id(parent)],
                        arrowprops=arrow)
    ax.set_xlim(-0.9, 2.0 * max(level.values()) + 0.9)
    ax.set_ylim(min(height.values()) - 0.6, 0.45)
    ax.set_axis_off()
    return fig
