r"""The registry: one record per update rule, and everything derived from it.

A :class:`Rule` holds what the book knows about an optimizer: its name, its hyper-parameters
(:class:`Hyper`: symbol, LaTeX, a plain-words label for screen readers, default, validator and
slider), its forms (:class:`Form`: a code for numba, the names of its state rows and the jitted
functions of its update), the per-step counters it keeps, its plotting style and, where theory
has one, its rate on a quadratic. :data:`RULES` maps each name to its record; the constructors
(:func:`~optbook.optimizers.gd`, ...), :data:`~optbook.optimizers.NAMES` and
:func:`~optbook.optimizers.get` are made from it, and so
are the explorers' sliders, the plotting styles, the warm-up list and the tests' parametrisation.

Adding a rule is one record (:func:`register`), its element function (next to the record in
:mod:`optbook.optimizers.rules`) and its plain-NumPy reference in ``tests/reference.py``.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# --------------------------------------------------------------------------- validators


@dataclass(frozen=True)
class Interval:
    """The real numbers a hyper-parameter may take; calling it validates a value.

    ``Interval(0, 1, high_open=True)`` is :math:`[0, 1)`. Strings, booleans and non-finite
    numbers are rejected with a ``ValueError`` that names the parameter and the interval.
    """

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def __str__(self):
        left = "(" if self.low_open or self.low == -math.inf else "["
        right = ")" if self.high_open or self.high == math.inf else "]"
        return f"{left}{self.low:g}, {self.high:g}{right}"

    def __call__(self, name: str, value) -> float:
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            raise ValueError(f"{name} must be a real number in {self}, got {value!r}")
        number = float(value)
        inside = (
            math.isfinite(number)
            and (number > self.low if self.low_open else number >= self.low)
            and (number < self.high if self.high_open else number <= self.high)
        )
        if not inside:
            raise ValueError(f"{name} must be a real number in {self}, got {value!r}")
        return number


def boolean(name: str, value) -> bool:
    """Validate an on/off option: ``True`` or ``False`` only (not 0, 1 or a string)."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


NON_NEGATIVE = Interval(0.0)
POSITIVE = Interval(0.0, low_open=True)
UNIT = Interval(0.0, 1.0, high_open=True)
CLOSED_UNIT = Interval(0.0, 1.0)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Slider:
    """How an explorer offers a hyper-parameter: ``kind`` ``"log"`` (``low``, ``high`` and a
    ``step`` in log10 units), ``"linear"`` (``step`` in the parameter's units) or ``"choice"``
    (one of ``options``)."""

    kind: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    options: tuple | None = None


@dataclass(frozen=True)
class Hyper:
    """One hyper-parameter of a rule.

    ``symbol`` is what a figure shows (``"η"``), ``latex`` what a formula shows
    (``r"\\eta"``), ``label`` the plain words a screen reader speaks (``"learning rate"``).
    ``default`` is ``None`` for a required parameter. ``check(name, value)`` validates a value
    and returns it as ``float`` (or ``bool`` for an option, ``boolean=True``). ``forms`` lists
    the forms where the parameter means something (``None``: all).
    """

    name: str
    symbol: str
    latex: str
    label: str
    default: float | bool | None
    check: Callable
    slider: Slider
    forms: tuple | None = None
    boolean: bool = False

    @property
    def accessible_label(self) -> str:
        """The label a screen reader reads for this parameter's control, such as
        ``"learning rate η"``."""
        return f"{self.label} {self.symbol}"


