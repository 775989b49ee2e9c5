r"""The update rules: for each, its element function, its constants and its record.

An element function moves one coordinate: ``element(x, g, a, b, c, k0, k1, k2, h) -> (x, a,
b, c)``, with ``a, b, c`` the coordinate's state (rows the rule lacks pass through),
``k0, k1, k2`` the step's constants and ``h`` the rule's constants from its hyper-parameters,
all already rounded to the iterate's dtype (see :class:`~optbook.optimizers.registry.Form`).
The array kernels loop it over a vector, the 2-D kernels call it on two coordinates held in
registers, so one definition moves a 2-D point and a network's parameters alike.

Each section ends with the rule's :func:`~optbook.optimizers.registry.register` call, whose
``doc`` is the constructor's docstring (algorithm, reference, PyTorch's counterpart).

Coupled weight decay (PyTorch's ``weight_decay`` in SGD, RMSprop, Adagrad, Adam) adds
:math:`\lambda p` to the gradient before anything else, :math:`p` the point where the gradient
was taken (the iterate, or look-ahead Nesterov's look-ahead point): it is the gradient of the
loss plus :math:`\tfrac\lambda2\|p\|^2`. A rule names that hyper-parameter in its record
(``decay``) and the kernels apply it, compiled in only where :math:`\lambda \ne 0`: with
:math:`\lambda = 0` a rule's iterates are those of the rule without the option, bit for bit,
and its 2-D step pays nothing for it (a run-time test on the chain cost about 0.9 ns a step).
"""

from __future__ import annotations

import math

from numba import njit

from optbook import theory
from optbook.optimizers.quotients import divide
from optbook.optimizers.registry import (
    CLOSED_UNIT,
    NON_NEGATIVE,
    POSITIVE,
    UNIT,
    Form,
    Hyper,
    Rule,
    Slider,
    boolean,
    register,
)

NADAM_DECAY_BASE = 0.96
"""Base of NAdam's momentum schedule :math:`\\mu_t = \\beta_1(1 - \\tfrac12\\,0.96^{t\\psi})`."""

_JIT = dict(cache=True, error_model="numpy", inline="always")


# --------------------------------------------------------------------------- shared pieces


@njit(**_JIT)
def rate_constant(hyper, lr, t, p1, p2, p3, like):
    """The step constants of a rule that needs only the step's rate: ``(lr, 0, 0)``."""
    cast = like.dtype.type
    return cast(lr), cast(0.0), cast(0.0)


@njit(cache=True, inline="always")
def count_step(hyper, t, p1, p2, p3):
    """Counters after one more step of a rule that keeps only the step counter."""
    return t + 1.0, p1, p2, p3


def _hyper(name, symbol, latex, label, default, check, slider, **kw):
    return Hyper(name, symbol, latex, label, default, check, slider, **kw)


def _lr(default, check=NON_NEGATIVE):
    return _hyper("lr", "η", r"\eta", "learning rate", default, check,
                  Slider("log", 1e-5, 10.0, 0.02))


def _weight_decay(default=0.0, forms=None):
    return _hyper("weight_decay", "λ", r"\lambda", "weight decay", default, NON_NEGATIVE,
                  Slider("linear", 0.0, 0.2, 0.001), forms=forms)


def _eps(default):
    return _hyper("eps", "ε", r"\varepsilon", "stability constant", default, POSITIVE,
                  Slider("log", 1e-12, 1.0, 0.02))


def _gamma(label="momentum"):
    return _hyper("gamma", "γ", r"\gamma", label, 0.9, UNIT, Slider("linear", 0.0, 0.99, 0.01))


def _no_decay_then(rate):
    """A theory entry: ``rate(opt, eigenvalues)`` without weight decay, NaN with it (the run
    then converges to the minimiser of the decayed loss, not the landscape's)."""
    def entry(opt, eigenvalues):
        return rate(opt, eigenvalues) if opt.weight_decay == 0.0 else math.nan
    return entry


# --------------------------------------------------------------------------- gradient descent


@njit(cache=True, error_model="numpy", inline="always")
def no_constants(hyper, like):
    """The constants of a rule that needs none besides its step's: an empty tuple."""
    return ()


@njit(**_JIT)
def gd_element(x, g, a, b, c, lr, k1, k2, h):
    r""":math:`x - \eta g`."""
    return x - lr * g, a, b, c


register(Rule(
    name="gd",
    title="gradient descent",
    doc=r"""Gradient descent (Cauchy 1847): :math:`x \leftarrow x - \eta\,(g + \lambda x)`.

    PyTorch: ``torch.optim.SGD(lr, weight_decay=λ)`` with ``momentum=0``, whose documented
    algorithm adds :math:`\lambda\theta_{t-1}` to the gradient when :math:`\lambda \ne 0`
    and then steps :math:`\theta_t = \theta_{t-1} - \gamma g_t` (PyTorch calls the rate
    :math:`\gamma`).
    """,
    hypers=(_lr(None), _weight_decay()),
    forms=(Form(None, 0, (), gd_element, no_constants, rate_constant,
                r"x \leftarrow x - \eta g"),),
    parameters=("lr", "weight_decay"),
    decay="weight_decay",
    advance=count_step,
    style=("blue", "-"),
    theory=_no_decay_then(lambda opt, lam: theory.gd_rate(opt.lr, lam)),
    theory_bound=True,
))


