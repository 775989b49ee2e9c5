r"""Update rules of first-order optimizers, each written once as a small numba function.

Every rule is written once, as an element function such as :func:`adam_element` (one coordinate
and its state in, the new values out). The array kernel of the rule, such as
:func:`adam_update`, loops it over a 1-D float32 or float64 array of any length, in place, so the
same code moves a 2-D point and the flattened parameters of a network; the 2-D step, such as
:func:`adam_2d`, applies it to the two coordinates of a point held in scalars (for the per-pair
kernels of :mod:`optbook.kernels2d`). A rule does its element arithmetic in the array's dtype:
the float64 hyper-parameters and bias corrections are rounded to ``x.dtype`` once per step.
In float32 that keeps the loop in single precision (8 lanes per AVX2 instruction instead of 4
plus conversions); in float64 the rounding is the identity. Kernels use
``error_model="numpy"`` (no division-by-zero branch per element).

An :class:`Optimizer` describes a rule to numba as an integer ``code`` plus a float64 ``hyper``
array. The jitted dispatchers :func:`gradient_point` and :func:`apply_step` branch on the code
at run time and call the one array kernel of that rule; they (and their row forms, which the
array trajectory kernel uses) are inlined into their callers at numba-IR level
(``inline="always"``), so no call sits between a loop and the rule. The 2-D kernels instead
fix the code at compile time (:mod:`optbook.kernels2d`).

Conventions (the book's conventions appendix explains them):

* gradient :math:`g_t` is taken at the current iterate, except look-ahead Nesterov;
* the step counter :math:`t` starts at 1 and lives in ``scalars[0]``; powers such as
  :math:`\beta_1^t` are running products kept in ``scalars`` (never ``**``), so a port of the
  2-D rules to another language reproduces the iterates bit for bit;
* :math:`\varepsilon` sits outside the square root as in PyTorch (AdaDelta: inside, as Zeiler);
* the library's momentum is the *velocity* form :math:`v \leftarrow \gamma v + \eta g,\;
  x \leftarrow x - v` (Sutskever et al. 2013, DD2424); the PyTorch form
  :math:`b \leftarrow \mu b + g,\; x \leftarrow x - \eta b` is ``form="pytorch"``. With a
  constant :math:`\eta` they give the same iterates (:math:`v = \eta b`); after a change of
  :math:`\eta` they part ways.

Why integer codes rather than first-class jitted functions (``benchmarks/bench_dispatch.py``
times the mechanisms on one small 2-D loop, numba 0.68, 2 shared cores). A rule passed as a
dispatcher argument gives one specialisation of the loop per rule, but numba never finds it in
its disk cache again: the index key holds the dispatcher's type, which compares by the
dispatcher object, a new one in every process. A warm process recompiled (about 2 s against
0.7 s) and each run added files to the cache. A ``types.FunctionType`` argument caches, but the
rule becomes an indirect call LLVM cannot inline (the step took 1.36 times as long) and each
call from Python spent about 57 us converting the dispatcher to a pointer (0.7 us with a code).
An integer code has none of these costs. Fixed at compile time as a closure variable, as the
per-pair 2-D kernels do, it is cached too (numba keys the index on the closure's values; a warm
process loads each pair in milliseconds) and lets LLVM delete the other rules' branches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

GD = 0
MOMENTUM = 1
MOMENTUM_PYTORCH = 2
NESTEROV = 3
NESTEROV_REFORMULATED = 4
DELTA_BAR_DELTA = 5
ADAGRAD = 6
RMSPROP = 7
ADADELTA = 8
ADAM = 9
ADAMW = 10
AMSGRAD = 11
NADAM = 12

NADAM_DECAY_BASE = 0.96
"""Base of NAdam's momentum schedule :math:`\\mu_t = \\beta_1(1 - \\tfrac12\\,0.96^{t\\psi})`."""


# --------------------------------------------------------------------------- rules
# Each rule is written once, as an element function: one coordinate and its state in, the new
# values out, in the iterate's dtype, with the per-step constants already rounded to that dtype.
# The array kernels below loop it over the coordinates; the 2-D steps further down (``gd_2d``,
# ``adam_2d``, ...) call it on the two coordinates of a point held in registers.


@njit(cache=True, error_model="numpy", inline="always")
def gd_element(x, g, lr):
    r""":math:`x - \eta g`."""
    return x - lr * g


@njit(cache=True, error_model="numpy", inline="always")
def momentum_element(x, g, v, lr, gamma):
    r""":math:`v' = \gamma v + \eta g,\ x' = x - v'`; returns ``(x', v')``."""
    v = gamma * v + lr * g
    return x - v, v


@njit(cache=True, error_model="numpy", inline="always")
def momentum_pytorch_element(x, g, b, lr, mu):
    r""":math:`b' = \mu b + g,\ x' = x - \eta b'`; returns ``(x', b')``."""
    b = mu * b + g
    return x - lr * b, b


@njit(cache=True, error_model="numpy", inline="always")
def nesterov_reformulated_element(x, g, v, lr, gamma):
    r""":math:`v' = \gamma v + \eta g,\ y' = y - (\gamma v' + \eta g)`; returns ``(y', v')``."""
    step = lr * g
    v = gamma * v + step
    return x - (gamma * v + step), v


@njit(cache=True, error_model="numpy", inline="always")
def lookahead_element(x, v, gamma):
    r"""Nesterov's look-ahead point :math:`x - \gamma v`."""
    return x - gamma * v


@njit(cache=True, error_model="numpy", inline="always")
def delta_bar_delta_element(x, g, rate, bar, kappa, shrink, keep, theta, scale):
    r"""Delta-bar-delta; ``shrink`` = :math:`1-\phi`, ``keep`` = :math:`1-\theta`.

    Returns ``(x', rate', bar')``.
    """
    agreement = bar * g
    if agreement > 0.0:
        rate += kappa
    elif agreement < 0.0:
        rate *= shrink
    return x - scale * rate * g, rate, keep * g + theta * bar


