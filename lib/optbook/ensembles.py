r"""Ensembles of networks and averages of their weights, scored from predicted probabilities.

An ensemble of :math:`M` classifiers predicts the mean of their softmax probabilities,
:math:`\bar p = \frac1M\sum_m p_m` (:func:`~optbook.nn.instruments.ensemble_predict` computes
the members' probabilities). Its cross-entropy never exceeds the members' mean:
:math:`-\ln` is convex, so by Jensen's inequality

.. math:: -\ln \bar p_y \;\le\; \frac1M\sum_m -\ln p_{m,y},

and the difference, :func:`diversity`, is zero only when the members agree on the true
class's probability. :func:`curve` scores ensembles of :math:`k = 1, \dots, M` members,
averaged over subsets of the members, so that the curve does not depend on the members'
order.

Averaging *weights* instead of predictions (:func:`average`, :func:`moving_average`) gives
one network. It works for checkpoints of one run, which lie in one basin (Polyak & Juditsky
1992; Izmailov et al. 2018), and fails for independent runs: their hidden units come in
different orders (any permutation of a layer's units gives the same function), so their
average mixes unrelated units.
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np


def _check_probabilities(members, labels):
    p = np.asarray(members, dtype=np.float64)
    if p.ndim == 2:
        p = p[None]
    if p.ndim != 3 or p.shape[0] == 0 or p.shape[1] == 0 or p.shape[2] < 2:
        raise ValueError(f"members must be probabilities of shape (M, B, K) with K >= 2, got "
                         f"{np.shape(members)}")
    if not np.all(np.isfinite(p)) or np.any(p < 0.0):
        raise ValueError("members must hold finite probabilities >= 0")
    y = np.asarray(labels)
    if y.shape != (p.shape[1],) or y.dtype.kind not in "iu" or y.min() < 0 or (
        y.max() >= p.shape[2]
    ):
        raise ValueError(f"labels must be {p.shape[1]} integer classes in [0, {p.shape[2] - 1}]")
    return p, y


def accuracy(probabilities, labels) -> float:
    """The fraction of rows of ``probabilities`` ``(B, K)`` whose largest entry is the label."""
    p, y = _check_probabilities(probabilities, labels)
    return float(np.mean(p[0].argmax(axis=1) == y))


def cross_entropy(probabilities, labels) -> float:
    r""":math:`-\frac1B\sum_i \ln p_{i, y_i}` of probabilities ``(B, K)`` (:math:`+\infty`
    where a true class gets probability 0)."""
    p, y = _check_probabilities(probabilities, labels)
    with np.errstate(divide="ignore"):
        return float(-np.mean(np.log(p[0][np.arange(y.size), y])))


def diversity(members, labels) -> float:
    r"""Jensen's gap :math:`\frac1M\sum_m \mathrm{CE}(p_m) - \mathrm{CE}(\bar p) \ge 0` of
    members' probabilities ``(M, B, K)``: how much averaging lowers the cross-entropy."""
    p, y = _check_probabilities(members, labels)
    mean_member = np.mean([cross_entropy(m, y) for m in p])
    return float(mean_member - cross_entropy(p.mean(axis=0), y))


class EnsembleCurve(NamedTuple):
    """Scores of ensembles of ``k`` members, averaged over subsets of that size."""

    k: np.ndarray
    accuracy: np.ndarray
    cross_entropy: np.ndarray
    subsets: np.ndarray
    """How many subsets were averaged for each ``k``."""


def curve(members, labels, *, max_subsets: int = 50, seed=0) -> EnsembleCurve:
    """Accuracy and cross-entropy of the ensemble of ``k`` members, for ``k`` = 1..M, each the
    mean over subsets of size ``k`` of the members ``(M, B, K)``: all of them when there are
    at most ``max_subsets``, else ``max_subsets`` distinct subsets drawn with ``seed``."""
    p, y = _check_probabilities(members, labels)
    if isinstance(max_subsets, bool) or not isinstance(max_subsets, int) or max_subsets < 1:
        raise ValueError(f"max_subsets must be an integer >= 1, got {max_subsets!r}")
    rng = np.random.default_rng(seed)
    m = p.shape[0]
    ks = np.arange(1, m + 1)
    acc, ce, counts = [], [], []
    for k in ks:
        if math.comb(m, int(k)) <= max_subsets:
            subsets = [list(s) for s in itertools.combinations(range(m), int(k))]
        else:
            chosen = set()
            while len(chosen) < max_subsets:
                chosen.add(tuple(sorted(rng.choice(m, int(k), replace=False).tolist())))
            subsets = [list(s) for s in sorted(chosen)]
        means = [p[s].mean(axis=0) for s in subsets]
        acc.append(np.mean([accuracy(q, y) for q in means]))
        ce.append(np.mean([cross_entropy(q, y) for q in means]))
        counts.append(len(subsets))
    return EnsembleCurve(ks, np.array(acc), np.array(ce), np.array(counts))


def _check_thetas(thetas):
    arrays = [np.asarray(t, dtype=np.float64) for t in thetas]
    if not arrays:
        raise ValueError("thetas must hold at least one parameter vector")
    shape = arrays[0].shape
    if len(shape) != 1 or any(a.shape != shape for a in arrays):
        raise ValueError("thetas must be 1-D parameter vectors of one length")
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise ValueError("thetas must be finite")
    return np.stack(arrays)


def average(thetas) -> np.ndarray:
    r"""The mean :math:`\frac1n\sum_i \theta_i` of parameter vectors (checkpoints of one run:
    the tail average of Polyak averaging when they are the last :math:`n`)."""
    return _check_thetas(thetas).mean(axis=0)


def moving_average(thetas, decay: float) -> np.ndarray:
    r"""The exponential moving average of a sequence of parameter vectors,
    :math:`a_1 = \theta_1`, :math:`a_i = \beta a_{i-1} + (1-\beta)\,\theta_i`, with ``decay``
    :math:`\beta` in [0, 1): the running average of CS231n's notes, kept beside training."""
    stack = _check_thetas(thetas)
    decay = float(decay)
    if not 0.0 <= decay < 1.0:
        raise ValueError(f"decay must be in [0, 1), got {decay!r}")
    out = stack[0].copy()
    for theta in stack[1:]:
        out = decay * out + (1.0 - decay) * theta
    return out
