"""2-D trajectory step: numba against a plain-NumPy loop and against the dependency chain.

The loop-carried chain of one step runs through the coordinates x: the gradient of the
quadratic (x - c, a multiply and an add), the update, and for Adam a square root and two
divisions. Its length in operations (counted below per rule) times the latency of each
operation, measured here with dependent chains, is the bound no implementation can beat.

For Adam the divider sets the pace: the chain holds a square root and two divisions per
coordinate, and the two coordinates queue for the one unit that does both. The kernel works out
the bias corrections (a division and a square root a step) ahead, a block of steps at a time in a
vectorised loop (``optimizers.step_constants_block``), so that they do not queue there too.
``_bare_adam`` is the same arithmetic as a plain loop that works them out every step, with no
records and no checks; the kernel's step is printed against it.

The step is timed on the (landscape, rule) pair's kernel (``kernels2d``) with its records
allocated once, so the figure is the loop's. Three more figures put it in context: the same
run through the array kernel, which branches on the codes at run time (the design the pair
kernels replaced); a whole ``trajectory()`` call per step, which adds allocating and
first-touching fresh records and the square roots of the gradient norms; and the fixed cost of a
``trajectory()`` call (checks, allocation, dispatch), from a one-step run.

A reader's own objective (``landscapes.custom``): the benchmark's quadratic written as a
numba-jitted pair, as a reader would write it (its numbers are constants in the functions), runs
gradient descent in its pair kernel against the built-in quadratic's, in alternating rounds
(goal: within 1.5 times); the same pair as plain Python goes through the Python loop.
"""

import math
import warnings

import numpy as np
from numba import njit

from benchmarks.common import best_time, interleaved_minima, row
from optbook import landscapes, optimizers, schedules
from optbook.kernels2d import kernel_2d
from optbook.run import _array_kernel, trajectory

# Long enough that the Python call is amortised, short enough that the records (32 bytes a step)
# stay in cache: at 200,000 steps a trajectory() call maps fresh pages for 6.4 MB of output, and
# the first-touch faults added 10-15 ns a step here.
STEPS = 20_000
NUMPY_STEPS = 10_000
# The four pair kernels are timed in alternating rounds for about 4 s in all. This machine has
# slower phases lasting seconds that come and go within one process: the same call on the same
# data took 8.2 ns a Nesterov step, then 11-12 ns for a few seconds, then 8.2 again, while the
# latency of a dependent add/multiply stayed at 0.93 ns. A burst of back-to-back repeats can
# fall entirely inside one such phase.
PAIR_ROUNDS = 4_000


@njit(cache=True)
def _chain_mul_add(n, a, b):
    x = 1.0
    for _ in range(n):
        x = x * a + b
    return x


@njit(cache=True)
def _chain_div(n, a):
    x = 1.5
    for _ in range(n):
        x = a / x
    return x


@njit(cache=True)
def _chain_sqrt_add(n):
    x = 2.0
    for _ in range(n):
        x = math.sqrt(x) + 1.0
    return x


@njit(cache=True, error_model="numpy")
def _bare_adam(n, x0, x1, c0, c1, a00, a01, a10, a11, lr, b1, b2, eps):
    """The library's 2-D Adam arithmetic with the bias corrections worked out every step, and no
    records, no checks, no schedule."""
    m0 = m1 = v0 = v1 = 0.0
    p1 = p2 = 1.0
    for _ in range(n):
        d0 = x0 - c0
        d1 = x1 - c1
        g0 = a00 * d0 + a01 * d1
        g1 = a10 * d0 + a11 * d1
        p1 *= b1
        p2 *= b2
        step_size = lr / (1.0 - p1)
        root = math.sqrt(1.0 - p2)
        m0 = b1 * m0 + (1.0 - b1) * g0
        m1 = b1 * m1 + (1.0 - b1) * g1
        v0 = b2 * v0 + (1.0 - b2) * (g0 * g0)
        v1 = b2 * v1 + (1.0 - b2) * (g1 * g1)
        x0 = x0 - step_size * m0 / (math.sqrt(v0) / root + eps)
        x1 = x1 - step_size * m1 / (math.sqrt(v1) / root + eps)
    return x0 + x1


