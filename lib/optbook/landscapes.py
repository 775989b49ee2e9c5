r"""Objective functions ("landscapes") for the optimizers to walk on.

Each landscape is a :class:`Landscape`: a name, an integer ``code`` and a float64 ``params``
array that together describe the function to numba, plus what the book needs around it
(minimisers, minimum value, plot window, a LaTeX formula, a suggested start).

The formulas live in the jitted kernels :func:`value_and_grad_2d` (every 2-D formula, on
scalars), :func:`value_and_grad` (arrays; the quadratic and the plane in any dimension, the
rest through :func:`value_and_grad_2d`) and :func:`hessian_into`; the Python methods
(:meth:`Landscape.value`, :meth:`Landscape.grad`, :meth:`Landscape.hessian`,
:meth:`Landscape.value_grid`) call them.

numba mechanism
---------------
A landscape reaches the trajectory kernels as ``(code, params)``. ``value_and_grad`` branches
on the integer code with an ``if``/``elif`` chain; one compiled specialisation per dtype of ``x``
serves every landscape, cached on disk (``cache=True``). The 2-D kernels of
:mod:`optbook.kernels2d` call :func:`value_and_grad_2d` with the code fixed at compile time, so
only that landscape's formula is left in their loop. Why codes and not jitted functions passed
as arguments: see :mod:`optbook.optimizers`.

Both functions are inlined into their callers at numba-IR level (``inline="always"``): left as
a call, LLVM does not inline the whole chain, and a step of GD on a 2-D quadratic cost about
45 ns instead of about 25 ns (measured on the 2-core build machine, under load, with the
array kernel).

Codes and parameter layouts (``n`` is the dimension, ``A`` row-major):

=====================  ====  ===========================================================
landscape              code  ``params``
=====================  ====  ===========================================================
quadratic, ravine      0     ``[f0, c_1..c_n, A_11, A_12, .., A_nn]``
Rosenbrock             1     ``[a, b]``
two minima (Barra)     2     ``[a_1, c_1, a_2, c_2, s]`` (wells of depth a_i at (c_i, 0))
saddle                 3     ``[]``
plateau                4     ``[N, u_1..u_N, t_1..t_N]`` (inputs u, targets t)
plane                  5     ``[s_1..s_n]`` (the slope)
a reader's own         6     ``[]`` (the functions are :attr:`Landscape.objective`)
cliff                  7     ``[h, k_c, c]`` (height, signed steepness, the edge)
=====================  ====  ===========================================================

A reader's own objective
------------------------
:func:`custom` makes a landscape from a function and its gradient. A numba-jitted pair runs at
full speed: the kernels compile it in (``inline="always"``) where a built-in formula would be,
as :mod:`optbook.kernels2d` explains. A plain Python pair works too, through a Python loop
that is much slower, and says so with a :class:`SlowObjectiveWarning`.
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from numba import njit
from numba.core.dispatcher import Dispatcher

QUADRATIC = 0
ROSENBROCK = 1
TWO_MINIMA = 2
SADDLE = 3
PLATEAU = 4
PLANE = 5
CUSTOM = 6
CLIFF = 7


# --------------------------------------------------------------------------- kernels


@njit(cache=True)
def _sigmoid(z):
    """Logistic function :math:`\\sigma(z) = 1/(1+e^{-z})`, without overflow for large |z|."""
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@njit(cache=True, inline="always")
def value_and_grad_2d(code, params, x0, x1):
    r"""Return :math:`(f, \partial_1 f, \partial_2 f)` at the float64 point :math:`(x_0, x_1)`.

    The formulas of the 2-D landscapes, on scalars: the 2-D trajectory kernels keep the point
    in registers, and :func:`value_and_grad` calls this for every landscape that is 2-D only.
    The quadratic and the plane, which have any dimension, are written here for two
    coordinates with the same operations in the same order as :func:`value_and_grad`'s loops,
    so both give the same bits (tested).
    """
    if code == QUADRATIC:
        # f = f0 + 1/2 (x-c)^T A (x-c),  grad = A (x-c)
        d0 = x0 - params[1]
        d1 = x1 - params[2]
        g0 = params[3] * d0 + params[4] * d1
        g1 = params[5] * d0 + params[6] * d1
        return params[0] + 0.5 * (d0 * g0 + d1 * g1), g0, g1
    elif code == ROSENBROCK:
        # f = (a-x)^2 + b (y-x^2)^2
        a = params[0]
        b = params[1]
        r = x1 - x0 * x0
        return (a - x0) ** 2 + b * r * r, -2.0 * (a - x0) - 4.0 * b * x0 * r, 2.0 * b * r
    elif code == TWO_MINIMA:
        # f = -a1 exp(-((x-c1)^2+y^2)/s) - a2 exp(-((x-c2)^2+y^2)/s) + x^2 + y^2
        s = params[4]
        d1 = x0 - params[1]
        d2 = x0 - params[3]
        e1 = params[0] * math.exp(-(d1 * d1 + x1 * x1) / s)
        e2 = params[2] * math.exp(-(d2 * d2 + x1 * x1) / s)
        return (
            -e1 - e2 + x0 * x0 + x1 * x1,
            2.0 * (e1 * d1 + e2 * d2) / s + 2.0 * x0,
            2.0 * (e1 + e2) * x1 / s + 2.0 * x1,
        )
    elif code == SADDLE:
        return x0 * x0 - x1 * x1, 2.0 * x0, -2.0 * x1
    elif code == PLANE:
        # f = s^T x, grad = s: the same slope everywhere
        return params[0] * x0 + params[1] * x1, params[0], params[1]
    elif code == PLATEAU:
        # f = 1/(2N) sum_i (sigma(w u_i + b) - t_i)^2  with x = (w, b)
        n = int(params[0])
        f = 0.0
        gw = 0.0
        gb = 0.0
        for i in range(n):
            u = params[1 + i]
            p = _sigmoid(x0 * u + x1)
            r = p - params[1 + n + i]
            rd = r * p * (1.0 - p)
            f += r * r
            gw += rd * u
            gb += rd
        return 0.5 * f / n, gw / n, gb / n
    elif code == CLIFF:
        # f = (x^2 + y^2)/2 + h sigma(k (x - c)),  d/dx sigma(k (x-c)) = k s (1 - s)
        h = params[0]
        k = params[1]
        s = _sigmoid(k * (x0 - params[2]))
        return 0.5 * (x0 * x0 + x1 * x1) + h * s, x0 + h * k * s * (1.0 - s), x1
    raise ValueError("unknown landscape code")


@njit(cache=True, inline="always")
def value_and_grad(code, params, x, g):
    r"""Return :math:`f(x)` (float64) and write :math:`\nabla f(x)` into ``g``.

    ``x`` and ``g`` are 1-D arrays of the same dtype (float32 or float64); the arithmetic is
    float64 and the gradient is rounded to ``g``'s dtype on store. ``code`` and ``params`` come
    from a :class:`Landscape`. Nothing is allocated. Sums start from their first term (not from
    0.0, which would add a rounding-free but not free operation to every gradient).
    """
    n = x.shape[0]
    if code == QUADRATIC:
        # f = f0 + 1/2 (x-c)^T A (x-c),  grad = A (x-c)
        quad = 0.0
        for i in range(n):
            gi = params[1 + n + i * n] * (x[0] - params[1])
            for j in range(1, n):
                gi += params[1 + n + i * n + j] * (x[j] - params[1 + j])
            g[i] = gi
            term = (x[i] - params[1 + i]) * gi
            quad = term if i == 0 else quad + term
        return params[0] + 0.5 * quad
    elif code == PLANE:
        f = params[0] * np.float64(x[0])
        g[0] = params[0]
        for i in range(1, n):
            g[i] = params[i]
            f += params[i] * np.float64(x[i])
        return f
    f, g0, g1 = value_and_grad_2d(code, params, np.float64(x[0]), np.float64(x[1]))
    g[0] = g0
    g[1] = g1
    return f


@njit(cache=True)
def hessian_into(code, params, x, h):
    r"""Write the Hessian :math:`\nabla^2 f(x)` into the float64 ``(n, n)`` array ``h``."""
    n = x.shape[0]
    if code == QUADRATIC:
        for i in range(n):
            for j in range(n):
                h[i, j] = params[1 + n + i * n + j]
    elif code == ROSENBROCK:
        b = params[1]
        x0 = x[0]
        h[0, 0] = 2.0 - 4.0 * b * (x[1] - x0 * x0) + 8.0 * b * x0 * x0
        h[0, 1] = -4.0 * b * x0
        h[1, 0] = h[0, 1]
        h[1, 1] = 2.0 * b
    elif code == TWO_MINIMA:
        s = params[4]
        h[0, 0] = 2.0
        h[0, 1] = 0.0
        h[1, 1] = 2.0
        for k in range(2):
            d = x[0] - params[1 + 2 * k]
            e = params[2 * k] * math.exp(-(d * d + x[1] * x[1]) / s)
            h[0, 0] += e * (2.0 / s - 4.0 * d * d / (s * s))
            h[0, 1] -= e * 4.0 * d * x[1] / (s * s)
            h[1, 1] += e * (2.0 / s - 4.0 * x[1] * x[1] / (s * s))
        h[1, 0] = h[0, 1]
    elif code == SADDLE:
        h[0, 0] = 2.0
        h[0, 1] = 0.0
        h[1, 0] = 0.0
        h[1, 1] = -2.0
    elif code == PLANE:
        h[:, :] = 0.0
    elif code == PLATEAU:
        # (1/N) sum_i (sigma'^2 + r sigma'') phi phi^T,  phi = (u_i, 1)
        m = int(params[0])
        hww = 0.0
        hwb = 0.0
        hbb = 0.0
        for i in range(m):
            u = params[1 + i]
            p = _sigmoid(x[0] * u + x[1])
            d1 = p * (1.0 - p)
            c = d1 * d1 + (p - params[1 + m + i]) * d1 * (1.0 - 2.0 * p)
            hww += c * u * u
            hwb += c * u
            hbb += c
        h[0, 0] = hww / m
        h[0, 1] = hwb / m
        h[1, 0] = hwb / m
        h[1, 1] = hbb / m
    elif code == CLIFF:
        # d2/dx2 sigma(k (x-c)) = k^2 s (1-s) (1-2s)
        k = params[1]
        s = _sigmoid(k * (x[0] - params[2]))
        h[0, 0] = 1.0 + params[0] * k * k * s * (1.0 - s) * (1.0 - 2.0 * s)
        h[0, 1] = 0.0
        h[1, 0] = 0.0
        h[1, 1] = 1.0
    else:
        raise ValueError("unknown landscape code")


@njit(cache=True)
def _value_grid(code, params, xs, ys, out):
    """Evaluate f at the points (xs[k], ys[k]) of two flat arrays into ``out``."""
    p = np.empty(2)
    g = np.empty(2)
    for k in range(xs.shape[0]):
        p[0] = xs[k]
        p[1] = ys[k]
        out[k] = value_and_grad(code, params, p, g)


# --------------------------------------------------------------------------- class


def _readonly(a):
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Landscape:
    r"""An objective :math:`f:\mathbb{R}^n\to\mathbb{R}` with what the book needs around it.

    Attributes
    ----------
    name, code, params
        The landscape's name and its numba description (see the module docstring).
    dim
        Dimension :math:`n` of :math:`x`.
    minimizers
        ``(k, dim)`` array of minimisers, the global one first (empty for the saddle).
    min_value
        Global minimum value (``-inf`` for the saddle, which is unbounded below).
    window
        ``((x0, x1), (y0, y1))``, a plot window holding the minimisers and ``start`` (2-D only,
        else ``None``).
    latex
        The formula, for captions.
    start
        A suggested start point (from the lectures, or chosen to show the landscape's feature,
        as each constructor documents), or ``None``.
    objective
        For a reader's landscape (:func:`custom`): the pair ``(value, grad)`` the kernels
        compile in (jitted, ``inline="always"``), else ``None``.
    functions
        For a reader's landscape: the pair of functions as the reader gave them, which the
        Python methods call; ``None`` for a built-in one.
    """

    name: str
    code: int
    params: np.ndarray
    dim: int
    minimizers: np.ndarray
    min_value: float
    window: tuple | None
    latex: str
    start: np.ndarray | None = None
    objective: tuple | None = None
    functions: tuple | None = None

    @property
    def jitted(self) -> bool:
        """Whether the kernels run this landscape compiled (every built-in one, and a reader's
        numba-jitted pair); ``False`` for a plain Python pair."""
        return self.code != CUSTOM or self.objective is not None

    def _point(self, x):
        x = np.asarray(x, dtype=np.float64)
        if x.shape != (self.dim,):
            raise ValueError(f"x must have shape ({self.dim},) for {self.name}, got {x.shape}")
        return x

    def value(self, x) -> float:
        """:math:`f(x)`."""
        x = self._point(x)
        if self.code == CUSTOM:
            return float(self.functions[0](_as_argument(x)))
        return float(value_and_grad(self.code, self.params, x, np.empty_like(x)))

    def grad(self, x) -> np.ndarray:
        r""":math:`\nabla f(x)` (float64)."""
        x = self._point(x)
        if self.code == CUSTOM:
            return np.array(self.functions[1](_as_argument(x)), dtype=np.float64)
        g = np.empty_like(x)
        value_and_grad(self.code, self.params, x, g)
        return g

    def hessian(self, x) -> np.ndarray:
        r""":math:`\nabla^2 f(x)`, a ``(dim, dim)`` float64 array (closed form; a reader's
        landscape has none)."""
        x = self._point(x)
        if self.code == CUSTOM:
            raise ValueError(f"{self.name} is a reader's landscape: it has no Hessian")
        h = np.empty((self.dim, self.dim))
        hessian_into(self.code, self.params, x, h)
        return h

    def value_grid(self, X, Y) -> np.ndarray:
        """:math:`f` on a grid ``X``, ``Y`` of equal shape (as from ``np.meshgrid``); 2-D only."""
        if self.dim != 2:
            raise ValueError(f"value_grid needs a 2-D landscape, {self.name} has dim={self.dim}")
        X = np.asarray(X, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
        if X.shape != Y.shape:
            raise ValueError(f"X and Y must have the same shape, got {X.shape} and {Y.shape}")
        if self.code == CUSTOM:
            value = self.functions[0]
            out = np.array([value((x, y)) for x, y in zip(X.ravel(), Y.ravel(), strict=True)],
                           dtype=np.float64)
            return out.reshape(X.shape)
        out = np.empty(X.size)
        _value_grid(self.code, self.params, X.ravel(), Y.ravel(), out)
        return out.reshape(X.shape)

    def nearest_minimizer(self, x) -> np.ndarray:
        """The row of ``minimizers`` closest (Euclidean) to ``x``."""
        x = self._point(x)
        if len(self.minimizers) == 0:
            raise ValueError(f"{self.name} has no minimizer")
        k = np.argmin(np.linalg.norm(self.minimizers - x, axis=1))
        return self.minimizers[k].copy()

    @cached_property
    def eigenvalues(self) -> np.ndarray:
        """Ascending eigenvalues of the Hessian at the global minimiser (for the saddle, at its
        stationary point 0). For a quadratic the Hessian is constant: these are its eigenvalues."""
        at = self.minimizers[0] if len(self.minimizers) else np.zeros(self.dim)
        return np.linalg.eigvalsh(self.hessian(at))

    @cached_property
    def condition_number(self) -> float:
        r""":math:`\kappa = \lambda_{\max}/\lambda_{\min}` of :attr:`eigenvalues`; ``inf`` when
        the Hessian there is not positive definite."""
        lam = self.eigenvalues
        return float(lam[-1] / lam[0]) if lam[0] > 0 else math.inf


# --------------------------------------------------------------------------- helpers


def _newton_polish(code, params, seed, max_iter=50):
    r"""Newton's method :math:`x \leftarrow x - H(x)^{-1}\nabla f(x)` from ``seed`` until the
    step stops shrinking the gradient; used where a minimiser has no closed form. Raises
    ``RuntimeError`` unless it ends at a point with a tiny gradient and a positive definite
    Hessian (a strict local minimum)."""
    x = np.array(seed, dtype=np.float64)
    g = np.empty_like(x)
    h = np.empty((x.size, x.size))
    for _ in range(max_iter):
        value_and_grad(code, params, x, g)
        hessian_into(code, params, x, h)
        x = x - np.linalg.solve(h, g)
    value_and_grad(code, params, x, g)
    hessian_into(code, params, x, h)
    if np.linalg.norm(g) > 1e-12 or np.linalg.eigvalsh(h)[0] <= 0:
        raise RuntimeError(f"Newton polish from {seed} did not reach a strict minimum")
    return x


def _finite(name, value):
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real) \
            or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return float(value)


def _rotation(angle, n):
    r = np.eye(n)
    c, s = math.cos(angle), math.sin(angle)
    r[:2, :2] = [[c, -s], [s, c]]
    return r


def _quadratic_landscape(name, hess, center, f0, window, latex, start):
    """A landscape f = f0 + 1/2 (x-c)^T H (x-c) on the shared quadratic kernel."""
    n = len(center)
    params = np.concatenate([[f0], center, hess.ravel()])
    return Landscape(
        name=name,
        code=QUADRATIC,
        params=_readonly(params),
        dim=n,
        minimizers=_readonly(center.reshape(1, n)),
        min_value=float(f0),
        window=window,
        latex=latex,
        start=None if start is None else _readonly(start),
    )


# --------------------------------------------------------------------------- constructors


def quadratic(eigenvalues, angle=0.0, center=None) -> Landscape:
    r"""Quadratic :math:`f(x) = \tfrac12 (x-c)^\top A (x-c)` with chosen eigenvalues,
    :math:`A = R\,\mathrm{diag}(\lambda)R^\top`.

    :math:`R` rotates by ``angle`` (radians) in the plane of the first two coordinates, so the
    eigenvectors of :math:`A` for :math:`\lambda_1, \lambda_2` are
    :math:`(\cos\theta, \sin\theta)` and :math:`(-\sin\theta, \cos\theta)`. Any dimension
    :math:`n \ge 1` (``angle`` must be 0 when :math:`n = 1`). All eigenvalues must be positive
    (use :func:`saddle` for an indefinite one). The minimiser is :math:`c` (default 0), the
    minimum 0. Window (2-D): the square :math:`c \pm 6`; start (2-D):
    :math:`c + R\,(4, 0.5)`, the start of the DD2424 lecture's experiments, in eigen-coordinates.
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    if lam.ndim > 1:
        raise ValueError(
            f"eigenvalues must be a flat sequence of numbers (the Hessian's eigenvalues), got "
            f"an array of shape {lam.shape}"
        )
    lam = lam.ravel()
    if lam.size == 0 or not np.all(np.isfinite(lam)) or np.any(lam <= 0):
        raise ValueError(f"eigenvalues must be finite and > 0 (at least one), got {lam}")
    n = lam.size
    angle = _finite("angle", angle)
    if n == 1 and angle != 0.0:
        raise ValueError(f"angle must be 0 for a 1-D quadratic, got {angle}")
    c = np.zeros(n) if center is None else np.asarray(center, dtype=np.float64).ravel()
    if c.shape != (n,) or not np.all(np.isfinite(c)):
        raise ValueError(f"center must be {n} finite numbers (one per eigenvalue), got {center}")
    r = _rotation(angle, n) if n >= 2 else np.eye(1)
    hess = r @ np.diag(lam) @ r.T
    hess = 0.5 * (hess + hess.T)
    window = start = None
    if n == 2:
        window = ((c[0] - 6.0, c[0] + 6.0), (c[1] - 6.0, c[1] + 6.0))
        start = c + r @ np.array([4.0, 0.5])
    lams = ", ".join(f"{v:g}" for v in lam)
    latex = (
        rf"f(x) = \frac{{1}}{{2}} (x-c)^\top R\,\mathrm{{diag}}({lams})\,R^\top (x-c),"
        rf"\ \theta = {angle:g}"
    )
    return _quadratic_landscape("quadratic", hess, c, 0.0, window, latex, start)


