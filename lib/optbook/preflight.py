r"""Checks to run before training a network: the gradient check's verdict and its step, the
loss a classifier should start from, and a small balanced subset to overfit.

**Gradient check.** :func:`~optbook.nn.gradcheck.gradient_check` compares the backward pass
with central differences and reports CS231n's relative error
:math:`|g - \tilde g|/\max(|g|, |\tilde g|)`. :func:`verdict` reads it with the bands of
CS231n's notes (*Neural Networks Part 3*) for float64: above :math:`10^{-2}` the gradient is
probably wrong; between :math:`10^{-4}` and :math:`10^{-2}` it is suspect; between
:math:`10^{-7}` and :math:`10^{-4}` it is acceptable where the loss has kinks (ReLU, max) and
suspect where it is smooth; below :math:`10^{-7}` it is right. :func:`error_against_step`
measures the error of one check as a function of the difference step :math:`h`: the central
difference's truncation error falls like :math:`h^2` and its rounding error grows like
:math:`\epsilon_\text{mach}/h`, so the error is smallest near
:math:`h \approx \epsilon_\text{mach}^{1/3}` (about :math:`10^{-5}` in float64).

**Initial loss.** With logits :math:`z \in \mathbb R^C` all equal, softmax gives every class
:math:`1/C` and the cross-entropy is :math:`\ln C` (:func:`chance_loss`). Random logits raise
it: expanding :math:`\log\sum_k e^{z_k}` to second order around the mean logit
:math:`\bar z`,

.. math:: \ell(z, y) = \ln C + (\bar z - z_y) + \frac{1}{2C}\sum_k (z_k - \bar z)^2
          + O(\|z - \bar z\|^3),

and at initialisation, with the classes exchangeable and the logits distributed symmetrically
about their mean (as Gaussian or uniform weights make them), the linear term averages to zero
and so does the cubic one (it is odd), so the expected initial loss is :math:`\ln C + \tfrac12 v`,
:math:`v` the mean over examples of the spread :math:`\frac1C\sum_k (z_k-\bar z)^2`
(:func:`expected_initial_loss`; :func:`logit_spread` measures :math:`v`). For i.i.d. logits of
variance :math:`s^2`, :math:`v = s^2 (C-1)/C`. Beyond :math:`v \approx 1` the expansion fails;
:func:`gaussian_logit_loss` gives the expected loss of i.i.d. Gaussian logits of any spread by
sampling, which for large spreads approaches :math:`s\,\mathbb E[\max_k \xi_k]`,
:math:`\xi_k` standard normal: the loss is then the gap between the largest logit and the
true class's.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from optbook import nn

BANDS = ((1e-7, "right"), (1e-4, "acceptable with kinks"), (1e-2, "suspect"),
         (math.inf, "wrong"))
"""CS231n's bands of the relative error, as ``(upper end, verdict)`` in increasing order."""


def verdict(relative_error: float) -> str:
    """The band of CS231n's notes that ``relative_error`` (>= 0) falls in: ``"right"``
    (below 1e-7), ``"acceptable with kinks"`` (below 1e-4), ``"suspect"`` (below 1e-2) or
    ``"wrong"``."""
    value = float(relative_error)
    if math.isnan(value) or value < 0.0:
        raise ValueError(f"relative_error must be a number >= 0, got {relative_error!r}")
    return next(name for upper, name in BANDS if value < upper)


class StepSweep(NamedTuple):
    """Relative errors of a gradient check against the difference step."""

    steps: np.ndarray
    median: np.ndarray
    """Median over the checked entries, one per step."""
    maximum: np.ndarray
    """Largest over the checked entries, one per step."""


