"""Update rules against the plain-NumPy references, hand-worked steps, forms and validation.

The rules under test come from the registry (``cases.py``): every form of every rule, once at
its defaults and once with every hyper-parameter moved off its default.
"""

import math

import numpy as np
import pytest

from cases import OFF_DEFAULT, case_id, configs, split
from optbook import landscapes, optimizers
from optbook.run import trajectory
from reference import reference_run

CONFIGS = configs()
IDS = [case_id(name, kw) for name, kw in CONFIGS]

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
    """Drive the checked array step from Python with a Python gradient."""
    x = np.array(x0, dtype=dtype)
    state = opt.init_state(x.size, dtype)
    out = [x.copy()]
    for _ in range(steps):
        g = grad(optimizers.lookahead(opt, x, state)).astype(dtype)
        optimizers.step(opt, x, g, state)
        out.append(x.copy())
    return np.array(out)


def test_every_hyper_parameter_is_moved_off_its_default_somewhere():
    for rule in optimizers.RULES.values():
        for h in rule.hypers:
            assert h.name == "lr" or OFF_DEFAULT[h.name] != h.default, (rule.name, h.name)


@pytest.mark.parametrize(("name", "kw"), CONFIGS, ids=IDS)
@pytest.mark.parametrize("problem", range(len(LOCAL_PROBLEMS)))
def test_rule_matches_reference_on_local_gradients(name, kw, problem):
    # 500 steps: later, some runs sit at the minimum with errors at rounding level, where
    # NAdam off its defaults is unstable and any last-bit difference grows (step 838 here)
    grad, x0 = LOCAL_PROBLEMS[problem]
    form, hyper = split(kw)
    expected = reference_run(name, grad, x0, 500, form=form, **hyper)
    got = kernel_run(optimizers.get(name, **kw), grad, x0, 500)
    assert np.all(np.isfinite(expected))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "kw"), CONFIGS, ids=IDS)
def test_trajectory_matches_reference_on_rosenbrock(name, kw):
    # the 2-D kernels against the reference, on a non-quadratic landscape with curved valleys
    landscape, x0 = landscapes.rosenbrock(), np.array([-1.2, 1.0])
    form, hyper = split(kw)
    # smaller steps keep every rule finite on the steep valley walls
    hyper["lr"] = hyper["lr"] if name == "adadelta" else hyper["lr"] / 10
    if name == "delta_bar_delta":
        hyper["kappa"] = hyper.get("kappa", 1e-3) / 100
    expected = reference_run(name, landscape.grad, x0, 1000, form=form, **hyper)
    opt = optimizers.get(name, **({"form": form} if form else {}), **hyper)
    traj = trajectory(landscape, opt, x0, 1000)
    assert traj.diverged_at is None
    np.testing.assert_allclose(traj.positions, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "kw"), CONFIGS[1::2], ids=IDS[1::2])
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


def test_weight_decay_and_dampening_by_hand():
    # one coordinate, x = 2, g = 1 (a plane), lambda = 0.5, lr = 0.1, mu = 0.9, tau = 0.5:
    # step 1: g + lambda x = 2, b = g (no dampening on the first step) = 2, x = 2 - 0.2 = 1.8
    # step 2: g + lambda x = 1.9, b = 0.9 * 2 + 0.5 * 1.9 = 2.75, x = 1.8 - 0.275 = 1.525
    opt = optimizers.momentum(0.1, 0.9, form="pytorch", dampening=0.5, weight_decay=0.5)
    traj = trajectory(landscapes.plane([1.0]), opt, [2.0], 2)
    np.testing.assert_allclose(traj.positions[:, 0], [2.0, 1.8, 1.525], rtol=1e-15)
    assert traj.state["b"][0] == pytest.approx(2.75, rel=1e-15)


def test_adagrad_options_by_hand():
    # x = 1, g = 2 (a plane), r0 = 4, lr_decay 1, lr 0.6:
    # step 1: rate 0.6, r = 4 + 4 = 8, x = 1 - 0.6 * 2 / sqrt(8) = 1 - 0.6/sqrt(2)
    # step 2: rate 0.6 / 2, r = 12, x -= 0.3 * 2 / sqrt(12)
    opt = optimizers.adagrad(0.6, eps=1e-300, initial_accumulator=4.0, lr_decay=1.0)
    traj = trajectory(landscapes.plane([2.0]), opt, [1.0], 2)
    x1 = 1 - 0.6 / math.sqrt(2)
    np.testing.assert_allclose(traj.positions[:, 0], [1.0, x1, x1 - 0.6 / math.sqrt(12)],
                               rtol=1e-15)


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
    state = opt.init_state(4)
    optimizers.step(opt, x, g, state, lr=lr)
    np.testing.assert_allclose(x - x0, -lr * np.sign(g), rtol=0, atol=lr * eps / 0.02 * 1.01)
    assert state.step == 1 and state.counters["t"] == 1.0


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


