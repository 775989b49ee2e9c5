r"""Weight initialisers: each draws a tensor of a given shape from a seeded generator.

With :math:`n_\text{in}, n_\text{out}` the fan-in and fan-out of a layer, each entry is drawn
from (variance in brackets):

* ``zeros`` and ``constant(c)``: the value itself [0];
* ``normal(std)``: :math:`\mathcal N(0, \mathrm{std}^2)` [:math:`\mathrm{std}^2`];
  ``uniform(a)``: :math:`U(-a, a)` [:math:`a^2/3`];
* ``lecun_normal``, ``lecun_uniform``: [:math:`1/n_\text{in}`];
* ``xavier_normal(g)``, ``xavier_uniform(g)``: [:math:`g^2\,2/(n_\text{in}+n_\text{out})`];
* ``he_normal(a)``, ``he_uniform(a)``: [:math:`2/((1+a^2)\,n_\text{in})`];
* ``pytorch``: :math:`U(-\sqrt k, \sqrt k)` with :math:`k = 1/n_\text{in}`
  [:math:`1/(3n_\text{in})`].

The ``_normal`` forms draw from :math:`\mathcal N(0, \sigma^2)`, the ``_uniform`` forms from
:math:`U(-\sqrt3\,\sigma, \sqrt3\,\sigma)`, which has the same variance :math:`\sigma^2`.

Sources: LeCun et al., *Efficient BackProp* (1998); Glorot & Bengio (2010), whose condition
:math:`\tfrac12(n_\text{in}+n_\text{out})\sigma^2 = 1` gives Xavier's variance; He et al. (2015),
with :math:`a` the negative slope of a leaky ReLU (0 for ReLU); PyTorch's default for
``nn.Linear`` (weights and biases alike, ``torch/nn/modules/linear.py``), whose variance is a
third of LeCun's. Every draw comes from the ``numpy.random.Generator`` passed in, in float64,
and is then rounded to the requested dtype, so a float32 network starts from the rounded
float64 one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optbook import checks


def _finite(name, value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


@dataclass(frozen=True)
class Initializer:
    """A named distribution for a weight tensor; ``parameter`` is its one number (the
    constant, std, bound, gain or negative slope; unused by the others)."""

    name: str
    parameter: float = 0.0

    def variance(self, fan_in: int, fan_out: int) -> float:
        """The variance of one entry for a layer with this fan-in and fan-out."""
        kind, scale = self._distribution(fan_in, fan_out)
        if kind == "normal":
            return scale * scale
        if kind == "uniform":
            return scale * scale / 3.0
        return 0.0

    def _distribution(self, fan_in, fan_out):
        """``(kind, scale)``: "normal" with std, "uniform" with bound, "constant" with value."""
        p = self.parameter
        if self.name == "zeros":
            return "constant", 0.0
        if self.name == "constant":
            return "constant", p
        if self.name == "normal":
            return "normal", p
        if self.name == "uniform":
            return "uniform", p
        if self.name == "lecun_normal":
            return "normal", math.sqrt(1.0 / fan_in)
        if self.name == "lecun_uniform":
            return "uniform", math.sqrt(3.0 / fan_in)
        if self.name == "xavier_normal":
            return "normal", p * math.sqrt(2.0 / (fan_in + fan_out))
        if self.name == "xavier_uniform":
            return "uniform", p * math.sqrt(6.0 / (fan_in + fan_out))
        if self.name == "he_normal":
            return "normal", math.sqrt(2.0 / ((1.0 + p * p) * fan_in))
        if self.name == "he_uniform":
            return "uniform", math.sqrt(6.0 / ((1.0 + p * p) * fan_in))
        return "uniform", math.sqrt(1.0 / fan_in)  # pytorch

    def draw(self, rng: np.random.Generator, shape, fan_in: int, fan_out: int, dtype=np.float64):
        """A tensor of ``shape`` drawn with ``rng`` (float64 draws rounded to ``dtype``)."""
        kind, scale = self._distribution(fan_in, fan_out)
        if kind == "normal":
            values = scale * rng.standard_normal(shape)
        elif kind == "uniform":
            values = rng.uniform(-scale, scale, shape)
        else:
            values = np.full(shape, scale)
        return values.astype(dtype)


def zeros() -> Initializer:
    """All zeros (an exact critical point of a tanh or ReLU network: no unit ever differs)."""
    return Initializer("zeros")


def constant(value: float) -> Initializer:
    """Every entry ``value``: all units of a layer stay identical (the symmetry problem)."""
    return Initializer("constant", _finite("value", value))


def normal(std: float) -> Initializer:
    r""":math:`\mathcal N(0, \mathrm{std}^2)`, ``std`` > 0."""
    return Initializer("normal", checks.positive("std", std))


def uniform(bound: float) -> Initializer:
    """:math:`U(-a, a)` with ``bound`` :math:`a` > 0."""
    return Initializer("uniform", checks.positive("bound", bound))


def lecun_normal() -> Initializer:
    r""":math:`\mathcal N(0, 1/n_\text{in})` (LeCun et al. 1998)."""
    return Initializer("lecun_normal")


def lecun_uniform() -> Initializer:
    r""":math:`U(\pm\sqrt{3/n_\text{in}})`, variance :math:`1/n_\text{in}`."""
    return Initializer("lecun_uniform")


def xavier_normal(gain: float = 1.0) -> Initializer:
    r"""Glorot & Bengio (2010): :math:`\mathcal N(0, g^2\,2/(n_\text{in}+n_\text{out}))`."""
    return Initializer("xavier_normal", checks.positive("gain", gain))


def xavier_uniform(gain: float = 1.0) -> Initializer:
    r"""Glorot & Bengio (2010): :math:`U(\pm g\sqrt{6/(n_\text{in}+n_\text{out})})`."""
    return Initializer("xavier_uniform", checks.positive("gain", gain))


def _slope(negative_slope):
    slope = _finite("negative_slope", negative_slope)
    if slope < 0.0:
        raise ValueError(f"negative_slope must be >= 0, got {negative_slope!r}")
    return slope


def he_normal(negative_slope: float = 0.0) -> Initializer:
    r"""He et al. (2015): :math:`\mathcal N(0, 2/((1+a^2)\,n_\text{in}))`, :math:`a` the leaky
    ReLU's negative slope (>= 0; 0 for ReLU)."""
    return Initializer("he_normal", _slope(negative_slope))


