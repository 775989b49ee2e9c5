"""Every explorer of the built book alive without a kernel (issue 14), in headless Chromium
from ``file://``: on every page, every control of every static explorer is moved by the
keyboard; the figure must change at each move, and what the page prints (and says in the
figure's alternative text) must be what the library computes at the page's own setting. No
console error, no request off the machine, and axe-core finds nothing on the explorers.

The book must be built with the static views (``make book`` and ``make test`` set
``OPTBOOK_STATIC_VIEWS``, see :mod:`optbook.widgets.static`).
"""

import pytest
from conftest import REPO
from test_book_html import AXE_CORE, EXPLORER_CALL, explorers_in_source, source_text, toc_pages

PRESSES = 3

EXPLORERS = "() => document.querySelectorAll('.optbook-static-explorer').length"

# What a live view printed (the container's data attributes: every number it shows) and the
# values its controls are at; the canvas as a data URL, so a redraw that changes nothing is
# caught.
LIVE_STATE = """(index) => {
  const e = document.querySelectorAll('.optbook-static-explorer')[index];
  const values = {};
  e.querySelectorAll('[data-key]').forEach((c) => {
    values[c.dataset.key] = c.tagName === 'SELECT' ? c.dataset.value : Number(c.dataset.value);
  });
  const printed = {...e.dataset};
  for (const key of ['explorer', 'mounted', 'redrawMs']) delete printed[key];
  return {values, printed, figure: e.querySelector('canvas').toDataURL(),
          alt: e.querySelector('.optbook-figure').getAttribute('aria-label')};
}"""

PRECOMPUTED_STATE = """(index) => {
  const e = document.querySelectorAll('.optbook-static-explorer')[index];
  const doc = JSON.parse(e.querySelector("script[type='application/json']").textContent);
  const img = e.querySelector('img.optbook-figure');
  const state = Number(e.dataset.state);
  return {state, figure: img.getAttribute('src'), alt: img.alt,
          expected_alt: doc.alt[state], expected_figure: doc.images[state]};
}"""