def conditioned_quadratic(kappa, lam_min=1.0, angle=0.0) -> Landscape:
    r"""2-D quadratic with eigenvalues :math:`\lambda_{\min}` and :math:`\kappa\lambda_{\min}`,
    so the condition number is :math:`\kappa \ge 1`; see :func:`quadratic`."""
    kappa = _finite("kappa", kappa)
    if kappa < 1:
        raise ValueError(f"kappa must be >= 1, got {kappa}")
    lam_min = _finite("lam_min", lam_min)
    if lam_min <= 0:
        raise ValueError(f"lam_min must be > 0, got {lam_min}")
    q = quadratic([lam_min, kappa * lam_min], angle=angle)
    return replace(q, name="conditioned_quadratic")


def lecture_quadratic(a2) -> Landscape:
    r"""The lectures' :math:`f(x) = x_1^2 + a_2 x_2^2`, i.e. :math:`A = \mathrm{diag}(2, 2a_2)`.

    DD2424 runs GD on :math:`a_2 = 1, 10, 50` from :math:`(4, 0.5)`; EE 628 takes one step on
    :math:`a_2 = 2` from :math:`(-5, -2)`, which is therefore this landscape's start for
    :math:`a_2 = 2` (otherwise :math:`(4, 0.5)`). Any :math:`a_2 > 0` is allowed.
    """
    a2 = _finite("a2", a2)
    if a2 <= 0:
        raise ValueError(f"a2 must be > 0, got {a2}")
    start = np.array([-5.0, -2.0]) if a2 == 2 else np.array([4.0, 0.5])
    latex = rf"f(x) = x_1^2 + {a2:g}\,x_2^2"
    return _quadratic_landscape(
        "lecture_quadratic",
        np.diag([2.0, 2.0 * a2]),
        np.zeros(2),
        0.0,
        ((-6.0, 6.0), (-6.0, 6.0)),
        latex,
        start,
    )


