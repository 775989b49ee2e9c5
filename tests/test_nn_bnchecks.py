"""Batch norm's checks: the input gradient against closed forms and finite differences (and
the constant-statistics gradient failing it), scale invariance, and standardised moments of a
sample worked by hand."""

import numpy as np
import pytest

from optbook import nn
from optbook.nn.bnchecks import input_gradient_check, scale_invariance, standardized_moments


def test_input_gradient_of_least_squares_is_the_closed_form():
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    net = nn.Sequential(nn.Linear(3, 2), seed=1)
    w, b = net.params[:6].reshape(2, 3), net.params[6:]
    check = input_gradient_check(net, "mse", x, t)
    expected = 2.0 * (x @ w.T + b - t) @ w / t.size
    np.testing.assert_allclose(check.analytic, expected.ravel(), rtol=1e-13)
    assert check.max_relative_error < 1e-8


def test_batch_norm_passes_only_with_the_full_gradient():
    rng = np.random.default_rng(1)
    x, t = 1.0 + 2.0 * rng.standard_normal((8, 4)), rng.standard_normal((8, 4))
    full = nn.Sequential(nn.BatchNorm1d(4))
    naive = nn.Sequential(nn.BatchNorm1d(4, constant_stats=True))
    good = input_gradient_check(full, "mse", x, t)
    bad = input_gradient_check(naive, "mse", x, t)
    assert good.max_relative_error < 1e-6
    np.testing.assert_allclose(bad.numeric, good.numeric, rtol=1e-12)
    # the full gradient sums to 0 over the batch, feature by feature; the naive one does not
    np.testing.assert_allclose(good.analytic.reshape(8, 4).sum(axis=0), 0.0, atol=1e-15)
    assert np.all(np.abs(bad.analytic.reshape(8, 4).sum(axis=0)) > 1e-3)
    assert np.linalg.norm(bad.analytic - bad.numeric) > 0.2 * np.linalg.norm(bad.numeric)
    np.testing.assert_array_equal(full.layers[0].running_mean, np.zeros(4))


def test_weights_before_batch_norm_are_scale_invariant_and_others_are_not():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((32, 6)), rng.integers(0, 3, 32)
    net = nn.Sequential(nn.Linear(6, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(),
                        nn.Linear(8, 3), seed=1)
    w = net.weight_slices[0]
    before = net.get_params()
    check = scale_invariance(net, "cross_entropy", x, y, w, 10.0)
    # eps = 1e-5 against pre-activation variances of about 0.3 (PyTorch's initialisation):
    # x_hat moves by a relative (1 - 1/100) eps / (2 var), about 2e-5, when W is scaled by 10
    assert check.loss_scaled == pytest.approx(check.loss, rel=1e-4)
    assert check.grad_norm_scaled == pytest.approx(check.grad_norm / 10.0, rel=1e-4)
    assert abs(check.cosine) < 1e-5
    np.testing.assert_array_equal(net.params, before)
    last = scale_invariance(net, "cross_entropy", x, y, net.weight_slices[1], 10.0)
    assert abs(last.loss_scaled - last.loss) > 0.01 * last.loss
    assert abs(last.cosine) > 1e-3


def test_standardized_moments_of_a_sample_worked_by_hand():
    """[0, 0, 0, 4]: mean 1, variance 3, z = (-1, -1, -1, 3)/sqrt(3); skewness
    (-3 + 27)/(4 * 3 sqrt 3) = 2/sqrt(3), kurtosis (3 + 81)/(4 * 9) - 3 = -2/3."""
    m = standardized_moments([0.0, 0.0, 0.0, 4.0])
    assert m.mean == 1.0 and m.variance == 3.0
    assert m.skewness == pytest.approx(2 / np.sqrt(3), rel=1e-14)
    assert m.excess_kurtosis == pytest.approx(-2 / 3, rel=1e-14)
    shifted = standardized_moments(5.0 * np.array([0.0, 0.0, 0.0, 4.0]) - 7.0)
    assert shifted.skewness == pytest.approx(m.skewness, rel=1e-13)
    assert shifted.excess_kurtosis == pytest.approx(m.excess_kurtosis, rel=1e-13)
    gauss = standardized_moments(np.random.default_rng(0).standard_normal(400_000))
    assert abs(gauss.skewness) < 0.02 and abs(gauss.excess_kurtosis) < 0.04


@pytest.mark.parametrize(("call", "match"), [
    (lambda: standardized_moments([1.0]), "values"),
    (lambda: standardized_moments([2.0, 2.0]), "equal"),
    (lambda: input_gradient_check(nn.Sequential(nn.Linear(2, 1)), "mse", np.ones((2, 2)),
                                  np.ones(2), h=0.0), "h must"),
    (lambda: scale_invariance(nn.Sequential(nn.Linear(2, 1)), "mse", np.ones((2, 2)),
                              np.ones(2), slice(0, 2), -1.0), "factor"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
