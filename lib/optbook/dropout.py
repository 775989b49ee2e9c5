r"""Dropout's averages, computed exactly: every mask of a small layer enumerated, the ensemble
a dropout network stands for, and the ridge penalty that dropout on the inputs of a linear
model adds.

Conventions (the book's conventions appendix compares them): ``keep`` is the probability
:math:`p` of *keeping* a unit, the :math:`p` of the DD2424 lecture and of Srivastava et al.
(2014); PyTorch's ``p`` is the drop probability :math:`1-p`. A mask
:math:`m \in \{0, 1\}^n` keeps unit :math:`j` where :math:`m_j = 1`; its probability is
:math:`P(m) = \prod_j p^{m_j}(1-p)^{1-m_j}`. *Inverted* dropout multiplies the kept units by
:math:`1/p` during training and leaves evaluation alone; *vanilla* dropout keeps them as they
are and multiplies by :math:`p` at evaluation (:class:`optbook.nn.layers.Dropout`, ``mode``).

* :func:`masks`, :func:`mask_probabilities`: all :math:`2^n` masks of :math:`n` units and
  their probabilities.
* :func:`unit_distribution`, :func:`unit_variance`: the output
  :math:`a = s\sum_j w_j m_j x_j` of a linear unit whose inputs are dropped (:math:`s = 1/p`
  inverted, 1 vanilla), over every mask, and its variance in closed form,
  :math:`s^2 p(1-p)\sum_j w_j^2x_j^2`.
* :func:`expected_output`, :func:`mask_averages`: for a network with few dropped units, the
  mean and variance of its outputs over all masks, and the arithmetic mean of its softmax
  outputs, their normalised geometric mean and the weight-scaled single pass, exactly;
  :func:`normalised_geometric_mean` for Monte-Carlo samples; :func:`mean_log_loss` and
  :func:`accuracy` to score them.
* :func:`dropout_ridge_penalty`, :func:`expected_dropout_mse`, :func:`dropout_ridge_fit`,
  :func:`ridge_fit`: linear regression trained with inverted dropout on its inputs minimises,
  in expectation over the masks, the squared error plus
  :math:`\frac{1-p}{p}\frac1N\sum_j w_j^2\|X_{:,j}\|^2` (Srivastava et al. 2014, section 9.1;
  Wager, Wang & Liang 2013).
* :func:`unit_spread`: how far the hidden units of a layer are from being copies of each
  other (the symmetry that dropout breaks, EE 628 lecture 5).
* :func:`digits_sweep`: a small network trained on the digits at several drop probabilities
  and widths, with its training and validation curves and the Monte-Carlo, geometric and
  weight-scaled predictions of each trained network; the dropout chapter's figures and its
  explorer (:class:`optbook.widgets.dropout_digits.DropoutDigitsExplorer`) read it.

This module uses :mod:`optbook.nn` and :mod:`optbook.data`; of the library, only that explorer
imports it.
Its enumerations run NumPy's BLAS on one thread, as the toolkit's instruments do
(:mod:`optbook.nn.threads`).
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np

from optbook import data, nn, optimizers
from optbook.nn.threads import one_blas_thread

MODES = ("inverted", "vanilla")
MAX_UNITS = 20
"""The most units :func:`masks` and :func:`mask_averages` enumerate (about a million masks)."""


def _keep(keep):
    try:
        keep = float(keep)
    except (TypeError, ValueError):
        raise ValueError(f"keep must be a real number in (0, 1], got {keep!r}") from None
    if math.isnan(keep) or not 0.0 < keep <= 1.0:
        raise ValueError(f"keep (the probability of keeping a unit) must be in (0, 1], "
                         f"got {keep!r}")
    return keep


def _mode(mode):
    if mode not in MODES:
        raise ValueError(f"mode must be 'inverted' or 'vanilla', got {mode!r}")
    return mode


def _scale(keep, mode):
    return 1.0 / keep if _mode(mode) == "inverted" else 1.0


def _units(units):
    if isinstance(units, bool) or not isinstance(units, int | np.integer) or not (
        1 <= units <= MAX_UNITS
    ):
        raise ValueError(f"units must be an integer in [1, {MAX_UNITS}], got {units!r}")
    return int(units)


def _vector(name, value, size=None):
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0 or (size is not None and arr.size != size):
        want = f"of length {size}" if size is not None else "non-empty"
        raise ValueError(f"{name} must be a 1-D array {want}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def _matrix(name, value):
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


# --------------------------------------------------------------------------- masks


def masks(units: int) -> np.ndarray:
    """All :math:`2^n` keep patterns of ``units`` = :math:`n` units (1 <= n <= 20), as a
    ``(2**n, n)`` array of 0.0 and 1.0: row :math:`k` holds the binary digits of :math:`k`,
    the most significant first (row 0 drops every unit, the last row keeps them all)."""
    n = _units(units)
    k = np.arange(2**n)[:, None]
    return ((k >> np.arange(n - 1, -1, -1)) & 1).astype(np.float64)


def mask_probabilities(mask_array, keep) -> np.ndarray:
    r""":math:`P(m) = \prod_j p_j^{m_j}(1-p_j)^{1-m_j}` for each row :math:`m` of
    ``mask_array`` (0/1 entries); ``keep`` is one probability for every unit or one per unit.
    Over all masks of :func:`masks` they sum to 1."""
    m = np.asarray(mask_array, dtype=np.float64)
    if m.ndim != 2 or not np.all((m == 0.0) | (m == 1.0)):
        raise ValueError("mask_array must be a 2-D array of 0s and 1s, one mask per row")
    keeps = np.broadcast_to(np.asarray(keep, dtype=np.float64), (m.shape[1],))
    for value in np.unique(keeps):
        _keep(value)
    return np.prod(np.where(m == 1.0, keeps, 1.0 - keeps), axis=1)


class Distribution(NamedTuple):
    """The values a random quantity takes over all masks, and their probabilities."""

    values: np.ndarray
    probabilities: np.ndarray

    @property
    def mean(self) -> float:
        r""":math:`\sum_m P(m)\,a(m)`."""
        return float(self.probabilities @ self.values)

    @property
    def variance(self) -> float:
        r""":math:`\sum_m P(m)\,(a(m) - \bar a)^2`."""
        return float(self.probabilities @ (self.values - self.mean) ** 2)


def unit_distribution(weights, inputs, keep, mode: str = "inverted") -> Distribution:
    r"""The output :math:`a(m) = s\sum_j w_j m_j x_j` of a linear unit whose inputs
    :math:`x_j` are dropped, for every mask :math:`m` of :func:`masks`, with :math:`P(m)`;
    :math:`s = 1/p` for inverted dropout, 1 for vanilla. Its mean is :math:`\sum_j w_jx_j`
    (inverted) or :math:`p\sum_j w_jx_j` (vanilla), the DD2424 lecture's
    :math:`\mathbb E[a_\text{train}] = p\,a_\text{test}`."""
    w = _vector("weights", weights)
    x = _vector("inputs", inputs, w.size)
    keep = _keep(keep)
    m = masks(w.size)
    values = _scale(keep, mode) * (m @ (w * x))
    return Distribution(values, mask_probabilities(m, keep))


def unit_variance(weights, inputs, keep, mode: str = "inverted") -> float:
    r"""The variance of :math:`a = s\sum_j w_j m_j x_j` over the masks, in closed form:
    the :math:`m_j` are independent with variance :math:`p(1-p)`, so
    :math:`\operatorname{Var} a = s^2 p(1-p)\sum_j w_j^2 x_j^2`, which is
    :math:`\frac{1-p}{p}\sum_j w_j^2x_j^2` for inverted dropout (:math:`s = 1/p`) and
    :math:`p(1-p)\sum_j w_j^2x_j^2` for vanilla dropout. A single unit (one weight 1) gives
    inverted dropout's :math:`a^2(1-p)/p`."""
    w = _vector("weights", weights)
    x = _vector("inputs", inputs, w.size)
    keep = _keep(keep)
    return float(_scale(keep, mode) ** 2 * keep * (1.0 - keep) * np.sum((w * x) ** 2))