def rosenbrock(a=1.0, b=100.0) -> Landscape:
    r"""Rosenbrock's valley :math:`f(x, y) = (a - x)^2 + b\,(y - x^2)^2`, :math:`b > 0`.

    Minimiser :math:`(a, a^2)`, minimum 0 (H. H. Rosenbrock, *Comput. J.* 3, 1960; DD2424 uses
    :math:`a=1, b=100`). Start :math:`(-1.2, 1)`, Rosenbrock's own.
    """
    a = _finite("a", a)
    b = _finite("b", b)
    if b <= 0:
        raise ValueError(f"b must be > 0, got {b}")
    sx, sy = max(1.0, abs(a)), max(1.0, a * a)
    return Landscape(
        name="rosenbrock",
        code=ROSENBROCK,
        params=_readonly([a, b]),
        dim=2,
        minimizers=_readonly([[a, a * a]]),
        min_value=0.0,
        window=((-2.0 * sx, 2.0 * sx), (-1.0 * sy, 3.0 * sy)),
        latex=rf"f(x, y) = ({a:g} - x)^2 + {b:g}\,(y - x^2)^2",
        start=_readonly([-1.2, 1.0]),
    )


def two_minima() -> Landscape:
    r"""The two-minima function of the Barra lecture,

    .. math:: z = -2e^{-((x-1)^2+y^2)/0.2} - 6e^{-((x+1)^2+y^2)/0.2} + x^2 + y^2 .

    A deep well near :math:`(-1, 0)` (global minimum) and a shallow one near :math:`(1, 0)`
    (local). The minimisers have no closed form: they are found by Newton's method from the
    seeds :math:`(\mp 1, 0)` (a few Newton steps), global first. Start :math:`(1.5, 0.5)`
    lies in the shallow well's basin, where plain GD settles in the local minimum.
    """
    params = _readonly([2.0, 1.0, 6.0, -1.0, 0.2])
    mins = np.array([_newton_polish(TWO_MINIMA, params, seed) for seed in ([-1.0, 0], [1.0, 0])])
    g = np.empty(2)
    return Landscape(
        name="two_minima",
        code=TWO_MINIMA,
        params=params,
        dim=2,
        minimizers=_readonly(mins),
        min_value=float(value_and_grad(TWO_MINIMA, params, mins[0], g)),
        window=((-2.0, 2.0), (-1.5, 1.5)),
        latex=r"z = -2e^{-((x-1)^2+y^2)/0.2} - 6e^{-((x+1)^2+y^2)/0.2} + x^2 + y^2",
        start=_readonly([1.5, 0.5]),
    )


