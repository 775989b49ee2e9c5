"""One Adam step on 10^7 float32 elements against a kernel with Adam's memory traffic."""

import numpy as np
from numba import njit

from benchmarks.common import best_time, interleaved_minima, row
from optbook import optimizers

N = 10_000_000


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
    m = np.zeros(N, np.float32)
    v = np.zeros(N, np.float32)
    opt = optimizers.adam()
    state = np.stack([m, v])
    scalars = np.array([0.0, 1.0, 1.0])

    def adam_step():
        optimizers.apply_step(opt.code, opt.hyper, opt.lr, x, g, state, scalars)

    wall, _ = interleaved_minima(
        {"adam": adam_step, "bandwidth": lambda: same_traffic(x, g, m, v)}, repeats=9
    )
    adam, bandwidth = wall["adam"], wall["bandwidth"]
    python_model = njit(error_model="python")(optimizers.adam_update.py_func)
    checked = best_time(
        lambda: python_model(x, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.9, 0.999), repeats=3
    )
    gigabytes = 7 * 4 * N / 1e9
    return [
        row("Adam step, 1e7 float32", ">= 90% of bandwidth kernel", adam * 1e3, bandwidth / adam,
            "ms (ratio: bandwidth-kernel time / Adam time)"),
        row("bandwidth kernel (read 4, write 3)", "-", bandwidth * 1e3, gigabytes / bandwidth,
            "ms (ratio: GB/s)"),
        row("Adam with error_model='python'", "-", checked * 1e3, checked / adam,
            "ms (ratio: slow-down)"),
    ]