def error_against_step(net: nn.Sequential, loss, x, targets, steps, *, entries: int = 200,
                       l2: float = 0.0, seed=0) -> StepSweep:
    """Run :func:`~optbook.nn.gradcheck.gradient_check` once per step ``h`` in ``steps`` (each
    > 0), on the same ``entries`` parameters (drawn with ``seed``), and return the median and the
    largest relative error of each."""
    steps = np.asarray(steps, dtype=np.float64)
    if steps.ndim != 1 or steps.size == 0 or not np.all(np.isfinite(steps) & (steps > 0)):
        raise ValueError("steps must be a non-empty 1-D array of finite numbers > 0")
    medians, maxima = [], []
    for h in steps:
        check = nn.gradient_check(net, loss, x, targets, l2=l2, h=float(h), entries=entries,
                                  seed=seed)
        medians.append(float(np.median(check.relative_errors)))
        maxima.append(check.max_relative_error)
    return StepSweep(steps, np.array(medians), np.array(maxima))


def _classes(n_classes):
    if isinstance(n_classes, bool) or not isinstance(n_classes, int | np.integer) or (
        n_classes < 2
    ):
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    return int(n_classes)


def chance_loss(n_classes: int) -> float:
    r""":math:`\ln C`: the cross-entropy of a classifier that gives each of ``n_classes``
    (>= 2) classes probability :math:`1/C`."""
    return math.log(_classes(n_classes))


def logit_spread(logits) -> float:
    r""":math:`v`: the mean over the rows of ``logits`` ``(B, C)`` of
    :math:`\frac1C\sum_k (z_k - \bar z)^2`, the spread of one example's logits."""
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] < 2 or z.shape[0] == 0 or not np.all(np.isfinite(z)):
        raise ValueError(f"logits must be a finite (batch, classes >= 2) array, got shape "
                         f"{z.shape}")
    return float(np.mean(np.var(z, axis=1)))


def expected_initial_loss(n_classes: int, spread: float) -> float:
    r""":math:`\ln C + v/2`: the cross-entropy expected at initialisation for logits whose
    spread (:func:`logit_spread`) is ``spread`` :math:`v \ge 0`, to second order in the
    logits' deviations (see the module docstring)."""
    spread = float(spread)
    if not (math.isfinite(spread) and spread >= 0.0):
        raise ValueError(f"spread must be a finite number >= 0, got {spread!r}")
    return chance_loss(n_classes) + 0.5 * spread


def gaussian_logit_loss(n_classes: int, spread: float, *, samples: int = 20000,
                        seed=0) -> float:
    r"""The mean cross-entropy of ``samples`` draws of ``n_classes`` i.i.d. Gaussian logits
    whose expected spread :math:`v` is ``spread`` (variance :math:`s^2 = vC/(C-1)`), the true
    class being the first: the initial loss of a classifier whose last layer is drawn at
    random, at any spread (:func:`expected_initial_loss` is its second-order expansion)."""
    c = _classes(n_classes)
    spread = float(spread)
    if not (math.isfinite(spread) and spread >= 0.0):
        raise ValueError(f"spread must be a finite number >= 0, got {spread!r}")
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer) or samples < 1:
        raise ValueError(f"samples must be an integer >= 1, got {samples!r}")
    s = math.sqrt(spread * c / (c - 1))
    z = s * np.random.default_rng(seed).standard_normal((int(samples), c))
    top = z.max(axis=1)
    lse = top + np.log(np.exp(z - top[:, None]).sum(axis=1))
    return float(np.mean(lse - z[:, 0]))


def balanced_subset(labels, per_class: int, *, seed=0) -> np.ndarray:
    """Indices of ``per_class`` (>= 1) examples of every class in ``labels``, drawn without
    replacement with ``seed`` and returned sorted: the tiny training set to overfit first."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0 or labels.dtype.kind not in "iu":
        raise ValueError("labels must be a non-empty 1-D array of integer class labels")
    if isinstance(per_class, bool) or not isinstance(per_class, int | np.integer) or (
        per_class < 1
    ):
        raise ValueError(f"per_class must be an integer >= 1, got {per_class!r}")
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if members.size < per_class:
            raise ValueError(f"class {label} has {members.size} examples, fewer than "
                             f"per_class = {per_class}")
        chosen.append(rng.choice(members, per_class, replace=False))
    return np.sort(np.concatenate(chosen))