@dataclass(frozen=True)
class Form:
    """One compiled variant of a rule, as numba sees it.

    ``code`` is the integer the kernels branch on (unique across the registry). ``rows`` name
    the state rows, each of the iterate's length and dtype; ``initial`` gives, for a row that
    does not start at 0, the hyper-parameter it starts at. The jitted functions share one
    signature across rules (:mod:`optbook.optimizers.dispatch` calls them):

    * ``element(x, g, a, b, c, k0, k1, k2, h) -> (x, a, b, c)``: one coordinate ``x``, its
      gradient ``g`` and its state ``a, b, c`` (rows the form does not have are passed and
      returned unchanged), all in the iterate's dtype;
    * ``hyper_constants(hyper, like) -> h``: a tuple of constants worked out from the
      hyper-parameters once, rounded to the dtype of the array ``like``;
    * ``step_constants(hyper, lr, t, p1, p2, p3, like) -> (k0, k1, k2)``: the constants of one
      step (its scheduled rate ``lr`` and the counters after it), in ``like``'s dtype;
    * ``point(x, a, h)``, only for a look-ahead form: where the gradient of the step is taken;
    * ``vector_element``, optional, with ``element``'s signature and bits: the same arithmetic
      arranged for throughput rather than latency (Adam's division by its root correction as
      :func:`~optbook.optimizers.quotients.divide`), which the array steps use on vectors of at
      least :data:`~optbook.optimizers.dispatch.VECTOR_ELEMENT_SIZE` coordinates, where
      coordinates do not wait on each other; the 2-D kernels and short vectors, whose steps
      wait on the chain from one iterate to the next, use ``element``.

    ``tabled`` forms have per-step constants that need divisions or square roots; the 2-D
    kernels work them out a block of steps ahead
    (:func:`~optbook.optimizers.dispatch.step_constants_block`). ``counted`` forms read the step
    counter in their step constants; for a rule that keeps only the step counter and does not
    read it, the 2-D kernels count the steps once at the end instead of on every step.
    """

    name: str | None
    code: int
    rows: tuple
    element: object
    hyper_constants: object
    step_constants: object
    summary: str
    point: object | None = None
    vector_element: object | None = None
    tabled: bool = False
    counted: bool = False
    initial: dict = field(default_factory=dict)

    @property
    def lookahead(self) -> bool:
        """Whether the gradient is taken somewhere other than at the iterate."""
        return self.point is not None


@dataclass(frozen=True)
class Rule:
    """The record of one update rule (see the module docstring).

    ``parameters`` is the constructor's argument order (hyper-parameter names and, for a rule
    with several forms, ``"form"``). ``counters`` name the float64 scalars the rule keeps
    (``t``, running products such as :math:`\\beta_1^t`), and ``advance(hyper, t, p1, p2,
    p3)`` is the jitted function that moves them one step. ``style`` is ``(colour, dash)``.
    ``theory(optimizer, eigenvalues)`` gives the asymptotic linear rate on a quadratic with
    those Hessian eigenvalues, or NaN where theory has none for these settings. ``check``
    validates combinations of parameters (it receives the form name and the values).
    ``decay`` names the hyper-parameter of coupled weight decay, if the rule has one: the
    kernels add it times the gradient point to the gradient (see
    :mod:`optbook.optimizers.rules`). ``theory_bound`` says that the theory curve
    :math:`(f(x_0) - f^*)\\rho^{2t}` bounds the run from above at every step (gradient
    descent); otherwise it gives only the asymptotic slope.
    """

    name: str
    title: str
    doc: str
    hypers: tuple
    forms: tuple
    parameters: tuple
    advance: object
    style: tuple
    counters: tuple = ("t",)
    theory: Callable | None = None
    check: Callable | None = None
    decay: str | None = None
    theory_bound: bool = False

    @property
    def decay_index(self) -> int:
        """Position of the coupled weight decay in ``hyper``, -1 when the rule has none."""
        return -1 if self.decay is None else [h.name for h in self.hypers].index(self.decay)

    def hyper(self, name: str) -> Hyper:
        """The record of hyper-parameter ``name``."""
        for h in self.hypers:
            if h.name == name:
                return h
        raise ValueError(f"{self.name} has no hyper-parameter {name!r}; known: "
                         f"{[h.name for h in self.hypers]}")

    def form(self, name) -> Form:
        """The form called ``name`` (``None``: the default form)."""
        if name is None:
            return self.forms[0]
        for f in self.forms:
            if f.name == name:
                return f
        raise ValueError(f"form must be one of {[f.name for f in self.forms]}, got {name!r}")

    def hypers_for(self, form: str | None) -> tuple:
        """The hyper-parameters that mean something in ``form``."""
        return tuple(h for h in self.hypers if h.forms is None or form in h.forms)


# --------------------------------------------------------------------------- the registry

RULES: dict[str, Rule] = {}
"""Every rule by name, in the order they were registered."""

FORMS_BY_CODE: dict[int, tuple] = {}
"""``code -> (rule, form)`` for every form of every rule."""


