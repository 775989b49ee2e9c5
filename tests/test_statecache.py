"""The disk cache of computed arrays: stored once, read back equal, keyed by name and key, and
kept in the folder named after the library's sources."""

import numba
import numpy as np
import pytest

from optbook import statecache


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path / "digest"))
    return tmp_path / "digest" / "states"


def test_computes_once_and_reads_back_the_same_arrays(cache_dir):
    calls = []

    def compute():
        calls.append(1)
        return {"a": np.arange(6.0).reshape(2, 3), "b": np.array([1, -1], dtype=np.int64)}

    first = statecache.cached("example", {"n": 3}, compute)
    second = statecache.cached("example", {"n": 3}, compute)
    assert len(calls) == 1
    for key in ("a", "b"):
        assert np.array_equal(first[key], second[key])
        assert first[key].dtype == second[key].dtype
    assert [p.name for p in cache_dir.iterdir()][0].startswith("example-")
    assert statecache.folder() == cache_dir


def test_another_key_or_name_is_another_result(cache_dir):
    values = iter(range(10))

    def compute():
        return {"x": np.array([next(values)])}

    a = statecache.cached("example", {"n": 3}, compute)["x"][0]
    b = statecache.cached("example", {"n": 4}, compute)["x"][0]
    c = statecache.cached("other", {"n": 3}, compute)["x"][0]
    assert len({a, b, c}) == 3
    assert len(list(cache_dir.iterdir())) == 3


def test_a_failed_computation_leaves_no_file(cache_dir):
    def compute():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        statecache.cached("example", {}, compute)
    assert not cache_dir.exists() or not list(cache_dir.iterdir())


def test_bad_arguments_are_refused(cache_dir):
    with pytest.raises(ValueError, match="name"):
        statecache.cached("not a name", {}, dict)
    with pytest.raises(ValueError, match="dict"):
        statecache.cached("example", {}, lambda: [1, 2])
