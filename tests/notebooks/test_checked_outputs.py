"""The checked cells of every chapter print what they printed when the chapter was written.

A code cell whose source holds ``# NBVAL_CHECK_OUTPUT`` stores its outputs in the notebook
(``tools/store_checked_outputs.py``). Each chapter's fresh outputs come from its execution in
the jupyter-cache (that every cell ran without raising is the executor's check: a notebook that
raises is not cached). They are compared with nbval's own comparison, as ``pytest --nbval-lax``
did: stdout exactly, each display's data by MIME type (so every glued value), images and
metadata ignored. stderr is left out of both sides: numba may warn while it compiles into an
empty cache and stay silent with a warm one, so a cold and a warm run would disagree there.
"""

import nbformat
import pytest
from execute_chapters import toc_notebooks
from nbval.plugin import IPyNbCell, IPyNbFile, coalesce_streams

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def without_stderr(outputs: list) -> list:
    kept = [out for out in outputs if not (out.output_type == "stream" and out.name == "stderr")]
    return coalesce_streams(kept)


@pytest.mark.parametrize("path", toc_notebooks(), ids=lambda p: p.stem)
def test_checked_cells_reproduce_their_stored_outputs(request, executed_cache, path):
    stored = nbformat.read(path, as_version=4)
    try:
        _, executed = executed_cache.merge_match_into_notebook(stored)
    except KeyError:
        pytest.fail(f"{path.name}: the cache holds no execution of its current code: "
                    "run `make execute`")
    # nbval's items, built as its plugin builds them while collecting a notebook.
    notebook_item = IPyNbFile.from_parent(request.session, path=path)
    differences = []
    for index, (cell, fresh) in enumerate(zip(stored.cells, executed.cells, strict=True)):
        if cell.cell_type != "code" or CHECK_MARK not in cell.source:
            continue
        cell_item = IPyNbCell.from_parent(notebook_item, name=f"Cell {index}", cell_num=index,
                                          cell=cell, options={"check": True})
        if not cell_item.compare_outputs(without_stderr(fresh.outputs),
                                         without_stderr(cell.outputs)):
            differences.append(f"cell {index}:\n" + "\n".join(cell_item.comparison_traceback))
    assert not differences, f"{path.name}: checked outputs differ\n" + "\n\n".join(differences)
