r"""What a batch size costs: steps and examples to reach a loss, and the gradient noise scale.

A step on a batch of :math:`S` examples costs about :math:`S` per-example gradients (plus a
fixed overhead per step that vectorised code hides for small :math:`S`); its noise has
covariance :math:`\Sigma/S` (:mod:`optbook.noise_ball`). :func:`steps_to_loss` measures, for one
network, one batch size and one learning rate, how many steps and how many examples plain SGD
(with the data reshuffled every epoch) needs until the full training loss falls to a target;
:func:`fastest_rate` repeats that over a grid of learning rates and keeps the rate that needs
the fewest steps.

:func:`noise_scale` computes the *simple noise scale* of McCandlish, Kaplan, Amodei et al.
(2018, *An empirical model of large-batch training*),

.. math:: B_{\text{simple}} = \frac{\operatorname{tr}\Sigma}{\|\nabla f\|^2},

from the per-example gradients (:func:`per_example_gradients`): the batch size at which the
noise of a mini-batch gradient, :math:`\operatorname{tr}\Sigma/S`, equals the squared length of
the gradient it estimates. Their model predicts that below it doubling :math:`S` nearly halves
the steps, and above it mostly doubles the examples.
"""

from __future__ import annotations

import math
import time
from typing import NamedTuple

import numpy as np

from optbook import checks, optimizers
from optbook.nn import Sequential
from optbook.nn.stepping import Stepper
from optbook.nn.threads import one_blas_thread


def _check_net(net):
    if not isinstance(net, Sequential):
        raise ValueError(f"net must be an optbook.nn Sequential, got {type(net).__name__}")
    return net




@one_blas_thread
def per_example_gradients(net: Sequential, loss, X, y) -> np.ndarray:
    r"""The gradient of every example's loss at the network's current parameters,
    :math:`\nabla_\theta \ell(f(x_i;\theta), y_i)`, as an ``(N, P)`` array (one backward pass
    per example, in training mode)."""
    x, targets, loss = _check_net(net).check_data(X, y, loss)
    out = np.empty((x.shape[0], net.size))
    for i in range(x.shape[0]):
        net.loss_and_grad_unchecked(x[i:i + 1], targets[i:i + 1], loss, 0.0, True)
        out[i] = net.grads
    return out


class NoiseScale(NamedTuple):
    """The simple noise scale and its two parts."""

    trace: float
    r""":math:`\operatorname{tr}\Sigma`, the total variance of one example's gradient."""
    grad_sq: float
    r""":math:`\|\nabla f\|^2`, the squared norm of the full gradient."""
    simple: float
    r""":math:`B_{\text{simple}} = \operatorname{tr}\Sigma/\|\nabla f\|^2`."""


def noise_scale(grads) -> NoiseScale:
    r""":math:`B_{\text{simple}}` from per-example gradients ``grads`` ``(N, P)``; the
    covariance :math:`\Sigma` is the population one (divided by :math:`N`)."""
    grads = np.asarray(grads, dtype=np.float64)
    if grads.ndim != 2 or grads.shape[0] < 2 or not np.all(np.isfinite(grads)):
        raise ValueError(f"grads must be a finite (N, P) array with N >= 2, got {grads.shape}")
    mean = grads.mean(axis=0)
    trace = float(np.mean(np.sum((grads - mean) ** 2, axis=1)))
    grad_sq = float(mean @ mean)
    return NoiseScale(trace, grad_sq, trace / grad_sq if grad_sq > 0 else math.inf)


class Reach(NamedTuple):
    """When a run reached its target loss (``steps`` and ``examples`` are ``None`` if it did
    not within its budget)."""

    steps: int | None
    examples: int | None
    final_loss: float
    """The full training loss at the last evaluation (``inf`` if the run diverged)."""


