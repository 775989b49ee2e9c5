"""The network toolkit: a digits epoch against its matrix products, batch norm against the
memory bandwidth, the element-wise kernels against NumPy, and a chapter-sized run.

Digits epoch. The 64-100-10 ReLU network, batch 64, Adam, float64, on the 1078 training
images (17 steps an epoch). Its floor is what any implementation must do: shuffle, gather each
mini-batch (inputs and labels), and the five matrix products (two forward, three backward;
the first layer needs no input gradient), written into preallocated arrays. ``nn.train`` and
a plain-NumPy version of the same training (NumPy expressions, Adam in NumPy) are timed over
the same number of epochs, in alternating rounds with the floor. Each call runs ``EPOCHS``
epochs, the length of a typical run in the book, so ``train``'s set-up (checking the data,
seeding, about 0.1 ms) is amortised as in a real run. ``EPOCH_ROUNDS`` rounds take about 6 s:
this VM has slower phases lasting seconds, in which the Python between the kernels slows down
more than the matrix products (the ratio rose to 1.53-1.55 in some processes of 25 rounds,
2.4 s, while others measured 1.42-1.47 minutes apart), and the minima of a longer series
rarely all fall in one.

Batch norm. Forward (training) and backward on (4096, 1024) float32 must at least read x and
write y, then read x and dy and write dx: five passes of 16 MB. The bound is the faster, for
each of the two, of two kernels that make exactly those passes: one with ordinary stores and
one addition per element, one with the non-temporal stores of ``optbook.nn.large_batch``
(which batch norm uses for outputs this large, so the bound must have them too); both are timed in
the same rounds. Forward and backward are timed as separate calls (2-3 ms each, like the two
passes of the bandwidth kernels), since at a load of 5-6 on two cores a 10 ms call is rarely
left to run uninterrupted while a 2 ms call often is. The goal is the memory-bandwidth bound,
so every call is timed from memory: right after an untimed read of 96 MB (three times the
32 MB last-level cache), which leaves the caches holding nothing of the call's arrays and no
modified lines. After a 96 MB write instead (printed beside it), every call would also pay
for writing those modified lines back, the same time added to batch norm and to the bound,
which flatters the ratio. Timed back to back, each call finds in the cache what the call
before it left there. The same layer with the kernels it uses for batches that fit in the
caches (outputs below ``BatchNorm1d.large_batch_bytes``) is printed beside it, for the gain
of ``large_batch``.

All of it runs with one BLAS thread, as ``nn.train`` does (``optbook.nn.threads``).
Wall-time minima show what a reader waits for; CPU-time minima (process time) show the work
itself when the scheduler takes the core away. Both are printed.
"""

import os
import time

import numpy as np
from numba import njit
from threadpoolctl import threadpool_limits

from benchmarks.common import interleaved_minima, row
from optbook import data, nn, optimizers
from optbook.nn import kernels, large_batch

EPOCHS = 20
EPOCH_ROUNDS = 60
BATCH = 64
BN_SHAPE = (4096, 1024)
SWEPT_REPEATS = 30


def digits_problem():
    d = data.digits(seed=0)
    return np.ascontiguousarray(d.X_train), d.y_train.astype(np.intp), d


def floor_epochs(x, y, w1, w2, seed):
    """The products and gathers of EPOCHS epochs, nothing else."""
    rng = np.random.default_rng(seed)
    n = x.shape[0]
    h = np.empty((BATCH, w1.shape[0]))
    out = np.empty((BATCH, w2.shape[0]))
    dh = np.empty_like(h)
    dw1, dw2 = np.empty_like(w1), np.empty_like(w2)
    w1t, w2t = w1.T, w2.T
    for _ in range(EPOCHS):
        order = rng.permutation(n)
        for start in range(0, n, BATCH):
            idx = order[start:start + BATCH]
            xb, _ = x[idx], y[idx]
            m = idx.shape[0]
            hb, ob, dhb = h[:m], out[:m], dh[:m]
            np.dot(xb, w1t, out=hb)
            np.dot(hb, w2t, out=ob)
            np.dot(ob.T, hb, out=dw2)
            np.dot(ob, w2, out=dhb)
            np.dot(dhb.T, xb, out=dw1)


