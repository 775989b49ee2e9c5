"""The instrumented SGD loop: nn.train's run when nothing is added, per-parameter rates,
probes that cannot change the run, tracked norms, and batch norm's bias drift under the
gradient that treats the batch statistics as constants."""

import numpy as np
import pytest

from optbook import data, nn, optimizers
from optbook.nn.instrumented import instrumented_sgd


def small_problem(seed=0, n=50):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 5)), rng.integers(0, 3, n)


def test_without_rates_it_is_train_with_gradient_descent_bit_for_bit():
    x, y = small_problem()
    nets = [nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3),
                          seed=3) for _ in range(2)]
    history = nn.train(nets[0], "cross_entropy", optimizers.gd(0.1), (x, y), epochs=3,
                       batch_size=16, record="step", seed=7, progress=False)
    record = instrumented_sgd(nets[1], "cross_entropy", (x, y), lr=0.1, steps=12,
                              batch_size=16, seed=7)
    np.testing.assert_array_equal(record.loss, history.train_loss)
    np.testing.assert_array_equal(nets[1].params, nets[0].params)
    assert record.diverged_at is None and record.steps_run == 12


def test_zero_rates_freeze_parameters_and_rates_scale_the_step():
    x, y = small_problem(1)
    net = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3), seed=0)
    start = net.get_params()
    rates = np.zeros(net.size)
    first = net.slices["linear0"]
    rates[first] = 2.0
    record = instrumented_sgd(net, "cross_entropy", (x, y), lr=0.05, steps=1, batch_size=50,
                              rates=rates)
    np.testing.assert_array_equal(net.params[first.stop:], start[first.stop:])
    reference = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3), seed=0)
    reference.loss_and_grad(x, y, "cross_entropy")
    expected = start[first] - 0.05 * 2.0 * reference.grads[first]
    np.testing.assert_allclose(net.params[first], expected, rtol=1e-15, atol=1e-17)
    assert record.loss[0] == pytest.approx(reference.evaluate(x, y, "cross_entropy")[0])


def test_probes_see_the_step_and_cannot_change_the_run():
    x, y = small_problem(2)
    seen = []

    def vandal(net, xb, yb, update):
        seen.append((len(xb), update.copy(), net.grads.copy()))
        net.params[...] = 1e3  # a probe that forgets to restore
        net.forward(xb, training=True)  # and moves the running statistics
        return float(np.linalg.norm(update))

    runs = {}
    for probe in (None, vandal):
        net = nn.Sequential(nn.Linear(5, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3),
                            seed=1)
        runs[probe] = (instrumented_sgd(net, "cross_entropy", (x, y), lr=0.2, steps=7,
                                        batch_size=20, probe=probe, every=3), net)
    plain, probed = runs[None], runs[vandal]
    np.testing.assert_array_equal(plain[0].loss, probed[0].loss)
    np.testing.assert_array_equal(plain[1].params, probed[1].params)
    np.testing.assert_array_equal(plain[1].layers[1].running_var, probed[1].layers[1].running_var)
    np.testing.assert_array_equal(probed[0].probe_steps, [0, 3, 6])
    # 50 examples in batches of 20: the steps' batches have 20, 20, 10, 20, ... rows
    assert [s[0] for s in seen] == [20, 20, 20]
    for _, update, grads in seen:
        np.testing.assert_array_equal(update, -0.2 * grads)


def test_norms_of_weights_before_batch_norm_grow_by_pythagoras():
    """The gradient of scale-invariant weights is orthogonal to them, so one SGD step gives
    ||W_{t+1}||^2 = ||W_t||^2 + lr^2 ||g_t||^2 (up to eps, of relative order 1e-5 here)."""
    d = data.digits(seed=0)
    net = nn.Sequential(nn.Linear(64, 32, bias=False), nn.BatchNorm1d(32), nn.ReLU(),
                        nn.Linear(32, 10), seed=0)
    w = net.weight_slices[0]
    lr = 0.5
    record = instrumented_sgd(net, "cross_entropy", (d.X_train, d.y_train), lr=lr, steps=40,
                              batch_size=64, track={"w": w})
    before, after = record.norms["w"][:-1], record.norms["w"][1:]
    predicted = before**2 + lr**2 * record.grad_norms["w"] ** 2
    np.testing.assert_allclose(after**2, predicted, rtol=1e-5)
    assert np.all(np.diff(record.norms["w"]) > 0)


def test_naive_bias_gradient_drifts_the_bias_while_the_loss_stays_flat():
    """Ioffe & Szegedy's example: with mu and sigma treated as constants the bias before batch
    norm receives the gradient sum_i gamma g_i / sqrt(var + eps), which the mean subtraction
    makes irrelevant to the loss, so it moves by the same amount at every step."""
    x, y = small_problem(3, n=32)
    net = nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4, constant_stats=True), nn.ReLU(),
                        nn.Linear(4, 3), seed=2)
    block = net.slices["linear0"]
    bias = slice(block.start + 20, block.stop)
    rates = np.zeros(net.size)
    rates[bias] = 1.0
    start = net.params[bias].copy()
    # the naive bias gradient by hand: the layer's upstream gradient through gamma / sigma
    trace = net.trace(x, training=True)
    logits = trace.outputs[-1]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    d_logits = (p - np.eye(3)[y]) / len(y)
    w2 = net.params[net.weight_slices[1]].reshape(3, 4)
    d_relu = (d_logits @ w2) * (trace.outputs[2] > 0)
    pre = x @ net.params[block][:20].reshape(4, 5).T + start
    naive = (d_relu / np.sqrt(pre.var(axis=0) + 1e-5)).sum(axis=0)  # gamma = 1
    record = instrumented_sgd(net, "cross_entropy", (x, y), lr=0.5, steps=20, batch_size=32,
                              rates=rates, track={"bias": bias})
    np.testing.assert_allclose(record.loss, record.loss[0], rtol=1e-13)
    np.testing.assert_allclose(net.params[bias], start - 20 * 0.5 * naive, rtol=1e-9)
    assert record.norms["bias"][-1] > 2 * record.norms["bias"][0]


def test_divergence_is_reported_at_the_first_bad_loss():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((50, 5))
    y = x @ rng.standard_normal(5)
    net = nn.Sequential(nn.Linear(5, 1), seed=0)  # least squares: |1 - lr lambda| >> 1
    with np.errstate(over="ignore", invalid="ignore"):
        record = instrumented_sgd(net, "mse", (x, y), lr=100.0, steps=500, batch_size=50)
    assert record.diverged_at is not None and record.diverged_at < 500
    assert record.steps_run == record.diverged_at
    assert np.all(np.isfinite(record.loss))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"lr": -1.0}, "lr"), ({"steps": 0}, "steps"), ({"every": 0}, "every"),
    ({"batch_size": 51}, "batch_size"), ({"rates": np.ones(3)}, "rates"),
    ({"track": {"w": 3}}, "track"), ({"probe": 3}, "probe"),
])
def test_bad_arguments_are_named(kwargs, match):
    x, y = small_problem()
    net = nn.Sequential(nn.Linear(5, 3))
    args = {"lr": 0.1, "steps": 2, "batch_size": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        instrumented_sgd(net, "cross_entropy", (x, y), **args)
