"""Division with FMAs (optbook.optimizers.quotients) against division itself:
NumPy's IEEE division over random operands, Python's exact fractions over operands built to
put the quotient next to a rounding boundary, and the special values; then Adam, AMSGrad and
AdamW, whose array steps use it, against a NumPy transcription with true divisions, bit for
bit."""

from fractions import Fraction

import numpy as np
import pytest
from numba import njit

from optbook import optimizers
from optbook.optimizers.dispatch import VECTOR_ELEMENT_SIZE
from optbook.optimizers.quotients import divide, fma

FLOATS = [np.float64, np.float32]
BITS = {np.float64: np.int64, np.float32: np.int32}


@njit
def divide_all(a, b, out):
    for i in range(a.size):
        out[i] = divide(a[i], b[i])


@njit
def fma_all(a, b, c, out):
    for i in range(a.size):
        out[i] = fma(a[i], b[i], c[i])


def quotients(a, b):
    out = np.empty_like(a)
    divide_all(a, b, out)
    return out


def assert_same_bits(got, expected):
    """Equal bit patterns (so 0.0 and -0.0 differ) except that any NaN matches any NaN."""
    both_nan = np.isnan(got) & np.isnan(expected)
    int_type = BITS[got.dtype.type]
    same = got.view(int_type) == expected.view(int_type)
    bad = np.flatnonzero(~(same | both_nan))
    first = bad[:3]
    assert bad.size == 0, f"{bad.size} differ, first at {first}: {got[first]} vs {expected[first]}"


def random_operands(dtype, size, seed):
    """``a`` with random significands over the exponents Adam's roots can have (a = sqrt(v),
    v at least the smallest subnormal), ``b`` in (2**-27, 1] like a root of a bias correction
    and beyond (up to 2**10)."""
    rng = np.random.default_rng(seed)
    low = -537 if dtype is np.float64 else -75
    high = 500 if dtype is np.float64 else 90  # no quotient overflows
    a = np.ldexp(rng.uniform(1.0, 2.0, size), rng.integers(low, high, size)).astype(dtype)
    b = np.ldexp(rng.uniform(1.0, 2.0, size), rng.integers(-27, 10, size)).astype(dtype)
    return a, b


@pytest.mark.parametrize("dtype", FLOATS)
def test_fma_rounds_once(dtype):
    # (1 + u)(1 - u) - 1 = -u^2 exactly, which a product rounded first would lose entirely
    u = dtype(2.0) ** (-20 if dtype is np.float32 else -40)
    one = np.ones(3, dtype)
    out = np.empty_like(one)
    fma_all(one + u, one - u, -one, out)
    np.testing.assert_array_equal(out, -(u * u) * one)


@pytest.mark.parametrize("dtype", FLOATS)
def test_random_quotients_equal_ieee_division(dtype):
    a, b = random_operands(dtype, 2_000_000, seed=0)
    # the operands are not easy: a times the rounded reciprocal misses for about a quarter
    assert np.mean(a * (dtype(1) / b) != a / b) > 0.2
    assert_same_bits(quotients(a, b), a / b)