def numpy_epochs(x, y, params, seed, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The same training written with NumPy expressions: forward, softmax cross-entropy,
    backward and Adam on each parameter array."""
    w1, b1, w2, b2 = (p.copy() for p in params)
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in (w1, b1, w2, b2)]
    rng = np.random.default_rng(seed)
    n, t = x.shape[0], 0
    for _ in range(EPOCHS):
        order = rng.permutation(n)
        for start in range(0, n, BATCH):
            idx = order[start:start + BATCH]
            xb, yb = x[idx], y[idx]
            z = xb @ w1.T + b1
            h = np.maximum(z, 0.0)
            logits = h @ w2.T + b2
            shifted = logits - logits.max(axis=1, keepdims=True)
            p = np.exp(shifted)
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(idx.size), yb] -= 1.0
            dlogits = p / idx.size
            dh = dlogits @ w2
            dz = dh * (z > 0)
            grads = (dz.T @ xb, dz.sum(axis=0), dlogits.T @ h, dlogits.sum(axis=0))
            t += 1
            for param, g, (m, v) in zip((w1, b1, w2, b2), grads, moments, strict=True):
                m *= beta1
                m += (1 - beta1) * g
                v *= beta2
                v += (1 - beta2) * g * g
                param -= lr / (1 - beta1**t) * m / (np.sqrt(v / (1 - beta2**t)) + eps)


def mlp_rows():
    x, y, d = digits_problem()
    net = nn.Sequential(nn.Linear(64, 100), nn.ReLU(), nn.Linear(100, 10), seed=0)
    w1, b1 = net.layers[0].weight.copy(), net.layers[0].bias.copy()
    w2, b2 = net.layers[2].weight.copy(), net.layers[2].bias.copy()

    def ours():
        net.set_params(np.concatenate([w1.ravel(), b1, w2.ravel(), b2]))
        nn.train(net, "cross_entropy", optimizers.adam(1e-3), (x, y), epochs=EPOCHS,
                 batch_size=BATCH, progress=False)

    load = os.getloadavg()[0]
    with threadpool_limits(1, user_api="blas"):  # as nn.train runs (optbook.nn.threads)
        wall, cpu = interleaved_minima({
            "floor": lambda: floor_epochs(x, y, w1, w2, 0),
            "nn": ours,
            "numpy": lambda: numpy_epochs(x, y, (w1, b1, w2, b2), 0),
        }, repeats=EPOCH_ROUNDS)
    per_epoch = {k: v / EPOCHS for k, v in wall.items()}

    start = time.perf_counter()
    chapter_net = nn.Sequential(nn.Linear(64, 100), nn.ReLU(), nn.Linear(100, 10), seed=0)
    history = nn.train(chapter_net, "cross_entropy", optimizers.adam(1e-3),
                       (d.X_train, d.y_train), validation=(d.X_val, d.y_val), epochs=20,
                       batch_size=BATCH, progress=False)
    twenty = time.perf_counter() - start
    return [
        row("digits MLP epoch (64-100-10, batch 64, Adam, f64)", "<= 1.5 x floor",
            per_epoch["nn"] * 1e3, wall["nn"] / wall["floor"],
            f"ms (ratio: nn / floor, wall; load {load:.2f} -> {os.getloadavg()[0]:.2f})"),
        row("  same, CPU time", "<= 1.5 x floor", cpu["nn"] / EPOCHS * 1e3,
            cpu["nn"] / cpu["floor"], "ms (ratio: nn / floor, process CPU time)"),
        row("  floor: shuffle, gathers, 5 matrix products", "-", per_epoch["floor"] * 1e3,
            None, "ms"),
        row("  plain-NumPy version / nn", "-", per_epoch["numpy"] * 1e3,
            wall["numpy"] / wall["nn"], "ms (ratio: NumPy / nn, wall)"),
        row("20 epochs + validation, digits MLP (one run)", "<= 60 s per chapter", twenty,
            history.val_accuracy[-1], "s (ratio: final validation accuracy)"),
    ]


@njit(cache=True, error_model="numpy")
def _pass_read_write(x, y):
    """Reads x, writes y: batch norm's forward traffic."""
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            y[i, j] = x[i, j] + 1.0


@njit(cache=True, error_model="numpy")
def _pass_read2_write(dy, x, dx):
    """Reads dy and x, writes dx: batch norm's backward traffic."""
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            dx[i, j] = dy[i, j] + x[i, j]


def numpy_batchnorm(x, gamma, beta, dy, eps=1e-5):
    """Forward and backward with NumPy expressions (as a reader would first write them)."""
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean) * inv_std
    y = gamma * xhat + beta
    n = x.shape[0]
    dgamma = (dy * xhat).sum(axis=0)
    dbeta = dy.sum(axis=0)
    dx = gamma * inv_std / n * (n * dy - dbeta - xhat * dgamma)
    return y, dx, dgamma, dbeta