@one_blas_thread
def steps_to_loss(net: Sequential, loss, data, lr: float, batch_size: int, target: float, *,
                  max_examples: int, eval_every: int, max_steps: int | None = None,
                  seed=0) -> Reach:
    r"""Train ``net`` in place with plain SGD at rate ``lr`` on ``data = (X, y)``, batches of
    ``batch_size`` from a fresh permutation every epoch (``np.random.default_rng(seed)``),
    until the full training loss is at most ``target``.

    The full loss is evaluated after the first step at which the examples seen reach each
    multiple of ``eval_every``, so ``steps`` and ``examples`` are measured to within
    ``eval_every`` examples. The run gives up after ``max_examples`` examples or
    ``max_steps`` steps, and at a non-finite loss (of a batch or of the whole set).
    """
    x, targets, loss = _check_net(net).check_data(*data, loss)
    lr = checks.positive("lr", lr)
    s = checks.count("batch_size", batch_size, 1, x.shape[0])
    target = float(target)
    max_examples = checks.count("max_examples", max_examples, 1)
    eval_every = checks.count("eval_every", eval_every, 1)
    max_steps = math.inf if max_steps is None else checks.count("max_steps", max_steps, 1)
    rng = np.random.default_rng(seed)
    stepper = Stepper(optimizers.gd(lr), net.size, net.dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run ends at a NaN loss
        return _run_to_target(net, x, targets, loss, stepper, lr, s, target, max_examples,
                              max_steps, eval_every, rng)


def _run_to_target(net, x, targets, loss, stepper, lr, s, target, max_examples, max_steps,
                   eval_every, rng):
    n = x.shape[0]
    params, grads = net.params, net.grads
    steps = examples = 0
    next_check = eval_every
    value = math.inf
    while True:
        order = rng.permutation(n)
        for start in range(0, n, s):
            idx = order[start:start + s]
            batch_loss = net.loss_and_grad_unchecked(x[idx], targets[idx], loss, 0.0, True)[0]
            if not math.isfinite(batch_loss):
                return Reach(None, None, math.inf)
            stepper.step(params, grads, lr)
            steps += 1
            examples += idx.size
            if examples >= next_check:
                next_check = (examples // eval_every + 1) * eval_every
                value = float(net.evaluate_unchecked(x, targets, loss)[0])
                if not math.isfinite(value):
                    return Reach(None, None, math.inf)
                if value <= target:
                    return Reach(steps, examples, value)
            if examples >= max_examples or steps >= max_steps:
                return Reach(None, None, value)


class Fastest(NamedTuple):
    """The learning rate of a grid that reached the target in the fewest steps."""

    lr: float | None
    steps: int | None
    examples: int | None
    tried: dict
    """Every rate tried and its :class:`Reach` (a run stopped once it needed more steps than
    the best so far has ``steps`` ``None``)."""


def fastest_rate(make_net, loss, data, batch_size: int, lrs, target: float, *,
                 max_examples: int, max_steps: int, eval_every: int, seed=0) -> Fastest:
    """:func:`steps_to_loss` for each rate of ``lrs`` from the largest down, each on a fresh
    network ``make_net()`` with the same shuffling ``seed``, within ``max_examples`` and
    ``max_steps``; once a rate has reached the target, the next runs are cut when they have
    taken as many steps, since they can no longer beat it. Returns the fastest rate (the
    larger one on a tie)."""
    lrs = sorted((checks.positive("lrs", lr) for lr in lrs), reverse=True)
    if not lrs:
        raise ValueError("lrs must hold at least one learning rate")
    best = None
    tried = {}
    for lr in lrs:
        cap = max_steps if best is None else min(max_steps, best.steps - 1)
        if cap == 0:
            break
        reach = steps_to_loss(make_net(), loss, data, lr, batch_size, target,
                              max_examples=max_examples, eval_every=eval_every, max_steps=cap,
                              seed=seed)
        tried[lr] = reach
        if reach.steps is not None:
            best = Fastest(lr, reach.steps, reach.examples, tried)
    if best is None:
        return Fastest(None, None, None, tried)
    return best._replace(tried=tried)


@one_blas_thread
def time_per_step(net: Sequential, loss, data, batch_sizes, *, calls: int = 20,
                  repeats: int = 5) -> np.ndarray:
    """Wall-clock seconds of one gradient evaluation and SGD step on a batch of each size in
    ``batch_sizes``, the best of ``repeats`` rounds of ``calls`` steps (the first rows of
    ``data``; the network's parameters move by a negligible rate, 1e-12). A measurement of
    the machine it runs on, not a deterministic result."""
    x, targets, loss = _check_net(net).check_data(*data, loss)
    calls = checks.count("calls", calls, 1)
    repeats = checks.count("repeats", repeats, 1)
    stepper = Stepper(optimizers.gd(1e-12), net.size, net.dtype)
    out = []
    for size in batch_sizes:
        s = checks.count("batch size", size, 1, x.shape[0])
        xb, tb = x[:s], targets[:s]
        best = math.inf
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(calls):
                net.loss_and_grad_unchecked(xb, tb, loss, 0.0, True)
                stepper.step(net.params, net.grads, 1e-12)
            best = min(best, (time.perf_counter() - start) / calls)
        out.append(best)
    return np.array(out)