@pytest.mark.parametrize("dtype", FLOATS)
def test_quotients_next_to_a_rounding_boundary(dtype):
    """For each divisor b (Adam's roots of 1 - 0.999**t, significands of all ones, random ones)
    and a random quotient significand q, the dividend a nearest to b times the midpoint
    between q and the next number, and its neighbours: a/b lies within a few units of the
    last place of b from a boundary between two roundings, where an approximate quotient
    rounds the wrong way first."""
    rng = np.random.default_rng(1)
    info = np.finfo(dtype)
    roots = [np.sqrt(1.0 - 0.999 ** t) for t in (1, 2, 3, 10, 100, 1000, 5000)]
    divisors = [dtype(r) for r in roots]
    divisors += [np.nextafter(dtype(1), dtype(0)), dtype(1) - info.eps * 2, dtype(0.75)]
    divisors += list(rng.uniform(0.01, 1.0, 40).astype(dtype))
    dividends, divisor_column = [], []
    for b in divisors:
        for q in rng.uniform(1.0, 2.0, 60).astype(dtype):
            midpoint = (Fraction(float(q)) + Fraction(float(np.nextafter(q, dtype(2))))) / 2
            a = dtype(float(Fraction(float(b)) * midpoint))
            for a_near in (a, *(np.nextafter(a, dtype(s * np.inf)) for s in (1, -1))):
                dividends.append(a_near)
                divisor_column.append(b)
    a = np.array(dividends, dtype)
    b = np.array(divisor_column, dtype)
    got = quotients(a, b)
    assert np.mean(a * (dtype(1) / b) != a / b) > 0.2
    assert_same_bits(got, a / b)
    if dtype is np.float64:  # Fraction to float rounds correctly, to float64 only
        exact = np.array([float(Fraction(float(x)) / Fraction(float(y)))
                          for x, y in zip(a, b, strict=True)])
        assert_same_bits(got, exact)


@pytest.mark.parametrize("dtype", FLOATS)
def test_special_values_as_division(dtype):
    info = np.finfo(dtype)
    specials = [0.0, info.tiny, info.max, np.inf, np.nan, 1.0, 3.0]
    divisors = [1.0, 0.5, 0.3, 0.0]
    a = np.array([x for x in specials for _ in divisors], dtype)
    b = np.array([y for _ in specials for y in divisors], dtype)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        expected = a / b
        got = quotients(a, b)
    assert_same_bits(got, expected)


def adam_by_numpy(x, grads, lr, amsgrad=False, decoupled=0.0):
    """torch.optim.Adam's update in NumPy (AdamW's with a decoupled decay), dividing by the
    root of the bias correction; default betas and epsilon."""
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    dtype = x.dtype.type
    m, v, v_max = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    p1 = p2 = 1.0
    for g in grads:
        p1 *= beta1
        p2 *= beta2
        x = x * dtype(1.0 - lr * decoupled) if decoupled else x
        m = dtype(beta1) * m + dtype(1 - beta1) * g
        v = dtype(beta2) * v + dtype(1 - beta2) * (g * g)
        v_max = np.maximum(v_max, v)
        root = np.sqrt(v_max if amsgrad else v)
        x = x - dtype(lr / (1 - p1)) * m / (root / dtype(np.sqrt(1 - p2)) + dtype(eps))
    return x


RULES = {
    "adam": (optimizers.adam(lr=1e-3), {}),
    "amsgrad": (optimizers.amsgrad(lr=1e-3), {"amsgrad": True}),
    "adamw": (optimizers.adamw(lr=1e-3), {"decoupled": 1e-2}),
    "adamw-amsgrad": (optimizers.adamw(lr=1e-3, amsgrad=True),
                      {"decoupled": 1e-2, "amsgrad": True}),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", RULES)
@pytest.mark.parametrize("size", [VECTOR_ELEMENT_SIZE - 1, 5000])
def test_adam_family_steps_equal_true_division_bit_for_bit(dtype, name, size):
    """Below VECTOR_ELEMENT_SIZE the array step divides, from it on it uses divide(): both
    give the iterates of a NumPy transcription with true divisions."""
    rng = np.random.default_rng(2)
    x0 = rng.standard_normal(size).astype(dtype)
    # gradients over many scales, some coordinates zero throughout (v = 0 there)
    scales = np.ldexp(1.0, rng.integers(-30, 10, x0.size))
    scales[:3] = 0.0
    grads = [(rng.standard_normal(x0.size) * scales).astype(dtype) for _ in range(40)]
    opt, options = RULES[name]
    state = opt.init_state(x0.size, dtype)
    x = x0.copy()
    for g in grads:
        optimizers.step(opt, x, g, state, 1e-3)
    assert_same_bits(x, adam_by_numpy(x0, grads, 1e-3, **options))