# --------------------------------------------------------------------------- the ensemble


class MaskAverages(NamedTuple):
    """The three predictions of a dropout network (:func:`mask_averages`), each ``(B, K)``."""

    arithmetic: np.ndarray
    r""":math:`\sum_m P(m)\,\mathrm{softmax}(z(x; m))`: the ensemble's average prediction."""
    geometric: np.ndarray
    r"""The normalised geometric mean :math:`\prod_m \mathrm{softmax}(z(x;m))^{P(m)}`, divided
    by its sum over the classes."""
    weight_scaled: np.ndarray
    """The softmax of one pass in evaluation mode (the weight-scaling rule)."""
    count: int
    """The number of masks enumerated, :math:`2^n`."""


class _FixedDraws:
    """Stands in for a dropout layer's generator: every draw returns the given uniforms, 0
    where a unit is kept and 1 where it is dropped (the layer keeps a unit where its uniform is
    below the keep probability)."""

    def __init__(self, uniforms):
        self.uniforms = uniforms

    def random(self, shape):
        if tuple(shape) != self.uniforms.shape:
            raise ValueError(f"a pass of {shape} rows, but masks were fixed for "
                             f"{self.uniforms.shape}")
        return self.uniforms


def _dropout_widths(net):
    """The width of the input of each dropout layer of ``net``, in order."""
    widths = []
    width = net.n_inputs
    for layer in net.layers:
        if isinstance(layer, nn.Dropout):
            widths.append(width)
        width = layer.output_features(width)
    return widths