@njit(cache=True, error_model="numpy", inline="always")
def adagrad_element(x, g, r, lr, eps):
    r""":math:`r' = r + g^2,\ x' = x - \eta g/(\sqrt{r'} + \varepsilon)`; returns ``(x', r')``."""
    r = r + g * g
    return x - lr * g / (math.sqrt(r) + eps), r


@njit(cache=True, error_model="numpy", inline="always")
def rmsprop_element(x, g, s, lr, one_minus_rho, rho, eps):
    r""":math:`s' = \rho s + (1-\rho) g^2,\ x' = x - \eta g/(\sqrt{s'} + \varepsilon)`."""
    s = rho * s + one_minus_rho * (g * g)
    return x - lr * g / (math.sqrt(s) + eps), s


@njit(cache=True, error_model="numpy", inline="always")
def adadelta_element(x, g, s, u, lr, one_minus_rho, rho, eps):
    r"""AdaDelta on one coordinate; returns ``(x', s', u')``."""
    s = rho * s + one_minus_rho * (g * g)
    delta = math.sqrt(u + eps) / math.sqrt(s + eps) * g
    u = rho * u + one_minus_rho * (delta * delta)
    return x - lr * delta, s, u


@njit(cache=True, error_model="numpy", inline="always")
def adam_element(x, g, m, v, step_size, root_correction, beta1, one_minus_beta1, beta2,
                 one_minus_beta2, eps):
    r"""Adam on one coordinate; returns ``(x', m', v')``.

    ``step_size`` is :math:`\eta/(1-\beta_1^t)` and ``root_correction``
    :math:`\sqrt{1-\beta_2^t}`, both worked out once per step.
    """
    m = beta1 * m + one_minus_beta1 * g
    v = beta2 * v + one_minus_beta2 * (g * g)
    return x - step_size * m / (math.sqrt(v) / root_correction + eps), m, v


@njit(cache=True, error_model="numpy", inline="always")
def amsgrad_element(x, g, m, v, v_max, step_size, root_correction, beta1, one_minus_beta1,
                    beta2, one_minus_beta2, eps):
    r"""AMSGrad on one coordinate; returns ``(x', m', v', v_max')``."""
    m = beta1 * m + one_minus_beta1 * g
    v = beta2 * v + one_minus_beta2 * (g * g)
    v_max = max(v_max, v)
    return x - step_size * m / (math.sqrt(v_max) / root_correction + eps), m, v, v_max


@njit(cache=True, error_model="numpy", inline="always")
def nadam_element(x, g, m, v, g_coef, m_coef, correction, beta1, one_minus_beta1, beta2,
                  one_minus_beta2, eps):
    r"""NAdam on one coordinate; returns ``(x', m', v')``.

    ``g_coef`` and ``m_coef`` are the step's coefficients of :math:`g` and :math:`m` in
    :func:`nadam_update`, ``correction`` is :math:`1-\beta_2^t`.
    """
    m = beta1 * m + one_minus_beta1 * g
    v = beta2 * v + one_minus_beta2 * (g * g)
    denom = math.sqrt(v / correction) + eps
    return x - (g_coef * g / denom + m_coef * m / denom), m, v


# --------------------------------------------------------------------------- per-step constants
# Worked out in float64, rounded once to the dtype of ``like`` (the iterate's array).


@njit(cache=True, inline="always")
def _rate_and_factor(like, lr, factor):
    """``(lr, factor)`` in ``like``'s dtype: the constants of the momentum rules."""
    cast = like.dtype.type
    return cast(lr), cast(factor)


@njit(cache=True, inline="always")
def _delta_bar_delta_constants(like, kappa, phi, theta, scale):
    """:math:`\\kappa, 1-\\phi, 1-\\theta, \\theta` and the schedule's scale."""
    cast = like.dtype.type
    return cast(kappa), cast(1.0 - phi), cast(1.0 - theta), cast(theta), cast(scale)


@njit(cache=True, inline="always")
def _rms_constants(like, lr, rho, eps):
    """:math:`\\eta, 1-\\rho, \\rho, \\varepsilon` of RMSProp and AdaDelta."""
    cast = like.dtype.type
    return cast(lr), cast(1.0 - rho), cast(rho), cast(eps)


@njit(cache=True, inline="always")
def _adam_betas(like, beta1, beta2, eps):
    r""":math:`\beta_1, 1-\beta_1, \beta_2, 1-\beta_2, \varepsilon` of the Adam family."""
    cast = like.dtype.type
    return cast(beta1), cast(1.0 - beta1), cast(beta2), cast(1.0 - beta2), cast(eps)


@njit(cache=True, inline="always")
def _adam_corrections(like, lr, beta1_t, beta2_t):
    r"""Adam's step size :math:`\eta/(1-\beta_1^t)`, root correction :math:`\sqrt{1-\beta_2^t}`."""
    cast = like.dtype.type
    return cast(lr / (1.0 - beta1_t)), cast(math.sqrt(1.0 - beta2_t))


@njit(cache=True, inline="always")
def _nadam_coefficients(like, lr, mu_t, mu_next, mu_prod, beta2_t):
    r"""NAdam's gradient and momentum coefficients and :math:`1-\beta_2^t`."""
    cast = like.dtype.type
    return (
        cast(lr * (1.0 - mu_t) / (1.0 - mu_prod)), cast(lr * mu_next / (1.0 - mu_prod * mu_next)),
        cast(1.0 - beta2_t),
    )


@njit(cache=True, inline="always")
def advance_counters(code, hyper, t, p1, p2, p3):
    r"""The step counter and running products after one more step of rule ``code``.

    Returns ``(t, p1, p2, p3, mu_t, mu_next)``: for Adam, AdamW and AMSGrad ``p1, p2`` are
    :math:`\beta_1^t, \beta_2^t`; for NAdam ``p1`` is :math:`\beta_2^t`, ``p2`` is
    :math:`0.96^{t\psi}` and ``p3`` is :math:`\prod_{s\le t}\mu_s`, with :math:`\mu_t,
    \mu_{t+1}` returned (0 for the other rules).
    """
    mu_t = 0.0
    mu_next = 0.0
    if code == ADAM or code == ADAMW or code == AMSGRAD:
        p1 *= hyper[1]
        p2 *= hyper[2]
    elif code == NADAM:
        decay_factor = hyper[5]
        p1 *= hyper[2]
        p2 *= decay_factor
        mu_t = hyper[1] * (1.0 - 0.5 * p2)
        mu_next = hyper[1] * (1.0 - 0.5 * p2 * decay_factor)
        p3 *= mu_t
    return t + 1.0, p1, p2, p3, mu_t, mu_next


