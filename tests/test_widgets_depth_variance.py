"""The depth explorer, driven through update() without a browser: its dots against a plain-NumPy
pass written here, its lines against ReLU's closed form, every control moved through its
settings, the fixed axes a static page needs."""

import gc
import itertools
import json
import math
import re
import weakref

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from explorer_helpers import shown_alt, shown_png
from optbook import plotting
from optbook.nn import propagation
from optbook.widgets import FIGURE, DepthVarianceExplorer, static


@pytest.fixture(scope="module")
def explorer():
    return DepthVarianceExplorer()





def numpy_profile(activation, width, depth, scale, seed, batch=64):
    """The mean squares of z_l and of dJ/dh_l, by a forward and a backward pass written out
    with NumPy, drawing x, dJ/do and G_1, ..., G_depth from the seed in that order."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, width))
    d_out = rng.standard_normal((batch, width))
    weights = [math.sqrt(scale / width) * rng.standard_normal((width, width))
               for _ in range(depth)]
    phi = np.tanh if activation == "tanh" else (lambda z: np.maximum(z, 0.0))
    slope = ((lambda z: 1.0 - np.tanh(z) ** 2) if activation == "tanh"
             else (lambda z: (z > 0).astype(float)))
    zs, h = [], x
    for w in weights:
        zs.append(h @ w.T)
        h = phi(zs[-1])
    backward = [0.0] * depth
    grad = d_out
    for layer in range(depth - 1, -1, -1):
        grad_h = grad @ weights[layer]
        backward[layer] = np.mean(grad_h**2)
        if layer > 0:
            grad = grad_h * slope(zs[layer - 1])
    return np.array([np.mean(z**2) for z in zs]), np.array(backward)


def test_dots_are_one_networks_mean_squares(explorer):
    explorer.update(activation="tanh", width=16, depth=10, scale=2.0)
    forward, backward = numpy_profile("tanh", 16, 10, 2.0, seed=0)
    np.testing.assert_allclose(explorer.forward_dots.get_ydata(), forward, rtol=1e-12)
    np.testing.assert_allclose(explorer.backward_dots.get_ydata(), backward, rtol=1e-12)
    np.testing.assert_array_equal(explorer.forward_dots.get_xdata(), np.arange(1, 11))
    np.testing.assert_array_equal(explorer.backward_dots.get_xdata(), np.arange(0, 10))


def test_relu_lines_are_the_closed_form(explorer):
    # E[relu(z)^2] = q/2 and E[relu'(z)^2] = 1/2: q_l = s (s/2)^(l-1) from q_0 = 1, and the
    # gradient's mean square s (s/2)^(L-1-l), with s = n sigma^2
    for scale in (0.5, 4.0):
        explorer.update(activation="relu", width=256, depth=30, scale=scale)
        layers = np.arange(1, 31)
        np.testing.assert_allclose(explorer.forward_line.get_ydata(),
                                   scale * (scale / 2) ** (layers - 1), rtol=1e-12)
        np.testing.assert_allclose(explorer.backward_line.get_ydata(),
                                   scale * (scale / 2) ** (29 - np.arange(30)), rtol=1e-12)


def test_relu_ratios_do_not_depend_on_the_scale(explorer):
    # relu(a z) = a relu(z) for a > 0: every layer's mean square scales by the same power of
    # n sigma^2 in the network and in the prediction
    ratios = []
    for scale in (0.5, 4.0):
        explorer.update(activation="relu", width=16, depth=50, scale=scale)
        ratios.append(np.concatenate([explorer.forward_ratio.get_ydata(),
                                      explorer.backward_ratio.get_ydata()]))
    np.testing.assert_allclose(ratios[0], ratios[1], rtol=1e-9)
    assert np.ptp(np.log(ratios[0])) > 1.0  # and they do depend on the layer


def test_every_combination_of_the_controls(explorer):
    specs = explorer.control_specs()
    stops = {c["key"]: static.settings(c) for c in specs}
    assert math.prod(len(v) for v in stops.values()) == 48
    assert stops["depth"] == [10, 30, 50]
    np.testing.assert_allclose(stops["scale"], [0.5, 1.0, 2.0, 4.0], rtol=1e-12)
    def limits():
        return [(ax.get_xlim(), ax.get_ylim())
                for ax in (explorer.ax_forward, explorer.ax_backward, explorer.ax_ratio)]

    fixed = limits()
    images, log_errors = set(), {16: [], 256: []}
    for combination in itertools.product(*stops.values()):
        values = dict(zip(stops, combination, strict=True))
        explorer.update(**values)
        depth, scale = values["depth"], values["scale"]
        # the network drawn has the depth asked for, from layer 1 (forward) and 0 (backward)
        assert explorer.forward_dots.get_xdata()[-1] == depth
        assert len(explorer.backward_dots.get_xdata()) == depth
        assert f"depth {depth} and width {values['width']}" in explorer.alt_text()
        assert shown_alt(explorer) == explorer.alt_text()
        # the first layer sees the unit-variance inputs times n sigma^2, whatever follows
        assert explorer.forward_line.get_ydata()[0] == pytest.approx(scale, rel=1e-9)
        q_last = explorer.predicted.forward[-1]
        if values["activation"] == "relu":
            assert q_last == pytest.approx(scale * (scale / 2) ** (depth - 1), rel=1e-9)
        elif scale > 1.0:  # tanh settles at a nonzero fixed point, below n sigma^2
            assert 0.1 < q_last < scale
        else:  # tanh with n sigma^2 <= 1 dies out, at 1 as slowly as q - 2 q^2 per layer
            assert q_last < 1 / depth
        measured = np.concatenate([explorer.measured.forward, explorer.measured.backward])
        predicted = np.concatenate([explorer.predicted.forward, explorer.predicted.backward])
        drawn_ratios = np.concatenate([explorer.forward_ratio.get_ydata(),
                                       explorer.backward_ratio.get_ydata()])
        np.testing.assert_allclose(drawn_ratios, measured / predicted, rtol=1e-12)
        assert np.all((explorer.RATIO_LIMITS[0] < drawn_ratios)
                      & (drawn_ratios < explorer.RATIO_LIMITS[1]))
        log_errors[values["width"]].append(np.mean(np.abs(np.log(measured / predicted))))
        # a static page can swap the images: the axes never move
        assert limits() == fixed
        low, high = explorer.MEAN_SQUARE_LIMITS
        assert np.all((low < measured) & (measured < high))
        images.add(shown_png(explorer))
    assert len(images) == 48
    # the mean-field line describes wide networks: narrow ones stray further from it
    assert np.mean(log_errors[256]) < np.mean(log_errors[16]) / 2


def test_a_revisited_combination_is_not_recomputed(explorer, monkeypatch):
    explorer.update(activation="tanh", width=256, depth=10, scale=1.0)
    calls = []
    original = propagation.depth_profiles
    monkeypatch.setattr(propagation, "depth_profiles",
                        lambda *a, **k: calls.append(a) or original(*a, **k))
    explorer.update(depth=50)
    explorer.update(depth=30)
    explorer.update(depth=10)
    assert calls == []
    explorer.update(depth=17)  # not a stop, but in range: computed on demand
    assert len(calls) == 1
    forward, _ = numpy_profile("tanh", 256, 17, 1.0, seed=0)
    np.testing.assert_allclose(explorer.measured.forward, forward, rtol=1e-12)


def test_controls_are_json_specs_with_spoken_labels(explorer):
    specs = explorer.control_specs()
    assert json.loads(json.dumps(specs)) == specs
    for control in specs:
        assert re.search("[a-z]{3}", control["label"])
        assert explorer._widgets[control["key"]].description == control["label"]
    assert [c["key"] for c in specs] == ["activation", "width", "depth", "scale"]


@pytest.mark.parametrize(("values", "message"), [
    ({"width": 32}, r"width must be one of \[16, 256\]"),
    ({"activation": "sigmoid"}, r"activation must be one of \['tanh', 'relu'\]"),
    ({"depth": 60}, r"depth must be an integer in \[10, 50\]"),
    ({"scale": 8.0}, r"scale must be a real number in \[0.5, 4\]"),
    ({"seed": 1}, r"unknown control\(s\) \['seed'\]"),
])
def test_bad_values_name_the_control_and_range(explorer, values, message):
    before = explorer.values
    with pytest.raises(ValueError, match=message):
        explorer.update(**values)
    assert explorer.values == before


def test_blitted_figure_is_the_whole_figure_drawn(explorer):
    explorer.update(activation="relu", width=16, depth=30, scale=2.0)
    blitted = shown_png(explorer)
    layered = [*explorer._scenery, *explorer._dynamic]
    for artist in layered:
        artist.set_animated(False)
    try:
        explorer.fig.canvas.draw()
        assert plotting.canvas_png(explorer.fig) == blitted
    finally:
        for artist in layered:
            artist.set_animated(True)
        explorer._draw(FIGURE)


def test_an_explorer_nobody_holds_is_freed_with_its_widgets():
    made = DepthVarianceExplorer(width=16, depth=10)
    ref, figure = weakref.ref(made), weakref.ref(made.fig)
    slider = made._widgets["depth"]
    del made
    gc.collect()
    assert ref() is None and figure() is None
    assert slider.comm is None