@contextmanager
def _fixed_masks(net, uniforms_by_layer):
    """Within the block, ``net``'s dropout layers apply the given masks in every pass, in
    evaluation mode otherwise; their generators and flags are restored afterwards."""
    saved = [(layer.rng, layer.always_on) for layer in net.dropouts]
    try:
        for layer, uniforms in zip(net.dropouts, uniforms_by_layer, strict=True):
            layer.rng = _FixedDraws(uniforms)
            layer.always_on = True
        yield
    finally:
        for layer, (rng, flag) in zip(net.dropouts, saved, strict=True):
            layer.rng = rng
            layer.always_on = flag


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _normalise_log(log_values):
    """``exp(log_values)`` normalised along the last axis, without overflow."""
    e = np.exp(log_values - log_values.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class OutputMoments(NamedTuple):
    """The exact mean and variance of a network's outputs over all masks
    (:func:`expected_output`), each ``(B, K)``."""

    mean: np.ndarray
    variance: np.ndarray
    count: int
    """The number of masks enumerated."""


def _enumerate(net, x, chunk_rows):
    """Check ``net`` and ``x``, then yield ``(start, outputs, probabilities)`` for blocks of
    examples: ``outputs`` ``(b, M, K)`` the raw outputs of examples ``start .. start + b``
    under each of the ``M`` masks of positive probability, ``probabilities`` ``(M,)``."""
    if not isinstance(net, nn.Sequential):
        raise ValueError(f"net must be an optbook.nn Sequential, got {type(net).__name__}")
    if not net.dropouts:
        raise ValueError("enumerating masks needs a network with a Dropout layer")
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be an integer >= 1, got {chunk_rows!r}")
    widths = _dropout_widths(net)
    total = sum(widths)
    if total > MAX_UNITS:
        raise ValueError(f"the dropout layers drop {total} units in all; enumerating their "
                         f"2**{total} masks is limited to {MAX_UNITS} units")
    x = net.check_inputs(x)
    all_masks = masks(total)
    keeps = np.concatenate([np.full(w, layer.keep) for w, layer in zip(widths, net.dropouts,
                                                                       strict=True)])
    probabilities = mask_probabilities(all_masks, keeps)
    support = probabilities > 0.0
    all_masks, probabilities = all_masks[support], probabilities[support]
    count = all_masks.shape[0]
    per_chunk = max(1, chunk_rows // count)
    offsets = np.cumsum([0, *widths])
    for start in range(0, x.shape[0], per_chunk):
        block = x[start:start + per_chunk]
        rows = np.repeat(block, count, axis=0)
        uniforms = [np.tile(1.0 - all_masks[:, lo:hi], (block.shape[0], 1))
                    for lo, hi in zip(offsets[:-1], offsets[1:], strict=True)]
        with _fixed_masks(net, uniforms):
            outputs = net.forward_unchecked(rows, False).astype(np.float64)
        yield start, outputs.reshape(block.shape[0], count, -1), probabilities


@one_blas_thread
def expected_output(net: nn.Sequential, x, *, chunk_rows: int = 1 << 16) -> OutputMoments:
    r"""The mean :math:`\sum_m P(m)\,f(x; m)` and variance of ``net``'s raw outputs over
    **all** masks of its dropout layers (at most ``MAX_UNITS`` dropped units in all; every
    layer else in evaluation mode). Where the outputs are affine in the dropped units, the mean
    is the evaluation-mode output exactly (the masks are independent with mean :math:`p`, and
    inverted dropout divides by :math:`p`); after a nonlinearity it is not. The network is
    left as it was found."""
    mean = variance = None
    count = 0
    for start, outputs, probabilities in _enumerate(net, x, chunk_rows):
        if mean is None:
            rows = net.check_inputs(x).shape[0]
            mean = np.empty((rows, outputs.shape[2]))
            variance = np.empty_like(mean)
            count = probabilities.size
        block_mean = np.einsum("m,bmk->bk", probabilities, outputs)
        mean[start:start + outputs.shape[0]] = block_mean
        variance[start:start + outputs.shape[0]] = np.einsum(
            "m,bmk->bk", probabilities, (outputs - block_mean[:, None, :]) ** 2)
    return OutputMoments(mean, variance, count)


@one_blas_thread
def mask_averages(net: nn.Sequential, x, *, chunk_rows: int = 1 << 16) -> MaskAverages:
    r"""The arithmetic mean, the normalised geometric mean and the weight-scaled prediction of
    a classifier with dropout, over **all** masks of its dropout layers (at most
    ``MAX_UNITS`` dropped units in all; every layer else in evaluation mode).

    With :math:`z(x; m)` the logits under mask :math:`m` and :math:`P(m)` its probability, the
    arithmetic mean is :math:`\sum_m P(m)\,\mathrm{softmax}(z(x;m))` and the normalised
    geometric mean :math:`G_k \propto \exp\bigl(\sum_m P(m)\log\mathrm{softmax}_k(z(x;m))\bigr)
    \propto \exp\bigl(\sum_m P(m)\,z_k(x;m)\bigr)`. When the logits are affine in the
    dropped units (dropout only before the last linear layer), :math:`\sum_m P(m)z(x;m)` is the
    evaluation-mode logit (:func:`expected_output`), so the weight-scaled pass *is* the
    normalised geometric mean (Srivastava et al. 2014; Baldi & Sadowski 2013); through a
    nonlinearity it is only close.

    The masks are enumerated as batches of the network's own forward pass, ``chunk_rows`` rows
    at a time; the network is left as it was found.
    """
    if isinstance(net, nn.Sequential) and net.n_outputs < 2:
        raise ValueError("mask_averages needs a classifier with at least 2 outputs")
    arithmetic = geometric = None
    count = 0
    for start, logits, probabilities in _enumerate(net, x, chunk_rows):
        if arithmetic is None:
            rows = net.check_inputs(x).shape[0]
            arithmetic = np.empty((rows, logits.shape[2]))
            geometric = np.empty_like(arithmetic)
            count = probabilities.size
        log_p = _log_softmax(logits)
        stop = start + logits.shape[0]
        arithmetic[start:stop] = np.einsum("m,bmk->bk", probabilities, np.exp(log_p))
        geometric[start:stop] = _normalise_log(np.einsum("m,bmk->bk", probabilities, log_p))
    weight_scaled = nn.softmax(net.predict(x))
    return MaskAverages(arithmetic, geometric, weight_scaled, int(count))


def mean_log_loss(probabilities, labels) -> float:
    r"""The cross-entropy :math:`-\frac1B\sum_i \log P_{i, y_i}` of predicted probabilities
    ``(B, K)`` against integer labels ``(B,)``."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(labels)
    if p.ndim != 2 or y.shape != (p.shape[0],) or y.dtype.kind not in "iu":
        raise ValueError("probabilities must be (B, K) and labels B integers")
    return float(-np.mean(np.log(p[np.arange(y.size), y])))


def accuracy(probabilities, labels) -> float:
    """The fraction of rows of ``probabilities`` ``(B, K)`` whose largest entry is at the
    label."""
    p = np.asarray(probabilities)
    y = np.asarray(labels)
    if p.ndim != 2 or y.shape != (p.shape[0],):
        raise ValueError("probabilities must be (B, K) and labels B integers")
    return float(np.mean(np.argmax(p, axis=1) == y))


def normalised_geometric_mean(members, weights=None) -> np.ndarray:
    r""":math:`G_k \propto \exp\bigl(\sum_s \omega_s \log P_{s,k}\bigr)`, normalised over the
    classes :math:`k`, of probability vectors ``members`` ``(S, ..., K)`` (the ``members`` of
    :func:`optbook.nn.instruments.mc_dropout_predict`); ``weights`` :math:`\omega_s` default to
    :math:`1/S`, else they must be >= 0 and sum to 1."""
    p = np.asarray(members, dtype=np.float64)
    if p.ndim < 2 or p.shape[0] == 0 or not np.all(np.isfinite(p)) or np.any(p <= 0.0):
        raise ValueError("members must be an array (S, ..., K) of positive probabilities")
    if weights is None:
        weights = np.full(p.shape[0], 1.0 / p.shape[0])
    weights = _vector("weights", weights, p.shape[0])
    if np.any(weights < 0.0) or abs(weights.sum() - 1.0) > 1e-9:
        raise ValueError("weights must be >= 0 and sum to 1")
    return _normalise_log(np.tensordot(weights, np.log(p), axes=1))


# --------------------------------------------------------------------------- the ridge penalty


def _regression(X, y=None):
    X = _matrix("X", X)
    if y is None:
        return X
    return X, _vector("y", y, X.shape[0])


def dropout_ridge_penalty(X, w, keep) -> float:
    r"""The penalty that inverted dropout on the inputs adds, in expectation over the masks, to
    the mean squared error of a linear model :math:`\hat y = \tilde x^\top w + b`:

    .. math:: R(w) = \frac{1-p}{p}\,\frac1N\sum_j w_j^2\,\|X_{:,j}\|^2 .

    Derivation: for example :math:`i`, :math:`\tilde x_{ij} = m_{ij}x_{ij}/p` has mean
    :math:`x_{ij}` and variance :math:`x_{ij}^2(1-p)/p`, independently over :math:`j`, so
    :math:`\mathbb E(y_i - \tilde x_i^\top w - b)^2 = (y_i - x_i^\top w - b)^2 +
    \frac{1-p}{p}\sum_j w_j^2x_{ij}^2`; average over :math:`i`."""
    X = _regression(X)
    w = _vector("w", w, X.shape[1])
    keep = _keep(keep)
    return float((1.0 - keep) / keep * np.sum(w**2 * np.sum(X**2, axis=0)) / X.shape[0])


def expected_dropout_mse(X, y, w, b: float, keep) -> float:
    r""":math:`\mathbb E_m \frac1N\sum_i (y_i - \tilde x_i^\top w - b)^2` with inverted dropout
    on the inputs: the mean squared error of the undropped model plus
    :func:`dropout_ridge_penalty`."""
    X, y = _regression(X, y)
    w = _vector("w", w, X.shape[1])
    residual = y - X @ w - float(b)
    return float(np.mean(residual**2)) + dropout_ridge_penalty(X, w, keep)


def _penalised_fit(X, y, diagonal, bias):
    n, d = X.shape
    if bias:
        A = np.column_stack([X, np.ones(n)])
        diagonal = np.append(diagonal, 0.0)
    else:
        A = X
    coefficients = np.linalg.solve(A.T @ A + np.diag(diagonal), A.T @ y)
    return (coefficients[:d], float(coefficients[d]) if bias else 0.0)


def dropout_ridge_fit(X, y, keep, *, bias: bool = True) -> tuple[np.ndarray, float]:
    r"""``(w, b)`` minimising :func:`expected_dropout_mse` (``b`` = 0 without ``bias``): the
    normal equations of the ridge problem with a penalty per feature,

    .. math:: \bigl(X^\top X + \tfrac{1-p}{p}\,\mathrm{diag}(X^\top X)\bigr)\,w = X^\top y

    (with an unpenalised column of ones for the bias). A feature's penalty grows with its own
    scale, so rescaling a feature rescales its weight and leaves the predictions as they were;
    :func:`ridge_fit` does not have that property."""
    X, y = _regression(X, y)
    keep = _keep(keep)
    return _penalised_fit(X, y, (1.0 - keep) / keep * np.sum(X**2, axis=0), bias)


def ridge_fit(X, y, l2: float, *, bias: bool = True) -> tuple[np.ndarray, float]:
    r"""``(w, b)`` minimising :math:`\frac1N\|y - Xw - b\|^2 + \frac{\lambda}{N}\|w\|^2`
    (``l2`` = :math:`\lambda \ge 0`; the bias is not penalised): plain ridge regression,
    :math:`(X^\top X + \lambda I)w = X^\top y`."""
    X, y = _regression(X, y)
    l2 = float(l2)
    if not (math.isfinite(l2) and l2 >= 0.0):
        raise ValueError(f"l2 must be a finite number >= 0, got {l2!r}")
    return _penalised_fit(X, y, np.full(X.shape[1], l2), bias)


# --------------------------------------------------------------------------- symmetry


def unit_spread(weight) -> float:
    r""":math:`\max_j \|W_{j,:} - \bar W\|` with :math:`\bar W` the mean row: how far the units
    of a layer (the rows of its weight matrix ``(n_out, n_in)``) are from being copies of each
    other. It is 0 exactly when all units have the same incoming weights."""
    W = _matrix("weight", weight)
    return float(np.max(np.linalg.norm(W - W.mean(axis=0), axis=1)))


# --------------------------------------------------------------------------- a real network


class DigitsSweep(NamedTuple):
    """Runs of :func:`digits_sweep`; arrays indexed ``[drop, width, ...]``."""

    drops: tuple
    """The drop probabilities (PyTorch's ``p``), ``D`` of them."""
    widths: tuple
    """The widths of the two hidden layers, ``W`` of them."""
    epochs: np.ndarray
    """``1 .. E``."""
    train_loss: np.ndarray
    """``(D, W, E)``: cross-entropy on the training set at the end of each epoch, evaluation
    mode (no dropout), against the training labels the network saw."""
    val_loss: np.ndarray
    """``(D, W, E)``: the same on the validation set."""
    val_accuracy: np.ndarray
    """``(D, W, E)``: validation accuracy at the end of each epoch."""
    samples: np.ndarray
    """``1 .. S``: the numbers of Monte-Carlo samples of the curves below."""
    mc_loss: np.ndarray
    """``(D, W, S)``: validation cross-entropy of the arithmetic mean of the first ``s``
    Monte-Carlo predictions of the trained network (NaN where ``drop`` is 0)."""
    mc_geometric_loss: np.ndarray
    """``(D, W, S)``: the same for their normalised geometric mean."""
    mc_accuracy: np.ndarray
    """``(D, W, S)``: validation accuracy of the arithmetic mean."""
    scaled_loss: np.ndarray
    """``(D, W)``: validation cross-entropy of the weight-scaled single pass."""
    scaled_accuracy: np.ndarray
    """``(D, W)``: its accuracy."""
    n_train: int
    """The number of training digits."""
    flipped: int
    """How many training labels were replaced by a wrong one."""


def flip_labels(labels, fraction: float, classes: int, *, seed=0) -> tuple[np.ndarray, int]:
    """A copy of ``labels`` (integers in ``[0, classes)``) in which each label is, with
    probability ``fraction`` (in [0, 1)), replaced by one of the other ``classes - 1`` labels
    chosen uniformly; and how many were replaced. The draws come from
    ``numpy.random.default_rng(seed)``."""
    y = np.asarray(labels)
    if y.ndim != 1 or y.dtype.kind not in "iu" or (y.size and (y.min() < 0 or y.max() >= classes)):
        raise ValueError(f"labels must be a 1-D array of integers in [0, {classes - 1}]")
    fraction = float(fraction)
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction must be in [0, 1), got {fraction!r}")
    rng = np.random.default_rng(seed)
    flip = rng.random(y.size) < fraction
    shift = rng.integers(1, classes, y.size)
    return np.where(flip, (y + shift) % classes, y), int(flip.sum())


def digits_sweep(drops=(0.0, 0.2, 0.5, 0.8), widths=(16, 64, 256), *, n_train: int = 300,
                 flip_fraction: float = 0.3, epochs: int = 100, batch_size: int = 32,
                 lr: float = 1e-3, samples: int = 100, seed=0) -> DigitsSweep:
    r"""Train ``mlp([64, w, w, 10], dropout=drop)`` (ReLU, He initialisation, dropout after
    each hidden layer) on the 8×8 digits for every ``drop`` and width ``w``, with Adam
    (``lr``, mini-batches of ``batch_size``), for ``epochs`` epochs.

    The training set is the first ``n_train`` training digits of ``data.digits(seed=0)``, with
    a fraction ``flip_fraction`` of their labels replaced by wrong ones (:func:`flip_labels`),
    so that a network able to memorise them has something to memorise; the validation set
    keeps its true labels. Every run starts from the same ``seed``. After training, each
    network with dropout predicts the validation set ``samples`` times with fresh masks
    (:func:`optbook.nn.instruments.mc_dropout_predict`); the curves of :class:`DigitsSweep`
    average the first ``s`` of them.
    """
    split = data.digits(seed=0)
    if isinstance(n_train, bool) or not isinstance(n_train, int) or not (
        10 <= n_train <= split.X_train.shape[0]
    ):
        raise ValueError(f"n_train must be an integer in [10, {split.X_train.shape[0]}], "
                         f"got {n_train!r}")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples must be an integer >= 1, got {samples!r}")
    for drop in drops:
        if not 0.0 <= float(drop) < 1.0:
            raise ValueError(f"drops must lie in [0, 1), got {drop!r}")
    X = split.X_train[:n_train]
    y, flipped = flip_labels(split.y_train[:n_train], flip_fraction, 10, seed=seed)
    X_val, y_val = split.X_val, split.y_val
    shape = (len(drops), len(widths))
    train_loss, val_loss, val_accuracy = (np.empty((*shape, epochs)) for _ in range(3))
    mc_loss, mc_geometric_loss, mc_accuracy = (np.full((*shape, samples), np.nan)
                                               for _ in range(3))
    scaled_loss, scaled_accuracy = np.empty(shape), np.empty(shape)
    counts = np.arange(1, samples + 1)
    rows = np.arange(y_val.size)
    for i, drop in enumerate(drops):
        for j, width in enumerate(widths):
            net = nn.mlp([64, width, width, 10], dropout=float(drop) if drop > 0 else None,
                         seed=seed)
            history = nn.train(net, "cross_entropy", optimizers.adam(lr), (X, y),
                               validation=(X_val, y_val), epochs=epochs,
                               batch_size=batch_size, seed=seed, progress=False,
                               on_epoch_end=lambda _, n: n.evaluate(X, y, "cross_entropy")[0])
            train_loss[i, j] = history.epoch_results
            val_loss[i, j] = history.val_loss
            val_accuracy[i, j] = history.val_accuracy
            scaled = _log_softmax(net.predict(X_val))
            scaled_loss[i, j] = -np.mean(scaled[rows, y_val])
            scaled_accuracy[i, j] = np.mean(np.argmax(scaled, axis=-1) == y_val)
            if drop == 0:
                continue
            logits = nn.mc_dropout_predict(net, X_val, samples, probabilities=False,
                                           seed=seed).members
            log_p = _log_softmax(logits)
            running = np.cumsum(np.exp(log_p), axis=0) / counts[:, None, None]
            mc_loss[i, j] = -np.mean(np.log(running[:, rows, y_val]), axis=1)
            mc_accuracy[i, j] = np.mean(np.argmax(running, axis=-1) == y_val, axis=1)
            geometric = _normalise_log(np.cumsum(log_p, axis=0) / counts[:, None, None])
            mc_geometric_loss[i, j] = -np.mean(np.log(geometric[:, rows, y_val]), axis=1)
    return DigitsSweep(tuple(float(d) for d in drops), tuple(int(w) for w in widths),
                       np.arange(1, epochs + 1), train_loss, val_loss, val_accuracy, counts,
                       mc_loss, mc_geometric_loss, mc_accuracy, scaled_loss, scaled_accuracy,
                       n_train, flipped)
