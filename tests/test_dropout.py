"""optbook.dropout against independent derivations: masks listed by itertools, the lecture's
table of four masks worked by hand, networks' passes transcribed in plain NumPy, the dropout
penalty enumerated example by example, normal equations checked by central differences."""

import itertools
import math

import numpy as np
import pytest

from nn_reference import central_gradient
from optbook import data, dropout, nn, optimizers


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --------------------------------------------------------------------------- masks


def test_masks_list_every_keep_pattern_once_with_probabilities_summing_to_one():
    listed = np.array(list(itertools.product((0.0, 1.0), repeat=3)))
    np.testing.assert_array_equal(dropout.masks(3), listed)
    probabilities = dropout.mask_probabilities(listed, 0.3)
    assert probabilities[0] == pytest.approx(0.7**3, rel=1e-15)
    assert probabilities[5] == pytest.approx(0.3 * 0.7 * 0.3, rel=1e-15)  # mask (1, 0, 1)
    assert probabilities.sum() == pytest.approx(1.0, rel=1e-15)
    per_unit = dropout.mask_probabilities(listed, [0.2, 0.5, 0.9])
    assert per_unit[3] == pytest.approx(0.8 * 0.5 * 0.9, rel=1e-15)  # mask (0, 1, 1)


def test_the_lectures_table_of_four_masks():
    """DD2424: inputs x and y switched off with probability 1 - p: (0, 0) with (1-p)^2, (x, 0)
    and (0, y) with p(1-p), (x, y) with p^2; E[a] = p (w0 x + w1 y) for vanilla dropout."""
    p, w0, w1, x, y = 0.6, 0.7, -1.3, 2.0, 0.5
    vanilla = dropout.unit_distribution([w0, w1], [x, y], p, mode="vanilla")
    np.testing.assert_allclose(vanilla.values, [0.0, w1 * y, w0 * x, w0 * x + w1 * y],
                               rtol=1e-15)
    np.testing.assert_allclose(vanilla.probabilities,
                               [(1 - p) ** 2, (1 - p) * p, p * (1 - p), p**2], rtol=1e-15)
    assert vanilla.mean == pytest.approx(p * (w0 * x + w1 * y), rel=1e-14)
    inverted = dropout.unit_distribution([w0, w1], [x, y], p)
    np.testing.assert_allclose(inverted.values, vanilla.values / p, rtol=1e-15)
    assert inverted.mean == pytest.approx(w0 * x + w1 * y, rel=1e-14)


@pytest.mark.parametrize("mode", dropout.MODES)
@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 1.0])
def test_unit_variance_in_closed_form_equals_the_enumerated_variance(mode, keep):
    rng = np.random.default_rng(3)
    w, x = rng.standard_normal(6), rng.standard_normal(6)
    enumerated = dropout.unit_distribution(w, x, keep, mode).variance
    assert dropout.unit_variance(w, x, keep, mode) == pytest.approx(enumerated, rel=1e-12,
                                                                    abs=1e-15)


