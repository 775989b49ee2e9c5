r"""Batch normalisation's two modes: the running statistics it keeps for evaluation, and the
gap between what a network computes in training mode and in evaluation mode.

In training, a :class:`~optbook.nn.layers.BatchNorm1d` layer normalises with the statistics of
the batch and moves its running statistics as PyTorch does, :math:`r_k = (1-m)\,r_{k-1} + m\,
s_k` with :math:`m = 0.1`, :math:`s_k` the batch mean or the unbiased batch variance, and
:math:`r_0` = 0 for the mean, 1 for the variance. Unrolled,

.. math:: r_k = (1-m)^k r_0 + m\sum_{j=1}^{k} (1-m)^{k-j} s_j .

If the :math:`s_j` are independent with mean :math:`\sigma` and standard deviation
:math:`\tau`, then :math:`\mathbb E[r_k] = \sigma + (r_0 - \sigma)(1-m)^k` and, the weights
:math:`m(1-m)^{k-j}` squared and summed,

.. math:: \operatorname{sd}(r_k) = \tau\, m\,\sqrt{\frac{1 - (1-m)^{2k}}{1 - (1-m)^2}}
          \;\xrightarrow{k\to\infty}\; \tau\sqrt{\frac{m}{2-m}} .

For Gaussian data of variance :math:`\sigma^2` the unbiased variance of a batch of :math:`B`
has :math:`\tau = \sigma^2\sqrt{2/(B-1)}` (it is :math:`\sigma^2\chi^2_{B-1}/(B-1)`); the biased
one, which normalises the batch, has mean :math:`\sigma^2 (B-1)/B`.

:func:`mode_gap` measures the other side: the same examples through the network in training
mode (normalised with the statistics of their own mini-batch of size :math:`B`) and in
evaluation mode (with the running statistics), and :func:`batch_dependence` the reason: in
training mode one example's output depends on which other examples share its batch.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .layers import BatchNorm1d
from .network import Sequential
from .threads import one_blas_thread


def _momentum(m):
    m = float(m)
    if not (0.0 < m <= 1.0):
        raise ValueError(f"momentum must be in (0, 1], got {m!r}")
    return m


def _batches(k):
    if isinstance(k, bool) or not np.all(np.asarray(k) >= 0) or not np.issubdtype(
        np.asarray(k).dtype, np.integer
    ):
        raise ValueError(f"k must be a count of batches (integers >= 0), got {k!r}")
    return np.asarray(k)


def expected_running(start, value, momentum, k):
    r""":math:`\mathbb E[r_k] = v + (r_0 - v)(1-m)^k`: the expected running statistic after
    ``k`` batches whose statistic has expectation ``value``, from ``start``."""
    m = _momentum(momentum)
    return value + (start - value) * (1.0 - m) ** _batches(k)


def running_sd(batch_sd, momentum, k):
    r""":math:`\operatorname{sd}(r_k) = \tau m\sqrt{(1-(1-m)^{2k})/(1-(1-m)^2)}` for independent
    batch statistics of standard deviation ``batch_sd`` :math:`\tau`."""
    m = _momentum(momentum)
    q = (1.0 - m) ** 2
    return batch_sd * m * np.sqrt((1.0 - q ** _batches(k)) / (1.0 - q))


def unbiased_variance_sd(variance, batch_size):
    r""":math:`\sigma^2\sqrt{2/(B-1)}`: the standard deviation of the unbiased variance of
    :math:`B` Gaussian samples of variance :math:`\sigma^2` (``batch_size`` >= 2)."""
    b = int(batch_size)
    if b < 2:
        raise ValueError(f"batch_size must be >= 2, got {batch_size!r}")
    return variance * math.sqrt(2.0 / (b - 1))


def batches_to_forget(momentum, fraction):
    r"""The fewest batches :math:`k` with :math:`(1-m)^k \le` ``fraction``: how long the start
    :math:`r_0` keeps more than that share of its weight."""
    m = _momentum(momentum)
    fraction = float(fraction)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction!r}")
    if m == 1.0:
        return 1
    return math.ceil(math.log(fraction) / math.log(1.0 - m) - 1e-12)


def running_trace(batches, momentum: float = 0.1):
    r"""Feed ``batches`` (a sequence of ``(B_k, C)`` arrays) to a fresh
    :class:`~optbook.nn.layers.BatchNorm1d` in training mode; return ``(means, variances)``,
    its running statistics before the first batch and after each, arrays of shape
    ``(len(batches) + 1, C)``."""
    batches = [np.asarray(b, dtype=np.float64) for b in batches]
    if not batches or any(b.ndim != 2 or b.shape[1] != batches[0].shape[1] for b in batches):
        raise ValueError("batches must be a non-empty sequence of 2-D arrays of equal width")
    layer = BatchNorm1d(batches[0].shape[1], momentum=momentum)
    net = Sequential(layer)
    means, variances = [layer.running_mean.copy()], [layer.running_var.copy()]
    for b in batches:
        net.forward(b, training=True)
        means.append(layer.running_mean.copy())
        variances.append(layer.running_var.copy())
    return np.array(means), np.array(variances)


def keras_running_trace(batches, momentum: float = 0.99):
    r"""Keras' running statistics for the same ``batches`` as :func:`running_trace`, transcribed
    from ``keras.layers.BatchNormalization`` (Keras 3): ``moving = moving * momentum + batch *
    (1 - momentum)``, its momentum (default 0.99) on the *old* value, and the batch variance
    from ``ops.moments``, the biased one, where PyTorch keeps the unbiased one. Starts at mean 0
    and variance 1 like PyTorch. Returns ``(means, variances)`` of shape
    ``(len(batches) + 1, C)``."""
    momentum = float(momentum)
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    batches = [np.asarray(b, dtype=np.float64) for b in batches]
    if not batches or any(b.ndim != 2 or b.shape[1] != batches[0].shape[1] for b in batches):
        raise ValueError("batches must be a non-empty sequence of 2-D arrays of equal width")
    mean, var = np.zeros(batches[0].shape[1]), np.ones(batches[0].shape[1])
    means, variances = [mean], [var]
    for b in batches:
        mean = mean * momentum + b.mean(axis=0) * (1.0 - momentum)
        var = var * momentum + b.var(axis=0) * (1.0 - momentum)
        means.append(mean)
        variances.append(var)
    return np.array(means), np.array(variances)


class ModeGap(NamedTuple):
    """Loss and accuracy of the same examples in the two modes (see :func:`mode_gap`)."""

    train_loss: float
    train_accuracy: float
    eval_loss: float
    eval_accuracy: float


@one_blas_thread
def mode_gap(net: Sequential, loss, x, targets, batch_size: int, *, seed=0) -> ModeGap:
    r"""The mean loss and accuracy of ``(x, targets)`` in training mode, the examples split
    into mini-batches of ``batch_size`` by a seeded permutation (examples that do not fill a
    last batch are left out of both modes), and in evaluation mode. The running statistics are
    left as they were (training-mode passes would move them)."""
    if not isinstance(net, Sequential):
        raise ValueError(f"net must be an optbook.nn Sequential, got {type(net).__name__}")
    x, targets, loss = net.check_data(x, targets, loss)
    n = x.shape[0]
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or not (
        2 <= batch_size <= n
    ):
        raise ValueError(f"batch_size must be an integer in [2, {n}], got {batch_size!r}")
    order = np.random.default_rng(seed).permutation(n)
    used = order[: n - n % batch_size]
    saved = net.state()
    train_loss = train_correct = 0.0
    try:
        for start in range(0, used.size, batch_size):
            idx = used[start:start + batch_size]
            value, correct, _ = loss(net.forward_unchecked(x[idx], True), targets[idx])
            train_loss += value * idx.size
            train_correct += correct
    finally:
        net.load_state(saved)
    eval_value, eval_correct, _ = loss(net.forward_unchecked(x[used], False), targets[used])
    unit = 1.0 if loss.classification else math.nan
    return ModeGap(train_loss / used.size, train_correct / used.size * unit, eval_value,
                   eval_correct / used.size * unit)


class BatchDependence(NamedTuple):
    """One example's outputs in many training-mode batches, and in evaluation mode."""

    train_outputs: np.ndarray
    """``(draws, n_outputs)``: its outputs, one row per batch it was put in."""
    eval_output: np.ndarray
    """``(n_outputs,)``: its output in evaluation mode, which no other example changes."""


