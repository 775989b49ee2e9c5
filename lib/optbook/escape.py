r"""Small-step SGD as a random walk at a temperature: barriers between minima and the time to
cross them.

With gradient noise of variance :math:`\sigma^2/S` per coordinate, a step
:math:`x_{t+1} = x_t - \eta(\nabla f(x_t) + \xi_t)` moves like the Langevin diffusion
:math:`dX = -\nabla f(X)\,d\tau + \sqrt{2T}\,dW` observed at times :math:`\tau = \eta t`, with the
*temperature* (:func:`temperature`)

.. math:: T = \frac{\eta\,\sigma^2}{2S},

since one step adds the variance :math:`\eta^2\sigma^2/S = 2T\eta` (S. Mandt, M. D. Hoffman,
D. M. Blei, "Stochastic gradient descent as approximate Bayesian inference", JMLR 18, 2017).
The diffusion leaves a well over a saddle of height :math:`\Delta f` above its minimum after a
time that grows like :math:`e^{\Delta f/T}` for small :math:`T` (Arrhenius' law, made exact by
Kramers and by Eyring; see N. Berglund, "Kramers' law: validity, derivations and
generalisations", Markov Processes Relat. Fields 19, 2013). In steps, at fixed :math:`\eta` and
:math:`\sigma`, :math:`\ln(\text{escape steps})` then grows with the batch size at the slope
:math:`2\Delta f/(\eta\sigma^2)` per example (:func:`arrhenius_slope`).

:func:`saddle_between` finds the saddle between two minimisers of a 2-D landscape, and
:func:`first_arrival` the step at which a run first comes near a point.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optbook import checks
from optbook.landscapes import Landscape


def temperature(lr: float, noise_var: float, batch_size: int = 1) -> float:
    r""":math:`T = \eta\sigma^2/(2S)` for the rate ``lr``, the per-example gradient variance
    per coordinate ``noise_var`` and ``batch_size`` :math:`S` (>= 1)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or (
        batch_size < 1
    ):
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    return checks.positive("lr", lr) * checks.positive("noise_var", noise_var) / (2.0 * batch_size)


class Saddle(NamedTuple):
    """A saddle point between two minimisers and the barriers it sets."""

    point: np.ndarray
    value: float
    barriers: tuple
    r"""``(f(saddle) - f(a), f(saddle) - f(b))``: the heights to climb from each minimiser."""


def saddle_between(landscape: Landscape, a, b, *, resolution: int = 2001,
                   iterations: int = 50) -> Saddle:
    r"""The saddle point between the minimisers ``a`` and ``b`` of ``landscape``: the highest
    point of :math:`f` on the segment from ``a`` to ``b`` (on a grid of ``resolution``
    points), polished by Newton's method on :math:`\nabla f = 0`. The result is checked: the
    gradient must vanish there (to :math:`10^{-10}`) and the Hessian have one negative and one
    positive eigenvalue. The segment finds the saddle when the landscape is symmetric about
    it, as the Barra lecture's two-minima function is about :math:`x_2 = 0`; otherwise the
    check fails with a ``ValueError``."""
    if not isinstance(landscape, Landscape):
        raise ValueError(f"landscape must be an optbook Landscape, got {type(landscape).__name__}")
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    s = np.linspace(0.0, 1.0, resolution)[:, None]
    segment = (1 - s) * a + s * b
    values = np.array([landscape.value(p) for p in segment])
    x = segment[int(np.argmax(values))].copy()
    for _ in range(iterations):
        x = x - np.linalg.solve(landscape.hessian(x), landscape.grad(x))
    eigenvalues = np.linalg.eigvalsh(landscape.hessian(x))
    if not (np.linalg.norm(landscape.grad(x)) < 1e-10 and eigenvalues[0] < 0 < eigenvalues[-1]):
        raise ValueError("no saddle point found between a and b along their segment")
    value = landscape.value(x)
    return Saddle(x, value, (value - landscape.value(a), value - landscape.value(b)))


def arrhenius_slope(barrier: float, lr: float, noise_var: float) -> float:
    r"""The slope :math:`2\Delta f/(\eta\sigma^2)` of :math:`\ln(\text{escape steps})` against
    the batch size predicted by Arrhenius' law :math:`e^{\Delta f/T}`,
    :math:`T = \eta\sigma^2/(2S)`."""
    barrier = checks.positive("barrier", barrier)
    return 2.0 * barrier / (checks.positive("lr", lr) * checks.positive("noise_var", noise_var))


def first_arrival(positions, point, radius: float) -> int | None:
    """The first index ``t`` at which ``positions[t]`` lies within ``radius`` of ``point``,
    else ``None``."""
    positions = np.asarray(positions, dtype=np.float64)
    near = np.flatnonzero(np.linalg.norm(positions - np.asarray(point, dtype=np.float64), axis=1)
                          <= checks.positive("radius", radius))
    return int(near[0]) if near.size else None
