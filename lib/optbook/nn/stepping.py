r"""The one place where :mod:`optbook.nn` calls the update rules of :mod:`optbook.optimizers`.

A :class:`Stepper` holds an optimizer's :class:`~optbook.optimizers.state.State` for one flat
parameter vector and moves the whole vector with one call of the checked array step
(:func:`optbook.optimizers.state.step`), the same rule code that moves a 2-D point. For look-ahead
Nesterov the gradient is taken at :math:`x - \gamma v` (:meth:`Stepper.gradient_point`,
:func:`optbook.optimizers.state.lookahead`); every other rule takes it at the parameters themselves.
"""

from __future__ import annotations

import math

import numpy as np

from optbook import optimizers
from optbook.optimizers.dispatch import array_kernels


class Stepper:
    """An optimizer's state for a parameter vector of ``size`` entries of ``dtype``.

    A training loop passes the same parameter and gradient vectors on every step. The first
    step with a pair ``(x, g)`` goes through the checked step; later steps with that very pair
    (the same array objects, whose shape and dtype cannot change) call the rule's kernel
    directly, sparing the checks' cost, about a tenth of a small network's epoch.
    """

    def __init__(self, optimizer: optimizers.Optimizer, size: int, dtype):
        if not isinstance(optimizer, optimizers.Optimizer):
            raise ValueError(f"optimizer must be an optbook Optimizer (optimizers.adam(), ...), "
                             f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.state = optimizer.init_state(size, dtype)
        self.looks_ahead = optimizer.lookahead
        self._kernel = array_kernels(optimizer.code, optimizer.decays)[0]
        self._hyper = optimizer.hyper
        self._checked = (None, None)

    def gradient_point(self, x: np.ndarray, out: np.ndarray) -> None:
        """Write into ``out`` the point where this step's gradient is taken."""
        optimizers.lookahead(self.optimizer, x, self.state, out)

    def step(self, x: np.ndarray, g: np.ndarray, lr: float) -> None:
        """Move ``x`` in place by one step of the rule with gradient ``g`` and rate ``lr``."""
        checked_x, checked_g = self._checked
        if x is not checked_x or g is not checked_g:
            optimizers.step(self.optimizer, x, g, self.state, lr)
            self._checked = (x, g)
            return
        lr = float(lr)
        if not 0.0 <= lr < math.inf:
            raise ValueError(f"lr must be a finite number >= 0, got {lr!r}")
        self._kernel(self._hyper, lr, x, g, self.state.rows, self.state.scalars)