def saddle() -> Landscape:
    r"""The saddle :math:`f(x, y) = x^2 - y^2`: a stationary point at 0 that is no minimum,
    unbounded below (``min_value = -inf``, no minimisers). Start :math:`(1.5, 0.01)`, close to
    the attracting axis, so GD first slows down near the saddle and then escapes along y."""
    return Landscape(
        name="saddle",
        code=SADDLE,
        params=_readonly([]),
        dim=2,
        minimizers=_readonly(np.zeros((0, 2))),
        min_value=-math.inf,
        window=((-2.0, 2.0), (-2.0, 2.0)),
        latex=r"f(x, y) = x^2 - y^2",
        start=_readonly([1.5, 0.01]),
    )


def plane(slope) -> Landscape:
    r"""The plane :math:`f(x) = s^\top x`, whose gradient is the slope :math:`s` everywhere.

    Unbounded below (``min_value = -inf``, no minimisers): the landscape on which a heavy ball
    reaches its terminal velocity :math:`\eta s/(1-\gamma)` (CSC321's hockey puck). Any
    dimension; the start is the origin.
    """
    slope = np.asarray(slope, dtype=np.float64).ravel()
    if slope.size == 0 or not np.all(np.isfinite(slope)):
        raise ValueError(f"slope must be a non-empty vector of finite numbers, got {slope!r}")
    dim = slope.size
    return Landscape(
        name="plane",
        code=PLANE,
        params=_readonly(slope),
        dim=dim,
        minimizers=_readonly(np.zeros((0, dim))),
        min_value=-math.inf,
        window=((-2.0, 2.0), (-2.0, 2.0)),
        latex=r"f(x) = s^\top x",
        start=_readonly(np.zeros(dim)),
    )