@one_blas_thread
def batch_dependence(net: Sequential, x, index: int, batch_size: int, draws: int, *,
                     seed=0) -> BatchDependence:
    r"""Put example ``index`` of ``x`` into ``draws`` mini-batches of ``batch_size``, its
    companions drawn at random without replacement from the other examples (seeded), and
    return its training-mode output in each, with its evaluation-mode output. The running
    statistics are left as they were."""
    if not isinstance(net, Sequential):
        raise ValueError(f"net must be an optbook.nn Sequential, got {type(net).__name__}")
    x = net.check_inputs(x)
    n = x.shape[0]
    if isinstance(index, bool) or not isinstance(index, int | np.integer) or not 0 <= index < n:
        raise ValueError(f"index must be an integer in [0, {n - 1}], got {index!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or not (
        2 <= batch_size <= n
    ):
        raise ValueError(f"batch_size must be an integer in [2, {n}], got {batch_size!r}")
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 1:
        raise ValueError(f"draws must be an integer >= 1, got {draws!r}")
    rng = np.random.default_rng(seed)
    others = np.delete(np.arange(n), index)
    saved = net.state()
    outputs = np.empty((int(draws), net.n_outputs))
    try:
        for k in range(int(draws)):
            rows = np.concatenate([[index], rng.choice(others, batch_size - 1, replace=False)])
            outputs[k] = net.forward_unchecked(x[rows], True)[0]
    finally:
        net.load_state(saved)
    return BatchDependence(outputs, net.forward_unchecked(x[index:index + 1], False)[0].copy())
