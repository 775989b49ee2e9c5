r"""Weight-space symmetry and idle units of a trained network, for the landscape chapter.

* :func:`permutation_average`: the average of the :math:`K!` parameter vectors
  :func:`~optbook.nn.instruments.permute_units` gives for a hidden layer of :math:`K` units.
  Each unit appears in each position in :math:`(K-1)!` of the :math:`K!` permutations, so the
  average replaces every unit's incoming weights and bias by the mean over the units, and every
  outgoing column by the mean column: a network whose :math:`K` hidden units are identical
  (CSC321, Grosse, lecture 7). Its loss is no lower than the trained one's, and as a rule far
  higher, which a convex loss could not allow (Jensen: the average of points of equal loss
  would have at most that loss).
* :func:`unit_statistics`: the activation statistics of every activation layer on a whole
  data set in evaluation mode (the fraction of dead ReLU units, whose input is
  :math:`\le 0` on every example, or of saturated tanh/sigmoid outputs; see
  :func:`~optbook.nn.layers.activation_statistics`).
"""

from __future__ import annotations

import numpy as np

from .instruments import _check_net, permute_units
from .layers import Activation
from .network import Sequential


def permutation_average(net: Sequential, layer) -> np.ndarray:
    """The mean of the parameter vectors of all permutations of the output units of the linear
    layer ``layer`` (name or index, as for :func:`~optbook.nn.instruments.permute_units`),
    computed from the :math:`K` cyclic shifts: in them each unit visits each position once,
    so every moved block (the layer's rows, the next layer's columns) becomes its mean, as
    over all :math:`K!` permutations."""
    _check_net(net)
    k = _width(net, layer)
    total = np.zeros(net.size)
    for shift in range(k):
        total += permute_units(net, layer, np.roll(np.arange(k), shift))
    return total / k


def _width(net, layer):
    index = net.names.index(layer) if layer in net.names else layer
    try:
        return net.layers[index].n_out
    except (TypeError, IndexError, AttributeError):
        permute_units(net, layer, np.arange(1))  # raises its message naming the linear layers
        raise


def unit_statistics(net: Sequential, x) -> dict:
    """``{layer name: statistics}`` of every activation layer on the inputs ``x`` (all rows at
    once, evaluation mode)."""
    _check_net(net)
    net.forward(x, training=False)
    return {name: la.statistics() for name, la in zip(net.names, net.layers, strict=True)
            if isinstance(la, Activation)}
