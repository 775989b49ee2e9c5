r"""What a live view of the static book prints, as the library computes it.

A live view (:mod:`optbook.widgets.static`) computes its numbers in the page, with the
JavaScript port of the library, and writes each into its container's ``data-*`` attributes
(``data-measured-rate``, ...). This module gives, for the library's explorer at the same
control values, the same names and the library's values: the page is right when it
:func:`shows` every one of them. The browser tests and the static benchmarks both check the
pages against it.
"""

from __future__ import annotations

import math

#: The largest relative difference allowed between a number a page prints and the library's,
#: since the page takes its logarithms from the browser and the library from the C library
#: (``tests/js`` checks the bound).
RELATIVE_TOLERANCE = 1e-15


def _diverged(step):
    return "null" if step is None else step


def printed(explorer) -> dict:
    """The numbers the explorer's live view prints at its current values, by the name of the
    container's data attribute (camel case): a number, or the text ``"null"`` where there is
    none (a run that did not diverge). ``ValueError`` for an explorer without a live view."""
    from optbook.widgets.momentum_map import MomentumRateMap
    from optbook.widgets.optimizer_race import OptimizerRace
    from optbook.widgets.quadratic_rate import QuadraticRateExplorer
    from optbook.widgets.trajectory import TrajectoryExplorer

    if type(explorer) is QuadraticRateExplorer:
        return {"measuredRate": explorer.measured_rate, "theoryRate": explorer.theory_rate,
                "divergedAt": _diverged(explorer.run.diverged_at)}
    if type(explorer) is TrajectoryExplorer:
        numbers = {}
        for k, (opt, traj) in enumerate(zip(explorer.current_optimizers(), explorer.runs,
                                            strict=True)):
            numbers[f"stepsRun{k}"] = traj.steps_run
            numbers[f"divergedAt{k}"] = _diverged(traj.diverged_at)
            numbers[f"finalLoss{k}"] = traj.losses[-1]
            numbers[f"theoryRate{k}"] = explorer._theory_rate(opt)
        return numbers
    if type(explorer) is MomentumRateMap:
        rates = explorer.sweep.rate
        converging = rates < 1.0
        return {"measuredRate": explorer.measured_rate, "theoryRate": explorer.theory_rate,
                "divergedAt": _diverged(explorer.run.diverged_at),
                "optimumLr": explorer.optimum.lr, "optimumGamma": explorer.optimum.gamma,
                "optimumRate": explorer.optimum.rate,
                "fastestCell": float(rates[converging].min()) if converging.any() else math.nan,
                "convergingCells": int(converging.sum())}
    if type(explorer) is OptimizerRace:
        measured, theory = explorer.first_step
        numbers = {"firstStep": measured, "firstStepTheory": theory,
                   "firstStepRatio": measured / theory}
        min_value = explorer.landscape().min_value
        for name, traj in (("race", explorer.runs[0]), ("gd", explorer.runs[1])):
            diverged = traj.diverged_at is not None
            numbers[f"{name}DivergedAt"] = _diverged(traj.diverged_at)
            numbers[f"{name}Gap"] = "null" if diverged else float(traj.losses[-1] - min_value)
        return numbers
    raise ValueError(f"{type(explorer).__name__} has no live view")


def set_page_values(explorer, values: dict):
    """Move the explorer to a page's control values (each control's ``data-value`` text read
    as a number, a select's as its text), as the page holds them: a choice of numbers
    (the race's :math:`\\beta_2`) as its number, and the rate map's :math:`\\eta` as the page
    gives it with a new :math:`\\kappa` (the explorer would otherwise rescale its own)."""
    from optbook.widgets.momentum_map import MomentumRateMap

    numeric = {spec["key"] for spec in explorer.control_specs()
               if spec["kind"] == "choice" and all(isinstance(o, float) for o in spec["options"])}
    values = {key: float(value) if key in numeric else value for key, value in values.items()}
    changed = {key: value for key, value in values.items() if explorer.values[key] != value}
    if type(explorer) is MomentumRateMap and "kappa" in changed:
        changed["lr"] = values["lr"]
    if changed:
        explorer.update(**changed)


def shows(page_text: str, value) -> bool:
    """Whether the text a page wrote (JavaScript's ``String`` of a number, or a word) shows
    the library's ``value``: the same text for a word, else the same number (NaN for NaN),
    within :data:`RELATIVE_TOLERANCE`."""
    if isinstance(value, str):
        return page_text == value
    page_value = float(page_text)
    value = float(value)
    if math.isnan(value):
        return math.isnan(page_value)
    return page_value == value or (
        value != 0 and abs(page_value / value - 1) <= RELATIVE_TOLERANCE)
