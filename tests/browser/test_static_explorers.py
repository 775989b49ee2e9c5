"""Every explorer of the built book alive without a kernel (issue 14), in headless Chromium
from ``file://``: on every page, every control of every static explorer is moved by the
keyboard; the figure must change at each move, and what the page prints (and says in the
figure's alternative text) must be what the library computes at the page's own setting. No
console error, no request off the machine, and axe-core finds nothing on the explorers.

The book must be built with the static views (``make book`` and ``make test`` set
``OPTBOOK_STATIC_VIEWS``, see :mod:`optbook.widgets.static`).
"""

import math

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


def quadratic_rate_printed(values):
    """What the library's QuadraticRateExplorer prints at ``values``, as the page writes it."""
    from optbook import widgets

    explorer = LIBRARY_EXPLORERS.get("quadratic-rate")
    if explorer is None:
        explorer = LIBRARY_EXPLORERS["quadratic-rate"] = widgets.QuadraticRateExplorer()
    explorer.update(**values)
    diverged = explorer.run.diverged_at
    return ({"measuredRate": explorer.measured_rate, "theoryRate": explorer.theory_rate,
             "divergedAt": "null" if diverged is None else diverged}, explorer.alt_text())


def momentum_map_printed(values):
    """What the library's MomentumRateMap prints at ``values``, as the page writes it: the
    point's rates, Polyak's optimum, and of the map its fastest cell and how many cells
    converge. The explorer is the momentum chapter's (``lam_min=2``, the only page showing
    one; another ``lam_min`` would show in the alternative text's eigenvalues)."""
    from optbook import widgets

    explorer = LIBRARY_EXPLORERS.get("momentum-map")
    if explorer is None:
        explorer = LIBRARY_EXPLORERS["momentum-map"] = widgets.MomentumRateMap(
            kappa=values["kappa"], lr=values["lr"], gamma=values["gamma"], lam_min=2.0)
    # the page's own lr with any new kappa (the library would otherwise rescale its own)
    changed = {key: value for key, value in values.items() if explorer.values[key] != value}
    if "kappa" in changed:
        changed["lr"] = values["lr"]
    if changed:
        explorer.update(**changed)
    rates = explorer.sweep.rate
    converging = rates < 1.0
    diverged = explorer.run.diverged_at
    return ({"measuredRate": explorer.measured_rate, "theoryRate": explorer.theory_rate,
             "divergedAt": "null" if diverged is None else diverged,
             "optimumLr": explorer.optimum.lr, "optimumGamma": explorer.optimum.gamma,
             "optimumRate": explorer.optimum.rate,
             "fastestCell": float(rates[converging].min()) if converging.any() else math.nan,
             "convergingCells": int(converging.sum())}, explorer.alt_text())


def optimizer_race_printed(values):
    """What the library's OptimizerRace prints at ``values`` (the first step measured and in
    closed form, their ratio, each run's step of divergence and final gap f - f*), as the page
    writes it."""
    from optbook import widgets

    explorer = LIBRARY_EXPLORERS.get("optimizer-race")
    if explorer is None:
        explorer = LIBRARY_EXPLORERS["optimizer-race"] = widgets.OptimizerRace()
    # a select's value is its option's text: beta2 is a number
    explorer.update(**{**values, "beta2": float(values["beta2"])})
    measured, theory = explorer.first_step
    printed = {"firstStep": measured, "firstStepTheory": theory,
               "firstStepRatio": measured / theory}
    min_value = explorer.landscape().min_value
    for name, run in (("race", explorer.runs[0]), ("gd", explorer.runs[1])):
        diverged = run.diverged_at is not None
        printed[f"{name}DivergedAt"] = run.diverged_at if diverged else "null"
        printed[f"{name}Gap"] = "null" if diverged else float(run.losses[-1] - min_value)
    return printed, explorer.alt_text()


#: The library's explorer of each live view, made once per test session.
LIBRARY_EXPLORERS = {}


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


def trajectory_printed(values):
    """What the library's TrajectoryExplorer prints at ``values`` (each run's steps, step of
    divergence, last loss and theory rate), as the page writes it."""
    explorers = LIBRARY_EXPLORERS.get("trajectory")
    if explorers is None:
        explorers = LIBRARY_EXPLORERS["trajectory"] = book_trajectory_explorers()
    explorer = explorers.get(frozenset(values))
    assert explorer is not None, f"no trajectory explorer of the book has the controls {values}"
    explorer.update(**values)
    printed = {}
    for k, (opt, traj) in enumerate(zip(explorer.current_optimizers(), explorer.runs,
                                        strict=True)):
        printed[f"stepsRun{k}"] = traj.steps_run
        printed[f"divergedAt{k}"] = "null" if traj.diverged_at is None else traj.diverged_at
        printed[f"finalLoss{k}"] = traj.losses[-1]
        printed[f"theoryRate{k}"] = explorer._theory_rate(opt)
    return printed, explorer.alt_text()

#: For each kind of live view: what the library prints at the page's control values, as the
#: page writes it in the container's data attributes (name -> number or text), and the
#: alternative text.
LIBRARY_PRINTED = {"quadratic-rate": quadratic_rate_printed, "trajectory": trajectory_printed,
                   "momentum-map": momentum_map_printed,
                   "optimizer-race": optimizer_race_printed}


def same_number(page_value, library_value):
    """The page's number (a data attribute's text) equals the library's."""
    if isinstance(library_value, str):
        return page_value == library_value
    page_value = float(page_value)
    library_value = float(library_value)
    if math.isnan(library_value):
        return math.isnan(page_value)
    if page_value == library_value:
        return True
    # the page's logarithm is the browser's, the library's the C library's (tests/js)
    return library_value != 0 and abs(page_value / library_value - 1) <= 1e-15


def check_live(kind, now, where):
    """The live view's printed numbers and alternative text are the library's."""
    printed, alt = LIBRARY_PRINTED[kind](now["values"])
    assert set(now["printed"]) == set(printed), where
    for key, value in printed.items():
        assert same_number(now["printed"][key], value), f"{where}: {key}"
    assert now["alt"] == alt, where


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
