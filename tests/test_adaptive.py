"""The adaptive module against closed forms, hand-worked steps and plain-NumPy transcriptions."""

import math

import numpy as np
import pytest

from optbook import adaptive, landscapes, optimizers, run

G = np.array([0.3, -2.0, 1e-9, 5.0])

SETTINGS = [
    ("gd", dict(lr=0.1)),
    ("delta_bar_delta", dict(lr=0.05)),
    ("adagrad", dict(lr=0.1)),
    ("adagrad", dict(lr=0.1, initial_accumulator=0.5)),
    ("rmsprop", dict(lr=0.01, rho=0.9)),
    ("rmsprop", dict(lr=0.01, rho=0.9, centered=True, momentum=0.5)),
    ("adadelta", dict(lr=1.0, rho=0.95, eps=1e-6)),
    ("adam", dict(lr=1e-3)),
    ("adamw", dict(lr=1e-3)),
    ("amsgrad", dict(lr=1e-3)),
    ("adamax", dict(lr=2e-3)),
    ("nadam", dict(lr=2e-3, momentum_decay=0.004)),
    ("nadam", dict(lr=2e-3, momentum_decay=0.5)),
]


@pytest.mark.parametrize(("name", "kw"), SETTINGS)
def test_first_step_closed_form_matches_the_rule_kernel(name, kw):
    opt = optimizers.get(name, **kw)
    x = np.zeros(G.size)
    optimizers.step(opt, x, G.copy(), opt.init_state(G.size), None)
    np.testing.assert_allclose(adaptive.first_step(opt, G), x, rtol=1e-12, atol=0)


def test_first_steps_by_hand():
    # Adam-family steps are about eta per coordinate whatever |g|; RMSProp's 1/sqrt(1 - rho).
    np.testing.assert_allclose(adaptive.first_step(optimizers.adam(1e-3), [4.0, -0.01]),
                               [-1e-3 * 4 / (4 + 1e-8), 1e-3 * 0.01 / (0.01 + 1e-8)])
    np.testing.assert_allclose(adaptive.first_step(optimizers.rmsprop(0.01, rho=0.99), [2.0]),
                               [-0.01 * 2 / (0.1 * 2 + 1e-8)])
    # AdaDelta's first step is sqrt(eps/(1-rho)) for any gradient much larger than sqrt(eps)
    step = adaptive.first_step(optimizers.adadelta(1.0, rho=0.9, eps=1e-6), [3.0, 300.0])
    np.testing.assert_allclose(np.abs(step), math.sqrt(1e-6 / 0.1), rtol=1e-6)


def test_effective_rates_adagrad_is_the_numpy_sum_and_never_increases():
    rng = np.random.default_rng(1)
    grads = rng.standard_normal((50, 3)) * [1.0, 0.01, 100.0]
    opt = optimizers.adagrad(0.1, eps=1e-10)
    rates = adaptive.effective_rates(opt, grads)
    expected = 0.1 / (np.sqrt(np.cumsum(grads ** 2, axis=0)) + 1e-10)
    np.testing.assert_allclose(rates, expected, rtol=1e-12)
    assert np.all(np.diff(rates, axis=0) <= 0)


def test_effective_rates_constant_gradient():
    g = np.full((40, 1), 0.5)
    rms = adaptive.effective_rates(optimizers.rmsprop(0.01, rho=0.9, eps=1e-8), g)
    t = np.arange(1, 41)[:, None]
    np.testing.assert_allclose(rms, 0.01 / (np.sqrt(1 - 0.9 ** t) * 0.5 + 1e-8), rtol=1e-12)
    # bias-corrected second moment of a constant gradient is g^2 at every step
    adam = adaptive.effective_rates(optimizers.adam(1e-3), g)
    np.testing.assert_allclose(adam, 1e-3 / (0.5 + 1e-8), rtol=1e-12)
    ams = adaptive.effective_rates(optimizers.amsgrad(1e-3), g)
    np.testing.assert_allclose(ams, adam, rtol=1e-12)
    np.testing.assert_allclose(adaptive.effective_rates(optimizers.adamax(2e-3), g),
                               2e-3 / (0.5 + 1e-8), rtol=1e-12)


