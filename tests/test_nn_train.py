"""The training loop: a plain-NumPy transcription of whole runs, the records, determinism,
divergence, the digits benchmark network, and the checks of its arguments."""

import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from optbook import data, nn, optimizers, schedules


def numpy_tanh_net_gradient(theta, x, y, l2):
    """Loss and gradient of Linear(3, 4) - tanh - Linear(4, 3) with cross-entropy and the
    penalty l2/2 (|W1|^2 + |W2|^2), written from the formulas with NumPy alone."""
    w1, b1 = theta[:12].reshape(4, 3), theta[12:16]
    w2, b2 = theta[16:28].reshape(3, 4), theta[28:31]
    h = np.tanh(x @ w1.T + b1)
    z = h @ w2.T + b2
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    n = x.shape[0]
    loss = -np.mean(np.log(p[np.arange(n), y])) + l2 / 2 * (np.sum(w1**2) + np.sum(w2**2))
    dz = (p - np.eye(3)[y]) / n
    dh = dz @ w2 * (1 - h**2)
    grad = np.concatenate([(dh.T @ x + l2 * w1).ravel(), dh.sum(0), (dz.T @ h + l2 * w2).ravel(),
                           dz.sum(0)])
    return loss, grad


def reference_run(theta, x, y, steps, *, lr, gamma, l2, clip, drop, every):
    """Full-batch look-ahead Nesterov (velocity form), a step schedule lr * drop^((t-1)//every)
    and clipping by norm, from the formulas."""
    theta = theta.copy()
    v = np.zeros_like(theta)
    losses = []
    for t in range(1, steps + 1):
        loss, g = numpy_tanh_net_gradient(theta - gamma * v, x, y, l2)
        losses.append(loss)
        norm = np.linalg.norm(g)
        if norm > clip:
            g = g * (clip / norm)
        v = gamma * v + lr * drop ** ((t - 1) // every) * g
        theta = theta - v
    return theta, np.array(losses)


def small_problem():
    rng = np.random.default_rng(0)
    return rng.standard_normal((12, 3)), rng.integers(0, 3, 12)


def tanh_net(seed=1):
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3), seed=seed)


