r"""A fair learning-rate search: every rule gets the same grid of multiples of its own default
rate, the same network, data, epochs and seeds, and is judged by the same validation number.

:func:`learning_rate_search` trains one fresh network per learning rate with
:func:`optbook.nn.train` and keeps, for each rate, the validation loss at the end of training
(a run that diverged, or whose loss is not finite, counts as :math:`+\infty`); the best rate is
the one with the smallest. A best rate at either end of the grid is flagged: the grid should
then be widened, since the true best may lie beyond it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from optbook import nn
from optbook.optimizers import Optimizer


class Search(NamedTuple):
    """The result of :func:`learning_rate_search`."""

    lrs: np.ndarray
    """The learning rates tried, in the order given."""
    val_loss: np.ndarray
    """Validation loss at the end of each run (``inf`` where it diverged)."""
    best: int
    """Index of the smallest validation loss (the first, on a tie)."""
    at_edge: bool
    """Whether the best rate is the first or last of the grid."""
    histories: list
    """The :class:`~optbook.nn.train.History` of each run."""

    @property
    def best_lr(self) -> float:
        return float(self.lrs[self.best])


def learning_rate_search(make_optimizer: Callable[[float], Optimizer], lrs,
                         make_net: Callable[[], nn.Sequential], data, validation, *,
                         loss="cross_entropy", epochs: int, batch_size: int,
                         seed: int = 0) -> Search:
    """Train ``make_net()`` with ``make_optimizer(lr)`` for each ``lr`` in ``lrs`` on
    ``data = (X, y)``, score it on ``validation = (X_val, y_val)`` and return the
    :class:`Search`. Every run uses the same ``seed`` (mini-batch order), so the runs differ
    only by their learning rate."""
    lrs = np.asarray(lrs, dtype=np.float64)
    if lrs.ndim != 1 or lrs.size < 1 or not np.all(np.isfinite(lrs)) or np.any(lrs <= 0):
        raise ValueError(f"lrs must be a non-empty list of positive learning rates, got {lrs}")
    if not callable(make_optimizer) or not callable(make_net):
        raise ValueError("make_optimizer and make_net must be functions")
    histories, scores = [], []
    for lr in lrs:
        opt = make_optimizer(float(lr))
        if not isinstance(opt, Optimizer):
            raise ValueError(f"make_optimizer must return an Optimizer, got {type(opt).__name__}")
        history = nn.train(make_net(), loss, opt, data, validation=validation, epochs=epochs,
                           batch_size=batch_size, seed=seed, progress=False)
        final = history.val_loss[-1] if history.epochs_run else math.nan
        diverged = history.diverged_at is not None or not math.isfinite(final)
        scores.append(math.inf if diverged else float(final))
        histories.append(history)
    scores = np.array(scores)
    best = int(np.argmin(scores))
    return Search(lrs, scores, best, best in (0, lrs.size - 1), histories)
