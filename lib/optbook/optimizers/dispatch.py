r"""How the kernels reach a rule: compile-time dispatch on the rule's code, from the registry.

The functions ``rule_*`` below are what a kernel calls with a rule's integer code. When the
code is a compile-time constant (a kernel made for one rule captures its code in a closure, and
numba types a captured integer as a literal), numba's ``overload`` mechanism looks the code up
in :data:`~optbook.optimizers.registry.FORMS_BY_CODE` while it types the call, and inserts that
form's jitted function in its place: no branch on the code is left in the compiled loop, and
the list of rules lives in the registry only. An unknown code fails to compile, with the code in
the message (the Python entry points check it first and raise ``ValueError``).

Why not pass the rule's functions themselves to the kernels (as closure variables or
arguments): numba keys its disk cache on a pickle of a closure's variables, and a dispatcher
pickles with a fresh random identifier in every process, so such a kernel would never be found
in the cache again; ``benchmarks/bench_dispatch.py`` measures the alternatives. An integer code
pickles the same everywhere, so each kernel made for one rule compiles once and then loads from
disk in milliseconds.

Jitted code that steps a vector calls :func:`apply_step_rows` and :func:`gradient_point_rows`
with a constant code (a closure variable, as :func:`array_kernels` does); Python code calls the
checked :func:`optbook.optimizers.state.step` and
:func:`optbook.optimizers.state.lookahead`. There is no
entry point taking the code at run time: compiled, it would hold every rule (a chain of tests
on the code) and take minutes to compile for a caller that uses one.
"""

from __future__ import annotations

from numba import njit, types
from numba.core.errors import TypingError
from numba.extending import overload

from optbook.optimizers.registry import FORMS_BY_CODE

VECTOR_ELEMENT_SIZE = 16
"""Vectors of at least this many coordinates are stepped with a form's ``vector_element``
(when it has one; see :class:`~optbook.optimizers.registry.Form`). A network's thousands of
parameters wait on throughput (Adam's step on 7,510: 7.4-7.7 µs with it, 9.5-10.1 µs
without); a 2-D step waits on latency (28.4 ns with it, 24.9 ns without). Between the two,
trajectories of 3 to 64 coordinates measured within this VM's noise either way, so the
crossover is not pinned down more finely than that."""


def _form(code):
    """The ``(rule, form)`` of a literal code type, or a ``TypingError`` naming the problem."""
    if not isinstance(code, types.IntegerLiteral):
        raise TypingError(f"the rule code must be a compile-time constant here, got {code}")
    if code.literal_value not in FORMS_BY_CODE:
        raise TypingError(f"unknown rule code {code.literal_value}; known: "
                          f"{sorted(FORMS_BY_CODE)}")
    return FORMS_BY_CODE[code.literal_value]


# --------------------------------------------------------------------------- one rule's pieces


def rule_advance(code, hyper, t, p1, p2, p3):
    """The counters after one more step of rule ``code`` (its record's ``advance``)."""
    raise NotImplementedError("called from jitted code only")


@overload(rule_advance, prefer_literal=True)
def _rule_advance(code, hyper, t, p1, p2, p3):
    advance = _form(code)[0].advance

    def impl(code, hyper, t, p1, p2, p3):
        return advance(hyper, t, p1, p2, p3)

    return impl


def rule_step_constants(code, hyper, lr, t, p1, p2, p3, like):
    """The constants ``(k0, k1, k2)`` of one step of rule ``code``, in ``like``'s dtype."""
    raise NotImplementedError("called from jitted code only")


@overload(rule_step_constants, prefer_literal=True)
def _rule_step_constants(code, hyper, lr, t, p1, p2, p3, like):
    constants = _form(code)[1].step_constants

    def impl(code, hyper, lr, t, p1, p2, p3, like):
        return constants(hyper, lr, t, p1, p2, p3, like)

    return impl


def rule_hyper_constants(code, hyper, like):
    """The constants rule ``code`` works out from its hyper-parameters, in ``like``'s dtype."""
    raise NotImplementedError("called from jitted code only")


@overload(rule_hyper_constants, prefer_literal=True)
def _rule_hyper_constants(code, hyper, like):
    constants = _form(code)[1].hyper_constants

    def impl(code, hyper, like):
        return constants(hyper, like)

    return impl


def rule_element(code, x, g, a, b, c, k0, k1, k2, h):
    """One coordinate of one step of rule ``code``: ``(x, a, b, c)`` after it."""
    raise NotImplementedError("called from jitted code only")


@overload(rule_element, prefer_literal=True)
def _rule_element(code, x, g, a, b, c, k0, k1, k2, h):
    element = _form(code)[1].element

    def impl(code, x, g, a, b, c, k0, k1, k2, h):
        return element(x, g, a, b, c, k0, k1, k2, h)

    return impl


def rule_point(code, x, a, h):
    """The coordinate of the point where rule ``code`` takes its gradient (``x`` itself except
    for a look-ahead form)."""
    raise NotImplementedError("called from jitted code only")


