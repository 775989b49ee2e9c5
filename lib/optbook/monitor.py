r"""Reading a training run's curves: the symptoms of the common failures, and their names.

:func:`symptoms` measures, from a :class:`~optbook.nn.train.History` recorded per epoch,
the numbers a practitioner looks at (DD2424 lecture 5, CS231n's *Neural Networks Part 3*);
:func:`diagnose` names the run by the first rule that fires, in this order:

1. ``"diverged"`` (learning rate too high): the loss became non-finite
   (``History.diverged_at`` is set);
2. ``"dead units"``: in some ReLU layer at least ``dead`` (default 0.5) of the units had an
   input :math:`\le 0` for every example of the last recorded batch: they pass no gradient to
   their weights, and nothing revives them;
3. ``"saturated units"``: in some tanh or sigmoid layer at least ``saturated`` (0.5) of the
   outputs sat where the derivative is below 2 % of its peak;
4. ``"plateau at chance"`` (a bad initialisation): the first ``plateau`` (3) or more epochs
   kept the training loss within ``chance_tol`` (2 %) of :math:`\ln C`, the loss of a uniform
   guess;
5. ``"too slow"`` (learning rate too low): the training loss fell by less than a factor
   ``slow`` (10) over the run and was still falling over its last quarter;
6. ``"overfitting"``: the final training accuracy exceeds the validation accuracy by at least
   ``gap`` (0.05), the DD2424 lecture's sign, or the validation loss ended at least
   ``rise`` (10 %) above its minimum;
7. ``"healthy"``: none of these.

The thresholds are rules of thumb, stated so that a reader can apply them to their own runs;
the chapter on training in practice shows one real run per name.

The update-to-weight ratio :math:`\|\Delta W\|/\|W\|` of each linear layer is recorded by
:func:`optbook.nn.train`; :func:`layer_ratios` summarises it over a window of records. Two
formulas predict the first step's ratio: the DD2424 lecture's
:math:`\|\eta\nabla_W J\|/\|W\|` (:func:`gradient_ratios`), which is plain SGD's, and
:math:`\eta\sqrt{N}/\|W\|` (:func:`sign_step_ratios`), which is Adam's.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from optbook import nn
from optbook.nn import History

NAMES = ("diverged", "dead units", "saturated units", "plateau at chance", "too slow",
         "overfitting", "healthy")
"""The names :func:`diagnose` gives, in the order its rules are tried."""


class Symptoms(NamedTuple):
    """What :func:`symptoms` measured on a run (NaN where the run has no such record)."""

    diverged_at: int | None
    dead: float
    """The largest fraction of dead units of a ReLU layer at the last record."""
    saturated: float
    """The largest fraction of saturated outputs of a tanh or sigmoid layer at the last
    record."""
    plateau_epochs: int
    """Leading epochs whose training loss stayed within the tolerance of :math:`\\ln C`."""
    loss_drop: float
    """First epoch's training loss divided by the last's."""
    last_quarter_drop: float
    """Relative fall of the training loss over the last quarter of the epochs, positive while
    it falls."""
    accuracy_gap: float
    """Final training accuracy minus final validation accuracy."""
    val_rise: float
    """Final validation loss over its minimum, minus 1."""


def _fraction(name, value):
    value = float(value)
    if not (0.0 < value < math.inf):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return value


def _last_layer_values(history, stat):
    values = [stats[stat][-1] for stats in history.activations.values()
              if stats[stat].size and not math.isnan(stats[stat][-1])]
    return max(values) if values else math.nan


def _per_epoch(history, values):
    """Per-epoch means of per-step records (the epoch mode's records are returned as they are;
    a diverged run's last, partial epoch is left out)."""
    if history.record == "epoch":
        return values
    epochs = history.epoch[: values.size]
    full = epochs <= history.epochs_run
    counts = np.bincount(epochs[full])[1:]
    return np.bincount(epochs[full], weights=values[full])[1:] / np.maximum(counts, 1)


def symptoms(history: History, n_classes: int, *, chance_tol: float = 0.02) -> Symptoms:
    r"""The symptoms of a run, for a classifier with ``n_classes`` classes (the chance loss
    :math:`\ln C`); ``chance_tol`` is the relative tolerance around it. A run recorded per
    step is read through its per-epoch means of the training loss and accuracy."""
    if not isinstance(history, History):
        raise ValueError(f"history must be an optbook.nn History, got {type(history).__name__}")
    if isinstance(n_classes, bool) or not isinstance(n_classes, int | np.integer) or (
        n_classes < 2
    ):
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    chance_tol = _fraction("chance_tol", chance_tol)
    loss = _per_epoch(history, history.train_loss)
    train_accuracy = _per_epoch(history, history.train_accuracy)
    chance = math.log(n_classes)
    near = np.abs(loss - chance) <= chance_tol * chance
    plateau = int(np.argmin(near)) if not near.all() else int(near.size)
    if loss.size >= 2:
        quarter = loss[-(max(loss.size // 4, 1) + 1)]
        loss_drop = float(loss[0] / loss[-1]) if loss[-1] > 0 else math.inf
        last_quarter = float((quarter - loss[-1]) / quarter)
    else:
        loss_drop = last_quarter = math.nan
    if history.val_loss.size and train_accuracy.size:
        gap = float(train_accuracy[-1] - history.val_accuracy[-1])
        rise = float(history.val_loss[-1] / np.min(history.val_loss) - 1.0)
    else:
        gap = rise = math.nan
    return Symptoms(history.diverged_at, _last_layer_values(history, "dead"),
                    _last_layer_values(history, "saturated"), plateau, loss_drop,
                    last_quarter, gap, rise)


def diagnose(history: History, n_classes: int, *, dead: float = 0.5, saturated: float = 0.5,
             plateau: int = 3, chance_tol: float = 0.02, slow: float = 10.0, gap: float = 0.05,
             rise: float = 0.1) -> str:
    """The name of the first rule of the module docstring that ``history`` meets (one of
    :data:`NAMES`)."""
    s = symptoms(history, n_classes, chance_tol=chance_tol)
    if s.diverged_at is not None:
        return "diverged"
    if s.dead >= _fraction("dead", dead):
        return "dead units"
    if s.saturated >= _fraction("saturated", saturated):
        return "saturated units"
    if isinstance(plateau, bool) or not isinstance(plateau, int | np.integer) or plateau < 1:
        raise ValueError(f"plateau must be an integer >= 1, got {plateau!r}")
    if s.plateau_epochs >= plateau:
        return "plateau at chance"
    if s.loss_drop < _fraction("slow", slow) and s.last_quarter_drop > 0.0:
        return "too slow"
    if s.accuracy_gap >= _fraction("gap", gap) or s.val_rise >= _fraction("rise", rise):
        return "overfitting"
    return "healthy"


def layer_ratios(history: History, start: int = 0, stop: int | None = None) -> dict:
    r"""The median update-to-weight ratio :math:`\|\Delta W\|/\|W\|` of each linear layer over
    the records ``start:stop`` (all by default)."""
    if not isinstance(history, History):
        raise ValueError(f"history must be an optbook.nn History, got {type(history).__name__}")
    out = {}
    for name, values in history.update_ratio.items():
        window = values[start:stop]
        out[name] = float(np.median(window)) if window.size else math.nan
    return out


def _linear_weights(net):
    """``[(name, slice of its weights)]`` for each linear layer of ``net``."""
    if not isinstance(net, nn.Sequential):
        raise ValueError(f"net must be an optbook.nn Sequential, got {type(net).__name__}")
    names = [n for n, la in zip(net.names, net.layers, strict=True) if la.kind == "linear"]
    return list(zip(names, net.weight_slices, strict=True))


def gradient_ratios(net: nn.Sequential, x, targets, lr: float, *, l2: float = 0.0) -> dict:
    r"""The DD2424 lecture's ratio :math:`r = \|\eta\nabla_W J\|/\|W\|` of each linear
    layer, with the gradient of the batch ``(x, targets)`` (cross-entropy plus the ``l2``
    penalty) at the current parameters: the first update ratio of plain SGD on that batch.
    The network's gradients are overwritten."""
    layers = _linear_weights(net)
    net.loss_and_grad(x, targets, "cross_entropy", l2=l2)
    return {name: float(lr * np.linalg.norm(net.grads[s]) / np.linalg.norm(net.params[s]))
            for name, s in layers}


def sign_step_ratios(net: nn.Sequential, x, targets, lr: float, *, l2: float = 0.0) -> dict:
    r""":math:`\eta\sqrt{N_{\ne 0}}/\|W\|` for each linear layer, :math:`N_{\ne 0}` the number
    of its weights with a non-zero gradient on the batch: the ratio of a step that moves each
    such weight by :math:`\pm\eta`. It is Adam's first step (:math:`\hat m_1/\sqrt{\hat v_1}
    = g/|g|` up to :math:`\varepsilon`), whatever the gradient's size. Overwrites the
    network's gradients."""
    layers = _linear_weights(net)
    net.loss_and_grad(x, targets, "cross_entropy", l2=l2)
    return {name: float(lr * np.sqrt(np.count_nonzero(net.grads[s]))
                        / np.linalg.norm(net.params[s])) for name, s in layers}
