import math

import numpy as np
import pytest

from optbook import checks


def test_count_takes_integers_in_range_and_names_what_it_refuses():
    assert checks.count("n", 3, 1) == 3
    assert isinstance(checks.count("n", np.int64(5), 1, 5), int)
    for bad, message in [(0, r"n must be an integer >= 1, got 0"), (2.0, "got 2.0"),
                         (True, "got True"), ("3", "got '3'")]:
        with pytest.raises(ValueError, match=message):
            checks.count("n", bad, 1)
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, 4\], got 5"):
        checks.count("k", 5, 1, 4)


def test_real_keeps_finite_numbers_inside_the_interval_with_its_open_ends():
    assert checks.real("p", 0.5, 0.0, 1.0) == 0.5
    assert checks.real("p", 0, 0.0, 1.0) == 0.0
    assert checks.real("x", np.float32(2.5)) == 2.5
    for value, kwargs, message in [
        (0.0, {"low_open": True}, r"p must be in \(0, 1\], got 0.0"),
        (1.0, {"high_open": True}, r"p must be in \[0, 1\), got 1.0"),
        (math.nan, {}, r"p must be in \[0, 1\]"),
        ("a", {}, "p must be a real number, got 'a'"),
        (False, {}, "p must be a real number, got False"),
    ]:
        with pytest.raises(ValueError, match=message):
            checks.real("p", value, 0.0, 1.0, **kwargs)
    with pytest.raises(ValueError, match=r"eps must be in \(0, inf\)"):
        checks.real("eps", math.inf, 0.0, math.inf, low_open=True, high_open=True)
    with pytest.raises(ValueError, match=r"min_lr must be in \[0, inf\], got inf"):
        checks.real("min_lr", math.inf, 0.0)


def test_positive_refuses_zero_infinity_and_non_numbers():
    assert checks.positive("lr", "0.5") == 0.5
    for bad in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="lr must be a finite number > 0"):
            checks.positive("lr", bad)
    for bad in (None, True, [1.0]):
        with pytest.raises(ValueError, match="lr must be a real number > 0"):
            checks.positive("lr", bad)
