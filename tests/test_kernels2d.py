"""The 2-D trajectory kernels: the same bits as the array path, and cached across processes.

The array path (the rule's array step driven from Python, ``run._python_run``, which a plain
Python objective runs on) is itself checked against the plain-NumPy references in
test_optimizers.py; here each per-pair 2-D kernel must reproduce it bit for bit, records and
final state, with a schedule, clipping and gradient noise switched on. Every rule's forms with
their options off and on run on Rosenbrock in float64 and with their options on, on a quadratic
in float32; every other landscape runs gradient descent. (Each pair is a kernel of its own,
about 1.5 s of compilation: the landscape's formula is the same inlined function in every pair
and is checked against the array formulas separately, so one rule per other landscape covers
it.)
"""

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from cases import case_id, configs
from optbook import landscapes, optimizers, run, schedules, warmup
from optbook.kernels2d import kernel_2d
from optbook.landscapes import value_and_grad, value_and_grad_2d

LANDSCAPES = {
    "quadratic": landscapes.quadratic([1.0, 10.0], angle=0.3, center=[1.0, -0.5]),
    "rosenbrock": landscapes.rosenbrock(),
    "two_minima": landscapes.two_minima(),
    "saddle": landscapes.saddle(),
    "plateau": landscapes.plateau(),
    "plane": landscapes.plane([0.3, -0.2]),
    "cliff": landscapes.cliff(),
}


@pytest.mark.parametrize("name", LANDSCAPES)
def test_scalar_formulas_give_the_array_formulas_bits(name):
    land = LANDSCAPES[name]
    points = np.random.default_rng(3).uniform(-2.0, 2.0, size=(50, 2))
    g = np.empty(2)
    for x in points:
        f = value_and_grad(land.code, land.params, x, g)
        assert value_and_grad_2d(land.code, land.params, x[0], x[1]) == (f, g[0], g[1])


