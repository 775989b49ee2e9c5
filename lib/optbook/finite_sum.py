r"""Finite sums of quadratics, mini-batches drawn from them, and mini-batch SGD on them.

A training loss is an average over :math:`N` examples. When every example's loss is a
quadratic,

.. math::
    f(x) = \frac1N\sum_{i=1}^N f_i(x), \qquad
    f_i(x) = \tfrac12 x^\top H_i x - q_i^\top x + c_i,

the mini-batch gradient :math:`g_B(x) = \frac1{|B|}\sum_{i\in B}(H_i x - q_i)` can be studied
exactly (:mod:`optbook.noise_ball`) and run fast. :class:`QuadraticSum` holds such a sum; two
families build one:

* :func:`least_squares`: :math:`f_i(x) = \tfrac12(a_i^\top x - y_i)^2`, so
  :math:`H_i = a_i a_i^\top` differs from example to example and the gradient noise grows with
  the distance to the minimiser;
* :func:`shifted_quadratic`: :math:`f_i(x) = \tfrac12(x - c_i)^\top A (x - c_i)`, one Hessian
  :math:`A` for all, so the noise :math:`g_B(x) - \nabla f(x) = -A(\bar c_B - \bar c)` does not
  depend on :math:`x` (additive noise); :func:`noisy_quadratic` chooses the centres so that
  the per-example gradients have covariance exactly :math:`\sigma^2 I`.

Mini-batches (:class:`BatchSampler`) are drawn in one of three ways, :data:`SAMPLINGS`:

* ``"replacement"``: :math:`S` indices drawn independently and uniformly;
* ``"subset"``: :math:`S` distinct indices, a uniformly random subset, drawn afresh and
  independently at every step;
* ``"shuffle"``: random reshuffling, as ``torch.utils.data.DataLoader(shuffle=True)`` and
  :func:`optbook.nn.train` draw: each epoch a new permutation of the :math:`N` examples, cut
  into consecutive batches of :math:`S` (the last one smaller when :math:`S` does not divide
  :math:`N`).

The last two sample without replacement within a batch: one batch has the same distribution in
both; only ``"shuffle"`` makes the batches of an epoch depend on each other (together they
hold every example exactly once).

:func:`sgd` runs :math:`x_{t+1} = x_t - \eta_t\, g_{B_t}(x_t)` in one compiled loop (a single
numba kernel for every sum and sampling; about seventy times faster than one NumPy expression
per step, ``benchmarks/bench_finite_sum.py``) and records every iterate and its excess loss
:math:`f(x_t) - f^\star = \tfrac12 (x_t - x^\star)^\top A (x_t - x^\star)`, exact for a sum of
quadratics, with :math:`A = \frac1N\sum_i H_i`. The rates come from a
:class:`~optbook.schedules.Schedule`, or from a :class:`~optbook.plateau.ReduceOnPlateau` that
watches the full loss :math:`f(x)` at the end of each epoch of :math:`\lceil N/S\rceil` steps.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from optbook import checks, robbins_monro
from optbook.plateau import ReduceOnPlateau
from optbook.schedules import Schedule

SAMPLINGS = ("replacement", "subset", "shuffle")
"""The ways :class:`BatchSampler` draws mini-batches (see the module docstring)."""

_BUFFER_INDICES = 1 << 18
"""About how many indices the sampler draws at once (it refills a buffer of whole steps)."""


# --------------------------------------------------------------------------- the sums


def _finite_array(name, value, ndim):
    a = np.asarray(value, dtype=np.float64)
    if a.ndim != ndim or a.size == 0 or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be a non-empty finite {ndim}-D array, got shape "
                         f"{np.shape(value)}")
    return a


def _readonly(a):
    a = np.ascontiguousarray(a, dtype=np.float64)
    a.setflags(write=False)
    return a


class QuadraticSum:
    r"""The average :math:`f(x) = \frac1N\sum_i f_i(x)` of quadratics
    :math:`f_i(x) = \tfrac12 x^\top H_i x - q_i^\top x + c_i` (see the module docstring).

    ``hessians`` ``(N, d, d)`` symmetric, ``linear`` ``(N, d)``, ``constants`` ``(N,)``; their
    mean Hessian :math:`A` must be positive definite, so that :math:`f` has one minimiser
    :math:`x^\star = A^{-1}\bar q`.

    Attributes: ``n``, ``dim``, ``hessians``, ``linear``, ``constants``, ``mean_hessian``
    (:math:`A`), ``mean_linear`` (:math:`\bar q`), ``minimizer``, ``min_value``,
    ``eigenvalues`` (ascending) and ``eigenvectors`` (columns) of :math:`A`, ``name``.
    """

    def __init__(self, hessians, linear, constants, name="quadratic sum"):
        hessians = _finite_array("hessians", hessians, 3)
        linear = _finite_array("linear", linear, 2)
        constants = _finite_array("constants", constants, 1)
        n, d = linear.shape
        if hessians.shape != (n, d, d) or constants.shape != (n,):
            raise ValueError(f"hessians must have shape (N, d, d) = ({n}, {d}, {d}) and "
                             f"constants ({n},), got {hessians.shape} and {constants.shape}")
        if not np.allclose(hessians, hessians.transpose(0, 2, 1), rtol=1e-12, atol=1e-12):
            raise ValueError("hessians must be symmetric")
        mean_hessian = hessians.mean(axis=0)
        eigenvalues, eigenvectors = np.linalg.eigh(mean_hessian)
        if eigenvalues[0] <= 1e-12 * max(eigenvalues[-1], 1e-300):
            raise ValueError(f"the mean Hessian must be positive definite, its eigenvalues are "
                             f"{eigenvalues}")
        self.name = str(name)
        self.n, self.dim = n, d
        self.hessians = _readonly(hessians)
        self.linear = _readonly(linear)
        self.constants = _readonly(constants)
        self.mean_hessian = _readonly(mean_hessian)
        self.mean_linear = _readonly(linear.mean(axis=0))
        self.eigenvalues = _readonly(eigenvalues)
        self.eigenvectors = _readonly(eigenvectors)
        self.minimizer = _readonly(np.linalg.solve(mean_hessian, self.mean_linear))
        x = self.minimizer
        self.min_value = float(0.5 * x @ mean_hessian @ x - self.mean_linear @ x
                               + constants.mean())

    def _points(self, x):
        x = np.asarray(x, dtype=np.float64)
        if x.shape[-1:] != (self.dim,):
            raise ValueError(f"x must have shape (..., {self.dim}), got {x.shape}")
        return x

    def excess(self, x):
        r""":math:`f(x) - f^\star = \tfrac12 (x-x^\star)^\top A (x-x^\star)` for points ``x``
        of shape ``(..., d)``."""
        e = self._points(x) - self.minimizer
        return 0.5 * np.einsum("...i,ij,...j->...", e, self.mean_hessian, e)

    def value(self, x):
        """:math:`f(x)` for points ``x`` of shape ``(..., d)``."""
        return self.min_value + self.excess(x)

    def grad(self, x) -> np.ndarray:
        r""":math:`\nabla f(x) = A x - \bar q` at one point."""
        x = self._points(x)
        return self.mean_hessian @ x - self.mean_linear

    def sample_grads(self, x) -> np.ndarray:
        r"""The per-example gradients :math:`H_i x - q_i` at one point, ``(N, d)``."""
        x = self._points(x)
        return self.hessians @ x - self.linear

    def gradient_covariance(self, x=None) -> np.ndarray:
        r"""The population covariance :math:`\frac1N\sum_i (g_i - \bar g)(g_i - \bar g)^\top`
        of the per-example gradients at ``x`` (default: the minimiser, where
        :math:`\bar g = 0`)."""
        g = self.sample_grads(self.minimizer if x is None else x)
        g = g - g.mean(axis=0)
        return g.T @ g / self.n

    def eigen_coordinates(self, x) -> np.ndarray:
        r"""The error :math:`x - x^\star` in the eigenbasis of :math:`A`, for ``(..., d)``."""
        return (self._points(x) - self.minimizer) @ self.eigenvectors

    def __repr__(self):
        return (f"QuadraticSum({self.name!r}: N={self.n}, d={self.dim}, "
                f"eigenvalues {np.array2string(self.eigenvalues, precision=4)})")


def least_squares(X, y, name="least squares") -> QuadraticSum:
    r"""Least squares :math:`f(x) = \frac1N\sum_i \tfrac12 (a_i^\top x - y_i)^2` over the rows
    :math:`a_i` of ``X`` ``(N, d)`` and the targets ``y`` ``(N,)``: :math:`H_i = a_i a_i^\top`,
    :math:`q_i = y_i a_i`, :math:`c_i = \tfrac12 y_i^2`."""
    X = _finite_array("X", X, 2)
    y = _finite_array("y", y, 1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one target per row of X ({X.shape[0]}), got {y.shape[0]}")
    return QuadraticSum(X[:, :, None] * X[:, None, :], X * y[:, None], 0.5 * y * y, name)


def shifted_quadratic(A, centers, name="shifted quadratic") -> QuadraticSum:
    r""":math:`f_i(x) = \tfrac12 (x - c_i)^\top A (x - c_i)` with one symmetric positive
    definite ``A`` ``(d, d)`` and the centres ``centers`` ``(N, d)``; the minimiser is the mean
    centre and the gradient noise :math:`-A(c_i - \bar c)` is the same at every point."""
    A = _finite_array("A", A, 2)
    centers = _finite_array("centers", centers, 2)
    n, d = centers.shape
    if A.shape != (d, d):
        raise ValueError(f"A must have shape ({d}, {d}) like the centres' dimension, got {A.shape}")
    linear = centers @ A.T
    constants = 0.5 * np.einsum("ni,ij,nj->n", centers, A, centers)
    return QuadraticSum(np.broadcast_to(A, (n, d, d)), linear, constants, name)


def noisy_quadratic(eigenvalues, n, noise_std, *, seed=0) -> QuadraticSum:
    r"""A :func:`shifted_quadratic` with :math:`A = \mathrm{diag}(\lambda_1, \dots, \lambda_d)`
    (``eigenvalues``, each > 0), minimiser 0 and ``n`` (> d) examples whose gradients at any
    point scatter around the full gradient with covariance exactly :math:`\sigma^2 I`,
    :math:`\sigma` = ``noise_std`` (> 0).

    Draws :math:`z_i \sim \mathcal N(0, I)` from ``np.random.default_rng(seed)``, centres and
    whitens them (so that their mean is exactly 0 and their covariance, with :math:`1/N`, exactly
    :math:`I`), and sets :math:`c_i = -\sigma A^{-1} z_i`, so that the per-example gradient
    noise :math:`-A c_i = \sigma z_i`.
    """
    lam = _finite_array("eigenvalues", eigenvalues, 1)
    if np.any(lam <= 0):
        raise ValueError(f"eigenvalues must be > 0, got {lam}")
    d = lam.size
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n <= d:
        raise ValueError(f"n must be an integer > {d} (the dimension), got {n!r}")
    noise_std = float(noise_std)
    if not (math.isfinite(noise_std) and noise_std > 0):
        raise ValueError(f"noise_std must be a finite number > 0, got {noise_std!r}")
    z = np.random.default_rng(seed).standard_normal((int(n), d))
    z -= z.mean(axis=0)
    cholesky = np.linalg.cholesky(z.T @ z / n)
    z = np.linalg.solve(cholesky, z.T).T
    return shifted_quadratic(np.diag(lam), -noise_std * z / lam, name="noisy quadratic")


# --------------------------------------------------------------------------- mini-batches



def check_sampling(sampling: str) -> str:
    """``sampling`` if it is one of :data:`SAMPLINGS`, else a ``ValueError`` naming them."""
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")
    return sampling


class BatchSampler:
    """Mini-batches of ``batch_size`` indices into ``n`` examples, drawn by ``sampling`` (one
    of :data:`SAMPLINGS`) from ``np.random.default_rng(seed)``.

    :meth:`take` returns the next batches. The stream does not depend on how the calls split
    it: ``"replacement"`` and ``"subset"`` refill a buffer of whole steps, ``"shuffle"`` draws
    one permutation per epoch. With ``"subset"`` a batch is drawn by rejection when
    :math:`S(S-1) < N` (independent draws, redrawn while they repeat an index), else as the
    ``batch_size`` smallest of ``n`` uniform keys; both give a uniformly random subset.
    """

    def __init__(self, n: int, batch_size: int, sampling: str = "replacement", seed=0):
        self.n = checks.count("n", n, 1)
        self.batch_size = checks.count("batch_size", batch_size, 1, self.n)
        self.sampling = check_sampling(sampling)
        self.rng = np.random.default_rng(seed)
        self.batches_per_epoch = -(-self.n // self.batch_size)
        self._rows = np.empty((0, self.batch_size), dtype=np.int64)
        self._row = 0
        self._epoch = np.empty(0, dtype=np.int64)
        self._epoch_batch = self.batches_per_epoch

    def _refill(self):
        rows = max(1, _BUFFER_INDICES // (self.n if self.sampling == "subset"
                                           else self.batch_size))
        if self.sampling == "replacement":
            self._rows = self.rng.integers(0, self.n, size=(rows, self.batch_size))
        elif self.batch_size == self.n:
            self._rows = np.broadcast_to(np.arange(self.n), (rows, self.n))
        elif self.batch_size * (self.batch_size - 1) < self.n:
            self._rows = self._distinct_rows(rows)
        else:
            keys = self.rng.random((rows, self.n))
            self._rows = np.argpartition(keys, self.batch_size - 1, axis=1)[:, :self.batch_size]
        self._row = 0

    def _distinct_rows(self, rows):
        """Rows of distinct indices by rejection: independent uniform draws, with every row
        that repeats an index drawn again (a uniformly random ordered sample without
        replacement). Used when :math:`S(S-1) < N`, where fewer than half the rows repeat."""
        out = self.rng.integers(0, self.n, size=(rows, self.batch_size))
        redo = np.arange(rows)
        while redo.size:
            ordered = np.sort(out[redo], axis=1)
            redo = redo[np.any(ordered[:, 1:] == ordered[:, :-1], axis=1)]
            out[redo] = self.rng.integers(0, self.n, size=(redo.size, self.batch_size))
        return out

    def _take_rows(self, steps):
        sizes = [np.full(steps, self.batch_size)]
        parts = []
        while steps > 0:
            if self._row == self._rows.shape[0]:
                self._refill()
            k = min(steps, self._rows.shape[0] - self._row)
            parts.append(self._rows[self._row:self._row + k].ravel())
            self._row += k
            steps -= k
        return parts, sizes

    def _take_epochs(self, steps):
        parts, sizes = [], []
        while steps > 0:
            if self._epoch_batch == self.batches_per_epoch:
                self._epoch = self.rng.permutation(self.n)
                self._epoch_batch = 0
            k = min(steps, self.batches_per_epoch - self._epoch_batch)
            first = self._epoch_batch * self.batch_size
            starts = first + self.batch_size * np.arange(k)
            parts.append(self._epoch[first:min(first + k * self.batch_size, self.n)])
            sizes.append(np.minimum(self.batch_size, self.n - starts))
            self._epoch_batch += k
            steps -= k
        return parts, sizes

    def take(self, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """The next ``steps`` batches as ``(indices, offsets)``: batch ``k`` is
        ``indices[offsets[k]:offsets[k + 1]]``."""
        steps = checks.count("steps", steps, 0)
        take = self._take_epochs if self.sampling == "shuffle" else self._take_rows
        parts, sizes = take(steps)
        offsets = np.zeros(steps + 1, dtype=np.int64)
        if steps:
            np.cumsum(np.concatenate(sizes), out=offsets[1:])
        indices = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        return indices.astype(np.int64, copy=False), offsets


def minibatch_deviations(values, batch_sizes, sampling: str, draws: int, *,
                         seed=0) -> np.ndarray:
    r"""Squared distances :math:`\|\bar v_B - \bar v\|^2` between the mean of a mini-batch and
    the mean of all ``values`` ``(N, P)`` (per-example gradients, say), for ``draws``
    consecutive batches of each size in ``batch_sizes``, drawn by ``sampling``; an array
    ``(len(batch_sizes), draws)``. The :math:`k`-th size uses the sampler seeded
    ``(seed, k)``.

    Their average estimates the total variance of the mini-batch mean,
    :math:`\operatorname{tr}\operatorname{Cov}(\bar v_B)`. Computed through the Gram matrix of
    the centred values, once for all sizes: with :math:`m_i` the multiplicity of example
    :math:`i` in the batch, :math:`\|\bar v_B - \bar v\|^2 = m^\top K m / |B|^2`,
    :math:`K = V_c V_c^\top`.
    """
    values = _finite_array("values", values, 2)
    n = values.shape[0]
    draws = checks.count("draws", draws, 1)
    sizes = [checks.count("batch size", s, 1, n) for s in np.atleast_1d(batch_sizes)]
    centred = values - values.mean(axis=0)
    gram = centred @ centred.T
    out = np.empty((len(sizes), draws))
    for k, size in enumerate(sizes):
        indices, offsets = BatchSampler(n, size, sampling, seed=(seed, k)).take(draws)
        rows = np.repeat(np.arange(draws), np.diff(offsets))
        counts = np.bincount(rows * n + indices, minlength=draws * n).reshape(draws, n)
        out[k] = np.sum((counts @ gram) * counts, axis=1) / np.diff(offsets) ** 2
    return out


# --------------------------------------------------------------------------- SGD


class MiniBatchRun(NamedTuple):
    """A mini-batch SGD run on a :class:`QuadraticSum`. Arrays stop at the last iterate that
    was finite and within the bound."""

    positions: np.ndarray
    """``(k+1, d)`` iterates :math:`x_0 .. x_k`."""
    excess: np.ndarray
    r"""``(k+1,)`` :math:`f(x_t) - f^\star` (exact: a quadratic's excess loss)."""
    lrs: np.ndarray
    r"""``(steps,)`` the rate :math:`\eta_t` of every step asked for (a plateau schedule's are
    known only for the epochs run)."""
    diverged_at: int | None
    """Index of the first iterate that was non-finite or beyond the bound, else ``None``."""
    steps_run: int
    """Steps whose result is recorded, ``len(positions) - 1``."""


@njit(cache=True, error_model="numpy")
def _sgd_steps(hessians, linear, mean_hessian, minimizer, indices, offsets, lrs, bound,
               positions, excess, first):
    """Steps ``first .. first + len(lrs) - 1`` from ``positions[first]`` (whose excess is
    recorded); returns the index of the first iterate out of bounds or non-finite, else -1."""
    d = positions.shape[1]
    x = positions[first].copy()
    e = np.empty(d)
    g = np.empty(d)
    for k in range(lrs.size):
        g[:] = 0.0
        start, stop = offsets[k], offsets[k + 1]
        for j in range(start, stop):
            i = indices[j]
            for a in range(d):
                total = -linear[i, a]
                for b in range(d):
                    total += hessians[i, a, b] * x[b]
                g[a] += total
        scale = lrs[k] / (stop - start)
        finite = True
        for a in range(d):
            x[a] -= scale * g[a]
            finite &= abs(x[a]) <= bound
        for a in range(d):
            e[a] = x[a] - minimizer[a]
        quadratic = 0.0
        for a in range(d):
            for b in range(d):
                quadratic += e[a] * mean_hessian[a, b] * e[b]
        if not (finite and math.isfinite(quadratic)):
            return first + k + 1
        positions[first + k + 1] = x
        excess[first + k + 1] = 0.5 * quadratic
    return -1


def sgd(problem: QuadraticSum, x0, lr: float, steps: int, *, batch_size: int = 1,
        sampling: str = "replacement", schedule=None, seed=0, bound: float = 1e6) -> MiniBatchRun:
    r"""Mini-batch SGD :math:`x_{t+1} = x_t - \eta_t\, g_{B_t}(x_t)` on ``problem`` from ``x0``.

    ``lr`` (> 0) is :math:`\eta_0`; ``schedule`` a :class:`~optbook.schedules.Schedule`
    (:math:`\eta_t` = ``schedule(t, lr)``), a :class:`~optbook.plateau.ReduceOnPlateau` (fed
    the full loss :math:`f(x)` after every :math:`\lceil N/S\rceil` steps; it starts from
    ``lr``), or ``None`` for a constant rate. ``batch_size`` :math:`S` in :math:`[1, N]`,
    ``sampling`` one of :data:`SAMPLINGS`, ``seed`` for the :class:`BatchSampler`. The run
    stops at the first iterate with a coordinate beyond ``bound`` or not finite
    (``diverged_at``); divergence is a result, not an error.
    """
    if not isinstance(problem, QuadraticSum):
        raise ValueError(f"problem must be a QuadraticSum, got {type(problem).__name__}")
    x0 = np.asarray(x0, dtype=np.float64)
    if x0.shape != (problem.dim,) or not np.all(np.isfinite(x0)):
        raise ValueError(f"x0 must be {problem.dim} finite numbers, got {x0}")
    lr = float(lr)
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    steps = checks.count("steps", steps, 1)
    bound = float(bound)
    if not bound > 0:
        raise ValueError(f"bound must be > 0, got {bound!r}")
    sampler = BatchSampler(problem.n, batch_size, sampling, seed)
    positions = np.empty((steps + 1, problem.dim))
    excess = np.empty(steps + 1)
    positions[0] = x0
    excess[0] = float(problem.excess(x0))
    if schedule is None or isinstance(schedule, Schedule):
        lrs = (np.full(steps, lr) if schedule is None
               else robbins_monro.rates(schedule, lr, steps))
        chunk = max(1, _BUFFER_INDICES // sampler.batch_size)
    elif isinstance(schedule, ReduceOnPlateau):
        plateau = schedule.start(lr)
        lrs = np.full(steps, math.nan)
        chunk = sampler.batches_per_epoch
    else:
        raise ValueError(f"schedule must be None, a Schedule or a ReduceOnPlateau, got "
                         f"{type(schedule).__name__}")
    args = (problem.hessians, problem.linear, problem.mean_hessian, problem.minimizer)
    done = 0
    bad = -1
    while done < steps and bad < 0:
        k = min(chunk, steps - done)
        if isinstance(schedule, ReduceOnPlateau):
            lrs[done:done + k] = plateau.lr
        indices, offsets = sampler.take(k)
        bad = _sgd_steps(*args, indices, offsets, lrs[done:done + k], bound, positions, excess,
                         done)
        done += k
        if bad < 0 and isinstance(schedule, ReduceOnPlateau):
            plateau.step(problem.min_value + excess[done])
    n = steps + 1 if bad < 0 else bad
    return MiniBatchRun(positions[:n], excess[:n], lrs, None if bad < 0 else bad, n - 1)
