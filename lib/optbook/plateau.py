r"""Reduce the learning rate when the loss stops improving: a schedule driven by the run.

:class:`ReduceOnPlateau` holds the rule's settings and :meth:`ReduceOnPlateau.start` a
:class:`PlateauTracker` that a training loop feeds once per epoch with the loss it watches.
The rule is ``torch.optim.lr_scheduler.ReduceLROnPlateau`` in its default mode (``"min"``,
relative threshold), written from its documentation:

* a loss :math:`\ell` is an improvement if :math:`\ell < \ell_{\text{best}}(1 - \text{threshold})`
  (it then becomes :math:`\ell_{\text{best}}`, initially :math:`+\infty`);
* after more than ``patience`` epochs in a row without improvement the rate becomes
  :math:`\max(\text{factor}\cdot\eta, \eta_{\min})` (unless that changes it by less than
  :math:`10^{-8}`), and the count restarts;
* for ``cooldown`` epochs after a cut, epochs are not counted.

Two loops drive it: :func:`optbook.finite_sum.sgd` (the full loss of a finite sum after
every :math:`\lceil N/S\rceil` steps) and :func:`train_network` (a network from
:mod:`optbook.nn`, trained epoch by epoch with plain SGD, watching the training or the
validation loss). ``nn.train`` takes its rates from a schedule fixed before the run, so
:func:`train_network` calls it once per epoch with the current rate; plain SGD keeps no state
between steps, so this is the same method as one long run, with the data shuffled by the seed
``(seed, epoch)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from optbook import checks, nn, optimizers

_MIN_CHANGE = 1e-8
"""A cut that changes the rate by less than this is skipped (PyTorch's ``eps``)."""




@dataclass(frozen=True)
class ReduceOnPlateau:
    """The settings of the rule (PyTorch's defaults): ``factor`` in (0, 1), ``patience`` >= 0
    epochs, relative ``threshold`` >= 0, ``cooldown`` >= 0 epochs, ``min_lr`` >= 0."""

    factor: float = 0.1
    patience: int = 10
    threshold: float = 1e-4
    cooldown: int = 0
    min_lr: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "factor", checks.real("factor", self.factor, 0.0, 1.0, True, True))
        object.__setattr__(self, "patience", checks.count("patience", self.patience, 0))
        object.__setattr__(self, "threshold", checks.real("threshold", self.threshold, 0.0, 1.0,
                                                    high_open=True))
        object.__setattr__(self, "cooldown", checks.count("cooldown", self.cooldown, 0))
        object.__setattr__(self, "min_lr", checks.real("min_lr", self.min_lr, 0.0))

    def start(self, lr: float) -> PlateauTracker:
        """A tracker that starts at the rate ``lr`` (> 0)."""
        return PlateauTracker(self, checks.real("lr", lr, 0.0, low_open=True))


class PlateauTracker:
    """The state of one run under a :class:`ReduceOnPlateau` rule: the current rate ``lr``,
    the best loss so far, the epochs without improvement and the epochs of cooldown left."""

    def __init__(self, rule: ReduceOnPlateau, lr: float):
        self.rule = rule
        self.lr = lr
        self.best = math.inf
        self.bad_epochs = 0
        self.cooldown_left = 0
        self.cuts = 0

    def step(self, loss: float) -> float:
        """Feed the loss of the epoch just finished; returns the rate for the next epoch."""
        loss = float(loss)
        rule = self.rule
        if loss < self.best * (1.0 - rule.threshold):
            self.best = loss
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.bad_epochs = 0
        if self.bad_epochs > rule.patience:
            new = max(self.lr * rule.factor, rule.min_lr)
            if self.lr - new > _MIN_CHANGE:
                self.lr = new
                self.cuts += 1
            self.cooldown_left = rule.cooldown
            self.bad_epochs = 0
        return self.lr


MONITORS = ("train_loss", "val_loss")


class PlateauRun(NamedTuple):
    """Per-epoch records of :func:`train_network` (length ``epochs_run``)."""

    lr: np.ndarray
    """The rate used in each epoch."""
    train_loss: np.ndarray
    """Mean mini-batch loss over the epoch (as :class:`optbook.nn.train.History` records it)."""
    val_loss: np.ndarray
    """Validation loss at the end of each epoch (NaN without validation data)."""
    val_accuracy: np.ndarray
    """Validation accuracy at the end of each epoch (NaN without validation data)."""
    steps_per_epoch: int
    diverged: bool
    """Whether an epoch diverged (the records stop before it)."""


def train_network(net, loss, lr: float, data, rule: ReduceOnPlateau, *, epochs: int,
                  batch_size: int = 64, validation=None, monitor: str = "train_loss",
                  seed=0) -> PlateauRun:
    """Train ``net`` in place with plain SGD from the rate ``lr``, cut by ``rule`` on the
    ``monitor``\\ ed loss (``"train_loss"`` or ``"val_loss"``, which needs ``validation``)
    after each epoch; ``loss``, ``data``, ``batch_size`` and ``validation`` as for
    :func:`optbook.nn.train`. Epoch :math:`e` (from 1) is one ``nn.train`` epoch with seed
    ``(seed, e)``; ``seed`` an integer >= 0."""
    if not isinstance(rule, ReduceOnPlateau):
        raise ValueError(f"rule must be a ReduceOnPlateau, got {type(rule).__name__}")
    if monitor not in MONITORS:
        raise ValueError(f"monitor must be one of {MONITORS}, got {monitor!r}")
    if monitor == "val_loss" and validation is None:
        raise ValueError("monitor='val_loss' needs validation data")
    epochs = checks.count("epochs", epochs, 1)
    seed = checks.count("seed", seed, 0)
    tracker = rule.start(lr)
    records = {key: [] for key in ("lr", "train_loss", "val_loss", "val_accuracy")}
    steps_per_epoch = 0
    diverged = False
    for epoch in range(1, epochs + 1):
        history = nn.train(net, loss, optimizers.gd(tracker.lr), data, epochs=1,
                           batch_size=batch_size, validation=validation,
                           seed=[seed, epoch], progress=False)
        steps_per_epoch = history.steps_run
        if history.diverged_at is not None:
            diverged = True
            break
        values = {"lr": tracker.lr, "train_loss": history.train_loss[-1],
                  "val_loss": history.val_loss[-1], "val_accuracy": history.val_accuracy[-1]}
        for key, value in values.items():
            records[key].append(value)
        tracker.step(values[monitor])
    return PlateauRun(*(np.array(records[key]) for key in records), steps_per_epoch, diverged)
