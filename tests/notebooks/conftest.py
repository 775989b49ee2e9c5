"""Fixtures for the checked-output test: the jupyter-cache that holds the executed chapters.

``make test`` executes every chapter once, into the test build's cache
(``tools/execute_chapters.py``); this test compares the outputs found there with the stored ones,
and the strict build then renders the same cache. ``--jupyter-cache`` names another cache, for
example the book's own (``_build/.jupyter_cache``) after ``make book``.
"""

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The test checks the notebooks that tools/execute_chapters.py executes: it imports that list.
sys.path.insert(0, str(REPO / "tools"))


def pytest_addoption(parser):
    parser.addoption(
        "--jupyter-cache",
        default=str(REPO / "_build" / "test" / "_build" / ".jupyter_cache"),
        help="jupyter-cache folder holding the executed chapters "
             "(default: the test build's, _build/test/_build/.jupyter_cache)",
    )


@pytest.fixture(scope="session")
def executed_cache(request):
    from jupyter_cache import get_cache

    folder = Path(request.config.getoption("--jupyter-cache")).resolve()
    if not folder.is_dir():
        pytest.fail(f"no executed chapters at {folder}: run `make execute` (or `make book`) first")
    return get_cache(str(folder))