# --------------------------------------------------------------------------- array kernels


@njit(cache=True, error_model="numpy")
def gd_update(x, g, lr):
    r"""Gradient descent: :math:`x \leftarrow x - \eta g` (Cauchy 1847)."""
    lr = x.dtype.type(lr)
    for i in range(x.size):
        x[i] = gd_element(x[i], g[i], lr)


@njit(cache=True, error_model="numpy")
def momentum_update(x, g, v, lr, gamma):
    r"""Heavy ball, velocity form (Polyak 1964; Sutskever et al. 2013).

    .. math:: v \leftarrow \gamma v + \eta g, \qquad x \leftarrow x - v
    """
    lr, gamma = _rate_and_factor(x, lr, gamma)
    for i in range(x.size):
        x[i], v[i] = momentum_element(x[i], g[i], v[i], lr, gamma)


@njit(cache=True, error_model="numpy")
def momentum_pytorch_update(x, g, b, lr, mu):
    r"""Heavy ball, PyTorch form (``torch.optim.SGD``, no dampening).

    .. math:: b \leftarrow \mu b + g, \qquad x \leftarrow x - \eta b
    """
    lr, mu = _rate_and_factor(x, lr, mu)
    for i in range(x.size):
        x[i], b[i] = momentum_pytorch_element(x[i], g[i], b[i], lr, mu)


@njit(cache=True, error_model="numpy")
def nesterov_reformulated_update(x, g, v, lr, gamma):
    r"""Nesterov momentum in the reformulated form (Bengio et al. 2012; Sutskever et al. 2013).

    With :math:`y = x - \gamma v` the look-ahead point, the look-ahead iteration becomes one
    with the gradient at the iterate itself:

    .. math:: v \leftarrow \gamma v + \eta g(y), \qquad y \leftarrow y - \gamma v - \eta g(y)

    (PyTorch's ``nesterov=True`` is the same rule with :math:`v = \eta b`.)
    """
    lr, gamma = _rate_and_factor(x, lr, gamma)
    for i in range(x.size):
        x[i], v[i] = nesterov_reformulated_element(x[i], g[i], v[i], lr, gamma)


@njit(cache=True, error_model="numpy")
def delta_bar_delta_update(x, g, rates, bar, kappa, phi, theta, scale):
    r"""Delta-bar-delta: one learning rate per coordinate (Jacobs 1988).

    .. math::
        \epsilon_i \leftarrow \begin{cases}
            \epsilon_i + \kappa & \bar\delta_i g_i > 0\\
            (1-\phi)\,\epsilon_i & \bar\delta_i g_i < 0\\
            \epsilon_i & \text{otherwise}\end{cases},\quad
        x_i \leftarrow x_i - s\,\epsilon_i g_i,\quad
        \bar\delta_i \leftarrow (1-\theta) g_i + \theta\bar\delta_i

    The rates change first, from the sign of the previous averaged gradient against the new
    gradient; ``scale`` is the schedule's factor :math:`\eta_t/\eta_0` (1 without a schedule).
    """
    kappa, shrink, keep, theta, scale = _delta_bar_delta_constants(x, kappa, phi, theta, scale)
    for i in range(x.size):
        x[i], rates[i], bar[i] = delta_bar_delta_element(
            x[i], g[i], rates[i], bar[i], kappa, shrink, keep, theta, scale
        )


@njit(cache=True, error_model="numpy")
def adagrad_update(x, g, r, lr, eps):
    r"""AdaGrad (Duchi, Hazan & Singer 2011), :math:`\varepsilon` outside the root as PyTorch.

    .. math:: r \leftarrow r + g^2, \qquad x \leftarrow x - \frac{\eta\, g}{\sqrt{r} + \varepsilon}
    """
    lr, eps = _rate_and_factor(x, lr, eps)
    for i in range(x.size):
        x[i], r[i] = adagrad_element(x[i], g[i], r[i], lr, eps)


@njit(cache=True, error_model="numpy")
def rmsprop_update(x, g, s, lr, rho, eps):
    r"""RMSProp (Hinton, Coursera lecture 6e, 2012), :math:`\varepsilon` outside as PyTorch.

    .. math:: s \leftarrow \rho s + (1-\rho) g^2, \qquad
              x \leftarrow x - \frac{\eta\, g}{\sqrt{s} + \varepsilon}
    """
    lr, one_minus_rho, rho, eps = _rms_constants(x, lr, rho, eps)
    for i in range(x.size):
        x[i], s[i] = rmsprop_element(x[i], g[i], s[i], lr, one_minus_rho, rho, eps)


@njit(cache=True, error_model="numpy")
def adadelta_update(x, g, s, u, lr, rho, eps):
    r"""AdaDelta (Zeiler 2012), :math:`\varepsilon` inside the roots as in the paper and PyTorch.

    .. math::
        s \leftarrow \rho s + (1-\rho) g^2,\quad
        \Delta = \frac{\sqrt{u + \varepsilon}}{\sqrt{s + \varepsilon}}\, g,\quad
        u \leftarrow \rho u + (1-\rho)\Delta^2,\quad
        x \leftarrow x - \eta\Delta
    """
    lr, one_minus_rho, rho, eps = _rms_constants(x, lr, rho, eps)
    for i in range(x.size):
        x[i], s[i], u[i] = adadelta_element(x[i], g[i], s[i], u[i], lr, one_minus_rho, rho, eps)


