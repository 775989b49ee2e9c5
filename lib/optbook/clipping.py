r"""Gradient clipping as formulas on one gradient vector, for the landscape chapter's
comparisons; the runs clip through ``clip=("value", c)`` or ``("norm", c)`` of
:func:`optbook.run.trajectory` and :func:`optbook.nn.train` (:mod:`optbook.schedules`).

* by value (element-wise): :math:`g_i \mapsto \min(\max(g_i, -c), c)`;
* by norm: :math:`g \mapsto g\,\min(1, c/\|g\|)`, which keeps the direction
  (Pascanu, Mikolov & Bengio 2013);
* the one-sided rule :math:`g_i \mapsto \min(g_i, c)` as some lecture notes write it
  (:func:`one_sided`), which leaves every large negative component unchanged.

:func:`descend` runs gradient descent with any such rule applied to each gradient, a plain
NumPy loop for rules the compiled runs do not offer (the one-sided rule); with clipping by value
or by norm it gives the iterates of :func:`optbook.run.trajectory` (tested).
"""

from __future__ import annotations

import math

import numpy as np

from . import schedules

MODES = ("none", "value", "norm")


def _gradient(g):
    g = np.array(g, dtype=np.float64, ndmin=1)
    if g.ndim != 1 or not np.all(np.isfinite(g)):
        raise ValueError(f"g must be a finite 1-D vector, got {g!r}")
    return g


def _threshold(c):
    c = float(c)
    if not (math.isfinite(c) and c > 0):
        raise ValueError(f"threshold c must be a finite number > 0, got {c!r}")
    return c


def clip(g, mode: str, c: float) -> np.ndarray:
    """``g`` clipped by ``mode`` (``"none"``, ``"value"`` or ``"norm"``) at threshold ``c``,
    with the library's run-time kernels (:func:`optbook.schedules.apply_clip`)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    g = _gradient(g)
    c = _threshold(c)
    code = {"none": schedules.CLIP_NONE, "value": schedules.CLIP_VALUE,
            "norm": schedules.CLIP_NORM}[mode]
    schedules.apply_clip(code, c, g)
    return g


def one_sided(g, c: float) -> np.ndarray:
    r"""The one-sided rule :math:`\min(g_i, c)`: caps positive components only."""
    return np.minimum(_gradient(g), _threshold(c))


def turn_angle(g, clipped) -> float:
    """The angle in degrees between ``g`` and its clipped version (0 when the direction is
    kept; clipping by norm always gives 0)."""
    g, clipped = _gradient(g), _gradient(clipped)
    cos = float(g @ clipped) / (np.linalg.norm(g) * np.linalg.norm(clipped))
    return math.degrees(math.acos(min(1.0, max(-1.0, cos))))


def descend(landscape, x0, lr: float, steps: int, rule) -> np.ndarray:
    r"""The iterates :math:`x_{t+1} = x_t - \eta\, r(\nabla f(x_t))` of gradient descent on
    ``landscape`` from ``x0`` with the gradient rule ``rule`` (a function of the gradient
    vector, e.g. ``lambda g: one_sided(g, 1.0)``), as a ``(steps + 1, dim)`` array. A
    non-finite iterate ends the run early (the array then stops at it)."""
    lr = float(lr)
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    x = np.array(x0, dtype=np.float64)
    out = [x.copy()]
    for _ in range(int(steps)):
        x = x - lr * np.asarray(rule(landscape.grad(x)), dtype=np.float64)
        out.append(x.copy())
        if not np.all(np.isfinite(x)):
            break
    return np.array(out)
