"""Checks of scalar arguments, shared by the modules that take them.

Each returns the value as the type it promises, or raises ``ValueError`` naming the argument,
what it must be, and what it got. Booleans are refused where a number is asked for.
"""

from __future__ import annotations

import math

import numpy as np


def count(name: str, value, low: int = 1, high: int | None = None) -> int:
    """``value`` as an ``int`` in ``[low, high]`` (``high=None``: no upper end)."""
    integer = not isinstance(value, bool | np.bool_) and isinstance(value, int | np.integer)
    if not integer or value < low or (high is not None and value > high):
        bounds = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be an integer {bounds}, got {value!r}")
    return int(value)


def real(name: str, value, low: float = -math.inf, high: float = math.inf, low_open=False,
         high_open=False) -> float:
    """``value`` as a finite ``float`` in the interval from ``low`` to ``high``, each end
    closed unless ``*_open``."""
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if not math.isfinite(value) or too_low or too_high:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return value


def positive(name: str, value) -> float:
    """``value`` as a finite ``float`` > 0."""
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be a real number > 0, got {value!r}")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number > 0, got {value!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return value