def test_a_run_matches_the_numpy_transcription_with_nesterov_schedule_clip_and_penalty():
    x, y = small_problem()
    net = tanh_net()
    theta0 = net.get_params()
    lr, gamma, l2, clip = 0.5, 0.9, 0.01, 0.4
    history = nn.train(net, "cross_entropy", optimizers.nesterov(lr, gamma), (x, y), epochs=8,
                       batch_size=12, schedule=schedules.step(0.5, 3), clip=("norm", clip),
                       l2=l2, record="step")
    expected, losses = reference_run(theta0, x, y, 8, lr=lr, gamma=gamma, l2=l2, clip=clip,
                                     drop=0.5, every=3)
    np.testing.assert_allclose(net.params, expected, rtol=1e-12, atol=1e-14)
    # The recorded loss is the data loss at the look-ahead point (the first is theta0 itself),
    # without the penalty.
    penalty = l2 / 2 * (np.sum(theta0[:12] ** 2) + np.sum(theta0[16:28] ** 2))
    assert history.train_loss[0] == pytest.approx(losses[0] - penalty, rel=1e-13)
    np.testing.assert_allclose(history.lr, 0.5 * 0.5 ** (np.arange(8) // 3), rtol=1e-15)
    assert history.steps_run == 8 and history.diverged_at is None


def test_decoupled_decay_is_the_optimizers_and_differs_from_the_coupled_penalty():
    """AdamW's first step is (1 - eta lambda) theta - eta g/(|g| + eps); Adam with an L2 penalty
    of the same lambda adapts the penalty's gradient away and lands elsewhere."""
    x, y = small_problem()
    lr, lam = 0.01, 0.5
    net = tanh_net()
    theta0 = net.get_params()
    _, g = numpy_tanh_net_gradient(theta0, x, y, 0.0)
    nn.train(net, "cross_entropy", optimizers.adamw(lr, weight_decay=lam), (x, y), epochs=1,
             batch_size=12)
    expected = (1 - lr * lam) * theta0 - lr * g / (np.abs(g) + 1e-8)
    np.testing.assert_allclose(net.params, expected, rtol=1e-12, atol=1e-15)
    coupled = tanh_net()
    nn.train(coupled, "cross_entropy", optimizers.adam(lr), (x, y), epochs=1, batch_size=12,
             l2=lam)
    assert np.max(np.abs(coupled.params - net.params)) > 1e-3


def test_step_records_are_what_each_step_saw():
    x, y = small_problem()
    net = tanh_net()
    before = net.get_params()
    history = nn.train(net, "cross_entropy", optimizers.gd(0.3), (x, y), epochs=1,
                       batch_size=12, record="step")
    after = net.get_params()
    loss, grad = numpy_tanh_net_gradient(before, x, y, 0.0)
    assert history.train_loss[0] == pytest.approx(loss, rel=1e-13)
    assert history.grad_norm[0] == pytest.approx(np.linalg.norm(grad), rel=1e-12)
    for name, s in (("linear0", slice(0, 12)), ("linear2", slice(16, 28))):
        expected = np.linalg.norm(after[s] - before[s]) / np.linalg.norm(before[s])
        assert history.update_ratio[name][0] == pytest.approx(expected, rel=1e-12)
    h = np.tanh(x @ before[:12].reshape(4, 3).T + before[12:16])
    stats = history.activations["tanh1"]
    assert stats["mean"][0] == pytest.approx(h.mean(), rel=1e-12)
    assert stats["std"][0] == pytest.approx(h.std(), rel=1e-10)
    assert stats["saturated"][0] == np.mean(1 - h**2 < 0.02)
    assert math.isnan(stats["dead"][0])
    correct = np.argmax(h @ before[16:28].reshape(3, 4).T + before[28:31], axis=1) == y
    assert history.train_accuracy[0] == correct.mean()


def test_epoch_records_summarise_the_steps_of_the_same_run():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((50, 3)), rng.integers(0, 3, 50)
    runs = {}
    for record in ("step", "epoch"):
        net = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 3), seed=0)
        runs[record] = nn.train(net, "cross_entropy", optimizers.momentum(0.05), (x, y),
                                epochs=3, batch_size=16, record=record, seed=4)
    step, epoch = runs["step"], runs["epoch"]
    assert step.step.tolist() == list(range(1, 13)) and epoch.step.tolist() == [4, 8, 12]
    rows = np.array([16, 16, 16, 2] * 3)
    for e in range(3):
        part = slice(4 * e, 4 * e + 4)
        assert epoch.train_loss[e] == pytest.approx(
            np.sum(step.train_loss[part] * rows[part]) / 50, rel=1e-13)
        assert epoch.train_accuracy[e] == pytest.approx(
            np.sum(step.train_accuracy[part] * rows[part]) / 50, rel=1e-13)
        assert epoch.grad_norm[e] == step.grad_norm[4 * e + 3]
        assert epoch.update_ratio["linear2"][e] == step.update_ratio["linear2"][4 * e + 3]
        assert epoch.activations["relu1"]["dead"][e] == step.activations["relu1"]["dead"][
            4 * e + 3]
    np.testing.assert_array_equal(step.val_loss, np.full(3, np.nan))
    assert step.epoch_end_step.tolist() == [4, 8, 12]


def test_validation_is_evaluated_at_the_end_of_each_epoch_in_evaluation_mode():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 3)), rng.integers(0, 2, 40)
    xv, yv = rng.standard_normal((15, 3)), rng.integers(0, 2, 15)
    net = nn.Sequential(nn.Linear(3, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(drop=0.5),
                        nn.Linear(6, 2), seed=0)
    history = nn.train(net, "cross_entropy", optimizers.adam(0.01), (x, y), epochs=2,
                       batch_size=8, validation=(xv, yv))
    loss, accuracy = net.evaluate(xv, yv, "cross_entropy")
    assert history.val_loss[-1] == loss and history.val_accuracy[-1] == accuracy
    assert history.epochs_run == 2
    assert not np.allclose(net.layers[1].running_mean, 0.0)


def test_the_same_seed_gives_a_bit_identical_run():
    d = data.two_moons(100, seed=1)

    def run(seed):
        net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(drop=0.2),
                            nn.Linear(16, 2), seed=0)
        history = nn.train(net, "cross_entropy", optimizers.nadam(), d, epochs=3,
                           batch_size=10, record="step", seed=seed, replacement=True)
        return net.params.copy(), history

    (p1, h1), (p2, h2), (p3, _) = run(5), run(5), run(6)
    np.testing.assert_array_equal(p1, p2)
    for field in ("train_loss", "train_accuracy", "grad_norm", "lr"):
        np.testing.assert_array_equal(getattr(h1, field), getattr(h2, field))
    np.testing.assert_array_equal(h1.update_ratio["linear0"], h2.update_ratio["linear0"])
    assert not np.array_equal(p1, p3)


