r"""Two problems on which adaptive methods fail, run with the library's update rules.

* :func:`reddi_online`: the online problem of Reddi, Kale & Kumar (2018), *On the convergence
  of Adam and beyond*, Theorem 1: on :math:`[-1, 1]` the losses are
  :math:`f_t(x) = Cx` when :math:`t \bmod 3 = 1` and :math:`-x` otherwise (:math:`C > 2`),
  so every three steps sum to :math:`(C-2)x`, best at :math:`x = -1`. With
  :math:`\beta_1 = 0` and :math:`\beta_2 = 1/(1+C^2)`, Adam drifts to :math:`x = +1`, the
  worst point; AMSGrad goes to :math:`-1`.
* :func:`wilson_fit`: least squares on the separable data of Wilson et al. (2017)
  (:func:`optbook.data.wilson_separable`), full-batch, from :math:`w = 0`.

Both step the rules through the checked :func:`~optbook.optimizers.state.step`, so they run exactly
the kernels the rest of the book runs.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from optbook import optimizers
from optbook.data import TrainTest
from optbook.optimizers import Optimizer


class OnlineRun(NamedTuple):
    """One run of :func:`reddi_online`."""

    positions: np.ndarray
    """``(steps + 1,)``: :math:`x_0 .. x_T`, each after its projection onto :math:`[-1, 1]`."""
    gradients: np.ndarray
    """``(steps,)``: :math:`g_t = C` or :math:`-1`."""
    average_regret: np.ndarray
    r"""``(steps,)``: :math:`R_t/t` with :math:`R_t = \sum_{s\le t} f_s(x_{s-1}) -
    \min_{x\in[-1,1]}\sum_{s\le t} f_s(x)`."""


class LeastSquaresFit(NamedTuple):
    """One run of :func:`wilson_fit`."""

    w: np.ndarray
    """The final weights."""
    train_loss: np.ndarray
    r"""``(steps + 1,)``: :math:`\frac12\|Xw_t - y\|^2` on the training set."""
    train_error: float
    """Fraction of training points with :math:`\\mathrm{sign}(x^\\top w) \\ne y` (0 counts as
    an error)."""
    test_error: float
    """The same on the test set."""


def _check_count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_optimizer(opt):
    if not isinstance(opt, Optimizer):
        raise ValueError(f"optimizer must be an optbook Optimizer, got {type(opt).__name__}")
    if opt.lookahead:
        raise ValueError("look-ahead forms need the gradient elsewhere; use another form")


def reddi_online(opt: Optimizer, steps: int, *, C: float = 3.0, x0: float = 0.0) -> OnlineRun:
    r"""Run ``opt`` on the online problem of Reddi et al. (2018, Theorem 1).

    Step :math:`t = 1, 2, \dots` takes the gradient :math:`g_t = C` if :math:`t \bmod 3 = 1`,
    else :math:`-1`, with the learning rate :math:`\eta_t = \eta/\sqrt t` (``opt.lr`` is
    :math:`\eta`), then projects the iterate onto :math:`[-1, 1]`. The paper's Adam has no
    bias correction; the library's has it (:math:`1-\beta_2^t` is within :math:`10^{-6}` of 1
    after six steps at :math:`\beta_2 = 0.1`).
    """
    _check_optimizer(opt)
    steps = _check_count("steps", steps, 1)
    if not (isinstance(C, int | float) and math.isfinite(C) and C > 2):
        raise ValueError(f"C must be a real number > 2, got {C!r}")
    if not (isinstance(x0, int | float) and -1.0 <= x0 <= 1.0):
        raise ValueError(f"x0 must lie in [-1, 1], got {x0!r}")
    t = np.arange(1, steps + 1)
    gradients = np.where(t % 3 == 1, float(C), -1.0)
    x = np.array([float(x0)])
    state = opt.init_state(1)
    positions = np.empty(steps + 1)
    positions[0] = x0
    for k in range(steps):
        optimizers.step(opt, x, gradients[k:k + 1].copy(), state, opt.lr / math.sqrt(k + 1))
        np.clip(x, -1.0, 1.0, out=x)
        positions[k + 1] = x[0]
    # f_t(x) = g_t x is linear: the best fixed point of the first t losses is -sign(G_t).
    paid = np.cumsum(gradients * positions[:-1])
    best = -np.abs(np.cumsum(gradients))
    return OnlineRun(positions, gradients, (paid - best) / t)


def _sign_error(X, y, w) -> float:
    return float(np.mean(np.sign(X @ w) != y))


def wilson_fit(opt: Optimizer, data: TrainTest, steps: int) -> LeastSquaresFit:
    r"""Fit :math:`\min_w \frac12\|Xw - y\|^2` on ``data``'s training set with ``opt``,
    full batch, from :math:`w = 0`, for ``steps`` steps (gradient :math:`X^\top(Xw - y)`).

    Errors count :math:`\mathrm{sign}(x^\top w) \ne y`, as Wilson et al. classify.
    """
    _check_optimizer(opt)
    if not isinstance(data, TrainTest):
        raise ValueError(f"data must be a data.TrainTest, got {type(data).__name__}")
    steps = _check_count("steps", steps, 1)
    X, y = data.X_train, data.y_train
    w = np.zeros(X.shape[1])
    state = opt.init_state(w.size)
    losses = np.empty(steps + 1)
    residual = X @ w - y
    losses[0] = 0.5 * residual @ residual
    for k in range(steps):
        optimizers.step(opt, w, X.T @ residual, state, None)
        residual = X @ w - y
        losses[k + 1] = 0.5 * residual @ residual
    return LeastSquaresFit(w, losses, _sign_error(X, y, w),
                           _sign_error(data.X_test, data.y_test, w))
