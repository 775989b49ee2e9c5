r"""The one-hidden-layer network of EE 628 lecture 5, its backward pass written out by hand.

For one example :math:`x\in\mathbb R^d` with label :math:`y`, in the lecture's column-vector
notation (no biases):

.. math:: z = W^{(1)}x,\quad h = \phi(z),\quad o = W^{(2)}h,\quad L = \ell(o, y),\quad
          s = \tfrac\lambda2\bigl(\|W^{(1)}\|_F^2 + \|W^{(2)}\|_F^2\bigr),\quad J = L + s,

with :math:`\ell` the softmax cross-entropy :math:`\log\sum_k e^{o_k} - o_y`. The chain rule,
node by node from the output back:

.. math:: \frac{\partial J}{\partial o} = \operatorname{softmax}(o) - e_y,\qquad
          \frac{\partial J}{\partial W^{(2)}} = \frac{\partial J}{\partial o}h^\top
          + \lambda W^{(2)},\qquad
          \frac{\partial J}{\partial h} = W^{(2)\top}\frac{\partial J}{\partial o},

.. math:: \frac{\partial J}{\partial z} = \frac{\partial J}{\partial h}\odot\phi'(z),\qquad
          \frac{\partial J}{\partial W^{(1)}} = \frac{\partial J}{\partial z}x^\top
          + \lambda W^{(1)}.

:func:`gradients` evaluates exactly these lines with NumPy, keeping every intermediate, so the
backpropagation chapter can set them beside the toolkit's backward pass
(:class:`~optbook.nn.network.Sequential`) and beside central differences
(:func:`~optbook.nn.gradcheck.gradient_check`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

ACTIVATIONS = ("relu", "tanh", "sigmoid")


class Backprop(NamedTuple):
    """Every quantity of the forward and the backward pass, as 1-D or 2-D arrays."""

    z: np.ndarray
    h: np.ndarray
    o: np.ndarray
    loss: float
    """:math:`L`, the cross-entropy alone."""
    penalty: float
    """:math:`s`."""
    objective: float
    """:math:`J = L + s`."""
    d_o: np.ndarray
    d_h: np.ndarray
    d_z: np.ndarray
    d_w1: np.ndarray
    d_w2: np.ndarray


def _phi_and_derivative(activation, z):
    if activation == "relu":
        return np.maximum(z, 0.0), (z > 0.0).astype(np.float64)
    if activation == "tanh":
        t = np.tanh(z)
        return t, 1.0 - t * t
    s = 0.5 * (1.0 + np.tanh(0.5 * z))
    return s, s * (1.0 - s)


def gradients(w1, w2, x, y: int, l2: float, activation: str = "tanh") -> Backprop:
    r"""The forward pass and the hand-derived backward pass of the module docstring.

    ``w1``: :math:`W^{(1)}` of shape ``(hidden, d)``; ``w2``: :math:`W^{(2)}` of shape
    ``(q, hidden)`` (the same layout as the toolkit's ``Linear.weight``); ``x``: ``(d,)``;
    ``y``: the label in ``[0, q)``; ``l2``: :math:`\lambda \ge 0`; ``activation``: ``"relu"``,
    ``"tanh"`` or ``"sigmoid"``."""
    w1 = np.asarray(w1, dtype=np.float64)
    w2 = np.asarray(w2, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if w1.ndim != 2 or w2.ndim != 2 or x.ndim != 1:
        raise ValueError("w1 and w2 must be matrices and x a vector")
    if w1.shape[1] != x.shape[0] or w2.shape[1] != w1.shape[0]:
        raise ValueError(f"shapes do not chain: w1 {w1.shape}, x {x.shape}, w2 {w2.shape}")
    if isinstance(y, bool) or not isinstance(y, int | np.integer) or not 0 <= y < w2.shape[0]:
        raise ValueError(f"y must be an integer label in [0, {w2.shape[0] - 1}], got {y!r}")
    if not (np.isfinite(l2) and l2 >= 0.0):
        raise ValueError(f"l2 must be a finite number >= 0, got {l2!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, "
                         f"got {activation!r}")
    z = w1 @ x
    h, phi_prime = _phi_and_derivative(activation, z)
    o = w2 @ h
    shifted = o - o.max()
    log_sum = np.log(np.sum(np.exp(shifted)))
    loss = float(log_sum - shifted[y])
    penalty = 0.5 * l2 * float(np.sum(w1 * w1) + np.sum(w2 * w2))
    d_o = np.exp(shifted - log_sum)
    d_o[y] -= 1.0
    d_w2 = np.outer(d_o, h) + l2 * w2
    d_h = w2.T @ d_o
    d_z = d_h * phi_prime
    d_w1 = np.outer(d_z, x) + l2 * w1
    return Backprop(z, h, o, loss, penalty, loss + penalty, d_o, d_h, d_z, d_w1, d_w2)