def register(rule: Rule) -> Rule:
    """Add ``rule`` to :data:`RULES` after checking that its record is complete."""
    if rule.name in RULES:
        raise ValueError(f"a rule called {rule.name!r} is already registered")
    names = [h.name for h in rule.hypers]
    if names[0] != "lr":
        raise ValueError(f"{rule.name}: the first hyper-parameter must be lr, got {names[0]!r}")
    expected = set(names) | ({"form"} if len(rule.forms) > 1 else set())
    if set(rule.parameters) != expected or len(rule.parameters) != len(expected):
        raise ValueError(f"{rule.name}: parameters {rule.parameters} must list {sorted(expected)}")
    for form in rule.forms:
        if form.code in FORMS_BY_CODE:
            raise ValueError(f"{rule.name}: code {form.code} is taken by "
                             f"{FORMS_BY_CODE[form.code][0].name}")
        if len(form.rows) > 3:
            raise ValueError(f"{rule.name}: at most three state rows, got {form.rows}")
        unknown = set(form.initial) - set(form.rows)
        if unknown:
            raise ValueError(f"{rule.name}: initial values for unknown rows {sorted(unknown)}")
    if rule.decay is not None and rule.decay not in names:
        raise ValueError(f"{rule.name}: decay names an unknown hyper-parameter {rule.decay!r}")
    if len(rule.counters) > 4:
        raise ValueError(f"{rule.name}: at most four counters, got {rule.counters}")
    RULES[rule.name] = rule
    for form in rule.forms:
        FORMS_BY_CODE[form.code] = (rule, form)
    return rule


def form_of(code) -> tuple:
    """``(rule, form)`` of the integer ``code``; ``ValueError`` for a code no rule has."""
    if isinstance(code, bool) or not isinstance(code, int | np.integer) \
            or int(code) not in FORMS_BY_CODE:
        raise ValueError(f"unknown rule code {code!r}; known: {sorted(FORMS_BY_CODE)}")
    return FORMS_BY_CODE[int(code)]


# --------------------------------------------------------------------------- Optimizer


class Optimizer:
    """An update rule with validated hyper-parameters, as numba sees it.

    ``rule`` is the registry's record, ``form`` the form's name (``None`` for a rule with one
    form), ``code`` the integer the kernels branch on and ``hyper`` the float64 array of the
    hyper-parameters in the order of ``hyper_names`` (``lr`` first; an on/off option is 0 or
    1). The values are also attributes (``opt.lr``, ``opt.gamma``). Build one with the
    constructors of :mod:`optbook.optimizers` or :func:`~optbook.optimizers.get`.
    """

    __slots__ = ("rule", "form", "code", "hyper", "_form")

    def __init__(self, rule: Rule, form: Form, hyper: np.ndarray):
        self.rule = rule
        self._form = form
        self.form = form.name
        self.code = form.code
        hyper.setflags(write=False)
        self.hyper = hyper

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def hyper_names(self) -> tuple:
        return tuple(h.name for h in self.rule.hypers)

    @property
    def state_names(self) -> tuple:
        """Names of the state rows (``("m", "v")`` for Adam)."""
        return self._form.rows

    @property
    def n_state(self) -> int:
        return len(self._form.rows)

    @property
    def n_scalars(self) -> int:
        return len(self.rule.counters)

    @property
    def lookahead(self) -> bool:
        """Whether the gradient is taken at a look-ahead point (Nesterov's look-ahead form)."""
        return self._form.lookahead

    @property
    def decays(self) -> bool:
        """Whether the kernels must add coupled weight decay (the rule has it, and not 0)."""
        index = self.rule.decay_index
        return index >= 0 and self.hyper[index] != 0.0

    def __getattr__(self, attr):
        rule = object.__getattribute__(self, "rule")
        for k, h in enumerate(rule.hypers):
            if h.name == attr:
                value = object.__getattribute__(self, "hyper")[k]
                return bool(value) if h.boolean else float(value)
        raise AttributeError(f"{rule.name} has no attribute {attr!r}")

    @property
    def params(self) -> dict:
        """The constructor's keyword arguments that rebuild this optimizer."""
        values = {h.name: getattr(self, h.name) for h in self.rule.hypers}
        if len(self.rule.forms) > 1:
            values["form"] = self.form
        return {key: values[key] for key in self.rule.parameters}

    def with_params(self, **changes) -> Optimizer:
        """A validated copy with some parameters changed."""
        unknown = set(changes) - set(self.params)
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {sorted(unknown)} for {self.name}; "
                f"known: {sorted(self.params)}"
            )
        return build(self.rule, {**self.params, **changes})

    def init_state(self, dim: int, dtype=np.float64):
        """A fresh :class:`~optbook.optimizers.state.State` for a vector of ``dim`` coordinates.

        Its rows have ``dtype`` (float32 or float64) and start at 0 except where the rule says
        otherwise (delta-bar-delta's rates start at ``lr``, AdaGrad's sum at
        ``initial_accumulator``); its counters are float64, the step counter at 0 and the
        running products at 1.
        """
        from optbook.optimizers.state import State

        return State.fresh(self, dim, dtype)

    def theory_rate(self, eigenvalues) -> float:
        """The asymptotic linear rate on a quadratic with these Hessian eigenvalues, from
        :mod:`optbook.theory`, or NaN where the rule (or these settings) has none."""
        if self.rule.theory is None:
            return math.nan
        return float(self.rule.theory(self, np.asarray(eigenvalues, dtype=np.float64)))

    def __repr__(self):
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in self.params.items())})"