@overload(rule_point, prefer_literal=True)
def _rule_point(code, x, a, h):
    point = _form(code)[1].point
    if point is None:
        def impl(code, x, a, h):
            return x
    else:
        def impl(code, x, a, h):
            return point(x, a, h)
    return impl


def rule_decay(code, hyper, like):
    """Rule ``code``'s coupled weight decay :math:`\\lambda` in ``like``'s dtype (0 if it has
    none)."""
    raise NotImplementedError("called from jitted code only")


@overload(rule_decay, prefer_literal=True)
def _rule_decay(code, hyper, like):
    index = _form(code)[0].decay_index
    if index < 0:
        def impl(code, hyper, like):
            return like.dtype.type(0.0)
    else:
        def impl(code, hyper, like):
            return like.dtype.type(hyper[index])
    return impl


def decayed(code, decay, g, x, a, h, weight_decay):
    """The gradient ``g`` plus coupled weight decay at the gradient point of rule ``code``
    (``decay`` a compile-time 0 or 1: with 0, ``g`` itself)."""
    raise NotImplementedError("called from jitted code only")


@overload(decayed, prefer_literal=True)
def _decayed(code, decay, g, x, a, h, weight_decay):
    _form(code)
    if not isinstance(decay, types.IntegerLiteral):
        raise TypingError(f"decay must be a compile-time 0 or 1, got {decay}")
    if decay.literal_value:
        def impl(code, decay, g, x, a, h, weight_decay):
            return g + weight_decay * rule_point(code, x, a, h)
    else:
        def impl(code, decay, g, x, a, h, weight_decay):
            return g
    return impl


def element_loop(code, decay, x, g, s0, s1, s2, k0, k1, k2, h, weight_decay):
    """Apply rule ``code``'s element to every coordinate of ``x``, in place; ``s0, s1, s2`` are
    its state rows (rows the rule lacks may be any array: they are not touched). ``decay`` (a
    compile-time 0 or 1) adds coupled weight decay to each gradient component first; ``g``
    itself is not changed."""
    raise NotImplementedError("called from jitted code only")


@overload(element_loop, prefer_literal=True)
def _element_loop(code, decay, x, g, s0, s1, s2, k0, k1, k2, h, weight_decay):
    form = _form(code)[1]
    loop = _coordinate_loop(form.element, len(form.rows))
    if form.vector_element is None:
        def impl(code, decay, x, g, s0, s1, s2, k0, k1, k2, h, weight_decay):
            loop(code, decay, x, g, s0, s1, s2, k0, k1, k2, h, weight_decay)

        return impl
    vector_loop = _coordinate_loop(form.vector_element, len(form.rows))

    def impl(code, decay, x, g, s0, s1, s2, k0, k1, k2, h, weight_decay):
        if x.size >= VECTOR_ELEMENT_SIZE:
            vector_loop(code, decay, x, g, s0, s1, s2, k0, k1, k2, h, weight_decay)
        else:
            loop(code, decay, x, g, s0, s1, s2, k0, k1, k2, h, weight_decay)

    return impl


def _coordinate_loop(element, rows):
    """The jitted loop of ``element`` over the coordinates, for a form with ``rows`` rows."""
    # one loop per number of rows, so no loop reads or writes a row the rule does not have
    if rows == 0:
        def loop(code, decay, x, g, s0, s1, s2, k0, k1, k2, h, weight_decay):
            zero = x.dtype.type(0.0)
            for i in range(x.size):
                gi = decayed(code, decay, g[i], x[i], zero, h, weight_decay)
                x[i], _, _, _ = element(x[i], gi, zero, zero, zero, k0, k1, k2, h)
    elif rows == 1:
        def loop(code, decay, x, g, s0, s1, s2, k0, k1, k2, h, weight_decay):
            zero = x.dtype.type(0.0)
            for i in range(x.size):
                gi = decayed(code, decay, g[i], x[i], s0[i], h, weight_decay)
                x[i], s0[i], _, _ = element(x[i], gi, s0[i], zero, zero, k0, k1, k2, h)
    elif rows == 2:
        def loop(code, decay, x, g, s0, s1, s2, k0, k1, k2, h, weight_decay):
            zero = x.dtype.type(0.0)
            for i in range(x.size):
                gi = decayed(code, decay, g[i], x[i], s0[i], h, weight_decay)
                x[i], s0[i], s1[i], _ = element(x[i], gi, s0[i], s1[i], zero, k0, k1, k2, h)
    else:
        def loop(code, decay, x, g, s0, s1, s2, k0, k1, k2, h, weight_decay):
            for i in range(x.size):
                gi = decayed(code, decay, g[i], x[i], s0[i], h, weight_decay)
                x[i], s0[i], s1[i], s2[i] = element(x[i], gi, s0[i], s1[i], s2[i], k0, k1,
                                                    k2, h)
    return njit(error_model="numpy", inline="always")(loop)


# --------------------------------------------------------------------------- array steps


@njit(cache=True, inline="always")
def state_rows(state, x):
    """The first three rows of ``state``, with ``x`` standing in for rows a rule does not have."""
    n = state.shape[0]
    return (state[0] if n > 0 else x), (state[1] if n > 1 else x), (state[2] if n > 2 else x)