def test_batches_with_replacement_repeat_examples_and_without_do_not():
    """With one batch of all n examples per step, the batch loss is the full loss exactly when
    the batch is a shuffle, and not when it is drawn with replacement."""
    x, y = small_problem()
    losses = {}
    for replacement in (False, True):
        net = tanh_net()
        full, _ = net.evaluate(x, y, "cross_entropy")
        history = nn.train(net, "cross_entropy", optimizers.gd(0.0), (x, y), epochs=1,
                           batch_size=12, replacement=replacement, record="step")
        losses[replacement] = (history.train_loss[0], full)
    assert losses[False][0] == pytest.approx(losses[False][1], rel=1e-14)
    assert abs(losses[True][0] - losses[True][1]) > 1e-6


def test_divergence_stops_the_run_cleanly_and_is_reported():
    d = data.digits(seed=0)
    net = nn.mlp([64, 100, 10], seed=0)
    history = nn.train(net, "cross_entropy", optimizers.gd(1e6), (d.X_train, d.y_train),
                       epochs=5, batch_size=64, record="step", progress=False)
    assert history.diverged_at is not None and history.diverged_at == history.steps_run
    assert history.steps_run < 5 * 17
    assert len(history.train_loss) == history.steps_run
    assert np.all(np.isfinite(history.train_loss))
    assert history.epochs_run == history.steps_run // 17


def test_the_digits_network_reaches_95_percent_with_adam_within_20_epochs():
    d = data.digits(seed=0)
    net = nn.Sequential(nn.Linear(64, 100), nn.ReLU(), nn.Linear(100, 10), seed=0)
    history = nn.train(net, "cross_entropy", optimizers.adam(1e-3), (d.X_train, d.y_train),
                       validation=(d.X_val, d.y_val), epochs=20, batch_size=64)
    assert history.epochs_run == 20
    assert history.val_accuracy.max() >= 0.95
    assert history.train_loss[-1] < history.train_loss[0] / 5
    ratio = history.update_ratio["linear0"][-1]
    assert 1e-4 < ratio < 1e-2, "Adam at 1e-3 moves weights by about 1e-3 of their size"


def test_a_regression_network_trains_on_mean_squared_error():
    problem = data.badly_scaled_regression(n=100, scales=(1.0, 2.0), noise=0.0, seed=0)
    net = nn.Sequential(nn.Linear(2, 1), seed=0)
    history = nn.train(net, "mse", optimizers.adam(0.05), (problem.X, problem.y), epochs=200,
                       batch_size=100)
    assert np.all(np.isnan(history.train_accuracy))
    np.testing.assert_allclose(net.layers[0].weight[0], problem.w, atol=1e-3)


def test_no_progress_bar_outside_a_notebook(capsys):
    x, y = small_problem()
    nn.train(tanh_net(), "cross_entropy", optimizers.gd(0.1), (x, y), epochs=2, batch_size=4,
             progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"batch_size": 0}, r"batch_size must be an integer in \[1, 12\], got 0"),
    ({"batch_size": 13}, r"batch_size must be an integer in \[1, 12\], got 13"),
    ({"epochs": 0}, "epochs must be an integer >= 1"),
    ({"record": "batch"}, "record must be 'epoch' or 'step'"),
    ({"l2": -1.0}, "l2"),
    ({"bound": 0.0}, "bound"),
    ({"clip": ("max", 1.0)}, "clip"),
    ({"schedule": "cosine"}, "schedule"),
    ({"validation": (np.zeros((3, 2)), np.zeros(3, dtype=int))}, r"shape \(batch, 3\)"),
    ({"optimizer": "adam"}, "optimizer must be an optbook Optimizer"),
    ({"data": (np.zeros((4, 3)),)}, "pair"),
])
def test_bad_training_arguments(kwargs, match):
    x, y = small_problem()
    args = {"net": tanh_net(), "loss": "cross_entropy", "optimizer": optimizers.gd(0.1),
            "data": (x, y), "epochs": 1, "batch_size": 4, **kwargs}
    with pytest.raises(ValueError, match=match):
        nn.train(**args)