@njit(cache=True, error_model="numpy")
def adam_update(x, g, m, v, lr, beta1, beta2, eps, beta1_t, beta2_t):
    r"""Adam (Kingma & Ba 2015), :math:`\varepsilon` outside the root as PyTorch.

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad
        x \leftarrow x - \eta\,\frac{m/(1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t)} + \varepsilon}

    ``beta1_t`` and ``beta2_t`` are :math:`\beta_1^t, \beta_2^t` for the current step.
    """
    step_size, root_correction = _adam_corrections(x, lr, beta1_t, beta2_t)
    beta1, one_minus_beta1, beta2, one_minus_beta2, eps = _adam_betas(x, beta1, beta2, eps)
    for i in range(x.size):
        x[i], m[i], v[i] = adam_element(
            x[i], g[i], m[i], v[i], step_size, root_correction, beta1, one_minus_beta1, beta2,
            one_minus_beta2, eps,
        )


@njit(cache=True, error_model="numpy")
def amsgrad_update(x, g, m, v, v_max, lr, beta1, beta2, eps, beta1_t, beta2_t):
    r"""AMSGrad (Reddi, Kale & Kumar 2018) as PyTorch's ``Adam(amsgrad=True)``.

    .. math::
        \hat v_{\max} \leftarrow \max(\hat v_{\max}, v),\quad
        x \leftarrow x - \eta\,\frac{m/(1-\beta_1^t)}{\sqrt{\hat v_{\max}/(1-\beta_2^t)}
        + \varepsilon}

    with :math:`m, v` as in Adam. Like PyTorch, the running maximum is taken over the
    uncorrected :math:`v` and divided by the current bias correction.
    """
    step_size, root_correction = _adam_corrections(x, lr, beta1_t, beta2_t)
    beta1, one_minus_beta1, beta2, one_minus_beta2, eps = _adam_betas(x, beta1, beta2, eps)
    for i in range(x.size):
        x[i], m[i], v[i], v_max[i] = amsgrad_element(
            x[i], g[i], m[i], v[i], v_max[i], step_size, root_correction, beta1,
            one_minus_beta1, beta2, one_minus_beta2, eps,
        )


@njit(cache=True, error_model="numpy")
def decoupled_weight_decay(x, lr, weight_decay):
    r"""AdamW's decoupled decay (Loshchilov & Hutter 2019): :math:`x \leftarrow (1-\eta\lambda)x`.
    """
    factor = x.dtype.type(1.0 - lr * weight_decay)
    for i in range(x.size):
        x[i] *= factor


@njit(cache=True, error_model="numpy")
def nadam_update(x, g, m, v, lr, beta1, beta2, eps, mu_t, mu_next, mu_prod, beta2_t):
    r"""NAdam (Dozat 2016) as PyTorch's ``NAdam`` with momentum decay.

    .. math::
        \mu_t = \beta_1\bigl(1 - \tfrac12\, 0.96^{t\psi}\bigr),\quad
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2,\\
        x \leftarrow x - \frac{\eta}{\sqrt{v/(1-\beta_2^t)} + \varepsilon}
        \Bigl(\frac{(1-\mu_t)\, g}{1 - \prod_{s\le t}\mu_s}
        + \frac{\mu_{t+1}\, m}{1 - \prod_{s\le t+1}\mu_s}\Bigr)

    ``mu_prod`` is :math:`\prod_{s\le t}\mu_s` including the current step.
    """
    g_coef, m_coef, correction = _nadam_coefficients(x, lr, mu_t, mu_next, mu_prod, beta2_t)
    beta1, one_minus_beta1, beta2, one_minus_beta2, eps = _adam_betas(x, beta1, beta2, eps)
    for i in range(x.size):
        x[i], m[i], v[i] = nadam_element(
            x[i], g[i], m[i], v[i], g_coef, m_coef, correction, beta1, one_minus_beta1, beta2,
            one_minus_beta2, eps,
        )


# --------------------------------------------------------------------------- dispatchers


@njit(cache=True, error_model="numpy", inline="always")
def gradient_point(code, hyper, x, state, out):
    """Write into ``out`` where the gradient of this step is taken.

    That is ``x`` itself for every rule except look-ahead Nesterov, whose point is
    :math:`x - \\gamma v`.
    """
    gradient_point_rows(code, hyper, x, state_rows(state, x)[0], out)


@njit(cache=True, error_model="numpy", inline="always")
def gradient_point_rows(code, hyper, x, s0, out):
    """:func:`gradient_point` with the state's first row passed (see :func:`apply_step_rows`)."""
    if code == NESTEROV:
        gamma = x.dtype.type(hyper[1])
        for i in range(x.size):
            out[i] = lookahead_element(x[i], s0[i], gamma)
    else:
        for i in range(x.size):
            out[i] = x[i]


@njit(cache=True, error_model="numpy", inline="always")
def apply_step_rows(code, hyper, lr, x, g, s0, s1, s2, scalars):
    """:func:`apply_step` with the state rows passed separately (unused rows: any array).

    Hot loops take the rows once, outside the loop: slicing ``s0`` inside it would create
    a reference-counted view every step.
    """
    n = scalars.size
    t, p1, p2, p3, mu_t, mu_next = advance_counters(
        code, hyper, scalars[0], scalars[1] if n > 1 else 1.0, scalars[2] if n > 2 else 1.0,
        scalars[3] if n > 3 else 1.0,
    )
    scalars[0] = t
    if n > 1:
        scalars[1] = p1
    if n > 2:
        scalars[2] = p2
    if n > 3:
        scalars[3] = p3
    if code == GD:
        gd_update(x, g, lr)
    elif code == MOMENTUM or code == NESTEROV:
        momentum_update(x, g, s0, lr, hyper[1])
    elif code == MOMENTUM_PYTORCH:
        momentum_pytorch_update(x, g, s0, lr, hyper[1])
    elif code == NESTEROV_REFORMULATED:
        nesterov_reformulated_update(x, g, s0, lr, hyper[1])
    elif code == DELTA_BAR_DELTA:
        delta_bar_delta_update(x, g, s0, s1, hyper[1], hyper[2], hyper[3],
                               _schedule_scale(lr, hyper[0]))
    elif code == ADAGRAD:
        adagrad_update(x, g, s0, lr, hyper[1])
    elif code == RMSPROP:
        rmsprop_update(x, g, s0, lr, hyper[1], hyper[2])
    elif code == ADADELTA:
        adadelta_update(x, g, s0, s1, lr, hyper[1], hyper[2])
    elif code == ADAM or code == ADAMW:
        if code == ADAMW:
            decoupled_weight_decay(x, lr, hyper[4])
        adam_update(x, g, s0, s1, lr, hyper[1], hyper[2], hyper[3], p1, p2)
    elif code == AMSGRAD:
        amsgrad_update(x, g, s0, s1, s2, lr, hyper[1], hyper[2], hyper[3], p1, p2)
    elif code == NADAM:
        nadam_update(x, g, s0, s1, lr, hyper[1], hyper[2], hyper[3], mu_t, mu_next, p3, p1)


