r"""How far a run is from the minimiser: distances, steps to a tolerance, eigen-components.

The chapters measure a run by its error :math:`x_t - x^\star`, with :math:`x^\star` the
minimiser nearest the run's last iterate (on a landscape with several minima, the one the run
went to). A run is a :class:`~optbook.run.Trajectory` or a plain ``(k, dim)`` array of iterates
(from a method outside the kernels, such as
:func:`optbook.polynomials.chebyshev_iterates`):

* :func:`distances` gives the norms :math:`e_t = \|x_t - x^\star\|`;
* :func:`steps_to` the first step :math:`t` with :math:`e_t \le \text{tol}\cdot e_0`;
* :func:`eigen_components` the error in the eigenbasis of the Hessian at :math:`x^\star`,
  :math:`Q^\top (x_t - x^\star)` with :math:`\nabla^2 f(x^\star) = Q\Lambda Q^\top`. On a
  quadratic each column evolves on its own (the per-direction recursions of
  :mod:`optbook.theory`), which is what a per-eigendirection picture plots.
"""

from __future__ import annotations

import math

import numpy as np

from optbook.landscapes import Landscape
from optbook.run import Trajectory


def _iterates(traj, landscape):
    """``(positions, x_star)``: the iterates as a float64 ``(k, dim)`` array and the minimiser
    nearest the last one."""
    if isinstance(traj, Trajectory):
        positions = traj.positions
    elif isinstance(traj, np.ndarray) and traj.ndim == 2 and traj.dtype.kind == "f":
        positions = traj
    else:
        raise ValueError(
            f"traj must be an optbook Trajectory or a (k, dim) float array of iterates, got "
            f"{type(traj).__name__}"
        )
    if not isinstance(landscape, Landscape):
        raise ValueError(f"landscape must be an optbook Landscape, got {type(landscape).__name__}")
    if positions.shape[0] == 0 or positions.shape[1] != landscape.dim:
        raise ValueError(
            f"traj has {positions.shape[0]} iterates of dimension {positions.shape[1]}, "
            f"{landscape.name} is {landscape.dim}-D"
        )
    if len(landscape.minimizers) == 0:
        raise ValueError(f"{landscape.name} has no minimizer to measure an error against")
    positions = np.asarray(positions, dtype=np.float64)
    return positions, landscape.nearest_minimizer(positions[-1])


def distances(traj, landscape) -> np.ndarray:
    r"""The distances :math:`\|x_t - x^\star\|` of the iterates of ``traj`` (a
    :class:`~optbook.run.Trajectory`, or a ``(k, dim)`` float array of iterates) to the
    minimiser of ``landscape`` nearest the last iterate; float64, one per iterate."""
    positions, x_star = _iterates(traj, landscape)
    return np.linalg.norm(positions - x_star, axis=1)


def steps_to(traj, landscape, tol=1e-6) -> int | None:
    r"""The first step :math:`t` at which :math:`\|x_t - x^\star\| \le \text{tol}\cdot
    \|x_0 - x^\star\|`, or ``None`` if the run never gets there. ``tol`` in :math:`(0, 1]`."""
    try:
        tol = float(tol)
    except (TypeError, ValueError):
        raise ValueError(f"tol must be a real number in (0, 1], got {tol!r}") from None
    if math.isnan(tol) or not 0.0 < tol <= 1.0:
        raise ValueError(f"tol must be in (0, 1], got {tol!r}")
    e = distances(traj, landscape)
    hits = np.flatnonzero(e <= tol * e[0])
    return int(hits[0]) if hits.size else None


def eigen_components(traj, landscape):
    r"""The error of every iterate along the eigenvectors of the Hessian at :math:`x^\star`:
    returns ``(eigenvalues, components)``, the eigenvalues ascending and ``components[t, i]`` the
    coordinate of :math:`x_t - x^\star` along the :math:`i`-th eigenvector (NumPy's ``eigh``;
    an eigenvector's sign is NumPy's choice)."""
    positions, x_star = _iterates(traj, landscape)
    lam, q = np.linalg.eigh(landscape.hessian(x_star))
    return lam, (positions - x_star) @ q