#: Inputs :math:`u_i` of the plateau's data set.
PLATEAU_INPUTS = (-2.0, -1.0, 0.0, 1.0, 2.0)
#: The logistic unit :math:`(w, b)` whose outputs are the plateau's targets.
PLATEAU_TRUTH = (1.5, -0.5)


def plateau() -> Landscape:
    r"""A saturated logistic unit: least squares in its weight and bias :math:`x = (w, b)`,

    .. math:: f(w, b) = \frac{1}{2N}\sum_{i=1}^{N} \big(\sigma(w u_i + b) - t_i\big)^2,
       \qquad \sigma(z) = \frac{1}{1+e^{-z}},

    on the five inputs :math:`u = (-2, -1, 0, 1, 2)` with targets
    :math:`t_i = \sigma(1.5\,u_i - 0.5)`. The targets are realisable, so the global minimiser
    is :math:`(1.5, -0.5)` exactly, with :math:`f = 0`. The gradient carries the factor
    :math:`\sigma'(z) = \sigma(1-\sigma)`: where :math:`w u_i + b \gg 0` for every input the
    unit is saturated at 1, the loss sits near :math:`\tfrac{1}{2N}\sum(1-t_i)^2 \approx 0.218`
    and the gradient is of order :math:`e^{-z}` (CSC321's "logistic activations & least
    squares" plateau). The start :math:`(0, 8)` is on that shelf: :math:`\|\nabla f\| \approx
    2.5\cdot10^{-4}`, and GD with :math:`\eta = 1` barely moves for a thousand steps
    before it finds the slope.
    """
    u = np.array(PLATEAU_INPUTS)
    w, b = PLATEAU_TRUTH
    t = 1.0 / (1.0 + np.exp(-(w * u + b)))
    return Landscape(
        name="plateau",
        code=PLATEAU,
        params=_readonly(np.concatenate([[u.size], u, t])),
        dim=2,
        minimizers=_readonly([[w, b]]),
        min_value=0.0,
        window=((-8.0, 8.0), (-10.0, 10.0)),
        latex=r"f(w, b) = \frac{1}{2N}\sum_{i} \left(\sigma(w u_i + b) - t_i\right)^2",
        start=_readonly([0.0, 8.0]),
    )


