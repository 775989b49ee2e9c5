"""Quote computed numbers in a chapter's prose.

A chapter never types a number its text relies on: a cell computes it and calls :func:`quote`,
which prints ``name = value`` (the line nbval compares on every test run) and, when the book is
built, glues the same printed text under ``name`` with MyST-NB, so the Markdown shows it with
``{glue:text}`name```. The page therefore says exactly what the checked output says.
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


def quote(name: str, value, fmt: str | None = None) -> None:
    """Print ``name = value`` and glue the printed value under ``name`` for the prose.

    ``fmt`` is a format spec (for example ``".4f"``); without it integers print as they are
    and reals to six significant digits. Choose the digits the text needs: more would make the
    checked output depend on the last bits of a platform's arithmetic.
    """
    if not name.isidentifier():
        raise ValueError(f"name must be a Python identifier, got {name!r}")
    text = _format(value, fmt)
    print(f"{name} = {text}")
    if importlib.util.find_spec("myst_nb") is not None:
        from myst_nb import glue

        glue(name, text, display=False)
