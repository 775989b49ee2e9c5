"""Every page of the table of contents, opened in headless Chromium from the built HTML.

Checks, per page: it loads; its maths is typeset by the bundled MathJax (no raw ``$$``, ``\\(``
or ``\\[`` left in the text); every image is present and decoded; each explorer of the page is
drawn by the vendored widget manager, with its figure; no local asset fails to load; nothing is
fetched from the network, so the book reads offline; and, once the page has settled (maths
typeset, every widget drawn), the console shows no error and no script threw.

Playwright reports an uncaught exception (a script that throws, a rejected promise nobody
handles) as a ``pageerror`` event, not as a ``console`` message: both are recorded.

The accessibility audit runs axe-core (npm, installed by ``make setup``) on every settled page
and fails on any critical or serious violation, except those in ``KNOWN_AND_ASSIGNED``.
"""

import re
import warnings
from pathlib import Path

import pytest
import yaml
from conftest import REPO

AXE_CORE = REPO / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("critical", "serious")

# Violations that engineers are fixing on their branches, each entry (rule, scope, owner): the
# rule's violations on that page whose element lies inside `scope` (a CSS selector) are reported
# but do not fail. The lead empties this list as the fixes are merged; an entry that no longer
# matches anything fails the audit, so it cannot outlive its fix.
KNOWN_AND_ASSIGNED: dict[str, list[tuple[str, str, str]]] = {}


def toc_pages() -> list[str]:
    """Document names of the root and of every chapter in _toc.yml, in reading order."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [chapter["file"] for chapter in part["chapters"]]
    return [str(Path(page).with_suffix("")) for page in pages]


def source_text(page: str) -> str:
    for suffix in (".md", ".ipynb"):
        source = REPO / f"{page}{suffix}"
        if source.exists():
            return source.read_text()
    return ""


# Every class the widgets package exports is an explorer; a chapter builds each one it shows
# with one call.
EXPLORER_CALL = re.compile(r"widgets\.([A-Z]\w*)\(")


def explorers_in_source(page: str) -> int:
    """How many explorers the page's notebook displays (each is built by one call)."""
    return len(EXPLORER_CALL.findall(source_text(page)))


def source_has_maths(page: str) -> bool:
    text = source_text(page)
    return "$" in text or "{math}" in text


UNTYPESET_TEXT = """() => {
  const main = document.querySelector('main') || document.body;
  const copy = main.cloneNode(true);
  copy.querySelectorAll('pre, code, script, style, mjx-container').forEach(n => n.remove());
  const text = copy.innerText;
  return ['$$', '\\\\(', '\\\\['].filter(mark => text.includes(mark));
}"""

BROKEN_IMAGES = """() => Array.from(document.images)
  .filter(img => !(img.complete && img.naturalWidth > 0))
  .map(img => img.getAttribute('src'))"""

# The widget manager draws each view into a .widget-subarea it puts before the view's script.
WIDGETS_DRAWN = """() => Array.from(
    document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]'))
  .every(view => view.parentElement.querySelector(':scope > .widget-subarea > *'))"""

# axe-core's violations of the given impacts, one entry per element.
AXE_VIOLATIONS = """async (impacts) => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.filter(rule => impacts.includes(rule.impact)).flatMap(rule =>
    rule.nodes.map(node => ({id: rule.id, impact: rule.impact, help: rule.help,
                             html: node.html.replace(/\\s+/g, ' ').slice(0, 120),
                             element: document.querySelector(node.target[0])})));
}"""

# Images whose alternative text is a file name, as MyST-NB writes for a cell's figure without
# one: axe accepts any alt text as a name, and a screen reader reads out the path.
FILE_NAME_ALT = """() => Array.from(document.images)
  .filter(img => /\\.(png|jpe?g|svg|gif)$/i.test((img.getAttribute('alt') || '').trim()))
  .map(img => ({id: 'figure-alt-is-file-name', impact: 'serious',
                help: 'Figures need an alternative text that says what they show',
                html: img.outerHTML.slice(0, 120), element: img}))"""

# Each violation with the index of the KNOWN_AND_ASSIGNED entry that covers it, or -1.
MATCH_KNOWN = """([found, entries]) => found.map(v => ({
  line: `${v.impact} ${v.id}: ${v.help}: ${v.html}`,
  entry: entries.findIndex(([rule, scope]) =>
    rule === v.id && v.element !== null && v.element.closest(scope) !== null),
}))"""


class KnownViolation(UserWarning):
    """An accessibility violation listed in KNOWN_AND_ASSIGNED: reported, not failed."""