#: The rows (x1, x2, t) of the two badly scaled regression tables of CSC321 Lecture 7.
REGRESSION_TABLES = {
    1: ((114.8, 0.00323, 5.1), (338.1, 0.00183, 3.2), (98.8, 0.00279, 4.1)),
    2: ((1003.2, 1005.1, 3.3), (1001.1, 1008.2, 4.8), (998.3, 1003.4, 2.9)),
}


def regression_ravine(table=1, standardize=False) -> Landscape:
    r"""The ravine of linear regression on a badly scaled CSC321 table (Grosse, Lecture 7).

    With the table's rows :math:`(x_i, t_i)`, :math:`x_i \in \mathbb{R}^2`, :math:`N = 3`,

    .. math:: f(w) = \frac{1}{2N}\sum_{i=1}^{N} (w^\top x_i - t_i)^2
       = f^* + \tfrac12 (w - w^*)^\top H (w - w^*), \qquad H = \tfrac1N X^\top X,

    a quadratic in :math:`w \in \mathbb{R}^2` with no bias, on the shared quadratic kernel.
    :math:`w^*` is the least-squares solution (computed from :math:`X` by ``lstsq``, not from
    :math:`H`, which is far worse conditioned) and :math:`f^*` the half mean squared residual.
    Table 1 mixes scales (:math:`x_1 \sim 10^2`, :math:`x_2 \sim 10^{-3}`); in table 2 both
    inputs sit near 1000, far from zero, so :math:`H` is almost singular.

    ``standardize=True`` centres and scales each input column,
    :math:`\tilde x_{ij} = (x_{ij} - \bar x_j)/s_j` (population standard deviation), and fits
    the centred targets :math:`t_i - \bar t`. This is exactly the model with a bias
    :math:`w^\top\tilde x + b` with the bias at its optimum :math:`b = \bar t`: since
    :math:`\sum_i \tilde x_i = 0` the loss splits as
    :math:`\frac{1}{2N}\sum(w^\top\tilde x_i - (t_i - \bar t))^2 + \tfrac12 (b - \bar t)^2`.
    :math:`H` becomes the inputs' correlation matrix. Start: :math:`w = 0`; window: the box
    around the level set through :math:`w = 0`, enlarged by 30%.
    """
    if table not in REGRESSION_TABLES:
        raise ValueError(f"table must be one of {sorted(REGRESSION_TABLES)}, got {table!r}")
    rows = np.array(REGRESSION_TABLES[table])
    x, t = rows[:, :2], rows[:, 2]
    if standardize:
        x = (x - x.mean(axis=0)) / x.std(axis=0)
        t = t - t.mean()
    n = len(t)
    hess = x.T @ x / n
    w_star = np.linalg.lstsq(x, t, rcond=None)[0]
    f_star = 0.5 * np.mean((x @ w_star - t) ** 2)
    # Level set through 0: 1/2 d^T H d = delta has bounding box |d_k| <= sqrt(2 delta (H^-1)_kk).
    delta = 0.5 * w_star @ hess @ w_star
    half = 1.3 * np.sqrt(2.0 * delta * np.diag(np.linalg.inv(hess)))
    window = tuple((float(c - h), float(c + h)) for c, h in zip(w_star, half, strict=True))
    if standardize:
        latex = r"f(w) = \frac{1}{2N}\sum_{i=1}^{N} (w^\top \tilde x_i - (t_i - \bar t))^2"
    else:
        latex = r"f(w) = \frac{1}{2N}\sum_{i=1}^{N} (w^\top x_i - t_i)^2"
    return _quadratic_landscape(
        "regression_ravine", hess, w_star, f_star, window, latex, np.zeros(2)
    )


