r"""Training by mini-batches with the book's update rules, and what a run records.

:func:`train` shuffles the training set with a seeded generator, takes mini-batches of
``batch_size`` (without replacement, one pass per epoch; or drawn with replacement, the same
number of steps per epoch), and for each computes the loss and gradient, checks them,
optionally clips the gradient, and moves the whole flat parameter vector with one call of the
rule (:mod:`optbook.nn.stepping`). Step :math:`t` (from 1) uses the rate
``schedule(t, optimizer.lr)``.

A run is a result even when it diverges: at the first iterate :math:`\theta_k` whose loss is
not finite the run stops and reports :math:`k` as ``diverged_at`` (as
:func:`optbook.run.trajectory` does). The gradient's finiteness and the bound on the
parameters (an entry beyond ``bound`` in absolute value) are checked at the recorded steps
(every step, or the last of each epoch) and after the last step: a non-finite gradient makes
the next loss non-finite anyway, and checking them at every step took about 3 % of a digits
epoch (``benchmarks/bench_nn.py``). The same arguments and seed give the same run, bit for bit.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass

import numpy as np

from optbook import checks, schedules

from . import kernels
from .layers import Activation
from .network import Sequential, _check_l2, check_training_data
from .stepping import Stepper
from .threads import one_blas_thread

RECORD_MODES = ("epoch", "step")
PROGRESS_AFTER = 2.0
"""Seconds after which a run started in a notebook shows a progress bar."""


@dataclass
class History:
    """What a run recorded. Records are per step or per epoch (``record``); validation is
    evaluated at the end of every epoch.

    Per record (arrays of length ``k``): ``step`` (the number of steps taken when recorded),
    ``epoch`` (from 1), ``lr``; ``train_loss`` and ``train_accuracy`` (the mini-batch's, or in
    epoch mode their mean over the epoch's mini-batches weighted by size, taken in training
    mode before each step; data loss without the L2 penalty); ``grad_norm`` (the norm of the
    full gradient of the recorded step, penalty included, before clipping; in epoch mode the
    epoch's last step);
    ``update_ratio[name]`` (:math:`\\|\\Delta W\\|/\\|W\\|` of each linear layer's weights over
    the recorded step, in epoch mode the epoch's last); ``activations[name][stat]`` for each
    activation layer, ``stat`` one of ``mean``, ``std``, ``dead``, ``saturated``
    (:func:`~optbook.nn.layers.activation_statistics` of the recorded step's batch).

    Per epoch (length ``epochs_run``): ``val_loss``, ``val_accuracy`` (NaN without
    validation data; accuracy NaN for regression) and ``epoch_end_step``.

    ``diverged_at``: index :math:`k` of the first bad iterate :math:`\\theta_k`
    (:math:`\\theta_0` the initial parameters), else ``None``; ``steps_run`` the steps taken.
    A diverged run keeps the records of the steps (step mode) or the whole epochs (epoch mode)
    before it.
    """

    record: str
    step: np.ndarray
    epoch: np.ndarray
    lr: np.ndarray
    train_loss: np.ndarray
    train_accuracy: np.ndarray
    grad_norm: np.ndarray
    update_ratio: dict
    activations: dict
    val_loss: np.ndarray
    val_accuracy: np.ndarray
    epoch_end_step: np.ndarray
    diverged_at: int | None
    steps_run: int
    epochs_run: int
    epoch_results: list
    """What ``on_epoch_end`` returned at the end of each epoch (empty without it)."""


class _Recorder:
    """Accumulates the records of a run in lists; :meth:`history` turns them into arrays."""

    def __init__(self, net, record):
        self.record = record
        self.columns = {key: [] for key in ("step", "epoch", "lr", "train_loss",
                                            "train_accuracy", "grad_norm")}
        self.ratio_names = [net.names[i] for i, la in enumerate(net.layers)
                            if la.kind == "linear"]
        self.ratios = {name: [] for name in self.ratio_names}
        self.activation_layers = [(net.names[i], la) for i, la in enumerate(net.layers)
                                  if isinstance(la, Activation)]
        self.activations = {name: {s: [] for s in ("mean", "std", "dead", "saturated")}
                            for name, _ in self.activation_layers}
        self.val_loss, self.val_accuracy, self.epoch_end_step = [], [], []
        self.epoch_results = []

    def add(self, step, epoch, lr, loss, accuracy, grad_norm, ratios, stats):
        for key, value in zip(self.columns, (step, epoch, lr, loss, accuracy, grad_norm),
                              strict=True):
            self.columns[key].append(value)
        for name, value in zip(self.ratio_names, ratios, strict=True):
            self.ratios[name].append(value)
        for name, layer_stats in stats.items():
            for key, value in layer_stats.items():
                self.activations[name][key].append(value)

    def layer_statistics(self):
        return {name: layer.statistics() for name, layer in self.activation_layers}

    def history(self, diverged_at, steps_run):
        arrays = {key: np.array(values, dtype=np.int64 if key in ("step", "epoch") else float)
                  for key, values in self.columns.items()}
        return History(
            record=self.record, **arrays,
            update_ratio={k: np.array(v) for k, v in self.ratios.items()},
            activations={name: {k: np.array(v) for k, v in stats.items()}
                         for name, stats in self.activations.items()},
            val_loss=np.array(self.val_loss), val_accuracy=np.array(self.val_accuracy),
            epoch_end_step=np.array(self.epoch_end_step, dtype=np.int64),
            diverged_at=diverged_at, steps_run=steps_run, epochs_run=len(self.val_loss),
            epoch_results=self.epoch_results,
        )


class _Progress:
    """A progress bar (ipywidgets) shown in a notebook once a run has lasted
    ``PROGRESS_AFTER`` seconds; nothing at all outside a Jupyter kernel."""

    def __init__(self, enabled, epochs):
        self.epochs = epochs
        self.start = time.perf_counter()
        self.bar = None
        shell = None
        ipython = sys.modules.get("IPython")
        if enabled and ipython is not None:
            shell = ipython.get_ipython()
        self.enabled = shell is not None and type(shell).__name__ == "ZMQInteractiveShell"

    def update(self, epoch):
        if not self.enabled:
            return
        if self.bar is None:
            if time.perf_counter() - self.start < PROGRESS_AFTER:
                return
            import ipywidgets
            from IPython.display import display

            self.bar = ipywidgets.IntProgress(min=0, max=self.epochs, description="epochs")
            display(self.bar)
        self.bar.value = epoch



def _positive(name, value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number > 0, got {value!r}") from None
    if math.isnan(value) or value <= 0.0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return value


def _learning_rates(schedule, lr0, total):
    if schedule is None:
        return np.full(total, lr0)
    if not isinstance(schedule, schedules.Schedule):
        raise ValueError(f"schedule must be None or an optbook Schedule, got "
                         f"{type(schedule).__name__}")
    return np.array([schedule(t, lr0) for t in range(1, total + 1)])


@one_blas_thread
def train(net: Sequential, loss, optimizer, data, *, epochs: int, batch_size: int = 64,
          validation=None, schedule=None, clip=None, l2: float = 0.0, replacement: bool = False,
          record: str = "epoch", seed=0, bound: float = 1e6, on_epoch_end=None,
          progress: bool = True) -> History:
    r"""Train ``net`` in place on ``data = (X, y)`` and return its :class:`History`.

    ``loss``: ``"cross_entropy"``, ``"mse"`` or a loss object. ``optimizer``: any rule of
    :mod:`optbook.optimizers` (look-ahead Nesterov takes its gradient at
    :math:`\theta - \gamma v`; AdamW's decoupled decay is its own). ``epochs`` >= 1;
    ``batch_size`` in [1, n]; ``validation``: ``(X_val, y_val)`` or ``None``; ``schedule``: a
    :class:`~optbook.schedules.Schedule` of the rate; ``clip``: ``None``, ``("value", c)`` or
    ``("norm", c)``; ``l2`` :math:`\lambda \ge 0`: the coupled penalty
    :math:`\frac\lambda2\sum\|W\|^2` in the loss; ``replacement``: draw each mini-batch with
    replacement instead of shuffling; ``record``: ``"epoch"`` or ``"step"``; ``seed``: the
    shuffle and the dropout masks (``numpy.random.SeedSequence(seed)``); ``bound``: the
    divergence threshold on :math:`|\theta_i|`; ``on_epoch_end(epoch, net)``: called after
    each epoch's validation, its return values kept in ``History.epoch_results`` (a checkpoint
    ``net.get_params()``, the sharpness :func:`~optbook.nn.instruments.top_hessian_eigenvalue`,
    ...; it must leave ``net`` as it found it, as the instruments do); ``progress``: a progress
    bar in a notebook for runs longer than two seconds (``False``: never; pass it in a cell
    whose output nbval checks).
    """
    x, targets, loss = check_training_data(net, data, loss)
    n = x.shape[0]
    epochs = checks.count("epochs", epochs, 1)
    batch_size = checks.count("batch_size", batch_size, 1, n)
    l2 = _check_l2(l2)
    bound = _positive("bound", bound)
    if record not in RECORD_MODES:
        raise ValueError(f"record must be 'epoch' or 'step', got {record!r}")
    if on_epoch_end is not None and not callable(on_epoch_end):
        raise ValueError(f"on_epoch_end must be None or a function (epoch, net), got "
                         f"{type(on_epoch_end).__name__}")
    if validation is not None:
        if not (isinstance(validation, tuple | list) and len(validation) == 2):
            raise ValueError("validation must be None or a pair (X_val, y_val)")
        x_val, targets_val, _ = net.check_data(*validation, loss)
    clip_mode, clip_c = schedules.parse_clip(clip)
    stepper = Stepper(optimizer, net.size, net.dtype)
    steps_per_epoch = -(-n // batch_size)
    lrs = _learning_rates(schedule, optimizer.lr, epochs * steps_per_epoch).tolist()

    shuffle_seed, mask_seed = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(shuffle_seed)
    net.reseed_dropout(mask_seed)
    recorder = _Recorder(net, record)
    bar = _Progress(progress, epochs)
    params, grads = net.params, net.grads
    before = np.empty_like(params)
    # The loop below runs once per mini-batch: names bound once, no work it does not need.
    saved = np.empty_like(params) if stepper.looks_ahead else None
    loss_and_grad = net.loss_and_grad_unchecked
    health = kernels.health
    step = stepper.step
    clipping = clip_mode != schedules.CLIP_NONE
    by_step = record == "step"
    accuracy_unit = 1.0 if loss.classification else math.nan
    t = 0
    diverged_at = None
    for epoch in range(1, epochs + 1):
        order = None if replacement else rng.permutation(n)
        loss_sum = correct_sum = 0.0
        for b in range(steps_per_epoch):
            if replacement:
                idx = rng.integers(0, n, batch_size)
            else:
                idx = order[b * batch_size:(b + 1) * batch_size]
            if saved is not None:
                saved[...] = params
                stepper.gradient_point(saved, params)
            value, penalty, correct = loss_and_grad(x[idx], targets[idx], loss, l2, True)
            if saved is not None:
                params[...] = saved
            last = by_step or b == steps_per_epoch - 1
            if last:
                # A recorded step: its gradient norm, and the checks of the gradient and of the
                # bound that the other steps leave to the loss (a pass over 2 vectors each).
                grad_sq, out_of_bounds = health(params, grads, bound)
                # A sum of finite numbers is finite (unless huge, which is divergence too).
                finite = not out_of_bounds and math.isfinite(value + penalty + grad_sq)
            else:
                finite = math.isfinite(value + penalty)
            if not finite:
                diverged_at = t
                break
            if clipping:
                schedules.apply_clip(clip_mode, clip_c, grads)
            if last:
                stats = recorder.layer_statistics()
                before[...] = params
            step(params, grads, lrs[t])
            t += 1
            if by_step:
                recorder.add(t, epoch, lrs[t - 1], value, correct / idx.shape[0] * accuracy_unit,
                             math.sqrt(grad_sq), _update_ratios(net, before), stats)
                continue
            loss_sum += value * idx.shape[0]
            correct_sum += correct
            if last:
                rows = (steps_per_epoch * batch_size) if replacement else n
                recorder.add(t, epoch, lrs[t - 1], loss_sum / rows,
                             correct_sum / rows * accuracy_unit, math.sqrt(grad_sq),
                             _update_ratios(net, before), stats)
        if diverged_at is None and epoch == epochs and health(params, params, bound)[1]:
            diverged_at = t
        if diverged_at is not None:
            break
        if validation is not None:
            val_loss, val_accuracy = net.evaluate_unchecked(x_val, targets_val, loss)
        else:
            val_loss, val_accuracy = math.nan, math.nan
        recorder.val_loss.append(val_loss)
        recorder.val_accuracy.append(val_accuracy)
        recorder.epoch_end_step.append(t)
        if on_epoch_end is not None:
            recorder.epoch_results.append(on_epoch_end(epoch, net))
        bar.update(epoch)
    return recorder.history(diverged_at, t)


def _update_ratios(net, before):
    """:math:`\\|W_{t+1} - W_t\\|/\\|W_t\\|` for each linear layer's weights."""
    return [kernels.relative_change(before[s], net.params[s]) for s in net.weight_slices]