@njit(cache=True, inline="always")
def _schedule_scale(lr, lr0):
    """Delta-bar-delta's scale :math:`\\eta_t/\\eta_0`, exactly 1 without a schedule."""
    return 1.0 if lr == lr0 else lr / lr0


# --------------------------------------------------------------------------- 2-D steps
# One step of one rule on a 2-D point held in scalars (no arrays, so no memory traffic), for the
# per-pair kernels of :mod:`optbook.kernels2d`. All share one signature:
#
#     step(hyper, lr, k0, k1, k2, like, x0, x1, g0, g1, a0, a1, b0, b1, c0, c1)
#         -> (x0, x1, a0, a1, b0, b1, c0, c1)
#
# ``x`` and ``g`` are the point and its gradient (for look-ahead Nesterov taken at
# :func:`lookahead_element`'s point), ``a, b, c`` the two coordinates of the state's rows, all in
# the dtype of the array ``like``; ``lr`` is the step's scheduled rate and ``k0, k1, k2`` its
# column of :func:`step_constants_block`'s table for the rules in :data:`TABLE_RULES` (zero for
# the others, which do not read them). They call the same element functions and constants as
# the array kernels, so a 2-D run gives the same bits either way (tested). One function per
# rule, not one branching on a code, so that numba compiles only the rule a kernel uses.


TABLE_RULES = (ADAM, ADAMW, AMSGRAD, NADAM)
"""Rules whose 2-D steps read their per-step constants from :func:`step_constants_block`."""


@njit(cache=True, error_model="numpy", inline="always")
def step_constants_block(code, hyper, lrs, n, p1, p2, p3, products, table):
    r"""The per-step constants of the next ``n`` steps of a rule in :data:`TABLE_RULES`.

    ``lrs[:n]`` holds the steps' scheduled rates and ``p1, p2, p3`` the running products of
    :func:`advance_counters` before them; returns the products after them. For Adam, AdamW and
    AMSGrad, ``table[0, j]`` and ``table[1, j]`` receive step ``j``'s :math:`\eta/(1-\beta_1^t)`
    and :math:`\sqrt{1-\beta_2^t}`; for NAdam ``table[:3, j]`` receives its two coefficients and
    :math:`1-\beta_2^t` (as :func:`nadam_update`).

    Why a table: a 2-D Adam step already spends its time waiting on the one division and square
    root unit (two divisions and a square root per coordinate on the chain from :math:`x_t` to
    :math:`x_{t+1}`). Worked out inside the loop, the bias corrections' division and square
    root queue there too and delay the chain. Here the running products come first (a chain of
    multiplications, ``products`` holds them), then the constants in a separate loop whose
    steps are independent, which LLVM vectorises (four steps per instruction).
    """
    for j in range(n):
        _, p1, p2, p3, mu_t, mu_next = advance_counters(code, hyper, 0.0, p1, p2, p3)
        products[0, j] = p1
        products[1, j] = p2
        products[2, j] = p3
        products[3, j] = mu_t
        products[4, j] = mu_next
    if code == NADAM:
        for j in range(n):
            table[0, j], table[1, j], table[2, j] = _nadam_coefficients(
                table, lrs[j], products[3, j], products[4, j], products[2, j], products[0, j]
            )
    else:
        for j in range(n):
            table[0, j], table[1, j] = _adam_corrections(table, lrs[j], products[0, j],
                                                         products[1, j])
    return p1, p2, p3


@njit(cache=True, error_model="numpy", inline="always")
def gd_2d(hyper, lr, k0, k1, k2, like, x0, x1, g0, g1, a0, a1, b0, b1, c0, c1):
    """:func:`gd_update` on a 2-D point."""
    rate = like.dtype.type(lr)
    return gd_element(x0, g0, rate), gd_element(x1, g1, rate), a0, a1, b0, b1, c0, c1


@njit(cache=True, error_model="numpy", inline="always")
def momentum_2d(hyper, lr, k0, k1, k2, like, x0, x1, g0, g1, a0, a1, b0, b1, c0, c1):
    """:func:`momentum_update` on a 2-D point (also look-ahead Nesterov's step)."""
    rate, gamma = _rate_and_factor(like, lr, hyper[1])
    x0, a0 = momentum_element(x0, g0, a0, rate, gamma)
    x1, a1 = momentum_element(x1, g1, a1, rate, gamma)
    return x0, x1, a0, a1, b0, b1, c0, c1


@njit(cache=True, error_model="numpy", inline="always")
def momentum_pytorch_2d(hyper, lr, k0, k1, k2, like, x0, x1, g0, g1, a0, a1, b0, b1, c0, c1):
    """:func:`momentum_pytorch_update` on a 2-D point."""
    rate, mu = _rate_and_factor(like, lr, hyper[1])
    x0, a0 = momentum_pytorch_element(x0, g0, a0, rate, mu)
    x1, a1 = momentum_pytorch_element(x1, g1, a1, rate, mu)
    return x0, x1, a0, a1, b0, b1, c0, c1


@njit(cache=True, error_model="numpy", inline="always")
def nesterov_reformulated_2d(hyper, lr, k0, k1, k2, like, x0, x1, g0, g1, a0, a1, b0, b1, c0,
                             c1):
    """:func:`nesterov_reformulated_update` on a 2-D point."""
    rate, gamma = _rate_and_factor(like, lr, hyper[1])
    x0, a0 = nesterov_reformulated_element(x0, g0, a0, rate, gamma)
    x1, a1 = nesterov_reformulated_element(x1, g1, a1, rate, gamma)
    return x0, x1, a0, a1, b0, b1, c0, c1


