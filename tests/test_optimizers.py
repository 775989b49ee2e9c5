"""Update rules against the plain-NumPy references, hand-worked steps, forms and validation."""

import math

import numpy as np
import pytest

from optbook import landscapes, optimizers
from optbook.run import trajectory
from reference import reference_run

CONFIGS = [
    ("gd", {"lr": 0.01}),
    ("momentum", {"lr": 0.01, "gamma": 0.9, "form": "velocity"}),
    ("momentum", {"lr": 0.01, "gamma": 0.8, "form": "pytorch"}),
    ("nesterov", {"lr": 0.01, "gamma": 0.9, "form": "lookahead"}),
    ("nesterov", {"lr": 0.01, "gamma": 0.7, "form": "reformulated"}),
    ("delta_bar_delta", {"lr": 0.005, "kappa": 1e-3, "phi": 0.2, "theta": 0.7}),
    ("adagrad", {"lr": 0.3, "eps": 1e-10}),
    ("rmsprop", {"lr": 0.01, "rho": 0.9, "eps": 1e-8}),
    ("adadelta", {"lr": 1.0, "rho": 0.9, "eps": 1e-6}),
    ("adam", {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}),
    ("adamw", {"lr": 0.01, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.1}),
    ("amsgrad", {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-8}),
    ("nadam", {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "momentum_decay": 4e-3}),
]
IDS = [f"{name}-{kw.get('form', '')}" for name, kw in CONFIGS]

# Gradients defined here, independent of optbook.landscapes.
A_ROT = np.array([[3.0, 1.2], [1.2, 1.5]])
SCALES = np.array([1.0, 3.0, 0.5, 2.0, 7.0])


def grad_rotated_quadratic(x):
    """f = 1/2 x^T A x with a rotated, well-conditioned A."""
    return A_ROT @ x


def grad_quartic_bowl(x):
    """f = sum a_i x_i^2 / 2 + x_i^4 / 4 in 5-D (non-quadratic, separable)."""
    return SCALES * x + x**3


LOCAL_PROBLEMS = [
    (grad_rotated_quadratic, np.array([2.0, -1.5])),
    (grad_quartic_bowl, np.array([1.0, -0.5, 0.8, -1.2, 0.3])),
]


def kernel_run(opt, grad, x0, steps, dtype=np.float64):
    """Drive the jitted dispatchers from Python with a Python gradient."""
    x = np.array(x0, dtype=dtype)
    state, scalars = opt.init_state(x.size, dtype)
    point = np.empty_like(x)
    out = [x.copy()]
    for _ in range(steps):
        optimizers.gradient_point(opt.code, opt.hyper, x, state, point)
        g = grad(point).astype(dtype)
        optimizers.apply_step(opt.code, opt.hyper, opt.lr, x, g, state, scalars)
        out.append(x.copy())
    return np.array(out)


def split(kw):
    kw = dict(kw)
    return kw.pop("form", None), kw


@pytest.mark.parametrize(("name", "kw"), CONFIGS, ids=IDS)
@pytest.mark.parametrize("problem", range(len(LOCAL_PROBLEMS)))
def test_rule_matches_reference_on_local_gradients(name, kw, problem):
    grad, x0 = LOCAL_PROBLEMS[problem]
    form, hyper = split(kw)
    expected = reference_run(name, grad, x0, 1000, form=form, **hyper)
    got = kernel_run(optimizers.get(name, **kw), grad, x0, 1000)
    assert np.all(np.isfinite(expected))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


LANDSCAPES = {
    "rosenbrock": (lambda: landscapes.rosenbrock(), np.array([-1.2, 1.0])),
    "two_minima": (lambda: landscapes.two_minima(), np.array([1.2, 0.6])),
    "rotated_quadratic": (lambda: landscapes.quadratic([1.0, 10.0], angle=0.4), [3.0, -2.0]),
}


