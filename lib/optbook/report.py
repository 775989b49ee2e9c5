"""Quote computed numbers in a chapter's prose.

A chapter never types a number its text relies on: a cell computes it and calls :func:`quote`,
which prints ``name = value`` (the line nbval compares on every test run) and, when the book is
built, hands the value to MyST-NB's ``glue`` so that the Markdown can show it with
``{glue:text}`name``` (or ``{glue:text}`name:.3f```).
"""

from __future__ import annotations

import importlib.util
import math
import numbers


def _format(value, fmt: str | None) -> str:
    if fmt is not None:
        return format(value, fmt)
    if isinstance(value, numbers.Integral):
        return str(value)
    if isinstance(value, numbers.Real):
        return "inf" if math.isinf(value) else f"{value:.6g}"
    return str(value)


def quote(name: str, value, fmt: str | None = None):
    """Print ``name = value`` and glue ``value`` under ``name`` for the prose; return ``value``.

    ``fmt`` is a format spec for the printed line (for example ``".4f"``); without it integers
    print as they are and reals to six significant digits, so the printed line is stable across
    platforms while the glued value keeps full precision.
    """
    if not name.isidentifier():
        raise ValueError(f"name must be a Python identifier, got {name!r}")
    print(f"{name} = {_format(value, fmt)}")
    if importlib.util.find_spec("myst_nb") is not None:
        from myst_nb import glue

        glue(name, value, display=False)
    return value