def build(rule: Rule, arguments: dict) -> Optimizer:
    """An :class:`Optimizer` of ``rule`` from constructor arguments, every one validated."""
    arguments = dict(arguments)
    form = rule.form(arguments.pop("form", None))
    values = {}
    for h in rule.hypers:
        if h.name not in arguments:
            raise ValueError(f"{rule.name} needs {h.name} ({h.label})")
        values[h.name] = h.check(h.name, arguments.pop(h.name))
    if arguments:
        raise ValueError(f"unknown parameter(s) {sorted(arguments)} for {rule.name}; "
                         f"known: {list(rule.parameters)}")
    for h in rule.hypers:
        if h.forms is not None and form.name not in h.forms and values[h.name] != h.default:
            raise ValueError(
                f"{h.name} applies to form {' or '.join(map(repr, h.forms))} of {rule.name} "
                f"only; it must stay {h.default!r} with form={form.name!r}"
            )
    if rule.check is not None:
        rule.check(form.name, values)
    hyper = np.array([float(values[h.name]) for h in rule.hypers], dtype=np.float64)
    return Optimizer(rule, form, hyper)


def make_constructor(rule: Rule):
    """The public constructor of ``rule``: signature from ``rule.parameters`` and the
    hyper-parameters' defaults, docstring ``rule.doc``."""
    defaults = {h.name: h.default for h in rule.hypers}
    defaults["form"] = rule.forms[0].name
    parameters = []
    for name in rule.parameters:
        default = defaults[name]
        parameters.append(inspect.Parameter(
            name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=inspect.Parameter.empty if default is None else default,
        ))
    signature = inspect.Signature(parameters)

    def constructor(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{rule.name}(): {error}") from None
        bound.apply_defaults()
        return build(rule, bound.arguments)

    constructor.__signature__ = signature
    constructor.__name__ = constructor.__qualname__ = rule.name
    constructor.__module__ = "optbook.optimizers"
    constructor.__doc__ = _documented(rule)
    return constructor


def _documented(rule: Rule) -> str:
    """``rule.doc`` followed by its parameters' list, written from the records."""
    lines = [inspect.cleandoc(rule.doc), "", "Parameters (checked, as the registry records them):",
             ""]
    for name in rule.parameters:
        if name == "form":
            options = ", ".join(repr(f.name) for f in rule.forms)
            lines.append(f"* ``form``: one of {options} (default {rule.forms[0].name!r}).")
            continue
        h = rule.hyper(name)
        allowed = "True or False" if h.boolean else f"a real number in {h.check}"
        default = "required" if h.default is None else f"default {h.default!r}"
        only = f"; form {', '.join(map(repr, h.forms))} only" if h.forms else ""
        symbol = f"{h.symbol}, " if h.symbol else ""
        lines.append(f"* ``{name}`` ({symbol}{h.label}): {allowed}; {default}{only}.")
    return "\n".join(lines)