# --------------------------------------------------------------------------- heavy ball


@njit(cache=True, error_model="numpy", inline="always")
def momentum_constants(hyper, like):
    """:math:`(\\gamma,)` of the momentum rules (``hyper = (lr, gamma, ..)``)."""
    return (like.dtype.type(hyper[1]),)


@njit(**_JIT)
def momentum_element(x, g, v, b, c, lr, k1, k2, h):
    r"""Velocity form: :math:`v' = \gamma v + \eta g,\ x' = x - v'`."""
    (gamma,) = h
    v = gamma * v + lr * g
    return x - v, v, b, c


@njit(cache=True, error_model="numpy", inline="always")
def dampened_rate(hyper, lr, t, p1, p2, p3, like):
    r"""``(lr, 1 - τ, 0)``, with :math:`1-\tau` replaced by 1 on the first step (PyTorch starts
    the buffer at the first gradient, undampened)."""
    cast = like.dtype.type
    return cast(lr), cast(1.0 if t == 1.0 else 1.0 - hyper[2]), cast(0.0)


@njit(**_JIT)
def momentum_pytorch_element(x, g, buf, b, c, lr, damp, k2, h):
    r"""PyTorch form: :math:`b' = \mu b + (1-\tau) g,\ x' = x - \eta b'`."""
    (mu,) = h
    buf = mu * buf + damp * g
    return x - lr * buf, buf, b, c


def _heavy_ball_theory(opt, lam):
    damping = 1.0 - opt.dampening if opt.form == "pytorch" else 1.0
    return theory.heavy_ball_rate(opt.lr * damping, opt.gamma, lam)


register(Rule(
    name="momentum",
    title="heavy-ball momentum",
    doc=r"""Heavy-ball momentum (Polyak 1964).

    ``form="velocity"`` (the default; Sutskever et al. 2013, DD2424):
    :math:`v \leftarrow \gamma v + \eta g,\ x \leftarrow x - v`.

    ``form="pytorch"`` (``torch.optim.SGD(lr, momentum=γ, dampening=τ, weight_decay=λ)``):
    :math:`b \leftarrow \gamma b + (1-\tau) g,\ x \leftarrow x - \eta b`, where on the first
    step :math:`b \leftarrow g` (PyTorch's documented algorithm: the buffer starts at the first
    gradient, so dampening skips it). With a constant :math:`\eta` and no dampening the two
    forms give the same iterates (:math:`v = \eta b`); after a change of :math:`\eta` they part
    ways, and ``dampening`` exists in the PyTorch form only.

    ``weight_decay`` :math:`\lambda` (both forms) first replaces :math:`g` by
    :math:`g + \lambda x`, as PyTorch does. :math:`\gamma = 0.9` is the customary default
    (Sutskever et al. 2013 use 0.9 to 0.999).
    """,
    hypers=(
        _lr(None), _gamma(),
        _hyper("dampening", "τ", r"\tau", "dampening", 0.0, CLOSED_UNIT,
               Slider("linear", 0.0, 1.0, 0.01), forms=("pytorch",)),
        _weight_decay(),
    ),
    forms=(
        Form("velocity", 1, ("v",), momentum_element, momentum_constants, rate_constant,
             r"v \leftarrow \gamma v + \eta g,\ x \leftarrow x - v"),
        Form("pytorch", 2, ("b",), momentum_pytorch_element, momentum_constants,
             dampened_rate, r"b \leftarrow \gamma b + (1-\tau) g,\ x \leftarrow x - \eta b",
             counted=True),
    ),
    parameters=("lr", "gamma", "form", "dampening", "weight_decay"),
    decay="weight_decay",
    advance=count_step,
    style=("vermillion", "-"),
    theory=_no_decay_then(_heavy_ball_theory),
))


# --------------------------------------------------------------------------- Nesterov


@njit(**_JIT)
def lookahead_element(x, v, gamma):
    r"""Nesterov's look-ahead point :math:`x - \gamma v`."""
    return x - gamma * v


@njit(**_JIT)
def nesterov_point(x, v, h):
    """Where look-ahead Nesterov takes its gradient (``h`` from :func:`momentum_constants`)."""
    return lookahead_element(x, v, h[0])


@njit(**_JIT)
def nesterov_element(x, g, v, b, c, lr, k1, k2, h):
    r"""Look-ahead form, ``g`` taken at :math:`x - \gamma v`: :math:`v' = \gamma v + \eta g,\
    x' = x - v'`."""
    (gamma,) = h
    v = gamma * v + lr * g
    return x - v, v, b, c


@njit(**_JIT)
def nesterov_reformulated_element(x, g, v, b, c, lr, k1, k2, h):
    r"""Reformulated form: :math:`v' = \gamma v + \eta g,\ y' = y - (\gamma v' + \eta g)`."""
    (gamma,) = h
    step = lr * g
    v = gamma * v + step
    return x - (gamma * v + step), v, b, c


