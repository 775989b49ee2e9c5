"""The landscape chapter's tools: Jensen's two sides, the log-cosh bowl against its formula and
finite differences, the descent lemma and the strongly convex rate on it, the clipping
formulas worked by hand, the permutation average against enumeration, dead units counted
directly."""

import itertools
import math

import numpy as np
import pytest

from optbook import clipping, convexity, landscapes, nn, optimizers, run


def test_jensen_sides_for_convex_and_concave_functions():
    x = np.random.default_rng(0).normal(1.0, 2.0, 4000)
    mean_f, f_mean = convexity.jensen_gap(np.square, x)
    # for x^2 the gap is exactly the (population) variance of the sample
    assert mean_f - f_mean == pytest.approx(np.var(x), rel=1e-10)
    mean_f, f_mean = convexity.jensen_gap(lambda v: -v * v, x)
    assert mean_f < f_mean
    pts = np.random.default_rng(1).normal(size=(500, 2))
    mean_f, f_mean = convexity.jensen_gap(lambda p: np.linalg.norm(p), pts)
    assert mean_f >= f_mean
    with pytest.raises(ValueError, match="samples"):
        convexity.jensen_gap(np.square, np.zeros((0, 2)))


def _bowl_formula(p, mu=1.0, lip=10.0, angle=math.pi / 6):
    z = math.cos(angle) * p[0] + math.sin(angle) * p[1]
    return 0.5 * mu * (p[0] ** 2 + p[1] ** 2) + (lip - mu) * math.log(math.cosh(z))


@pytest.fixture(scope="module")
def bowl():
    return convexity.logcosh_bowl()


def test_bowl_value_gradient_and_hessian(bowl):
    rng = np.random.default_rng(2)
    for p in rng.uniform(-3, 3, size=(10, 2)):
        assert bowl.value(p) == pytest.approx(_bowl_formula(p), rel=1e-12, abs=1e-12)
        h = 1e-6
        fd = [(_bowl_formula(p + h * e) - _bowl_formula(p - h * e)) / (2 * h) for e in np.eye(2)]
        np.testing.assert_allclose(bowl.grad(p), fd, rtol=1e-6, atol=1e-8)
        cols = [(bowl.grad(p + h * e) - bowl.grad(p - h * e)) / (2 * h) for e in np.eye(2)]
        np.testing.assert_allclose(convexity.logcosh_hessian(p), np.column_stack(cols),
                                   rtol=1e-6, atol=1e-7)
        lam = np.linalg.eigvalsh(convexity.logcosh_hessian(p))
        assert 1.0 - 1e-12 <= lam[0] and lam[1] <= 10.0 + 1e-12
    # log cosh of a large argument does not overflow
    assert math.isfinite(bowl.value([800.0, 0.0]))
    np.testing.assert_allclose(convexity.logcosh_hessian([0.0, 0.0]),
                               np.eye(2) + 9 * np.outer([math.cos(math.pi / 6),
                                                         math.sin(math.pi / 6)],
                                                        [math.cos(math.pi / 6),
                                                         math.sin(math.pi / 6)]))


def test_descent_lemma_and_the_strongly_convex_rate(bowl):
    traj = run.trajectory(bowl, optimizers.gd(0.1), bowl.start, 60)
    slack = convexity.descent_lemma_slack(traj.losses, traj.grad_norms[:-1] ** 2, 0.1, 10.0)
    assert np.all(slack >= -1e-12)
    # eta = 2/(mu + L): every step contracts the distance by at most (kappa-1)/(kappa+1)
    lr = 2 / 11
    traj = run.trajectory(bowl, optimizers.gd(lr), bowl.start, 80)
    dist = np.linalg.norm(traj.positions, axis=1)
    ratios = dist[1:] / dist[:-1]
    bound = (10 - 1) / (10 + 1)
    assert np.all(ratios <= bound + 1e-12)
    # the bound is attained near the minimiser, where the curvature along u is L
    assert ratios[-1] == pytest.approx(bound, rel=1e-6)


def test_bowl_rejects_bad_constants():
    with pytest.raises(ValueError, match="mu"):
        convexity.logcosh_bowl(mu=0.0)
    with pytest.raises(ValueError, match="L must"):
        convexity.logcosh_bowl(mu=2.0, L=1.0)


