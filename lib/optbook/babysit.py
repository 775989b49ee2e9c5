r"""The training run the chapter on training in practice watches, and its gallery of failures.

:func:`babysit` trains the book's digits classifier, a multilayer perceptron 64-100-100-10
with ReLU units (:data:`SIZES`) on the 8×8 digits (:func:`optbook.data.digits`, seed 0), by
mini-batch SGD (or another rule of :mod:`optbook.optimizers`) with four knobs:

* ``lr``: the learning rate :math:`\eta`;
* ``weight_decay``: :math:`\lambda`, the coupled L2 penalty :math:`\frac\lambda2\sum\|W\|^2`
  of :func:`optbook.nn.train` (its gradient :math:`\lambda W` is what PyTorch's SGD calls
  ``weight_decay``);
* ``init_scale``: a factor on He et al.'s initialisation, whose weights have variance
  :math:`2/n_\text{in}` (:func:`network`; biases start at 0);
* ``drop``: the probability of dropping a hidden unit (PyTorch's ``p``), by inverted dropout
  after each hidden layer.

The run records what the chapter monitors (losses, accuracies, the update-to-weight ratio of
each layer, the dead fraction of each ReLU layer) and may diverge: divergence is a result, and
NumPy's overflow warnings are silenced inside the run. :data:`GALLERY` lists settings whose
real runs show one failure each; :func:`optbook.monitor.diagnose` names them from their
curves. :func:`pretrain` and :func:`fine_tune` run the course notes' supervised pre-training:
the hidden layers of a network trained on some digits start the training of a network for
others.

:func:`curves` reduces a run to the per-epoch series the babysitter explorer draws, and
:func:`explorer_grid` computes them at every combination of the explorer's slider stops
(:data:`EXPLORER_STOPS`), once per version of the library (:mod:`optbook.statecache`).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from optbook import data, monitor, nn, optimizers, statecache

SIZES = (64, 100, 100, 10)
"""Layer widths of the chapter's network, 64 pixels in, two hidden layers, 10 classes out."""

GALLERY = {
    "healthy": {"lr": 0.1},
    "too slow": {"lr": 0.001},
    "diverged": {"lr": 5.0},
    "dead units": {"lr": 1.2},
    "plateau at chance": {"lr": 0.1, "init_scale": 0.07, "epochs": 40},
    "overfitting": {"lr": 0.3, "train_size": 100, "batch_size": 10, "epochs": 60},
}
"""Settings of :func:`babysit` whose runs show each of :data:`optbook.monitor.NAMES` but
"saturated units" (a ReLU network has none), keyed by that name."""


class Run(NamedTuple):
    """A finished run: its records and the trained network."""

    history: nn.History
    net: nn.Sequential


@functools.lru_cache(maxsize=2)
def digits_split(seed: int = 0) -> data.Split:
    """:func:`optbook.data.digits` with ``seed``, read once per process (its arrays are
    shared: do not modify them)."""
    split = data.digits(seed=seed)
    for array in split:
        array.setflags(write=False)
    return split


def network(init_scale: float = 1.0, drop: float = 0.0, *, sizes=SIZES,
            activation: str = "relu", seed=0) -> nn.Sequential:
    """:func:`~optbook.nn.network.mlp` with He's normal initialisation (Xavier's for tanh and
    sigmoid) and every weight matrix multiplied by ``init_scale`` (> 0), dropout with probability
    ``drop`` in [0, 1) after each hidden layer (none at 0)."""
    init_scale = float(init_scale)
    if not (np.isfinite(init_scale) and init_scale > 0.0):
        raise ValueError(f"init_scale must be a finite number > 0, got {init_scale!r}")
    drop = float(drop)
    if not 0.0 <= drop < 1.0:
        raise ValueError(f"drop must be in [0, 1), got {drop!r}")
    net = nn.mlp(list(sizes), activation, dropout=drop if drop > 0.0 else None, seed=seed)
    for weights in net.weight_slices:
        net.params[weights] *= init_scale
    return net