def latencies(n=2_000_000):
    """Seconds per dependent add/multiply, division and square root on this machine."""
    op = best_time(lambda: _chain_mul_add(n, 0.999999, 1e-7)) / (2 * n)
    div = best_time(lambda: _chain_div(n, 2.0)) / n
    sqrt = best_time(lambda: _chain_sqrt_add(n)) / n - op
    return op, div, sqrt


# chain per step, in (add/mul ops, divisions, square roots); see the module docstring
CHAINS = {
    "gd": (5, 0, 0),  # x - c, A d (mul, add), lr g, x - .
    "momentum": (6, 0, 0),  # ... lr g, gamma v + ., x - v
    "nesterov": (7, 0, 0),  # look - c, A d (2), lr g, v +, gamma v, x - gamma v
    "adam": (8, 2, 1),  # grad (3), g g, (1-b2) ., + b2 v, sqrt, / rc, + eps, m / ., x - .
}


def numpy_loop(name, hessian, center, x0, steps, lr, gamma=0.9, b1=0.9, b2=0.999, eps=1e-8):
    """The same runs as plain NumPy: one whole-array expression per formula, with records."""
    x = x0.copy()
    v = np.zeros(2)
    m = np.zeros(2)
    positions = np.empty((steps + 1, 2))
    losses = np.empty(steps + 1)
    for t in range(1, steps + 2):
        d = x - center
        g = hessian @ d
        losses[t - 1] = 0.5 * d @ g
        positions[t - 1] = x
        if t == steps + 1:
            break
        if name == "gd":
            x = x - lr * g
        elif name == "momentum":
            v = gamma * v + lr * g
            x = x - v
        elif name == "nesterov":
            g = hessian @ (x - gamma * v - center)
            v = gamma * v + lr * g
            x = x - v
        else:
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            x = x - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return positions


def kernel_call(kernel, land, opt, x0, steps):
    """A call of a trajectory kernel (the pair's, or the array one) with records made once."""
    records = (np.empty((steps + 1, 2)), np.empty(steps + 1), np.empty(steps + 1))
    flat = schedules.constant()
    no_noise = np.empty((0, 2))

    def call():
        rows, scalars = opt.init_state(2)
        args = (rows, scalars, flat.code, flat.params, 0, 0.0, no_noise, 0.0, 1e6, 0)
        if kernel == "array":
            return _array_kernel(opt.code, None)(land.code, land.params, opt.hyper, *args,
                                                 x0.copy(), *records)
        return kernel_2d(land.code, opt.code)(land.params, opt.hyper, x0, *args, *records)

    return call