def open_offline(browser, html_root, page_name):
    page = browser.new_page()
    record = {"remote": [], "console": [], "pageerror": []}

    def route(r):
        if r.request.url.startswith(("file://", "data:", "blob:")):
            r.continue_()
        else:
            record["remote"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: record["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: record["pageerror"].append(str(error)))
    page.goto((html_root / f"{page_name}.html").as_uri(), wait_until="load")
    return page, record


def pages_with_explorers():
    """The pages whose notebook displays an explorer."""
    return [name for name in toc_pages() if explorers_in_source(name)]


def book_trajectory_explorers():
    """The book's trajectory explorers (as the chapters make them), by their controls' names:
    a page's controls name the optimizers, and each chapter shows one such explorer."""
    from optbook import landscapes, optimizers, widgets

    made = [
        widgets.TrajectoryExplorer(landscapes.lecture_quadratic(50),
                                   [optimizers.gd(0.019), optimizers.gd(0.005)], steps=100),
        widgets.TrajectoryExplorer(landscapes.two_minima(),
                                   [optimizers.gd(0.02), optimizers.momentum(0.02, 0.9),
                                    optimizers.nesterov(0.02, 0.9)], steps=300),
    ]
    return {frozenset(explorer.values): explorer for explorer in made}


def library_explorer(kind, values):
    """The library's explorer behind a live view of ``kind`` whose controls hold ``values``,
    made once per test session: the book's own (the rate map is the momentum chapter's,
    ``lam_min=2``, the only page showing one)."""
    from optbook import widgets

    if kind == "trajectory":
        explorers = LIBRARY_EXPLORERS.get(kind)
        if explorers is None:
            explorers = LIBRARY_EXPLORERS[kind] = book_trajectory_explorers()
        explorer = explorers.get(frozenset(values))
        assert explorer is not None, f"no trajectory explorer of the book has the controls {values}"
        return explorer
    if kind not in LIBRARY_EXPLORERS:
        LIBRARY_EXPLORERS[kind] = {
            "quadratic-rate": widgets.QuadraticRateExplorer,
            "momentum-map": lambda: widgets.MomentumRateMap(
                kappa=values["kappa"], lr=values["lr"], gamma=values["gamma"], lam_min=2.0),
            "optimizer-race": widgets.OptimizerRace,
        }[kind]()
    return LIBRARY_EXPLORERS[kind]


#: The library's explorer of each live view, made once per test session.
LIBRARY_EXPLORERS = {}


def check_live(kind, now, where):
    """The live view's printed numbers (its data attributes) and alternative text are the
    library's at the page's control values (optbook.widgets.printed)."""
    from optbook.widgets import printed

    explorer = library_explorer(kind, now["values"])
    printed.set_page_values(explorer, now["values"])
    expected = printed.printed(explorer)
    assert set(now["printed"]) == set(expected), where
    for key, value in expected.items():
        assert printed.shows(now["printed"][key], value), f"{where}: {key}"
    assert now["alt"] == explorer.alt_text(), where


def controls_of(page, index):
    return page.locator(".optbook-static-explorer").nth(index).locator("[data-key]")


def position(control):
    """Where a control stands: a select's option index, a range input's value."""
    return control.evaluate("c => c.tagName === 'SELECT' ? c.selectedIndex : c.valueAsNumber")


def arrow(control) -> str:
    """The arrow key that moves a control towards the end it has room on (a select steps to
    its next option with the down arrow)."""
    if control.evaluate("c => c.tagName") == "SELECT":
        last = control.evaluate("c => c.selectedIndex === c.options.length - 1")
        return "ArrowUp" if last else "ArrowDown"
    return "ArrowLeft" if control.evaluate("c => c.valueAsNumber >= Number(c.max)") \
        else "ArrowRight"


@pytest.mark.parametrize("page_name", pages_with_explorers())
def test_every_control_of_every_explorer_moves_its_figure_and_numbers(browser, html_root,
                                                                      page_name):
    page, record = open_offline(browser, html_root, page_name)
    page.wait_for_function("() => Array.from(document.querySelectorAll('.optbook-static-explorer'))"
                           ".every(e => e.dataset.mounted)")
    count = page.evaluate(EXPLORERS)
    expected = EXPLORER_CALL.findall(source_text(page_name))
    assert count == len(expected), f"{page_name}: static views of {expected}, {count} shown"
    for index in range(count):
        kind = page.locator(".optbook-static-explorer").nth(index).get_attribute("data-explorer")
        state = PRECOMPUTED_STATE if kind == "precomputed" else LIVE_STATE
        controls = controls_of(page, index)
        assert controls.count() > 0
        figures = {page.evaluate(state, index)["figure"]}
        for c in range(controls.count()):
            control = controls.nth(c)
            name = control.get_attribute("aria-label")
            assert name, f"{page_name}: a control of explorer {index} has no accessible name"
            before = page.evaluate(state, index)
            control.focus()
            key = arrow(control)
            for press in range(PRESSES):
                at = position(control)
                page.keyboard.press(key)
                now = page.evaluate(state, index)
                if kind == "precomputed":
                    # A precomputed control has few settings: it moves until its end, and each
                    # state shows its own figure and text (which may equal the last state's
                    # where the control changes nothing there, as samples without dropout).
                    if position(control) == at:
                        assert press > 0, f"{name}: the control did not move"
                        break
                    assert now["figure"] == now["expected_figure"], name
                    assert now["alt"] == now["expected_alt"], name
                else:
                    # A control with few settings (a select, a short slider) may reach its end
                    # before the last press: it stays, and so does the figure.
                    if position(control) == at:
                        assert press > 0, f"{name}: the control did not move"
                        break
                    assert now["figure"] != before["figure"], f"{name}: the figure did not change"
                    check_live(kind, now, f"{page_name} {name} at {now['values']}")
                figures.add(now["figure"])
                before = now
        assert len(figures) > 1, f"{page_name}: explorer {index} shows one figure for all states"
    assert record["remote"] == [], f"{page_name}: requests leave the machine"
    assert record["pageerror"] == [], f"{page_name}: {record['pageerror']}"
    assert record["console"] == [], f"{page_name}: {record['console']}"
    if count == 0:
        page.close()
        return
    # last: axe-core's own requests for the style sheets fail from file:// (console errors)
    page.add_script_tag(path=str(AXE_CORE))
    violations = page.evaluate(
        "async () => (await axe.run('.optbook-static-explorer')).violations"
        ".map(v => `${v.impact} ${v.id}: ${v.nodes.length}`)")
    assert violations == [], f"{page_name}: {violations}"
    page.close()


def test_the_rate_map_snaps_to_the_optimum_and_its_lr_range_follows_kappa(browser, html_root):
    """What the keyboard test does not move on the momentum chapter's rate map: the *snap to
    optimum* button sets (lr, gamma) to Polyak's optimum, and a kappa move gives the lr slider
    the library's range and keeps lr times kappa; the page prints the library's numbers."""
    from optbook import theory

    page, record = open_offline(browser, html_root, "chapters/momentum")
    page.wait_for_function("() => Array.from(document.querySelectorAll('.optbook-static-explorer'))"
                           ".every(e => e.dataset.mounted)")
    kinds = page.locator(".optbook-static-explorer").evaluate_all(
        "es => es.map(e => e.dataset.explorer)")
    index = kinds.index("momentum-map")
    container = page.locator(".optbook-static-explorer").nth(index)
    container.get_by_role("button", name="snap to optimum").click()
    now = page.evaluate(LIVE_STATE, index)
    optimum = theory.heavy_ball_optimal(2.0, 2.0 * now["values"]["kappa"])
    assert (now["values"]["lr"], now["values"]["gamma"]) == (optimum.lr, optimum.gamma)
    check_live("momentum-map", now, "after snap")
    lr_slider = container.locator("input[data-key='lr']")
    for key in ("ArrowRight", "ArrowLeft", "ArrowLeft"):
        before = now
        container.locator("input[data-key='kappa']").focus()
        page.keyboard.press(key)
        now = page.evaluate(LIVE_STATE, index)
        old, new = before["values"]["kappa"], now["values"]["kappa"]
        assert new != old
        explorer = LIBRARY_EXPLORERS["momentum-map"]
        lo, hi = explorer._lr_bounds(new)
        assert (float(lr_slider.get_attribute("min")), float(lr_slider.get_attribute("max"))) \
            == (lo, hi)
        assert now["values"]["lr"] == min(max(before["values"]["lr"] * old / new, lo), hi)
        check_live("momentum-map", now, f"kappa {new}")
    assert record["console"] == [] and record["pageerror"] == [] and record["remote"] == []
    page.close()


def test_a_precomputed_view_swaps_figure_and_text_as_its_controls_move(browser, tmp_path):
    """The generic precomputed view on the unit tests' own small explorer (two controls, a
    range and a select, eight states), in a page of its own with the book's page script."""
    import sys

    sys.path.insert(0, str(REPO / "tests"))
    from optbook.widgets import static
    from test_widgets_static import PowerExplorer

    script = REPO / "_vendor" / "optbook-explorers.js"
    assert script.is_file(), "no page script: run `make setup` (it bundles js/)"
    document = static.precomputed_document(PowerExplorer(n=3, shift="up"))
    page_file = tmp_path / "precomputed.html"
    page_file.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>precomputed</title>'
        f'<script src="{script.as_uri()}"></script></head><body><main>'
        f"{static.view_html(document)}</main></body></html>")
    page = browser.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(page_file.as_uri(), wait_until="load")
    page.wait_for_selector(".optbook-static-explorer img.optbook-figure")
    state = page.evaluate(PRECOMPUTED_STATE, 0)
    assert state["state"] == 5 and state["alt"] == "x to the power 3, shift up"
    power = page.locator("input[data-key='n']")
    assert power.get_attribute("aria-valuetext") == "3"
    power.focus()
    page.keyboard.press("ArrowRight")  # n = 4, shift up: state 7
    state = page.evaluate(PRECOMPUTED_STATE, 0)
    assert (state["state"], state["alt"]) == (7, "x to the power 4, shift up")
    assert state["figure"] == document["images"][7]
    assert power.get_attribute("aria-valuetext") == "4"
    shift = page.locator("select[data-key='shift']")
    shift.focus()
    page.keyboard.press("ArrowUp")  # shift none: state 6
    state = page.evaluate(PRECOMPUTED_STATE, 0)
    assert (state["state"], state["alt"]) == (6, "x to the power 4, shift none")
    assert state["figure"] == document["images"][6]
    assert errors == []
    page.add_script_tag(path=str(AXE_CORE))
    violations = page.evaluate("async () => (await axe.run('.optbook-static-explorer'))"
                               ".violations.map(v => `${v.impact} ${v.id}`)")
    assert violations == []
    page.close()


def test_the_trajectory_explorers_reset_button_returns_every_control_to_its_start(browser,
                                                                                  html_root):
    """On the gradient-descent chapter: move every slider, then the reset button brings each
    control back to the value the explorer was made with, and the figure and numbers to the
    library's there."""
    page, record = open_offline(browser, html_root, "chapters/gradient_descent")
    explorer = page.locator(".optbook-static-explorer[data-explorer='trajectory']")
    index = page.evaluate("() => Array.from(document.querySelectorAll("
                          "'.optbook-static-explorer')).findIndex("
                          "e => e.dataset.explorer === 'trajectory')")
    start = page.evaluate(LIVE_STATE, index)
    controls = explorer.locator("input[data-key]")
    for c in range(controls.count()):
        controls.nth(c).focus()
        page.keyboard.press("End")
    moved = page.evaluate(LIVE_STATE, index)
    assert all(moved["values"][key] != value for key, value in start["values"].items())
    button = explorer.get_by_role("button", name="reset to the values given")
    button.click()
    back = page.evaluate(LIVE_STATE, index)
    assert back["values"] == start["values"]
    assert back["figure"] == start["figure"]
    check_live("trajectory", back, "after reset")
    readouts = explorer.locator("output").all_text_contents()
    assert readouts == ["0.019", "0", "0.005", "0", "100", "4", "0.5"]
    assert record["pageerror"] == [] and record["console"] == []
    page.close()
