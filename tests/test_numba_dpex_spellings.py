"""Spellings numba-dpex programs use that hetero's kernel language accepts, on every back end."""

from __future__ import annotations

import numpy as np
import pytest

import hetero
from tests.conftest import KERNEL_BACKENDS as BACKENDS, SYCL_DEVICES, launch_numpy as _launch


@hetero.kernel
def linear_ranges(item, a):
    a[item.get_id(0), 0] = item.get_linear_range()
    a[item.get_id(0), 1] = item.dimensions


@hetero.kernel
def nd_linear_ranges(it, a):
    g = it.get_global_id(0)
    a[g, 0] = it.get_global_linear_range()
    a[g, 1] = it.get_local_linear_range()


@pytest.mark.parametrize("backend", BACKENDS)
def test_linear_ranges_and_dimensions(backend):
    a = np.zeros((6, 2), dtype=np.int64)
    _launch(backend, linear_ranges, hetero.Range(6), a)
    np.testing.assert_array_equal(a, [[6, 1]] * 6)
    b = np.zeros((6, 2), dtype=np.int64)
    _launch(backend, nd_linear_ranges, hetero.NdRange(6, 3), b)
    np.testing.assert_array_equal(b, [[6, 3]] * 6)


@hetero.kernel
def add_by_name(item, counter, olds):
    old = getattr(hetero.AtomicRef(counter, index=0), "fetch_add")(1)  # numba-dpex's tests pick ops by name
    olds[item.get_id(0)] = old


@pytest.mark.skipif(not SYCL_DEVICES, reason="AtomicRef needs a SYCL device (none on this machine)")
@pytest.mark.parametrize("backend", [d.filter_string for d in SYCL_DEVICES] + ["interpret"])
def test_getattr_with_a_constant_name_is_the_attribute(backend):
    counter, olds = np.zeros(1, dtype=np.int32), np.zeros(8, dtype=np.int32)
    _launch(backend, add_by_name, hetero.Range(8), counter, olds)
    assert counter[0] == 8 and sorted(olds) == list(range(8))


@hetero.kernel
def cas_with_keywords(item, b):
    r = hetero.AtomicRef(b, index=1)
    b[0] = r.compare_exchange(expected_ref=b, desired=b[3], expected_idx=2)  # numba-dpex's keywords


@pytest.mark.skipif(not SYCL_DEVICES, reason="AtomicRef needs a SYCL device (none on this machine)")
@pytest.mark.parametrize("backend", [d.filter_string for d in SYCL_DEVICES] + ["interpret"])
@pytest.mark.parametrize("start, want", [([0, 1, 2, 3], [0, 1, 1, 3]), ([0, 1, 1, 3], [1, 3, 1, 3])])
def test_compare_exchange_with_keywords(backend, start, want):
    b = np.array(start, dtype=np.int32)
    _launch(backend, cas_with_keywords, hetero.Range(1), b)
    np.testing.assert_array_equal(b, want)


@pytest.mark.skipif(not SYCL_DEVICES, reason="dpnp arrays need a SYCL device (none on this machine)")
def test_atomic_ref_on_a_dpnp_array_in_plain_python_returns_the_old_value():
    """Plain-Python AtomicRef (numba-dpex's simulator style) on a dpnp array: indexing a dpnp array
    gives a 0-d view, which the store would change; the old value must be a copy."""
    import dpnp

    b = dpnp.asarray(np.array([5, 7], dtype=np.int32))
    old = hetero.AtomicRef(b, index=1).fetch_add(dpnp.asarray(np.int32(3))[()])
    assert old == 7 and int(b[1]) == 10


@hetero.kernel
def dpnp_math_on_scalars(i, a, out):  # dpnp, the module global, as numba-dpex programs use it
    out[i] = dpnp.sqrt(a[i]) + dpnp.exp(a[i] * 0)


try:
    import dpnp
except ImportError:  # no SYCL stack: the test below is skipped
    dpnp = None


@pytest.mark.skipif(dpnp is None, reason="dpnp is not installed")
@pytest.mark.parametrize("backend", BACKENDS)
def test_dpnp_functions_on_a_kernels_scalars_are_numpys(backend):
    a = np.arange(5, dtype=np.float32)
    out = np.zeros(5, dtype=np.float32)
    _launch(backend, dpnp_math_on_scalars, 5, a, out)
    np.testing.assert_allclose(out, np.sqrt(a) + 1, rtol=1e-6)


@hetero.kernel
def float_into_int_atomic(i, counts, weights):
    hetero.atomic_add(counts, 0, weights[i])  # 0.5 into an int32 counter: would be truncated


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_float_value_for_an_integer_atomic_is_refused(backend):
    counts, weights = np.zeros(1, dtype=np.int32), np.full(4, 0.5)
    with pytest.raises(hetero.KernelTypingError, match="truncated"):
        _launch(backend, float_into_int_atomic, 4, counts, weights)
    assert counts[0] == 0