@njit(**_JIT)
def nesterov_pytorch_element(x, g, buf, b, c, lr, k1, k2, h):
    r"""PyTorch form: :math:`b' = \mu b + g,\ x' = x - \eta (g + \mu b')`."""
    (mu,) = h
    buf = mu * buf + g
    return x - lr * (g + mu * buf), buf, b, c


register(Rule(
    name="nesterov",
    title="Nesterov momentum",
    doc=r"""Nesterov's accelerated gradient (Nesterov 1983; Sutskever et al. 2013).

    ``form="lookahead"`` (the default): the gradient at the look-ahead point,
    :math:`v \leftarrow \gamma v + \eta\nabla f(x - \gamma v),\ x \leftarrow x - v`.

    ``form="reformulated"`` (Bengio et al. 2012): the same iteration written for the
    look-ahead point :math:`y = x - \gamma v`, with the gradient at the iterate:
    :math:`v \leftarrow \gamma v + \eta g,\ y \leftarrow y - \gamma v - \eta g`. Both start
    from :math:`v = 0`, so :math:`y_t = x_t - \gamma v_t`.

    ``form="pytorch"`` (``torch.optim.SGD(lr, momentum=μ, nesterov=True)``, whose documented
    algorithm sets :math:`b_t = \mu b_{t-1} + g_t` (:math:`b_1 = g_1`) and steps along
    :math:`g_t + \mu b_t`): :math:`b \leftarrow \mu b + g,\ x \leftarrow x - \eta(g + \mu b)`.
    With a constant rate it is the reformulated form with :math:`v = \eta b`; after a change of
    :math:`\eta` it follows PyTorch, where the reformulated form does not.

    ``weight_decay`` :math:`\lambda` adds :math:`\lambda` times the point where the gradient
    is taken to the gradient (the look-ahead point in the look-ahead form).
    """,
    hypers=(_lr(None), _gamma(), _weight_decay()),
    forms=(
        Form("lookahead", 3, ("v",), nesterov_element, momentum_constants, rate_constant,
             r"v \leftarrow \gamma v + \eta\nabla f(x - \gamma v),\ x \leftarrow x - v",
             point=nesterov_point),
        Form("reformulated", 4, ("v",), nesterov_reformulated_element, momentum_constants,
             rate_constant,
             r"v \leftarrow \gamma v + \eta g,\ y \leftarrow y - \gamma v - \eta g"),
        Form("pytorch", 13, ("b",), nesterov_pytorch_element, momentum_constants,
             rate_constant, r"b \leftarrow \mu b + g,\ x \leftarrow x - \eta (g + \mu b)"),
    ),
    parameters=("lr", "gamma", "form", "weight_decay"),
    decay="weight_decay",
    advance=count_step,
    style=("bluish green", "-"),
    theory=_no_decay_then(lambda opt, lam: theory.nesterov_rate(opt.lr, opt.gamma, lam)),
))


# --------------------------------------------------------------------------- delta-bar-delta


@njit(cache=True, error_model="numpy", inline="always")
def delta_bar_delta_constants(hyper, like):
    r""":math:`(\kappa, 1-\phi, 1-\theta, \theta)`."""
    cast = like.dtype.type
    return cast(hyper[1]), cast(1.0 - hyper[2]), cast(1.0 - hyper[3]), cast(hyper[3])


@njit(cache=True, error_model="numpy", inline="always")
def schedule_scale(hyper, lr, t, p1, p2, p3, like):
    """``(η_t/η_0, 0, 0)``: a schedule scales delta-bar-delta's own rates (exactly 1 without
    a schedule)."""
    cast = like.dtype.type
    return cast(1.0 if lr == hyper[0] else lr / hyper[0]), cast(0.0), cast(0.0)


@njit(**_JIT)
def delta_bar_delta_element(x, g, rate, bar, c, scale, k1, k2, h):
    r"""Delta-bar-delta on one coordinate (``rate``: its learning rate, ``bar``:
    :math:`\bar\delta`)."""
    kappa, shrink, keep, theta = h
    agreement = bar * g
    if agreement > 0.0:
        rate += kappa
    elif agreement < 0.0:
        rate *= shrink
    return x - scale * rate * g, rate, keep * g + theta * bar, c


