r"""Forward and reverse mode on one graph, with the multiplications each one does.

Both modes apply the chain rule to the graph of :class:`~optbook.nn.autograd.Value` nodes, in
which every edge from a parent :math:`u` to a node :math:`v` carries the local derivative
:math:`\partial v/\partial u`. They differ in the direction of the sweep:

* **forward mode** pushes a *tangent* :math:`\dot v = \partial v/\partial x_j` from one input
  :math:`x_j` towards the output, in topological order:
  :math:`\dot v = \sum_{u\to v}\frac{\partial v}{\partial u}\,\dot u`. One sweep gives the
  derivative of every node with respect to *one input*, so the gradient of a function of
  :math:`n` inputs takes :math:`n` sweeps;
* **reverse mode** pulls an *adjoint* :math:`\bar u = \partial f/\partial u` from the output
  back, in reverse topological order: :math:`\bar u = \sum_{u\to v}\bar v\,
  \frac{\partial v}{\partial u}` (:meth:`Value.backward <optbook.nn.autograd.Value.backward>`).
  One sweep gives the derivative of *one output* with respect to every node.

The reverse sweep must visit a node only after every node that uses it: a node's adjoint is a
sum over its uses, and passing it on before the sum is complete loses the uses that come later.
:func:`reverse_sweep` runs the sweep in any order, to show what a wrong one gives
(:func:`breadth_first_order`, the order in which a walk from the output first meets the nodes,
is the natural wrong guess).

Each sweep multiplies once per edge, so with :math:`E` edges the gradient of one output costs
:math:`nE` multiplications forward and :math:`E` in reverse (Griewank & Walther 2008;
Baydin et al. 2018). :func:`jacobian_chain_costs` counts the same for a chain of layer
Jacobians, where the two modes are the two orders of multiplying a matrix chain.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

import numpy as np

from .autograd import Value, topological_order


class Sweeps(NamedTuple):
    """A gradient and what computing it cost."""

    gradient: np.ndarray
    """:math:`\\partial f/\\partial x_j` for the inputs, in the order given."""
    sweeps: int
    """Passes over the graph."""
    multiplications: int
    """Products of a local derivative with a tangent or an adjoint (one per edge per sweep)."""


def _check(root, inputs):
    if not isinstance(root, Value):
        raise ValueError(f"root must be a Value, got {type(root).__name__}")
    inputs = list(inputs)
    if not inputs or not all(isinstance(x, Value) for x in inputs):
        raise ValueError("inputs must be a non-empty sequence of Values")
    if len({id(x) for x in inputs}) != len(inputs):
        raise ValueError("inputs must be distinct Values")
    return inputs


def edge_count(root: Value) -> int:
    """The number of edges of ``root``'s graph (a parent used twice by one node counts twice,
    as in ``x * x``)."""
    return sum(len(node.parents) for node in topological_order(root))


def forward_mode(root: Value, inputs) -> Sweeps:
    r"""The gradient of ``root`` with respect to ``inputs`` by one forward sweep per input:
    the tangent of that input is 1, of every other leaf 0."""
    inputs = _check(root, inputs)
    order = topological_order(root)
    gradient = np.empty(len(inputs))
    multiplications = 0
    for k, x in enumerate(inputs):
        tangent = {}
        for node in order:
            if not node.parents:
                tangent[id(node)] = 1.0 if node is x else 0.0
                continue
            total = 0.0
            for parent, local in zip(node.parents, node.local_grads, strict=True):
                total += local * tangent[id(parent)]
                multiplications += 1
            tangent[id(node)] = total
        gradient[k] = tangent[id(root)]
    return Sweeps(gradient, len(inputs), multiplications)


def reverse_mode(root: Value, inputs) -> Sweeps:
    """The gradient of ``root`` with respect to ``inputs`` by one reverse sweep,
    :meth:`Value.backward <optbook.nn.autograd.Value.backward>`, which multiplies once per
    edge (:func:`edge_count`)."""
    inputs = _check(root, inputs)
    root.backward()
    return Sweeps(np.array([x.grad for x in inputs]), 1, edge_count(root))


def breadth_first_order(root: Value) -> list:
    """The nodes of ``root``'s graph in the order a breadth-first walk from ``root`` first
    meets them (``root`` first). Not a valid order for the reverse sweep when a node is used
    by nodes at different distances from the output."""
    if not isinstance(root, Value):
        raise ValueError(f"root must be a Value, got {type(root).__name__}")
    order, seen, queue = [], {id(root)}, deque([root])
    while queue:
        node = queue.popleft()
        order.append(node)
        for parent in node.parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                queue.append(parent)
    return order


def reverse_sweep(root: Value, order) -> dict:
    r"""The reverse sweep of :meth:`Value.backward <optbook.nn.autograd.Value.backward>`
    visiting the nodes in ``order`` (``root`` first; every node of the graph once): each
    visited node adds :math:`\bar v\,\partial v/\partial u` to each parent :math:`u`. Returns
    the adjoints by node id, and leaves the nodes' ``grad`` untouched. With the reverse of
    :func:`~optbook.nn.autograd.topological_order` it equals ``backward``."""
    order = list(order)
    nodes = topological_order(root)
    if order[:1] != [root] or sorted(map(id, order)) != sorted(map(id, nodes)):
        raise ValueError("order must list every node of root's graph once, root first")
    adjoint = {id(node): 0.0 for node in nodes}
    adjoint[id(root)] = 1.0
    for node in order:
        for parent, local in zip(node.parents, node.local_grads, strict=True):
            adjoint[id(parent)] += adjoint[id(node)] * local
    return adjoint


def jacobian_chain_costs(widths) -> tuple[int, int]:
    r"""Multiplications to form the Jacobian of a chain of layers by forward and by reverse
    accumulation: ``(forward, reverse)``.

    Layer :math:`\ell` maps width :math:`n_{\ell-1}` to :math:`n_\ell` (``widths`` :math:`=
    (n_0, \dots, n_L)`) with a dense Jacobian :math:`J_\ell` of shape
    :math:`n_\ell\times n_{\ell-1}`. Forward mode carries the :math:`n_0` tangent directions
    from the input, :math:`B_\ell = J_\ell B_{\ell-1}` with :math:`B_1 = J_1`: cost
    :math:`\sum_{\ell=2}^L n_\ell n_{\ell-1} n_0`. Reverse mode carries the :math:`n_L`
    adjoints from the output, :math:`A_\ell = A_{\ell+1} J_\ell` with :math:`A_L = J_L`:
    cost :math:`\sum_{\ell=1}^{L-1} n_L\,n_\ell n_{\ell-1}`. Both give the same
    :math:`n_L\times n_0` matrix."""
    sizes = list(widths)
    if len(sizes) < 2 or any(isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1
                             for n in sizes):
        raise ValueError(f"widths must list at least two integers >= 1, got {sizes!r}")
    m = sizes[-1]
    depth = len(sizes) - 1
    forward = sum(sizes[k] * sizes[k - 1] * sizes[0] for k in range(2, depth + 1))
    reverse = sum(m * sizes[k] * sizes[k - 1] for k in range(1, depth))
    return int(forward), int(reverse)
