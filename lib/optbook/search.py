r"""Hyper-parameter search: grids and random draws over boxes, coarse to fine, and the
probability argument for random search.

A search box is a dict of :class:`Range` objects, one per hyper-parameter. Learning rates and
regularisation strengths are searched on a log scale: ``log_range(1e-6, 10)`` draws
:math:`\eta = 10^\alpha` with :math:`\alpha \sim U(-6, 1)`, as the DD2424 lecture and CS231n
do. :func:`random_search` draws ``n`` points independently; :func:`grid_search` tries the
product of ``per_axis`` evenly spaced values per axis. :func:`refine` narrows a box around the
best trials (one stage of coarse-to-fine search) and :func:`on_border` says whether the best
trial sits at the edge of its range, where the search should be widened rather than refined.

**Why random search** (Bergstra & Bengio 2012). A trial lands among the best fraction
:math:`q` of the box with probability :math:`q`, whatever the dimension, so among :math:`n`
independent trials at least one does with probability

.. math:: P_n = 1 - (1-q)^n

(:func:`p_top`): :math:`0.37` for :math:`n = 9`, :math:`q = 0.05`, and at least 0.95 from
:math:`n = \lceil \ln 0.05/\ln 0.95\rceil = 59` on (:func:`trials_needed`). A grid has no such
guarantee, and when only some hyper-parameters matter it wastes trials: a :math:`3\times 3`
grid tries three values of each, nine random points try nine.
:func:`hit_rate` measures :math:`P_n` by drawing, :func:`pool_hit_rate` on a pool of real
trials.

Objectives return a number to minimise (a validation loss); ``nan`` marks a trial that
diverged, and such trials are never the best.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from optbook import checks


class Range(NamedTuple):
    """One hyper-parameter's interval ``[low, high]``, searched uniformly in :math:`\\log_{10}`
    (``log``) or in the value itself."""

    low: float
    high: float
    log: bool

    def to_unit(self, values) -> np.ndarray:
        """Positions of ``values`` in the range's scale, 0 at ``low`` and 1 at ``high``."""
        v = np.asarray(values, dtype=np.float64)
        if self.log:
            return (np.log10(v) - math.log10(self.low)) / (
                math.log10(self.high) - math.log10(self.low))
        return (v - self.low) / (self.high - self.low)

    def from_unit(self, u) -> np.ndarray:
        """The values at positions ``u`` of the range's scale (inverse of :meth:`to_unit`)."""
        u = np.asarray(u, dtype=np.float64)
        if self.log:
            lo, hi = math.log10(self.low), math.log10(self.high)
            return 10.0 ** (lo + u * (hi - lo))
        return self.low + u * (self.high - self.low)


