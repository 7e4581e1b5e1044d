"""HETERO_DISABLE_ASSERTS=1 compiles kernels' ``assert`` statements out; nothing else changes.

Asserts are checked by default on every back end (tests/test_reliability.py). The switch is
read when a kernel is compiled, and is part of the in-memory and disk cache keys, so turning
it on or off in one process never reuses code compiled the other way. Explicit ``raise`` stays.
"""

from __future__ import annotations

import numpy as np
import pytest

import hetero
from tests.conftest import SYCL_DEVICES, launch_numpy as _launch
# In a module of their own: pytest rewrites the assert statements of test modules.
from tests._raising_kernels import asserts_in_a_device_function, asserts_non_negative, raises_on_negative

COMPILED = [d.filter_string for d in SYCL_DEVICES] + ["host"]
needs_sycl = pytest.mark.skipif(not SYCL_DEVICES, reason="no SYCL device on this machine")


def _negative_input():
    a = np.arange(6.0)
    a[3] = -1
    return a


@pytest.mark.parametrize("backend", COMPILED)
def test_the_switch_compiles_asserts_out_and_back_in(backend, monkeypatch):
    a, out = _negative_input(), np.zeros(6)
    monkeypatch.setenv("HETERO_DISABLE_ASSERTS", "1")
    _launch(backend, asserts_non_negative, 6, a, out)  # no error: the work-item runs on
    np.testing.assert_array_equal(out, 2 * a)
    if backend != "host":
        assert not asserts_non_negative.compile(6, a, out, target="spirv").flagged  # no error flag argument either
    monkeypatch.delenv("HETERO_DISABLE_ASSERTS")
    with pytest.raises(hetero.KernelAssertionError, match="negative input"):
        _launch(backend, asserts_non_negative, 6, a, np.zeros(6))
    if backend != "host":
        assert asserts_non_negative.compile(6, a, out, target="spirv").flagged


@pytest.mark.parametrize("backend", COMPILED)
def test_asserts_in_device_functions_go_too(backend, monkeypatch):
    a, out = np.array([1, 200, 3]), np.zeros(3, dtype=np.int64)
    with pytest.raises(hetero.KernelAssertionError, match="too big"):
        _launch(backend, asserts_in_a_device_function, 3, a, out)
    monkeypatch.setenv("HETERO_DISABLE_ASSERTS", "1")
    _launch(backend, asserts_in_a_device_function, 3, a, out)
    np.testing.assert_array_equal(out, a + 1)


@pytest.mark.parametrize("backend", COMPILED)
def test_an_explicit_raise_stays(backend, monkeypatch):
    monkeypatch.setenv("HETERO_DISABLE_ASSERTS", "1")
    with pytest.raises(ValueError, match="no negatives here"):
        _launch(backend, raises_on_negative, 6, _negative_input(), np.zeros(6))


@needs_sycl
def test_the_disk_cache_keeps_the_two_apart(monkeypatch, tmp_path):
    monkeypatch.setenv("HETERO_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("HETERO_DISABLE_CACHE", raising=False)
    backend = SYCL_DEVICES[0].filter_string
    a = _negative_input()
    monkeypatch.setenv("HETERO_DISABLE_ASSERTS", "1")
    k1 = hetero.kernel(asserts_non_negative.py_func)  # a new kernel object: nothing in memory
    _launch(backend, k1, 6, a, np.zeros(6))
    monkeypatch.delenv("HETERO_DISABLE_ASSERTS")
    k2 = hetero.kernel(asserts_non_negative.py_func)
    with pytest.raises(hetero.KernelAssertionError):
        _launch(backend, k2, 6, a, np.zeros(6))
    assert len(list(tmp_path.glob("*.spirv"))) == 2


def test_a_bad_value_is_a_configuration_error(monkeypatch):
    monkeypatch.setenv("HETERO_DISABLE_ASSERTS", "maybe")
    k = hetero.kernel(asserts_non_negative.py_func)
    with pytest.raises(hetero.ConfigurationError, match="HETERO_DISABLE_ASSERTS"):
        _launch(COMPILED[0], k, 6, np.arange(6.0), np.zeros(6))