def swept_minima(funcs, repeats, sweep):
    """Wall-time minima of each of ``funcs``, every call made right after ``sweep()``, an
    untimed pass over 96 MB (three times the 32 MB last-level cache), so that no call finds
    data another left in the caches."""
    best = dict.fromkeys(funcs, float("inf"))
    for _ in range(repeats):
        for name, func in funcs.items():
            sweep()
            start = time.perf_counter()
            func()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def batchnorm_rows():
    rng = np.random.default_rng(0)
    x = (2.0 + rng.standard_normal(BN_SHAPE)).astype(np.float32)
    dy = rng.standard_normal(BN_SHAPE).astype(np.float32)
    y, dx = np.empty_like(x), np.empty_like(x)
    y_lines, dx_lines = (large_batch.empty_lines(*BN_SHAPE, np.float32) for _ in range(2))
    ones, zeros = np.ones(BN_SHAPE[1]), np.zeros(BN_SHAPE[1])
    net = nn.Sequential(nn.BatchNorm1d(BN_SHAPE[1]), dtype=np.float32)
    layer = net.layers[0]
    plain = nn.Sequential(nn.BatchNorm1d(BN_SHAPE[1]), dtype=np.float32).layers[0]
    plain.large_batch_bytes = x.nbytes + 1
    gamma, beta = np.ones(BN_SHAPE[1], np.float32), np.zeros(BN_SHAPE[1], np.float32)
    funcs = {
        "forward": lambda: layer.forward(x, training=True),
        "backward": lambda: layer.backward(dy),
        "plain forward": lambda: plain.forward(x, training=True),
        "plain backward": lambda: plain.backward(dy),
        "bw forward": lambda: _pass_read_write(x, y),
        "bw backward": lambda: _pass_read2_write(dy, x, dx),
        "bw forward streamed": lambda: large_batch.affine_columns(x, ones, ones, y_lines),
        "bw backward streamed": lambda: large_batch.combine_columns(dy, x, ones, ones, zeros,
                                                                    dx_lines),
    }
    load = os.getloadavg()[0]
    wall, cpu = interleaved_minima({**funcs, "numpy": lambda: numpy_batchnorm(x, gamma, beta, dy)},
                                   repeats=25)
    sweep = np.ones(12 * 1024 * 1024)
    clean = swept_minima(funcs, SWEPT_REPEATS, sweep.sum)
    dirty = swept_minima(funcs, SWEPT_REPEATS, lambda: sweep.__iadd__(1.0))
    gigabytes = 5 * x.nbytes / 1e9

    def bound(times, streamed=True):
        """The faster of the two bandwidth kernels for each of the two passes."""
        fastest = min if streamed else (lambda a, _: a)
        return (fastest(times["bw forward"], times["bw forward streamed"])
                + fastest(times["bw backward"], times["bw backward streamed"]))

    def ours(times, prefix=""):
        return times[prefix + "forward"] + times[prefix + "backward"]

    return [
        row("batch norm fwd+bwd (4096, 1024) f32", ">= 50% of bandwidth bound",
            ours(clean) * 1e3, bound(clean) / ours(clean),
            f"ms (ratio: bound / batch norm, each call after a 96 MB read; load {load:.2f} "
            f"-> {os.getloadavg()[0]:.2f})"),
        row("  same, each call after a 96 MB write", "-", ours(dirty) * 1e3,
            bound(dirty) / ours(dirty), "ms (ratio: bound / batch norm)"),
        row("  same, back to back (caches warm)", "-", ours(wall) * 1e3, bound(wall) / ours(wall),
            "ms (ratio: bound / batch norm, wall)"),
        row("  same, back to back, CPU time", "-", ours(cpu) * 1e3, bound(cpu) / ours(cpu),
            "ms (ratio: bound / batch norm, process CPU time)"),
        row("  same with the small-batch kernels", "-", ours(clean, "plain ") * 1e3,
            bound(clean) / ours(clean, "plain "), "ms after a read (ratio: bound / batch norm)"),
        row("  bandwidth bound (5 passes of 16 MB)", "-", bound(clean) * 1e3,
            gigabytes / bound(clean), "ms after a read (ratio: GB/s)"),
        row("  bound with ordinary stores only", "-", bound(clean, False) * 1e3,
            gigabytes / bound(clean, False), "ms after a read (ratio: GB/s)"),
        row("  plain-NumPy batch norm / nn", "-", wall["numpy"] * 1e3, wall["numpy"] / ours(wall),
            "ms (ratio: NumPy / nn)"),
    ]