register(Rule(
    name="delta_bar_delta",
    title="delta-bar-delta",
    doc=r"""Delta-bar-delta (Jacobs 1988, *Neural Networks* 1(4):295-307): one learning rate
    per coordinate.

    .. math::
        \epsilon_i \leftarrow \begin{cases}
            \epsilon_i + \kappa & \bar\delta_i g_i > 0\\
            (1-\phi)\,\epsilon_i & \bar\delta_i g_i < 0\\
            \epsilon_i & \text{otherwise}\end{cases},\qquad
        x_i \leftarrow x_i - \epsilon_i g_i,\qquad
        \bar\delta_i \leftarrow (1-\theta) g_i + \theta\bar\delta_i

    Each rate starts at ``lr``; a schedule scales them all by :math:`\eta_t/\eta_0`. Jacobs
    tuned :math:`\kappa, \phi, \theta` per problem; the defaults are the book's choice for 2-D
    landscapes, not a published standard. PyTorch has no counterpart.
    """,
    hypers=(
        _lr(None, POSITIVE),
        _hyper("kappa", "κ", r"\kappa", "rate increment", 1e-3, NON_NEGATIVE,
               Slider("log", 1e-6, 1.0, 0.02)),
        _hyper("phi", "φ", r"\phi", "rate decrease factor", 0.1, CLOSED_UNIT,
               Slider("linear", 0.0, 1.0, 0.01)),
        _hyper("theta", "θ", r"\theta", "gradient-average weight", 0.7, UNIT,
               Slider("linear", 0.0, 0.99, 0.01)),
    ),
    forms=(Form(None, 5, ("rate", "bar"), delta_bar_delta_element, delta_bar_delta_constants,
                schedule_scale,
                r"\epsilon \leftarrow \epsilon + \kappa \text{ or } (1-\phi)\epsilon,\ "
                r"x \leftarrow x - \epsilon g", initial={"rate": "lr"}),),
    parameters=("lr", "kappa", "phi", "theta"),
    advance=count_step,
    style=("black", "--"),
))


# --------------------------------------------------------------------------- AdaGrad


@njit(cache=True, error_model="numpy", inline="always")
def adagrad_constants(hyper, like):
    r""":math:`(\varepsilon,)`."""
    return (like.dtype.type(hyper[1]),)


@njit(cache=True, error_model="numpy", inline="always")
def adagrad_rate(hyper, lr, t, p1, p2, p3, like):
    r"""``(η/(1 + (t-1) δ), 0, 0)``: PyTorch's learning-rate decay (``lr`` itself when
    :math:`\delta = 0`)."""
    cast = like.dtype.type
    decay = hyper[3]
    return cast(lr if decay == 0.0 else lr / (1.0 + (t - 1.0) * decay)), cast(0.0), cast(0.0)


@njit(**_JIT)
def adagrad_element(x, g, r, b, c, lr, k1, k2, h):
    r""":math:`r' = r + g^2,\ x' = x - \eta g/(\sqrt{r'} + \varepsilon)`."""
    (eps,) = h
    r = r + g * g
    return x - lr * g / (math.sqrt(r) + eps), r, b, c


register(Rule(
    name="adagrad",
    title="AdaGrad",
    doc=r"""AdaGrad (Duchi, Hazan & Singer 2011) as ``torch.optim.Adagrad``.

    .. math::
        \tilde\eta = \frac{\eta}{1 + (t-1)\delta},\quad
        g \leftarrow g + \lambda x,\quad r \leftarrow r + g^2,\quad
        x \leftarrow x - \tilde\eta\,\frac{g}{\sqrt r + \varepsilon}

    with :math:`r` starting at ``initial_accumulator`` :math:`r_0` (PyTorch's
    ``initial_accumulator_value``, which its code uses although its algorithm box writes
    :math:`r_0 = 0`) and :math:`\delta` = ``lr_decay``. Defaults as PyTorch.
    """,
    hypers=(
        _lr(1e-2), _eps(1e-10),
        _hyper("initial_accumulator", "r₀", r"r_0", "initial accumulator", 0.0, NON_NEGATIVE,
               Slider("linear", 0.0, 1.0, 0.01)),
        _hyper("lr_decay", "δ", r"\delta", "learning-rate decay", 0.0, NON_NEGATIVE,
               Slider("linear", 0.0, 0.1, 0.0005)),
        _weight_decay(),
    ),
    forms=(Form(None, 6, ("r",), adagrad_element, adagrad_constants, adagrad_rate,
                r"r \leftarrow r + g^2,\ x \leftarrow x - \eta g/(\sqrt r + \varepsilon)",
                initial={"r": "initial_accumulator"}, counted=True),),
    parameters=("lr", "eps", "initial_accumulator", "lr_decay", "weight_decay"),
    decay="weight_decay",
    advance=count_step,
    style=("sky blue", "-"),
))


# --------------------------------------------------------------------------- RMSProp


@njit(cache=True, error_model="numpy", inline="always")
def rmsprop_constants(hyper, like):
    r""":math:`(1-\rho, \rho, \varepsilon, \text{centred}, \mu)`."""
    cast = like.dtype.type
    return (cast(1.0 - hyper[1]), cast(hyper[1]), cast(hyper[2]), cast(hyper[3]),
            cast(hyper[4]))


@njit(**_JIT)
def rmsprop_element(x, g, s, g_avg, buf, lr, k1, k2, h):
    r"""RMSProp on one coordinate (``s``: mean square, ``g_avg``: mean gradient of the centred
    form, ``buf``: momentum buffer)."""
    one_minus_rho, rho, eps, centred, mu = h
    s = rho * s + one_minus_rho * (g * g)
    if centred != 0.0:
        g_avg = rho * g_avg + one_minus_rho * g
        denom = math.sqrt(s - g_avg * g_avg) + eps
    else:
        denom = math.sqrt(s) + eps
    if mu != 0.0:
        buf = mu * buf + g / denom
        return x - lr * buf, s, g_avg, buf
    return x - lr * g / denom, s, g_avg, buf


