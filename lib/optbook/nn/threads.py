"""One BLAS thread for the toolkit's matrix products.

The book's networks multiply matrices of a few hundred rows and columns. OpenBLAS splits such
products over both cores of a two-core machine, and when the other core is busy (other
notebooks, other users of a Binder host) the product waits for it: on this project's shared
two-core machine, at a load of 4 to 7, twenty epochs of a 64-256-256-10 network took 7 s with
two BLAS threads and 0.5 s with one, while on an idle machine the two took the same time.
Training, :meth:`~optbook.nn.network.Sequential.trace` and the instruments therefore run with
one BLAS thread (``threadpoolctl``), and the previous setting is restored when they return.
One thread also keeps the summation order, so a run repeats bit for bit on any machine with
the same BLAS.

Finding the loaded libraries is the costly part of ``threadpoolctl``: its
``threadpool_limits`` looks for them on every call, about 1.5 ms here, as long as five epochs
of the digits network. This module finds them once and again only after new modules were
imported (a new BLAS arrives with an extension module, such as SciPy's); entering and leaving
the limit then take 8-15 us. Single passes (``forward``, ``predict``, ``evaluate``,
``loss_and_grad``) keep the process's setting, as before: the limit would add a fifth to a
pass of the digits network; a chapter that loops over them on wide layers can wrap the loop
in :func:`single_blas_thread`.
"""

from __future__ import annotations

import functools
import sys

from threadpoolctl import ThreadpoolController

_found = {"controller": None, "modules": -1}


def _controller() -> ThreadpoolController:
    """The controller of every thread pool loaded, looked for again when ``sys.modules`` has
    grown or shrunk since the last look."""
    if _found["controller"] is None or len(sys.modules) != _found["modules"]:
        _found["controller"] = ThreadpoolController()
        _found["modules"] = len(sys.modules)
    return _found["controller"]


def single_blas_thread():
    """A context manager: inside ``with single_blas_thread():`` every BLAS loaded (NumPy's
    among them) runs one thread; on leaving, each gets its own setting back."""
    return _controller().limit(limits=1, user_api="blas")


def one_blas_thread(func):
    """Decorator: call ``func`` inside :func:`single_blas_thread`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with single_blas_thread():
            return func(*args, **kwargs)

    return wrapper
