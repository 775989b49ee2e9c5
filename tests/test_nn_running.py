"""Running statistics: the closed forms against the exponential average computed by hand and
against many simulated runs; the train/eval gap against passes written out by hand."""

import numpy as np
import pytest

from optbook import nn
from optbook.nn import running


def test_running_trace_is_the_exponential_average_by_hand():
    rng = np.random.default_rng(0)
    batches = [rng.standard_normal((5, 2)) * 3 + 1 for _ in range(4)]
    means, variances = running.running_trace(batches, momentum=0.2)
    m, v = np.zeros(2), np.ones(2)
    np.testing.assert_array_equal(means[0], m)
    np.testing.assert_array_equal(variances[0], v)
    for k, b in enumerate(batches, start=1):
        m = 0.8 * m + 0.2 * b.mean(axis=0)
        v = 0.8 * v + 0.2 * b.var(axis=0, ddof=1)
        np.testing.assert_allclose(means[k], m, rtol=1e-14)
        np.testing.assert_allclose(variances[k], v, rtol=1e-14)


def test_closed_forms_match_many_simulated_runs():
    """Variance 9, start 1, momentum 0.1, batches of 16: after k batches the running variance
    has mean 9 - 8 (0.9)^k and the standard deviation of running_sd with tau = 9 sqrt(2/15)."""
    rng = np.random.default_rng(1)
    k = np.arange(31)
    runs = 4000
    batches = [3.0 * rng.standard_normal((16, runs)) for _ in range(30)]
    _, variances = running.running_trace(batches)
    expected = running.expected_running(1.0, 9.0, 0.1, k)
    sd = running.running_sd(running.unbiased_variance_sd(9.0, 16), 0.1, k)
    np.testing.assert_allclose(expected[[0, 4]], [1.0, 9 - 8 * 0.9**4], rtol=1e-15)
    # the mean of 4000 runs is within 4 standard errors of the closed form
    assert np.all(np.abs(variances.mean(axis=1) - expected) <= 4 * sd / np.sqrt(runs) + 1e-12)
    np.testing.assert_allclose(variances.std(axis=1)[1:], sd[1:], rtol=0.06)
    assert sd[0] == 0.0


def test_the_long_run_spread_and_the_forgetting_time():
    tau = 2.0
    assert running.running_sd(tau, 0.1, 10_000) == pytest.approx(tau * np.sqrt(0.1 / 1.9))
    assert running.running_sd(tau, 1.0, 3) == pytest.approx(tau)
    assert running.batches_to_forget(0.1, 0.01) == 44  # 0.9^43 = 0.0108, 0.9^44 = 0.0097
    assert running.batches_to_forget(0.5, 0.25) == 2
    assert running.batches_to_forget(1.0, 0.5) == 1


def test_unbiased_variance_spread_matches_simulation():
    rng = np.random.default_rng(2)
    samples = rng.standard_normal((200_000, 4)) * 2.0
    estimates = samples.var(axis=1, ddof=1)
    assert estimates.std() == pytest.approx(running.unbiased_variance_sd(4.0, 4), rel=0.02)


def test_mode_gap_compares_batch_statistics_with_running_ones():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((10, 3)), rng.integers(0, 2, 10)
    layer = nn.BatchNorm1d(3)
    net = nn.Sequential(layer, nn.Linear(3, 2), seed=0)
    layer.running_mean[...] = [0.5, -0.5, 0.0]
    layer.running_var[...] = [2.0, 1.0, 0.5]
    w = net.params[6:12].reshape(2, 3)
    b = net.params[12:]

    def ce(z, labels):
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -logp[np.arange(len(labels)), labels].mean(), np.argmax(z, axis=1) == labels

    order = np.random.default_rng(5).permutation(10)[:8]  # 10 examples, batches of 4: 8 used
    train_losses, train_hits = [], []
    for part in (order[:4], order[4:]):
        xb = x[part]
        z = (xb - xb.mean(axis=0)) / np.sqrt(xb.var(axis=0) + 1e-5) @ w.T + b
        value, hits = ce(z, y[part])
        train_losses.append(value)
        train_hits.append(hits)
    z = (x[order] - layer.running_mean) / np.sqrt(layer.running_var + 1e-5) @ w.T + b
    eval_loss, eval_hits = ce(z, y[order])
    gap = running.mode_gap(net, "cross_entropy", x, y, 4, seed=5)
    assert gap.train_loss == pytest.approx(np.mean(train_losses), rel=1e-12)
    assert gap.train_accuracy == pytest.approx(np.mean(np.concatenate(train_hits)))
    assert gap.eval_loss == pytest.approx(eval_loss, rel=1e-12)
    assert gap.eval_accuracy == pytest.approx(eval_hits.mean())
    np.testing.assert_array_equal(layer.running_var, [2.0, 1.0, 0.5])


@pytest.mark.parametrize(("call", "match"), [
    (lambda: running.expected_running(0, 1, 0.0, 3), "momentum"),
    (lambda: running.expected_running(0, 1, 0.1, -1), "k must"),
    (lambda: running.unbiased_variance_sd(1.0, 1), "batch_size"),
    (lambda: running.batches_to_forget(0.1, 1.0), "fraction"),
    (lambda: running.running_trace([]), "batches"),
    (lambda: running.mode_gap(nn.Sequential(nn.Linear(2, 2)), "mse", np.ones((4, 2)),
                              np.ones((4, 2)), 1), "batch_size"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_batch_dependence_puts_the_example_with_random_companions():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((9, 2))
    layer = nn.BatchNorm1d(2)
    net = nn.Sequential(layer, seed=0)
    result = running.batch_dependence(net, x, 4, 3, 5, seed=2)
    draws = np.random.default_rng(2)
    others = np.delete(np.arange(9), 4)
    for k in range(5):
        batch = x[np.concatenate([[4], draws.choice(others, 2, replace=False)])]
        expected = (batch[0] - batch.mean(axis=0)) / np.sqrt(batch.var(axis=0) + 1e-5)
        np.testing.assert_allclose(result.train_outputs[k], expected, rtol=1e-12)
    np.testing.assert_allclose(result.eval_output, x[4] / np.sqrt(1 + 1e-5), rtol=1e-14)
    np.testing.assert_array_equal(layer.running_mean, [0.0, 0.0])
    assert np.ptp(result.train_outputs[:, 0]) > 0.1  # the companions change the output
    with pytest.raises(ValueError, match="index"):
        running.batch_dependence(net, x, 9, 3, 5)


def test_keras_statistics_are_the_library_s_with_one_minus_the_momentum_and_biased():
    rng = np.random.default_rng(7)
    batches = [3.0 * rng.standard_normal((8, 2)) + 1.0 for _ in range(5)]
    keras_means, keras_vars = running.keras_running_trace(batches, momentum=0.99)
    means, variances = running.running_trace(batches, momentum=0.01)
    np.testing.assert_allclose(keras_means, means, rtol=1e-14, atol=1e-16)
    # by hand: the first step from variance 1 with the biased batch variance
    np.testing.assert_allclose(keras_vars[1], 0.99 + 0.01 * batches[0].var(axis=0), rtol=1e-15)
    assert np.all(keras_vars[1] < variances[1])  # biased: (B-1)/B of the unbiased increment
    with pytest.raises(ValueError, match="momentum"):
        running.keras_running_trace(batches, momentum=1.0)
