r"""Division by a step's constant, correctly rounded, without the divider.

Adam divides every coordinate's :math:`\sqrt v` by the root of its bias correction,
:math:`b = \sqrt{1-\beta_2^t}`, the same number for the whole vector. Divisions and square
roots share one slow unit of the core, and when the vector fits in the caches Adam's step
waits on it (a small network's step: two divisions and a root a coordinate), while
multiplications and fused multiply-adds (one rounding for :math:`ab + c`) run elsewhere, many
at a time. With :math:`y = \mathrm{RN}(1/b)` computed once for the vector, :func:`divide` returns
:math:`\mathrm{RN}(a/b)`, the rounded quotient itself, bit for bit, from one multiplication
and four FMAs, which took a fifth off the Adam step of ``benchmarks/bench_nn.py``'s digits
network (7,510 float64 parameters):

.. math::
    q_0 = \mathrm{RN}(a y),\quad
    r_i = \mathrm{RN}(a - b q_i),\quad
    q_{i+1} = \mathrm{RN}(q_i + r_i y),\quad i = 0, 1.

Why it is exact. Markstein's theorem (P. Markstein, "Computation of elementary functions on
the IBM RISC System/6000 processor", IBM J. Res. Dev. 34(1), 1990; also in Muller et al.,
*Handbook of Floating-Point Arithmetic*, on division with an FMA): in binary floating point of
precision :math:`p` with rounding to nearest, if :math:`y` approximates :math:`1/b` with a
relative error below :math:`2^{-p}` and :math:`q` is a faithful approximation of :math:`a/b`
(one of the two floating-point numbers around it), then :math:`r = a - bq` is exact and
:math:`\mathrm{RN}(q + r y) = \mathrm{RN}(a/b)`, unless something underflows. :math:`y =
\mathrm{RN}(1/b)` meets the first condition. :math:`q_0` may miss the second (it is within
1.5 ulps of :math:`a/b`), but :math:`q_0 + r_0 y = a/b + (q_0 - a/b)(1 - by)` is within
:math:`1.5 \cdot 2^{-p}` ulps of :math:`a/b`, so :math:`q_1` is faithful and the second
correction is the theorem's. Nothing underflows for Adam: :math:`a = \sqrt v` is 0 or at
least :math:`2^{-537}` (float64; :math:`2^{-75}` in float32) and :math:`b \le 1`, so every
quotient is normal and every remainder a multiple of a representable unit. Special values
come out as from a division: :math:`a = \infty` gives :math:`\infty` (the corrections would
make NaN, so :math:`q_0` is returned when they do), NaN gives NaN, and :math:`b = 0` (never
a root of Adam's, as :math:`\beta_2 < 1`) gives :math:`\infty` or NaN as :math:`a/0` does.

``tests/test_quotients.py`` checks the bits against NumPy's division over random operands in
both dtypes, over operands built to put :math:`a/b` next to a rounding boundary, and over the
special values.
"""

from __future__ import annotations

from llvmlite import ir
from numba import njit
from numba.core import cgutils, types
from numba.extending import intrinsic


@intrinsic
def fma(typingctx, a, b, c):
    r""":math:`\mathrm{RN}(ab + c)`, rounded once (LLVM's ``llvm.fma``: one instruction on
    x86-64 cores with FMA3 and on ARM64, a correctly rounded library call on a core without
    one). ``a, b, c`` of one float type."""
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context, builder, signature, args):
        value = args[0].type
        name = "llvm.fma.f64" if a.bitwidth == 64 else "llvm.fma.f32"
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(value, [value, value, value]), name)
        return builder.call(function, args)

    return a(a, b, c), codegen


@intrinsic
def reciprocal(typingctx, b):
    r""":math:`\mathrm{RN}(1/b)` in ``b``'s own float type (a division of the constant 1)."""
    if not isinstance(b, types.Float):
        return None

    def codegen(context, builder, signature, args):
        return builder.fdiv(ir.Constant(args[0].type, 1.0), args[0])

    return b(b), codegen


@njit(cache=True, error_model="numpy", inline="always")
def divide(a, b):
    r""":math:`\mathrm{RN}(a/b)` for ``a, b`` of one float type, by Markstein's corrections (the
    module's docstring gives the conditions). For a ``b`` that stays the same through a loop:
    the reciprocal is loop-invariant, so the compiler computes it once, before the loop, and each
    iteration pays a multiplication and four FMAs; with a ``b`` that changes it would pay a
    division as well."""
    y = reciprocal(b)
    first = a * y
    q = fma(y, fma(-b, first, a), first)
    q = fma(y, fma(-b, q, a), q)
    # Not NaN unless a is infinite (the corrections make inf - inf) or NaN: first is a/b then.
    return q if q == q else first
