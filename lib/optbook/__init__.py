"""optbook: the computational library of *Optimization for Deep Learning*.

The chapters import the modules by name::

    from optbook import landscapes, optimizers, run, schedules, theory
    from optbook import plotting, widgets   # matplotlib and ipywidgets, imported on demand

Importing the package pulls in NumPy and numba only, so a fresh process starts quickly.

numba's on-disk cache is checked against the source file of each compiled function alone, so a
kernel that inlines code from another module would keep running the old code after that module
changed. The package therefore keys the cache folder on a hash of all its sources, subpackages
included: any edit under ``lib/optbook`` starts a new cache, and the kernels compile afresh
once. Where that folder cannot be written (a read-only home on a hub image), the kernels are
cached in a temporary folder that lives as long as the process, with one warning: numba would
otherwise fall back to caches keyed on single files, which return stale code after an edit, or
fail to import when none is writable. Where not even a temporary folder can be written,
numba's disk cache is switched off for the process.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numba

PACKAGE = Path(__file__).parent


def _sources_digest() -> str:
    """A hash of every ``.py`` file of the package, by path relative to it and content."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_root() -> Path:
    explicit = os.environ.get("NUMBA_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "optbook" / "numba"


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        return False
    return True


def _switch_off_disk_cache():
    """Make every ``cache=True`` function of this process compile without a disk cache."""
    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher

    def enable_caching(self):
        self._cache = NullCache()

    Dispatcher.enable_caching = enable_caching


def _configure_cache() -> str:
    """Point numba's cache at the sources' digest folder, or a fallback; return the folder."""
    folder = _cache_root() / _sources_digest()
    if _writable(folder):
        numba.config.CACHE_DIR = str(folder)
        return str(folder)
    try:
        scratch = tempfile.mkdtemp(prefix="optbook-numba-")
    except OSError:
        _switch_off_disk_cache()
        warnings.warn(f"optbook: the numba cache folder {folder} cannot be written and no "
                      "temporary folder can either; kernels compile without a disk cache",
                      RuntimeWarning, stacklevel=3)
        return ""
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    numba.config.CACHE_DIR = scratch
    warnings.warn(f"optbook: the numba cache folder {folder} cannot be written; kernels are "
                  f"cached in {scratch} for this process only and compile again in the next",
                  RuntimeWarning, stacklevel=3)
    return scratch


CACHE_DIR = _configure_cache()
"""Where this process caches compiled kernels ('' when it cannot cache them)."""

from . import landscapes, optimizers, run, schedules, theory  # noqa: E402
from .landscapes import Landscape  # noqa: E402
from .optimizers import Optimizer, State  # noqa: E402
from .run import Sweep, Trajectory, empirical_rate, fitted_rate, sweep, trajectory  # noqa: E402
from .schedules import Schedule  # noqa: E402

__all__ = [
    "CACHE_DIR",
    "Landscape",
    "Optimizer",
    "Schedule",
    "State",
    "Sweep",
    "Trajectory",
    "empirical_rate",
    "fitted_rate",
    "landscapes",
    "optimizers",
    "run",
    "schedules",
    "sweep",
    "theory",
    "trajectory",
]
