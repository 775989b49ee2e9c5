"""Reddi et al.'s online problem and Wilson et al.'s separable data, against hand-worked steps
and closed forms."""

import math

import numpy as np
import pytest

from optbook import counterexamples, data, optimizers


def test_reddi_first_two_steps_by_hand():
    lr, b2, eps = 0.5, 0.1, 1e-8
    r = counterexamples.reddi_online(optimizers.adam(lr, 0.0, b2, eps), 2)
    v1 = (1 - b2) * 9.0
    x1 = -lr * 3.0 / (math.sqrt(v1 / (1 - b2)) + eps)
    v2 = b2 * v1 + (1 - b2) * 1.0
    x2 = x1 + lr / math.sqrt(2) / (math.sqrt(v2 / (1 - b2 ** 2)) + eps)
    np.testing.assert_allclose(r.positions, [0.0, x1, x2], rtol=1e-12)
    np.testing.assert_array_equal(r.gradients, [3.0, -1.0])


def test_reddi_regret_of_a_standing_point():
    # x stays 0 with lr = 0: regret R_t = 0 - min_x G_t x = |G_t|
    r = counterexamples.reddi_online(optimizers.gd(0.0), 7)
    G = np.cumsum([3, -1, -1, 3, -1, -1, 3])
    np.testing.assert_allclose(r.average_regret, np.abs(G) / np.arange(1, 8))


def test_reddi_adam_drifts_to_the_worst_point_amsgrad_does_not():
    C = 3.0
    kw = dict(lr=0.5, beta1=0.0, beta2=1 / (1 + C * C))
    adam = counterexamples.reddi_online(optimizers.adam(**kw), 3000, C=C)
    ams = counterexamples.reddi_online(optimizers.amsgrad(**kw), 3000, C=C)
    assert adam.positions[-300:].min() > 0.9
    assert ams.positions[-300:].max() < -0.9
    # Adam's average regret tends to (C - 2) * 2 / 3 per step, AMSGrad's to 0
    assert adam.average_regret[-1] == pytest.approx(2 * (C - 2) / 3, abs=0.02)
    assert ams.average_regret[-1] < 0.02


def test_reddi_checks_its_input():
    with pytest.raises(ValueError, match="C must"):
        counterexamples.reddi_online(optimizers.adam(), 3, C=2.0)
    with pytest.raises(ValueError, match="x0"):
        counterexamples.reddi_online(optimizers.adam(), 3, x0=2.0)


def test_wilson_gd_finds_the_minimum_norm_solution_adaptive_rules_do_not():
    d = data.wilson_separable(seed=0)
    gd = counterexamples.wilson_fit(optimizers.gd(0.01), d, 4000)
    min_norm = np.linalg.pinv(d.X_train) @ d.y_train
    np.testing.assert_allclose(gd.w, min_norm, atol=1e-6)
    assert gd.test_error == 0.0
    negatives = float(np.mean(d.y_test < 0))
    for opt in (optimizers.adagrad(0.1), optimizers.adam(0.01)):
        fit = counterexamples.wilson_fit(opt, d, 3000)
        assert fit.train_error == 0.0
        np.testing.assert_allclose(fit.w[1:3], fit.w[0], rtol=1e-6)
        assert fit.test_error == negatives  # every test point labelled +1
    loss = counterexamples.wilson_fit(optimizers.gd(0.01), d, 3).train_loss
    assert loss[0] == pytest.approx(0.5 * d.y_train.size)
