"""Execute chapter notebooks and store only the outputs that nbval checks.

Notebooks are kept in git without outputs, except in cells marked ``# NBVAL_CHECK_OUTPUT``:
nbval (lax mode) compares those cells' fresh outputs with the stored ones on every test run.
After editing a chapter, run

    .venv/bin/python tools/store_checked_outputs.py chapters/<name>.ipynb

to execute it top to bottom and keep the checked cells' outputs, numbered 1, 2, ... (all other
outputs and execution counts are cleared, so diffs stay small).
"""

import argparse
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def is_checked(cell) -> bool:
    return cell.cell_type == "code" and CHECK_MARK in cell.source


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
            # nbval treats a stored output without an execution count as never run.
            checked += 1
            cell.execution_count = checked
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
