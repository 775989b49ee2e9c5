r"""Small data sets that need no download: real digits and a few synthetic problems.

* :func:`digits`: the 8×8 handwritten digits (1797 images, 10 classes, 64 features from 0 to
  16) that ship inside scikit-learn, split by a seeded permutation and standardised with the
  training split's statistics;
* :func:`two_moons` and :func:`spirals`: two-dimensional classification problems that no
  linear model separates;
* :func:`badly_scaled_regression`: least squares whose features differ in scale by orders of
  magnitude (an ill-conditioned :math:`X^\top X`);
* :func:`wilson_separable`: the linearly separable problem of Wilson et al. (2017), on which
  gradient descent and the adaptive methods find different solutions.

Every random draw comes from ``numpy.random.default_rng(seed)``. From the rest of the library
this module imports only the argument checks of :mod:`optbook.checks`.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np

from optbook import checks


class Split(NamedTuple):
    """Training, validation and test parts of a data set."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


class Regression(NamedTuple):
    """A regression problem :math:`y = X w + \\text{noise}` with its true weights."""

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray


class TrainTest(NamedTuple):
    """A training set and a test set drawn from the same process."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray




def _dtype(dtype):
    if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return np.dtype(dtype)


def standardize(train, *others):
    r"""Shift and scale each feature to mean 0 and variance 1 over ``train``; apply the same
    map to ``others``. A feature that is constant in ``train`` is only centred. Returns the
    transformed arrays in the order given."""
    train = np.asarray(train, dtype=np.float64)
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std = np.where(std > 0.0, std, 1.0)
    return tuple((np.asarray(a, dtype=np.float64) - mean) / std for a in (train, *others))


def split(X, y, fractions=(0.6, 0.2, 0.2), *, seed=0) -> Split:
    """Split ``(X, y)`` by a seeded permutation into training, validation and test parts of
    the given ``fractions`` (three numbers >= 0 summing to 1; the test part takes what
    rounding leaves)."""
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or y.shape[:1] != X.shape[:1]:
        raise ValueError(f"X must be 2-D with one label per row, got X {X.shape} and y {y.shape}")
    fractions = np.asarray(fractions, dtype=np.float64)
    if fractions.shape != (3,) or np.any(~np.isfinite(fractions)) or np.any(fractions < 0) or (
        abs(fractions.sum() - 1.0) > 1e-9
    ):
        raise ValueError(f"fractions must be three numbers >= 0 summing to 1, got {fractions}")
    n = X.shape[0]
    order = np.random.default_rng(seed).permutation(n)
    n_train = int(round(fractions[0] * n))
    n_val = int(round(fractions[1] * n))
    if n_train == 0:
        raise ValueError(f"the training part of {n} examples with fraction {fractions[0]} is "
                         "empty")
    parts = np.split(order, [n_train, n_train + n_val])
    return Split(*(a for part in parts for a in (X[part], y[part])))


def _digits_arrays():
    """The 1797 digits as ``(X, y)``: 64 pixel values from 0 to 16, labels 0-9.

    Read straight from the file scikit-learn ships (``sklearn/datasets/data/digits.csv.gz``,
    one image per line, its label last), found without importing scikit-learn: importing
    ``sklearn.datasets`` takes one to three seconds here, which every chapter using the digits
    would pay. If the file is not where it has been since 2010, the public
    ``sklearn.datasets.load_digits`` reads it instead.
    """
    spec = importlib.util.find_spec("sklearn")
    path = None if spec is None or spec.origin is None else (
        Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz")
    if path is not None and path.is_file():
        table = np.loadtxt(path, delimiter=",")
        if table.shape == (1797, 65):
            return table[:, :64], table[:, 64].astype(np.int64)
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.data, bunch.target.astype(np.int64)


def digits(fractions=(0.6, 0.2, 0.2), *, seed=0, dtype=np.float64) -> Split:
    """The 8×8 digits that ship with scikit-learn (1797 images, 64 features from 0 to 16; read
    from the package, no download), split by :func:`split` and standardised with the
    training part's mean and standard deviation (:func:`standardize`). Labels are integers
    0-9; features ``dtype``."""
    dtype = _dtype(dtype)
    X, y = _digits_arrays()
    parts = split(X, y, fractions, seed=seed)
    X_train, X_val, X_test = standardize(parts.X_train, parts.X_val, parts.X_test)
    return Split(X_train.astype(dtype), parts.y_train, X_val.astype(dtype), parts.y_val,
                 X_test.astype(dtype), parts.y_test)


def two_moons(n: int = 200, noise: float = 0.1, *, seed=0) -> tuple[np.ndarray, np.ndarray]:
    r"""Two interleaved half circles: class 0 on :math:`(\cos t, \sin t)`, class 1 on
    :math:`(1 - \cos t, \tfrac12 - \sin t)`, :math:`t \sim U(0, \pi)`, plus Gaussian noise of
    standard deviation ``noise`` (>= 0) in each coordinate; ``n`` (>= 2) points, half per
    class. Returns ``(X (n, 2), y (n,))``."""
    n = checks.count("n", n, 2)
    noise = checks.real("noise", noise, 0.0, math.inf, high_open=True)
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    t = rng.uniform(0.0, math.pi, n)
    X = np.where(labels[:, None] == 0,
                 np.column_stack([np.cos(t), np.sin(t)]),
                 np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)]))
    X = X + noise * rng.standard_normal((n, 2))
    return X, labels.astype(np.int64)


def spirals(n_per_class: int = 100, classes: int = 3, noise: float = 0.2, turns: float = 0.75,
            *, seed=0) -> tuple[np.ndarray, np.ndarray]:
    r"""``classes`` (>= 2) interleaved spiral arms of ``n_per_class`` (>= 1) points. Point
    :math:`i` of arm :math:`k` has radius :math:`r = i/n` and angle
    :math:`2\pi(k/K + \text{turns}\cdot r) + \text{noise}\cdot\mathcal N(0, 1)`, at
    :math:`(r\cos\phi, r\sin\phi)`. Returns ``(X (K n, 2), y (K n,))``."""
    n = checks.count("n_per_class", n_per_class, 1)
    k_classes = checks.count("classes", classes, 2)
    noise = checks.real("noise", noise, 0.0, math.inf, high_open=True)
    turns = checks.real("turns", turns, 0.0, math.inf, low_open=True, high_open=True)
    rng = np.random.default_rng(seed)
    radius = np.tile(np.arange(1, n + 1) / n, k_classes)
    labels = np.repeat(np.arange(k_classes), n)
    angle = 2.0 * math.pi * (labels / k_classes + turns * radius)
    angle = angle + noise * rng.standard_normal(angle.size)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return X, labels.astype(np.int64)


def badly_scaled_regression(n: int = 200, scales=(1.0, 10.0, 100.0), noise: float = 0.1, *,
                            seed=0) -> Regression:
    r"""Least squares with features of very different scales: :math:`X = Z\,\mathrm{diag}(s)`,
    :math:`Z_{ij} \sim \mathcal N(0,1)`, true weights :math:`w_j = u_j / s_j` with
    :math:`u_j \sim \mathcal N(0, 1)` (so every feature moves :math:`y` by about as much) and
    :math:`y = Xw + \text{noise}\cdot\mathcal N(0, 1)`. The condition number of
    :math:`X^\top X` is about :math:`(\max s/\min s)^2`. ``n`` >= 2, ``scales`` > 0,
    ``noise`` >= 0."""
    n = checks.count("n", n, 2)
    scales = np.asarray(scales, dtype=np.float64)
    if scales.ndim != 1 or scales.size == 0 or not np.all(np.isfinite(scales)) or np.any(
        scales <= 0.0
    ):
        raise ValueError(f"scales must be a non-empty 1-D array of finite numbers > 0, "
                         f"got {scales}")
    noise = checks.real("noise", noise, 0.0, math.inf, high_open=True)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, scales.size)) * scales
    w = rng.standard_normal(scales.size) / scales
    y = X @ w + noise * rng.standard_normal(n)
    return Regression(X, y, w)


def _wilson_rows(labels, first_free, dim):
    rows = np.zeros((labels.size, dim))
    rows[:, 0] = labels
    rows[:, 1:3] = 1.0
    for i, (label, start) in enumerate(zip(labels, first_free, strict=True)):
        rows[i, start:start + (1 if label > 0 else 5)] = 1.0
    return rows


def wilson_separable(n: int = 60, p: float = 0.75, n_test: int = 1000, *,
                     seed=0) -> TrainTest:
    r"""The separable least-squares problem of Wilson, Roelofs, Stern, Srebro & Recht (2017),
    *The marginal value of adaptive gradient methods in machine learning*, section 3.3.

    Labels :math:`y_i = +1` with probability ``p`` (in (1/2, 1)), else :math:`-1`. Each of the
    ``n`` (>= 8) training points lives in :math:`\mathbb R^{6n}`: coordinate 1 is :math:`y_i`,
    coordinates 2 and 3 are 1, and a block of its own starting at :math:`4 + 5(i-1)` holds
    one 1 if :math:`y_i = +1` and five if :math:`y_i = -1` (1-based, as in the paper); the
    rest are 0. Fitted by least squares :math:`\min_w \|Xw - y\|^2`, gradient descent from 0
    reaches the minimum-norm solution, which classifies new points by their first coordinate;
    AdaGrad, RMSProp and Adam reach a multiple of :math:`\mathrm{sign}(X^\top y)`, which
    labels every new point +1.

    The ``n_test`` test points follow the same rule, with their own block on coordinates
    :math:`5n+4, \dots` that no training point uses (a new point shares no
    example-specific feature with the training set). Labels are float ±1.
    """
    n = checks.count("n", n, 8)
    p = checks.real("p", p, 0.5, 1.0, low_open=True, high_open=True)
    n_test = checks.count("n_test", n_test, 1)
    rng = np.random.default_rng(seed)
    dim = 6 * n
    y_train = np.where(rng.random(n) < p, 1.0, -1.0)
    y_test = np.where(rng.random(n_test) < p, 1.0, -1.0)
    X_train = _wilson_rows(y_train, 3 + 5 * np.arange(n), dim)
    X_test = _wilson_rows(y_test, np.full(n_test, 5 * n + 3), dim)
    return TrainTest(X_train, y_train, X_test, y_test)