@pytest.fixture
def open_page(browser, html_root):
    """Open a page with the network cut off and wait until it has settled.

    Returns the page and its record: requests to the network, local requests that failed,
    console errors and page errors (uncaught exceptions).
    """
    contexts = []

    def _open(page_name: str):
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        record = {"remote": [], "failed": [], "console": [], "pageerror": []}

        def route(r):
            url = r.request.url
            if url.startswith(("file://", "data:", "blob:")):
                r.continue_()
            else:
                record["remote"].append(url)
                r.abort()

        page.route("**/*", route)
        page.on("requestfailed", lambda req: record["failed"].append(req.url))
        page.on(
            "console",
            lambda msg: record["console"].append(msg.text) if msg.type == "error" else None,
        )
        page.on("pageerror", lambda error: record["pageerror"].append(str(error)))
        page.goto((html_root / f"{page_name}.html").as_uri(), wait_until="load")
        page.wait_for_function(WIDGETS_DRAWN, timeout=30_000)
        if page.evaluate("() => window.MathJax?.startup !== undefined"):
            # Settled: the page typeset, and the widget labels queued after it.
            page.wait_for_function("() => window.MathJax?.startup?.promise")
            page.evaluate("() => MathJax.startup.promise")
        return page, record

    yield _open
    for context in contexts:
        context.close()


@pytest.mark.parametrize("page_name", toc_pages())
def test_page_reads_offline(open_page, page_name):
    page, record = open_page(page_name)
    assert page.title(), f"{page_name}: the page has no title"
    assert record["remote"] == [], f"{page_name}: requests leave the machine"
    assert record["failed"] == [], f"{page_name}: local assets failed to load"
    assert page.evaluate(UNTYPESET_TEXT) == [], f"{page_name}: maths left untypeset"
    if source_has_maths(page_name):
        typeset = page.locator("mjx-container").count()
        assert typeset > 0, f"{page_name}: has maths in its source but none was typeset"
    assert page.evaluate(BROKEN_IMAGES) == [], f"{page_name}: images missing or broken"
    explorers = explorers_in_source(page_name)
    if explorers:
        # The vendored widget manager draws each explorer: its sliders and, in its Output
        # widget, the figure at the default values (decoded: checked with the images above);
        # or the page's script draws its static view (tests/browser/test_static_explorers.py).
        controls = page.locator(".widget-slider, .optbook-static-explorer [data-key]")
        assert controls.count() > 0, f"{page_name}: no explorer drawn"
        figures = page.locator(".widget-output img, .jupyter-widgets-output-area img, "
                               ".optbook-static-explorer .optbook-figure")
        assert figures.count() >= explorers, f"{page_name}: an explorer shows no figure"
    # Last, so that errors thrown while the page settled are counted.
    assert record["pageerror"] == [], f"{page_name}: scripts threw: {record['pageerror']}"
    assert record["console"] == [], f"{page_name}: console errors: {record['console']}"


def audit(page, page_name: str) -> tuple[list[str], list[str], list[str]]:
    """(failures, known and assigned, stale KNOWN_AND_ASSIGNED entries) on a settled page."""
    page.add_script_tag(path=str(AXE_CORE))
    violations = page.evaluate_handle(AXE_VIOLATIONS, list(FAILING_IMPACTS))
    file_named = page.evaluate_handle(FILE_NAME_ALT)
    found = page.evaluate_handle("([a, b]) => a.concat(b)", [violations, file_named])
    entries = KNOWN_AND_ASSIGNED.get(page_name, [])
    verdicts = page.evaluate(MATCH_KNOWN, [found, [list(entry) for entry in entries]])
    failures = [v["line"] for v in verdicts if v["entry"] < 0]
    matched = [sum(v["entry"] == k for v in verdicts) for k in range(len(entries))]
    known = [f"{count} x {rule} in {scope} [{owner}]"
             for count, (rule, scope, owner) in zip(matched, entries, strict=True) if count]
    stale = [f"{rule} in {scope} [{owner}]"
             for count, (rule, scope, owner) in zip(matched, entries, strict=True) if not count]
    return failures, known, stale


@pytest.mark.parametrize("page_name", toc_pages())
def test_page_passes_the_accessibility_audit(open_page, page_name):
    if not AXE_CORE.is_file():
        pytest.fail(f"axe-core not installed at {AXE_CORE}: run `make setup`")
    page, _ = open_page(page_name)
    failures, known, stale = audit(page, page_name)
    for line in known:
        warnings.warn(f"{page_name}: {line}", KnownViolation, stacklevel=1)
    assert not failures, f"{page_name}: accessibility violations:\n" + "\n".join(failures)
    assert not stale, (
        f"{page_name}: KNOWN_AND_ASSIGNED lists violations the page no longer has; remove: "
        + "; ".join(stale)
    )


def test_index_redirects_to_the_landing_page(browser, html_root):
    context = browser.new_context()
    page = context.new_page()
    page.goto((html_root / "index.html").as_uri(), wait_until="load")
    page.wait_for_url("**/intro.html")
    context.close()
