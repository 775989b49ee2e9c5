r"""Critical points: how many are minima, how long a saddle holds gradient descent, and the
index of a Hessian.

* :func:`minimum_fraction` estimates :math:`P(\text{all eigenvalues} > 0)` for an
  :math:`n\times n` matrix of the Gaussian orthogonal ensemble (GOE), a model of the Hessian
  at a random critical point of a high-dimensional function (Bray & Dean 2007; Dauphin et al.
  2014). It samples the ensemble through its tridiagonal model (Dumitriu & Edelman 2002),

  .. math:: T = \frac{1}{\sqrt2}\begin{pmatrix} a_1 & b_1 & & \\ b_1 & a_2 & \ddots & \\
     & \ddots & \ddots & b_{n-1} \\ & & b_{n-1} & a_n \end{pmatrix},\qquad
     a_i \sim N(0, 2),\quad b_i \sim \chi_{n-i},

  whose eigenvalues have exactly the distribution of those of :math:`(G + G^\top)/2`,
  :math:`G` with independent :math:`N(0, 1)` entries. :math:`T` is positive definite iff
  every pivot of its Gaussian elimination is positive,
  :math:`d_1 = a_1`, :math:`d_i = a_i - b_{i-1}^2/d_{i-1}` (Sylvester's criterion: the
  leading minors are :math:`d_1 d_2\cdots d_i`, up to the factor :math:`2^{-i/2}`), so a
  sample costs :math:`O(n)` and is dropped at its first non-positive pivot.
  :func:`dense_minimum_fraction` samples dense GOE matrices and counts those whose smallest
  eigenvalue is positive, the direct (slower) route the tests compare with.
* :func:`saddle_escape_steps` is the closed form for gradient descent leaving the saddle
  :math:`x_1^2 - x_2^2` from :math:`(x_1, x_2) = (\cdot, y_0)`: the unstable coordinate grows
  as :math:`x_{t,2} = (1 + 2\eta)^t y_0`, so it first reaches :math:`r` after
  :math:`\lceil \ln(r/y_0)/\ln(1+2\eta)\rceil` steps. :func:`first_exit` measures it on a
  trajectory.
* :func:`stationary_point` finds the critical point of a 2-D landscape near a seed by Newton's
  method on the gradient, :math:`x \leftarrow x - H(x)^{-1}\nabla f(x)`, which converges to
  saddles as readily as to minima, and reports its index.
* :func:`hessian_index` counts the negative eigenvalues of a symmetric matrix (the index of a
  critical point: 0 at a minimum), with a tolerance for the rounding of a Hessian measured by
  finite differences.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from optbook import checks


class Fraction(NamedTuple):
    """A Monte-Carlo proportion: ``hits`` of ``samples``, its estimate and standard error
    :math:`\\sqrt{p(1-p)/N}` (with :math:`p` the estimate)."""

    hits: int
    samples: int
    estimate: float
    stderr: float


def _fraction(hits, samples):
    p = hits / samples
    return Fraction(int(hits), int(samples), p, math.sqrt(p * (1.0 - p) / samples))


def minimum_fraction(n: int, samples: int, *, seed=0, chunk: int = 1_000_000) -> Fraction:
    r"""The fraction of ``samples`` GOE matrices of size ``n`` that are positive definite,
    from the tridiagonal model (see the module docstring), drawn ``chunk`` at a time from
    ``numpy.random.default_rng(seed)``."""
    n = checks.count("n", n, 1)
    samples = checks.count("samples", samples, 1)
    chunk = checks.count("chunk", chunk, 1)
    rng = np.random.default_rng(seed)
    hits = 0
    left = samples
    while left:
        m = min(chunk, left)
        left -= m
        pivot = rng.normal(0.0, math.sqrt(2.0), m)
        alive = pivot > 0.0
        pivot = pivot[alive]
        for i in range(1, n):
            if pivot.size == 0:
                break
            b_sq = rng.chisquare(n - i, pivot.size)
            a = rng.normal(0.0, math.sqrt(2.0), pivot.size)
            pivot = a - b_sq / pivot
            pivot = pivot[pivot > 0.0]
        hits += pivot.size
    return _fraction(hits, samples)


def dense_minimum_fraction(n: int, samples: int, *, seed=0) -> Fraction:
    r"""The same fraction from dense matrices :math:`(G+G^\top)/2` and their smallest
    eigenvalue (``numpy.linalg.eigvalsh``): the definition, for checking."""
    n = checks.count("n", n, 1)
    samples = checks.count("samples", samples, 1)
    g = np.random.default_rng(seed).standard_normal((samples, n, n))
    smallest = np.linalg.eigvalsh(0.5 * (g + np.swapaxes(g, 1, 2)))[:, 0]
    return _fraction(int(np.count_nonzero(smallest > 0.0)), samples)


#: The exponent :math:`\theta = \ln 3/4` of the large-:math:`n` law
#: :math:`P(\text{GOE positive definite}) \approx e^{-\theta n^2}` (Dean & Majumdar 2006).
DEAN_MAJUMDAR_THETA = math.log(3.0) / 4.0


def saddle_escape_steps(lr: float, y0: float, radius: float = 1.0) -> int:
    r"""Steps of gradient descent with rate ``lr`` on :math:`x_1^2 - x_2^2` until
    :math:`|x_{t,2}| \ge` ``radius``, from :math:`|x_{0,2}| =` ``y0``:
    :math:`\lceil \ln(r/y_0) / \ln(1 + 2\eta)\rceil` (0 if :math:`y_0 \ge r`)."""
    lr, y0, radius = float(lr), float(y0), float(radius)
    for name, value in (("lr", lr), ("y0", y0), ("radius", radius)):
        if not (math.isfinite(value) and value > 0.0):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    if y0 >= radius:
        return 0
    return math.ceil(math.log(radius / y0) / math.log1p(2.0 * lr))


def first_exit(positions, coordinate: int, radius: float) -> int | None:
    """The first index ``t`` with ``|positions[t, coordinate]| >= radius`` (``None`` if the
    trajectory never gets there)."""
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim != 2 or not (0 <= coordinate < positions.shape[1]):
        raise ValueError(f"positions must be (steps, dim) with coordinate in range, got shape "
                         f"{positions.shape} and coordinate {coordinate!r}")
    out = np.flatnonzero(np.abs(positions[:, coordinate]) >= radius)
    return int(out[0]) if out.size else None


def hessian_index(hessian, tol: float = 1e-6) -> int:
    r"""The number of eigenvalues of the symmetric matrix below
    :math:`-\mathrm{tol}\cdot\max_i|\lambda_i|` (negative ones, rounding aside)."""
    h = np.asarray(hessian, dtype=np.float64)
    if h.ndim != 2 or h.shape[0] != h.shape[1] or not np.all(np.isfinite(h)):
        raise ValueError(f"hessian must be a finite square matrix, got shape {h.shape}")
    lam = np.linalg.eigvalsh(0.5 * (h + h.T))
    scale = np.abs(lam).max() if lam.size else 0.0
    return int(np.count_nonzero(lam < -tol * scale))


class Stationary(NamedTuple):
    """A critical point: where, the value there, the Hessian's eigenvalues and the index."""

    point: np.ndarray
    value: float
    eigenvalues: np.ndarray
    index: int


def stationary_point(landscape, seed, iterations: int = 50, tol: float = 1e-10) -> Stationary:
    r"""Newton's method on :math:`\nabla f = 0` from ``seed`` (``iterations`` steps), for a
    landscape with a closed-form Hessian. Raises ``RuntimeError`` unless
    :math:`\|\nabla f\|` ends below ``tol``."""
    iterations = checks.count("iterations", iterations, 1)
    x = np.array(seed, dtype=np.float64)
    for _ in range(iterations):
        x = x - np.linalg.solve(landscape.hessian(x), landscape.grad(x))
    if not np.linalg.norm(landscape.grad(x)) < tol:
        raise RuntimeError(f"Newton's method from {list(seed)} did not reach a critical point")
    lam = np.linalg.eigvalsh(landscape.hessian(x))
    return Stationary(x, landscape.value(x), lam, hessian_index(np.diag(lam)))
