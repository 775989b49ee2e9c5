r"""Stochastic gradient descent with a rate per parameter and probes between the steps.

:func:`~optbook.nn.train.train` runs any update rule fast and records per step or epoch. The
batch-norm chapter needs three things it does not do: a learning rate that differs between
parameters (to move only the bias before a batch-norm layer, or to give the weights before it
the rate :math:`c^2\eta` after scaling them by :math:`c`), the norms of chosen parameter
blocks and of their gradients at every step, and measurements taken on the very mini-batch of
a step, between its gradient and its update (the loss along the gradient of Santurkar et al.
2018, their internal covariate shift). :func:`instrumented_sgd` is that loop, for plain SGD,

.. math:: \theta_{t+1} = \theta_t - \eta\, r \odot \nabla J_{B_t}(\theta_t),

with :math:`r` the per-parameter multipliers (1 by default) and :math:`J_{B_t}` the mean loss
of mini-batch :math:`B_t` in training mode. Its mini-batches are those of ``train`` with the same
seed (a permutation per epoch, the last batch of an epoch possibly shorter) and the step is
the registry's GD step (:mod:`~optbook.nn.stepping`), so without multipliers it reproduces
``train(net, loss, optimizers.gd(lr), ..., seed=seed)`` bit for bit.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from optbook import optimizers

from .network import Sequential, check_training_data
from .stepping import Stepper
from .threads import one_blas_thread


class SGDRecord(NamedTuple):
    """What :func:`instrumented_sgd` recorded."""

    loss: np.ndarray
    """The training-mode loss of each step's mini-batch at :math:`\\theta_t`, before the step."""
    norms: dict
    """The norm of each tracked block of parameters before every step and after the last one
    (one entry more than the steps run)."""
    grad_norms: dict
    """For each tracked block, the norm of its part of each step's gradient."""
    probe_steps: np.ndarray
    """The steps :math:`t` (from 0) at which the probe ran."""
    probes: list
    """What the probe returned at each of those steps."""
    diverged_at: int | None
    """The first :math:`t` whose loss (or whose parameters) is not finite, else ``None``."""
    steps_run: int


def _check_rates(rates, size):
    if rates is None:
        return None
    rates = np.asarray(rates, dtype=np.float64)
    if rates.shape != (size,) or not np.all(np.isfinite(rates)) or np.any(rates < 0.0):
        raise ValueError(f"rates must be None or {size} finite numbers >= 0, one per parameter "
                         f"(got shape {rates.shape})")
    return rates


def _check_track(track, size):
    track = {} if track is None else dict(track)
    for name, block in track.items():
        if not isinstance(block, slice) or block.step not in (None, 1) or not (
            0 <= (block.start or 0) < (block.stop if block.stop is not None else size) <= size
        ):
            raise ValueError(f"track[{name!r}] must be a slice of the {size} parameters (like "
                             f"net.slices or net.weight_slices hold), got {block!r}")
    return track


@one_blas_thread
def instrumented_sgd(net: Sequential, loss, data, *, lr: float, steps: int,
                     batch_size: int = 64, seed=0, rates=None, track=None, probe=None,
                     every: int = 1) -> SGDRecord:
    r"""Run ``steps`` steps of SGD on ``net`` (in place) over ``data = (X, y)``.

    ``lr`` :math:`\eta \ge 0`; ``rates``: ``None`` or one multiplier :math:`r_i \ge 0` per
    parameter (0 freezes a parameter); ``track``: ``{name: slice}`` of parameter blocks whose
    norms and gradient norms are recorded at every step; ``probe(net, x, targets, update)``:
    called at steps :math:`t` with :math:`t \bmod` ``every`` :math:`= 0`, on that step's
    mini-batch, with ``net`` at :math:`\theta_t` (its ``grads`` holding the batch's gradient)
    and ``update`` :math:`= -\eta\, r\odot\nabla J` the step about to be taken; whatever it
    returns is kept, and the parameters, gradients and running statistics are restored after
    it, so a probe cannot change the run. The run stops at the first non-finite loss (a
    result: ``diverged_at``).
    """
    x, targets, loss = check_training_data(net, data, loss)
    n = x.shape[0]
    lr = float(lr)
    if not (math.isfinite(lr) and lr >= 0.0):
        raise ValueError(f"lr must be a finite number >= 0, got {lr!r}")
    for name, value, low in (("steps", steps, 1), ("every", every, 1),
                             ("batch_size", batch_size, 1)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if batch_size > n:
        raise ValueError(f"batch_size must be in [1, {n}] (the number of examples), "
                         f"got {batch_size}")
    if probe is not None and not callable(probe):
        raise ValueError("probe must be None or a function (net, x, targets, update)")
    rates = _check_rates(rates, net.size)
    track = _check_track(track, net.size)

    stepper = Stepper(optimizers.gd(lr), net.size, net.dtype)
    shuffle_seed, mask_seed = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(shuffle_seed)
    net.reseed_dropout(mask_seed)
    per_epoch = -(-n // batch_size)
    params, grads = net.params, net.grads
    losses = []
    norms = {name: [float(np.linalg.norm(params[s]))] for name, s in track.items()}
    grad_norms = {name: [] for name in track}
    probe_steps, probes = [], []
    diverged_at = None
    order = None
    for t in range(int(steps)):
        b = t % per_epoch
        if b == 0:
            order = rng.permutation(n)
        idx = order[b * batch_size:(b + 1) * batch_size]
        xb, yb = x[idx], targets[idx]
        value, _, _ = net.loss_and_grad_unchecked(xb, yb, loss, 0.0, True)
        if not math.isfinite(value):
            diverged_at = t
            break
        losses.append(value)
        step_grads = grads if rates is None else grads * rates
        for name, s in track.items():
            grad_norms[name].append(float(np.linalg.norm(grads[s])))
        if probe is not None and t % every == 0:
            saved = (params.copy(), grads.copy(), net.state())
            probes.append(probe(net, xb, yb, -lr * step_grads))
            probe_steps.append(t)
            params[...] = saved[0]
            grads[...] = saved[1]
            net.load_state(saved[2])
        stepper.step(params, step_grads, lr)
        for name, s in track.items():
            norms[name].append(float(np.linalg.norm(params[s])))
        if not np.all(np.isfinite(params)):
            diverged_at = t + 1
            break
    return SGDRecord(
        np.array(losses), {k: np.array(v) for k, v in norms.items()},
        {k: np.array(v) for k, v in grad_norms.items()}, np.array(probe_steps, dtype=np.int64),
        probes, diverged_at, len(losses) if diverged_at is None else diverged_at,
    )