@pytest.mark.parametrize(("name", "kw"), CONFIGS, ids=IDS)
@pytest.mark.parametrize("land", sorted(LANDSCAPES))
def test_trajectory_matches_reference_on_landscapes(name, kw, land):
    make, x0 = LANDSCAPES[land]
    landscape = make()
    form, hyper = split(kw)
    if land == "rosenbrock":  # smaller steps keep every rule finite on the steep valley walls
        hyper["lr"] = hyper["lr"] if name == "adadelta" else hyper["lr"] / 10
        hyper["kappa"] = hyper["kappa"] / 100 if "kappa" in hyper else None
        hyper = {key: value for key, value in hyper.items() if value is not None}
    expected = reference_run(name, landscape.grad, x0, 1000, form=form, **hyper)
    opt = optimizers.get(name, **({"form": form} if form else {}), **hyper)
    traj = trajectory(landscape, opt, x0, 1000)
    assert traj.diverged_at is None
    np.testing.assert_allclose(traj.positions, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "kw"), CONFIGS, ids=IDS)
def test_float32_runs_in_float32_and_tracks_float64(name, kw):
    grad, x0 = LOCAL_PROBLEMS[1]
    opt = optimizers.get(name, **kw)
    single = kernel_run(opt, grad, x0, 50, dtype=np.float32)
    double = kernel_run(opt, grad, x0, 50)
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, double, rtol=1e-4, atol=1e-5)


def test_gd_first_steps_by_hand():
    # f = x1^2 + 2 x2^2 from (-5, -2), lr 0.1: g = (2 x1, 4 x2) = (-10, -8),
    # x1 = (-5 + 1, -2 + 0.8) = (-4, -1.2); then g = (-8, -4.8), x2 = (-3.2, -0.72).
    traj = trajectory(landscapes.lecture_quadratic(2), optimizers.gd(0.1), [-5.0, -2.0], 2)
    np.testing.assert_allclose(traj.positions, [[-5, -2], [-4, -1.2], [-3.2, -0.72]], rtol=1e-15)
    np.testing.assert_allclose(traj.losses, [33.0, 16 + 2 * 1.44, 3.2**2 + 2 * 0.72**2])
    np.testing.assert_allclose(traj.grad_norms[0], math.hypot(10, 8))


@pytest.mark.parametrize("name", ["adam", "adamw", "amsgrad"])
def test_adam_first_step_moves_each_coordinate_by_lr(name):
    # m_hat = g and v_hat = g^2 after one step: x moves by lr * g / (|g| + eps).
    lr, eps = 0.05, 1e-8
    opt = optimizers.get(name, lr=lr, eps=eps)
    if name == "adamw":
        opt = opt.with_params(weight_decay=0.0)
    x0 = np.array([0.3, -2.0, 5.0, 1e-3])
    g = np.array([4.0, -0.02, 1e3, -7.5])
    x = x0.copy()
    state, scalars = opt.init_state(4)
    optimizers.apply_step(opt.code, opt.hyper, lr, x, g, state, scalars)
    np.testing.assert_allclose(x - x0, -lr * np.sign(g), rtol=0, atol=lr * eps / 0.02 * 1.01)
    assert scalars[0] == 1.0


def test_momentum_forms_agree_at_constant_rate_and_part_after_a_drop():
    from optbook import schedules

    land = landscapes.quadratic([1.0, 10.0], angle=0.3)
    velocity = optimizers.momentum(0.02, 0.9, form="velocity")
    pytorch = optimizers.momentum(0.02, 0.9, form="pytorch")
    a = trajectory(land, velocity, [3.0, 2.0], 300).positions
    b = trajectory(land, pytorch, [3.0, 2.0], 300).positions
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    drop = schedules.step(0.1, 20)
    a = trajectory(land, velocity, [3.0, 2.0], 40, schedule=drop).positions
    b = trajectory(land, pytorch, [3.0, 2.0], 40, schedule=drop).positions
    np.testing.assert_allclose(a[:21], b[:21], rtol=1e-12)
    # after the drop the PyTorch form scales its whole buffer, the velocity form only new steps
    assert np.linalg.norm(a[22] - b[22]) > 1e-3


