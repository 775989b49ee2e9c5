"""An explorer live in JupyterLab: run the notebook, move a slider, see the figure change.

JupyterLab is started on 127.0.0.1 (a free port, a random token) in a temporary folder that
holds a COPY of the notebook (JupyterLab writes checkpoints next to what it opens). Headless
Chromium (the ``browser`` fixture: Debian's chromium driven by playwright) opens it, runs all
cells, checks that every explorer slider has its label as accessible name and every explorer
figure its alternative text, focuses the first slider's handle, presses the right arrow key and
waits for the explorer's PNG to change. Every wait is bounded; the server is always stopped.

The notebook is the gradient-descent chapter, whose first explorer is a
:class:`~optbook.widgets.QuadraticRateExplorer` or a trajectory explorer; set ``LAB_NOTEBOOK``
to another chapter's path to test that one.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO

SERVER_START = 60.0  # s
CELLS_RUN = 120.0  # s, covers the first JIT compilation of a chapter's kernels
FIGURE_CHANGE = 30.0  # s

NOTEBOOK = os.environ.get("LAB_NOTEBOOK", "chapters/gradient_descent.ipynb")

# The kernel is idle and every code cell of the notebook's model has run.
ALL_CELLS_RUN = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const cells = Array.from(panel.content.model.cells).filter(c => c.type === 'code');
  return cells.length > 0 && cells.every(c => c.executionCount !== null);
}"""
# A chapter is longer than the window: render every cell, so the first explorer is in the page.
NOTEBOOK_SETTINGS = {"windowingMode": "none"}
EXPLORER_IMAGE = ".jp-OutputArea-output .widget-output img, .jupyter-widgets-output-area img"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def notebook_copy(folder: Path) -> Path:
    """A copy of the notebook under test in ``folder``."""
    target = folder / Path(NOTEBOOK).name
    shutil.copy(REPO / NOTEBOOK, target)
    return target


def wait_until_up(url: str, process, deadline: float):
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer {url} within {SERVER_START:.0f} s")


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on the copied notebook: yields (base url, token, notebook name)."""
    notebook = notebook_copy(tmp_path)
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "NUMBA_DISABLE_PERFORMANCE_WARNINGS": "1",
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    settings = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps(NOTEBOOK_SETTINGS))
    log = (tmp_path / "lab.log").open("w")
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
        "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
        f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
        "--LabApp.extension_manager=readonly",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.geteuid() == 0:  # CI containers run as root
        command.append("--allow-root")
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/api/status?token={token}", process,
                      time.monotonic() + SERVER_START)
        yield base, token, notebook.name
    finally:
        stop(process)
        log.close()


def stop(process):
    """Stop the server and the kernels it started (its process group)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


def explorer_src(page) -> str:
    return page.eval_on_selector(EXPLORER_IMAGE, "img => img.src")


def assert_explorers_are_named(page):
    """Every explorer slider's role=slider element has its label as accessible name (as
    Chromium computes it: ipywidgets leaves it unnamed, the explorer's script names it), and
    every explorer figure has alternative text."""
    labels = page.eval_on_selector_all(
        ".optbook-explorer .widget-slider .widget-label", "els => els.map(e => e.textContent)")
    assert labels, "no explorer sliders on the page"
    page.wait_for_function(
        "n => document.querySelectorAll('.optbook-explorer .noUi-handle[aria-label]').length"
        " >= n", arg=len(labels), timeout=FIGURE_CHANGE * 1000)
    for label in set(labels):
        named = page.locator(".optbook-explorer").get_by_role("slider", name=label, exact=True)
        assert named.count() == labels.count(label), label
    alts = page.eval_on_selector_all(".optbook-explorer img", "els => els.map(e => e.alt)")
    assert alts and all(len(alt) > 50 for alt in alts), alts


def test_slider_changes_the_figure(browser, lab):
    base, token, name = lab
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                  else route.abort())
    page = context.new_page()
    try:
        page.goto(f"{base}/lab/tree/{name}?token={token}", timeout=SERVER_START * 1000)
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.sessionContext"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
            timeout=SERVER_START * 1000,
        )
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(ALL_CELLS_RUN, timeout=CELLS_RUN * 1000, polling=500)
        errors = page.locator('[data-mime-type="application/vnd.jupyter.error"]')
        assert errors.count() == 0, errors.first.inner_text()
        assert_explorers_are_named(page)
        before = explorer_src(page)
        assert before.startswith("data:image/png;base64,")

        handle = page.locator(".widget-slider .noUi-handle").first
        handle.focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "([selector, before]) => {"
            "  const img = document.querySelector(selector);"
            "  return img && img.src !== before; }",
            arg=[EXPLORER_IMAGE, before], timeout=FIGURE_CHANGE * 1000,
        )
        after = explorer_src(page)
        assert after != before
        size = page.eval_on_selector(EXPLORER_IMAGE, "img => [img.naturalWidth, img.naturalHeight]")
        assert size[0] >= 600, f"figure is {size[0]} px wide"
    finally:
        context.close()