def kernel_rows():
    """The kernels that replace NumPy expressions, at the digits network's sizes."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal((BATCH, 100))
    bias = rng.standard_normal(100)
    out = np.empty_like(z)
    logits = rng.standard_normal((BATCH, 10))
    labels = rng.integers(0, 10, BATCH)
    loss = nn.CrossEntropy()
    no_bias = np.empty(0)
    uniforms = rng.random((BATCH, 100))
    mask = np.empty_like(z)

    def numpy_dropout():
        np.multiply(uniforms < 0.8, 1.25, out=mask)
        np.multiply(z, mask, out=out)

    def numpy_cross_entropy():
        shifted = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(shifted)
        total = p.sum(axis=1, keepdims=True)
        value = np.mean(np.log(total[:, 0]) - shifted[np.arange(BATCH), labels])
        p /= total
        p[np.arange(BATCH), labels] -= 1.0
        return value, p / BATCH

    def numpy_bias_relu():
        np.add(z, bias, out=out)
        np.maximum(out, 0.0, out=out)

    wall, _ = interleaved_minima({
        "bias+relu": lambda: kernels.activation_forward(kernels.RELU, 0.0, z.copy(), bias, out),
        "bias+relu numpy": lambda: (z.copy(), numpy_bias_relu()),
        "relu": lambda: kernels.activation_forward(kernels.RELU, 0.0, z, no_bias, out),
        "relu numpy": lambda: np.maximum(z, 0.0, out=out),
        "ce": lambda: loss(logits, labels),
        "ce numpy": numpy_cross_entropy,
        "dropout": lambda: kernels.dropout_forward(z, uniforms, 0.8, 1.25, out, mask),
        "dropout numpy": numpy_dropout,
    }, repeats=2000)
    return [
        row("bias + ReLU forward (64, 100): NumPy / numba", "> 1", wall["bias+relu"] * 1e6,
            wall["bias+relu numpy"] / wall["bias+relu"], "us (ratio: NumPy time / numba time)"),
        row("ReLU forward (64, 100): NumPy / numba", "> 1", wall["relu"] * 1e6,
            wall["relu numpy"] / wall["relu"], "us (ratio: NumPy time / numba time)"),
        row("softmax cross-entropy + gradient (64, 10)", "> 1", wall["ce"] * 1e6,
            wall["ce numpy"] / wall["ce"], "us (ratio: NumPy time / numba time)"),
        row("dropout mask and output (64, 100)", "> 1", wall["dropout"] * 1e6,
            wall["dropout numpy"] / wall["dropout"], "us (ratio: NumPy time / numba time)"),
    ]


def run():
    return mlp_rows() + batchnorm_rows() + kernel_rows()
