r"""Losses: softmax cross-entropy on logits and mean squared error, each a batch mean.

A loss checks its targets once (its ``check_targets``), then ``loss(outputs, targets)``
returns ``(value, correct, d_outputs)``: the mean loss over the batch (float64), the number of
examples whose largest output is the label (``0`` for regression), and
:math:`\partial L/\partial\,\text{outputs}` in a buffer the loss reuses. Given the output
layer's ``bias`` and ``grad_bias`` too, it adds the bias to ``outputs`` (in place) and writes
its gradient, in the same passes: :class:`~optbook.nn.network.Sequential` trains that way.

The coupled L2 penalty :math:`\frac\lambda2\sum_\ell\|W_\ell\|^2` (over the weight matrices of
the linear layers, not biases, as in the DD2424 and EE 628 lectures) is added by
:meth:`Sequential.loss_and_grad <optbook.nn.network.Sequential.loss_and_grad>`; it puts
:math:`\lambda W` into the gradient, which the optimizer then treats like any other gradient.
Decoupled weight decay is an update rule instead (``optimizers.adamw``), and the two differ
for adaptive methods (Loshchilov & Hutter 2019).
"""

from __future__ import annotations

import numpy as np

from . import kernels

MAX_SHAPES = 8
"""A loss keeps its buffers for at most this many output shapes (the batches of a run and
the validation set need three); more and it starts afresh."""


class Loss:
    """Base class: a buffer for the gradient, the targets' checks."""

    name = "loss"
    classification = False

    def __init__(self):
        self._buffers = {}

    def _buffers_like(self, outputs, count):
        """``count`` arrays like ``outputs`` and an empty row of its dtype, the same ones for
        every call with that shape and dtype (a network's full batches and an epoch's shorter
        last one each keep theirs)."""
        buffers = self._buffers.get(outputs.shape)
        if buffers is None or buffers[0].dtype != outputs.dtype:
            if len(self._buffers) >= MAX_SHAPES:
                self._buffers.clear()
            buffers = tuple(np.empty_like(outputs) for _ in range(count)) + (outputs[0, :0],)
            self._buffers[outputs.shape] = buffers
        return buffers

    def value(self, outputs, targets) -> float:
        """The mean loss of ``outputs`` ``(B, K)`` against ``targets`` (checked), alone."""
        outputs = np.asarray(outputs)
        if outputs.ndim != 2 or outputs.dtype not in (np.float32, np.float64):
            raise ValueError(f"outputs must be a 2-D float32 or float64 array, got "
                             f"{outputs.dtype} of shape {outputs.shape}")
        targets = self.check_targets(targets, *outputs.shape, outputs.dtype)
        return self(np.ascontiguousarray(outputs), targets)[0]

    def __repr__(self):
        return f"{type(self).__name__}()"


class CrossEntropy(Loss):
    r"""Softmax cross-entropy :math:`\frac1B\sum_i\bigl(\log\sum_k e^{z_{ik}} - z_{i y_i}\bigr)`
    of logits :math:`z` against integer labels :math:`y_i \in \{0, \dots, C-1\}`.

    Computed with the row maximum subtracted first, so logits of :math:`10^4` or more give
    finite values and gradients. Gradient: :math:`(\mathrm{softmax}(z_i) - e_{y_i})/B`.
    """

    name = "cross_entropy"
    classification = True

    def check_targets(self, targets, rows: int, n_outputs: int, dtype=np.float64) -> np.ndarray:
        """Integer labels in ``[0, n_outputs)``, one per example, as an index array."""
        labels = np.asarray(targets)
        if labels.ndim != 1 or labels.shape[0] != rows:
            raise ValueError(f"labels must be a 1-D array of {rows} class indices (one per "
                             f"example), got shape {labels.shape}")
        if labels.dtype.kind not in "iub":
            if labels.dtype.kind != "f" or not np.all(np.isfinite(labels)) or np.any(
                labels != np.round(labels)
            ):
                raise ValueError(f"labels must be integers in [0, {n_outputs - 1}], got dtype "
                                 f"{labels.dtype}")
        labels = labels.astype(np.intp)
        if rows and (labels.min() < 0 or labels.max() >= n_outputs):
            raise ValueError(f"labels must be in [0, {n_outputs - 1}] for a network with "
                             f"{n_outputs} outputs, got values from {labels.min()} to "
                             f"{labels.max()}")
        return labels

    def __call__(self, outputs, targets, bias=None, grad_bias=None):
        grad, shifted, none = self._buffers_like(outputs, 2)
        correct = kernels.shift_by_row_max(outputs, targets, none if bias is None else bias,
                                           shifted)
        np.exp(shifted, out=grad)
        value = kernels.cross_entropy_from_exp(shifted, grad, targets,
                                               none if grad_bias is None else grad_bias)
        return value, correct, grad


class MSE(Loss):
    r"""Mean squared error over all entries, :math:`\frac1{BK}\sum_{i,k}(o_{ik}-t_{ik})^2`
    (``torch.nn.MSELoss``), gradient :math:`2(o-t)/(BK)`."""

    name = "mse"

    def check_targets(self, targets, rows: int, n_outputs: int, dtype=np.float64) -> np.ndarray:
        """Finite targets of shape ``(rows, n_outputs)`` (or ``(rows,)`` for one output), as a
        C-contiguous array of the network's ``dtype``."""
        values = np.asarray(targets, dtype=np.float64)
        if values.ndim == 1 and n_outputs == 1:
            values = values[:, None]
        if values.shape != (rows, n_outputs):
            raise ValueError(f"targets must have shape ({rows}, {n_outputs}) to match the "
                             f"outputs, got {np.shape(targets)}")
        if not np.all(np.isfinite(values)):
            raise ValueError("targets must be finite (no NaN or inf)")
        return np.ascontiguousarray(values, dtype=dtype)

    def __call__(self, outputs, targets, bias=None, grad_bias=None):
        grad, none = self._buffers_like(outputs, 1)
        value = kernels.squared_error(outputs, targets, none if bias is None else bias, grad,
                                      none if grad_bias is None else grad_bias)
        return value, 0, grad


_BY_NAME = {"cross_entropy": CrossEntropy, "mse": MSE}
NAMES = tuple(_BY_NAME)
"""The losses :func:`get` knows by name."""


def get(loss) -> Loss:
    """``loss`` itself if it is a :class:`Loss`, else a new one by name (:data:`NAMES`)."""
    if isinstance(loss, Loss):
        return loss
    if not isinstance(loss, str) or loss not in _BY_NAME:
        raise ValueError(f"unknown loss {loss!r}; known: {', '.join(NAMES)}")
    return _BY_NAME[loss]()