def python_twin(land):
    """The same landscape as a reader's plain Python pair, so runs take the array path."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", landscapes.SlowObjectiveWarning)
        return landscapes.custom(land.value, land.grad, start=land.start,
                                 minimizers=land.minimizers)


def run_both(land, opt, x0, steps, schedule, clip, noise_std):
    """One run through the pair's 2-D kernel and one through the array path, same inputs:
    each ``(recorded, positions, losses, grad_sq, state rows, counters)``."""
    clip_mode, clip_c = schedules.parse_clip(clip)
    noise = np.random.default_rng(7).standard_normal((steps, 2)) if noise_std else np.empty((0, 2))
    results = []
    for path in ("2d", "array"):
        state = opt.init_state(2, x0.dtype)
        records = (np.empty((steps + 1, 2), x0.dtype), np.empty(steps + 1), np.empty(steps + 1))
        if path == "2d":
            kernel = kernel_2d(land.code, opt.code, None, opt.decays)
            n = kernel(land.params, opt.hyper, x0, state.rows, state.scalars, schedule.code,
                       schedule.params, clip_mode, clip_c, noise, noise_std, 1e6, 0, *records)
        else:
            n = run._python_run(python_twin(land), opt, state, schedule, clip_mode, clip_c,
                                noise, noise_std, 1e6, 0, x0.copy(), *records)
        results.append((n, *(r[:n] for r in records), state.rows, state.scalars))
    return results


def optimizer(name, kw, land_name):
    kw = dict(kw)
    if land_name == "rosenbrock" and name != "adadelta":
        kw["lr"] /= 10  # smaller steps keep every rule finite on the steep valley walls
    if land_name == "rosenbrock" and name == "delta_bar_delta":
        kw["kappa"] = kw.get("kappa", 1e-3) / 100
    return optimizers.get(name, **kw)


CASES = [(name, kw, "rosenbrock", np.float64) for name, kw in configs()]
CASES += [(name, kw, "quadratic", np.float32) for name, kw in configs(off_default=(True,))]
CASES += [("gd", {"lr": 0.01}, land, np.float64) for land in LANDSCAPES if land != "rosenbrock"]
IDS = [f"{case_id(name, kw)}-{land}-{np.dtype(dtype).name}" for name, kw, land, dtype in CASES]


@pytest.mark.parametrize(("name", "kw", "land_name", "dtype"), CASES, ids=IDS)
def test_pair_kernels_reproduce_the_array_path_bit_for_bit(name, kw, land_name, dtype):
    opt, land = optimizer(name, kw, land_name), LANDSCAPES[land_name]
    x0 = np.array(land.start, dtype=dtype)
    settings = [
        (schedules.constant(), None, 0.0),
        (schedules.step(0.5, 40), ("norm", 1.0), 0.3),
        (schedules.cosine(150), ("value", 0.5), 0.0),
    ]
    for schedule, clip, noise_std in settings:
        fast, array = run_both(land, opt, x0, 150, schedule, clip, noise_std)
        assert fast[0] == array[0] == 151, (schedule, clip)
        for a, b in zip(fast[1:], array[1:], strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b, err_msg=f"{schedule} {clip} {noise_std}")


DIVERGING = {
    # just past 2/10: |1 - 10 lr| = 1.005, out of the bound 1e6 in about 2,900 steps
    "gd": (landscapes.quadratic([1.0, 10.0], angle=0.7), optimizers.gd(0.2005), 5000, None),
    # on a plane each Adam step moves each coordinate by lr (less 3e-8 relative, from eps):
    # |1 - 7000 k| first passes 1e6 at k = 143, inside the third block of step constants
    "adam": (landscapes.plane([0.3, -0.2]), optimizers.adam(7000.0), 300, 143),
}


@pytest.mark.parametrize("rule", DIVERGING)
def test_pair_kernel_stops_where_the_array_path_does(rule):
    land, opt, steps, stop = DIVERGING[rule]
    fast, array = run_both(land, opt, np.array([1.0, 1.0]), steps, schedules.constant(), None, 0)
    assert fast[0] == array[0] < steps + 1
    assert stop is None or fast[0] == stop
    for a, b in zip(fast[1:], array[1:], strict=True):
        np.testing.assert_array_equal(a, b)
    # the state left is the one after the step that left the bounds
    assert fast[-1][0] == array[-1][0] == fast[0]


def test_each_pair_has_one_kernel_object_and_unknown_codes_raise():
    assert kernel_2d(0, 1) is kernel_2d(0, 1)
    assert kernel_2d(0, 1) is not kernel_2d(0, 2)
    assert kernel_2d(0, 1) is not kernel_2d(0, 1, decay=True)
    unknown = max(optimizers.FORMS_BY_CODE) + 1
    with pytest.raises(ValueError, match=f"unknown rule code {unknown}"):
        kernel_2d(0, unknown)


def test_a_new_process_loads_the_pair_kernel_from_the_disk_cache(tmp_path):
    script = textwrap.dedent("""
        import numpy as np
        from optbook import landscapes, optimizers, run
        from optbook.kernels2d import kernel_2d
        land, opt = landscapes.saddle(), optimizers.gd(0.01)
        run.trajectory(land, opt, np.array([0.5, 0.1]), 5)
        stats = kernel_2d(land.code, opt.code).stats
        print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
    """)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    outputs = [
        subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                       check=True).stdout.split()
        for _ in range(2)
    ]
    assert outputs == [["0", "1"], ["1", "0"]]  # compiled once, then loaded


def test_warm_up_covers_every_pair():
    assert {rule.code for rule in warmup.RULES} == set(optimizers.FORMS_BY_CODE)
    built_in = {value for name, value in vars(landscapes).items()
                if name.isupper() and isinstance(value, int) and name != "CUSTOM"}
    assert {land.code for land in warmup.LANDSCAPES} == built_in
    assert all(land.dim == 2 for land in warmup.LANDSCAPES)