def test_clipping_by_hand():
    g = np.array([-1000.0, 5.0])
    np.testing.assert_array_equal(clipping.one_sided(g, 10.0), [-1000.0, 5.0])
    np.testing.assert_array_equal(clipping.clip(g, "value", 10.0), [-10.0, 5.0])
    norm = math.hypot(1000.0, 5.0)
    np.testing.assert_allclose(clipping.clip(g, "norm", 10.0), g * 10.0 / norm, rtol=1e-15)
    np.testing.assert_array_equal(clipping.clip(g, "none", 10.0), g)
    assert clipping.turn_angle(g, clipping.clip(g, "norm", 10.0)) == pytest.approx(0.0, abs=1e-6)
    # (-1000, 5) points 0.2865 degrees off the x axis, (-10, 5) 26.565 degrees
    expected = math.degrees(math.atan(0.5)) - math.degrees(math.atan(5 / 1000))
    assert clipping.turn_angle(g, clipping.clip(g, "value", 10.0)) == pytest.approx(expected)
    with pytest.raises(ValueError, match="mode"):
        clipping.clip(g, "sign", 1.0)
    with pytest.raises(ValueError, match="threshold"):
        clipping.clip(g, "value", -1.0)


def _small_net(seed=0):
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), seed=seed)


def test_permutation_average_matches_enumeration():
    net = _small_net()
    perms = list(itertools.permutations(range(4)))
    brute = np.mean([nn.permute_units(net, "linear0", np.array(p)) for p in perms], axis=0)
    np.testing.assert_allclose(nn.permutation_average(net, "linear0"), brute, rtol=1e-14,
                               atol=1e-15)
    avg = nn.permutation_average(net, "linear0")
    w1 = avg[net.slices["linear0"]][:12].reshape(4, 3)
    assert np.allclose(w1, w1[0])  # every hidden unit the same
    with pytest.raises(ValueError, match="linear"):
        nn.permutation_average(net, "relu1")


def test_unit_statistics_count_dead_units_directly():
    net = _small_net(seed=3)
    x = np.random.default_rng(4).normal(size=(50, 3))
    theta = net.get_params()
    w = theta[net.slices["linear0"]]
    w[12:] = [-100.0, 0.0, 0.0, -100.0]  # biases: units 0 and 3 are dead on these inputs
    net.set_params(theta)
    z = x @ w[:12].reshape(4, 3).T + w[12:]
    dead = np.mean(np.all(z <= 0, axis=0))
    assert dead >= 0.5
    assert nn.unit_statistics(net, x)["relu1"]["dead"] == pytest.approx(dead)


@pytest.mark.parametrize("mode", ["value", "norm"])
def test_descend_gives_the_clipped_runs_iterates(mode):
    cliff = landscapes.cliff()
    ours = clipping.descend(cliff, cliff.start, 0.1, 40, lambda g: clipping.clip(g, mode, 1.0))
    theirs = run.trajectory(cliff, optimizers.gd(0.1), cliff.start, 40, clip=(mode, 1.0))
    np.testing.assert_allclose(ours, theirs.positions, rtol=1e-12, atol=1e-14)


def test_one_sided_rule_fails_on_the_mirrored_cliff():
    # The face of the cliff with its shelf on the left pushes towards -x1: the one-sided rule
    # lets that component through, and the iterate is thrown as without any clipping.
    left = landscapes.cliff(edge=-1.0)
    none = clipping.descend(left, left.start, 0.1, 30, lambda g: g)
    one_sided = clipping.descend(left, left.start, 0.1, 30, lambda g: clipping.one_sided(g, 1.0))
    by_value = clipping.descend(left, left.start, 0.1, 30,
                                lambda g: clipping.clip(g, "value", 1.0))
    assert none[:, 0].max() > 8.0 and one_sided[:, 0].max() > 4.0
    assert np.abs(np.diff(by_value, axis=0)).max() <= 0.1 + 1e-15
    # on the original cliff the same rule caps the face's (positive) push
    right = landscapes.cliff()
    capped = clipping.descend(right, right.start, 0.1, 30, lambda g: clipping.one_sided(g, 1.0))
    assert capped[:, 0].min() > -0.5
    with pytest.raises(ValueError, match="steps"):
        clipping.descend(right, right.start, 0.1, 0, lambda g: g)
