"""The optimizer race, driven through update(): every control moved through its settings, and
what each one changes."""

import math

import numpy as np
import pytest

from optbook import landscapes, optimizers, plotting, widgets
from optbook.widgets import static
from optbook.widgets.optimizer_race import LANDSCAPES, LOSS_LIMITS, METHODS


@pytest.fixture(scope="module")
def race():
    return widgets.OptimizerRace()


def test_controls_have_finitely_many_settings(race):
    counts = {c["key"]: len(static.settings(c)) for c in race.control_specs()}
    assert counts == {"method": 7, "landscape": 4, "lr": 7, "beta1": 4, "beta2": 3, "eps": 4}


def test_method_sets_the_rule_its_colour_and_first_step(race):
    race.update(landscape="ravine", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)
    gd_positions = race.runs[1].positions.copy()
    adaptive_ends = set()
    for method in static.settings(race.control_specs()[0]):
        race.update(method=method)
        opt = race.current_optimizer()
        assert opt.name == method
        assert race.path.get_color() == plotting.optimizer_style(method)[0]
        race.fig.canvas.draw()
        assert plotting.low_contrast_texts(race.fig) == []
        measured, theory = race.first_step
        assert measured == pytest.approx(theory, rel=1e-9)
        start = np.array(LANDSCAPES["ravine"][2])
        assert np.allclose(race.runs[0].positions[0], start)
        # gradient descent does not depend on the method; the adaptive run does
        assert np.array_equal(race.runs[1].positions, gd_positions)
        adaptive_ends.add(tuple(race.runs[0].positions[-1]))
    assert len(adaptive_ends) == 7
    assert race.alt_text().startswith("Left: level sets of the ravine")


def test_landscape_moves_stars_and_window_not_the_loss_axis(race):
    race.update(method="adam", lr=0.01)
    for name in static.settings(race.control_specs()[1]):
        race.update(landscape=name)
        land = race.landscape()
        np.testing.assert_allclose(np.column_stack(race.stars.get_data()), land.minimizers)
        assert race.ax_path.get_xlim() == pytest.approx(LANDSCAPES[name][1][0])
        assert race.ax_path.get_ylim() == pytest.approx(LANDSCAPES[name][1][1])
        assert race.ax_loss.get_ylim() == pytest.approx(LOSS_LIMITS)
        assert name in race.alt_text()


def test_lr_scales_adams_first_step(race):
    race.update(method="adam", landscape="ravine", eps=1e-8)
    for lr in static.settings(race.control_specs()[2]):
        race.update(lr=lr)
        # first step of Adam: lr per coordinate, both gradients large
        assert race.first_step[0] == pytest.approx(lr * math.sqrt(2), rel=1e-6)
        assert race.runs[1].positions[1] == pytest.approx(
            np.array([4.0, 0.5]) - lr * np.array([8.0, 50.0]))


def test_beta1_changes_adam_and_not_adagrad(race):
    race.update(landscape="rosenbrock", lr=0.01, eps=1e-8)
    for method, matters in (("adam", True), ("adagrad", False)):
        race.update(method=method)
        ends = []
        for beta1 in static.settings(race.control_specs()[3]):
            race.update(beta1=beta1)
            ends.append(race.runs[0].positions[-1].copy())
        spread = np.ptp(np.array(ends), axis=0).max()
        assert (spread > 1e-3) if matters else (spread == 0.0)
    assert "ignores beta1" in race.alt_text()


def test_beta2_is_rmsprops_rho(race):
    race.update(method="rmsprop", landscape="ravine", lr=0.001, eps=1e-8)
    for beta2 in static.settings(race.control_specs()[4]):
        race.update(beta2=beta2)
        assert race.current_optimizer().rho == beta2
        # RMSProp's first step is lr / sqrt(1 - rho) per coordinate
        assert race.first_step[0] == pytest.approx(0.001 * math.sqrt(2 / (1 - beta2)), rel=1e-6)


def test_eps_shrinks_steps_for_small_gradients(race):
    race.update(method="adam", landscape="ravine", lr=0.001, beta2=0.999)
    firsts = []
    for eps in static.settings(race.control_specs()[5]):
        race.update(eps=eps)
        g = np.array([8.0, 50.0])
        expected = np.linalg.norm(0.001 * g / (g + eps))
        assert race.first_step[0] == pytest.approx(expected, rel=1e-9)
        firsts.append(race.first_step[0])
    assert np.all(np.diff(firsts) <= 0)


def test_divergence_is_reported_not_raised(race):
    race.update(method="adam", landscape="ravine", lr=1.0)
    assert race.runs[1].diverged_at is not None  # GD at lr = 1 on curvature 100
    assert "Gradient descent with learning rate 1 diverges" in race.alt_text()
    assert "diverged at step" in race.gd_note.get_text()


def test_bad_values_are_refused(race):
    with pytest.raises(ValueError, match="lr"):
        race.update(lr=5.0)
    with pytest.raises(ValueError, match="method"):
        race.update(method="sgd")


def test_every_method_uses_what_it_reads():
    assert set(METHODS) <= set(optimizers.NAMES)
    assert isinstance(widgets.OptimizerRace(method="adadelta").landscape("rotated ravine"),
                      landscapes.Landscape)