@njit(cache=True, error_model="numpy", inline="always")
def delta_bar_delta_2d(hyper, lr, k0, k1, k2, like, x0, x1, g0, g1, a0, a1, b0, b1, c0, c1):
    """:func:`delta_bar_delta_update` on a 2-D point (``a``: rates, ``b``: averaged gradient)."""
    kappa, shrink, keep, theta, scale = _delta_bar_delta_constants(
        like, hyper[1], hyper[2], hyper[3], _schedule_scale(lr, hyper[0])
    )
    x0, a0, b0 = delta_bar_delta_element(x0, g0, a0, b0, kappa, shrink, keep, theta, scale)
    x1, a1, b1 = delta_bar_delta_element(x1, g1, a1, b1, kappa, shrink, keep, theta, scale)
    return x0, x1, a0, a1, b0, b1, c0, c1


@njit(cache=True, error_model="numpy", inline="always")
def adagrad_2d(hyper, lr, k0, k1, k2, like, x0, x1, g0, g1, a0, a1, b0, b1, c0, c1):
    """:func:`adagrad_update` on a 2-D point."""
    rate, eps = _rate_and_factor(like, lr, hyper[1])
    x0, a0 = adagrad_element(x0, g0, a0, rate, eps)
    x1, a1 = adagrad_element(x1, g1, a1, rate, eps)
    return x0, x1, a0, a1, b0, b1, c0, c1


@njit(cache=True, error_model="numpy", inline="always")
def rmsprop_2d(hyper, lr, k0, k1, k2, like, x0, x1, g0, g1, a0, a1, b0, b1, c0, c1):
    """:func:`rmsprop_update` on a 2-D point."""
    rate, one_minus_rho, rho, eps = _rms_constants(like, lr, hyper[1], hyper[2])
    x0, a0 = rmsprop_element(x0, g0, a0, rate, one_minus_rho, rho, eps)
    x1, a1 = rmsprop_element(x1, g1, a1, rate, one_minus_rho, rho, eps)
    return x0, x1, a0, a1, b0, b1, c0, c1


@njit(cache=True, error_model="numpy", inline="always")
def adadelta_2d(hyper, lr, k0, k1, k2, like, x0, x1, g0, g1, a0, a1, b0, b1, c0, c1):
    """:func:`adadelta_update` on a 2-D point."""
    rate, one_minus_rho, rho, eps = _rms_constants(like, lr, hyper[1], hyper[2])
    x0, a0, b0 = adadelta_element(x0, g0, a0, b0, rate, one_minus_rho, rho, eps)
    x1, a1, b1 = adadelta_element(x1, g1, a1, b1, rate, one_minus_rho, rho, eps)
    return x0, x1, a0, a1, b0, b1, c0, c1


@njit(cache=True, error_model="numpy", inline="always")
def adam_2d(hyper, lr, k0, k1, k2, like, x0, x1, g0, g1, a0, a1, b0, b1, c0, c1):
    """:func:`adam_update` on a 2-D point (``a``: m, ``b``: v; ``k0, k1``: step size, root
    correction)."""
    beta1, one_minus_beta1, beta2, one_minus_beta2, eps = _adam_betas(
        like, hyper[1], hyper[2], hyper[3]
    )
    x0, a0, b0 = adam_element(x0, g0, a0, b0, k0, k1, beta1, one_minus_beta1, beta2,
                              one_minus_beta2, eps)
    x1, a1, b1 = adam_element(x1, g1, a1, b1, k0, k1, beta1, one_minus_beta1, beta2,
                              one_minus_beta2, eps)
    return x0, x1, a0, a1, b0, b1, c0, c1


@njit(cache=True, error_model="numpy", inline="always")
def adamw_2d(hyper, lr, k0, k1, k2, like, x0, x1, g0, g1, a0, a1, b0, b1, c0, c1):
    """:func:`decoupled_weight_decay`, then :func:`adam_2d`."""
    factor = like.dtype.type(1.0 - lr * hyper[4])
    return adam_2d(hyper, lr, k0, k1, k2, like, x0 * factor, x1 * factor, g0, g1, a0, a1, b0, b1,
                   c0, c1)


@njit(cache=True, error_model="numpy", inline="always")
def amsgrad_2d(hyper, lr, k0, k1, k2, like, x0, x1, g0, g1, a0, a1, b0, b1, c0, c1):
    """:func:`amsgrad_update` on a 2-D point (``a``: m, ``b``: v, ``c``: running max of v)."""
    beta1, one_minus_beta1, beta2, one_minus_beta2, eps = _adam_betas(
        like, hyper[1], hyper[2], hyper[3]
    )
    x0, a0, b0, c0 = amsgrad_element(x0, g0, a0, b0, c0, k0, k1, beta1, one_minus_beta1, beta2,
                                     one_minus_beta2, eps)
    x1, a1, b1, c1 = amsgrad_element(x1, g1, a1, b1, c1, k0, k1, beta1, one_minus_beta1, beta2,
                                     one_minus_beta2, eps)
    return x0, x1, a0, a1, b0, b1, c0, c1


@njit(cache=True, error_model="numpy", inline="always")
def nadam_2d(hyper, lr, k0, k1, k2, like, x0, x1, g0, g1, a0, a1, b0, b1, c0, c1):
    """:func:`nadam_update` on a 2-D point (``a``: m, ``b``: v; ``k0, k1, k2``: coefficients of
    g and m, :math:`1-\\beta_2^t`)."""
    beta1, one_minus_beta1, beta2, one_minus_beta2, eps = _adam_betas(
        like, hyper[1], hyper[2], hyper[3]
    )
    x0, a0, b0 = nadam_element(x0, g0, a0, b0, k0, k1, k2, beta1, one_minus_beta1, beta2,
                               one_minus_beta2, eps)
    x1, a1, b1 = nadam_element(x1, g1, a1, b1, k0, k1, k2, beta1, one_minus_beta1, beta2,
                               one_minus_beta2, eps)
    return x0, x1, a0, a1, b0, b1, c0, c1


