"""The static book's explorers: what a reader of the HTML book waits for, without a kernel.

Builds the page's script (``js/`` bundled by esbuild into one classic script) and the one-page
test book ``benchmarks/static_book`` (a notebook displaying a
:class:`~optbook.widgets.QuadraticRateExplorer`, executed with ``OPTBOOK_STATIC_VIEWS`` set so
that its display carries the static view, and the MyST-NB override that shows it), opens it
from ``file://`` in headless Chromium with every non-local request aborted, and measures:

* the median time from a slider event (``input``, moved by the keyboard) to the redrawn
  figure, for both sliders, against the kernel explorer's ``update()`` for the same moves
  (recompute, blitted Agg draw and PNG), measured in the same run: goal one frame, 16 ms;
* the JavaScript and data the view adds to the page, gzip-compressed, scenery images (PNG data)
  aside: goal 100 KB;
* console errors, page errors and requests that leave the machine: goal none;
* that the numbers the page prints are the library's at the page's slider values (every move);
* how far the page's figure is from the kernel's PNG at the same values (pixels that differ);
* the same for the trajectory explorer of ``benchmarks/static_book/trajectory.ipynb`` (the
  momentum chapter's: three runs on the two-minima landscape), at its worst case of 2,000
  steps as well: event to redrawn figure (goal 16 ms), weight, printed numbers and alternative
  text against the library at every move, and pixels unlike the kernel's figure.

The book's second page shows the momentum chapter's :class:`~optbook.widgets.MomentumRateMap`
(``kappa=50, lr=0.01, gamma=0.9, lam_min=2``) in its live view; there the benchmark measures the
time from a kappa key press to the redrawn figure, the new map swept in the page (goal 100 ms),
against the kernel explorer's ``update(kappa=...)`` for the same moves; the same for a kappa
seen before (the page keeps the last maps) and for the lr and gamma sliders; that every number
printed is the library's; the page weight; and the pixels unlike the kernel's PNG.

Run alone with ``python -m benchmarks.bench_static`` (prints the table).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np

from benchmarks.common import row

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "benchmarks" / "static_book"
BUNDLE = BOOK / "_static_js" / "optbook-explorers.js"
OUT = REPO / "_build" / "static-book"
PAGE = OUT / "_build" / "html" / "explorer.html"
MAP_PAGE = OUT / "_build" / "html" / "rate_map.html"
#: The rate map's page shows the momentum chapter's explorer.
MAP_EXPLORER = {"kappa": 50.0, "lr": 0.01, "gamma": 0.9, "lam_min": 2.0}
MAP_MOVES = 6
FRAME_GOAL = 0.016
MAP_GOAL = 0.100
PAGE_GOAL_KB = 100.0
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update"]
MOVES = 30


def esbuild(entry: Path, outfile: Path):
    outfile.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npx", "--no-install", "esbuild", str(entry), "--bundle", "--format=iife",
                    "--target=es2022", f"--outfile={outfile}", "--log-level=warning"],
                   cwd=REPO, check=True)


def build_book():
    esbuild(REPO / "js" / "page.js", BUNDLE)
    shutil.rmtree(OUT, ignore_errors=True)
    subprocess.run([str(REPO / ".venv" / "bin" / "jupyter-book"), "build", str(BOOK),
                    "--path-output", str(OUT), "-W", "-n", "--keep-going"],
                   cwd=REPO, check=True, capture_output=True,
                   env={**os.environ, "OPTBOOK_STATIC_VIEWS": "1"})


def page_weight_kb(page: Path = PAGE) -> tuple[float, float]:
    """(script and data gzip KB, scenery PNG data KB) the explorer adds to the page."""
    html = page.read_text()
    data = re.search(r'<div class="optbook-static-explorer".*?</div>', html, re.S).group(0)
    images = re.findall(r"data:image/png;base64,[A-Za-z0-9+/=]+", data)
    stripped = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", data)
    script = BUNDLE.read_bytes()
    weight = len(gzip.compress(script, 9)) + len(gzip.compress(stripped.encode(), 9))
    return weight / 1024, sum(len(i) for i in images) * 3 / 4 / 1024


def kernel_event_times(moves):
    """Median wall time of the kernel explorer's update() for the page's moves."""
    from optbook import widgets

    explorer = widgets.QuadraticRateExplorer()
    explorer.update(**moves[-1])
    times = []
    for values in moves:
        start = time.perf_counter()
        explorer.update(**values)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def kernel_png(kappa, lr) -> np.ndarray:
    from matplotlib.image import imread

    from optbook import widgets

    explorer = widgets.QuadraticRateExplorer()  # layout frozen at the defaults, as the page
    explorer.update(kappa=kappa, lr=lr)
    path = OUT / "kernel.png"
    path.write_bytes(explorer.png())
    return imread(path)[:, :, :3]


def move(page, key, presses, direction):
    """Press an arrow key ``presses`` times on the slider ``key``; the page's redraw times (ms)
    and the values it printed at each slider value."""
    slider = page.locator(f"input[data-key='{key}']")
    slider.focus()
    samples = []
    for _ in range(presses):
        page.keyboard.press(direction)
        samples.append(page.evaluate("""() => {
            const e = document.querySelector('.optbook-static-explorer');
            const v = k => Number(e.querySelector(`input[data-key='${k}']`).dataset.value);
            return {ms: Number(e.dataset.redrawMs), kappa: v('kappa'), lr: v('lr'),
                    measured: Number(e.dataset.measuredRate), theory: Number(e.dataset.theoryRate),
                    diverged: e.dataset.divergedAt};
        }"""))
    return samples


def check_against_library(samples) -> int:
    """How many of the page's printed (theory, measured, diverged) triples differ from the
    library's explorer at the page's own slider values (optbook.widgets.printed)."""
    from optbook import widgets
    from optbook.widgets import printed

    explorer = widgets.QuadraticRateExplorer()
    wrong = 0
    for s in samples:
        explorer.update(kappa=s["kappa"], lr=s["lr"])
        page = {"measuredRate": repr(s["measured"]), "theoryRate": repr(s["theory"]),
                "divergedAt": s["diverged"]}
        wrong += not all(printed.shows(page[key], value)
                         for key, value in printed.printed(explorer).items())
    return wrong


def figure_difference(page) -> tuple[float, float]:
    """Share of the figure's pixels that differ from the kernel PNG by more than 1/4 of the
    range in some channel, and the mean absolute difference (0..1), at the page's values
    (after the moves, a diverging setting: the error axis shows another strip)."""
    from matplotlib.image import imread

    values = page.evaluate("""() => {
        const e = document.querySelector('.optbook-static-explorer');
        const v = k => Number(e.querySelector(`input[data-key='${k}']`).dataset.value);
        return [v('kappa'), v('lr')];
    }""")
    shot = OUT / "page.png"
    page.locator(".optbook-figure").screenshot(path=str(shot))
    ours = imread(shot)[:, :, :3]
    theirs = kernel_png(*values)
    h, w = min(ours.shape[0], theirs.shape[0]), min(ours.shape[1], theirs.shape[1])
    diff = np.abs(ours[:h, :w] - theirs[:h, :w])
    return float((diff.max(axis=2) > 0.25).mean()), float(diff.mean())


TRAJECTORY_PAGE = OUT / "_build" / "html" / "trajectory.html"

# A live view's state: its controls' values (a select's as its text), what it printed (the
# container's data attributes), the last event's redraw time and the alternative text.
PAGE_STATE = """() => {
    const e = document.querySelector('.optbook-static-explorer');
    const values = {};
    e.querySelectorAll('[data-key]').forEach((c) => {
        values[c.dataset.key] = c.tagName === 'SELECT' ? c.dataset.value : Number(c.dataset.value);
    });
    const printed = {...e.dataset};
    const ms = Number(printed.redrawMs);
    for (const key of ['explorer', 'mounted', 'redrawMs']) delete printed[key];
    const alt = e.querySelector('.optbook-figure').getAttribute('aria-label');
    return {values, printed, ms, alt};
}"""


def trajectory_library():
    """The library's explorer the trajectory page shows (the notebook's call)."""
    from optbook import landscapes, optimizers, widgets

    return widgets.TrajectoryExplorer(
        landscapes.two_minima(),
        [optimizers.gd(0.02), optimizers.momentum(0.02, 0.9), optimizers.nesterov(0.02, 0.9)],
        steps=300)


def trajectory_wrong(explorer, state) -> bool:
    """Whether the page's printed numbers or text differ from the library's at its values."""
    from optbook.widgets import printed

    printed.set_page_values(explorer, state["values"])
    return state["alt"] != explorer.alt_text() or not all(
        printed.shows(state["printed"][key], value)
        for key, value in printed.printed(explorer).items())


def aligned_difference(ours, theirs) -> tuple[float, float]:
    """Share of pixels differing by more than 1/4 of the range in some channel, and the mean
    absolute difference, with the screenshot shifted by the whole pixels (0 or 1 each way)
    that align it best with the kernel's figure (the page may place it at a fractional pixel)."""
    h, w = theirs.shape[:2]
    best = None
    for dy in (0, 1):
        for dx in (0, 1):
            part = ours[dy:dy + h, dx:dx + w]
            if part.shape != theirs.shape:
                continue
            diff = np.abs(part - theirs)
            score = (float((diff.max(axis=2) > 0.25).mean()), float(diff.mean()))
            best = score if best is None or score < best else best
    return best