register(Rule(
    name="rmsprop",
    title="RMSProp",
    doc=r"""RMSProp (Hinton 2012) as ``torch.optim.RMSprop`` (where ``rho`` is ``alpha``).

    .. math::
        g \leftarrow g + \lambda x,\quad s \leftarrow \rho s + (1-\rho) g^2,\quad
        \tilde s = s - \bar g^2 \text{ (centred, with }
        \bar g \leftarrow \rho\bar g + (1-\rho) g\text{) or } s,

    then, with ``momentum`` :math:`\mu > 0`,
    :math:`b \leftarrow \mu b + g/(\sqrt{\tilde s} + \varepsilon),\ x \leftarrow x - \eta b`,
    else :math:`x \leftarrow x - \eta g/(\sqrt{\tilde s} + \varepsilon)`. The centred form
    is Graves (2013). Defaults as PyTorch; Hinton's lecture suggests ``rho=0.9, lr=1e-3``.
    """,
    hypers=(
        _lr(1e-2),
        _hyper("rho", "ρ", r"\rho", "squared-gradient decay", 0.99, UNIT,
               Slider("linear", 0.0, 0.999, 0.001)),
        _eps(1e-8),
        _hyper("centered", "", r"\text{centred}", "centred", False, boolean,
               Slider("choice", options=(False, True)), boolean=True),
        _hyper("momentum", "μ", r"\mu", "momentum", 0.0, UNIT,
               Slider("linear", 0.0, 0.99, 0.01)),
        _weight_decay(),
    ),
    forms=(Form(None, 7, ("s", "g_avg", "b"), rmsprop_element, rmsprop_constants,
                rate_constant,
                r"s \leftarrow \rho s + (1-\rho) g^2,\ x \leftarrow x - \eta g/(\sqrt s + "
                r"\varepsilon)"),),
    parameters=("lr", "rho", "eps", "centered", "momentum", "weight_decay"),
    decay="weight_decay",
    advance=count_step,
    style=("orange", "-"),
))


# --------------------------------------------------------------------------- AdaDelta


@njit(cache=True, error_model="numpy", inline="always")
def adadelta_constants(hyper, like):
    r""":math:`(1-\rho, \rho, \varepsilon)`."""
    cast = like.dtype.type
    return cast(1.0 - hyper[1]), cast(hyper[1]), cast(hyper[2])


@njit(**_JIT)
def adadelta_element(x, g, s, u, c, lr, k1, k2, h):
    r"""AdaDelta on one coordinate (``s``: mean square gradient, ``u``: mean square update)."""
    one_minus_rho, rho, eps = h
    s = rho * s + one_minus_rho * (g * g)
    delta = math.sqrt(u + eps) / math.sqrt(s + eps) * g
    u = rho * u + one_minus_rho * (delta * delta)
    return x - lr * delta, s, u, c


register(Rule(
    name="adadelta",
    title="AdaDelta",
    doc=r"""AdaDelta (Zeiler 2012, Algorithm 1) with a learning rate, as ``torch.optim.Adadelta``.

    .. math::
        s \leftarrow \rho s + (1-\rho) g^2,\quad
        \Delta = \frac{\sqrt{u + \varepsilon}}{\sqrt{s + \varepsilon}}\, g,\quad
        u \leftarrow \rho u + (1-\rho)\Delta^2,\quad x \leftarrow x - \eta\Delta

    (:math:`\varepsilon` inside the roots, as Zeiler). Defaults as PyTorch; Zeiler's paper
    has no learning rate (:math:`\eta = 1`) and uses :math:`\rho = 0.95`.
    """,
    hypers=(
        _lr(1.0),
        _hyper("rho", "ρ", r"\rho", "squared-gradient decay", 0.9, UNIT,
               Slider("linear", 0.0, 0.999, 0.001)),
        _eps(1e-6),
    ),
    forms=(Form(None, 8, ("s", "u"), adadelta_element, adadelta_constants, rate_constant,
                r"u \leftarrow \rho u + (1-\rho)\Delta^2,\ x \leftarrow x - \eta\Delta"),),
    parameters=("lr", "rho", "eps"),
    advance=count_step,
    style=("orange", "--"),
))


# --------------------------------------------------------------------------- the Adam family


@njit(cache=True, inline="always")
def beta_powers(hyper, t, p1, p2, p3):
    r"""Counters of the Adam family: :math:`t`, :math:`\beta_1^t`, :math:`\beta_2^t` (running
    products, never ``**``)."""
    return t + 1.0, p1 * hyper[1], p2 * hyper[2], p3


@njit(cache=True, error_model="numpy", inline="always")
def adam_constants(hyper, like):
    r""":math:`(\beta_1, 1-\beta_1, \beta_2, 1-\beta_2, \varepsilon)` of the Adam family
    (``hyper = (lr, beta1, beta2, eps, ..)``)."""
    cast = like.dtype.type
    return (cast(hyper[1]), cast(1.0 - hyper[1]), cast(hyper[2]), cast(1.0 - hyper[2]),
            cast(hyper[3]))