@njit(cache=True, inline="always")
def counters(scalars):
    """``(t, p1, p2, p3)`` from a rule's counters; products it does not keep are 1."""
    n = scalars.size
    return (scalars[0], scalars[1] if n > 1 else 1.0, scalars[2] if n > 2 else 1.0,
            scalars[3] if n > 3 else 1.0)


@njit(cache=True, inline="always")
def store_counters(scalars, t, p1, p2, p3):
    """Write the counters a rule keeps back into ``scalars``."""
    n = scalars.size
    scalars[0] = t
    if n > 1:
        scalars[1] = p1
    if n > 2:
        scalars[2] = p2
    if n > 3:
        scalars[3] = p3


@njit(cache=True, error_model="numpy", inline="always")
def apply_step_rows(code, decay, hyper, lr, x, g, s0, s1, s2, scalars):
    """One step of rule ``code`` (a compile-time constant) on the vector ``x``, in place.

    ``g`` is the gradient at the point :func:`gradient_point_rows` gives, ``lr`` the step's
    scheduled rate, ``s0, s1, s2`` the state rows (see :func:`element_loop`) and ``scalars``
    the rule's counters (the step counter first: 1 after the first step). ``decay`` (a
    compile-time 0 or 1; numba keeps integers, not booleans, as constants through calls) says
    whether the rule's coupled weight decay is on. Hot loops take the
    rows once, outside the loop: slicing a row inside it would make a reference-counted view
    every step.
    """
    t, p1, p2, p3 = counters(scalars)
    t, p1, p2, p3 = rule_advance(code, hyper, t, p1, p2, p3)
    store_counters(scalars, t, p1, p2, p3)
    k0, k1, k2 = rule_step_constants(code, hyper, lr, t, p1, p2, p3, x)
    element_loop(code, decay, x, g, s0, s1, s2, k0, k1, k2, rule_hyper_constants(code, hyper, x),
                 rule_decay(code, hyper, x))


@njit(cache=True, error_model="numpy", inline="always")
def gradient_point_rows(code, hyper, x, s0, out):
    """Write into ``out`` where rule ``code`` (a compile-time constant) takes the gradient of
    its next step: ``x`` itself, or Nesterov's look-ahead point :math:`x - \\gamma v`."""
    h = rule_hyper_constants(code, hyper, x)
    for i in range(x.size):
        out[i] = rule_point(code, x[i], s0[i], h)


@njit(cache=True, error_model="numpy", inline="always")
def step_constants_block(code, hyper, lrs, n, t, p1, p2, p3, products, table):
    r"""The step constants of the next ``n`` steps of rule ``code``, for the 2-D kernels.

    ``lrs[:n]`` holds the steps' scheduled rates and ``t, p1, p2, p3`` the counters before
    them; ``products[:4, j]`` receives the counters after step ``j`` and ``table[:3, j]`` its
    constants; returns the counters after the ``n`` steps.

    Why a table: a 2-D Adam step already spends its time waiting on the one division and square
    root unit (two divisions and a square root per coordinate on the chain from :math:`x_t` to
    :math:`x_{t+1}`). Worked out inside the loop, the bias corrections' division and square
    root queue there too and delay the chain. Here the counters come first (a chain of
    multiplications), then the constants in a separate loop whose steps are independent, which
    LLVM vectorises (four steps per instruction).
    """
    for j in range(n):
        t, p1, p2, p3 = rule_advance(code, hyper, t, p1, p2, p3)
        products[0, j] = t
        products[1, j] = p1
        products[2, j] = p2
        products[3, j] = p3
    for j in range(n):
        table[0, j], table[1, j], table[2, j] = rule_step_constants(
            code, hyper, lrs[j], products[0, j], products[1, j], products[2, j],
            products[3, j], table,
        )
    return t, p1, p2, p3


_ARRAY_KERNELS = {}


def array_kernels(code: int, decay: bool = False):
    """The jitted ``(step, point)`` pair of rule ``code`` for vectors of any length, with its
    coupled weight decay compiled in when ``decay``.

    ``step(hyper, lr, x, g, rows, scalars)`` applies one step in place;
    ``point(hyper, x, rows, out)`` writes the gradient point into ``out``. Made on first use
    and cached on disk per code, so a process compiles only the rules it runs.
    """
    key = (int(code), int(bool(decay)))
    if key not in _ARRAY_KERNELS:
        _ARRAY_KERNELS[key] = _make_array_kernels(*key)
    return _ARRAY_KERNELS[key]


def _make_array_kernels(code, decay):
    @njit(cache=True, error_model="numpy")
    def step(hyper, lr, x, g, rows, scalars):
        s0, s1, s2 = state_rows(rows, x)
        apply_step_rows(code, decay, hyper, lr, x, g, s0, s1, s2, scalars)

    @njit(cache=True, error_model="numpy")
    def point(hyper, x, rows, out):
        gradient_point_rows(code, hyper, x, state_rows(rows, x)[0], out)

    return step, point