def test_pytorch_nesterov_is_the_reformulated_form_until_the_rate_changes():
    from optbook import schedules

    land = landscapes.quadratic([1.0, 10.0], angle=0.3)
    reform = optimizers.nesterov(0.02, 0.9, form="reformulated")
    torch_form = optimizers.nesterov(0.02, 0.9, form="pytorch")
    a = trajectory(land, reform, [3.0, 2.0], 300).positions
    b = trajectory(land, torch_form, [3.0, 2.0], 300).positions
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    drop = schedules.step(0.1, 20)
    a = trajectory(land, reform, [3.0, 2.0], 40, schedule=drop).positions
    b = trajectory(land, torch_form, [3.0, 2.0], 40, schedule=drop).positions
    np.testing.assert_allclose(a[:21], b[:21], rtol=1e-12)
    assert np.linalg.norm(a[22] - b[22]) > 1e-3


@pytest.mark.parametrize("grad_index", range(len(LOCAL_PROBLEMS)))
def test_nesterov_forms_give_the_same_iterates(grad_index):
    grad, x0 = LOCAL_PROBLEMS[grad_index]
    gamma = 0.85
    look = optimizers.nesterov(0.01, gamma, form="lookahead")
    reform = optimizers.nesterov(0.01, gamma, form="reformulated")
    x = np.array(x0, dtype=np.float64)
    state = look.init_state(x.size)
    y = x.copy()
    state_y = reform.init_state(x.size)
    for _ in range(500):
        optimizers.step(look, x, grad(optimizers.lookahead(look, x, state)), state)
        optimizers.step(reform, y, grad(y), state_y)
        # change of variables: y_t = x_t - gamma v_t, with the same velocity
        np.testing.assert_allclose(y, x - gamma * state["v"], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(state_y["v"], state["v"], rtol=1e-12, atol=1e-13)


def test_adam_running_products_match_powers():
    opt = optimizers.adam()
    x = np.zeros(3)
    state = opt.init_state(3)
    for t in range(1, 101):
        optimizers.step(opt, x, np.ones(3), state)
        assert state.step == t
    np.testing.assert_allclose([state.counters["beta1_t"], state.counters["beta2_t"]],
                               [0.9**100, 0.999**100], rtol=1e-13)


def test_nadam_sweep_over_momentum_decay_changes_the_runs():
    # psi was a derived constant fixed at construction: a sweep over it changed nothing
    from optbook.run import sweep

    land = landscapes.rosenbrock()
    psis = [0.0, 0.004, 0.5]
    swept = sweep(land, optimizers.nadam(0.01), [-1.0, 1.0], 200, x=("momentum_decay", psis),
                  y=("beta1", [0.9]))
    alone = [trajectory(land, optimizers.nadam(0.01, momentum_decay=p), [-1.0, 1.0],
                        200).positions[-1] for p in psis]
    assert len({round(v, 6) for v in swept.final_loss[0]}) == 3
    for loss, end in zip(swept.final_loss[0], alone, strict=True):
        assert loss == pytest.approx(land.value(end), rel=1e-12)


def test_state_rows_have_names():
    opt = optimizers.amsgrad()
    state = opt.init_state(4, np.float32)
    assert state.names == ("m", "v", "v_max") == opt.state_names
    assert state.counter_names == ("t", "beta1_t", "beta2_t")
    state["v"][:] = 2.0
    assert np.all(state.rows[1] == 2.0) and state.dtype == np.float32 and state.dim == 4
    rows, scalars = state
    assert rows is state.rows and scalars.tolist() == [0.0, 1.0, 1.0]
    with pytest.raises(KeyError, match="no state row 'b'"):
        state["b"]
    dbd = optimizers.delta_bar_delta(0.05).init_state(3, np.float32)
    assert np.all(dbd["rate"] == np.float32(0.05)) and np.all(dbd["bar"] == 0)
    assert np.all(optimizers.adagrad(initial_accumulator=0.3).init_state(2)["r"] == 0.3)


def test_get_with_params_and_attributes():
    opt = optimizers.get("momentum", lr=0.1, gamma=0.5, form="pytorch")
    assert (opt.lr, opt.gamma, opt.form, opt.n_state) == (0.1, 0.5, "pytorch", 1)
    assert opt.params == {"lr": 0.1, "gamma": 0.5, "form": "pytorch", "dampening": 0.0,
                          "weight_decay": 0.0}
    faster = opt.with_params(lr=0.2)
    assert faster.lr == 0.2 and faster.gamma == 0.5 and faster.code == opt.code
    assert optimizers.adam().params == {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                        "weight_decay": 0.0}
    assert optimizers.rmsprop(centered=True).centered is True
    assert optimizers.adamw(amsgrad=True).params["amsgrad"] is True


def test_registry_records_are_complete_and_codes_unique():
    codes = [form.code for rule in optimizers.RULES.values() for form in rule.forms]
    assert len(codes) == len(set(codes)) == len(optimizers.forms())
    for rule in optimizers.RULES.values():
        assert rule.hypers[0].name == "lr"
        for h in rule.hypers:
            assert h.symbol or h.boolean, (rule.name, h.name)
            assert h.label and h.latex and h.slider.kind in ("log", "linear", "choice")
        constructor = getattr(optimizers, rule.name)
        assert constructor.__doc__.startswith(rule.doc.strip().splitlines()[0])
        assert "Parameters (checked" in constructor.__doc__


def test_unknown_code_raises():
    from optbook.kernels2d import kernel_2d

    with pytest.raises(ValueError, match="unknown rule code 99"):
        kernel_2d(0, 99)
    with pytest.raises(ValueError, match="unknown rule code 'adam'"):
        optimizers.form_of("adam")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: optimizers.gd(-0.1), r"lr must be a real number in \[0, inf\)"),
        (lambda: optimizers.gd(float("nan")), "lr must be a real number"),
        (lambda: optimizers.gd("fast"), "lr must be a real number"),
        (lambda: optimizers.gd("0.1"), "lr must be a real number"),
        (lambda: optimizers.gd(True), "lr must be a real number"),
        (lambda: optimizers.momentum(0.1, gamma="0.9"), "gamma must be a real number"),
        (lambda: optimizers.momentum(0.1, gamma=1.0), r"gamma must be a real number in \[0, 1\)"),
        (lambda: optimizers.momentum(0.1, gamma=-0.1), r"gamma must be .* in \[0, 1\)"),
        (lambda: optimizers.nesterov(0.1, gamma=1.5), r"gamma must be .* in \[0, 1\)"),
        (lambda: optimizers.momentum(0.1, form="heavy"), "form must be one of"),
        (lambda: optimizers.momentum(0.1, dampening=0.5),
         "dampening applies to form 'pytorch' of momentum only"),
        (lambda: optimizers.momentum(0.1, form="pytorch", dampening=1.5),
         r"dampening must be a real number in \[0, 1\]"),
        (lambda: optimizers.adam(beta1=1.0), r"beta1 must be .* in \[0, 1\)"),
        (lambda: optimizers.adam(beta2=-0.5), r"beta2 must be .* in \[0, 1\)"),
        (lambda: optimizers.adam(eps=0.0), r"eps must be a real number in \(0, inf\)"),
        (lambda: optimizers.adam(weight_decay=-1.0), "weight_decay must be"),
        (lambda: optimizers.rmsprop(eps=-1e-8), "eps must be"),
        (lambda: optimizers.rmsprop(rho=1.0), r"rho must be .* in \[0, 1\)"),
        (lambda: optimizers.rmsprop(centered=1), "centered must be True or False"),
        (lambda: optimizers.rmsprop(momentum=1.0), r"momentum must be .* in \[0, 1\)"),
        (lambda: optimizers.adagrad(initial_accumulator=-1.0), "initial_accumulator must be"),
        (lambda: optimizers.adagrad(lr_decay=float("inf")), "lr_decay must be"),
        (lambda: optimizers.adadelta(rho=2.0), r"rho must be .* in \[0, 1\)"),
        (lambda: optimizers.adamw(weight_decay=-1.0), "weight_decay must be"),
        (lambda: optimizers.adamw(amsgrad="yes"), "amsgrad must be True or False"),
        (lambda: optimizers.nadam(momentum_decay=-1.0), "momentum_decay must be"),
        (lambda: optimizers.delta_bar_delta(0.0), r"lr must be a real number in \(0, inf\)"),
        (lambda: optimizers.delta_bar_delta(0.1, phi=1.5), r"phi must be .* in \[0, 1\]"),
        (lambda: optimizers.delta_bar_delta(0.1, theta=1.0), r"theta must be .* in \[0, 1\)"),
        (lambda: optimizers.get("sgd", lr=0.1), "unknown optimizer 'sgd'; known: gd, momentum"),
        (lambda: optimizers.get(["adam"]), r"unknown optimizer \['adam'\]"),
        (lambda: optimizers.gd(0.1).with_params(gamma=0.9), "unknown parameter"),
    ],
)
def test_bad_hyper_parameters_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_missing_or_unknown_argument_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="gd\\(\\): missing a required argument: 'lr'"):
        optimizers.gd()
    with pytest.raises(TypeError, match="unexpected keyword argument 'beta'"):
        optimizers.adam(beta=0.9)


