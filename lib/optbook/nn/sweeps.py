r"""Learning-rate sweeps of training runs: which rates train, which diverge, how fast.

:func:`lr_sweep` trains a fresh network (from one seed) at each learning rate of a grid with
:func:`~optbook.nn.train.train` and keeps, per rate, the mean training loss of the last epoch
and the step at which the run diverged, if it did (a loss that is not finite, or a parameter
beyond the divergence bound; divergence is a result, and NumPy's overflow warnings on the way
there are silenced). :func:`largest_rate` reads the largest rate of the grid that a criterion
accepts, and :func:`steps_to_loss` the first step at which a run's loss fell below a target.

On a quadratic loss with full-batch gradient descent the boundary is known in closed form:
the run converges for :math:`\eta < 2/\lambda_{\max}(H)` and diverges above it (the
gradient-descent chapter); the tests check the sweep against it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from optbook import optimizers

from .train import train


class Sweep(NamedTuple):
    """The outcome of :func:`lr_sweep`, one entry per learning rate."""

    lrs: np.ndarray
    final_loss: np.ndarray
    """Mean training loss over the last epoch's mini-batches (``nan`` if the run diverged)."""
    diverged_at: np.ndarray
    """The step at which the run diverged, or -1."""
    histories: list
    """Each run's :class:`~optbook.nn.train.History`."""


def lr_sweep(build, lrs, data, *, loss="cross_entropy", epochs: int, batch_size: int = 64,
             seed=0, rule=optimizers.gd, record: str = "epoch") -> Sweep:
    r"""Train ``build()`` (a function returning a fresh network, the same one at each call)
    with ``rule(lr)`` (default gradient descent, i.e. SGD on mini-batches) for each ``lr`` in
    ``lrs`` (numbers > 0) and ``epochs`` epochs; the shuffle is seeded by ``seed``, so every
    rate sees the same mini-batches."""
    lrs = np.asarray(lrs, dtype=np.float64)
    if lrs.ndim != 1 or lrs.size == 0 or not np.all(np.isfinite(lrs)) or np.any(lrs <= 0.0):
        raise ValueError("lrs must be a non-empty 1-D array of finite learning rates > 0")
    if not callable(build):
        raise ValueError("build must be a function returning a new network")
    final = np.full(lrs.size, np.nan)
    diverged = np.full(lrs.size, -1, dtype=np.int64)
    histories = []
    for k, lr in enumerate(lrs):
        with np.errstate(over="ignore", invalid="ignore"):
            history = train(build(), loss, rule(float(lr)), data, epochs=epochs,
                            batch_size=batch_size, seed=seed, record=record, progress=False)
        histories.append(history)
        if history.diverged_at is not None:
            diverged[k] = history.diverged_at
        else:
            final[k] = history.train_loss[-1] if record == "epoch" else np.mean(
                history.train_loss[history.epoch == history.epoch[-1]])
    return Sweep(lrs, final, diverged, histories)


def largest_rate(sweep: Sweep, below: float = math.inf) -> float:
    r"""The largest rate of the sweep whose run did not diverge and ended with a final loss
    below ``below`` (default: any finite loss), ``nan`` if none did. Rates are read in the
    sweep's order of size, so a rate that fails between two that pass does not hide the
    larger one: the answer is the largest passing rate."""
    ok = (sweep.diverged_at < 0) & (sweep.final_loss < below)
    return float(sweep.lrs[ok].max()) if np.any(ok) else math.nan


def steps_to_loss(history, target: float) -> int | None:
    """How many steps a run took to bring its recorded training loss to ``target`` or below
    (``None`` if it never did). In step mode a record is the loss of a mini-batch at
    :math:`\\theta_{t}` before step :math:`t+1`, so the answer is :math:`t`; in epoch mode a
    record is an epoch's mean, and the answer is the number of steps at the epoch's end."""
    below = np.flatnonzero(np.asarray(history.train_loss) <= target)
    if not below.size:
        return None
    step = int(history.step[below[0]])
    return step - 1 if history.record == "step" else step
