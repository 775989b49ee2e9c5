"""The optimizer race's static view (``OptimizerRace``, the adaptive chapter's explorer): what a
reader of the HTML book waits for, without a kernel.

Uses the one-page-per-explorer test book of :mod:`benchmarks.bench_static` (its page
``race``), built by that benchmark (again here if the book is older than ``js/`` or the
widgets), opened from ``file://`` in headless Chromium with every non-local request aborted.
Measures:

* the median time from a control's event (``change`` of a select, ``input`` of a slider, moved
  by the keyboard) to the redrawn figure, over moves of every control through every rule and
  landscape, against the kernel explorer's ``update()`` for the same moves (recompute, blitted
  Agg draw and PNG), measured in the same run: goal one frame, 16 ms;
* the JavaScript and data the view adds to the page, gzip-compressed, scenery images (PNG data)
  aside: goal 100 KB;
* that everything the page prints (the first step, its closed form and their ratio, where each
  run diverged, the final gaps) and its alternative text are the library's at the page's
  values, at every move;
* console errors, page errors and requests that leave the machine: goal none;
* how far the page's figure is from the kernel's PNG at the same values (pixels that differ by
  more than a quarter of the range), at one setting per rule.

Run alone with ``python -m benchmarks.bench_static_race`` (prints the table).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import statistics
import time

import numpy as np

from benchmarks import bench_static
from benchmarks.common import row

PAGE = bench_static.OUT / "_build" / "html" / "race.html"
SOURCES = [*(bench_static.REPO / "js").glob("*.js"),
           *(bench_static.REPO / "lib" / "optbook" / "widgets").glob("*.py")]

# Each control's key, and how many presses of which key move it through a few settings.
TOUR = [("eps", "ArrowRight", 3), ("lr", "ArrowLeft", 4), ("beta1", "ArrowLeft", 3),
        ("beta2", "ArrowUp", 2), ("lr", "ArrowRight", 6), ("eps", "ArrowLeft", 3),
        ("beta1", "ArrowRight", 3), ("beta2", "ArrowDown", 2), ("lr", "ArrowLeft", 2)]

STATE = bench_static.PAGE_STATE



def fresh() -> bool:
    """Whether the test book's race page is newer than every source of its view."""
    return PAGE.is_file() and PAGE.stat().st_mtime > max(p.stat().st_mtime for p in SOURCES)


def page_weight_kb() -> tuple[float, float]:
    """(script and data gzip KB, scenery PNG data KB) the explorer adds to the page."""
    html = PAGE.read_text()
    data = re.search(r'<div class="optbook-static-explorer".*?</div>', html, re.S).group(0)
    images = re.findall(r"data:image/png;base64,[A-Za-z0-9+/=]+", data)
    stripped = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", data)
    script = bench_static.BUNDLE.read_bytes()
    weight = len(gzip.compress(script, 9)) + len(gzip.compress(stripped.encode(), 9))
    return weight / 1024, sum(len(i) for i in images) * 3 / 4 / 1024


def press(page, key, direction, times) -> list:
    """Press an arrow key on control ``key`` ``times`` times; the page's state after each."""
    page.locator(f"[data-key='{key}']").focus()
    samples = []
    for _ in range(times):
        page.keyboard.press(direction)
        samples.append(page.evaluate(STATE))
    return samples


