"""Execute chapter notebooks and store only the outputs that the tests check.

Notebooks are kept in git without outputs, except in cells marked ``# NBVAL_CHECK_OUTPUT``:
every ``make test`` compares those cells' fresh outputs with the stored ones (nbval's
comparison, ``tests/notebooks/test_checked_outputs.py``).
After editing a chapter, run

    .venv/bin/python tools/store_checked_outputs.py chapters/<name>.ipynb

to execute it top to bottom and keep the checked cells' outputs, numbered 1, 2, ... (all other
outputs and execution counts are cleared, so diffs stay small).

A checked cell prints every number it glues for the prose, a list for the tests rather than for
the reader: the tool tags each checked cell ``hide-output``, so the page folds that list under
a "Show code cell output" toggle (the glued values still reach the prose). A cell already
tagged ``remove-output`` or ``remove-cell`` keeps that tag instead. ``tests/test_book_structure.py``
fails on a checked cell without one of these tags.
"""

import argparse
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
CHECKED_OUTPUT_TAG = "hide-output"
OUT_OF_SIGHT_TAGS = (CHECKED_OUTPUT_TAG, "remove-output", "remove-cell")


def is_checked(cell) -> bool:
    return cell.cell_type == "code" and CHECK_MARK in cell.source


def keep_output_out_of_sight(cell) -> None:
    """Tag a checked cell ``hide-output`` unless a tag already keeps its output off the page."""
    tags = cell.metadata.setdefault("tags", [])
    if not any(tag in OUT_OF_SIGHT_TAGS for tag in tags):
        tags.append(CHECKED_OUTPUT_TAG)


def merge_consecutive_streams(outputs: list) -> list:
    """Join consecutive prints to one stream into one output.

    How a kernel chunks a cell's prints into messages varies from run to run; stored merged, the
    outputs of two runs that printed the same text are the same in git.
    """
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.output_type == "stream" and previous is not None
                and previous.output_type == "stream" and previous.name == output.name):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def store_checked_outputs(path: Path, timeout: int = 120) -> int:
    """Execute ``path`` in its folder and rewrite it; return how many cells are checked."""
    notebook = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": path.parent}}
    NotebookClient(notebook, timeout=timeout, kernel_name="python3", resources=resources).execute()
    checked = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)  # nbclient's timestamps: noise in every diff
        if is_checked(cell):
            # Numbered as if run: nbval itself (pytest --nbval-lax) skips a cell with no count.
            checked += 1
            cell.execution_count = checked
            cell.outputs = merge_consecutive_streams(cell.outputs)
            keep_output_out_of_sight(cell)
        else:
            cell.execution_count = None
            cell.outputs = []
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, path)
    return checked


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for path in args.notebooks:
        print(f"{path}: {store_checked_outputs(path)} checked cells stored")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
