"""quote() prints the line nbval compares and returns the value unchanged."""

import numpy as np
import pytest

from optbook.report import quote


def test_quote_prints_six_significant_digits(capsys):
    quote("rate", 2.0 / 3.0)
    assert capsys.readouterr().out == "rate = 0.666667\n"


def test_quote_formats_numpy_scalars_like_python_numbers(capsys):
    quote("ratio", np.float64(0.5719657111340147), ".3f")
    quote("count", np.int64(12))
    assert capsys.readouterr().out == "ratio = 0.572\ncount = 12\n"


def test_quote_prints_integers_exactly_and_honours_a_format(capsys):
    quote("steps", 1459)
    quote("bound", 0.02, ".3f")
    quote("kappa", float("inf"))
    assert capsys.readouterr().out == "steps = 1459\nbound = 0.020\nkappa = inf\n"


def test_quote_rejects_a_name_the_prose_cannot_use():
    with pytest.raises(ValueError, match="name must be a Python identifier"):
        quote("learning rate", 0.1)