@njit(cache=True, inline="always")
def state_rows(state, x):
    """The first three rows of ``state``, with ``x`` standing in for rows a rule does not have."""
    n = state.shape[0]
    return (state[0] if n > 0 else x), (state[1] if n > 1 else x), (state[2] if n > 2 else x)


@njit(cache=True, error_model="numpy")
def apply_step(code, hyper, lr, x, g, state, scalars):
    """Advance ``x``, ``state`` and ``scalars`` by one step of rule ``code`` with rate ``lr``.

    ``g`` is the gradient at :func:`gradient_point`; ``lr`` the scheduled learning rate of this
    step; ``scalars[0]`` counts steps (1 after the first step).
    """
    s0, s1, s2 = state_rows(state, x)
    apply_step_rows(code, hyper, lr, x, g, s0, s1, s2, scalars)


# --------------------------------------------------------------------------- validation


def _finite(name, value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def _non_negative(name, value):
    value = _finite(name, value)
    if value < 0.0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return value


def _positive(name, value):
    value = _finite(name, value)
    if value <= 0.0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return value


def _unit_interval(name, value):
    value = _finite(name, value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return value


def _closed_unit_interval(name, value):
    value = _finite(name, value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return value


# --------------------------------------------------------------------------- Optimizer


@dataclass(frozen=True, eq=False)
class Optimizer:
    """An update rule with validated hyper-parameters, as numba sees it.

    ``hyper`` packs the float hyper-parameters in the order of ``hyper_names`` (``lr`` first);
    they are also readable as attributes (``opt.lr``, ``opt.gamma``). ``form`` tells the two
    conventions of momentum and Nesterov apart. Build one with the constructors of this module
    (:func:`gd`, :func:`adam`, ...) or :func:`get`.
    """

    name: str
    code: int
    hyper_names: tuple
    hyper: np.ndarray
    n_state: int
    n_scalars: int
    form: str | None = None

    def __getattr__(self, attr):
        names = object.__getattribute__(self, "hyper_names")
        if attr in names:
            return float(object.__getattribute__(self, "hyper")[names.index(attr)])
        raise AttributeError(attr)

    @property
    def params(self) -> dict:
        """The constructor's keyword arguments that rebuild this optimizer."""
        params = {key: getattr(self, key) for key in _CONSTRUCTOR_PARAMS[self.name]}
        if self.form is not None:
            params["form"] = self.form
        return params

    def with_params(self, **changes) -> Optimizer:
        """A validated copy with some hyper-parameters changed."""
        unknown = set(changes) - set(self.params)
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {sorted(unknown)} for {self.name}; "
                f"known: {sorted(self.params)}"
            )
        return get(self.name, **{**self.params, **changes})

    def init_state(self, dim: int, dtype=np.float64):
        """Fresh state ``(n_state, dim)`` of ``dtype`` and scalars ``(n_scalars,)`` float64.

        ``scalars[0]`` is the step counter (0 before the first step); the running products
        (:math:`\\beta^t`) start at 1. Delta-bar-delta's per-coordinate rates start at ``lr``.
        """
        state = np.zeros((self.n_state, dim), dtype=dtype)
        scalars = np.ones(self.n_scalars)
        scalars[0] = 0.0
        if self.code == DELTA_BAR_DELTA:
            state[0] = self.hyper[0]
        return state, scalars

    def __repr__(self):
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in self.params.items())})"


def _make(name, code, n_state, n_scalars, form=None, **hyper):
    values = np.array(list(hyper.values()), dtype=np.float64)
    values.setflags(write=False)
    return Optimizer(name, code, tuple(hyper), values, n_state, n_scalars, form)


def gd(lr: float) -> Optimizer:
    r"""Gradient descent :math:`x \leftarrow x - \eta g`. ``lr`` :math:`\eta \ge 0`."""
    return _make("gd", GD, 0, 1, lr=_non_negative("lr", lr))


def momentum(lr: float, gamma: float = 0.9, form: str = "velocity") -> Optimizer:
    r"""Heavy-ball momentum (Polyak 1964).

    ``form="velocity"`` (default; Sutskever et al. 2013, DD2424):
    :math:`v \leftarrow \gamma v + \eta g,\ x \leftarrow x - v`.
    ``form="pytorch"``: :math:`b \leftarrow \gamma b + g,\ x \leftarrow x - \eta b`.
    ``gamma`` = 0.9 is the customary default (Sutskever et al. 2013 use 0.9 to 0.999).
    """
    lr = _non_negative("lr", lr)
    gamma = _unit_interval("gamma", gamma)
    forms = {"velocity": MOMENTUM, "pytorch": MOMENTUM_PYTORCH}
    if form not in forms:
        raise ValueError(f"form must be one of {sorted(forms)}, got {form!r}")
    return _make("momentum", forms[form], 1, 1, form, lr=lr, gamma=gamma)


def nesterov(lr: float, gamma: float = 0.9, form: str = "lookahead") -> Optimizer:
    r"""Nesterov accelerated gradient (Nesterov 1983; Sutskever et al. 2013), velocity form.

    ``form="lookahead"``: :math:`v \leftarrow \gamma v + \eta\nabla f(x - \gamma v),\
    x \leftarrow x - v`.
    ``form="reformulated"`` (Bengio et al. 2012): the same iteration written for the
    look-ahead point :math:`y = x - \gamma v`, gradient at the iterate:
    :math:`v \leftarrow \gamma v + \eta g,\ y \leftarrow y - \gamma v - \eta g`.
    Both start from :math:`v = 0`, so their iterates are related by :math:`y_t = x_t - \gamma v_t`.
    """
    lr = _non_negative("lr", lr)
    gamma = _unit_interval("gamma", gamma)
    forms = {"lookahead": NESTEROV, "reformulated": NESTEROV_REFORMULATED}
    if form not in forms:
        raise ValueError(f"form must be one of {sorted(forms)}, got {form!r}")
    return _make("nesterov", forms[form], 1, 1, form, lr=lr, gamma=gamma)


