"""The memory a forward pass keeps: the counts worked by hand, and tracemalloc's measurement
of the toolkit against its formula."""

import pytest

from optbook.nn import memory


def test_counts_worked_by_hand_for_784_256_10():
    widths = [784, 256, 10]
    # minimal: x and h_1; toolkit: x, z_1 and h_1, and the output; inference: x and z_1
    assert memory.retained_numbers(widths, 1, "minimal") == 784 + 256
    assert memory.retained_numbers(widths, 1, "toolkit") == 784 + 2 * 256 + 10
    assert memory.retained_numbers(widths, 1, "inference") == 784 + 256
    assert memory.retained_numbers(widths, 32, "minimal") == 32 * 1040
    deep = [100] + [50] * 10 + [10]
    assert memory.retained_numbers(deep, 2, "minimal") == 2 * (100 + 10 * 50)
    assert memory.retained_numbers(deep, 2, "inference") == 2 * 150


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_the_toolkit_allocates_what_its_formula_says(activation):
    widths = [64, 48, 32, 10]
    per_example = 8 * (memory.retained_numbers(widths, 1, "toolkit") - widths[0])
    sizes = {b: memory.measure_forward_allocation(widths, b, activation) for b in (16, 48)}
    # each batch allocates its buffers: 8 bytes per number kept, the input excepted; array
    # headers and Python's bookkeeping add up to about a kilobyte (measured: 0.7 to 2 kB,
    # depending on what the process has run before)
    for batch, measured in sizes.items():
        assert 0 <= measured - batch * per_example < 4096
    assert abs(sizes[48] - sizes[16] - 32 * per_example) < 4096


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="kind"):
        memory.retained_numbers([3, 2], 1, "peak")
    with pytest.raises(ValueError, match="batch"):
        memory.retained_numbers([3, 2], 0)
    with pytest.raises(ValueError, match="widths"):
        memory.measure_forward_allocation([3], 4)
