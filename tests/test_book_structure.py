"""The book's files agree with each other: toc, chapters, the repository setting, CI."""

import re
from pathlib import Path

import nbformat
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((REPO / "_config.yml").read_text())
TOC = yaml.safe_load((REPO / "_toc.yml").read_text())
CHAPTER_NOTEBOOKS = sorted((REPO / "chapters").glob("*.ipynb"))
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
# Tags that keep a checked cell's printed list off the reader's page (MyST-NB folds or drops the
# output; glued values still reach the prose); tools/store_checked_outputs.py sets the first.
OUT_OF_SIGHT_TAGS = ("hide-output", "remove-output", "remove-cell")


def toc_files() -> list[str]:
    files = [TOC["root"]]
    for part in TOC.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def test_every_toc_entry_exists():
    for name in toc_files():
        assert any((REPO / f"{name}{ext}").exists() for ext in (".md", ".ipynb")), name


def test_every_chapter_notebook_is_in_the_toc():
    listed = set(toc_files())
    for path in CHAPTER_NOTEBOOKS:
        assert f"chapters/{path.stem}" in listed, f"{path.name} is missing from _toc.yml"


@pytest.mark.parametrize("path", CHAPTER_NOTEBOOKS, ids=lambda p: p.name)
def test_first_code_cell_installs_the_library_from_the_configured_repository(path):
    notebook = nbformat.read(path, as_version=4)
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    url = CONFIG["repository"]["url"]
    assert 'find_spec("optbook") is None' in first.source
    assert f"git+{url}" in first.source, f"install cell must name {url}"
    assert "remove-cell" in first.metadata.get("tags", [])


@pytest.mark.parametrize("path", CHAPTER_NOTEBOOKS, ids=lambda p: p.name)
def test_only_checked_cells_store_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    checked = [cell for cell in code if CHECK_MARK in cell.source]
    assert checked, f"{path.name} checks no output: mark the cells that print the prose's numbers"
    for cell in code:
        if CHECK_MARK not in cell.source:
            assert cell.outputs == [], f"{path.name}: unchecked cell stores output"
    for cell in checked:
        assert cell.outputs, f"{path.name}: a checked cell has no stored output to compare"


@pytest.mark.parametrize("path", CHAPTER_NOTEBOOKS, ids=lambda p: p.name)
def test_checked_cells_keep_their_output_out_of_sight(path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and CHECK_MARK in cell.source:
            tags = cell.metadata.get("tags", [])
            assert any(tag in OUT_OF_SIGHT_TAGS for tag in tags), (
                f"{path.name}, cell {index}: a checked cell needs one of {OUT_OF_SIGHT_TAGS}; "
                f"run tools/store_checked_outputs.py on the notebook"
            )


def test_readme_badge_and_ci_follow_the_configuration():
    readme = (REPO / "README.md").read_text()
    owner_repo = CONFIG["repository"]["url"].removeprefix("https://github.com/")
    assert f"mybinder.org/v2/gh/{owner_repo}/" in readme
    assert re.search(r"^make test\b", readme, re.M)
    assert re.search(r"^make test$", (REPO / ".ci/run").read_text(), re.M)


def test_the_intro_maps_every_page_of_the_toc():
    intro = (REPO / "intro.md").read_text()
    for name in toc_files()[1:]:
        assert f"{{doc}}`{name}`" in intro, f"intro.md's chapter map misses {name}"