def delta_bar_delta(
    lr: float, kappa: float = 1e-3, phi: float = 0.1, theta: float = 0.7
) -> Optimizer:
    r"""Delta-bar-delta (Jacobs 1988, *Neural Networks* 1(4):295-307).

    Each coordinate's rate starts at ``lr`` (> 0), grows by ``kappa`` (>= 0) while the new
    gradient agrees in sign with the average :math:`\bar\delta`, shrinks by the factor
    :math:`1-\phi` (``phi`` in [0, 1]) when it disagrees; :math:`\bar\delta` averages gradients
    with weight ``theta`` in [0, 1). Jacobs tuned :math:`\kappa, \phi, \theta` per problem; the
    defaults here are the book's choice for 2-D landscapes, not a published standard.
    """
    return _make(
        "delta_bar_delta", DELTA_BAR_DELTA, 2, 1,
        lr=_positive("lr", lr),
        kappa=_non_negative("kappa", kappa),
        phi=_closed_unit_interval("phi", phi),
        theta=_unit_interval("theta", theta),
    )


def adagrad(lr: float = 1e-2, eps: float = 1e-10) -> Optimizer:
    """AdaGrad (Duchi et al. 2011). Defaults ``lr=1e-2, eps=1e-10`` as ``torch.optim.Adagrad``."""
    return _make("adagrad", ADAGRAD, 1, 1, lr=_non_negative("lr", lr), eps=_positive("eps", eps))


def rmsprop(lr: float = 1e-2, rho: float = 0.99, eps: float = 1e-8) -> Optimizer:
    """RMSProp (Hinton 2012). Defaults ``lr=1e-2, rho=0.99, eps=1e-8`` as ``torch.optim.RMSprop``
    (where ``rho`` is called ``alpha``); Hinton's lecture suggests ``rho=0.9, lr=1e-3``."""
    return _make(
        "rmsprop", RMSPROP, 1, 1,
        lr=_non_negative("lr", lr), rho=_unit_interval("rho", rho), eps=_positive("eps", eps),
    )


def adadelta(lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6) -> Optimizer:
    """AdaDelta (Zeiler 2012). Defaults ``lr=1, rho=0.9, eps=1e-6`` as ``torch.optim.Adadelta``
    (Zeiler's paper has no learning rate, i.e. ``lr=1``, and uses ``rho=0.95``)."""
    return _make(
        "adadelta", ADADELTA, 2, 1,
        lr=_non_negative("lr", lr), rho=_unit_interval("rho", rho), eps=_positive("eps", eps),
    )


def _adam_hyper(lr, beta1, beta2, eps):
    return dict(
        lr=_non_negative("lr", lr),
        beta1=_unit_interval("beta1", beta1),
        beta2=_unit_interval("beta2", beta2),
        eps=_positive("eps", eps),
    )


def adam(lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
    """Adam (Kingma & Ba 2015). Defaults as the paper and ``torch.optim.Adam``."""
    return _make("adam", ADAM, 2, 3, **_adam_hyper(lr, beta1, beta2, eps))


def adamw(
    lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
    weight_decay: float = 1e-2,
) -> Optimizer:
    r"""AdamW (Loshchilov & Hutter 2019): :math:`x \leftarrow (1-\eta\lambda)x`, then Adam.

    Defaults as ``torch.optim.AdamW`` (``weight_decay=1e-2``, >= 0).
    """
    hyper = _adam_hyper(lr, beta1, beta2, eps)
    hyper["weight_decay"] = _non_negative("weight_decay", weight_decay)
    return _make("adamw", ADAMW, 2, 3, **hyper)


def amsgrad(lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
    """AMSGrad (Reddi et al. 2018) as ``torch.optim.Adam(amsgrad=True)``; defaults as Adam."""
    return _make("amsgrad", AMSGRAD, 3, 3, **_adam_hyper(lr, beta1, beta2, eps))


def nadam(
    lr: float = 2e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
    momentum_decay: float = 4e-3,
) -> Optimizer:
    r"""NAdam (Dozat 2016) as ``torch.optim.NAdam``, including its defaults.

    ``momentum_decay`` :math:`\psi \ge 0` sets :math:`\mu_t = \beta_1(1-\tfrac12 0.96^{t\psi})`.
    The power :math:`0.96^{t\psi}` is a running product of the constant :math:`0.96^\psi`
    (stored as the last hyper-parameter ``decay_factor``), so it differs from PyTorch's ``pow``
    in the last bits only.
    """
    hyper = _adam_hyper(lr, beta1, beta2, eps)
    hyper["momentum_decay"] = _non_negative("momentum_decay", momentum_decay)
    hyper["decay_factor"] = NADAM_DECAY_BASE ** hyper["momentum_decay"]
    return _make("nadam", NADAM, 2, 4, **hyper)


_CONSTRUCTORS = {
    "gd": gd,
    "momentum": momentum,
    "nesterov": nesterov,
    "delta_bar_delta": delta_bar_delta,
    "adagrad": adagrad,
    "rmsprop": rmsprop,
    "adadelta": adadelta,
    "adam": adam,
    "adamw": adamw,
    "amsgrad": amsgrad,
    "nadam": nadam,
}

_CONSTRUCTOR_PARAMS = {
    "gd": ("lr",),
    "momentum": ("lr", "gamma"),
    "nesterov": ("lr", "gamma"),
    "delta_bar_delta": ("lr", "kappa", "phi", "theta"),
    "adagrad": ("lr", "eps"),
    "rmsprop": ("lr", "rho", "eps"),
    "adadelta": ("lr", "rho", "eps"),
    "adam": ("lr", "beta1", "beta2", "eps"),
    "adamw": ("lr", "beta1", "beta2", "eps", "weight_decay"),
    "amsgrad": ("lr", "beta1", "beta2", "eps"),
    "nadam": ("lr", "beta1", "beta2", "eps", "momentum_decay"),
}

NAMES = tuple(_CONSTRUCTORS)
"""The names :func:`get` knows."""


def get(name: str, **kwargs) -> Optimizer:
    """The optimizer called ``name`` (one of :data:`NAMES`) with keyword hyper-parameters."""
    if name not in _CONSTRUCTORS:
        raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(NAMES)}")
    return _CONSTRUCTORS[name](**kwargs)
