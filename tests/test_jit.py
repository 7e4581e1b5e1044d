"""Host parallel loops: hetero.jit and hetero.prange."""

from __future__ import annotations

import numpy as np
import pytest

import hetero


@hetero.jit
def _add(a, b, c):
    for i in hetero.prange(a.size):
        c[i] = a[i] + b[i]


@hetero.jit(parallel=False, cache=False)
def _serial_sum(a):
    s = 0.0
    for i in range(a.size):
        s += a[i]
    return s


@hetero.jit(fastmath=True)
def _reduce(a):
    s = 0.0
    for i in hetero.prange(a.size):
        s += a[i]
    return s


def test_jit_without_parentheses_is_parallel():
    _serial_sum(np.zeros(1))
    n = 100_003
    a, b = np.arange(n, dtype=np.float32), np.ones(n, dtype=np.float32)
    c = np.empty_like(a)
    _add(a, b, c)
    np.testing.assert_array_equal(c, a + b)
    assert _add.targetoptions["parallel"] is True
    assert _add.targetoptions.get("fastmath", False) is False
    # the parallel pass really turns a prange loop into a parfor gufunc (inspection needs cache=False)
    uncached = hetero.jit(cache=False)(_add.py_func)
    uncached(a, b, c)
    assert "parfor" in uncached.inspect_llvm(uncached.signatures[0]).lower()
    assert "parfor" not in _serial_sum.inspect_llvm(_serial_sum.signatures[0]).lower()


def test_jit_options_override():
    a = np.arange(10, dtype=np.float64)
    assert _serial_sum(a) == 45.0
    assert _serial_sum.targetoptions.get("parallel", False) is False
    assert _reduce(a) == 45.0
    assert _reduce.targetoptions["fastmath"] is True


def test_jit_respects_thread_count():
    n = hetero.get_num_threads()
    a = np.arange(1000.0)
    try:
        hetero.set_num_threads(1)
        assert _reduce(a) == a.sum()
    finally:
        hetero.set_num_threads(n)


def test_jit_rejects_non_callable():
    with pytest.raises(TypeError, match="expects a function"):
        hetero.jit(3)
