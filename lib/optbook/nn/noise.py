r"""A layer that shifts and scales each unit by random amounts that change at every training
step: covariate shift made on purpose.

Santurkar, Tsipras, Ilyas & Mądry (2018) tested the internal-covariate-shift explanation of
batch normalisation by adding noise with a non-zero mean and a non-unit variance after each
batch-norm layer, drawn afresh at every step, so that the distribution each following layer
sees moves all the time; such "noisy" batch-norm networks trained about as well as plain
batch-norm ones. :class:`ShiftScaleNoise` does this per unit: in each training forward pass
it draws, for unit :math:`j`,

.. math:: m_j \sim U(-a, a), \qquad \log s_j \sim U(-\log b, \log b), \qquad
          y_{ij} = s_j\, x_{ij} + m_j ,

so the unit's mean moves by up to :math:`a` and its standard deviation is multiplied by a
factor between :math:`1/b` and :math:`b`, one draw per step shared by the batch (Santurkar et
al. draw per example too; a draw per step is the shift of a *distribution*, which is what
the explanation is about). In evaluation the layer is the identity. The backward pass is
:math:`\partial L/\partial x_{ij} = s_j\,\partial L/\partial y_{ij}`. The draws come from the
layer's own generator, seeded at construction (:meth:`ShiftScaleNoise.reseed`).
"""

from __future__ import annotations

import math

import numpy as np

from optbook import checks

from .layers import Layer


class ShiftScaleNoise(Layer):
    """Per-unit random shift in :math:`(-a, a)` (``shift``) and scale in :math:`(1/b, b)`
    (``scale``), redrawn at every training forward pass; identity in evaluation."""

    kind = "noise"

    def __init__(self, num_features: int, shift: float = 1.0, scale: float = 2.0, seed=0):
        super().__init__()
        self.num_features = checks.count("num_features", num_features)
        self.shift = checks.real("shift", shift, 0.0, math.inf, high_open=True)
        self.scale = checks.real("scale", scale, 1.0, math.inf, high_open=True)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.shifts = np.zeros(self.num_features)
        self.scales = np.ones(self.num_features)

    def output_features(self, n_in):
        if n_in != self.num_features:
            raise ValueError(f"{self!r} takes {self.num_features} features, but gets {n_in}")
        return n_in

    def reseed(self, seed) -> None:
        """Restart the generator from ``seed``."""
        self.rng = np.random.default_rng(seed)

    def forward(self, x, training=False):
        y = self._buffer("y", x.shape[0], self.num_features)
        if training:
            c = self.num_features
            self.shifts = self.rng.uniform(-self.shift, self.shift, c)
            self.scales = np.exp(self.rng.uniform(-math.log(self.scale), math.log(self.scale), c))
        else:
            self.shifts = np.zeros(self.num_features)
            self.scales = np.ones(self.num_features)
        np.multiply(x, self.scales.astype(self.dtype), out=y)
        y += self.shifts.astype(self.dtype)
        return y

    def backward(self, dy, need_dx=True):
        if not need_dx:
            return None
        dx = self._buffer("dx", dy.shape[0], self.num_features)
        np.multiply(dy, self.scales.astype(self.dtype), out=dx)
        return dx

    def __repr__(self):
        return f"ShiftScaleNoise({self.num_features}, shift={self.shift!r}, scale={self.scale!r})"
