"""optbook: the computational library of *Optimization for Deep Learning*.

The chapters import the modules by name::

    from optbook import landscapes, optimizers, run, schedules, theory
    from optbook import plotting, widgets   # matplotlib and ipywidgets, imported on demand

Importing the package pulls in NumPy and numba only, so a fresh process starts quickly.

numba's on-disk cache is checked against the source file of each compiled function alone, so a
kernel that inlines code from another module would keep running the old code after that module
changed. The package therefore keys the cache folder on a hash of all its sources: any edit in
``lib/optbook`` starts a new cache, and the kernels compile afresh once.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba


def _sources_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_root() -> Path:
    explicit = os.environ.get("NUMBA_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "optbook" / "numba"


numba.config.CACHE_DIR = str(_cache_root() / _sources_digest())

from . import landscapes, optimizers, run, schedules, theory  # noqa: E402
from .landscapes import Landscape  # noqa: E402
from .optimizers import Optimizer  # noqa: E402
from .run import Sweep, Trajectory, empirical_rate, sweep, trajectory  # noqa: E402
from .schedules import Schedule  # noqa: E402

__all__ = [
    "Landscape",
    "Optimizer",
    "Schedule",
    "Sweep",
    "Trajectory",
    "empirical_rate",
    "landscapes",
    "optimizers",
    "run",
    "schedules",
    "sweep",
    "theory",
    "trajectory",
]
