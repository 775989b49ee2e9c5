"""Write the test vectors that keep the book's JavaScript explorers in step with the library.

The static HTML book runs the explorers in the page with a JavaScript port of the 2-D update
rules, landscapes, runner, rate measurements, closed forms and the heavy-ball sweep (``js/``).
This script runs the library on a deterministic set of cases and writes what it computes
(every iterate, loss and squared gradient norm, where a run diverged, the measured and
theoretical rates, the sweep's cells, and glibc's ``exp`` on a sample of arguments) to a JSON
file; ``node --test tests/js`` checks that the JavaScript reproduces it.

Arrays are stored as base64 of their little-endian float64 bytes, so every double crosses
over exactly. Usage: ``python tools/write_test_vectors.py [OUT]`` (default
``_build/js-vectors/vectors.json``). It lives in ``tools/`` rather than in ``lib/optbook``
because numba's cache is keyed on the library's sources: a change here must not make every
kernel compile again.

The rules, forms and hyper-parameters come from the registry (``optimizers.forms()``, each
hyper-parameter's slider range), so a rule or an option added there is covered without an edit
here. The cases use only kernels that ``make test`` has compiled before it runs ``js-test``:
every (landscape, rule form) pair without coupled weight decay (``optbook.warmup``, Binder's
``postBuild``) and, with it, Rosenbrock (the library tests' pair kernels run every form off its
defaults there). So the vectors compile no kernel of their own: after an edit of the library
they take the time they take with a warm cache.
"""

from __future__ import annotations

import base64
import json
import math
import sys
from pathlib import Path

import numpy as np
from tick_vectors import tick_vectors

from optbook import kernels2d, landscapes, optimizers, run, theory, warmup

OUT = Path("_build/js-vectors/vectors.json")
STEPS = 500
SEED = 20260
SETTINGS_PER_PAIR = 4

#: (rule name, form) for every rule and form of :data:`optbook.optimizers.NAMES`.
RULE_FORMS = optimizers.forms()

#: The landscape whose pair kernels with coupled weight decay the library tests compile.
DECAY_LANDSCAPE = landscapes.ROSENBROCK


def b64(values, dtype=np.float64) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype=dtype).tobytes()).decode("ascii")


def number(value):
    """A float for JSON: NaN and infinities as strings (JSON has no literal for them)."""
    value = float(value)
    return value if math.isfinite(value) else repr(value)


def check_rule_forms(cases):
    """Every rule form the library knows has its cases, with its options on (a case where each
    option a form has is off its default)."""
    for name, form in RULE_FORMS:
        rule = optimizers.RULES[name]
        mine = [c for c in cases if (c["rule"], c["form"]) == (name, form)]
        for h in rule.hypers_for(form):
            if h.name != "lr" and not any(c["hyper"][h.name] != h.default for c in mine):
                raise ValueError(f"no case of {name} {form or ''} moves {h.name}")


def landscape_table():
    """Every landscape the explorers can show, under a name for the vectors."""
    table = {
        "quadratic_rotated": landscapes.quadratic([1.0, 10.0], angle=0.3, center=[1.0, -0.5]),
        "quadratic_tilted": landscapes.quadratic([0.5, 4.0], angle=-1.1),
        "lecture_1": landscapes.lecture_quadratic(1.0),
        "lecture_2": landscapes.lecture_quadratic(2.0),
        "lecture_50": landscapes.lecture_quadratic(50.0),
        "ravine_1": landscapes.regression_ravine(1),
        "ravine_2": landscapes.regression_ravine(2),
        "ravine_1_standardized": landscapes.regression_ravine(1, standardize=True),
        "ravine_2_standardized": landscapes.regression_ravine(2, standardize=True),
        "rosenbrock": landscapes.rosenbrock(),
        "rosenbrock_shallow": landscapes.rosenbrock(a=0.5, b=10.0),
        "two_minima": landscapes.two_minima(),
        "saddle": landscapes.saddle(),
        "plane": landscapes.plane([0.3, -0.2]),
        "plane_steep": landscapes.plane([2.0, 1.5]),
        "plateau": landscapes.plateau(),
    }
    for kappa in (1.0, 10.0, 37.3, 100.0, 1000.0):
        table[f"conditioned_{kappa:g}"] = landscapes.conditioned_quadratic(kappa)
    return table