@njit(cache=True, error_model="numpy", inline="always")
def adam_corrections(hyper, lr, t, p1, p2, p3, like):
    r"""Step size :math:`\eta/(1-\beta_1^t)` and root correction :math:`\sqrt{1-\beta_2^t}`."""
    cast = like.dtype.type
    return cast(lr / (1.0 - p1)), cast(math.sqrt(1.0 - p2)), cast(0.0)


@njit(**_JIT)
def adam_moments(g, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2):
    """The two moving averages after one more gradient."""
    return beta1 * m + one_minus_beta1 * g, beta2 * v + one_minus_beta2 * (g * g)


@njit(**_JIT)
def adam_element(x, g, m, v, c, step_size, root_correction, k2, h):
    r"""Adam on one coordinate: :math:`x - \frac{\eta}{1-\beta_1^t}\,
    \frac{m}{\sqrt v/\sqrt{1-\beta_2^t} + \varepsilon}`."""
    beta1, one_minus_beta1, beta2, one_minus_beta2, eps = h
    m, v = adam_moments(g, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2)
    return x - step_size * m / (math.sqrt(v) / root_correction + eps), m, v, c


@njit(**_JIT)
def adam_vector_element(x, g, m, v, c, step_size, root_correction, k2, h):
    r""":func:`adam_element` with its division by the root correction done by
    :func:`~optbook.optimizers.quotients.divide`: the same bits, but one fewer division a
    coordinate for the unit that also takes the other and the root, which is what a long
    vector's step waits on (a fifth of the time less for 7,510 float64 coordinates); a single
    coordinate's chain waits on latency instead, which the corrections lengthen."""
    beta1, one_minus_beta1, beta2, one_minus_beta2, eps = h
    m, v = adam_moments(g, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2)
    return x - step_size * m / (divide(math.sqrt(v), root_correction) + eps), m, v, c


_BETAS = (
    _hyper("beta1", "β₁", r"\beta_1", "first-moment decay", 0.9, UNIT,
           Slider("linear", 0.0, 0.99, 0.01)),
    _hyper("beta2", "β₂", r"\beta_2", "second-moment decay", 0.999, UNIT,
           Slider("linear", 0.5, 0.9999, 0.0001)),
)
_ADAM_COUNTERS = ("t", "beta1_t", "beta2_t")

register(Rule(
    name="adam",
    title="Adam",
    doc=r"""Adam (Kingma & Ba 2015) as ``torch.optim.Adam``, :math:`\varepsilon` outside the
    root.

    .. math::
        g \leftarrow g + \lambda x,\quad
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad
        x \leftarrow x - \eta\,\frac{m/(1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t)} + \varepsilon}

    ``weight_decay`` :math:`\lambda` is PyTorch's coupled L2 term (added to the gradient, so
    it passes through the adaptive scaling; :func:`adamw` decouples it). Defaults as the paper
    and PyTorch.
    """,
    hypers=(_lr(1e-3), *_BETAS, _eps(1e-8), _weight_decay()),
    forms=(Form(None, 9, ("m", "v"), adam_element, adam_constants, adam_corrections,
                r"x \leftarrow x - \eta\,\hat m/(\sqrt{\hat v} + \varepsilon)",
                vector_element=adam_vector_element, tabled=True),),
    parameters=("lr", "beta1", "beta2", "eps", "weight_decay"),
    decay="weight_decay",
    advance=beta_powers,
    counters=_ADAM_COUNTERS,
    style=("reddish purple", "-"),
))


@njit(**_JIT)
def amsgrad_moments(g, m, v, v_max, h):
    """Adam's two moving averages after one more gradient, and the running maximum of the
    second."""
    beta1, one_minus_beta1, beta2, one_minus_beta2, _ = h
    m, v = adam_moments(g, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2)
    return m, v, max(v_max, v)


@njit(**_JIT)
def amsgrad_element(x, g, m, v, v_max, step_size, root_correction, k2, h):
    r"""AMSGrad on one coordinate: Adam with :math:`\max(v_{\max}, v)` in the denominator."""
    m, v, v_max = amsgrad_moments(g, m, v, v_max, h)
    eps = h[4]
    return x - step_size * m / (math.sqrt(v_max) / root_correction + eps), m, v, v_max


@njit(**_JIT)
def amsgrad_vector_element(x, g, m, v, v_max, step_size, root_correction, k2, h):
    r""":func:`amsgrad_element` for long vectors, as :func:`adam_vector_element`."""
    m, v, v_max = amsgrad_moments(g, m, v, v_max, h)
    eps = h[4]
    return x - step_size * m / (divide(math.sqrt(v_max), root_correction) + eps), m, v, v_max




@njit(cache=True, error_model="numpy", inline="always")
def adamw_hyper_constants(hyper, like):
    r"""Adam's constants and the AMSGrad switch (1 or 0)."""
    return (*adam_constants(hyper, like), like.dtype.type(hyper[5]))


