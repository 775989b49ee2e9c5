"""frameworks.py against hand-worked steps of the documented algorithms and against the
library's own forms of the same methods."""

import math

import numpy as np
import pytest

from optbook import frameworks, landscapes, optimizers, run, schedules

LINE = landscapes.quadratic([1.0])  # f = x^2 / 2, gradient x


def test_torch_dampening_is_skipped_on_the_first_step():
    # t=1: g=1, b=g=1, x=1-0.1=0.9; t=2: g=0.9, b=0.9*1+0.5*0.9=1.35, x=0.9-0.135=0.765
    xs = frameworks.torch_sgd(LINE, [1.0], [0.1, 0.1], momentum=0.9, dampening=0.5)
    assert np.allclose(xs[:, 0], [1.0, 0.9, 0.765], rtol=1e-15)


def test_torch_nesterov_steps_along_g_plus_mu_b():
    # t=1: b=1, step 1+0.9=1.9, x=0.81; t=2: g=0.81, b=0.9+0.81=1.71,
    # step 0.81+0.9*1.71=2.349, x=0.81-0.2349=0.5751
    xs = frameworks.torch_sgd(LINE, [1.0], [0.1, 0.1], momentum=0.9, nesterov=True)
    assert np.allclose(xs[:, 0], [1.0, 0.81, 0.5751], rtol=1e-14)


def test_torch_weight_decay_adds_lambda_x_to_the_gradient():
    # g = x + 0.5 x = 1.5: x1 = 1 - 0.1 * 1.5 = 0.85
    xs = frameworks.torch_sgd(LINE, [1.0], [0.1], weight_decay=0.5)
    assert xs[1, 0] == pytest.approx(0.85, rel=1e-15)


def _schedule(lr, steps, every):
    drop = schedules.step(0.1, every)
    return drop, lr * np.array([drop(t) for t in range(1, steps + 1)])


def test_torch_sgd_is_the_librarys_pytorch_form_under_a_schedule():
    land = landscapes.lecture_quadratic(10)
    drop, lrs = _schedule(0.02, 90, 30)
    ours = run.trajectory(land, optimizers.momentum(0.02, 0.9, form="pytorch"), land.start, 90,
                          schedule=drop).positions
    assert np.allclose(frameworks.torch_sgd(land, land.start, lrs, momentum=0.9), ours,
                       rtol=1e-12, atol=1e-14)


def test_keras_sgd_is_the_velocity_form_and_reformulated_nesterov_under_a_schedule():
    land = landscapes.lecture_quadratic(10)
    drop, lrs = _schedule(0.02, 90, 30)
    for nesterov, ours in [(False, optimizers.momentum(0.02, 0.9)),
                           (True, optimizers.nesterov(0.02, 0.9, form="reformulated"))]:
        expected = run.trajectory(land, ours, land.start, 90, schedule=drop).positions
        got = frameworks.keras_sgd(land, land.start, lrs, momentum=0.9, nesterov=nesterov)
        assert np.allclose(got, expected, rtol=1e-12, atol=1e-14)


def test_torch_nesterov_matches_reformulated_until_the_learning_rate_changes():
    land = landscapes.lecture_quadratic(10)
    drop, lrs = _schedule(0.02, 90, 30)
    torch = frameworks.torch_sgd(land, land.start, lrs, momentum=0.9, nesterov=True)
    ours = run.trajectory(land, optimizers.nesterov(0.02, 0.9, form="reformulated"), land.start,
                          90, schedule=drop).positions
    gap = np.linalg.norm(torch - ours, axis=1)
    assert gap[:31].max() < 1e-12 and gap[31:].max() > 1e-3


def test_adam_separate_is_the_librarys_adam():
    land = landscapes.lecture_quadratic(50)
    ours = run.trajectory(land, optimizers.adam(lr=0.05), land.start, 200).positions
    assert np.allclose(frameworks.adam(land, land.start, np.full(200, 0.05)), ours,
                       rtol=1e-12, atol=1e-14)


def test_folded_adam_has_epsilon_over_root_one_minus_beta2_power():
    # first step: m = (1-b1) g, v = (1-b2) g^2; folded step = lr g / (|g| + eps / sqrt(1-b2))
    g, eps, b2 = 1e-6, 1e-8, 0.999
    land = landscapes.quadratic([1.0], center=[g])  # gradient at 0 is -g
    x1 = frameworks.adam(land, [0.0], [1.0], eps=eps, correction="folded")[1, 0]
    assert x1 == pytest.approx(g / (g + eps / math.sqrt(1 - b2)), rel=1e-12)
    separate = frameworks.adam(land, [0.0], [1.0], eps=eps)[1, 0]
    assert separate == pytest.approx(g / (g + eps), rel=1e-12)
    no_eps = [frameworks.adam(landscapes.lecture_quadratic(50), [4.0, 0.5], np.full(30, 0.1),
                              eps=0.0, correction=c) for c in frameworks.ADAM_CORRECTIONS]
    assert np.allclose(no_eps[0], no_eps[1], rtol=1e-12, atol=1e-15)


def test_a_step_counter_from_zero_divides_by_zero_on_the_first_step():
    for correction in frameworks.ADAM_CORRECTIONS:
        xs = frameworks.adam(LINE, [1.0], [0.1, 0.1, 0.1], correction=correction, first_t=0)
        assert xs[0, 0] == 1.0 and np.all(np.isnan(xs[1:]))


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="nesterov"):
        frameworks.torch_sgd(LINE, [1.0], [0.1], momentum=0.9, dampening=0.1, nesterov=True)
    with pytest.raises(ValueError, match="momentum"):
        frameworks.keras_sgd(LINE, [1.0], [0.1], momentum=1.5)
    with pytest.raises(ValueError, match="lrs"):
        frameworks.torch_sgd(LINE, [1.0], [0.1, -0.1])
    with pytest.raises(ValueError, match="x0"):
        frameworks.keras_sgd(LINE, [1.0, 2.0], [0.1])
    with pytest.raises(ValueError, match="correction"):
        frameworks.adam(LINE, [1.0], [0.1], correction="late")
    with pytest.raises(ValueError, match="first_t"):
        frameworks.adam(LINE, [1.0], [0.1], first_t=2)
    with pytest.raises(ValueError, match="landscape"):
        frameworks.adam("line", [1.0], [0.1])
