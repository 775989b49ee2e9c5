"""Fixtures for the browser tests: the built HTML book and a headless Chromium to read it.

Playwright drives the system's Chromium (Debian's ``chromium`` package) through its executable
path; it never downloads a browser. ``--html-root`` names the built book (``make test`` passes
the folder its strict build wrote).
"""

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_addoption(parser):
    parser.addoption(
        "--html-root",
        default=str(REPO / "_build" / "html"),
        help="folder of the built HTML book (default: _build/html)",
    )


@pytest.fixture(scope="session")
def html_root(request) -> Path:
    root = Path(request.config.getoption("--html-root")).resolve()
    if not (root / "index.html").is_file():
        pytest.fail(f"no built book at {root}: run `make book` (or `make test-build`) first")
    return root


def chromium_executable() -> str:
    """The system Chromium, or a clear failure naming the package to install."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail("Chromium not found: install Debian's `chromium` package (or set CHROMIUM)")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_executable(), headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()
