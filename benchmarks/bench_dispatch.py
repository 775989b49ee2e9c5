"""Choosing the update rule inside a jitted loop: integer codes against first-class functions.

The library's 2-D trajectory kernel fixes the update rule when it is compiled: a factory
(``optbook.kernels2d.kernel_2d``) makes, per code, a jitted closure whose body branches on the
code captured from the enclosing scope. Before that it branched on an integer code passed at run
time. The alternative is to pass the rule itself, a jitted function, as an argument of the loop.
Numba offers two forms of that: a dispatcher argument (typed ``types.Dispatcher(rule)``: the loop
is compiled once per rule, with the rule known and inlinable) and a first-class function (the
loop compiled once, with an explicit signature, for a ``types.FunctionType(signature)``
argument; the rule is called through a pointer). This module times the four on the same small
kernels, written here after the library's: a 2-D loop on the quadratic
f(x) = 1/2 (x - c)^T A (x - c) that records the positions and applies one of three rules (GD,
heavy-ball momentum, Adam) of the uniform signature ``rule(x, g, state, hyper, t)``. The loop
keeps x, the gradient and the state in arrays and has none of the library's loss, gradient-norm
and bounds records, so its step is not the library's; only the ratios between mechanisms carry
over.

The closure mechanism (``loop_closure(code)``, one loop per rule kept in a module-level dict and
made on first use, as in the library): numba types the free variable ``code`` as a constant and
prunes the other rules' branches, so the GD loop's machine code has no trace of Adam (no
``sqrt``, no ``pow``; about 920 lines of assembly without directives, against about 1,490 for
the run-time-code loop). Each closure is a dispatcher of its own, compiled in full on first use,
so a cold process compiles three loops instead of one. All closures the factory makes share one
cache index file (named after the qualname ``_make_loop_closure.<locals>.loop`` and its line)
holding one entry per rule: numba keys an entry on the argument types, the target and the hashes
of the bytecode and of the pickled cell contents (``(0,)``, ``(1,)``, ``(2,)``), so each rule
has its own data file, and a warm process loads all three loops from disk and compiles and
writes nothing (with numba 0.68.1: 3 hits, 0 misses, and the same 3 loop ``.nbc`` files after
every process). Because the key hashes the pickled value, the code must be a plain ``int``:
``np.int64(0)`` pickles differently and would get an entry of its own, hence ``int(code)`` in
the factory. In this loop the closure gives no faster step than the run-time code: LLVM leaves
the branch on ``code`` inside the loop (it does not unswitch it), and a branch that always goes
the same way costs nothing measurable there.

Compilation and caching are measured in fresh processes, each mechanism with its own new
``NUMBA_CACHE_DIR``, so that neither the library's cache nor another mechanism's rules are found:
the first process starts with the cache empty (cold), two more start with the cache the ones
before them left (warm). Each reports the time to import numba and this module and to run all
three rules once, and how many loop specialisations it loaded from disk and compiled
(``dispatcher.stats``, summed over the three closures for the closure mechanism); the parent
counts the cache's data files after each process, so a cache that is written but never read
shows as growth. (With numba 0.68 that is the dispatcher argument: the cache index is keyed by
the argument types, ``types.Dispatcher`` compares by the dispatcher object, and the one
unpickled from the index is a new object, so the key never matches in another process.)

The step time (best of repeated 20,000-step GD runs) and the cost of a call from Python (a
1-step run; for the closure it includes the factory's dict look-up, as in the library's
``kernel_2d(...)(...)``) are measured in the warm processes after their first calls. Measuring
there keeps the benchmark's own process free of compilation and keeps specialisations that can
never be found again out of the repository's cache directory. All four mechanisms must give the
same iterates bit for bit, or the benchmark stops.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from functools import cache
from pathlib import Path

import numpy as np
from numba import njit, types

from benchmarks.common import best_time, row

STEPS = 20_000
FIRST_STEPS = 100
CALLS = 1_000
ROOT = str(Path(__file__).resolve().parents[1])
MECHANISMS = ("integer code", "dispatcher argument", "FunctionType argument", "closure constant")

GD, MOMENTUM, ADAM = 0, 1, 2


# --------------------------------------------------------------------------- rules


@njit(cache=True, error_model="numpy")
def gd_rule(x, g, state, hyper, t):
    lr = hyper[0]
    for i in range(x.size):
        x[i] -= lr * g[i]


@njit(cache=True, error_model="numpy")
def momentum_rule(x, g, state, hyper, t):
    lr, gamma = hyper[0], hyper[1]
    for i in range(x.size):
        state[0, i] = gamma * state[0, i] + lr * g[i]
        x[i] -= state[0, i]


@njit(cache=True, error_model="numpy")
def adam_rule(x, g, state, hyper, t):
    lr, b1, b2, eps = hyper[0], hyper[1], hyper[2], hyper[3]
    c1 = 1.0 - b1**t
    c2 = 1.0 - b2**t
    for i in range(x.size):
        state[0, i] = b1 * state[0, i] + (1.0 - b1) * g[i]
        state[1, i] = b2 * state[1, i] + (1.0 - b2) * g[i] * g[i]
        x[i] -= lr * (state[0, i] / c1) / (np.sqrt(state[1, i] / c2) + eps)


RULES = {GD: gd_rule, MOMENTUM: momentum_rule, ADAM: adam_rule}
HYPER = {
    GD: np.array([0.01, 0.0, 0.0, 0.0]),
    MOMENTUM: np.array([0.001, 0.9, 0.0, 0.0]),
    ADAM: np.array([1e-3, 0.9, 0.999, 1e-8]),
}
RULE_SIG = types.void(
    types.float64[::1], types.float64[::1], types.float64[:, ::1], types.float64[::1],
    types.int64,
)


# --------------------------------------------------------------------------- loops


@njit(cache=True, error_model="numpy", inline="always")
def _gradient(a, c, x, d, g):
    """g = A (x - c), written out as the library's landscapes do."""
    n = x.size
    for i in range(n):
        d[i] = x[i] - c[i]
    for i in range(n):
        total = 0.0
        for j in range(n):
            total += a[i, j] * d[j]
        g[i] = total


