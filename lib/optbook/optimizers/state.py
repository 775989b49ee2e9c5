r"""An optimizer's state with named rows, and the checked step on a whole parameter vector.

:func:`step` and :func:`lookahead` are the entry points for code that moves a flat vector of
any length, such as a network's parameters: they check everything at the Python boundary
(types, dtypes, shapes, lengths, that the state belongs to the optimizer) and raise
``TypeError`` or ``ValueError`` naming the argument, then call the rule's compiled kernel
(:func:`~optbook.optimizers.dispatch.array_kernels`). Unchecked, a state made for another
length let the kernel write past its arrays (the process aborted), and an integer vector was
silently truncated; ``make bench`` reports what the checks cost.
"""

from __future__ import annotations

import math

import numpy as np

from optbook.optimizers.dispatch import array_kernels
from optbook.optimizers.registry import Optimizer

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
"""The dtypes an iterate may have."""


class State:
    """The state an optimizer keeps between steps, for one vector of ``dim`` coordinates.

    ``rows`` is a ``(len(names), dim)`` array in the iterate's dtype, one row per name in
    ``names`` (Adam: ``("m", "v")``); ``state["m"]`` is that row (a view: writing to it
    changes the state). ``scalars`` holds the rule's float64 counters named in
    ``counter_names``, the step counter ``t`` first. Made by
    :meth:`Optimizer.init_state <optbook.optimizers.registry.Optimizer.init_state>`; it
    unpacks as ``rows, scalars``, the two arrays the jitted kernels take.
    """

    __slots__ = ("code", "names", "counter_names", "rows", "scalars")

    def __init__(self, code, names, counter_names, rows, scalars):
        self.code = code
        self.names = names
        self.counter_names = counter_names
        self.rows = rows
        self.scalars = scalars

    @classmethod
    def fresh(cls, optimizer: Optimizer, dim, dtype) -> State:
        if isinstance(dim, bool) or not isinstance(dim, int | np.integer) or dim < 1:
            raise ValueError(f"dim must be an integer >= 1, got {dim!r}")
        dtype = np.dtype(dtype)
        if dtype not in DTYPES:
            raise TypeError(f"dtype must be float32 or float64, got {dtype}")
        form = optimizer._form
        rows = np.zeros((len(form.rows), int(dim)), dtype=dtype)
        for k, name in enumerate(form.rows):
            if name in form.initial:
                rows[k] = getattr(optimizer, form.initial[name])
        scalars = np.ones(optimizer.n_scalars)
        scalars[0] = 0.0
        return cls(optimizer.code, form.rows, optimizer.rule.counters, rows, scalars)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.names:
            raise KeyError(f"no state row {name!r}; this state has {list(self.names)}")
        return self.rows[self.names.index(name)]

    def __iter__(self):
        return iter((self.rows, self.scalars))

    @property
    def step(self) -> int:
        """Steps taken so far."""
        return int(self.scalars[0])

    @property
    def counters(self) -> dict:
        """The counters by name (``{"t": 3.0, "beta1_t": 0.729, ...}``)."""
        return dict(zip(self.counter_names, self.scalars.tolist(), strict=True))

    @property
    def dim(self) -> int:
        return self.rows.shape[1]

    @property
    def dtype(self) -> np.dtype:
        return self.rows.dtype

    def copy(self) -> State:
        return State(self.code, self.names, self.counter_names, self.rows.copy(),
                     self.scalars.copy())

    def __repr__(self):
        return (f"State(rows={list(self.names)}, dim={self.dim}, dtype={self.dtype}, "
                f"step={self.step})")


# --------------------------------------------------------------------------- checks


def _check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an optbook Optimizer, got {type(optimizer).__name__}")


