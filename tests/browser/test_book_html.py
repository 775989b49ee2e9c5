"""Every page of the table of contents, opened in headless Chromium from the built HTML.

Checks, per page: it loads; its maths is typeset by the bundled MathJax (no raw ``$$``, ``\\(``
or ``\\[`` left in the text); every image is present and decoded; each explorer of the page is
drawn by the vendored widget manager, with its figure; no local asset fails to load; the console
shows no error; and nothing is fetched from the network, so the book reads offline.
"""

import re
from pathlib import Path

import pytest
import yaml
from conftest import REPO


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


EXPLORER_CALL = re.compile(r"widgets\.(TrajectoryExplorer|QuadraticRateExplorer|MomentumRateMap)\(")


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


@pytest.fixture
def open_page(browser, html_root):
    """Open a page with the network cut off, recording failures and console errors."""
    def _open(page_name: str):
        context = browser.new_context()
        page = context.new_page()
        record = {"remote": [], "failed": [], "console": []}

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
        page.goto((html_root / f"{page_name}.html").as_uri(), wait_until="load")
        if page.locator("script[src*='mathjax']").count():
            page.wait_for_function("() => window.MathJax?.startup?.promise")
            page.evaluate("() => MathJax.startup.promise")
        return page, record, context

    return _open


@pytest.mark.parametrize("page_name", toc_pages())
def test_page_reads_offline(open_page, page_name):
    page, record, context = open_page(page_name)
    try:
        assert page.title(), f"{page_name}: the page has no title"
        assert record["remote"] == [], f"{page_name}: requests leave the machine"
        assert record["failed"] == [], f"{page_name}: local assets failed to load"
        assert record["console"] == [], f"{page_name}: console errors"
        assert page.evaluate(UNTYPESET_TEXT) == [], f"{page_name}: maths left untypeset"
        if source_has_maths(page_name):
            typeset = page.locator("mjx-container").count()
            assert typeset > 0, f"{page_name}: has maths in its source but none was typeset"
        assert page.evaluate(BROKEN_IMAGES) == [], f"{page_name}: images missing or broken"
        explorers = explorers_in_source(page_name)
        if explorers:
            # The vendored widget manager draws each explorer: its sliders and, in its Output
            # widget, the figure at the default values (decoded: checked with the images above).
            page.wait_for_selector(".widget-slider", timeout=10_000)
            figures = page.locator(".widget-output img, .jupyter-widgets-output-area img")
            assert figures.count() >= explorers, f"{page_name}: an explorer shows no figure"
    finally:
        context.close()


def test_index_redirects_to_the_landing_page(browser, html_root):
    context = browser.new_context()
    page = context.new_page()
    page.goto((html_root / "index.html").as_uri(), wait_until="load")
    page.wait_for_url("**/intro.html")
    context.close()
