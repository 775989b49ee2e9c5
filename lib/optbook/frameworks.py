r"""Other frameworks' update rules, transcribed from their documentation into plain NumPy.

The conventions appendix runs these beside the library's own rules to show where two ways of
writing one method agree and where they part. Each function runs ``len(lrs)`` steps on a
landscape from ``x0``, with learning rate ``lrs[t-1]`` at step :math:`t = 1, 2, \dots` (so a
schedule is an array), and returns the ``(len(lrs) + 1, dim)`` iterates. They are slow
reference loops (one ``landscape.grad`` call per step), not the book's kernels.

Sources, quoted in each docstring: PyTorch's ``torch.optim.SGD`` algorithm box (PyTorch 2
documentation); Keras' ``SGD`` (TensorFlow 2 / Keras 2 documentation); Adam's Algorithm 1 and
its "more efficient" ordering of Section 2 (Kingma & Ba 2015), which TensorFlow's
``AdamOptimizer`` and Keras 2's ``Adam`` use (their ``epsilon`` is that ordering's
:math:`\hat\varepsilon`) and the Barra lecture writes.
"""

from __future__ import annotations

import math

import numpy as np

from optbook.landscapes import Landscape


def _start(landscape, x0, lrs):
    if not isinstance(landscape, Landscape):
        raise ValueError(f"landscape must be an optbook Landscape, got {type(landscape).__name__}")
    x = np.array(x0, dtype=np.float64).reshape(-1)
    if x.shape != (landscape.dim,) or not np.all(np.isfinite(x)):
        raise ValueError(f"x0 must be {landscape.dim} finite numbers, got {x0}")
    lrs = np.asarray(lrs, dtype=np.float64).reshape(-1)
    if lrs.size == 0 or not np.all(np.isfinite(lrs)) or np.any(lrs <= 0):
        raise ValueError(f"lrs must be finite learning rates > 0 (at least one), got {lrs}")
    out = np.empty((lrs.size + 1, x.size))
    out[0] = x
    return x, lrs, out


def _in(name, value, low, high, high_open=False):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if math.isnan(value) or value < low or value > high or (high_open and value == high):
        raise ValueError(f"{name} must be in [{low:g}, {high:g}{')' if high_open else ']'}, "
                         f"got {value!r}")
    return value


