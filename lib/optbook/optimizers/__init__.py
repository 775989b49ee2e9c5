r"""Update rules of first-order optimizers: one registry, one element function per rule.

Every rule is a record in the registry (:data:`~optbook.optimizers.registry.RULES`):
its hyper-parameters with their validators, defaults and slider ranges, its forms, its named
state, its plotting style and its theory curve. The constructors below (:func:`gd`,
:func:`adam`, ...), :data:`NAMES` and :func:`get` are made from the records, and so are the
explorers' sliders, the plotting styles, the warm-up list and the tests' parametrisation.
Each rule's arithmetic is written once, as an element function (one coordinate and its state
in, the new values out; :mod:`optbook.optimizers.rules`) that the array kernels loop over a
vector of any length and the 2-D kernels (:mod:`optbook.kernels2d`) apply to a point held in
registers, so a 2-D run and a network's parameters move by the same code. A rule does its
element arithmetic in the iterate's dtype: the float64 hyper-parameters and per-step constants
are rounded to ``x.dtype`` once per step (in float32 that keeps the loop in single precision).
Kernels use ``error_model="numpy"`` (no division-by-zero branch per element).

An :class:`~optbook.optimizers.registry.Optimizer` is a rule's record with validated
hyper-parameters: numba sees it as an integer ``code`` (one per form) and a float64 ``hyper``
array. The kernels are made per rule
and reach its functions through the code at compile time (:mod:`optbook.optimizers.dispatch`).
Code that moves a vector from Python calls the checked :func:`~optbook.optimizers.state.step` and
:func:`~optbook.optimizers.state.lookahead` with a :class:`~optbook.optimizers.state.State` from
:meth:`~optbook.optimizers.registry.Optimizer.init_state`, whose rows have names
(``state["m"]``).

Conventions (the book's conventions appendix explains them):

* gradient :math:`g_t` is taken at the current iterate, except look-ahead Nesterov;
* the step counter :math:`t` starts at 1 and is the state's first counter; powers such as
  :math:`\beta_1^t` are running products kept among the counters (never ``**``), so a port of
  the rules to another language reproduces the iterates bit for bit;
* :math:`\varepsilon` sits outside the square root as in PyTorch (AdaDelta: inside, as Zeiler);
* the library's momentum is the *velocity* form :math:`v \leftarrow \gamma v + \eta g,\;
  x \leftarrow x - v` (Sutskever et al. 2013, DD2424); the PyTorch form
  :math:`b \leftarrow \mu b + g,\; x \leftarrow x - \eta b` is ``form="pytorch"``. With a
  constant :math:`\eta` they give the same iterates (:math:`v = \eta b`); after a change of
  :math:`\eta` they part ways;
* weight decay: ``weight_decay`` of SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam and AMSGrad
  is PyTorch's coupled L2 term (:math:`\lambda x` added to the gradient); AdamW's is decoupled.

Why integer codes rather than first-class jitted functions (``benchmarks/bench_dispatch.py``
times the mechanisms on one small 2-D loop, numba 0.68, 2 shared cores). A rule passed as a
dispatcher argument gives one specialisation of the loop per rule, but numba never finds it in
its disk cache again: the index key holds the dispatcher's type, which compares by the
dispatcher object, a new one in every process. A warm process recompiled (about 2 s against
0.7 s) and each run added files to the cache. A ``types.FunctionType`` argument caches, but the
rule becomes an indirect call LLVM cannot inline (the step took 1.36 times as long) and each
call from Python spent about 57 us converting the dispatcher to a pointer (0.7 us with a code).
An integer code has none of these costs. Fixed at compile time as a closure variable, as the
per-rule kernels do, it is cached too (numba keys the index on the closure's values; a warm
process loads each kernel in milliseconds) and leaves only that rule's code in the loop.
"""

from __future__ import annotations

from optbook.optimizers import rules  # noqa: F401 (importing it registers the rules)
from optbook.optimizers.registry import (
    FORMS_BY_CODE,
    RULES,
    Form,
    Hyper,
    Optimizer,
    Rule,
    Slider,
    form_of,
    make_constructor,
)
from optbook.optimizers.rules import NADAM_DECAY_BASE
from optbook.optimizers.state import State, lookahead, step

# One constructor per registered rule (gd, momentum, ..., nadam), made from its record: its
# signature, defaults and docstring come from the registry.
_CONSTRUCTORS = {name: make_constructor(rule) for name, rule in RULES.items()}
globals().update(_CONSTRUCTORS)

NAMES = tuple(RULES)
"""The names :func:`get` knows, in the registry's order."""


def get(name: str, **kwargs) -> Optimizer:
    """The optimizer called ``name`` (one of :data:`NAMES`) with keyword arguments of its
    constructor."""
    if not isinstance(name, str) or name not in _CONSTRUCTORS:
        raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(NAMES)}")
    return _CONSTRUCTORS[name](**kwargs)


def forms() -> list:
    """Every ``(name, form)`` pair of the registry, in its order (``form`` is ``None`` for a
    rule with one form): what a test or a warm-up covers to reach every compiled rule."""
    return [(rule.name, form.name) for rule in RULES.values() for form in rule.forms]


__all__ = [
    "FORMS_BY_CODE",
    "NADAM_DECAY_BASE",
    "NAMES",
    "RULES",
    "Form",
    "Hyper",
    "Optimizer",
    "Rule",
    "Slider",
    "State",
    "form_of",
    "forms",
    "get",
    "lookahead",
    "step",
    *NAMES,
]
