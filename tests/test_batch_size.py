"""Steps and examples to a loss, and the gradient noise scale, against direct computations."""

import math

import numpy as np
import pytest

from optbook import batch_size, data, nn

DIGITS = data.digits(seed=0)
X, Y = DIGITS.X_train[:120], DIGITS.y_train[:120]


def _net():
    return nn.mlp([64, 8, 10], seed=2)


def test_per_example_gradients_average_to_the_full_gradient():
    net = _net()
    grads = batch_size.per_example_gradients(net, "cross_entropy", X, Y)
    assert grads.shape == (120, net.size)
    net.loss_and_grad(X, Y, "cross_entropy")
    np.testing.assert_allclose(grads.mean(axis=0), net.grads, rtol=1e-10, atol=1e-13)
    net.loss_and_grad(X[7:8], Y[7:8], "cross_entropy")
    np.testing.assert_allclose(grads[7], net.grads, rtol=1e-13, atol=1e-15)


def test_noise_scale_by_hand():
    scale = batch_size.noise_scale([[1.0, 0.0], [3.0, 0.0], [2.0, 3.0], [2.0, -3.0]])
    # mean (2, 0); squared deviations 1, 1, 9, 9 -> trace 5; |mean|^2 = 4
    assert scale == (5.0, 4.0, 1.25)


def _transcription(lr, s, target, eval_every, seed, max_examples):
    """SGD on the same permutations, written out with the network's public passes."""
    net = _net()
    rng = np.random.default_rng(seed)
    steps = seen = 0
    next_check = eval_every
    while seen < max_examples:
        order = rng.permutation(len(Y))
        for start in range(0, len(Y), s):
            idx = order[start:start + s]
            net.loss_and_grad(X[idx], Y[idx], "cross_entropy")
            net.params -= lr * net.grads
            steps += 1
            seen += len(idx)
            if seen >= next_check:
                next_check = (seen // eval_every + 1) * eval_every
                if net.evaluate(X, Y, "cross_entropy")[0] <= target:
                    return steps, seen
            if seen >= max_examples:
                break
    return None, None


@pytest.mark.parametrize(("lr", "s", "eval_every"), [(0.1, 1, 10), (0.5, 7, 25), (1.0, 120, 1)])
def test_steps_to_loss_against_a_transcription(lr, s, eval_every):
    reach = batch_size.steps_to_loss(_net(), "cross_entropy", (X, Y), lr, s, 0.5,
                                     max_examples=60_000, eval_every=eval_every, seed=3)
    expected = _transcription(lr, s, 0.5, eval_every, 3, 60_000)
    assert expected[0] is not None
    assert (reach.steps, reach.examples) == expected
    assert reach.final_loss <= 0.5


def test_full_batch_reach_is_gradient_descent_s_first_step_below_the_target():
    net = _net()
    losses = []
    for _ in range(200):
        net.loss_and_grad(X, Y, "cross_entropy")
        net.params -= 1.0 * net.grads
        losses.append(net.evaluate(X, Y, "cross_entropy")[0])
    first = int(np.argmax(np.array(losses) <= 0.3)) + 1
    reach = batch_size.steps_to_loss(_net(), "cross_entropy", (X, Y), 1.0, 120, 0.3,
                                     max_examples=10**6, eval_every=1)
    assert reach.steps == first and reach.examples == 120 * first


def test_a_run_that_blows_up_or_runs_out_reaches_nothing():
    blown = batch_size.steps_to_loss(_net(), "cross_entropy", (X, Y), 1e6, 4, 0.1,
                                     max_examples=10_000, eval_every=4)
    assert blown == (None, None, math.inf)
    short = batch_size.steps_to_loss(_net(), "cross_entropy", (X, Y), 1e-4, 4, 0.1,
                                     max_examples=400, eval_every=40)
    assert short.steps is None and math.isfinite(short.final_loss)


def test_fastest_rate_is_the_minimum_over_uncapped_runs():
    lrs = [3.0, 1.0, 0.3, 0.1]
    kwargs = dict(max_examples=30_000, eval_every=16, seed=1)
    fastest = batch_size.fastest_rate(_net, "cross_entropy", (X, Y), 8, lrs, 0.5,
                                      max_steps=3000, **kwargs)
    uncapped = {lr: batch_size.steps_to_loss(_net(), "cross_entropy", (X, Y), lr, 8, 0.5,
                                             **kwargs).steps for lr in lrs}
    reached = {lr: s for lr, s in uncapped.items() if s is not None}
    best = min(reached.values())
    assert fastest.steps == best
    assert fastest.lr == max(lr for lr, s in reached.items() if s == best)
    assert set(fastest.tried) <= set(lrs)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: batch_size.noise_scale(np.ones((1, 3))), "N >= 2"),
        (lambda: batch_size.per_example_gradients("net", "mse", X, Y), "net must be"),
        (lambda: batch_size.steps_to_loss(_net(), "cross_entropy", (X, Y), 0.1, 121, 0.1,
                                          max_examples=10, eval_every=1),
         r"batch_size must be an integer in \[1, 120\]"),
        (lambda: batch_size.steps_to_loss(_net(), "cross_entropy", (X, Y), 0.0, 1, 0.1,
                                          max_examples=10, eval_every=1), "lr must be"),
        (lambda: batch_size.fastest_rate(_net, "cross_entropy", (X, Y), 1, [], 0.1,
                                         max_examples=10, max_steps=10, eval_every=1),
         "at least one"),
    ],
)
def test_bad_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_time_per_step_measures_every_size_and_leaves_the_network_almost_unchanged():
    net = _net()
    before = net.params.copy()
    times = batch_size.time_per_step(net, "cross_entropy", (X, Y), [1, 120], calls=3, repeats=2)
    assert times.shape == (2,) and np.all(times > 0)
    np.testing.assert_allclose(net.params, before, atol=1e-9)