def cliff(height=20.0, steepness=20.0, edge=1.0) -> Landscape:
    r"""A bowl with a cliff: a smooth step of height :math:`h` across the line :math:`x = c`,

    .. math:: f(x, y) = \tfrac12 (x^2 + y^2) + h\,\sigma\big(k_c (x - c)\big),
       \qquad \sigma(z) = \frac{1}{1+e^{-z}}, \qquad k_c = k\,\mathrm{sign}(c),

    so the shelf, :math:`h` above the bowl, lies on the far side of the edge from the bowl's
    bottom (right of :math:`c` for :math:`c > 0`, left of it for :math:`c < 0`: the mirror
    image). Across the edge the ground drops by :math:`h` within a few multiples of
    :math:`1/k`, where the slope reaches :math:`hk/4 + |c|` (the step's own slope
    :math:`hk\,\sigma'`, at most :math:`hk/4`, plus the bowl's). A gradient step that lands on
    that face is thrown far past the minimum: the cliffs of recurrent networks that motivate
    gradient clipping (Pascanu, Mikolov & Bengio 2013; Goodfellow, Bengio & Courville 2016,
    section 8.2.4). ``height`` :math:`h > 0`, ``steepness`` :math:`k > 0`, ``edge``
    :math:`c \ne 0`. The one minimiser lies just off 0 towards the bowl's side, where the
    step's tail still pulls (:math:`|x^*| \approx hk\,e^{-k|c|}`); it is found by Newton's
    method from 0. Defaults :math:`h = 20`, :math:`k = 20`, :math:`c = 1`: a face of slope up
    to 101 against the bowl's 3 or so. Start :math:`(3\,\mathrm{sign}(c), 1.5)` on the shelf,
    from which gradient descent with :math:`\eta = 0.1` lands on the face and is thrown to
    :math:`|x| \approx 8.6`; window :math:`[-4, 4] \times [-3, 3]`.
    """
    height = _finite("height", height)
    steepness = _finite("steepness", steepness)
    edge = _finite("edge", edge)
    for name, value in (("height", height), ("steepness", steepness)):
        if value <= 0:
            raise ValueError(f"{name} must be > 0, got {value}")
    if edge == 0:
        raise ValueError(f"edge must be non-zero (the bowl's bottom off the edge), got {edge}")
    side = math.copysign(1.0, edge)
    params = _readonly([height, side * steepness, edge])
    minimizer = _newton_polish(CLIFF, params, [0.0, 0.0])
    g = np.empty(2)
    direction = "" if side > 0 else "-"
    return Landscape(
        name="cliff",
        code=CLIFF,
        params=params,
        dim=2,
        minimizers=_readonly(minimizer.reshape(1, 2)),
        min_value=float(value_and_grad(CLIFF, params, minimizer, g)),
        window=((-4.0, 4.0), (-3.0, 3.0)),
        latex=rf"f(x, y) = \frac{{1}}{{2}}(x^2 + y^2) + {height:g}\,"
              rf"\sigma({direction}{steepness:g}\,(x - {edge:g}))",
        start=_readonly([3.0 * side, 1.5]),
    )


class SlowObjectiveWarning(UserWarning):
    """A reader's objective is plain Python: runs go through a Python loop."""


