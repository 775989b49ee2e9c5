"""The registry's rules as test cases: every form of every rule, at its defaults and off them.

Drawn from the registry, so a rule, a form or an option added there is tested without a list
to update, and a hyper-parameter with no value in ``OFF_DEFAULT`` fails the test that checks
this table (test_optimizers.py).
"""

from optbook import optimizers

#: A value off the default for every hyper-parameter name in the registry (the learning rate
#: is set per rule in ``RATES``). ``eps`` is large enough that Adam and NAdam move like gradient
#: descent near the minimum: with a tiny ``eps`` their steps there have size ``lr`` whatever
#: the gradient, and two implementations that differ in the last bit part ways after a few
#: hundred steps.
OFF_DEFAULT = {
    "gamma": 0.8, "dampening": 0.3, "weight_decay": 0.05, "kappa": 2e-3, "phi": 0.2,
    "theta": 0.6, "eps": 1e-3, "initial_accumulator": 0.1, "lr_decay": 0.01, "rho": 0.95,
    "centered": True, "momentum": 0.5, "beta1": 0.8, "beta2": 0.99, "amsgrad": True,
    "momentum_decay": 0.05,
}
#: Learning rates that keep these rules finite on the test problems (the others: their default).
RATES = {"gd": 0.01, "momentum": 0.01, "nesterov": 0.01, "delta_bar_delta": 0.005,
         "adagrad": 0.3, "rmsprop": 0.01, "adadelta": 1.0, "adam": 0.01, "adamw": 0.01,
         "amsgrad": 0.01, "nadam": 0.01}


def configs(off_default=(False, True)):
    """``(name, kwargs)`` for every form of every rule: at its defaults and/or off them. The
    keyword arguments name every hyper-parameter of the form (the defaults as the registry
    records them), so that the plain-NumPy references receive them all."""
    cases = []
    for name, form in optimizers.forms():
        rule = optimizers.RULES[name]
        hypers = [h for h in rule.hypers_for(form) if h.name != "lr"]
        rate = RATES.get(name, rule.hyper("lr").default)
        base = {"lr": rate, **({} if form is None else {"form": form})}
        defaults = {**base, **{h.name: h.default for h in hypers}}
        off = {**base, **{h.name: OFF_DEFAULT[h.name] for h in hypers}}
        cases += [(name, off if moved else defaults) for moved in off_default]
    return cases


def case_id(name, kw):
    rule = optimizers.RULES[name]
    moved = any(kw[h.name] != h.default for h in rule.hypers if h.name in kw and h.name != "lr")
    return f"{name}-{kw.get('form') or ''}-{'off' if moved else 'defaults'}"


def split(kw):
    """``(form, hyper-parameters)`` of a case's keyword arguments."""
    kw = dict(kw)
    return kw.pop("form", None), kw