def test_one_inverted_unit_has_variance_a_squared_times_one_minus_p_over_p():
    a, p = 1.7, 0.3
    # a/p with probability p, else 0: E = a, E[.^2] = a^2/p, Var = a^2/p - a^2.
    assert dropout.unit_variance([1.0], [a], p) == pytest.approx(a**2 / p - a**2, rel=1e-14)
    assert dropout.unit_distribution([1.0], [a], p).variance == pytest.approx(
        a**2 * (1 - p) / p, rel=1e-14)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: dropout.masks(0), r"units must be an integer in \[1, 20\]"),
    (lambda: dropout.masks(21), r"units must be an integer in \[1, 20\]"),
    (lambda: dropout.masks(2.0), "units"),
    (lambda: dropout.unit_distribution([1.0], [1.0], 0.0), r"keep .* must be in \(0, 1\]"),
    (lambda: dropout.unit_variance([1.0], [1.0], 1.5), r"keep .* must be in \(0, 1\]"),
    (lambda: dropout.unit_variance([1.0], [1.0], 0.5, mode="scaled"), "mode"),
    (lambda: dropout.unit_variance([1.0, 2.0], [1.0], 0.5), "inputs must be a 1-D array of "
                                                            "length 2"),
    (lambda: dropout.mask_probabilities([[0.5, 1.0]], 0.5), "0s and 1s"),
])
def test_bad_arguments_name_the_parameter_and_range(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------- the ensemble


def numpy_two_layer(net, x, mask, keep):
    """Linear, ReLU, inverted dropout with the given mask, Linear: logits, from the network's
    parameters, without its passes."""
    w1, b1 = net.layers[0].weight, net.layers[0].bias
    w2, b2 = net.layers[3].weight, net.layers[3].bias
    hidden = np.maximum(x @ w1.T + b1, 0.0) * mask / keep
    return hidden @ w2.T + b2


def trained_classifier(layers, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((60, 4))
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(int) + (x[:, 3] > 1)
    net = nn.Sequential(*layers, seed=seed)
    nn.train(net, "cross_entropy", optimizers.adam(0.05), (x, y), epochs=20, batch_size=20,
             progress=False)
    return net, x


def test_mask_averages_enumerate_the_masks_of_a_hidden_layer():
    keep = 0.6
    net, x = trained_classifier([nn.Linear(4, 5), nn.ReLU(), nn.Dropout(keep=keep),
                                 nn.Linear(5, 3)])
    averages = dropout.mask_averages(net, x[:7])
    assert averages.count == 32
    arithmetic = np.zeros((7, 3))
    log_geometric = np.zeros((7, 3))
    for bits in itertools.product((0, 1), repeat=5):
        mask = np.array(bits, dtype=float)
        weight = keep ** mask.sum() * (1 - keep) ** (5 - mask.sum())
        probabilities = softmax(numpy_two_layer(net, x[:7], mask, keep))
        arithmetic += weight * probabilities
        log_geometric += weight * np.log(probabilities)
    geometric = np.exp(log_geometric) / np.exp(log_geometric).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(averages.arithmetic, arithmetic, rtol=1e-12)
    np.testing.assert_allclose(averages.geometric, geometric, rtol=1e-12)
    # The logits are affine in the mask: one evaluation pass is the geometric mean, exactly.
    np.testing.assert_allclose(averages.weight_scaled, geometric, rtol=1e-12)
    assert np.abs(averages.arithmetic - averages.geometric).max() > 1e-3


def test_through_a_nonlinearity_weight_scaling_is_only_close_to_the_geometric_mean():
    net, x = trained_classifier([nn.Linear(4, 6), nn.ReLU(), nn.Dropout(drop=0.5),
                                 nn.Linear(6, 6), nn.Tanh(), nn.Linear(6, 3)], seed=1)
    averages = dropout.mask_averages(net, x)
    w1, b1 = net.layers[0].weight, net.layers[0].bias
    w2, b2 = net.layers[3].weight, net.layers[3].bias
    w3, b3 = net.layers[5].weight, net.layers[5].bias
    log_geometric = np.zeros((x.shape[0], 3))
    for bits in itertools.product((0, 1), repeat=6):
        hidden = np.maximum(x @ w1.T + b1, 0.0) * np.array(bits) / 0.5
        z = np.tanh(hidden @ w2.T + b2) @ w3.T + b3
        log_geometric += 0.5**6 * (z - np.log(np.exp(z).sum(axis=1, keepdims=True)))
    geometric = softmax(log_geometric)
    np.testing.assert_allclose(averages.geometric, geometric, rtol=1e-11)
    gap = np.abs(averages.weight_scaled - averages.geometric).max()
    assert 1e-6 < gap < np.abs(averages.weight_scaled - averages.arithmetic).max()


def test_masks_of_two_dropout_layers_are_enumerated_jointly_and_the_network_is_left_alone():
    net, x = trained_classifier([nn.Dropout(keep=0.8), nn.Linear(4, 3), nn.ReLU(),
                                 nn.Dropout(keep=0.5), nn.Linear(3, 3)], seed=2)
    net.reseed_dropout(0)
    net.forward(x, training=True)
    following = net.forward(x, training=True).copy()
    net.reseed_dropout(0)
    net.forward(x, training=True)
    averages = dropout.mask_averages(net, x[:5], chunk_rows=300)
    assert averages.count == 2**7
    w1, b1 = net.layers[1].weight, net.layers[1].bias
    w2, b2 = net.layers[4].weight, net.layers[4].bias
    arithmetic = np.zeros((5, 3))
    for bits in itertools.product((0, 1), repeat=7):
        m_in, m_hidden = np.array(bits[:4]), np.array(bits[4:])
        weight = np.prod(np.where(m_in, 0.8, 0.2)) * np.prod(np.where(m_hidden, 0.5, 0.5))
        hidden = np.maximum((x[:5] * m_in / 0.8) @ w1.T + b1, 0.0) * m_hidden / 0.5
        arithmetic += weight * softmax(hidden @ w2.T + b2)
    np.testing.assert_allclose(averages.arithmetic, arithmetic, rtol=1e-12)
    # The masks' generators were put back where they were: the next pass draws what it
    # would have drawn without the call.
    np.testing.assert_array_equal(net.forward(x, training=True), following)
    assert not any(layer.always_on for layer in net.dropouts)


def test_expected_output_is_the_evaluation_output_while_it_is_affine_in_the_masks():
    """Two linear layers with dropout before each: the output is multilinear in independent
    masks of mean p, so its mean is the evaluation output; its variance is enumerated."""
    net = nn.Sequential(nn.Dropout(keep=0.7), nn.Linear(3, 4), nn.Dropout(keep=0.4),
                        nn.Linear(4, 2), seed=5)
    x = np.random.default_rng(5).standard_normal((6, 3))
    moments = dropout.expected_output(net, x, chunk_rows=50)
    assert moments.count == 2**7
    np.testing.assert_allclose(moments.mean, net.predict(x), rtol=1e-12, atol=1e-14)
    w1, b1 = net.layers[1].weight, net.layers[1].bias
    w2, b2 = net.layers[3].weight, net.layers[3].bias
    first, second = np.zeros((6, 2)), np.zeros((6, 2))
    for bits in itertools.product((0, 1), repeat=7):
        m_in, m_hidden = np.array(bits[:3]), np.array(bits[3:])
        weight = np.prod(np.where(m_in, 0.7, 0.3)) * np.prod(np.where(m_hidden, 0.4, 0.6))
        out = (((x * m_in / 0.7) @ w1.T + b1) * m_hidden / 0.4) @ w2.T + b2
        first += weight * out
        second += weight * out**2
    np.testing.assert_allclose(moments.variance, second - first**2, rtol=1e-10, atol=1e-13)


def test_after_a_relu_the_expected_output_is_not_the_evaluation_output():
    net = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Dropout(keep=0.5), nn.Linear(5, 4),
                        nn.ReLU(), seed=6)
    x = np.random.default_rng(6).standard_normal((4, 3))
    moments = dropout.expected_output(net, x)
    w1, b1 = net.layers[0].weight, net.layers[0].bias
    w2, b2 = net.layers[3].weight, net.layers[3].bias
    mean = np.zeros((4, 4))
    for bits in itertools.product((0, 1), repeat=5):
        mean += 0.5**5 * np.maximum((np.maximum(x @ w1.T + b1, 0) * np.array(bits) / 0.5)
                                    @ w2.T + b2, 0.0)
    np.testing.assert_allclose(moments.mean, mean, rtol=1e-12, atol=1e-14)
    assert np.abs(moments.mean - net.predict(x)).max() > 1e-2


def test_log_loss_and_accuracy_by_hand():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    labels = np.array([0, 1])
    assert dropout.mean_log_loss(p, labels) == pytest.approx(
        -(math.log(0.7) + math.log(0.3)) / 2, rel=1e-15)
    assert dropout.accuracy(p, labels) == 0.5


def test_mask_averages_refuses_what_it_cannot_enumerate():
    with pytest.raises(ValueError, match="2\\*\\*21 masks"):
        dropout.mask_averages(nn.Sequential(nn.Linear(3, 21), nn.Dropout(drop=0.5),
                                            nn.Linear(21, 2)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="Dropout layer"):
        dropout.mask_averages(nn.Sequential(nn.Linear(3, 2)), np.ones((1, 3)))


def test_normalised_geometric_mean_of_two_predictions_by_hand():
    members = np.array([[0.5, 0.5], [0.9, 0.1]])
    expected = np.sqrt([0.45, 0.05]) / np.sqrt([0.45, 0.05]).sum()
    np.testing.assert_allclose(dropout.normalised_geometric_mean(members), expected,
                               rtol=1e-14)
    weighted = dropout.normalised_geometric_mean(members, [0.25, 0.75])
    raw = np.array([0.5**0.25 * 0.9**0.75, 0.5**0.25 * 0.1**0.75])
    np.testing.assert_allclose(weighted, raw / raw.sum(), rtol=1e-14)
    with pytest.raises(ValueError, match="sum to 1"):
        dropout.normalised_geometric_mean(members, [0.5, 0.6])


# --------------------------------------------------------------------------- the ridge penalty


def regression(seed=0, n=5, scales=(0.5, 1.0, 3.0)):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, len(scales))) * scales
    return X, X @ rng.standard_normal(len(scales)) + 0.3 * rng.standard_normal(n)


