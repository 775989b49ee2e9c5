r"""Training runs that measure their sharpness as they go: :math:`\lambda_{\max}(H)` against
:math:`2/\eta`.

Gradient descent on a quadratic is stable while :math:`\lambda_{\max}(H) < 2/\eta`. On a
network the sharpness changes as the parameters move, and following it along a run shows how
the run and its learning rate adapt to each other: a run that starts too sharp for its rate
leaves for flatter ground or diverges, and full-batch runs often settle at the *edge of
stability*, :math:`\lambda_{\max} \approx 2/\eta` (Cohen et al. 2021).

:func:`curvature_run` trains a network by SGD (:func:`~optbook.nn.instrumented.instrumented_sgd`)
and, at steps :math:`t = 0, k, 2k, \dots` (``every`` :math:`= k`), before the step, measures on
a fixed probe batch the training-mode loss and the sharpness by Lanczos iteration
(:func:`~optbook.nn.sharpness.sharpness`, stopped when the residual of the largest Ritz pair
is below 1 % of its value (by default), after at most ``lanczos_steps`` steps: four to six where the
largest eigenvalue stands apart, more where it does not). :func:`curvature_grid` does so for every
combination of learning rate, depth, batch norm and batch size of the chapter's deep ReLU
networks (:func:`~optbook.nn.deep_nets.relu_net`): the states the batch-norm explorer steps
through.
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np

from .deep_nets import relu_net
from .instrumented import instrumented_sgd
from .sharpness import sharpness_on_current_threads


class CurvatureRun(NamedTuple):
    """One run of :func:`curvature_run`."""

    lr: float
    loss: np.ndarray
    """The training-mode loss of each step's mini-batch, up to the step that diverged."""
    steps: np.ndarray
    """The checkpoints :math:`t` (steps taken before the measurement), every ``every``."""
    probe_loss: np.ndarray
    """The training-mode loss of the probe batch at each checkpoint."""
    sharpness: np.ndarray
    """:math:`\\lambda_{\\max}(H)` of the probe batch's loss at each checkpoint."""
    diverged_at: int | None


def curvature_run(net, data, probe, *, lr: float, steps: int, batch_size: int, every: int,
                  lanczos_steps: int = 20, lanczos_tol: float | None = 1e-2,
                  loss="cross_entropy", seed=0) -> CurvatureRun:
    r"""Train ``net`` (in place) by SGD on ``data = (X, y)`` for ``steps`` steps of rate
    ``lr`` with mini-batches of ``batch_size``; every ``every`` steps, starting at step 0,
    measure the loss and the sharpness (at most ``lanczos_steps`` Lanczos steps, stopped at a
    relative residual of ``lanczos_tol``, see :func:`~optbook.nn.sharpness.sharpness`) on the
    batch ``probe = (X_probe, y_probe)``. A run that diverges stops there; its checkpoints end with
    the last one before the divergence."""
    x_probe, y_probe = probe

    def measure(net, xb, yb, update):
        value = net.loss_and_grad(x_probe, y_probe, loss)[0]
        return value, sharpness_on_current_threads(net, loss, x_probe, y_probe,
                                                   steps=lanczos_steps,
                                                   tol=lanczos_tol).largest

    with np.errstate(over="ignore", invalid="ignore"):
        record = instrumented_sgd(net, loss, data, lr=lr, steps=steps, batch_size=batch_size,
                                  seed=seed, probe=measure, every=every)
    probes = np.array(record.probes, dtype=np.float64).reshape(-1, 2)
    return CurvatureRun(float(lr), record.loss, record.probe_steps, probes[:, 0], probes[:, 1],
                        record.diverged_at)


def curvature_grid(data, probe, *, lrs, depths, batch_sizes, steps: int, every: int,
                   width: int = 64, lanczos_steps: int = 20, seed=0) -> dict:
    r""":func:`curvature_run` for every learning rate in ``lrs``, depth in ``depths``, batch
    norm off and on, and batch size in ``batch_sizes``, each from a fresh
    :func:`~optbook.nn.deep_nets.relu_net` (``width`` units, He's initialisation, ``seed``);
    keyed by ``(lr, depth, batchnorm, batch_size)``. Inputs and outputs take their widths
    from ``data``."""
    x, y = data
    inputs, outputs = np.asarray(x).shape[1], int(np.max(y)) + 1
    runs = {}
    for lr, depth, normed, batch in itertools.product(lrs, depths, (False, True), batch_sizes):
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"lrs must be finite numbers > 0, got {lr!r}")
        net = relu_net(depth, width, kind="batchnorm" if normed else "plain", inputs=inputs,
                       outputs=outputs, seed=seed)
        runs[float(lr), int(depth), normed, int(batch)] = curvature_run(
            net, data, probe, lr=lr, steps=steps, batch_size=batch, every=every,
            lanczos_steps=lanczos_steps, seed=seed)
    return runs
