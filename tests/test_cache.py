"""numba's disk cache: keyed on every source of the package, never stale, never fatal.

Each test that imports optbook in a fresh process compiles a kernel there (a few seconds).
The cache root is made unwritable by pointing ``XDG_CACHE_HOME`` at a file: even root cannot
make a folder inside a file, so the tests hold in CI containers that run as root.
"""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import optbook

LIB = Path(optbook.__file__).parent


def test_the_digest_covers_every_source_file_subpackages_included(tmp_path, monkeypatch):
    copy = tmp_path / "optbook"
    shutil.copytree(LIB, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(optbook, "PACKAGE", copy)
    before = optbook._sources_digest()
    rules = copy / "optimizers" / "rules.py"
    rules.write_text(rules.read_text() + "\n# an edit\n")
    assert optbook._sources_digest() != before


def run_python(script, env, cwd=None):
    return subprocess.run([sys.executable, "-W", "always", "-c", textwrap.dedent(script)],
                          env=env, cwd=cwd, capture_output=True, text=True, check=True)


FIRST_STEP = """
    import warnings
    import optbook
    from optbook import landscapes, optimizers, run
    land = landscapes.plane([1.0, 1.0])
    print(run.trajectory(land, optimizers.gd(0.5), [0.0, 0.0], 1).positions[1, 0])
    print(optbook.CACHE_DIR)
"""


def test_an_unwritable_cache_folder_runs_fresh_kernels_with_one_warning(tmp_path):
    # The package is a copy, so an edit to its gradient-descent rule can be made between two
    # processes; before the fix the second process fell back to a cache next to the sources,
    # keyed on single files, and ran the old rule.
    copy = tmp_path / "lib" / "optbook"
    shutil.copytree(LIB, copy, ignore=shutil.ignore_patterns("__pycache__"))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    env = {key: value for key, value in os.environ.items() if key != "NUMBA_CACHE_DIR"}
    env.update(XDG_CACHE_HOME=str(blocker), PYTHONPATH=str(copy.parent))
    first = run_python(FIRST_STEP, env, cwd=tmp_path)
    assert first.stdout.split()[0] == "-0.5"  # x - lr g on the plane of slope (1, 1)
    assert first.stderr.count("cannot be written") == 1, first.stderr
    scratch = first.stdout.split()[1]
    assert not os.path.exists(scratch)  # the process's own cache is gone with it
    rules = copy / "optimizers" / "rules.py"
    text = rules.read_text()
    edited = text.replace("return x - lr * g, a, b, c", "return x - 2.0 * lr * g, a, b, c", 1)
    assert edited != text
    rules.write_text(edited)
    second = run_python(FIRST_STEP, env, cwd=tmp_path)
    assert second.stdout.split()[0] == "-1.0"  # the edited rule, not a stale kernel


def test_no_writable_folder_at_all_still_imports_and_runs(tmp_path):
    script = textwrap.dedent("""
        import tempfile
        def refuse(*args, **kwargs):
            raise OSError("read-only file system")
        tempfile.mkdtemp = refuse
    """) + textwrap.dedent(FIRST_STEP)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    env = {key: value for key, value in os.environ.items() if key != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(blocker)
    result = run_python(script, env)
    assert result.stdout.split() == ["-0.5"]  # CACHE_DIR is '', printed as an empty line
    assert result.stderr.count("without a disk cache") == 1, result.stderr
