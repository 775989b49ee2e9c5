r"""Instruments for looking at a trained network: the loss between two parameter vectors, the
permutation symmetry of hidden units, curvature (Hessian-vector products and the top
eigenvalue), Monte-Carlo dropout and ensembles.

Each leaves the network as it found it (parameters, gradients, running statistics, dropout
generators), and evaluates in evaluation mode unless told otherwise.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from optbook import checks

from .layers import Activation, BatchNorm1d, Dropout, Linear
from .network import Sequential, _check_l2
from .threads import one_blas_thread


def softmax(logits) -> np.ndarray:
    r"""Row-wise :math:`e^{z_k - \max z}/\sum_j e^{z_j - \max z}` (float64)."""
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class _Preserved:
    """Context manager: restore a network's parameters, gradients and state on exit."""

    def __init__(self, net):
        self.net = net

    def __enter__(self):
        self.params = self.net.params.copy()
        self.grads = self.net.grads.copy()
        self.state = self.net.state()
        return self

    def __exit__(self, *exc):
        self.net.params[...] = self.params
        self.net.grads[...] = self.grads
        self.net.load_state(self.state)
        return False


def _check_net(net):
    if not isinstance(net, Sequential):
        raise ValueError(f"net must be an optbook.nn Sequential, got {type(net).__name__}")


