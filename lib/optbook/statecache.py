"""A disk cache for computed arrays, keyed like numba's cache on the library's sources.

Some results take long to compute and never change while the library does not: the training
runs an explorer precomputes at its sliders' stops, for instance. :func:`cached` stores such a
result, a dict of NumPy arrays, in a ``.npz`` file under the folder where this process's numba
kernels are cached (``numba.config.CACHE_DIR``, which the package ``optbook`` names after a
digest of all its sources), in a subfolder ``states``. Any edit of ``lib/optbook`` starts a new
folder, so a stored result is never older than the code that computed it; the file name
holds a digest of the arguments that define the result. Nothing here depends on numba beyond
that folder's name. Writes go to a temporary file renamed into place, so two processes that
compute the same result at once (the book executes chapters in parallel) cannot leave a torn
file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numba
import numpy as np


def folder() -> Path:
    """Where results are stored: ``<numba cache folder>/states``."""
    return Path(numba.config.CACHE_DIR) / "states"


def _path(name: str, key: dict) -> Path:
    if not name.isidentifier():
        raise ValueError(f"name must be a Python identifier, got {name!r}")
    text = json.dumps(key, sort_keys=True, default=repr)
    return folder() / f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:16]}.npz"


def cached(name: str, key: dict, compute) -> dict:
    """The arrays ``compute()`` returns (a dict of name -> array), read from the cache when a
    result stored under ``name`` and ``key`` (a JSON-serialisable dict of what defines the
    result) exists, else computed and stored."""
    path = _path(name, key)
    if path.is_file():
        with np.load(path, allow_pickle=False) as stored:
            return {k: stored[k] for k in stored.files}
    result = compute()
    if not isinstance(result, dict) or not all(isinstance(k, str) for k in result):
        raise ValueError("compute must return a dict of name -> array")
    arrays = {k: np.asarray(v) for k, v in result.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **arrays)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return arrays