def he_uniform(negative_slope: float = 0.0) -> Initializer:
    r"""He et al. (2015): :math:`U(\pm\sqrt{6/((1+a^2)\,n_\text{in})})`."""
    return Initializer("he_uniform", _slope(negative_slope))


def pytorch() -> Initializer:
    r"""PyTorch's default for ``nn.Linear``: :math:`U(-\sqrt k, \sqrt k)`,
    :math:`k = 1/n_\text{in}`."""
    return Initializer("pytorch")


_BY_NAME = {
    "zeros": zeros,
    "lecun_normal": lecun_normal,
    "lecun_uniform": lecun_uniform,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "pytorch": pytorch,
}
NAMES = tuple(_BY_NAME)
"""Initialisers that need no number, by name; ``constant``, ``normal`` and ``uniform`` take
one and are built by their functions."""


def get(init) -> Initializer:
    """``init`` itself if it is an :class:`Initializer`, else the one called ``init``."""
    if isinstance(init, Initializer):
        return init
    if init in ("constant", "normal", "uniform"):
        raise ValueError(
            f"initialiser {init!r} needs a number: use nn.init.{init}(...) instead of its name"
        )
    if not isinstance(init, str) or init not in _BY_NAME:
        raise ValueError(f"unknown initialiser {init!r}; known names: {', '.join(NAMES)}")
    return _BY_NAME[init]()