def describe(land) -> dict:
    quadratic = land.code == landscapes.QUADRATIC
    return {
        "code": land.code,
        "params": [float(p) for p in land.params],
        "minimizers": land.minimizers.tolist(),
        "min_value": number(land.min_value),
        "window": land.window,
        "start": land.start.tolist(),
        "eigenvalues": land.eigenvalues.tolist() if quadratic else None,
    }


def scale(land) -> float:
    """A curvature scale of the landscape, so that sampled rates straddle stability."""
    if land.code == landscapes.QUADRATIC:
        return float(land.eigenvalues[-1])
    return {landscapes.ROSENBROCK: 200.0, landscapes.TWO_MINIMA: 30.0}.get(land.code, 2.0)


def _slider_value(h, rng):
    """A random value over the hyper-parameter's slider (log-uniform on a log slider)."""
    slider = h.slider
    if slider.kind == "choice":
        return bool(rng.choice(slider.options)) if h.boolean else rng.choice(slider.options)
    if slider.kind == "log":
        return float(10.0 ** rng.uniform(math.log10(slider.low), math.log10(slider.high)))
    return float(rng.uniform(slider.low, slider.high))


def sample_hyper(name, form, rng, land, setting):
    """Hyper-parameters for one case: the registry's defaults with a rate suited to the
    landscape (setting 0), every hyper-parameter random over its slider with a rate scaled to
    the landscape (1, 2), or a rate at the edge of GD's stability 2/curvature (3). Coupled
    weight decay only on :data:`DECAY_LANDSCAPE` (the kernels with it that are compiled)."""
    curvature = scale(land)
    rule = optimizers.RULES[name]
    adaptive = name not in ("gd", "momentum", "nesterov", "delta_bar_delta")
    edge = 2.0 / curvature
    if setting == 0:
        lr = 0.3 / curvature
    elif setting == 3:
        lr = edge * (1.0 + rng.choice([-1e-3, 2e-3, 1e-2]))
    else:
        lr = float(10.0 ** rng.uniform(-3.5, 0.7)) / curvature
    if adaptive:  # steps of about lr whatever the gradient: scale by the window instead
        lr = lr * curvature * (0.05 if setting == 0 else 0.1)
    if name == "adadelta" and setting == 0:
        lr = 1.0
    hyper = {"lr": lr}
    for h in rule.hypers_for(form):
        if h.name == "lr":
            continue
        value = h.default if setting in (0, 3) else _slider_value(h, rng)
        if h.name == "weight_decay" and rule.decay == h.name and land.code != DECAY_LANDSCAPE:
            value = 0.0
        if name == "delta_bar_delta" and h.name == "kappa" and setting in (1, 2):
            value = value * lr  # the increment relative to the rate, as the explorers offer it
        hyper[h.name] = value
    return hyper


def rates(land, traj):
    """Measured rates of a run against the global minimiser (None where the library has none
    or raises)."""
    if len(land.minimizers) == 0 or len(traj.positions) < 3:
        return None, None
    errors = np.linalg.norm(traj.positions - land.minimizers[0], axis=1)
    if errors[0] <= 0:
        return None, None
    try:
        fitted = number(run.fitted_rate(errors))
    except ValueError:
        fitted = "error"
    return number(run.empirical_rate(errors)), fitted


def theory_rate(land, opt):
    """The rate TrajectoryExplorer draws (``_theory_rate``: the registry's theory on a
    quadratic), None where it draws none."""
    if land.code != landscapes.QUADRATIC or opt.lr <= 0:
        return None
    return number(opt.theory_rate(land.eigenvalues))


def case(land_name, land, opt, x0, steps=STEPS, bound=1e6, tag="sampled"):
    traj = run.trajectory(land, opt, np.asarray(x0, dtype=np.float64), steps, bound=bound)
    n = len(traj.positions)
    empirical, fitted = rates(land, traj)
    return {
        "tag": tag,
        "landscape": land_name,
        "rule": opt.name,
        "form": opt.form,
        "hyper": {h.name: getattr(opt, h.name) for h in opt.rule.hypers},
        "x0": [float(v) for v in x0],
        "steps": steps,
        "bound": bound,
        "count": n,
        "diverged_at": traj.diverged_at,
        "positions": b64(traj.positions),
        "losses": b64(traj.losses),
        "grad_norms": b64(traj.grad_norms),
        "empirical_rate": empirical,
        "fitted_rate": fitted,
        "theory_rate": theory_rate(land, opt),
    }