@pytest.mark.parametrize("keep", [0.25, 0.7, 1.0])
def test_expected_dropout_mse_equals_the_average_over_every_examples_masks(keep):
    X, y = regression()
    w, b = np.array([0.4, -1.1, 0.3]), 0.2
    total = 0.0
    for xi, yi in zip(X, y, strict=True):  # masks of different examples are independent
        for bits in itertools.product((0, 1), repeat=3):
            m = np.array(bits)
            probability = keep ** m.sum() * (1 - keep) ** (3 - m.sum())
            total += probability * (yi - (m * xi / keep) @ w - b) ** 2
    assert dropout.expected_dropout_mse(X, y, w, b, keep) == pytest.approx(total / len(y),
                                                                           rel=1e-13)
    plain = np.mean((y - X @ w - b) ** 2)
    assert dropout.dropout_ridge_penalty(X, w, keep) == pytest.approx(total / len(y) - plain,
                                                                      rel=1e-11, abs=1e-15)


@pytest.mark.parametrize("bias", [True, False])
def test_dropout_ridge_fit_is_the_minimum_of_the_expected_loss(bias):
    X, y = regression(n=30)
    w, b = dropout.dropout_ridge_fit(X, y, 0.4, bias=bias)

    def objective(theta):
        return dropout.expected_dropout_mse(X, y, theta[:3], theta[3] if bias else 0.0, 0.4)

    theta = np.append(w, b) if bias else w
    assert np.abs(central_gradient(objective, theta)).max() < 1e-9
    assert objective(theta) < objective(theta + 1e-3)
    if not bias:
        assert b == 0.0