def _check_vector(name, value, dtype=None, size=None, writeable=False):
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(value).__name__}")
    if value.dtype not in DTYPES:
        raise TypeError(f"{name} must have dtype float32 or float64, got {value.dtype}")
    if dtype is not None and value.dtype != dtype:
        raise TypeError(f"{name} must have the dtype of x ({dtype}), got {value.dtype}")
    if value.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {value.shape}")
    if size is not None and value.size != size:
        raise ValueError(f"{name} must have the length of x ({size}), got {value.size}")
    if not value.flags.c_contiguous:
        raise ValueError(f"{name} must be contiguous (a flat parameter vector or a "
                         f"contiguous slice of one)")
    if writeable and not value.flags.writeable:
        raise ValueError(f"{name} must be writeable")


def _check_state(optimizer, state, x):
    if not isinstance(state, State):
        raise TypeError(f"state must be the State that optimizer.init_state made, got "
                        f"{type(state).__name__}")
    if state.code != optimizer.code:
        raise ValueError(f"state belongs to another rule (code {state.code}), not to "
                         f"{optimizer!r}")
    rows, scalars = state.rows, state.scalars
    if rows.shape != (optimizer.n_state, x.size) or rows.dtype != x.dtype \
            or not rows.flags.c_contiguous or not rows.flags.writeable:
        raise ValueError(f"state was made for {rows.shape[-1]} coordinates of "
                         f"{rows.dtype}, x has {x.size} of {x.dtype}")
    if scalars.shape != (optimizer.n_scalars,) or scalars.dtype != np.float64 \
            or not scalars.flags.writeable:
        raise ValueError(f"state's counters must be a writeable float64 array of length "
                         f"{optimizer.n_scalars}, got {scalars.shape} {scalars.dtype}")


def _check_lr(optimizer, lr):
    if lr is None:
        return optimizer.lr
    if isinstance(lr, bool | np.bool_) or not isinstance(lr, int | float | np.integer
                                                         | np.floating):
        raise TypeError(f"lr must be a real number or None, got {type(lr).__name__}")
    lr = float(lr)
    if not (math.isfinite(lr) and lr >= 0.0):
        raise ValueError(f"lr must be a finite number >= 0, got {lr!r}")
    return lr


# --------------------------------------------------------------------------- entry points


def step(optimizer: Optimizer, x: np.ndarray, g: np.ndarray, state: State, lr=None) -> None:
    r"""Apply one step of ``optimizer`` to the vector ``x``, in place, checked.

    ``x``: a writeable, contiguous 1-D float32 or float64 array (a flat parameter vector).
    ``g``: the gradient, same dtype and length, taken at the point :func:`lookahead` gives
    (``x`` itself except for look-ahead Nesterov). ``state``: the :class:`State` that
    ``optimizer.init_state(len(x), x.dtype)`` made, advanced in place. ``lr``: this step's
    learning rate (a schedule's value), default ``optimizer.lr``. Raises ``TypeError`` or
    ``ValueError`` naming the argument when one does not fit; nothing is changed then.
    """
    _check_optimizer(optimizer)
    _check_vector("x", x, writeable=True)
    _check_vector("g", g, dtype=x.dtype, size=x.size)
    _check_state(optimizer, state, x)
    lr = _check_lr(optimizer, lr)
    array_kernels(optimizer.code, optimizer.decays)[0](optimizer.hyper, lr, x, g, state.rows,
                                                       state.scalars)


def lookahead(optimizer: Optimizer, x: np.ndarray, state: State, out=None) -> np.ndarray:
    r"""The point where ``optimizer`` takes the gradient of its next step from ``x``.

    For look-ahead Nesterov that is :math:`x - \gamma v`; for every other rule it is ``x``
    itself (returned as it is when ``out`` is ``None``). ``out``, if given, receives the point
    (same dtype and length as ``x``) and is returned. Checked as :func:`step`.
    """
    _check_optimizer(optimizer)
    _check_vector("x", x)
    _check_state(optimizer, state, x)
    if out is not None:
        _check_vector("out", out, dtype=x.dtype, size=x.size, writeable=True)
        if np.shares_memory(out, x):
            raise ValueError("out must not overlap x")
    elif not optimizer.lookahead:
        return x
    else:
        out = np.empty_like(x)
    array_kernels(optimizer.code)[1](optimizer.hyper, x, state.rows, out)
    return out