def _check_vector(name, net, theta):
    theta = np.asarray(theta)
    if theta.shape != (net.size,):
        raise ValueError(f"{name} must have shape ({net.size},) like the network's parameters, "
                         f"got {theta.shape}")
    if not np.all(np.isfinite(theta)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return theta.astype(np.float64)


@one_blas_thread
def loss_along_segment(net: Sequential, loss, x, targets, theta_a, theta_b,
                       alphas=None) -> np.ndarray:
    r"""The loss at :math:`(1-\alpha)\,\theta_a + \alpha\,\theta_b` for each ``alpha``
    (default 41 points on [-0.25, 1.25]), in evaluation mode: the linear interpolation of
    Goodfellow, Vinyals & Saxe (2015). ``alpha = 0`` gives :math:`\theta_a`, 1 gives
    :math:`\theta_b`."""
    _check_net(net)
    x, targets, loss = net.check_data(x, targets, loss)
    a = _check_vector("theta_a", net, theta_a)
    b = _check_vector("theta_b", net, theta_b)
    alphas = np.linspace(-0.25, 1.25, 41) if alphas is None else np.asarray(alphas, float)
    if alphas.ndim != 1 or alphas.size == 0 or not np.all(np.isfinite(alphas)):
        raise ValueError("alphas must be a non-empty 1-D array of finite numbers")
    values = np.empty(alphas.size)
    with _Preserved(net):
        for k, alpha in enumerate(alphas):
            net.params[...] = (1.0 - alpha) * a + alpha * b
            values[k] = net.evaluate_unchecked(x, targets, loss)[0]
    return values


def permute_units(net: Sequential, layer, permutation) -> np.ndarray:
    """A parameter vector for ``net`` whose function is the same with the output units of the
    linear layer ``layer`` (its name, e.g. ``"linear0"``, or index) reordered by
    ``permutation``: its weight rows and biases move, and so do the matching input columns of
    the next linear layer. Element-wise layers in between (activations, dropout) commute with
    the permutation; a batch-norm layer there is refused (its running statistics would have to
    move too).
    """
    _check_net(net)
    index = net.names.index(layer) if layer in net.names else layer
    if isinstance(index, bool) or not isinstance(index, int | np.integer) or not (
        0 <= index < len(net.layers)
    ) or not isinstance(net.layers[index], Linear):
        linears = ", ".join(n for n, la in zip(net.names, net.layers, strict=True)
                            if isinstance(la, Linear))
        raise ValueError(f"layer must name a linear layer of the network ({linears}), "
                         f"got {layer!r}")
    first = net.layers[index]
    following = next((k for k in range(index + 1, len(net.layers))
                      if isinstance(net.layers[k], Linear)), None)
    if following is None:
        raise ValueError(f"{net.names[index]} is the last linear layer: its outputs are the "
                         "network's outputs, which a permutation would change")
    between = net.layers[index + 1:following]
    if any(isinstance(la, BatchNorm1d) for la in between):
        raise ValueError("a BatchNorm1d layer between the two linear layers is not supported")
    if not all(isinstance(la, Activation | Dropout) for la in between):
        raise ValueError("only activations and dropout may sit between the two linear layers")
    perm = np.asarray(permutation)
    if perm.shape != (first.n_out,) or perm.dtype.kind not in "iu" or not np.array_equal(
        np.sort(perm), np.arange(first.n_out)
    ):
        raise ValueError(f"permutation must be a permutation of 0..{first.n_out - 1}, "
                         f"got {permutation!r}")
    theta = net.params.copy()
    second = net.layers[following]
    weight = theta[net.slices[net.names[index]]]
    w1 = weight[: first.n_out * first.n_in].reshape(first.n_out, first.n_in)
    w1[...] = w1[perm]
    if first.has_bias:
        b1 = weight[first.n_out * first.n_in:]
        b1[...] = b1[perm]
    w2 = theta[net.slices[net.names[following]]][: second.n_out * second.n_in]
    w2 = w2.reshape(second.n_out, second.n_in)
    w2[...] = w2[:, perm]
    return theta



def _hvp(net, loss, x, targets, v, l2, training, h, seed):
    """:func:`hessian_vector_product` on checked arguments."""
    norm = float(np.linalg.norm(v))
    if norm == 0.0:
        return np.zeros(net.size)
    eps = h / norm
    gradients = []
    with _Preserved(net) as kept:
        for sign in (1.0, -1.0):
            net.params[...] = kept.params + sign * eps * v
            net.load_state(kept.state)
            net.reseed_dropout(seed)
            net.loss_and_grad_unchecked(x, targets, loss, l2, training)
            gradients.append(net.grads.astype(np.float64))
    return (gradients[0] - gradients[1]) / (2.0 * eps)


@one_blas_thread
def hessian_vector_product(net: Sequential, loss, x, targets, v, *, l2: float = 0.0,
                           training: bool = False, h: float = 1e-4, seed=0) -> np.ndarray:
    r""":math:`H v` of the batch loss (plus ``l2`` penalty) at the current parameters, by
    central differences of the hand-written gradient along :math:`v`:

    .. math:: Hv \approx \frac{\nabla J(\theta + \epsilon v) - \nabla J(\theta - \epsilon v)}
              {2\epsilon},\qquad \epsilon = h/\|v\|,

    exact for a quadratic loss and otherwise in error by :math:`O(\epsilon^2)` (plus rounding
    of order :math:`10^{-16}\|\nabla J\|/\epsilon`). Float64 networks only make sense here.
    ``training`` chooses the mode of the passes (both draw their dropout masks from ``seed``).
    """
    _check_net(net)
    x, targets, loss = net.check_data(x, targets, loss)
    return _hvp(net, loss, x, targets, _check_vector("v", net, v), _check_l2(l2), training,
                checks.positive("h", h), seed)


@one_blas_thread
def hessian(net: Sequential, loss, x, targets, *, l2: float = 0.0, training: bool = False,
            h: float = 1e-4) -> np.ndarray:
    r"""The full Hessian of the batch loss, one :func:`hessian_vector_product` per column,
    symmetrised as :math:`(H + H^\top)/2`. It costs two backward passes per parameter: for
    small networks (the landscape chapter counts its negative eigenvalues, the index of a
    critical point)."""
    _check_net(net)
    x, targets, loss = net.check_data(x, targets, loss)
    l2, h = _check_l2(l2), checks.positive("h", h)
    basis = np.eye(net.size)
    full = np.column_stack([_hvp(net, loss, x, targets, basis[i], l2, training, h, 0)
                            for i in range(net.size)])
    return 0.5 * (full + full.T)


class TopEigenvalue(NamedTuple):
    """The result of :func:`top_hessian_eigenvalue`."""

    eigenvalue: float
    vector: np.ndarray
    iterations: int
    converged: bool


@one_blas_thread
def top_hessian_eigenvalue(net: Sequential, loss, x, targets, *, l2: float = 0.0,
                           training: bool = False, iterations: int = 100, tol: float = 1e-6,
                           seed=0) -> TopEigenvalue:
    r"""The Hessian's eigenvalue of largest magnitude by power iteration on
    :func:`hessian_vector_product`: :math:`v \leftarrow Hv/\|Hv\|`, estimate
    :math:`\lambda = v^\top H v`, from a seeded Gaussian start, until two estimates agree to
    ``tol`` relative (or ``iterations`` products). Near a minimum it is the sharpness
    :math:`\lambda_\max(H)` that gradient descent compares with :math:`2/\eta`."""
    _check_net(net)
    x, targets, loss = net.check_data(x, targets, loss)
    l2 = _check_l2(l2)
    if isinstance(iterations, bool) or not isinstance(iterations, int | np.integer) or (
        iterations < 1
    ):
        raise ValueError(f"iterations must be an integer >= 1, got {iterations!r}")
    tol = float(tol)
    if not (math.isfinite(tol) and tol > 0.0):
        raise ValueError(f"tol must be a finite number > 0, got {tol!r}")
    v = np.random.default_rng(seed).standard_normal(net.size)
    v /= np.linalg.norm(v)
    estimate = math.nan
    for k in range(1, int(iterations) + 1):
        hv = _hvp(net, loss, x, targets, v, l2, training, 1e-4, seed)
        new = float(v @ hv)
        size = float(np.linalg.norm(hv))
        if size == 0.0:
            return TopEigenvalue(0.0, v, k, True)
        v = hv / size
        if abs(new - estimate) <= tol * abs(new):
            return TopEigenvalue(new, v, k, True)
        estimate = new
    return TopEigenvalue(estimate, v, int(iterations), False)


class Predictions(NamedTuple):
    """Averaged predictions and the individual ones they average."""

    mean: np.ndarray
    """``(B, K)``: the mean over members (or samples)."""
    members: np.ndarray
    """``(M, B, K)``: one prediction per member (or Monte-Carlo sample)."""


def _outputs(net, x, probabilities):
    out = net.forward_unchecked(x, False).astype(np.float64)
    return softmax(out) if probabilities else out


@one_blas_thread
def mc_dropout_predict(net: Sequential, x, samples: int = 100, *, probabilities: bool = True,
                       seed=0) -> Predictions:
    """Monte-Carlo dropout (Gal & Ghahramani 2016): ``samples`` forward passes with fresh
    dropout masks (from ``seed``) and everything else in evaluation mode (batch norm uses its
    running statistics); the softmax probabilities (or raw outputs) of each and their mean.
    Compare with the single deterministic pass
    :meth:`~optbook.nn.network.Sequential.predict`, the weight-scaling rule."""
    _check_net(net)
    if not net.dropouts:
        raise ValueError("mc_dropout_predict needs a network with a Dropout layer")
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer) or samples < 1:
        raise ValueError(f"samples must be an integer >= 1, got {samples!r}")
    x = net.check_inputs(x)
    with _Preserved(net):
        net.reseed_dropout(seed)
        for layer in net.dropouts:
            layer.always_on = True
        try:
            members = np.stack([_outputs(net, x, probabilities) for _ in range(int(samples))])
        finally:
            for layer in net.dropouts:
                layer.always_on = False
    return Predictions(members.mean(axis=0), members)


@one_blas_thread
def ensemble_predict(net: Sequential, thetas, x, *, probabilities: bool = True) -> Predictions:
    """The predictions of ``net``'s architecture at each parameter vector in ``thetas``
    (independent runs, or checkpoints of one run) and their average, in evaluation mode;
    softmax probabilities unless ``probabilities=False``. The running statistics of batch
    norm are the network's own, shared by every member."""
    _check_net(net)
    thetas = [_check_vector(f"thetas[{k}]", net, th) for k, th in enumerate(thetas)]
    if not thetas:
        raise ValueError("thetas must hold at least one parameter vector")
    x = net.check_inputs(x)
    with _Preserved(net):
        members = []
        for theta in thetas:
            net.params[...] = theta
            members.append(_outputs(net, x, probabilities))
    members = np.stack(members)
    return Predictions(members.mean(axis=0), members)
