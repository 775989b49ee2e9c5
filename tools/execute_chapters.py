"""Execute the chapter notebooks into a jupyter-cache, several at once, as the book build would.

The book build (MyST-NB, ``execute_notebooks: cache``) renders a notebook from its cache when
the cache holds an execution of the same code, and executes it, one after another, otherwise.
This tool fills the cache first, one notebook per process on every core, so the build that
follows executes nothing:

    .venv/bin/python tools/execute_chapters.py --cache _build/test/_build/.jupyter_cache

``make test`` runs it into the test build's fresh cache (then compares the checked outputs
with the stored ones and builds the book from that cache); ``make book`` runs it into the
book's cache, where only the chapters whose code changed are executed again.

Each notebook is executed by jupyter-cache's own worker (nbclient, in the notebook's folder)
with the timeout and error policy of the ``execute`` section of ``_config.yml``. A notebook that
raises stops the run with its traceback and a non-zero exit.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

import yaml
from jupyter_cache import get_cache
from jupyter_cache.executors.basic import ExecutionWorkerLocalMProc, ProcessData

REPO = Path(__file__).resolve().parents[1]
EXECUTED, RAISED = 0, 1


def toc_notebooks(root: Path = REPO) -> list[Path]:
    """The notebooks of ``_toc.yml``, in reading order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    paths = [(root / name).with_suffix(".ipynb") for name in files]
    return [path for path in paths if path.is_file()]


def execution_settings(root: Path = REPO) -> dict:
    """The timeout and error policy the book build executes notebooks with."""
    execute = yaml.safe_load((root / "_config.yml").read_text()).get("execute", {})
    return {"timeout": execute.get("timeout", 30),
            "allow_errors": execute.get("allow_errors", False)}


def execute(cache_path: Path, notebooks: list[Path], jobs: int, settings: dict) -> int:
    """Execute the notebooks that the cache lacks; print one line each; return the failures."""
    cache = get_cache(str(cache_path))
    uris = [cache.add_nb_to_project(str(path)).uri for path in notebooks]
    pending = cache.list_unexecuted(filter_uris=uris)
    print(f"{len(notebooks) - len(pending)} of {len(notebooks)} notebooks already in "
          f"{cache_path}; executing {len(pending)} with {min(jobs, len(pending))} processes")
    if not pending:
        return 0
    work = [ProcessData(record.pk, record.uri, cache, settings["timeout"],
                        settings["allow_errors"]) for record in pending]
    start = time.perf_counter()
    failures = 0
    with multiprocessing.Pool(min(jobs, len(work))) as pool:
        # One notebook per task, handed out as processes free up.
        for outcome, uri in pool.imap_unordered(ExecutionWorkerLocalMProc(), work, chunksize=1):
            name = os.path.relpath(uri)
            if outcome == EXECUTED:
                seconds = cache.get_cached_project_nb(uri).data.get("execution_seconds", 0.0)
                print(f"  executed {name} in {seconds:.1f} s")
                continue
            failures += 1
            if outcome == RAISED:
                print(f"  FAILED {name}:\n{cache.get_project_record(uri).traceback}")
            else:
                print(f"  FAILED {name}: jupyter-cache could not read, execute or store it")
    print(f"{len(work)} notebooks in {time.perf_counter() - start:.1f} s")
    return failures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, required=True,
                        help="jupyter-cache folder (the book build's is _build/.jupyter_cache)")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)),
                        help="notebooks executed at once (default: the usable cores)")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to execute (default: every notebook of _toc.yml)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    notebooks = [path.resolve() for path in args.notebooks] or toc_notebooks()
    failures = execute(args.cache, notebooks, args.jobs, execution_settings())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