# --------------------------------------------------------------------------- the checked step


def _adam_vectors(n=3, dtype=np.float64):
    opt = optimizers.adam(0.1)
    return opt, np.ones(n, dtype), np.ones(n, dtype), opt.init_state(n, dtype)


# Each case changes one argument of a good call optimizers.step(adam, x, g, state), length 3.
BAD_CALLS = {
    # unchecked, a state made for 3 coordinates applied to 5 wrote past its arrays (the process
    # aborted); a shorter gradient read garbage; integer x was truncated or left unchanged
    "state for another length": (lambda o, x, g, s: (o, np.ones(5), np.ones(5), s), ValueError,
                                 "state was made for 3 coordinates of float64, x has 5"),
    "short gradient": (lambda o, x, g, s: (o, x, np.ones(2), s), ValueError,
                       "g must have the length of x"),
    "integer x": (lambda o, x, g, s: (o, np.ones(3, np.int64), g, s), TypeError,
                  "x must have dtype float32 or float64, got int64"),
    "0-d x": (lambda o, x, g, s: (o, np.array(1.0), g, s), ValueError,
              r"x must be a 1-D array, got shape \(\)"),
    "2-d x": (lambda o, x, g, s: (o, np.ones((3, 4)), g, s), ValueError,
              r"x must be a 1-D array, got shape \(3, 4\)"),
    "3-d x": (lambda o, x, g, s: (o, np.ones((2, 3, 4)), g, s), ValueError,
              r"x must be a 1-D array, got shape \(2, 3, 4\)"),
    "float32 gradient": (lambda o, x, g, s: (o, x, g.astype(np.float32), s), TypeError,
                         r"g must have the dtype of x \(float64\), got float32"),
    "strided x": (lambda o, x, g, s: (o, np.ones(6)[::2], g, s), ValueError,
                  "x must be contiguous"),
    "a list": (lambda o, x, g, s: (o, [1.0, 1.0, 1.0], g, s), TypeError,
               "x must be a NumPy array, got list"),
    "another rule's state": (lambda o, x, g, s: (optimizers.momentum(0.1), x, g, s), ValueError,
                             "state belongs to another rule"),
    "bare arrays": (lambda o, x, g, s: (o, x, g, s.rows), TypeError,
                    "state must be the State that optimizer.init_state made"),
    "another dtype": (lambda o, x, g, s: (o, x.astype(np.float32), g.astype(np.float32), s),
                      ValueError, "state was made for 3 coordinates of float64"),
    "a name": (lambda o, x, g, s: ("adam", x, g, s), TypeError, "optimizer must be an optbook"),
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_the_checked_step_refuses_what_does_not_fit(case):
    change, error, message = BAD_CALLS[case]
    opt, x, g, state = change(*_adam_vectors())
    before = state.rows.copy() if isinstance(state, optimizers.State) else None
    with pytest.raises(error, match=message):
        optimizers.step(opt, x, g, state)
    if before is not None:
        np.testing.assert_array_equal(state.rows, before)
        assert state.step == 0


def test_the_checked_step_takes_a_rate_and_refuses_a_bad_one():
    opt, x, g, state = _adam_vectors()
    with pytest.raises(ValueError, match="lr must be a finite number >= 0, got nan"):
        optimizers.step(opt, x, g, state, lr=float("nan"))
    with pytest.raises(TypeError, match="lr must be a real number or None, got str"):
        optimizers.step(opt, x, g, state, lr="0.1")
    optimizers.step(opt, x, g, state, lr=0.2)  # Adam's first step moves each coordinate by lr
    np.testing.assert_allclose(x, 0.8, rtol=1e-7)
    x.setflags(write=False)
    with pytest.raises(ValueError, match="x must be writeable"):
        optimizers.step(opt, x, g, state)


def test_lookahead_gives_the_gradient_point():
    opt = optimizers.nesterov(0.1, 0.5)
    x = np.array([1.0, 2.0])
    state = opt.init_state(2)
    state["v"][:] = [0.2, -0.4]
    np.testing.assert_array_equal(optimizers.lookahead(opt, x, state), [0.9, 2.2])
    out = np.empty(2)
    assert optimizers.lookahead(opt, x, state, out=out) is out
    gd = optimizers.gd(0.1)
    assert optimizers.lookahead(gd, x, gd.init_state(2)) is x
    with pytest.raises(ValueError, match="out must not overlap x"):
        optimizers.lookahead(opt, x, state, out=x)