def test_epoch_callbacks_see_the_network_and_do_not_change_the_run():
    """Checkpoints and the sharpness at each epoch's end; the instruments restore what they
    touch, so the run is bit for bit the run without them."""
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((40, 3)), rng.integers(0, 3, 40)

    def run(callback):
        net = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Dropout(drop=0.2), nn.Linear(6, 3),
                            seed=0)
        history = nn.train(net, "cross_entropy", optimizers.momentum(0.1), (x, y), epochs=3,
                           batch_size=10, on_epoch_end=callback)
        return net, history

    def checkpoint_and_sharpness(epoch, net):
        top = nn.top_hessian_eigenvalue(net, "cross_entropy", x, y, iterations=20)
        return epoch, net.get_params(), top.eigenvalue

    plain, _ = run(None)
    watched, history = run(checkpoint_and_sharpness)
    np.testing.assert_array_equal(watched.params, plain.params)
    assert [r[0] for r in history.epoch_results] == [1, 2, 3]
    np.testing.assert_array_equal(history.epoch_results[-1][1], watched.params)
    assert all(r[2] > 0 for r in history.epoch_results)
    with pytest.raises(ValueError, match="on_epoch_end"):
        nn.train(watched, "cross_entropy", optimizers.gd(0.1), (x, y), epochs=1,
                 batch_size=10, on_epoch_end=3)


def test_training_runs_blas_on_one_thread_and_restores_the_setting():
    """Every BLAS loaded when training starts (NumPy's among them) runs one thread during the
    run, and its own setting again afterwards."""
    from threadpoolctl import threadpool_info

    def blas_threads():
        return {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()
                if pool["user_api"] == "blas"}

    before = blas_threads()
    assert before, "NumPy's BLAS is loaded"
    x, y = small_problem()
    history = nn.train(tanh_net(), "cross_entropy", optimizers.gd(0.1), (x, y), epochs=1,
                       batch_size=12, on_epoch_end=lambda epoch, net: blas_threads())
    during = history.epoch_results[0]
    assert {path: during[path] for path in before} == dict.fromkeys(before, 1)
    after = blas_threads()
    assert {path: after[path] for path in before} == before


def test_a_blas_loaded_after_a_first_run_runs_one_thread_in_the_next():
    """The libraries are looked for once, not on every run: a BLAS that arrives after the
    first run started (SciPy's, loaded by ``scipy.linalg``) must still be limited in the next
    run. A fresh process, so that SciPy's BLAS is not loaded before the first run."""
    script = textwrap.dedent("""
        import numpy as np
        from threadpoolctl import threadpool_info
        from optbook import nn, optimizers

        def blas_threads():
            return {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()
                    if pool["user_api"] == "blas"}

        def run():
            rng = np.random.default_rng(0)
            x, y = rng.standard_normal((24, 3)), rng.integers(0, 3, 24)
            net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3), seed=0)
            return nn.train(net, "cross_entropy", optimizers.gd(0.1), (x, y), epochs=1,
                            batch_size=12, on_epoch_end=lambda epoch, net: blas_threads(),
                            progress=False).epoch_results[0]

        start = blas_threads()
        run()
        import scipy.linalg  # noqa: F401
        before = blas_threads()
        assert any("scipy.libs" in path for path in set(before) - set(start)), (start, before)
        during = run()
        assert {path: during[path] for path in before} == dict.fromkeys(before, 1), during
        assert blas_threads() == before
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_the_stepper_checks_each_new_pair_of_vectors_and_then_steps_as_the_checked_step():
    from optbook.nn.stepping import Stepper

    opt = optimizers.adam(0.01)
    stepper = Stepper(opt, 5, np.float64)
    rng = np.random.default_rng(3)
    x, g = rng.normal(size=5), rng.normal(size=5)
    x_checked, state = x.copy(), opt.init_state(5, np.float64)
    for _ in range(4):
        stepper.step(x, g, 0.01)
        optimizers.step(opt, x_checked, g, state, 0.01)
    assert np.array_equal(x, x_checked)
    assert np.array_equal(stepper.state.rows, state.rows)
    with pytest.raises(ValueError, match="made for 5 coordinates"):
        stepper.step(np.zeros(4), np.zeros(4), 0.01)
    with pytest.raises(ValueError, match="lr must be a finite number"):
        stepper.step(x, g, float("nan"))