def tour(page) -> tuple[list, list]:
    """Every rule on every landscape, each control moved there: the samples, and the page's
    values at one setting per rule (for the screenshots)."""
    samples, shots = [], []
    methods = page.evaluate("() => document.querySelector(\"[data-key='method']\").options.length")
    lands = page.evaluate("() => document.querySelector(\"[data-key='landscape']\")"
                          ".options.length")
    # from the first rule on (the page starts at Adam)
    samples += press(page, "method", "ArrowUp", page.evaluate(
        "() => document.querySelector(\"[data-key='method']\").selectedIndex"))
    for m in range(methods):
        first = len(samples)
        for k in range(lands):
            for key, direction, times in TOUR:
                samples += press(page, key, direction, times)
            if k < lands - 1:
                samples += press(page, "landscape", "ArrowDown", 1)
        shots.append(samples[(first + len(samples)) // 2]["values"])
        samples += press(page, "landscape", "ArrowUp", lands - 1)
        if m < methods - 1:
            samples += press(page, "method", "ArrowDown", 1)
    return samples, shots


def check_against_library(samples) -> tuple[int, float]:
    """How many samples print a number or say a text unlike the library's explorer at the
    page's values, and the median time of that explorer's ``update()`` for the same moves."""
    from optbook import widgets
    from optbook.widgets import printed

    explorer = widgets.OptimizerRace()
    wrong, times = 0, []
    for s in samples:
        start = time.perf_counter()
        printed.set_page_values(explorer, s["values"])
        times.append(time.perf_counter() - start)
        expected = printed.printed(explorer)
        wrong += not (set(expected) == set(s["printed"]) and s["alt"] == explorer.alt_text()
                      and all(printed.shows(s["printed"][k], v) for k, v in expected.items()))
    return wrong, statistics.median(times)


def figure_difference(page, values) -> float:
    """Share of the figure's pixels that differ from the kernel PNG by more than 1/4 of the
    range in some channel, at the page's ``values``; the page's figure is screenshot at its
    natural size (the test book's column is wider than the figure)."""
    from matplotlib.image import imread

    from optbook import widgets

    shot = bench_static.OUT / "race-page.png"
    page.locator(".optbook-figure").screenshot(path=str(shot))
    ours = imread(shot)[:, :, :3]
    explorer = widgets.OptimizerRace()
    explorer.update(**{**values, "beta2": float(values["beta2"])})
    kernel = bench_static.OUT / "race-kernel.png"
    kernel.write_bytes(explorer.png())
    theirs = imread(kernel)[:, :, :3]
    h, w = theirs.shape[:2]
    # The figure sits at a fractional offset in the book's page: its screenshot may hold a row
    # or column of the page around it; the figure is compared where it lies.
    shares = [float((np.abs(ours[dy:dy + h, dx:dx + w] - theirs).max(axis=2) > 0.25).mean())
              for dy in range(ours.shape[0] - h + 1) for dx in range(ours.shape[1] - w + 1)]
    return min(shares)


def set_values(page, values):
    """Put the page's controls at ``values`` (as the keyboard would, one event each)."""
    page.evaluate("""(values) => {
        const e = document.querySelector('.optbook-static-explorer');
        for (const [key, value] of Object.entries(values)) {
            const c = e.querySelector(`[data-key='${key}']`);
            if (c.tagName === 'SELECT') {
                c.selectedIndex = [...c.options].findIndex((o) => o.value === String(value));
                c.dispatchEvent(new Event('change'));
            } else {
                c.value = String(key === 'lr' || key === 'eps' ? Math.log10(value) : value);
                c.dispatchEvent(new Event('input'));
            }
        }
    }""", values)


def run():
    load_before = os.getloadavg()[0]
    if not fresh():
        bench_static.build_book()
    weight, scenery = page_weight_kb()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                             headless=True, args=bench_static.CHROMIUM_FLAGS)
        remote, console, errors = [], [], []
        page = bench_static.open_page(browser, PAGE, remote, console, errors)
        samples, shots = tour(page)
        differences = []
        for values in shots:
            set_values(page, values)
            differences.append(figure_difference(page, page.evaluate(STATE)["values"]))
        browser.close()
    page_ms = statistics.median(s["ms"] for s in samples)
    wrong, kernel = check_against_library(samples)
    ours = bench_static.own_errors(errors)
    load_after = os.getloadavg()[0]
    return [
        row("race page: control event to redrawn figure (median)", "<= 16 ms", page_ms,
            page_ms / 1e3 / kernel, f"ms over {len(samples)} keyboard moves of every control, "
            f"every rule and landscape (ratio: / kernel update() {kernel * 1e3:.1f} ms)"),
        row("race page: script and data added (gzip, images aside)", "<= 100 KB", weight,
            weight / bench_static.PAGE_GOAL_KB, f"KB (ratio: / goal; scenery PNGs "
            f"{scenery:.0f} KB)"),
        row("race page: printed numbers or text differing from the library", "0", wrong, None,
            f"of {len(samples)} settings"),
        row("race page: console errors, requests leaving the machine", "0",
            len(console) + len(remote) + len(ours), None,
            f"page errors not ours: {len(errors) - len(ours)}, ours: {len(ours)}"),
        row("race page: figure pixels unlike the kernel PNG (worst rule)", "-",
            max(differences) * 100, None, f"% (> 1/4 of range; median over the "
            f"{len(differences)} rules {statistics.median(differences) * 100:.2f} %)"),
        row("load average (1 min) before / after the race benchmark", "-", load_before, None,
            f"runnable processes (after: {load_after:.2f}; cores: {os.cpu_count()})"),
    ]


if __name__ == "__main__":
    for r in run():
        print(json.dumps(r))