@njit(cache=True, error_model="numpy")
def loop_code(code, a, c, x, state, hyper, positions):
    """Run ``positions.shape[0] - 1`` steps of the rule numbered ``code``, recording x."""
    d = np.empty_like(x)
    g = np.empty_like(x)
    steps = positions.shape[0] - 1
    for k in range(steps + 1):
        _gradient(a, c, x, d, g)
        for i in range(x.size):
            positions[k, i] = x[i]
        if k == steps:
            break
        if code == GD:
            gd_rule(x, g, state, hyper, k + 1)
        elif code == MOMENTUM:
            momentum_rule(x, g, state, hyper, k + 1)
        else:
            adam_rule(x, g, state, hyper, k + 1)


@njit(cache=True, error_model="numpy")
def loop_dispatcher(rule, a, c, x, state, hyper, positions):
    """The same loop with the rule passed as an argument (one specialisation per rule)."""
    d = np.empty_like(x)
    g = np.empty_like(x)
    steps = positions.shape[0] - 1
    for k in range(steps + 1):
        _gradient(a, c, x, d, g)
        for i in range(x.size):
            positions[k, i] = x[i]
        if k == steps:
            break
        rule(x, g, state, hyper, k + 1)


def _loop_first_class(rule, a, c, x, state, hyper, positions):
    """The same loop with the rule a first-class function (one specialisation in all).

    A copy of :func:`loop_dispatcher` rather than a second jit of its Python function, so that
    each has its own cache index file.
    """
    d = np.empty_like(x)
    g = np.empty_like(x)
    steps = positions.shape[0] - 1
    for k in range(steps + 1):
        _gradient(a, c, x, d, g)
        for i in range(x.size):
            positions[k, i] = x[i]
        if k == steps:
            break
        rule(x, g, state, hyper, k + 1)


def _make_loop_closure(code):
    """A loop for the rule numbered ``code``, fixed when it is compiled (a closure variable).

    numba types the free variable ``code`` as a constant, so the branches of the other rules are
    pruned before lowering, as in the library's ``optbook.kernels2d._specialise``. LLVM inlines
    the GD and momentum rules; Adam stays a call, as it does in :func:`loop_code`.
    """

    @njit(cache=True, error_model="numpy")
    def loop(a, c, x, state, hyper, positions):
        d = np.empty_like(x)
        g = np.empty_like(x)
        steps = positions.shape[0] - 1
        for k in range(steps + 1):
            _gradient(a, c, x, d, g)
            for i in range(x.size):
                positions[k, i] = x[i]
            if k == steps:
                break
            if code == GD:
                gd_rule(x, g, state, hyper, k + 1)
            elif code == MOMENTUM:
                momentum_rule(x, g, state, hyper, k + 1)
            else:
                adam_rule(x, g, state, hyper, k + 1)

    return loop


_CLOSURE_LOOPS = {}


def loop_closure(code):
    """The closure loop of rule ``code``, made on first use and kept (one per rule)."""
    code = int(code)
    if code not in _CLOSURE_LOOPS:
        _CLOSURE_LOOPS[code] = _make_loop_closure(code)
    return _CLOSURE_LOOPS[code]


@cache
def loop_first_class():
    """Compile (or load) the first-class loop on first use, not when this module is imported."""
    sig = types.void(
        types.FunctionType(RULE_SIG), types.float64[:, ::1], types.float64[::1],
        types.float64[::1], types.float64[:, ::1], types.float64[::1], types.float64[:, ::1],
    )
    return njit(sig, cache=True, error_model="numpy")(_loop_first_class)


# --------------------------------------------------------------------------- one process


def _problem():
    """Hessian A (eigenvalues 1 and 10, rotated), centre c and start x0 of the quadratic."""
    theta = 0.3
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    a = rot @ np.diag([1.0, 10.0]) @ rot.T
    return np.ascontiguousarray(a), np.array([1.0, 1.0]), np.array([4.0, -3.0])