def test_effective_rates_adadelta_transcription():
    grads = np.array([[1.0], [-2.0], [0.5]])
    rho, eps, lr = 0.9, 1e-6, 1.0
    s = u = 0.0
    expected = []
    for g in grads[:, 0]:
        s = rho * s + (1 - rho) * g * g
        rate = lr * math.sqrt(u + eps) / math.sqrt(s + eps)
        expected.append(rate)
        u = rho * u + (1 - rho) * (rate * g) ** 2
    got = adaptive.effective_rates(optimizers.adadelta(lr, rho, eps), grads)[:, 0]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_effective_rates_delta_bar_delta_by_hand():
    lr, kappa, phi, theta = 0.1, 0.01, 0.5, 0.7
    opt = optimizers.delta_bar_delta(lr, kappa, phi, theta)
    rates = adaptive.effective_rates(opt, [1.0, 1.0, -1.0, -1.0])[:, 0]
    # bar: 0 -> 0.3 -> 0.51 -> 0.51*0.7 - 0.3 = 0.057 (agreement with -1 negative, then negative)
    np.testing.assert_allclose(rates, [lr, lr + kappa, (lr + kappa) * 0.5, (lr + kappa) * 0.25])


def test_first_step_size_conventions():
    lr, beta2, eps = 1e-3, 0.999, 1e-8
    tiny = 1e-8
    assert adaptive.first_step_size(tiny, "outside") == pytest.approx(lr / 2)
    assert adaptive.first_step_size(tiny, "folded") == pytest.approx(
        lr / (1 + 1 / math.sqrt(1 - beta2)), rel=1e-12)
    assert adaptive.first_step_size(math.sqrt(eps), "inside") == pytest.approx(lr / math.sqrt(2))
    # outside is the registry's Adam; folded is the folded run's first step on a plane
    for g in (1e-12, 1e-8, 1e-4, 1.0):
        x = np.zeros(1)
        optimizers.step(optimizers.adam(lr, 0.9, beta2, eps), x, np.array([g]),
                        optimizers.adam(lr).init_state(1), None)
        assert adaptive.first_step_size(g, "outside") == pytest.approx(abs(x[0]), rel=1e-12)
        plane = landscapes.plane([g])
        path = adaptive.folded_adam(plane, [0.0], 1, lr=lr, beta2=beta2, eps=eps)
        assert adaptive.first_step_size(g, "folded") == pytest.approx(abs(path[1, 0]), rel=1e-12)
    with pytest.raises(ValueError, match="convention"):
        adaptive.first_step_size(1.0, "middle")
    with pytest.raises(ValueError, match="eps"):
        adaptive.first_step_size(1.0, "outside", eps=0.0)


def test_folded_adam_is_adam_with_a_larger_eps():
    land = landscapes.rosenbrock()
    x0, steps, lr, b1, b2, eps = np.array([-1.2, 1.0]), 60, 0.01, 0.9, 0.999, 1e-3
    folded = adaptive.folded_adam(land, x0, steps, lr=lr, beta1=b1, beta2=b2, eps=eps)
    x, m, v = x0.copy(), np.zeros(2), np.zeros(2)
    for t in range(1, steps + 1):  # Adam with eps_t = eps / sqrt(1 - b2^t), transcribed
        g = land.grad(x)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        eps_t = eps / math.sqrt(1 - b2 ** t)
        x = x - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps_t)
    np.testing.assert_allclose(folded[-1], x, rtol=1e-10)
    # with a negligible eps the folded form is Adam itself
    tiny = 1e-300
    adam = run.trajectory(land, optimizers.adam(lr, b1, b2, tiny), x0, steps)
    np.testing.assert_allclose(adaptive.folded_adam(land, x0, steps, lr=lr, eps=tiny),
                               adam.positions, rtol=1e-10)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="optimizer"):
        adaptive.effective_rates(optimizers.momentum(0.1, 0.9), [1.0])
    with pytest.raises(ValueError, match="gradients"):
        adaptive.effective_rates(optimizers.adam(), [[np.nan]])
    with pytest.raises(ValueError, match="steps"):
        adaptive.folded_adam(landscapes.rosenbrock(), [0.0, 0.0], 0)