def sampled_cases(table, rng):
    cases = []
    for land_name, land in table.items():
        (x_lo, x_hi), (y_lo, y_hi) = land.window
        for name, form in RULE_FORMS:
            for setting in range(SETTINGS_PER_PAIR):
                hyper = sample_hyper(name, form, rng, land, setting)
                opt = optimizers.get(name, **hyper, **({"form": form} if form else {}))
                if setting == 2:
                    x0 = [float(rng.uniform(x_lo, x_hi)), float(rng.uniform(y_lo, y_hi))]
                else:
                    x0 = land.start.tolist()
                cases.append(case(land_name, land, opt, x0,
                                  tag="edge" if setting == 3 else "sampled"))
    return cases


def special_cases(table):
    """Explorer defaults, runs that diverge late or stop at a small bound."""
    cases = []
    quad10 = table["conditioned_10"]
    lam = quad10.eigenvalues
    cases.append(case("conditioned_10", quad10, optimizers.gd(theory.gd_optimal_lr(*lam)),
                      quad10.start, steps=300, tag="default QuadraticRateExplorer"))
    lecture = table["lecture_50"]
    for lr in (0.019, 0.005):
        cases.append(case("lecture_50", lecture, optimizers.gd(lr), lecture.start, steps=100,
                          tag="default TrajectoryExplorer (gradient descent chapter)"))
    wells = table["two_minima"]
    for opt in (optimizers.gd(0.02), optimizers.momentum(0.02, 0.9),
                optimizers.nesterov(0.02, 0.9)):
        cases.append(case("two_minima", wells, opt, wells.start, steps=300,
                          tag="default TrajectoryExplorer (momentum chapter)"))
    for kappa, lr, gamma in ((100.0, 0.01, 0.9), (50.0, 0.02, 0.9)):
        name = f"conditioned_{kappa:g}"
        land = table.get(name) or landscapes.conditioned_quadratic(kappa)
        table[name] = land
        cases.append(case(name, land, optimizers.momentum(lr, gamma), land.start,
                          tag="default MomentumRateMap"))
    # GD just past 2/lambda_max: |1 - lr lambda| = 1.004 grows the error ~50 times in 1,000
    # steps, so with a bound of 10 it stops late in the run
    cases.append(case("conditioned_10", quad10, optimizers.gd(0.2008), quad10.start, steps=2000,
                      bound=10.0, tag="near bound"))
    for bound in (4.5, 5.0, 8.0):
        cases.append(case("quadratic_rotated", table["quadratic_rotated"],
                          optimizers.momentum(0.2, 0.95), [4.0, 3.0], bound=bound,
                          tag="near bound"))
    cases.append(case("plane", table["plane"], optimizers.adam(7000.0), [1.0, 1.0], steps=300,
                      tag="diverges (Adam on a plane)"))
    cases.append(case("saddle", table["saddle"], optimizers.gd(0.1), [1.5, 0.01],
                      tag="escapes to the bound"))
    cases.append(case("rosenbrock", table["rosenbrock"], optimizers.gd(0.01), [-1.2, 1.0],
                      tag="overflow to a non-finite loss"))
    return cases


def sweeps(table):
    """Heavy-ball rate maps as MomentumRateMap sweeps them, at several kappa and both forms."""
    out = []
    plan = [(k, 24, form) for k in (1.0, 3.7, 10.0, 50.0, 1000.0) for form in (None, "pytorch")]
    plan.append((100.0, 256, None))
    for kappa, n, form in plan:
        land = landscapes.conditioned_quadratic(kappa)
        lam = land.eigenvalues
        lr_max = 4.5 / lam[-1]
        lrs = (np.arange(n) + 0.5) * lr_max / n
        gammas = (np.arange(n) + 0.5) / n
        opt = optimizers.momentum(lrs[0], gammas[0], **({"form": form} if form else {}))
        result = run.sweep(land, opt, land.start, STEPS, x=("lr", lrs), y=("gamma", gammas))
        _, vectors = np.linalg.eigh(land.hessian(land.start))
        u_start = vectors.T @ (land.start - land.minimizers[0])
        out.append({
            "kappa": kappa, "n": n, "pytorch_form": form == "pytorch", "steps": STEPS,
            "lam": lam.tolist(), "u_start": u_start.tolist(),
            "f0": float(land.min_value), "lrs": b64(lrs), "gammas": b64(gammas),
            "rate": b64(result.rate.ravel()), "final_loss": b64(result.final_loss.ravel()),
            "diverged": b64(result.diverged.ravel(), np.uint8),
        })
    return out