def _caller(mechanism):
    """A function ``call(code, x, state, positions)`` running the loop of ``mechanism``, and
    one returning the loop dispatchers it has used (ask after the first calls)."""
    a, c, _ = _problem()
    if mechanism == "integer code":
        loop = loop_code

        def call(code, x, state, positions):
            loop(code, a, c, x, state, HYPER[code], positions)
    elif mechanism == "closure constant":

        def call(code, x, state, positions):
            loop_closure(code)(a, c, x, state, HYPER[code], positions)

        return call, lambda: [loop_closure(code) for code in RULES]
    else:
        loop = loop_dispatcher if mechanism == "dispatcher argument" else loop_first_class()

        def call(code, x, state, positions):
            loop(RULES[code], a, c, x, state, HYPER[code], positions)

    return call, lambda: [loop]


def _stats(dispatchers):
    """Specialisations the dispatchers loaded from the disk cache, and those they compiled."""
    hits = misses = 0
    for dispatcher in dispatchers:
        stats = dispatcher.stats
        hits += sum(stats.cache_hits.values())
        misses += sum(stats.cache_misses.values())
    return hits, misses


def child(mechanism, start):
    """Body of a fresh process: first calls of all rules, then the steady state; prints JSON."""
    imported = time.perf_counter() - start
    begin = time.perf_counter()
    x0 = _problem()[2]
    call, loops = _caller(mechanism)
    for code in RULES:
        call(code, x0.copy(), np.zeros((2, 2)), np.empty((FIRST_STEPS + 1, 2)))
    first = time.perf_counter() - begin
    hits, misses = _stats(loops())
    x, state = x0.copy(), np.zeros((2, 2))
    positions = np.empty((STEPS + 1, 2))

    def gd_run():
        x[:] = x0
        call(GD, x, state, positions)

    step = best_time(gd_run, 600) / STEPS
    one = np.empty((2, 2))

    def calls():
        for _ in range(CALLS):
            call(GD, x, state, one)

    overhead = best_time(calls, 5) / CALLS
    print(json.dumps({
        "import": imported, "first": first, "hits": hits, "misses": misses, "step": step,
        "call": overhead, "final": positions[-1].tolist(),
    }))


SCRIPT = (
    "import time\n"
    "start = time.perf_counter()\n"
    "import numba\n"
    "from benchmarks import bench_dispatch\n"
    "bench_dispatch.child({!r}, start)\n"
)


def fresh_process(mechanism, cache_dir):
    """Run :func:`child` in a new interpreter on ``cache_dir``; its results and the cache files."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(mechanism)], env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"bench_dispatch child ({mechanism}) failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["files"] = sum(1 for p in Path(cache_dir).rglob("*.nbc"))
    return result


def measure(mechanism):
    """A cold process and two warm ones sharing a new cache directory."""
    with tempfile.TemporaryDirectory() as cache_dir:
        return [fresh_process(mechanism, cache_dir) for _ in range(3)]


LABELS = {"integer code": "int code", "dispatcher argument": "dispatcher arg",
          "FunctionType argument": "FunctionType arg", "closure constant": "closure const"}


def run():
    results = {mechanism: measure(mechanism) for mechanism in MECHANISMS}
    finals = {json.dumps(warm["final"]) for _, warm, _ in results.values()}
    if len(finals) != 1:
        raise RuntimeError(f"the mechanisms disagree on the GD iterates: {finals}")
    figures = {}
    for mechanism, (cold, warm, again) in results.items():
        figures[mechanism] = {
            "cold": cold["import"] + cold["first"],
            "warm": min(r["import"] + r["first"] for r in (warm, again)),
            "step": min(warm["step"], again["step"]) * 1e9,
            "call": min(warm["call"], again["call"]) * 1e6,
        }
    reference = figures["integer code"]
    rows = []
    for mechanism, (_, warm, again) in results.items():
        label, fig = LABELS[mechanism], figures[mechanism]

        def ratio(key, fig=fig, mechanism=mechanism):
            return None if mechanism == "integer code" else fig[key] / reference[key]

        needed = warm["hits"] + warm["misses"]
        rows += [
            row(f"dispatch, {label}: cold process", "-", fig["cold"], ratio("cold"),
                "s import + first run of 3 rules, empty cache (ratio: / int code)"),
            row(f"dispatch, {label}: warm process", "-", fig["warm"], ratio("warm"),
                "s import + first run of 3 rules, cache filled (ratio: / int code)"),
            row(f"dispatch, {label}: loops from cache", "all (ratio 1)", warm["hits"],
                warm["hits"] / needed,
                "loop specialisations a warm process loads (ratio: / those it needs)"),
            row(f"dispatch, {label}: cache growth", "0", again["files"] - warm["files"], None,
                "data files (.nbc) each further warm process adds"),
            row(f"dispatch, {label}: 2-D GD step", "-", fig["step"], ratio("step"),
                "ns, 20,000-step runs (ratio: / int code)"),
            row(f"dispatch, {label}: call from Python", "-", fig["call"], ratio("call"),
                "us per 1-step call (ratio: / int code)"),
        ]
    return rows