def own_errors(errors) -> list:
    """The page errors our script caused: the test book's sphinx-thebe declares THEBE_JS_URL
    twice (the book proper strips the second declaration, _ext/book_pages.py)."""
    return [e for e in errors if "THEBE_JS_URL" not in e]


def open_page(browser, path, remote, console, errors):
    """A page of the test book opened in ``browser`` from ``file://``, offline: each request
    that would leave the machine is aborted and its address appended to ``remote``, console
    errors to ``console``, page errors to ``errors``. Returned once its explorer is drawn."""
    page = browser.new_page(viewport={"width": 1000, "height": 900}, device_scale_factor=1)

    def route(r):
        if r.request.url.startswith(("file://", "data:", "blob:")):
            r.continue_()
        else:
            remote.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector(".optbook-static-explorer canvas")
    return page


def trajectory_rows(browser) -> list:
    """The trajectory page's figures (see the module docstring)."""
    from matplotlib.image import imread

    remote, console, errors = [], [], []
    page = open_page(browser, TRAJECTORY_PAGE, remote, console, errors)
    explorer = trajectory_library()
    states, worst = [], []
    keys = ["gd_lr", "momentum_lr", "momentum_gamma", "nesterov_lr", "nesterov_gamma", "x0_1",
            "x0_2", "steps"]
    for key in keys:
        control = page.locator(f"input[data-key='{key}']")
        control.focus()
        for direction in ("ArrowRight", "ArrowLeft"):
            for _ in range(MOVES // 6):
                page.keyboard.press(direction)
                states.append(page.evaluate(PAGE_STATE))
    # the worst case: 2,000 steps (End moves the slider to its maximum), then every slider
    page.locator("input[data-key='steps']").focus()
    page.keyboard.press("End")
    for key in keys[:-1]:
        page.locator(f"input[data-key='{key}']").focus()
        for direction in ("ArrowRight", "ArrowLeft"):
            for _ in range(MOVES // 6):
                page.keyboard.press(direction)
                worst.append(page.evaluate(PAGE_STATE))
    wrong = sum(trajectory_wrong(explorer, s) for s in states + worst)
    shot = OUT / "trajectory-page.png"
    page.locator(".optbook-figure").screenshot(path=str(shot))
    explorer.update(**worst[-1]["values"])
    (OUT / "trajectory-kernel.png").write_bytes(explorer.png())
    share, mean = aligned_difference(imread(shot)[:, :, :3],
                                     imread(OUT / "trajectory-kernel.png")[:, :, :3])
    page.close()
    html = TRAJECTORY_PAGE.read_text()
    data = re.search(r'<div class="optbook-static-explorer".*?</div>', html, re.S).group(0)
    images = re.findall(r"data:image/png;base64,[A-Za-z0-9+/=]+", data)
    stripped = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", data)
    weight = (len(gzip.compress(BUNDLE.read_bytes(), 9))
              + len(gzip.compress(stripped.encode(), 9))) / 1024
    scenery = sum(len(i) for i in images) * 3 / 4 / 1024
    median = statistics.median(s["ms"] for s in states)
    median_worst = statistics.median(s["ms"] for s in worst)
    return [
        row("static trajectory page: slider event to redrawn figure (median)", "<= 16 ms",
            median, median / 1e3 / FRAME_GOAL, f"ms over {len(states)} keyboard moves at "
            "100-300 steps (ratio: / goal)"),
        row("static trajectory page: the same at 2,000 steps (worst case)", "<= 16 ms",
            median_worst, median_worst / 1e3 / FRAME_GOAL,
            f"ms over {len(worst)} keyboard moves, 3 runs x 2,000 steps (ratio: / goal)"),
        row("static trajectory page: script and data added (gzip, images aside)", "<= 100 KB",
            weight, weight / PAGE_GOAL_KB, f"KB (ratio: / goal; scenery PNGs {scenery:.0f} KB)"),
        row("static trajectory page: printed numbers or text unlike the library's", "0", wrong,
            None, f"of {len(states) + len(worst)} settings"),
        row("static trajectory page: console errors, requests leaving the machine", "0",
            len(console) + len(remote) + len(own_errors(errors)), None,
            "page errors of our script counted too"),
        row("static trajectory page: figure pixels unlike the kernel PNG", "-", share * 100,
            None, f"% at 2,000 steps (> 1/4 of range; mean abs difference {mean:.4f})"),
    ]




def map_moves(page, key, presses, direction):
    """Press an arrow key ``presses`` times on the rate map's slider ``key``; the page's state
    after each press (values, printed numbers, redraw time in ms)."""
    page.locator(f"input[data-key='{key}']").focus()
    samples = []
    for _ in range(presses):
        page.keyboard.press(direction)
        samples.append({**page.evaluate(PAGE_STATE), "key": key})
    return samples


def check_map_against_library(samples) -> tuple[int, float]:
    """How many of the page's states print a number unlike the library's explorer at the
    page's values, and the median time of the kernel's update for the kappa moves (s)."""
    from optbook import widgets
    from optbook.widgets import printed

    explorer = widgets.MomentumRateMap(**MAP_EXPLORER)
    wrong, kernel = 0, []
    for s in samples:
        start = time.perf_counter()
        printed.set_page_values(explorer, s["values"])
        if s["key"] == "kappa":
            kernel.append(time.perf_counter() - start)
        wrong += not all(printed.shows(s["printed"][key], value)
                         for key, value in printed.printed(explorer).items())
    return wrong, statistics.median(kernel)


def map_figure_difference(page) -> tuple[float, float]:
    """figure_difference for the rate map: the page's figure against the kernel PNG at the
    page's values."""
    from matplotlib.image import imread

    from optbook import widgets

    values = page.evaluate(PAGE_STATE)["values"]
    shot = OUT / "map-page.png"
    # the figure as the page composes it (scenery, then the canvas), at its own pixels: a
    # screenshot would add where the page's layout puts it
    data = page.evaluate("""() => {
        const figure = document.querySelector('.optbook-figure');
        const [w, h] = [figure.offsetWidth, figure.offsetHeight];
        const out = document.createElement('canvas');
        out.width = w;
        out.height = h;
        const ctx = out.getContext('2d');
        for (const layer of figure.querySelectorAll('img, canvas')) {
            ctx.drawImage(layer, 0, 0, w, h);
        }
        return out.toDataURL('image/png');
    }""")
    shot.write_bytes(base64.b64decode(data.split(",", 1)[1]))
    explorer = widgets.MomentumRateMap(**MAP_EXPLORER)
    explorer.update(**values)
    kernel = OUT / "map-kernel.png"
    kernel.write_bytes(explorer.png())
    ours, theirs = imread(shot)[:, :, :3], imread(kernel)[:, :, :3]
    h, w = min(ours.shape[0], theirs.shape[0]), min(ours.shape[1], theirs.shape[1])
    diff = np.abs(ours[:h, :w] - theirs[:h, :w])
    return float((diff.max(axis=2) > 0.25).mean()), float(diff.mean())


def rate_map_rows(browser, remote, console, errors) -> list:
    """The rate map's page: kappa events (new maps, then maps seen before), lr and gamma
    events, printed numbers, page weight and pixels."""
    page = open_page(browser, MAP_PAGE, remote, console, errors)
    fresh = map_moves(page, "kappa", MAP_MOVES, "ArrowRight")
    seen = map_moves(page, "kappa", MAP_MOVES - 1, "ArrowLeft")
    others = []
    for key in ("lr", "gamma"):
        others += map_moves(page, key, MOVES // 3, "ArrowRight")
        others += map_moves(page, key, MOVES // 3, "ArrowLeft")
    page.get_by_role("button", name="snap to optimum").click()
    others.append({**page.evaluate(PAGE_STATE), "key": "snap"})
    share, mean = map_figure_difference(page)
    page.close()
    samples = fresh + seen + others
    wrong, kernel = check_map_against_library(samples)
    weight, scenery = page_weight_kb(MAP_PAGE)
    fresh_ms = statistics.median(s["ms"] for s in fresh)
    return [
        row("rate map page: kappa event to redrawn figure, new map (median)", "<= 100 ms",
            fresh_ms, fresh_ms / 1e3 / kernel,
            f"ms over {len(fresh)} key presses, each a 256x256x500 sweep in the page (ratio: "
            f"/ kernel update(kappa) {kernel * 1e3:.0f} ms; "
            f"/ goal {fresh_ms / (MAP_GOAL * 1e3):.2f})"),
        row("rate map page: kappa event to redrawn figure, a map seen before (median)", "-",
            statistics.median(s["ms"] for s in seen), None, f"ms over {len(seen)} key presses"),
        row("rate map page: lr, gamma, snap event to redrawn figure (median)", "<= 16 ms",
            statistics.median(s["ms"] for s in others), None,
            f"ms over {len(others)} events"),
        row("rate map page: printed numbers differing from the library", "0", wrong, None,
            f"of {len(samples)} states (rates, optimum, fastest cell, converging cells)"),
        row("rate map page: script and data added (gzip, images aside)", "<= 100 KB", weight,
            weight / PAGE_GOAL_KB, f"KB (ratio: / goal; scenery PNG {scenery:.0f} KB)"),
        row("rate map page: figure pixels unlike the kernel PNG", "-", share * 100, None,
            f"% (> 1/4 of range; mean abs difference {mean:.4f})"),
    ]


def run():
    load_before = os.getloadavg()[0]
    build_book()
    weight, scenery = page_weight_kb()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                             headless=True, args=CHROMIUM_FLAGS)
        remote, console, errors = [], [], []
        page = open_page(browser, PAGE, remote, console, errors)
        samples = []
        for key in ("lr", "kappa"):
            samples += move(page, key, MOVES, "ArrowRight")
            samples += move(page, key, MOVES, "ArrowLeft")
        wrong = check_against_library(samples)
        page.locator("input[data-key='lr']").focus()
        for _ in range(7):
            page.keyboard.press("ArrowRight")
        share, mean = figure_difference(page)
        page_ms = statistics.median(s["ms"] for s in samples)
        trajectory = trajectory_rows(browser)
        map_rows = rate_map_rows(browser, remote, console, errors)
        browser.close()
    kernel = kernel_event_times([{"lr": s["lr"], "kappa": s["kappa"]} for s in samples])
    ours = own_errors(errors)
    load_after = os.getloadavg()[0]
    return [
        row("static page: slider event to redrawn figure (median)", "<= 16 ms", page_ms,
            page_ms / 1e3 / kernel, f"ms over {len(samples)} keyboard moves (ratio: / kernel "
            f"update() {kernel * 1e3:.1f} ms)"),
        row("static page: script and data added (gzip, images aside)", "<= 100 KB", weight,
            weight / PAGE_GOAL_KB, f"KB (ratio: / goal; scenery PNGs {scenery:.0f} KB)"),
        row("static page: printed rates differing from the library", "0", wrong, None,
            f"of {len(samples)} slider settings"),
        row("static page: console errors, requests leaving the machine", "0",
            len(console) + len(remote) + len(ours), None,
            f"page errors not ours: {len(errors) - len(ours)} (sphinx-thebe declares "
            f"THEBE_JS_URL twice), ours: {len(ours)}"),
        row("static page: figure pixels unlike the kernel PNG", "-", share * 100, None,
            f"% (> 1/4 of range; mean abs difference {mean:.4f})"),
        *trajectory,
        *map_rows,
        row("load average (1 min) before / after the static benchmark", "-", load_before, None,
            f"runnable processes (after: {load_after:.2f}; cores: {os.cpu_count()})"),
    ]


if __name__ == "__main__":
    for r in run():
        print(json.dumps(r))
