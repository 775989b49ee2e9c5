"""Independent references for the network toolkit's tests: central differences and PyTorch's
documented batch-norm algorithm, written in plain NumPy without optbook."""

import numpy as np


def central_gradient(f, x, h=1e-4):
    """Gradient of the scalar ``f`` at the float64 array ``x`` by the fourth-order central
    difference (f(x-2h) - 8 f(x-h) + 8 f(x+h) - f(x+2h)) / 12h.

    Its truncation error is about h^4 |f^(5)| / 30 (1e-17 here) and its rounding error about
    1e-16 |f| / h = 1e-12, so gradient entries down to 1e-5 are resolved to 1e-7 relative; the
    two-point difference would lose a factor of 100 to one or the other. Points within 2h of a
    kink (a ReLU at 0) must be avoided.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        values = []
        for step in (-2, -1, 1, 2):
            flat[i] = keep + step * h
            values.append(f(x))
        flat[i] = keep
        out[i] = (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * h)
    return grad


FLOOR = 1e-5
"""Gradient entries below this size are compared against it: the rounding error of
:func:`central_gradient` (about 1e-12) is 1e-7 of it."""


def max_relative_error(a, b):
    """max |a - b| / max(|a|, |b|, FLOOR): CS231n's relative error, with entries that both
    methods put at rounding-noise level (an exact 0 against 1e-13) compared absolutely."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), FLOOR)))


class TorchBatchNorm1d:
    """``torch.nn.BatchNorm1d`` as its documentation states it: training normalises with the
    biased batch variance and moves the running statistics as (1 - m) running + m batch, with
    the unbiased variance; evaluation normalises with the running statistics."""

    def __init__(self, features, momentum=0.1, eps=1e-5):
        self.running_mean = np.zeros(features)
        self.running_var = np.ones(features)
        self.momentum = momentum
        self.eps = eps

    def __call__(self, x, gamma, beta, training):
        x = np.asarray(x, dtype=np.float64)
        if training:
            mean = x.mean(axis=0)
            var = x.var(axis=0)
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mean
            self.running_var = (1 - m) * self.running_var + m * x.var(axis=0, ddof=1)
        else:
            mean, var = self.running_mean, self.running_var
        return (x - mean) / np.sqrt(var + self.eps) * gamma + beta


def batchnorm_backward(x, gamma, dy, eps=1e-5):
    """Ioffe & Szegedy (2015), Algorithm 1's backward pass step by step: returns dx, dgamma,
    dbeta for a training-mode batch."""
    m = x.shape[0]
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    dxhat = dy * gamma
    dvar = np.sum(dxhat * (x - mu), axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = np.sum(-dxhat / np.sqrt(var + eps), axis=0) + dvar * np.sum(-2 * (x - mu), axis=0) / m
    dx = dxhat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / m + dmu / m
    return dx, np.sum(dy * xhat, axis=0), np.sum(dy, axis=0)