def run():
    land = landscapes.quadratic([1.0, 10.0], angle=0.3, center=[1.0, 1.0])
    hessian = land.hessian(np.zeros(2))
    center = land.minimizers[0]
    x0 = np.array([4.0, -3.0])
    op, div, sqrt = latencies()
    rows = [row("latency of a dependent add/mul", "-", op * 1e9, None, "ns")]
    configs = {
        "gd": optimizers.gd(0.01),
        "momentum": optimizers.momentum(0.001, 0.9),
        "nesterov": optimizers.nesterov(0.001, 0.9),
        "adam": optimizers.adam(1e-3),
    }
    pair_times, _ = interleaved_minima(
        {name: kernel_call("pair", land, opt, x0, STEPS) for name, opt in configs.items()},
        repeats=PAIR_ROUNDS,
    )
    for name, opt in configs.items():
        step = pair_times[name] / STEPS
        numpy_step = best_time(
            lambda name=name, opt=opt: numpy_loop(name, hessian, center, x0, NUMPY_STEPS, opt.lr),
            repeats=2,
        ) / NUMPY_STEPS
        n_op, n_div, n_sqrt = CHAINS[name]
        bound = n_op * op + n_div * div + n_sqrt * sqrt
        rows.append(row(f"2-D {name} step", "within 1.3x of chain bound", step * 1e9,
                        step / bound, "ns (ratio: step / chain bound)"))
        rows.append(row(f"2-D {name} chain bound", "-", bound * 1e9, None, "ns"))
        goal = ">= 300x" if name == "gd" else "-"
        rows.append(row(f"2-D {name}: NumPy loop / numba", goal, numpy_step * 1e9,
                        numpy_step / step, "ns per NumPy step (ratio: speed-up)"))
        array_step = best_time(kernel_call("array", land, opt, x0, STEPS), repeats=20) / STEPS
        rows.append(row(f"2-D {name} step, array kernel (codes at run time)", "-",
                        array_step * 1e9, array_step / step, "ns (ratio: to the pair kernel)"))
        call_step = best_time(lambda opt=opt: trajectory(land, opt, x0, STEPS), repeats=50) / STEPS
        rows.append(row(f"2-D {name} step in a {STEPS:,}-step trajectory() call", "-",
                        call_step * 1e9, call_step / step, "ns (ratio: to the kernel's step)"))
    (a00, a01), (a10, a11) = hessian
    bare = best_time(lambda: _bare_adam(STEPS, *x0, *center, a00, a01, a10, a11, 1e-3, 0.9,
                                        0.999, 1e-8), repeats=200) / STEPS
    adam_step = pair_times["adam"] / STEPS
    rows.append(row("2-D adam: plain loop, corrections every step, no records", "-",
                    bare * 1e9, adam_step / bare, "ns (ratio: the kernel's step / this)"))
    fixed = best_time(lambda: trajectory(land, configs["gd"], x0, 1), repeats=200)
    rows.append(row("trajectory() fixed cost (1-step run)", "-", fixed * 1e6, None, "us"))
    return rows + readers_objective(land, configs["gd"], x0)


def _quadratic_pair(land):
    """The benchmark's quadratic as a reader writes it: its numbers typed into the functions."""
    (a00, a01), (a10, a11) = land.hessian(np.zeros(2))
    c0, c1 = land.minimizers[0]

    def value(x):
        d0 = x[0] - c0
        d1 = x[1] - c1
        return 0.5 * (d0 * (a00 * d0 + a01 * d1) + d1 * (a10 * d0 + a11 * d1))

    def grad(x):
        d0 = x[0] - c0
        d1 = x[1] - c1
        return (a00 * d0 + a01 * d1, a10 * d0 + a11 * d1)

    return value, grad


def readers_objective(land, opt, x0):
    value, grad = _quadratic_pair(land)
    mine = landscapes.custom(njit(value), njit(grad), start=x0, minimizers=land.minimizers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", landscapes.SlowObjectiveWarning)
        slow = landscapes.custom(value, grad, start=x0, minimizers=land.minimizers)
    trajectory(mine, opt, x0, 10)  # compiles the pair's kernel
    records = (np.empty((STEPS + 1, 2)), np.empty(STEPS + 1), np.empty(STEPS + 1))
    flat = schedules.constant()

    def call(landscape):
        def run_kernel():
            rows, scalars = opt.init_state(2)
            kernel = kernel_2d(landscape.code, opt.code, landscape.objective)
            kernel(landscape.params, opt.hyper, x0, rows, scalars, flat.code, flat.params, 0,
                   0.0, np.empty((0, 2)), 0.0, 1e6, 0, *records)
        return run_kernel

    times, _ = interleaved_minima({"built-in": call(land), "reader's": call(mine)},
                                  repeats=PAIR_ROUNDS // 4)
    ratio = times["reader's"] / times["built-in"]
    python_steps = 2_000
    python = best_time(lambda: trajectory(slow, opt, x0, python_steps), repeats=2) / python_steps
    return [
        row("2-D gd step, reader's jitted objective", "within 1.5x of built-in",
            times["reader's"] / STEPS * 1e9, ratio, "ns (ratio: to the built-in quadratic's)"),
        row("2-D gd step, reader's plain Python objective", "-", python * 1e9,
            python / (times["built-in"] / STEPS), "ns (ratio: slow-down, said by a warning)"),
    ]
