r"""The memory backpropagation holds: what a forward pass must keep for the backward pass.

For a network of widths :math:`n_0, \dots, n_L` (:func:`~optbook.nn.network.mlp`) and a batch
of :math:`B` examples, the backward pass of layer :math:`\ell` needs the input of its linear
map, :math:`h_{\ell-1}` (for :math:`\partial J/\partial W_\ell = \delta_\ell^\top h_{\ell-1}`),
and what its activation's derivative is computed from (:math:`z_\ell` or :math:`h_\ell`: ReLU,
tanh and the sigmoid can all take :math:`\phi'` from :math:`h_\ell`). So the forward pass must
keep, until the backward pass has gone through them,

* at least :math:`B\,(n_0 + n_1 + \dots + n_{L-1})` numbers (:func:`retained_numbers`,
  ``"minimal"``);
* in this toolkit, which keeps each activation's input and output and the network's output,
  :math:`B\,(n_0 + 2n_1 + \dots + 2n_{L-1} + n_L)` (``"toolkit"``; the input :math:`x` is the
  caller's array).

A forward pass that is not followed by a backward pass can drop each activation as soon as the
next one is computed: its peak is two consecutive layers, :math:`B\max_\ell(n_{\ell-1}+n_\ell)`
(``"inference"``). :func:`measure_forward_allocation` measures with ``tracemalloc`` what
the toolkit's first training-mode forward pass allocates and keeps.
"""

from __future__ import annotations

import tracemalloc

import numpy as np

from .network import mlp
from .threads import one_blas_thread

KINDS = ("minimal", "toolkit", "inference")


def _widths(widths):
    sizes = list(widths)
    if len(sizes) < 2 or any(isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1
                             for n in sizes):
        raise ValueError(f"widths must list at least two integers >= 1, got {sizes!r}")
    return [int(n) for n in sizes]


def _batch(batch):
    if isinstance(batch, bool) or not isinstance(batch, int | np.integer) or batch < 1:
        raise ValueError(f"batch must be an integer >= 1, got {batch!r}")
    return int(batch)


def retained_numbers(widths, batch: int, kind: str = "minimal") -> int:
    """How many numbers a forward pass over ``batch`` examples holds for what follows it
    (``kind``: ``"minimal"``, ``"toolkit"`` or ``"inference"``, see the module docstring);
    multiply by the item size (8 bytes in float64) for bytes."""
    sizes = _widths(widths)
    batch = _batch(batch)
    if kind == "minimal":
        return batch * sum(sizes[:-1])
    if kind == "toolkit":
        return batch * (sizes[0] + 2 * sum(sizes[1:-1]) + sizes[-1])
    if kind == "inference":
        return batch * max(a + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")


@one_blas_thread
def measure_forward_allocation(widths, batch: int, activation: str = "relu", *,
                               seed: int = 0) -> int:
    """Bytes that a new :func:`~optbook.nn.network.mlp` of ``widths`` allocates in its first
    forward pass in training mode over a batch of ``batch`` examples and still holds after it
    (``tracemalloc``'s count of current memory, before and after; NumPy reports its array
    buffers to it). The input batch is drawn, and the compiled kernels loaded by a pass of
    another network, before the measurement starts."""
    sizes = _widths(widths)
    batch = _batch(batch)
    # A first pass loads the compiled kernels (their allocations are not the network's).
    mlp(sizes, activation, seed=seed).forward(np.zeros((1, sizes[0])), training=True)
    net = mlp(sizes, activation, seed=seed)
    x = net.check_inputs(np.random.default_rng(seed).standard_normal((batch, sizes[0])))
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        out = net.forward_unchecked(x, True)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        if not was_tracing:
            tracemalloc.stop()
    del out
    return after - before