@njit(cache=True, error_model="numpy", inline="always")
def adamw_constants(hyper, lr, t, p1, p2, p3, like):
    r"""Adam's two corrections and the decoupled decay factor :math:`1-\eta\lambda`."""
    step_size, root_correction, _ = adam_corrections(hyper, lr, t, p1, p2, p3, like)
    return step_size, root_correction, like.dtype.type(1.0 - lr * hyper[4])


@njit(**_JIT)
def adamw_element(x, g, m, v, v_max, step_size, root_correction, factor, h):
    r"""AdamW on one coordinate: :math:`x \leftarrow (1-\eta\lambda)x`, then Adam's step (or
    AMSGrad's, when switched on)."""
    beta1, one_minus_beta1, beta2, one_minus_beta2, eps, amsgrad = h
    x = x * factor
    m, v = adam_moments(g, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2)
    if amsgrad != 0.0:
        v_max = max(v_max, v)
        return x - step_size * m / (math.sqrt(v_max) / root_correction + eps), m, v, v_max
    return x - step_size * m / (math.sqrt(v) / root_correction + eps), m, v, v_max


@njit(**_JIT)
def adamw_vector_element(x, g, m, v, v_max, step_size, root_correction, factor, h):
    r""":func:`adamw_element` for long vectors, as :func:`adam_vector_element`."""
    beta1, one_minus_beta1, beta2, one_minus_beta2, eps, amsgrad = h
    x = x * factor
    m, v = adam_moments(g, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2)
    if amsgrad != 0.0:
        v_max = max(v_max, v)
        return x - step_size * m / (divide(math.sqrt(v_max), root_correction) + eps), m, v, v_max
    return x - step_size * m / (divide(math.sqrt(v), root_correction) + eps), m, v, v_max


register(Rule(
    name="adamw",
    title="AdamW",
    doc=r"""AdamW (Loshchilov & Hutter 2019) as ``torch.optim.AdamW``.

    .. math:: x \leftarrow (1-\eta\lambda)\,x, \text{ then Adam's step without weight decay}

    The decay is decoupled from the gradient: it shrinks :math:`x` directly instead of passing
    through the adaptive scaling as :func:`adam`'s coupled ``weight_decay`` does. ``amsgrad``
    takes the step of :func:`amsgrad` instead of Adam's (PyTorch's ``amsgrad=True``).
    Defaults as PyTorch (``weight_decay=1e-2``).
    """,
    hypers=(
        _lr(1e-3), *_BETAS, _eps(1e-8), _weight_decay(1e-2),
        _hyper("amsgrad", "", r"\text{AMSGrad}", "AMSGrad maximum", False, boolean,
               Slider("choice", options=(False, True)), boolean=True),
    ),
    forms=(Form(None, 10, ("m", "v", "v_max"), adamw_element, adamw_hyper_constants,
                adamw_constants,
                r"x \leftarrow (1-\eta\lambda)x - \eta\,\hat m/(\sqrt{\hat v} + \varepsilon)",
                vector_element=adamw_vector_element, tabled=True),),
    parameters=("lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad"),
    advance=beta_powers,
    counters=_ADAM_COUNTERS,
    style=("reddish purple", "--"),
))


register(Rule(
    name="amsgrad",
    title="AMSGrad",
    doc=r"""AMSGrad (Reddi, Kale & Kumar 2018) as ``torch.optim.Adam(amsgrad=True)``.

    .. math::
        v_{\max} \leftarrow \max(v_{\max}, v),\quad
        x \leftarrow x - \eta\,\frac{m/(1-\beta_1^t)}{\sqrt{v_{\max}/(1-\beta_2^t)}
        + \varepsilon}

    with :math:`g, m, v` as in :func:`adam` (coupled ``weight_decay`` included). Like PyTorch,
    the running maximum is taken over the uncorrected :math:`v` and divided by the current
    bias correction. Defaults as Adam.
    """,
    hypers=(_lr(1e-3), *_BETAS, _eps(1e-8), _weight_decay()),
    forms=(Form(None, 11, ("m", "v", "v_max"), amsgrad_element, adam_constants,
                adam_corrections,
                r"x \leftarrow x - \eta\,\hat m/(\sqrt{\hat v_{\max}} + \varepsilon)",
                vector_element=amsgrad_vector_element, tabled=True),),
    parameters=("lr", "beta1", "beta2", "eps", "weight_decay"),
    decay="weight_decay",
    advance=beta_powers,
    counters=_ADAM_COUNTERS,
    style=("reddish purple", ":"),
))


# --------------------------------------------------------------------------- Adamax


@njit(cache=True, error_model="numpy", inline="always")
def adamax_step_size(hyper, lr, t, p1, p2, p3, like):
    r"""The step size :math:`\eta/(1-\beta_1^t)`."""
    cast = like.dtype.type
    return cast(lr / (1.0 - p1)), cast(0.0), cast(0.0)


