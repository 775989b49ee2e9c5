r"""The one place where :mod:`optbook.nn` calls the update rules of :mod:`optbook.optimizers`.

A :class:`Stepper` holds an optimizer's :class:`~optbook.optimizers.state.State` for one flat
parameter vector and moves the whole vector with one call of the checked array step
(:func:`~optbook.optimizers.state.step`), the same rule code that moves a 2-D point. For look-ahead
Nesterov the gradient is taken at :math:`x - \gamma v` (:meth:`Stepper.gradient_point`,
:func:`~optbook.optimizers.state.lookahead`); every other rule takes it at the parameters
themselves.
"""

from __future__ import annotations

import numpy as np

from optbook import optimizers


class Stepper:
    """An optimizer's state for a parameter vector of ``size`` entries of ``dtype``."""

    def __init__(self, optimizer: optimizers.Optimizer, size: int, dtype):
        if not isinstance(optimizer, optimizers.Optimizer):
            raise ValueError(f"optimizer must be an optbook Optimizer (optimizers.adam(), ...), "
                             f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.state = optimizer.init_state(size, dtype)
        self.looks_ahead = optimizer.lookahead

    def gradient_point(self, x: np.ndarray, out: np.ndarray) -> None:
        """Write into ``out`` the point where this step's gradient is taken."""
        optimizers.lookahead(self.optimizer, x, self.state, out)

    def step(self, x: np.ndarray, g: np.ndarray, lr: float) -> None:
        """Move ``x`` in place by one step of the rule with gradient ``g`` and rate ``lr``."""
        optimizers.step(self.optimizer, x, g, self.state, lr)
