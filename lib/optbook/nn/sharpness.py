r"""Sharpness: the largest eigenvalue :math:`\lambda_\max(H)` of the loss's Hessian, by Lanczos
iteration on Hessian-vector products.

Gradient descent with learning rate :math:`\eta` on a quadratic is stable only while
:math:`\lambda_\max(H) < 2/\eta` (the gradient-descent chapter); on a network the same number,
measured along training, says how close a run is to that edge. The *largest* eigenvalue is
wanted, not the largest in magnitude: early in training a ReLU network's Hessian often has a
negative eigenvalue larger in magnitude than its largest positive one, and power iteration
(:func:`~optbook.nn.instruments.top_hessian_eigenvalue`) then returns that one.

Lanczos iteration builds an orthonormal basis :math:`q_1, \dots, q_k` of the Krylov space
:math:`\{v, Hv, \dots, H^{k-1}v\}` from a seeded random :math:`v`, in which :math:`H` is the
tridiagonal matrix :math:`T_k` of the three-term recurrence

.. math:: \beta_{j}\, q_{j+1} = H q_j - \alpha_j q_j - \beta_{j-1} q_{j-1}, \qquad
          \alpha_j = q_j^\top H q_j ,

(Golub & Van Loan, *Matrix Computations*, §10.1); the eigenvalues of :math:`T_k` (Ritz values)
approach the extreme eigenvalues of :math:`H` from inside, the largest one first when it is
well separated. Each new vector is orthogonalised against all earlier ones again (full
reorthogonalisation), which rounding would otherwise undo. Each step costs one
Hessian-vector product, two gradient evaluations
(:func:`~optbook.nn.instruments.hessian_vector_product`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .instruments import _check_net
from .layers import Activation
from .network import _check_l2
from .smoothness import Frozen
from .threads import one_blas_thread

PIECEWISE_LINEAR = ("relu", "leaky_relu")
"""The activations whose derivative pattern is frozen for the differences."""


def _hvp(net, frozen, loss, x, targets, v, l2, training):
    """Hv by central differences at ``frozen.params`` with the patterns frozen."""
    eps = 1e-4 / float(np.linalg.norm(v))
    gradients = []
    for sign in (1.0, -1.0):
        net.params[...] = frozen.params + sign * eps * v
        frozen.reset()
        net.loss_and_grad_unchecked(x, targets, loss, l2, training)
        gradients.append(net.grads.astype(np.float64))
    return (gradients[0] - gradients[1]) / (2.0 * eps)


class Sharpness(NamedTuple):
    """What :func:`sharpness` found."""

    largest: float
    """The largest Ritz value, the estimate of :math:`\\lambda_\\max(H)`."""
    smallest: float
    """The smallest Ritz value, an estimate of :math:`\\lambda_\\min(H)` (cruder)."""
    residual: float
    """:math:`\\|H y - \\lambda y\\|` for the largest Ritz pair :math:`(\\lambda, y)`, with
    :math:`\\|y\\| = 1`: there is an eigenvalue of :math:`H` within this distance of it."""
    steps: int
    """Hessian-vector products used."""


@one_blas_thread
def sharpness(net, loss, x, targets, *, steps: int = 20, tol: float | None = None,
              training: bool = True, l2: float = 0.0, seed=0) -> Sharpness:
    r""":math:`\lambda_\max` of the Hessian of the batch loss ``(x, targets)`` (plus the
    ``l2`` penalty) at the network's parameters, by at most ``steps`` Lanczos steps (fewer if
    the Krylov space closes). With ``tol``, stop as soon as the largest Ritz pair's residual
    is at most ``tol`` times its value: an eigenvalue of :math:`H` lies within that distance,
    and the Ritz value usually much closer (within the residual squared over the gap to the
    next eigenvalue). ``training`` chooses the mode of the passes (batch norm with the batch's
    statistics, as training sees it). The network is left as it was."""
    return sharpness_on_current_threads(net, loss, x, targets, steps=steps, tol=tol,
                                        training=training, l2=l2, seed=seed)


def sharpness_on_current_threads(net, loss, x, targets, *, steps: int = 20,
                                 tol: float | None = None, training: bool = True,
                                 l2: float = 0.0, seed=0) -> Sharpness:
    """:func:`sharpness` without setting the BLAS threads (about 1.5 ms a call): for callers
    that already run on one thread, such as a probe inside
    :func:`~optbook.nn.instrumented.instrumented_sgd`."""
    _check_net(net)
    x, targets, loss = net.check_data(x, targets, loss)
    l2 = _check_l2(l2)
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    if tol is not None and not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be None or a finite number > 0, got {tol!r}")
    steps = min(int(steps), net.size)
    v = np.random.default_rng(seed).standard_normal(net.size)
    basis = np.empty((steps, net.size))
    basis[0] = v / np.linalg.norm(v)
    alphas, betas = [], []
    kinks = [la for la in net.layers
             if isinstance(la, Activation) and la.kind in PIECEWISE_LINEAR]
    with Frozen(net) as frozen:
        net.forward_unchecked(x, training)
        try:
            for layer in kinks:
                layer.freeze_pattern()
            for j in range(steps):
                w = _hvp(net, frozen, loss, x, targets, basis[j], l2, training)
                alphas.append(float(basis[j] @ w))
                # full reorthogonalisation, twice (Kahan's "twice is enough")
                for _ in range(2):
                    w -= basis[: j + 1].T @ (basis[: j + 1] @ w)
                beta = float(np.linalg.norm(w))
                if j == steps - 1 or beta <= 1e-10 * max(abs(a) for a in alphas):
                    break
                if tol is not None:
                    value, residual = _top_ritz(alphas, betas, beta)
                    if residual <= tol * abs(value):
                        break
                betas.append(beta)
                basis[j + 1] = w / beta
        finally:
            for layer in kinks:
                layer.thaw_pattern()
    values, vectors = _ritz(alphas, betas)
    # residual of a Ritz pair: |beta_k| times the last component of its eigenvector of T_k
    residual = abs(float(np.linalg.norm(w)) * vectors[-1, -1])
    return Sharpness(float(values[-1]), float(values[0]), float(residual), len(alphas))


def _ritz(alphas, betas):
    """Eigenvalues and eigenvectors of the tridiagonal matrix of the first ``len(alphas)``
    Lanczos steps."""
    k = len(alphas)
    tridiagonal = np.diag(alphas) + np.diag(betas[: k - 1], 1) + np.diag(betas[: k - 1], -1)
    return np.linalg.eigh(tridiagonal)


def _top_ritz(alphas, betas, beta):
    """The largest Ritz value so far and its residual, with ``beta`` the norm of the next
    Lanczos vector before normalisation."""
    values, vectors = _ritz(alphas, betas)
    return float(values[-1]), abs(beta * vectors[-1, -1])

