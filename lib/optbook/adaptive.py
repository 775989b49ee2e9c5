r"""What the adaptive rules do to each coordinate: effective rates, first steps, where
:math:`\varepsilon` goes, and the folded form of Adam.

The adaptive chapter reads these off the rules of :mod:`optbook.optimizers`:

* :func:`effective_rates`: the learning rate each coordinate receives at every step of a
  gradient sequence, read from the rule's state after the step (the factor that multiplies the
  gradient, or for the Adam family the bias-corrected average :math:`\hat m`; see the
  function);
* :func:`first_step`: the first step of a rule from a fresh state, in closed form (checked in
  the tests against the registry's kernels);
* :func:`first_step_size`: Adam's first step for a gradient of size :math:`|g|` under the
  three placements of :math:`\varepsilon` (outside the root, inside it, and the folded form
  of Kingma & Ba 2015, end of section 2, which the Barra lecture writes);
* :func:`folded_adam`: a run of that folded form on a landscape, in plain NumPy.
"""

from __future__ import annotations

import math

import numpy as np

from optbook import optimizers
from optbook.optimizers import NADAM_DECAY_BASE, Optimizer

CONVENTIONS = ("outside", "inside", "folded")
r"""Where Adam's :math:`\varepsilon` goes: ``"outside"`` the root (PyTorch, the paper's
algorithm box, the library), ``"inside"`` it (:math:`\sqrt{\hat v + \varepsilon}`), or the
``"folded"`` form :math:`\eta\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\frac{m}{\sqrt v +
\varepsilon}`."""

_RATE_RULES = ("gd", "delta_bar_delta", "adagrad", "rmsprop", "adadelta", "adam", "adamw",
               "amsgrad", "adamax", "nadam")


def _check_optimizer(opt):
    if not isinstance(opt, Optimizer):
        raise ValueError(f"optimizer must be an optbook Optimizer, got {type(opt).__name__}")
    if opt.name not in _RATE_RULES:
        raise ValueError(f"optimizer must be one of {_RATE_RULES}, got {opt.name!r}")


def _check_gradients(gradients) -> np.ndarray:
    g = np.asarray(gradients, dtype=np.float64)
    if g.ndim == 1:
        g = g[:, None]
    if g.ndim != 2 or g.shape[0] < 1 or g.shape[1] < 1 or not np.all(np.isfinite(g)):
        raise ValueError("gradients must be a finite (steps, dim) array with steps, dim >= 1, "
                         f"got shape {np.shape(gradients)}")
    return g


def effective_rates(opt: Optimizer, gradients) -> np.ndarray:
    r"""The learning rate each coordinate gets at each step of the gradient sequence.

    ``gradients``: ``(T, d)`` (or ``(T,)`` for one coordinate), fed to ``opt`` in turn from a
    fresh state (at :math:`x = 0`, so weight decay plays no part). Returns ``(T, d)``: row
    :math:`t-1` is the rate of step :math:`t`, read from the state after it:

    * gradient descent :math:`\eta`; delta-bar-delta its per-coordinate rate :math:`\epsilon_i`;
    * AdaGrad :math:`\tilde\eta/(\sqrt{r}+\varepsilon)`; RMSProp
      :math:`\eta/(\sqrt{\tilde s}+\varepsilon)` (its rate on the gradient, before momentum);
      AdaDelta :math:`\eta\sqrt{u_{t-1}+\varepsilon}/\sqrt{s_t+\varepsilon}`;
    * Adam, AdamW and NAdam :math:`\eta/(\sqrt{v/(1-\beta_2^t)}+\varepsilon)`, AMSGrad the
      same with :math:`v_{\max}`, Adamax :math:`\eta/u`: the rate on the bias-corrected
      average :math:`\hat m` they step along (for NAdam, on its mix of :math:`g` and
      :math:`m`).
    """
    _check_optimizer(opt)
    g = _check_gradients(gradients)
    steps, dim = g.shape
    x = np.zeros(dim)
    state = opt.init_state(dim)
    rates = np.empty((steps, dim))
    for t in range(steps):
        before = state.rows.copy()
        optimizers.step(opt, x, g[t].copy(), state, None)
        rates[t] = _rate_from_state(opt, state, before)
    return rates


def _rate_from_state(opt, state, before):
    name, lr, n = opt.name, opt.lr, state.step
    if name == "gd":
        return np.full(state.dim, lr)
    if name == "delta_bar_delta":
        return state["rate"].copy()
    if name == "adagrad":
        decayed = lr / (1.0 + (n - 1) * opt.lr_decay)
        return decayed / (np.sqrt(state["r"]) + opt.eps)
    if name == "rmsprop":
        s = state["s"] - (state["g_avg"] ** 2 if opt.centered else 0.0)
        return lr / (np.sqrt(s) + opt.eps)
    if name == "adadelta":
        u_before = before[state.names.index("u")]
        return lr * np.sqrt(u_before + opt.eps) / np.sqrt(state["s"] + opt.eps)
    if name == "adamax":
        return lr / state["u"]
    correction = 1.0 - opt.beta2 ** n
    v = state["v_max"] if name == "amsgrad" or (name == "adamw" and opt.amsgrad) else state["v"]
    return lr / (np.sqrt(v / correction) + opt.eps)


