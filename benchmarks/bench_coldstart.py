"""A fresh process that imports optbook and runs its first trajectory: warm and cold cache."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import row

SCRIPT = (
    "from optbook import landscapes, optimizers\n"
    "from optbook.run import trajectory\n"
    "trajectory(landscapes.lecture_quadratic(10), optimizers.momentum(0.01), [4.0, 0.5], 100)\n"
)
LIB = str(Path(__file__).resolve().parents[1] / "lib")


def fresh_process(env):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", SCRIPT], env=env, check=True)
    return time.perf_counter() - start


def run():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [LIB, env.get("PYTHONPATH")]))
    fresh_process(env)  # fill the cache
    warm = min(fresh_process(env) for _ in range(5))
    with tempfile.TemporaryDirectory() as empty:
        cold = fresh_process({**env, "NUMBA_CACHE_DIR": empty})
    return [
        row("cold start, warm numba cache", "<= 1 s", warm, warm / 1.0,
            "s (ratio: measured / goal)"),
        row("cold start, empty numba cache", "-", cold, cold / warm, "s (ratio: cold / warm)"),
    ]
