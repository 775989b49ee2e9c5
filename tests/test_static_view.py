"""The static view's build-time half: the control specification, the two-view display bundle
and the transform the page draws with. (The page itself is measured by
benchmarks/bench_static.py; its engine is checked against the library by tests/js.)"""

import json
import re

import pytest

from optbook import static_view


@pytest.fixture(scope="module")
def view():
    return static_view.quadratic_rate_view(kappa=10.0, lr=0.05)


def test_control_spec_has_the_agreed_shape():
    spec = static_view.control("lr", "learning rate η", "η", "log", 1e-4, 3.0, 0.02, 0.1)
    assert list(spec) == ["key", "label", "symbol", "kind", "min", "max", "step", "value",
                          "options"]


@pytest.mark.parametrize(("kind", "lo", "hi", "value", "options", "message"), [
    ("slider", 0.0, 1.0, 0.5, None, "kind must be one of"),
    ("log", 0.0, 1.0, 0.5, None, "min > 0"),
    ("linear", 0.0, 1.0, 2.0, None, "min <= value <= max"),
    ("choice", 0, 0, "c", ["a", "b"], "value must be one of options"),
])
def test_a_bad_control_is_refused_with_its_name(kind, lo, hi, value, options, message):
    with pytest.raises(ValueError, match=message):
        static_view.control("lr", "learning rate", "η", kind, lo, hi, 0.02, value, options)


def test_the_bundle_carries_the_widget_and_the_html_view(view):
    bundle = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    data = re.search(r'<script type="application/json">(.*)</script>', html).group(1)
    document = json.loads(data)
    assert document["kind"] == "quadratic-rate"
    assert [c["key"] for c in document["controls"]] == ["kappa", "lr"]
    assert document["controls"][1]["value"] == 0.05


def test_the_transform_maps_the_axes_limits_to_their_box(view):
    explorer = view.explorer
    geometry = view.document["axes"]["rate"]
    left, top, width, height = geometry["box"]
    # matplotlib's own transform of the lower-left and upper-right data corners
    (x0, y0), (x1, y1) = explorer.ax_rate.transData.transform(
        [(1e-4, 0.0), (10**0.5, 1.6)])
    fig_height = explorer.fig.bbox.height
    assert (left, top + height) == pytest.approx((x0, fig_height - y0), abs=1e-9)
    assert (left + width, top) == pytest.approx((x1, fig_height - y1), abs=1e-9)


def test_every_reachable_error_axis_has_its_strip(view):
    images = view.document["strips"]["images"]
    # the default run converges to the floor (1e-13 of the start's 4.03, in decade 1e-13) from
    # the decade of 4.03; a diverging run reaches the bound 1e6
    assert "-13 1" in images
    assert any(key.endswith(" 7") for key in images)
    assert all(src.startswith("data:image/png;base64,") for src in images.values())


def test_printed_values_are_the_library_run():
    values = static_view.quadratic_rate_values(10.0, 0.3)
    assert values["diverged_at"] is not None
    assert values["theory_rate"] == pytest.approx(2.0)
