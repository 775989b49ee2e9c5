"""The 2-D trajectory kernels: same bits as the array kernel, and cached across processes.

The array kernel (``run._trajectory_kernel``, which runs every dimension) is itself checked
against plain-NumPy references in test_optimizers.py; here the per-pair 2-D kernels must
reproduce it bit for bit, for every rule, every landscape and both dtypes, with a schedule,
clipping and gradient noise switched on.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

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
}

RULES = {
    "gd": optimizers.gd(0.01),
    "momentum": optimizers.momentum(0.01, 0.9),
    "momentum_pytorch": optimizers.momentum(0.01, 0.9, form="pytorch"),
    "nesterov": optimizers.nesterov(0.01, 0.9),
    "nesterov_reformulated": optimizers.nesterov(0.01, 0.9, form="reformulated"),
    "delta_bar_delta": optimizers.delta_bar_delta(0.01),
    "adagrad": optimizers.adagrad(0.1),
    "rmsprop": optimizers.rmsprop(0.01),
    "adadelta": optimizers.adadelta(1.0),
    "adam": optimizers.adam(0.01),
    "adamw": optimizers.adamw(0.01),
    "amsgrad": optimizers.amsgrad(0.01),
    "nadam": optimizers.nadam(0.01),
}


@pytest.mark.parametrize("name", LANDSCAPES)
def test_scalar_formulas_give_the_array_formulas_bits(name):
    land = LANDSCAPES[name]
    points = np.random.default_rng(3).uniform(-2.0, 2.0, size=(50, 2))
    g = np.empty(2)
    for x in points:
        f = value_and_grad(land.code, land.params, x, g)
        assert value_and_grad_2d(land.code, land.params, x[0], x[1]) == (f, g[0], g[1])


def run_both(land, opt, x0, steps, schedule, clip, noise_std):
    """One run through the pair's 2-D kernel and one through the array kernel, same inputs."""
    clip_mode, clip_c = schedules.parse_clip(clip)
    noise = np.random.default_rng(7).standard_normal((steps, 2)) if noise_std else np.empty((0, 2))
    results = []
    for kernel in ("2d", "array"):
        state, scalars = opt.init_state(2, x0.dtype)
        records = (np.empty((steps + 1, 2), x0.dtype), np.empty(steps + 1), np.empty(steps + 1))
        args = (state, scalars, schedule.code, schedule.params, clip_mode, clip_c, noise,
                noise_std, 1e6)
        if kernel == "2d":
            n = kernel_2d(land.code, opt.code)(land.params, opt.hyper, x0, *args, *records)
        else:
            n = run._trajectory_kernel(land.code, land.params, opt.code, opt.hyper, *args,
                                       x0.copy(), *records)
        results.append((n, *(r[:n] for r in records)))
    return results


# Every pair in float64; in float32 (one kernel per pair and dtype, about 1.5 s of compile each)
# every rule on the quadratic and GD on every landscape.
CASES = [(rule, land, np.float64) for rule in RULES for land in LANDSCAPES]
CASES += [(rule, "quadratic", np.float32) for rule in RULES]
CASES += [("gd", land, np.float32) for land in LANDSCAPES if land != "quadratic"]


@pytest.mark.parametrize(("rule", "land_name", "dtype"), CASES)
def test_pair_kernels_reproduce_the_array_kernel_bit_for_bit(rule, land_name, dtype):
    opt, land = RULES[rule], LANDSCAPES[land_name]
    x0 = np.array(land.start, dtype=dtype)
    settings = [
        (schedules.constant(), None, 0.0),
        (schedules.step(0.5, 40), ("norm", 1.0), 0.3),
        (schedules.cosine(150), ("value", 0.5), 0.0),
    ]
    for schedule, clip, noise_std in settings:
        fast, array = run_both(land, opt, x0, 150, schedule, clip, noise_std)
        assert fast[0] == array[0], (schedule, clip)
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
def test_pair_kernel_stops_where_the_array_kernel_does(rule):
    land, opt, steps, stop = DIVERGING[rule]
    fast, array = run_both(land, opt, np.array([1.0, 1.0]), steps, schedules.constant(), None, 0)
    assert fast[0] == array[0] < steps + 1
    assert stop is None or fast[0] == stop
    np.testing.assert_array_equal(fast[1], array[1])


def test_each_pair_has_one_kernel_object():
    assert kernel_2d(0, 1) is kernel_2d(0, 1)
    assert kernel_2d(0, 1) is not kernel_2d(0, 2)


def test_a_new_process_loads_the_pair_kernel_from_the_disk_cache(tmp_path):
    script = textwrap.dedent("""
        import numpy as np
        from optbook import landscapes, optimizers, run
        from optbook.kernels2d import kernel_2d
        land, opt = landscapes.saddle(), optimizers.rmsprop(0.01)
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
    assert {rule.code for rule in warmup.RULES} == set(range(13))
    assert {land.code for land in warmup.LANDSCAPES} == set(range(6))
    assert all(land.dim == 2 for land in warmup.LANDSCAPES)