def _as_argument(x):
    """The point as a reader's functions receive it: a tuple of floats in 2-D (what the 2-D
    kernels pass), else a float64 array."""
    return (float(x[0]), float(x[1])) if len(x) == 2 else np.asarray(x, dtype=np.float64)


def _is_jitted(function) -> bool:
    return isinstance(function, Dispatcher)


def custom(value, grad, *, dim=2, start=None, minimizers=(), min_value=None, window=None,
           name="custom", latex=None) -> Landscape:
    r"""A landscape from a reader's own function ``value(x)`` and its gradient ``grad(x)``.

    Both take the point ``x`` and index it (``x[0]``, ``x[1]``, ...): in 2-D it arrives as a
    tuple of floats (so the kernels keep it in registers), in other dimensions as a float64
    array. ``value`` returns a number, ``grad`` a sequence of ``dim`` numbers (a tuple keeps a
    2-D kernel free of allocations). Pass both decorated with ``numba.njit`` and the
    kernels compile them in, at the speed of a built-in landscape (``make bench`` measures
    it); pass plain Python functions and every run goes through a Python loop instead, about
    two orders of magnitude slower, with a :class:`SlowObjectiveWarning` saying so.

    ``start`` (a suggested start), ``minimizers`` (rows of known minimisers, the global one
    first: :func:`optbook.run.sweep` measures rates against them) and ``min_value`` (default
    :math:`f` at the first minimiser, else :math:`-\infty`) are optional; ``window``
    (``((x0, x1), (y0, y1))``, 2-D only) defaults to the box around ``start`` and the
    minimisers, widened by half its size and by at least 1. Both functions are called once
    here, at ``start`` (or 0), and must return finite values of the right shape.
    """
    if not (callable(value) and callable(grad)):
        raise ValueError(f"value and grad must be functions, got {type(value).__name__} and "
                         f"{type(grad).__name__}")
    if isinstance(dim, bool) or not isinstance(dim, int | np.integer) or dim < 1:
        raise ValueError(f"dim must be an integer >= 1, got {dim!r}")
    jitted = _is_jitted(value) and _is_jitted(grad)
    if _is_jitted(value) != _is_jitted(grad):
        raise ValueError("value and grad must both be numba-jitted or both plain Python")
    mins = np.asarray(minimizers, dtype=np.float64).reshape(-1, dim) if len(minimizers) else \
        np.zeros((0, dim))
    probe = np.zeros(dim) if start is None else np.asarray(start, dtype=np.float64)
    if probe.shape != (dim,) or not np.all(np.isfinite(probe)):
        raise ValueError(f"start must be {dim} finite numbers, got {start!r}")
    try:
        f0 = float(value(_as_argument(probe)))
        g0 = np.asarray(grad(_as_argument(probe)), dtype=np.float64)
    except Exception as error:
        raise ValueError(f"calling value and grad at {probe.tolist()} failed: {error}") from error
    if not math.isfinite(f0) or g0.shape != (dim,) or not np.all(np.isfinite(g0)):
        raise ValueError(
            f"at {probe.tolist()} value must return a finite number and grad {dim} finite "
            f"numbers, got {f0!r} and {g0.tolist()!r}"
        )
    functions = (value, grad)
    objective = None
    if jitted:
        objective = (njit(inline="always", error_model="numpy")(value.py_func),
                     njit(inline="always", error_model="numpy")(grad.py_func))
    else:
        warnings.warn(
            f"{name}: value and grad are plain Python, so runs on this landscape go through a "
            "Python loop, about a hundred times slower than compiled ones; decorate both with "
            "numba.njit to run at full speed",
            SlowObjectiveWarning, stacklevel=2,
        )
    if min_value is None:
        min_value = float(value(_as_argument(mins[0]))) if len(mins) else -math.inf
    if window is None and dim == 2:
        points = np.vstack([mins, probe[None, :]])
        low, high = points.min(axis=0), points.max(axis=0)
        pad = np.maximum(0.5 * (high - low), 1.0)
        window = tuple((float(a), float(b)) for a, b in zip(low - pad, high + pad, strict=True))
    return Landscape(
        name=name,
        code=CUSTOM,
        params=_readonly([]),
        dim=int(dim),
        minimizers=_readonly(mins),
        min_value=float(min_value),
        window=window,
        latex=latex if latex is not None else r"f(x)",
        start=None if start is None else _readonly(probe),
        objective=objective,
        functions=functions,
    )


_CONSTRUCTORS = {
    "quadratic": quadratic,
    "conditioned_quadratic": conditioned_quadratic,
    "lecture_quadratic": lecture_quadratic,
    "rosenbrock": rosenbrock,
    "two_minima": two_minima,
    "saddle": saddle,
    "plane": plane,
    "plateau": plateau,
    "regression_ravine": regression_ravine,
    "cliff": cliff,
    "custom": custom,
}


def get(name, **kw) -> Landscape:
    """The landscape called ``name``, built with the constructor's keyword arguments ``kw``."""
    if name not in _CONSTRUCTORS:
        raise ValueError(f"name must be one of {sorted(_CONSTRUCTORS)}, got {name!r}")
    return _CONSTRUCTORS[name](**kw)