def torch_sgd(landscape, x0, lrs, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    r"""``torch.optim.SGD`` as its documentation writes it (learning rate :math:`\eta_t`,
    momentum :math:`\mu`, dampening :math:`\tau`, weight decay :math:`\lambda`):

    .. math::
        g_t &\leftarrow \nabla f(x_{t-1}) + \lambda x_{t-1},\\
        b_t &\leftarrow g_t \ \text{ if } t = 1, \text{ else } \mu b_{t-1} + (1-\tau) g_t,\\
        x_t &\leftarrow x_{t-1} - \eta_t\,(g_t + \mu b_t) \ \text{ (Nesterov), else }
        x_{t-1} - \eta_t\, b_t .

    The first step copies the gradient into the buffer without dampening. With
    :math:`\mu = 0` the buffer is skipped (plain SGD). Nesterov needs :math:`\mu > 0` and
    :math:`\tau = 0`, as in PyTorch."""
    x, lrs, out = _start(landscape, x0, lrs)
    mu = _in("momentum", momentum, 0.0, 1.0)
    tau = _in("dampening", dampening, 0.0, 1.0)
    wd = _in("weight_decay", weight_decay, 0.0, math.inf)
    if nesterov and (mu == 0.0 or tau != 0.0):
        raise ValueError("nesterov needs momentum > 0 and dampening = 0 (as torch.optim.SGD)")
    buffer = None
    for t, lr in enumerate(lrs, start=1):
        g = landscape.grad(x) + wd * x
        if mu != 0.0:
            buffer = g.copy() if t == 1 else mu * buffer + (1.0 - tau) * g
            g = g + mu * buffer if nesterov else buffer
        x = x - lr * g
        out[t] = x
    return out


def keras_sgd(landscape, x0, lrs, momentum=0.0, nesterov=False):
    r"""Keras' ``SGD`` as its documentation writes it, with the learning rate inside the
    velocity:

    .. math::
        u &\leftarrow \mu u - \eta_t \nabla f(x),\\
        x &\leftarrow x + u \ \text{ (or, with Nesterov, } x + \mu u - \eta_t\nabla f(x)\text{)},

    :math:`u_0 = 0`. It is the library's velocity form with :math:`u = -v` (and, with Nesterov,
    the reformulated Nesterov)."""
    x, lrs, out = _start(landscape, x0, lrs)
    mu = _in("momentum", momentum, 0.0, 1.0)
    velocity = np.zeros_like(x)
    for t, lr in enumerate(lrs, start=1):
        g = landscape.grad(x)
        velocity = mu * velocity - lr * g
        x = x + mu * velocity - lr * g if nesterov else x + velocity
        out[t] = x
    return out


ADAM_CORRECTIONS = ("separate", "folded")
"""How :func:`adam` applies the bias corrections: to each moment (Algorithm 1) or folded into
the step size (Kingma & Ba, end of Section 2)."""


def adam(landscape, x0, lrs, beta1=0.9, beta2=0.999, eps=1e-8, correction="separate",
         first_t=1):
    r"""Adam with its bias corrections applied in one of two ways (Kingma & Ba 2015):

    * ``"separate"`` (Algorithm 1; PyTorch): :math:`\hat m = m/(1-\beta_1^t)`,
      :math:`\hat v = v/(1-\beta_2^t)`, :math:`x \leftarrow x - \eta_t\,\hat m/(\sqrt{\hat v} +
      \varepsilon)`;
    * ``"folded"`` (end of Section 2; TensorFlow 1, Keras 2, the Barra lecture):
      :math:`x \leftarrow x - \eta_t\,\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,
      \frac{m}{\sqrt{v}+\varepsilon}`, which is the separate form with
      :math:`\varepsilon/\sqrt{1-\beta_2^t}` in place of :math:`\varepsilon`.

    Both with :math:`m \leftarrow \beta_1 m + (1-\beta_1)g`,
    :math:`v \leftarrow \beta_2 v + (1-\beta_2)g^2` from zero. ``first_t`` is the value of
    :math:`t` in :math:`\beta^t` at the first step: 1 as in the paper; 0 transcribes a slide that
    counts from 0, whose first correction divides by :math:`1-\beta^0 = 0` (the run then holds
    non-finite iterates: a result, not an error)."""
    x, lrs, out = _start(landscape, x0, lrs)
    b1 = _in("beta1", beta1, 0.0, 1.0, high_open=True)
    b2 = _in("beta2", beta2, 0.0, 1.0, high_open=True)
    eps = _in("eps", eps, 0.0, math.inf)
    if correction not in ADAM_CORRECTIONS:
        raise ValueError(f"correction must be one of {ADAM_CORRECTIONS}, got {correction!r}")
    if first_t not in (0, 1) or isinstance(first_t, bool):
        raise ValueError(f"first_t must be 0 or 1, got {first_t!r}")
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        for step, lr in enumerate(lrs, start=1):
            t = step - 1 + first_t
            g = landscape.grad(x)
            m = b1 * m + (1.0 - b1) * g
            v = b2 * v + (1.0 - b2) * g * g
            c1, c2 = np.float64(1.0 - b1**t), np.float64(1.0 - b2**t)
            if correction == "separate":
                x = x - lr * (m / c1) / (np.sqrt(v / c2) + eps)
            else:
                x = x - lr * (np.sqrt(c2) / c1) * m / (np.sqrt(v) + eps)
            out[step] = x
            if not np.all(np.isfinite(x)):
                out[step + 1:] = np.nan
                break
    return out