def closed_forms(rng):
    """Theory's closed forms on random spectra and settings."""
    rows = []
    for _ in range(300):
        lam_min = float(10.0 ** rng.uniform(-2, 1))
        lam_max = lam_min * float(10.0 ** rng.uniform(0, 3))
        lr = float(10.0 ** rng.uniform(-4, 0.5)) / lam_max
        gamma = float(rng.uniform(0, 1))
        lam = [lam_min, lam_max]
        optimum = theory.heavy_ball_optimal(lam_min, lam_max)
        rows.append({
            "lam": lam, "lr": lr, "gamma": gamma,
            "gd_rate": theory.gd_rate(lr, lam),
            "heavy_ball_rate": theory.heavy_ball_rate(lr, gamma, lam),
            "nesterov_rate": theory.nesterov_rate(lr, gamma, lam),
            "gd_optimal_lr": theory.gd_optimal_lr(lam_min, lam_max),
            "gd_stability_bound": theory.gd_stability_bound(lam_max),
            "heavy_ball_optimal": [optimum.lr, optimum.gamma, optimum.rate],
        })
    return rows


def exp_samples(rng):
    """glibc's exp (through math.exp, the function numba's kernels call) on the arguments the
    landscapes meet, and on the subnormal and overflow edges."""
    parts = [rng.uniform(-1, 1, 60_000), rng.uniform(-60, 0, 120_000),
             rng.uniform(-745.2, -700, 40_000), rng.uniform(-1e-9, 1e-9, 5_000),
             rng.uniform(-1100, 720, 25_000), [0.0, -0.0, 709.78, 709.79, -745.13, -745.14]]
    x = np.concatenate([np.asarray(p, dtype=np.float64) for p in parts])
    return {"x": b64(x), "exp": b64([_exp(v) for v in x])}


def _exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def formats(rng):
    """Python's format() of the numbers explorers print (.4f, .3f, .3g, .4g), including exact
    ties of the fixed format and the exponent forms of the general one."""
    numbers = [0.125, 0.375, 2.5, 0.00005, 0.00015, 1000.0, 999.9, 1e-4, 9.9995e-5, 10.0, 1.0,
               0.1818181818181818, 123456.0, 1e21, 0.0, 2.0]
    numbers += (10.0 ** rng.uniform(-6, 6, 300)).tolist() + rng.uniform(0, 1, 300).tolist()
    numbers += [k / 2**n for n in (3, 5, 7) for k in range(1, 2**n, 3)]
    rows = []
    for x in numbers:
        for spec in (".4f", ".3f", ".2f", ".3g", ".4g"):
            rows.append([x, spec, format(x, spec)])
    return rows


def conditioned_constructors():
    rows = []
    for kappa in (1.0, 1.5, 10.0, 10**0.5, 37.3, 100.0, 999.9, 1000.0):
        land = landscapes.conditioned_quadratic(kappa)
        rows.append({"kappa": kappa, "params": land.params.tolist(),
                     "eigenvalues": land.eigenvalues.tolist(), "start": land.start.tolist()})
    return rows