def test_with_orthogonal_features_dropout_shrinks_every_weight_by_p():
    """X^T X diagonal: (1 + (1-p)/p) d_j w_j = d_j w_ols_j, so w_j = p w_ols_j whatever the
    feature's scale; ridge shrinks by d_j / (d_j + lambda) instead."""
    X = np.diag([0.5, 2.0, 10.0])
    y = np.array([1.0, -2.0, 3.0])
    ols = y / np.diag(X)
    w, _ = dropout.dropout_ridge_fit(X, y, 0.3, bias=False)
    np.testing.assert_allclose(w, 0.3 * ols, rtol=1e-13)
    ridge, _ = dropout.ridge_fit(X, y, 1.0, bias=False)
    np.testing.assert_allclose(ridge, ols * np.diag(X) ** 2 / (np.diag(X) ** 2 + 1.0),
                               rtol=1e-13)


def test_rescaling_a_feature_leaves_dropouts_predictions_alone_but_not_ridges():
    X, y = regression(n=20)
    scaled = X * [1.0, 10.0, 1.0]
    for fit, changes in [(lambda a: dropout.dropout_ridge_fit(a, y, 0.5), False),
                         (lambda a: dropout.ridge_fit(a, y, 5.0), True)]:
        (w, b), (ws, bs) = fit(X), fit(scaled)
        moved = np.abs((X @ w + b) - (scaled @ ws + bs)).max()
        assert (moved > 1e-3) if changes else (moved < 1e-12)


def test_ridge_fit_solves_the_augmented_least_squares_problem():
    X, y = regression(n=12)
    lam = 2.5
    w, b = dropout.ridge_fit(X, y, lam)
    A = np.vstack([np.column_stack([X, np.ones(12)]),
                   np.column_stack([math.sqrt(lam) * np.eye(3), np.zeros(3)])])
    solution = np.linalg.lstsq(A, np.append(y, np.zeros(3)), rcond=None)[0]
    np.testing.assert_allclose(np.append(w, b), solution, rtol=1e-12)


