"""One Adam step on 10^7 float32 elements against a kernel with Adam's memory traffic, and what
the checked entry point ``optimizers.step`` costs over the rule's kernel."""

import numpy as np
from numba import njit

from benchmarks.common import best_time, interleaved_minima, row
from optbook import optimizers
from optbook.optimizers.dispatch import array_kernels

N = 10_000_000
SMALL = 10


@njit(cache=True, error_model="numpy")
def same_traffic(x, g, m, v):
    """Reads x, g, m, v and writes x, m, v, with next to no arithmetic: the bandwidth bound."""
    for i in range(x.size):
        m[i] = m[i] + g[i]
        v[i] = v[i] + g[i]
        x[i] = x[i] - m[i]


def run():
    rng = np.random.default_rng(0)
    x, g = (rng.standard_normal(N).astype(np.float32) for _ in range(2))
    opt = optimizers.adam()
    state = opt.init_state(N, np.float32)
    m, v = state["m"], state["v"]
    kernel = array_kernels(opt.code)[0]

    def adam_step():
        kernel(opt.hyper, opt.lr, x, g, state.rows, state.scalars)

    def checked_step():
        optimizers.step(opt, x, g, state)

    wall, _ = interleaved_minima(
        {"adam": adam_step, "checked": checked_step,
         "bandwidth": lambda: same_traffic(x, g, m, v)},
        repeats=9,
    )
    adam, bandwidth = wall["adam"], wall["bandwidth"]
    python_model = njit(error_model="python")(kernel.py_func)
    checked = best_time(
        lambda: python_model(opt.hyper, opt.lr, x, g, state.rows, state.scalars), repeats=3
    )
    xs, gs = np.ones(SMALL), np.ones(SMALL)
    small_state = opt.init_state(SMALL)

    def small_kernel():
        kernel(opt.hyper, opt.lr, xs, gs, small_state.rows, small_state.scalars)

    def small_checked():
        optimizers.step(opt, xs, gs, small_state)

    small, _ = interleaved_minima({"kernel": small_kernel, "checked": small_checked},
                                  repeats=20_000)
    overhead = small["checked"] - small["kernel"]
    gigabytes = 7 * 4 * N / 1e9
    return [
        row("Adam step, 1e7 float32", ">= 90% of bandwidth kernel", adam * 1e3, bandwidth / adam,
            "ms (ratio: bandwidth-kernel time / Adam time)"),
        row("bandwidth kernel (read 4, write 3)", "-", bandwidth * 1e3, gigabytes / bandwidth,
            "ms (ratio: GB/s)"),
        row("Adam with error_model='python'", "-", checked * 1e3, checked / adam,
            "ms (ratio: slow-down)"),
        row("checked optimizers.step, Adam, 1e7 float32", "-", wall["checked"] * 1e3,
            wall["checked"] / adam, "ms (ratio: to the unchecked kernel)"),
        row(f"checks of optimizers.step ({SMALL} elements)", "-", overhead * 1e6,
            small["checked"] / small["kernel"],
            f"us added per call (ratio: checked / kernel, {small['kernel'] * 1e6:.2f} us)"),
    ]