def babysit(lr: float = 0.1, weight_decay: float = 0.0, init_scale: float = 1.0,
            drop: float = 0.0, *, rule: str = "gd", epochs: int = 20, batch_size: int = 32,
            train_size: int | None = None, indices=None, sizes=SIZES, activation: str = "relu",
            record: str = "epoch", seed=0, on_epoch_end=None) -> Run:
    """Train :func:`network` on the digits' training part (its first ``train_size`` examples,
    the examples at ``indices``, or all 1078) with the rule ``rule`` of
    :mod:`optbook.optimizers` at rate ``lr``, validating on the 359 validation digits after
    every epoch. ``seed`` draws the initial weights, the
    shuffles and the dropout masks; ``record`` and ``on_epoch_end`` are
    :func:`optbook.nn.train`'s."""
    split = digits_split(0)
    x, y = split.X_train, split.y_train
    if train_size is not None:
        if isinstance(train_size, bool) or not isinstance(train_size, int | np.integer) or not (
            1 <= train_size <= x.shape[0]
        ):
            raise ValueError(f"train_size must be None or an integer in [1, {x.shape[0]}], "
                             f"got {train_size!r}")
        x, y = x[:train_size], y[:train_size]
    if indices is not None:
        if train_size is not None:
            raise ValueError("give train_size or indices, not both")
        indices = np.asarray(indices)
        if indices.ndim != 1 or indices.size == 0 or indices.dtype.kind not in "iu" or (
            indices.min() < 0 or indices.max() >= x.shape[0]
        ):
            raise ValueError(f"indices must be a non-empty 1-D array of integers in "
                             f"[0, {x.shape[0] - 1}]")
        x, y = x[indices], y[indices]
    net = network(init_scale, drop, sizes=sizes, activation=activation, seed=seed)
    optimizer = optimizers.get(rule, lr=lr)
    with np.errstate(over="ignore", invalid="ignore"):
        history = nn.train(net, "cross_entropy", optimizer, (x, y),
                           validation=(split.X_val, split.y_val), epochs=epochs,
                           batch_size=min(batch_size, x.shape[0]), l2=weight_decay,
                           record=record, seed=seed, on_epoch_end=on_epoch_end, progress=False)
    return Run(history, net)


