"""Ensembles scored by hand, Jensen's gap, the ensemble curve against explicit enumeration,
and weight averages; averaging independent networks' weights against permuted units."""

import itertools
import math

import numpy as np
import pytest

from optbook import ensembles, nn

P1 = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
P2 = np.array([[0.4, 0.6], [0.1, 0.9], [0.45, 0.55]])
LABELS = np.array([0, 1, 1])


def test_accuracy_and_cross_entropy_by_hand():
    assert ensembles.accuracy(P1, LABELS) == pytest.approx(2 / 3)
    assert ensembles.cross_entropy(P1, LABELS) == pytest.approx(
        -(math.log(0.8) + math.log(0.7) + math.log(0.4)) / 3)
    assert ensembles.cross_entropy([[1.0, 0.0]], [1]) == math.inf


def test_diversity_is_jensens_gap():
    members = np.stack([P1, P2])
    mean_member = (ensembles.cross_entropy(P1, LABELS) + ensembles.cross_entropy(P2, LABELS)) / 2
    ensemble = -(math.log(0.6) + math.log(0.8) + math.log(0.475)) / 3
    assert ensembles.diversity(members, LABELS) == pytest.approx(mean_member - ensemble)
    assert ensembles.diversity(members, LABELS) > 0
    assert ensembles.diversity(np.stack([P1, P1]), LABELS) == pytest.approx(0.0, abs=1e-15)


def test_curve_averages_over_every_subset_when_there_are_few():
    rng = np.random.default_rng(0)
    members = rng.dirichlet(np.ones(3), size=(4, 25))
    labels = rng.integers(0, 3, 25)
    result = ensembles.curve(members, labels)
    assert list(result.k) == [1, 2, 3, 4]
    assert list(result.subsets) == [4, 6, 4, 1]
    for k in (1, 2, 3, 4):
        subsets = list(itertools.combinations(range(4), k))
        acc = np.mean([np.mean(members[list(s)].mean(0).argmax(1) == labels) for s in subsets])
        ce = np.mean([-np.mean(np.log(members[list(s)].mean(0)[np.arange(25), labels]))
                      for s in subsets])
        assert result.accuracy[k - 1] == pytest.approx(acc)
        assert result.cross_entropy[k - 1] == pytest.approx(ce)


def test_curve_samples_distinct_subsets_when_there_are_many():
    rng = np.random.default_rng(1)
    members = rng.dirichlet(np.ones(3), size=(8, 10))
    result = ensembles.curve(members, rng.integers(0, 3, 10), max_subsets=20, seed=0)
    # C(8, k) is 8, 28, 56, 70, 56, 28, 8, 1: sampled where it exceeds 20.
    assert list(result.subsets) == [8, 20, 20, 20, 20, 20, 8, 1]
    # The cross-entropy of the mean falls with k on average (Jensen, subset by subset).
    assert result.cross_entropy[-1] <= result.cross_entropy[0]


def test_checks_of_probabilities():
    with pytest.raises(ValueError, match="labels"):
        ensembles.accuracy(P1, [0, 1, 2])
    with pytest.raises(ValueError, match="members"):
        ensembles.accuracy(np.array([[0.5, np.nan]]), [0])


def test_average_and_moving_average_by_hand():
    thetas = [np.array([1.0, 0.0]), np.array([2.0, 2.0]), np.array([3.0, 4.0])]
    assert ensembles.average(thetas) == pytest.approx([2.0, 2.0])
    # a1 = t1; a2 = (t1 + t2)/2 = (1.5, 1); a3 = (a2 + t3)/2 = (2.25, 2.5)
    assert ensembles.moving_average(thetas, 0.5) == pytest.approx([2.25, 2.5])
    assert ensembles.moving_average(thetas, 0.0) == pytest.approx(thetas[-1])
    with pytest.raises(ValueError, match="decay"):
        ensembles.moving_average(thetas, 1.0)
    with pytest.raises(ValueError, match="one length"):
        ensembles.average([np.ones(2), np.ones(3)])


def test_averaging_a_network_with_its_permuted_copy_changes_its_function():
    # The permuted copy computes the same function; their weight average does not.
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3), seed=0)
    x = rng.standard_normal((20, 4))
    theta = net.get_params()
    permuted = nn.permute_units(net, "linear0", np.array([5, 4, 3, 2, 1, 0]))
    before = net.predict(x)
    net.set_params(permuted)
    assert net.predict(x) == pytest.approx(before, rel=1e-12, abs=1e-12)
    net.set_params(ensembles.average([theta, permuted]))
    assert np.max(np.abs(net.predict(x) - before)) > 0.1