@njit(**_JIT)
def adamax_element(x, g, m, u, c, step_size, k1, k2, h):
    r"""Adamax on one coordinate: :math:`u' = \max(\beta_2 u, |g| + \varepsilon)`,
    :math:`x' = x - \frac{\eta}{1-\beta_1^t}\,\frac{m'}{u'}`."""
    beta1, one_minus_beta1, beta2, _, eps = h
    m = beta1 * m + one_minus_beta1 * g
    u = max(beta2 * u, abs(g) + eps)
    return x - step_size * m / u, m, u, c


register(Rule(
    name="adamax",
    title="Adamax",
    doc=r"""Adamax (Kingma & Ba 2015, section 7.1), Adam with the infinity norm, as
    ``torch.optim.Adamax``.

    .. math::
        g \leftarrow g + \lambda x,\quad
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
        u \leftarrow \max(\beta_2 u, |g| + \varepsilon),\quad
        x \leftarrow x - \frac{\eta}{1-\beta_1^t}\,\frac{m}{u}

    :math:`u` needs no bias correction: it starts at 0 and the maximum takes the largest
    recent :math:`|g|` as it is. PyTorch adds :math:`\varepsilon` to :math:`|g|` inside the
    maximum, as here. Defaults as PyTorch.
    """,
    hypers=(_lr(2e-3), *_BETAS, _eps(1e-8), _weight_decay()),
    forms=(Form(None, 14, ("m", "u"), adamax_element, adam_constants, adamax_step_size,
                r"u \leftarrow \max(\beta_2 u, |g| + \varepsilon),\ x \leftarrow x - "
                r"\eta\,\hat m/u", tabled=True),),
    parameters=("lr", "beta1", "beta2", "eps", "weight_decay"),
    advance=beta_powers,
    counters=_ADAM_COUNTERS,
    decay="weight_decay",
    style=("sky blue", "--"),
))


# --------------------------------------------------------------------------- NAdam


@njit(cache=True, inline="always")
def nadam_products(hyper, t, p1, p2, p3):
    r"""Counters of NAdam: :math:`t`, :math:`\beta_2^t`, :math:`0.96^{t\psi}` (a running product
    of :math:`0.96^\psi`, worked out here from :math:`\psi`) and :math:`\prod_{s\le t}\mu_s`."""
    p2 = p2 * NADAM_DECAY_BASE ** hyper[4]
    return t + 1.0, p1 * hyper[2], p2, p3 * (hyper[1] * (1.0 - 0.5 * p2))


@njit(cache=True, error_model="numpy", inline="always")
def nadam_coefficients(hyper, lr, t, p1, p2, p3, like):
    r"""The step's coefficients of :math:`g` and :math:`m` and :math:`1-\beta_2^t`."""
    mu_t = hyper[1] * (1.0 - 0.5 * p2)
    mu_next = hyper[1] * (1.0 - 0.5 * p2 * NADAM_DECAY_BASE ** hyper[4])
    cast = like.dtype.type
    return (cast(lr * (1.0 - mu_t) / (1.0 - p3)), cast(lr * mu_next / (1.0 - p3 * mu_next)),
            cast(1.0 - p1))


@njit(**_JIT)
def nadam_element(x, g, m, v, c, g_coef, m_coef, correction, h):
    r"""NAdam on one coordinate (coefficients from :func:`nadam_coefficients`)."""
    beta1, one_minus_beta1, beta2, one_minus_beta2, eps = h
    m, v = adam_moments(g, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2)
    denom = math.sqrt(v / correction) + eps
    return x - (g_coef * g / denom + m_coef * m / denom), m, v, c


register(Rule(
    name="nadam",
    title="NAdam",
    doc=r"""NAdam (Dozat 2016) as ``torch.optim.NAdam``, including its defaults.

    .. math::
        \mu_t = \beta_1\bigl(1 - \tfrac12\, 0.96^{t\psi}\bigr),\quad
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2,\\
        x \leftarrow x - \frac{\eta}{\sqrt{v/(1-\beta_2^t)} + \varepsilon}
        \Bigl(\frac{(1-\mu_t)\, g}{1 - \prod_{s\le t}\mu_s}
        + \frac{\mu_{t+1}\, m}{1 - \prod_{s\le t+1}\mu_s}\Bigr)

    ``momentum_decay`` :math:`\psi \ge 0`. The power :math:`0.96^{t\psi}` is a running product
    of :math:`0.96^\psi`, worked out in the kernel from :math:`\psi` (so a sweep over
    :math:`\psi` changes it); it differs from PyTorch's ``pow`` in the last bits only.
    """,
    hypers=(
        _lr(2e-3), *_BETAS, _eps(1e-8),
        _hyper("momentum_decay", "ψ", r"\psi", "momentum decay", 4e-3, NON_NEGATIVE,
               Slider("linear", 0.0, 0.1, 0.0005)),
    ),
    forms=(Form(None, 12, ("m", "v"), nadam_element, adam_constants, nadam_coefficients,
                r"x \leftarrow x - \eta\,\bar m/(\sqrt{\hat v} + \varepsilon)", tabled=True),),
    parameters=("lr", "beta1", "beta2", "eps", "momentum_decay"),
    advance=nadam_products,
    counters=("t", "beta2_t", "decay_t", "mu_product"),
    style=("reddish purple", "-."),
))