def first_step(opt: Optimizer, g) -> np.ndarray:
    r"""The first step :math:`x_1 - x_0` of ``opt`` from a fresh state at :math:`x_0 = 0`
    for the gradient ``g``, in closed form (so weight decay plays no part):

    * gradient descent and delta-bar-delta :math:`-\eta g` (:math:`\bar\delta_0 = 0` leaves
      the rate alone);
    * AdaGrad :math:`-\eta g/(\sqrt{r_0 + g^2}+\varepsilon)`;
    * RMSProp :math:`-\eta g/(\sqrt{(1-\rho)}|g|+\varepsilon)`, centred
      :math:`-\eta g/(\sqrt{\rho(1-\rho)}|g|+\varepsilon)` (momentum changes nothing yet);
    * AdaDelta :math:`-\eta g\sqrt{\varepsilon/((1-\rho)g^2+\varepsilon)}`;
    * Adam, AdamW, AMSGrad, Adamax :math:`-\eta g/(|g|+\varepsilon)`;
    * NAdam :math:`-\eta g/(|g|+\varepsilon)\,\bigl(1 + (1-\beta_1)\mu_2/(1-\mu_1\mu_2)\bigr)`
      with :math:`\mu_t = \beta_1(1-\tfrac12 0.96^{t\psi})`.
    """
    _check_optimizer(opt)
    g = np.asarray(g, dtype=np.float64)
    if not np.all(np.isfinite(g)):
        raise ValueError(f"g must be finite, got {g}")
    lr, a = opt.lr, np.abs(g)
    name = opt.name
    if name in ("gd", "delta_bar_delta"):
        return -lr * g
    if name == "adagrad":
        return -lr * g / (np.sqrt(opt.initial_accumulator + g * g) + opt.eps)
    if name == "rmsprop":
        spread = opt.rho * (1.0 - opt.rho) if opt.centered else 1.0 - opt.rho
        return -lr * g / (math.sqrt(spread) * a + opt.eps)
    if name == "adadelta":
        return -lr * g * np.sqrt(opt.eps / ((1.0 - opt.rho) * g * g + opt.eps))
    base = -lr * g / (a + opt.eps)
    if name == "nadam":
        mu1 = opt.beta1 * (1.0 - 0.5 * NADAM_DECAY_BASE ** opt.momentum_decay)
        mu2 = opt.beta1 * (1.0 - 0.5 * NADAM_DECAY_BASE ** (2.0 * opt.momentum_decay))
        return base * (1.0 + (1.0 - opt.beta1) * mu2 / (1.0 - mu1 * mu2))
    return base


def first_step_size(g, convention: str, *, lr=1e-3, beta2=0.999, eps=1e-8) -> np.ndarray:
    r"""The length of Adam's first step for gradients of size ``g`` (any shape, :math:`|g|`
    taken), with :math:`\varepsilon` placed as ``convention`` says (:data:`CONVENTIONS`).

    After one step :math:`\hat m = g` and :math:`\hat v = g^2`, so the step is
    :math:`\eta|g|/(|g|+\varepsilon)` outside the root, :math:`\eta|g|/\sqrt{g^2+\varepsilon}`
    inside it, and in the folded form, where :math:`m = (1-\beta_1)g` and
    :math:`\sqrt v = \sqrt{1-\beta_2}|g|`,
    :math:`\eta|g|/(|g| + \varepsilon/\sqrt{1-\beta_2})` (:math:`\beta_1` cancels).
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    optimizers.adam(lr, 0.9, beta2, eps)  # validates lr >= 0, beta2 in [0, 1), eps > 0
    a = np.abs(np.asarray(g, dtype=np.float64))
    if convention == "outside":
        return lr * a / (a + eps)
    if convention == "inside":
        return lr * a / np.sqrt(a * a + eps)
    return lr * a / (a + eps / math.sqrt(1.0 - beta2))


def folded_adam(landscape, x0, steps, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    r"""Iterates of Adam in the folded form of Kingma & Ba (2015, end of section 2), the form
    the Barra lecture writes:

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2)g_t^2,
        \quad x_t = x_{t-1} - \eta\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}
        \frac{m_t}{\sqrt{v_t}+\varepsilon}.

    It is Adam (:func:`optbook.optimizers.adam`) whose :math:`\varepsilon` at step :math:`t`
    is :math:`\varepsilon/\sqrt{1-\beta_2^t}`, larger than :math:`\varepsilon` early on;
    conversely, Adam is the folded form with :math:`\varepsilon\sqrt{1-\beta_2^t}`.
    Plain NumPy on ``landscape.grad``; returns the ``(steps + 1, dim)`` iterates.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    optimizers.adam(lr, beta1, beta2, eps)  # validates the hyper-parameters
    x = np.array(x0, dtype=np.float64)
    if x.shape != (landscape.dim,):
        raise ValueError(f"x0 must have {landscape.dim} coordinates, got shape {x.shape}")
    m, v = np.zeros_like(x), np.zeros_like(x)
    out = [x.copy()]
    for t in range(1, steps + 1):
        g = landscape.grad(x)
        m = beta1 * m + (1.0 - beta1) * g
        v = beta2 * v + (1.0 - beta2) * g * g
        x = x - lr * math.sqrt(1.0 - beta2 ** t) / (1.0 - beta1 ** t) * m / (np.sqrt(v) + eps)
        out.append(x.copy())
    return np.array(out)
