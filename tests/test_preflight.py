"""Checks before training: the gradient check's bands and its step, the initial loss of a
classifier against exact and sampled expectations, and the balanced subset."""

import math

import numpy as np
import pytest

from optbook import nn, preflight


@pytest.mark.parametrize(("error", "band"), [
    (0.0, "right"), (5e-8, "right"), (1e-7, "acceptable with kinks"),
    (3e-5, "acceptable with kinks"), (1e-4, "suspect"), (3e-3, "suspect"), (1e-2, "wrong"),
    (0.95, "wrong"),
])
def test_verdict_follows_the_cs231n_bands(error, band):
    assert preflight.verdict(error) == band


@pytest.mark.parametrize("bad", [-1e-3, float("nan")])
def test_verdict_refuses_what_is_not_an_error(bad):
    with pytest.raises(ValueError, match="relative_error"):
        preflight.verdict(bad)


def test_chance_loss_is_log_c():
    assert preflight.chance_loss(10) == pytest.approx(2.302585092994046, rel=1e-15)
    assert preflight.chance_loss(2) == pytest.approx(0.6931471805599453, rel=1e-15)
    with pytest.raises(ValueError, match="n_classes"):
        preflight.chance_loss(1)


def test_logit_spread_by_hand():
    # Row variances (biased, over the classes): 2/3 and 0.
    assert preflight.logit_spread([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]]) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="logits"):
        preflight.logit_spread([1.0, 2.0])


@pytest.mark.parametrize("s", [0.05, 0.1, 0.2, 0.4])
def test_expected_initial_loss_matches_the_exact_two_class_expectation_to_fourth_order(s):
    # Two classes: CE = softplus(-d), d = z_y - z_other ~ N(0, 2 s^2). Its expectation by
    # Gauss-Hermite quadrature is exact to rounding; softplus(x) = ln 2 + x/2 + x^2/8 - x^4/192
    # + ..., so the second-order prediction ln 2 + s^2/4 errs by about E[d^4]/192 = s^4/16.
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    d = math.sqrt(2) * s * nodes
    exact = np.sum(weights * np.logaddexp(0.0, -d)) / math.sqrt(2 * math.pi)
    spread = s**2 * (2 - 1) / 2  # v = s^2 (C - 1)/C for i.i.d. logits
    predicted = preflight.expected_initial_loss(2, spread)
    assert predicted == pytest.approx(math.log(2) + s**2 / 4, rel=1e-15)
    assert abs(exact - predicted) <= 1.05 * s**4 / 16
    assert abs(exact - predicted) >= 0.8 * s**4 / 16


def test_expected_initial_loss_matches_sampled_logits_for_ten_classes():
    rng = np.random.default_rng(0)
    s = 0.5
    z = s * rng.standard_normal((200_000, 10))
    sampled = np.mean(np.log(np.exp(z).sum(axis=1)) - z[:, 0])
    predicted = preflight.expected_initial_loss(10, preflight.logit_spread(z))
    excess_sampled = sampled - math.log(10)
    excess_predicted = predicted - math.log(10)
    assert excess_predicted == pytest.approx(s**2 * 0.9 / 2, rel=0.01)
    # Fourth-order terms are a few per cent of the excess at s = 0.5.
    assert excess_sampled == pytest.approx(excess_predicted, rel=0.05)


def test_expected_initial_loss_refuses_a_negative_spread():
    with pytest.raises(ValueError, match="spread"):
        preflight.expected_initial_loss(10, -0.1)


def test_balanced_subset_takes_the_same_number_of_each_class():
    labels = np.repeat(np.arange(4), [5, 7, 3, 9])
    idx = preflight.balanced_subset(labels, 3, seed=1)
    assert np.all(np.diff(idx) > 0)
    assert np.array_equal(np.bincount(labels[idx]), [3, 3, 3, 3])
    assert np.array_equal(idx, preflight.balanced_subset(labels, 3, seed=1))
    with pytest.raises(ValueError, match="class 2 has 3 examples"):
        preflight.balanced_subset(labels, 4)
    with pytest.raises(ValueError, match="per_class"):
        preflight.balanced_subset(labels, 0)


def test_error_against_step_is_flat_for_a_quadratic_loss_and_falls_like_h_squared_for_tanh():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3))
    # A linear layer with squared error: the loss is quadratic in the parameters, so the
    # central difference has no truncation error and large steps are as good as small ones.
    linear = nn.Sequential(nn.Linear(3, 2), seed=0)
    sweep = preflight.error_against_step(linear, "mse", x, rng.standard_normal((8, 2)),
                                         [1e-1, 1e-2, 1e-3], entries=8)
    assert np.all(sweep.maximum < 1e-9)
    # tanh: truncation error ~ h^2 f'''/6, so a step 10 times smaller errs 100 times less.
    tanh = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3), seed=0)
    labels = rng.integers(0, 3, 8)
    sweep = preflight.error_against_step(tanh, "cross_entropy", x, labels, [1e-2, 1e-3, 1e-4],
                                         entries=20)
    for errors in (sweep.median, sweep.maximum):
        ratios = errors[:-1] / errors[1:]
        assert np.all((ratios > 70) & (ratios < 130))


def test_error_against_step_refuses_bad_steps():
    net = nn.Sequential(nn.Linear(3, 2), seed=0)
    with pytest.raises(ValueError, match="steps"):
        preflight.error_against_step(net, "mse", np.ones((2, 3)), np.ones((2, 2)), [1e-3, 0.0])


def test_gaussian_logit_loss_joins_the_expansion_and_the_largest_logit():
    # Small spread: the second-order expansion, within its fourth-order error and sampling.
    small = preflight.gaussian_logit_loss(10, 0.05, samples=200_000)
    assert small - math.log(10) == pytest.approx(0.025, rel=0.05)
    # Large spread: the loss tends to s E[max of 10 standard normals] (1.538753 by quadrature
    # of x C phi(x) Phi(x)^(C-1)), minus E[xi_1] = 0, plus a log-sum-exp term that fades.
    x = np.linspace(-10, 10, 20_001)
    phi = np.exp(-x**2 / 2) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x]))
    e_max = np.sum(x * 10 * phi * cdf**9) * (x[1] - x[0])
    assert e_max == pytest.approx(1.538753, abs=1e-6)
    s = 100.0
    large = preflight.gaussian_logit_loss(10, s**2 * 0.9, samples=200_000)
    assert large / s == pytest.approx(e_max, rel=0.01)
    assert preflight.gaussian_logit_loss(10, 0.0) == pytest.approx(math.log(10), rel=1e-15)