@pytest.mark.parametrize("grad_index", range(len(LOCAL_PROBLEMS)))
def test_nesterov_forms_give_the_same_iterates(grad_index):
    grad, x0 = LOCAL_PROBLEMS[grad_index]
    gamma = 0.85
    look = optimizers.nesterov(0.01, gamma, form="lookahead")
    reform = optimizers.nesterov(0.01, gamma, form="reformulated")
    x = np.array(x0, dtype=np.float64)
    state, scalars = look.init_state(x.size)
    y = x.copy()
    state_y, scalars_y = reform.init_state(x.size)
    point = np.empty_like(x)
    for _ in range(500):
        optimizers.gradient_point(look.code, look.hyper, x, state, point)
        optimizers.apply_step(look.code, look.hyper, 0.01, x, grad(point), state, scalars)
        optimizers.apply_step(reform.code, reform.hyper, 0.01, y, grad(y), state_y, scalars_y)
        # change of variables: y_t = x_t - gamma v_t, with the same velocity
        np.testing.assert_allclose(y, x - gamma * state[0], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(state_y[0], state[0], rtol=1e-12, atol=1e-13)


def test_adam_running_products_match_powers():
    opt = optimizers.adam()
    x = np.zeros(3)
    state, scalars = opt.init_state(3)
    for t in range(1, 101):
        optimizers.apply_step(opt.code, opt.hyper, opt.lr, x, np.ones(3), state, scalars)
        assert scalars[0] == t
    np.testing.assert_allclose(scalars[1:], [0.9**100, 0.999**100], rtol=1e-13)


def test_get_with_params_and_attributes():
    opt = optimizers.get("momentum", lr=0.1, gamma=0.5, form="pytorch")
    assert (opt.lr, opt.gamma, opt.form, opt.n_state) == (0.1, 0.5, "pytorch", 1)
    assert opt.params == {"lr": 0.1, "gamma": 0.5, "form": "pytorch"}
    faster = opt.with_params(lr=0.2)
    assert faster.lr == 0.2 and faster.gamma == 0.5 and faster.code == opt.code
    assert optimizers.adam().params == {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    state, scalars = optimizers.delta_bar_delta(0.05).init_state(3, np.float32)
    assert state.dtype == np.float32 and np.all(state[0] == np.float32(0.05))
    assert scalars.tolist() == [0.0]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: optimizers.gd(-0.1), "lr must be >= 0"),
        (lambda: optimizers.gd(float("nan")), "lr must be finite"),
        (lambda: optimizers.gd("fast"), "lr must be a real number"),
        (lambda: optimizers.momentum(0.1, gamma=1.0), r"gamma must be in \[0, 1\)"),
        (lambda: optimizers.momentum(0.1, gamma=-0.1), r"gamma must be in \[0, 1\)"),
        (lambda: optimizers.nesterov(0.1, gamma=1.5), r"gamma must be in \[0, 1\)"),
        (lambda: optimizers.momentum(0.1, form="heavy"), "form must be one of"),
        (lambda: optimizers.adam(beta1=1.0), r"beta1 must be in \[0, 1\)"),
        (lambda: optimizers.adam(beta2=-0.5), r"beta2 must be in \[0, 1\)"),
        (lambda: optimizers.adam(eps=0.0), "eps must be > 0"),
        (lambda: optimizers.rmsprop(eps=-1e-8), "eps must be > 0"),
        (lambda: optimizers.rmsprop(rho=1.0), r"rho must be in \[0, 1\)"),
        (lambda: optimizers.adadelta(rho=2.0), r"rho must be in \[0, 1\)"),
        (lambda: optimizers.adamw(weight_decay=-1.0), "weight_decay must be >= 0"),
        (lambda: optimizers.nadam(momentum_decay=-1.0), "momentum_decay must be >= 0"),
        (lambda: optimizers.delta_bar_delta(0.0), "lr must be > 0"),
        (lambda: optimizers.delta_bar_delta(0.1, phi=1.5), r"phi must be in \[0, 1\]"),
        (lambda: optimizers.delta_bar_delta(0.1, theta=1.0), r"theta must be in \[0, 1\)"),
        (lambda: optimizers.get("sgd", lr=0.1), "unknown optimizer 'sgd'; known: gd, momentum"),
        (lambda: optimizers.gd(0.1).with_params(gamma=0.9), "unknown parameter"),
    ],
)
def test_bad_hyper_parameters_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