def steps_per_epoch(batch_size: int = 32, train_size: int | None = None) -> int:
    """Steps in an epoch of :func:`babysit` over ``train_size`` training digits (all 1078 by
    default) in batches of ``batch_size``: the last batch of an epoch may be smaller."""
    n = digits_split(0).X_train.shape[0] if train_size is None else train_size
    for name, value in (("batch_size", batch_size), ("train_size", n)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return -(-int(n) // min(int(batch_size), int(n)))


def validation_loss(lr: float, weight_decay: float = 0.0, *, epochs: int = 3, **settings) -> float:
    """The validation cross-entropy after a :func:`babysit` run of ``epochs`` epochs: the
    objective of the chapter's hyper-parameter search (NaN if the run diverged)."""
    run = babysit(lr, weight_decay, epochs=epochs, **settings)
    if run.history.diverged_at is not None:
        return float("nan")
    return float(run.history.val_loss[-1])


def _class_rows(labels, classes):
    """Rows whose label is one of ``classes``, and the labels renumbered 0, 1, ... in that
    order."""
    classes = [int(c) for c in classes]
    if len(set(classes)) != len(classes) or len(classes) < 2 or not all(
        0 <= c < SIZES[-1] for c in classes
    ):
        raise ValueError(f"classes must be at least two distinct digits 0-9, got {classes}")
    rows = np.flatnonzero(np.isin(labels, classes))
    renumber = np.full(SIZES[-1], -1)
    renumber[classes] = np.arange(len(classes))
    return rows, renumber[labels[rows]]


def copy_layers(source: nn.Sequential, target: nn.Sequential, names) -> None:
    """Copy the parameters of the layers called ``names`` (e.g. ``"linear0"``) from ``source``
    into ``target``; each must exist in both with the same shapes."""
    for name in names:
        if name not in source.slices or name not in target.slices:
            raise ValueError(f"layer {name!r} must have parameters in both networks")
        a, b = source.slices[name], target.slices[name]
        if a.stop - a.start != b.stop - b.start:
            raise ValueError(f"layer {name!r} has different shapes in the two networks")
        target.params[b] = source.params[a]


def pretrain(classes, *, epochs: int = 20, seed=0) -> nn.Sequential:
    """A network of :data:`SIZES` with one output per class in ``classes``, trained with SGD
    (rate 0.1, batches of 32) on the training digits of those classes: the *simple task* of
    supervised pre-training."""
    split = digits_split(0)
    rows, labels = _class_rows(split.y_train, classes)
    net = nn.mlp([*SIZES[:-1], len(classes)], seed=seed)
    nn.train(net, "cross_entropy", optimizers.gd(0.1), (split.X_train[rows], labels),
             epochs=epochs, batch_size=32, seed=seed, progress=False)
    return net


def fine_tune(classes, n: int, *, source: nn.Sequential | None = None, steps: int = 2000,
              seed=0) -> nn.History:
    """Train a new network for ``classes`` on the first ``n`` training digits of those classes
    (SGD, rate 0.1, batches of up to 32, about ``steps`` examples' worth of epochs: at least 20,
    ``steps // n`` for small ``n``), validating on the validation digits of those classes. With
    ``source``, its hidden layers (``linear0`` and the next linear layer) start as
    ``source``'s, and only the output layer starts afresh."""
    split = digits_split(0)
    rows, labels = _class_rows(split.y_train, classes)
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= rows.size:
        raise ValueError(f"n must be an integer in [1, {rows.size}], got {n!r}")
    val_rows, val_labels = _class_rows(split.y_val, classes)
    net = nn.mlp([*SIZES[:-1], len(classes)], seed=seed)
    if source is not None:
        hidden = [name for name, layer in zip(net.names, net.layers, strict=True)
                  if layer.kind == "linear"][:-1]
        copy_layers(source, net, hidden)
    return nn.train(net, "cross_entropy", optimizers.gd(0.1),
                    (split.X_train[rows[:n]], labels[:n]),
                    validation=(split.X_val[val_rows], val_labels),
                    epochs=max(20, steps // int(n)), batch_size=min(32, int(n)), seed=seed,
                    progress=False)


def gallery(record: str = "step") -> dict:
    """One :func:`babysit` run per entry of :data:`GALLERY`, by name, recorded per step (a run
    that diverges in its first epoch has no epoch record) or per epoch."""
    return {name: babysit(**settings, record=record) for name, settings in GALLERY.items()}


EXPLORER_STOPS = {
    "lr": tuple(float(v) for v in 10.0 ** np.arange(-2.0, 0.51, 0.5)),
    "weight_decay": (1e-3, 1e-1),
    "init_scale": (0.1, 1.0),
    "drop": (0.0, 0.5),
}
"""The babysitter explorer's slider stops, six learning rates half a decade apart from
:math:`10^{-2}` to :math:`10^{0.5}`, a weak and a strong weight decay, a small and He's
initial scale, no dropout and :math:`p = 0.5`: 48 runs, few enough for a static page to show
a precomputed figure for each."""

EXPLORER_EPOCHS = 15
"""Epochs of each of the explorer's runs."""

SERIES = ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "ratio_1", "ratio_2",
          "ratio_3", "dead_1", "dead_2")
"""The per-epoch series of :func:`curves`, in order: the training loss and accuracy (means over
the epoch's mini-batches), the validation loss and accuracy after the epoch, the update ratio of
the three linear layers and the dead fraction of the two ReLU layers (both at the epoch's last
step)."""


def curves(lr: float, weight_decay: float = 0.0, init_scale: float = 1.0, drop: float = 0.0,
           *, epochs: int = EXPLORER_EPOCHS, seed=0) -> dict:
    """A :func:`babysit` run reduced to ``{"series": (len(SERIES), epochs) array,
    "diverged_at": k, "diagnosis": i}``: each series per epoch, NaN after a divergence, the
    index of the first non-finite iterate (-1 for a run that did not diverge) and the index in
    :data:`optbook.monitor.NAMES` of the name :func:`optbook.monitor.diagnose` gives the
    run."""
    history = babysit(lr, weight_decay, init_scale, drop, epochs=epochs, seed=seed).history
    linear = list(history.update_ratio.values())
    relu = [stats["dead"] for stats in history.activations.values()]
    rows = [history.train_loss, history.val_loss, history.train_accuracy, history.val_accuracy,
            *linear, *relu]
    series = np.full((len(SERIES), epochs), np.nan)
    for i, row in enumerate(rows):
        series[i, : row.size] = row
    name = monitor.diagnose(history, SIZES[-1])
    return {"series": series,
            "diverged_at": -1 if history.diverged_at is None else history.diverged_at,
            "diagnosis": monitor.NAMES.index(name)}


def explorer_grid(stops: dict | None = None, epochs: int = EXPLORER_EPOCHS) -> dict:
    """:func:`curves` at every combination of ``stops`` (default :data:`EXPLORER_STOPS`; a dict
    of the four knobs' values, in the order lr, weight_decay, init_scale, drop), as
    ``{"series": (n_lr, n_wd, n_init, n_drop, len(SERIES), epochs) float32 array,
    "diverged_at": (n_lr, n_wd, n_init, n_drop) array, "diagnosis": same shape}`` plus each
    knob's stops by name. Computed once per version of the library and then read from disk
    (:func:`optbook.statecache.cached`): the default grid is 48 runs."""
    stops = dict(EXPLORER_STOPS if stops is None else stops)
    if list(stops) != list(EXPLORER_STOPS):
        raise ValueError(f"stops must give values for {list(EXPLORER_STOPS)}, in that order")
    stops = {k: tuple(float(v) for v in values) for k, values in stops.items()}
    if any(len(values) == 0 for values in stops.values()):
        raise ValueError("every knob needs at least one stop")

    def compute():
        shape = tuple(len(v) for v in stops.values())
        series = np.empty((*shape, len(SERIES), epochs), dtype=np.float32)
        diverged = np.empty(shape, dtype=np.int64)
        diagnosis = np.empty(shape, dtype=np.int64)
        for index in np.ndindex(*shape):
            knobs = [values[i] for values, i in zip(stops.values(), index, strict=True)]
            result = curves(*knobs, epochs=epochs)
            series[index] = result["series"]
            diverged[index] = result["diverged_at"]
            diagnosis[index] = result["diagnosis"]
        return {"series": series, "diverged_at": diverged, "diagnosis": diagnosis,
                **{k: np.array(v) for k, v in stops.items()}}

    key = {"stops": stops, "epochs": epochs, "sizes": SIZES, "series": SERIES,
           "names": monitor.NAMES}
    return statecache.cached("babysitter_grid", key, compute)
