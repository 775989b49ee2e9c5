r"""The deep ReLU networks the batch-norm chapter compares, built one way everywhere.

:func:`relu_net` stacks ``depth`` hidden blocks of ``width`` units,

* without batch norm: ``Linear -> ReLU``;
* with batch norm: ``Linear(bias=False) -> BatchNorm1d -> ReLU`` (the bias is left out: the
  mean subtraction would remove it, and its gradient is exactly zero, as the chapter shows);
* with noise as well (Santurkar et al.'s "noisy" batch norm): ``Linear(bias=False) ->
  BatchNorm1d -> ShiftScaleNoise -> ReLU``,

followed by a linear output layer. Weights are drawn with He's normal initialiser
(:math:`\mathcal N(0, 2/n_\text{in})`), the one that keeps a ReLU network's activations of
constant size with depth, so that the network without batch norm starts fair; biases start
at 0. The same ``seed`` gives the same linear weights with and without batch norm (batch norm
adds no random draws), so the two start from the same function up to the normalisation.
"""

from __future__ import annotations

from optbook import checks

from .layers import BatchNorm1d, Linear, ReLU
from .network import Sequential
from .noise import ShiftScaleNoise

KINDS = ("plain", "batchnorm", "noisy")
"""The kinds of hidden block :func:`relu_net` builds."""


def relu_net(depth: int, width: int = 64, *, kind: str = "batchnorm", inputs: int = 64,
             outputs: int = 10, noise_shift: float = 1.0, noise_scale: float = 2.0,
             constant_stats: bool = False, seed=0) -> Sequential:
    """A ReLU network of ``depth`` >= 1 hidden blocks of ``width`` units; ``kind`` is one of
    :data:`KINDS`. ``noise_shift`` and ``noise_scale`` set the noise of the ``"noisy"`` kind
    (its layer ``k`` seeded with ``seed + k``); ``constant_stats`` builds the batch-norm layers
    with the wrong gradient on purpose (:class:`~optbook.nn.layers.BatchNorm1d`)."""
    depth = checks.count("depth", depth)
    width = checks.count("width", width)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    layers = []
    n_in = checks.count("inputs", inputs)
    for k in range(depth):
        layers.append(Linear(n_in, width, bias=kind == "plain", init="he_normal"))
        if kind != "plain":
            layers.append(BatchNorm1d(width, constant_stats=constant_stats))
        if kind == "noisy":
            layers.append(ShiftScaleNoise(width, noise_shift, noise_scale, seed=seed + k))
        layers.append(ReLU())
        n_in = width
    layers.append(Linear(n_in, checks.count("outputs", outputs), init="he_normal"))
    return Sequential(*layers, seed=seed)