def race(rng) -> dict:
    """The optimizer race (``widgets.OptimizerRace``) as its page computes it: the document's
    landscapes and rules (``optbook.widgets.static``), and for every rule on every landscape,
    at the explorer's defaults, at the ends of its controls and at random settings: where each
    run diverged, the final gaps f - f*, the first step measured and its closed form
    (``optbook.adaptive.first_step``), each as the explorer computes them; and
    ``numpy.linalg.norm`` of random 2-vectors (the explorer's lengths)."""
    from optbook import adaptive
    from optbook.widgets import optimizer_race, static

    landscapes_doc = {name: static.race_landscape(name) for name in optimizer_race.LANDSCAPES}
    made = {name: optimizer_race.LANDSCAPES[name][0]() for name in landscapes_doc}
    methods, cases = {}, []
    fixed = [{"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
             {"lr": 1.0, "beta1": 0.0, "beta2": 0.9, "eps": 1e-2},
             {"lr": 1e-3, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8}]
    for method, reads in optimizer_race.METHODS.items():
        for land_name, land in made.items():
            x0 = np.array(landscapes_doc[land_name]["start"])
            settings = fixed + [{"lr": float(10.0 ** rng.uniform(-3, 0)),
                                 "beta1": float(rng.uniform(0, 0.9)),
                                 "beta2": float(rng.choice([0.9, 0.99, 0.999])),
                                 "eps": float(10.0 ** rng.uniform(-8, -2))} for _ in range(3)]
            for values in settings:
                kwargs = {"lr": values["lr"], "eps": values["eps"]}
                if "beta2" in reads:
                    kwargs["rho" if method in ("rmsprop", "adadelta") else "beta2"] = \
                        values["beta2"]
                if "beta1" in reads:
                    kwargs["beta1"] = values["beta1"]
                opt = optimizers.get(method, **kwargs)
                methods[method] = static.race_method(opt)
                runs = [run.trajectory(land, opt, x0, optimizer_race.OptimizerRace.STEPS),
                        run.trajectory(land, optimizers.gd(opt.lr), x0,
                                       optimizer_race.OptimizerRace.STEPS)]
                step = adaptive.first_step(opt, land.grad(x0))
                measured = (float(np.linalg.norm(runs[0].positions[1] - x0))
                            if runs[0].steps_run >= 1 else math.nan)
                gaps = [None if r.diverged_at is not None
                        else float(r.losses[-1] - land.min_value) for r in runs]
                cases.append({
                    "method": method, "landscape": land_name, **values,
                    "diverged_at": [r.diverged_at for r in runs], "gaps": gaps,
                    "first_step": [float(v) for v in step],
                    "measured": number(measured), "theory": float(np.linalg.norm(step)),
                })
    pairs = rng.standard_normal((2000, 2)) * 10.0 ** rng.uniform(-5, 5, (2000, 2))
    return {"steps": optimizer_race.OptimizerRace.STEPS, "landscapes": landscapes_doc,
            "methods": methods, "cases": cases,
            "norms": {"pairs": b64(pairs), "norm": b64([np.linalg.norm(p) for p in pairs])}}


def compiled_beforehand() -> set:
    """The (landscape code, rule code, decay) kernels that ``make test`` compiles before
    ``js-test``: every pair of :mod:`optbook.warmup` (postBuild), and the library tests' pairs
    with coupled weight decay on :data:`DECAY_LANDSCAPE`."""
    pairs = {(land.code, opt.code, False) for land in warmup.LANDSCAPES for opt in warmup.RULES}
    pairs |= {(DECAY_LANDSCAPE, form.code, True) for rule in optimizers.RULES.values()
              if rule.decay is not None for form in rule.forms}
    return pairs


def check_kernels():
    """Raise if the cases ran a kernel that ``make test`` does not compile before them (it
    would compile here, about 1.5 s each)."""
    used = {(land, opt, bool(decay)) for land, opt, _, decay in kernels2d._KERNELS}
    extra = used - compiled_beforehand()
    if extra:
        raise ValueError(f"the vectors ran kernels nothing compiled before them: {sorted(extra)}")


def write(path: Path = OUT) -> dict:
    rng = np.random.default_rng(SEED)
    table = landscape_table()
    cases = sampled_cases(table, rng) + special_cases(table)
    race_vectors = race(np.random.default_rng(SEED + 1))
    check_rule_forms(cases)
    check_kernels()
    vectors = {
        "steps": STEPS,
        "landscapes": {name: describe(land) for name, land in table.items()},
        "cases": cases,
        "sweeps": sweeps(table),
        "closed_forms": closed_forms(rng),
        "exp": exp_samples(rng),
        "conditioned_quadratic": conditioned_constructors(),
        "formats": formats(rng),
        "ticks": tick_vectors(),
        "race": race_vectors,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(vectors))
    return vectors


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    written = write(target)
    print(f"{len(written['cases'])} cases, {len(written['sweeps'])} sweeps -> {target}")