def _bounds(low, high, log):
    try:
        low, high = float(low), float(high)
    except (TypeError, ValueError):
        raise ValueError(f"low and high must be real numbers, got {low!r} and {high!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"a range needs finite low < high, got [{low!r}, {high!r}]")
    if log and low <= 0.0:
        raise ValueError(f"a logarithmic range needs low > 0, got {low!r}")
    return Range(low, high, log)


def log_range(low: float, high: float) -> Range:
    """``[low, high]`` (0 < low < high) searched uniformly in :math:`\\log_{10}`."""
    return _bounds(low, high, True)


def linear_range(low: float, high: float) -> Range:
    """``[low, high]`` (low < high) searched uniformly."""
    return _bounds(low, high, False)


def _check_box(box):
    if not isinstance(box, dict) or not box or not all(
        isinstance(k, str) and isinstance(r, Range) for k, r in box.items()
    ):
        raise ValueError("box must be a non-empty dict of name -> Range (log_range, "
                         "linear_range)")
    return box



def random_points(box: dict, n: int, *, seed=0) -> dict:
    """``n`` (>= 1) points drawn independently and uniformly in each range's scale, with
    ``numpy.random.default_rng(seed)``; one array of ``n`` values per name (axes drawn in
    the box's order)."""
    box, n = _check_box(box), checks.count("n", n)
    rng = np.random.default_rng(seed)
    return {name: r.from_unit(rng.random(n)) for name, r in box.items()}


def grid_points(box: dict, per_axis: int) -> dict:
    """The product of ``per_axis`` (>= 1) values per range, evenly spaced in its scale and
    centred in ``per_axis`` equal cells (at :math:`(i + \\tfrac12)/m`, so that no trial sits on
    the border); one array of ``per_axis ** len(box)`` values per name, the first axis
    varying slowest."""
    box, m = _check_box(box), checks.count("per_axis", per_axis)
    centres = (np.arange(m) + 0.5) / m
    mesh = np.meshgrid(*[r.from_unit(centres) for r in box.values()], indexing="ij")
    return {name: axis.ravel() for name, axis in zip(box, mesh, strict=True)}


class SearchResult(NamedTuple):
    """The trials of a search: their points (one array per name) and their scores."""

    points: dict
    scores: np.ndarray
    """The objective at each point, lower being better, NaN where the trial diverged."""

    def best(self) -> int:
        """The index of the lowest finite score."""
        finite = np.isfinite(self.scores)
        if not finite.any():
            raise ValueError("no trial has a finite score")
        return int(np.flatnonzero(finite)[np.argmin(self.scores[finite])])

    def best_point(self) -> dict:
        """The hyper-parameters of the best trial."""
        i = self.best()
        return {name: float(values[i]) for name, values in self.points.items()}


def evaluate(objective, points: dict) -> SearchResult:
    """``objective(**point)`` at every point (a float; non-finite values are stored as NaN)."""
    if not callable(objective):
        raise ValueError("objective must be a function of the hyper-parameters by name")
    sizes = {np.asarray(v).shape for v in points.values()}
    if len(sizes) != 1 or len(next(iter(sizes))) != 1:
        raise ValueError("points must hold one 1-D array of the same length per name")
    n = next(iter(sizes))[0]
    scores = np.empty(n)
    for i in range(n):
        value = float(objective(**{k: float(v[i]) for k, v in points.items()}))
        scores[i] = value if math.isfinite(value) else math.nan
    return SearchResult({k: np.asarray(v, dtype=np.float64) for k, v in points.items()}, scores)


def random_search(objective, box: dict, n: int, *, seed=0) -> SearchResult:
    """Evaluate ``objective`` at ``n`` random points of ``box`` (:func:`random_points`)."""
    return evaluate(objective, random_points(box, n, seed=seed))


def grid_search(objective, box: dict, per_axis: int) -> SearchResult:
    """Evaluate ``objective`` on the grid of :func:`grid_points`."""
    return evaluate(objective, grid_points(box, per_axis))


def on_border(result: SearchResult, box: dict, margin: float = 0.1) -> dict:
    """For each name, whether the best trial lies within ``margin`` (a fraction of the
    range's width in its own scale, in (0, 0.5)) of either end of its range: a best value
    there suggests that better ones lie outside the box."""
    box = _check_box(box)
    margin = float(margin)
    if not 0.0 < margin < 0.5:
        raise ValueError(f"margin must be in (0, 0.5), got {margin!r}")
    point = result.best_point()
    out = {}
    for name, r in box.items():
        u = float(r.to_unit(point[name]))
        out[name] = bool(u <= margin or u >= 1.0 - margin)
    return out


def refine(result: SearchResult, box: dict, top: int = 5, widen: float = 0.25) -> dict:
    """The box of the next, finer stage: for each name, the span of the ``top`` best trials,
    widened on each side by ``widen`` (>= 0) times that span (in the range's scale); a span
    of zero is widened by ``widen`` times the old range instead."""
    box = _check_box(box)
    top = checks.count("top", top)
    widen = float(widen)
    if not (math.isfinite(widen) and widen >= 0.0):
        raise ValueError(f"widen must be a finite number >= 0, got {widen!r}")
    finite = np.flatnonzero(np.isfinite(result.scores))
    if finite.size == 0:
        raise ValueError("no trial has a finite score")
    best = finite[np.argsort(result.scores[finite], kind="stable")[:top]]
    new = {}
    for name, r in box.items():
        u = r.to_unit(result.points[name][best])
        lo, hi = float(u.min()), float(u.max())
        pad = widen * (hi - lo) if hi > lo else widen
        lo_value, hi_value = r.from_unit(lo - pad), r.from_unit(hi + pad)
        new[name] = Range(float(lo_value), float(hi_value), r.log)
    return new


def p_top(n, q: float = 0.05):
    """:math:`1 - (1-q)^n`: the probability that at least one of ``n`` independent uniform
    trials lands in the best fraction ``q`` (in (0, 1)) of the search space."""
    q = float(q)
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must be in (0, 1), got {q!r}")
    n = np.asarray(n)
    if np.any(n < 0):
        raise ValueError("n must be >= 0")
    return 1.0 - (1.0 - q) ** n


def trials_needed(p: float, q: float = 0.05) -> int:
    """The fewest trials :math:`n` with :math:`1-(1-q)^n \\ge p`:
    :math:`\\lceil \\ln(1-p)/\\ln(1-q) \\rceil`, for ``p`` and ``q`` in (0, 1)."""
    p, q = float(p), float(q)
    if not (0.0 < p < 1.0 and 0.0 < q < 1.0):
        raise ValueError(f"p and q must be in (0, 1), got p={p!r}, q={q!r}")
    n = math.ceil(math.log1p(-p) / math.log1p(-q))
    # Guard the ceiling against rounding of the logarithms either way.
    while n > 1 and 1.0 - (1.0 - q) ** (n - 1) >= p:
        n -= 1
    while 1.0 - (1.0 - q) ** n < p:
        n += 1
    return n


def hit_rate(n: int, q: float = 0.05, *, repeats: int = 10000, seed=0) -> float:
    """The fraction of ``repeats`` searches of ``n`` uniform draws on [0, 1] in which some
    draw falls below ``q``: :func:`p_top` measured (the unit interval stands for any box: a
    draw lands in the best fraction ``q`` with probability ``q``)."""
    n, repeats = checks.count("n", n), checks.count("repeats", repeats)
    q = float(q)
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must be in (0, 1), got {q!r}")
    draws = np.random.default_rng(seed).random((repeats, n))
    return float(np.mean(draws.min(axis=1) < q))


def pool_hit_rate(scores, n: int, q: float = 0.05, *, repeats: int = 10000, seed=0) -> float:
    """The fraction of ``repeats`` searches of ``n`` trials drawn with replacement from a pool
    of real trial ``scores`` (NaN: diverged, never among the best) that contain one of the
    pool's best :math:`\\lceil qN \\rceil` trials. Its expectation is
    :math:`1 - (1 - \\lceil qN\\rceil/N)^n`, :func:`p_top` at the pool's own fraction."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1 or scores.size < 2:
        raise ValueError("scores must be a 1-D array of at least 2 trial scores")
    n, repeats = checks.count("n", n), checks.count("repeats", repeats)
    q = float(q)
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must be in (0, 1), got {q!r}")
    m = math.ceil(q * scores.size)
    order = np.argsort(np.where(np.isfinite(scores), scores, np.inf), kind="stable")
    is_top = np.zeros(scores.size, dtype=bool)
    is_top[order[:m]] = True
    picks = np.random.default_rng(seed).integers(0, scores.size, (repeats, n))
    return float(np.mean(is_top[picks].any(axis=1)))
