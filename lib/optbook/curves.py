r"""Objectives of one variable with closed-form derivatives, for Newton's method and line searches.

A :class:`Curve` answers the three questions that :mod:`optbook.newton` and
:mod:`optbook.linesearch` ask of any objective, for a point :math:`x` of shape ``(1,)`` (or a
plain number): ``value(x)`` gives :math:`f(x)`, ``grad(x)`` the array :math:`(f'(x),)` and
``hessian(x)`` the :math:`1\times1` array :math:`(f''(x))`. A 2-D
:class:`~optbook.landscapes.Landscape` answers the same questions, so the same Newton and
line-search code runs on both. Curves are plain Python, not numba: Newton's method takes tens
of steps, not millions.

The curves here are the chapter's examples of how Newton's method behaves away from
quadratics: :func:`poisson_nll` (quadratic convergence with a known constant),
:func:`pseudo_huber` (convex, yet pure Newton diverges from :math:`|x_0| > 1`) and
:func:`axis_slice` (a 1-D slice of a 2-D landscape, such as the two-minima function, where
Newton's method finds maxima as readily as minima).
"""

from __future__ import annotations

import math

import numpy as np

from optbook import landscapes


class Curve:
    r"""A function :math:`f:\mathbb{R}\to\mathbb{R}` with its first three derivatives.

    Attributes
    ----------
    name, latex
        The curve's name and its formula, for captions.
    f, df, d2f
        :math:`f`, :math:`f'` and :math:`f''` as functions of a Python float.
    d3f
        :math:`f'''`, or ``None`` where the curve does not provide it.
    minimizers
        The known minimisers (a tuple of floats), the global one first.
    """

    dim = 1

    def __init__(self, name, latex, f, df, d2f, d3f, minimizers):
        self.name, self.latex = name, latex
        self.f, self.df, self.d2f, self.d3f = f, df, d2f, d3f
        self.minimizers = tuple(float(m) for m in minimizers)

    def __repr__(self):
        return f"Curve({self.name!r}, minimizers={self.minimizers})"

    def _scalar(self, x) -> float:
        a = np.asarray(x, dtype=np.float64)
        if a.size != 1:
            raise ValueError(f"x must be one number or shape (1,) for {self.name}, got {a.shape}")
        return float(a.reshape(-1)[0])

    def value(self, x) -> float:
        """:math:`f(x)`."""
        return float(self.f(self._scalar(x)))

    def grad(self, x) -> np.ndarray:
        """:math:`(f'(x),)`, shape ``(1,)``."""
        return np.array([self.df(self._scalar(x))])

    def hessian(self, x) -> np.ndarray:
        """:math:`(f''(x))`, shape ``(1, 1)``."""
        return np.array([[self.d2f(self._scalar(x))]])

    def third(self, x) -> float:
        """:math:`f'''(x)`; raises ``ValueError`` if the curve has no third derivative."""
        if self.d3f is None:
            raise ValueError(f"{self.name} has no third derivative")
        return float(self.d3f(self._scalar(x)))


def _positive(name, value):
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {value}")
    return value


def _exp(x):
    return math.exp(x) if x < 709.0 else math.inf


def poisson_nll(count=2.0) -> Curve:
    r"""The negative log-likelihood of a Poisson count :math:`y` with log-rate :math:`x`,
    without its constant :math:`\ln y!`:

    .. math:: f(x) = e^x - y\,x, \qquad f'(x) = e^x - y, \qquad f''(x) = f'''(x) = e^x .

    Strictly convex, minimiser :math:`x^* = \ln y` (``count`` :math:`y > 0`). Newton's map is
    :math:`x - 1 + y e^{-x}`, and its error obeys
    :math:`e_{t+1}/e_t^2 \to f'''(x^*)/(2f''(x^*)) = 1/2` (quadratic convergence).
    """
    y = _positive("count", count)
    return Curve(
        name="poisson_nll",
        latex=rf"f(x) = e^x - {y:g}\,x",
        f=lambda x: _exp(x) - y * x,
        df=lambda x: _exp(x) - y,
        d2f=_exp,
        d3f=_exp,
        minimizers=(math.log(y),),
    )


def pseudo_huber(delta=1.0) -> Curve:
    r"""The pseudo-Huber loss :math:`f(x) = \delta^2\big(\sqrt{1 + (x/\delta)^2} - 1\big)`,
    a smooth relative of :math:`\delta|x|`: quadratic near 0, linear far out.

    With :math:`s = \sqrt{1+(x/\delta)^2}`: :math:`f'(x) = x/s`, :math:`f''(x) = s^{-3}`,
    :math:`f'''(x) = -3x/(\delta^2 s^5)`. Convex, minimiser 0, and yet Newton's map is
    :math:`x - f'/f'' = x - x s^2 = -x^3/\delta^2`: pure Newton converges (cubically, as
    :math:`f'''(0) = 0`) from :math:`|x_0| < \delta`, cycles between :math:`\pm\delta` from
    :math:`|x_0| = \delta` and diverges from :math:`|x_0| > \delta`.
    """
    d = _positive("delta", delta)

    def s(x):
        return math.sqrt(1.0 + (x / d) ** 2)

    # delta^2 (s - 1) written as x^2/(1 + s), which keeps its digits where s rounds to 1
    return Curve(
        name="pseudo_huber",
        latex=rf"f(x) = {d * d:g}\big(\sqrt{{1 + (x/{d:g})^2}} - 1\big)",
        f=lambda x: x * x / (1.0 + s(x)),
        df=lambda x: x / s(x),
        d2f=lambda x: s(x) ** -3,
        d3f=lambda x: -3.0 * x / (d * d * s(x) ** 5),
        minimizers=(0.0,),
    )


def axis_slice(landscape, fixed=0.0) -> Curve:
    r"""The slice :math:`g(x) = f(x, c)` of a 2-D landscape along its first coordinate, at the
    second coordinate :math:`c` = ``fixed``: :math:`g'(x) = \partial_1 f(x, c)` and
    :math:`g''(x) = \partial_1^2 f(x, c)`, from the landscape's gradient and Hessian (no third
    derivative). Its minimisers are the landscape's minimisers on the line, in the landscape's
    order: for :func:`~optbook.landscapes.two_minima` and :math:`c = 0`, the deep well first.
    """
    if not isinstance(landscape, landscapes.Landscape) or landscape.dim != 2:
        raise ValueError(f"landscape must be a 2-D optbook Landscape, got {landscape!r}")
    c = float(fixed)
    if not math.isfinite(c):
        raise ValueError(f"fixed must be a finite number, got {fixed}")

    def point(x):
        return np.array([x, c])

    on_line = tuple(float(m[0]) for m in landscape.minimizers if m[1] == c)
    return Curve(
        name=f"{landscape.name}_slice",
        latex=rf"g(x) = f(x, {c:g}),\ {landscape.latex}",
        f=lambda x: landscape.value(point(x)),
        df=lambda x: float(landscape.grad(point(x))[0]),
        d2f=lambda x: float(landscape.hessian(point(x))[0, 0]),
        d3f=None,
        minimizers=on_line,
    )