def test_training_with_dropout_on_the_inputs_finds_the_dropout_ridge_weights():
    """Full-batch gradient descent with fresh masks at every step hovers around the minimum of
    the expected loss; the average of its second half lands within 1 % of the closed form."""
    X, y = regression(n=80, scales=(0.5, 1.0, 1.5))
    keep = 0.5
    net = nn.Sequential(nn.Dropout(keep=keep), nn.Linear(3, 1), seed=0)
    history = nn.train(net, "mse", optimizers.gd(0.05), (X, y), epochs=2000, batch_size=80,
                       progress=False, on_epoch_end=lambda _, n: n.get_params())
    measured = np.mean(history.epoch_results[1000:], axis=0)
    w, b = dropout.dropout_ridge_fit(X, y, keep)
    np.testing.assert_allclose(measured, np.append(w, b), rtol=0.01, atol=0.005)
    plain, _ = dropout.ridge_fit(X, y, 0.0)
    assert np.abs(measured[:3] - plain).max() > 0.1  # and it is not the unpenalised fit


# --------------------------------------------------------------------------- symmetry and data


def test_unit_spread_by_hand():
    assert dropout.unit_spread(np.full((4, 3), 0.7)) == 0.0
    assert dropout.unit_spread([[0.0, 0.0], [2.0, 0.0]]) == pytest.approx(1.0, rel=1e-15)
    assert dropout.unit_spread([[0.0, 0.0], [0.0, 0.0], [3.0, 4.0]]) == pytest.approx(
        math.hypot(2.0, 8.0 / 3.0), rel=1e-15)


def test_flip_labels_replaces_a_seeded_fraction_by_other_labels():
    y = np.arange(10_000) % 10
    flipped, count = dropout.flip_labels(y, 0.3, 10, seed=4)
    changed = flipped != y
    assert changed.sum() == count
    # 10,000 Bernoulli(0.3) draws: standard deviation 46; four of them.
    assert abs(count - 3000) < 4 * math.sqrt(10_000 * 0.3 * 0.7)
    assert flipped.min() == 0 and flipped.max() == 9
    np.testing.assert_array_equal(dropout.flip_labels(y, 0.3, 10, seed=4)[0], flipped)
    assert dropout.flip_labels(y, 0.0, 10)[1] == 0
    with pytest.raises(ValueError, match=r"fraction must be in \[0, 1\)"):
        dropout.flip_labels(y, 1.0, 10)
    with pytest.raises(ValueError, match="labels"):
        dropout.flip_labels(y, 0.1, 5)


def test_digits_sweep_records_the_runs_it_describes():
    sweep = dropout.digits_sweep(drops=(0.0, 0.5), widths=(8,), n_train=50, epochs=3,
                                 samples=4, seed=1)
    assert sweep.train_loss.shape == (2, 1, 3) and sweep.mc_loss.shape == (2, 1, 4)
    assert np.all(np.isnan(sweep.mc_loss[0])) and np.all(np.isfinite(sweep.mc_loss[1]))
    # The same run by hand: the 50 digits with their labels flipped, trained and predicted.
    split = data.digits(seed=0)
    y, flipped = dropout.flip_labels(split.y_train[:50], 0.3, 10, seed=1)
    assert flipped == sweep.flipped and sweep.n_train == 50
    net = nn.mlp([64, 8, 8, 10], dropout=0.5, seed=1)
    history = nn.train(net, "cross_entropy", optimizers.adam(1e-3), (split.X_train[:50], y),
                       validation=(split.X_val, split.y_val), epochs=3, batch_size=32, seed=1,
                       progress=False)
    np.testing.assert_allclose(sweep.val_loss[1, 0], history.val_loss, rtol=1e-12)
    assert sweep.train_loss[1, 0, -1] == pytest.approx(
        net.evaluate(split.X_train[:50], y, "cross_entropy")[0], rel=1e-12)
    members = nn.mc_dropout_predict(net, split.X_val, 4, seed=1).members
    rows = np.arange(split.y_val.size)
    assert sweep.mc_loss[1, 0, -1] == pytest.approx(
        -np.mean(np.log(members.mean(axis=0)[rows, split.y_val])), rel=1e-10)
    assert sweep.mc_loss[1, 0, 0] == pytest.approx(
        -np.mean(np.log(members[0][rows, split.y_val])), rel=1e-10)
    geometric = dropout.normalised_geometric_mean(members)
    assert sweep.mc_geometric_loss[1, 0, -1] == pytest.approx(
        -np.mean(np.log(geometric[rows, split.y_val])), rel=1e-10)
    assert sweep.scaled_accuracy[1, 0] == pytest.approx(
        net.evaluate(split.X_val, split.y_val, "cross_entropy")[1], rel=1e-15)
