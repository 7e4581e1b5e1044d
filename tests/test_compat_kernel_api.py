"""hetero.compat.numba_dpex: numba-dpex 0.23's public names, types and exception classes.

Our own tests of what the compat layer adds so that numba-dpex code (and its ``except`` clauses)
works with only the import changed: the type names, ``core.exceptions``, numba-dpex's errors for
bad ranges, NumPy arguments and arrays on different queues, numba's ``TypingError`` for kernels
that cannot be typed, signatures and options accepted in the decorators, and ``LocalAccessor``
shapes given as a ``Range``.
"""

from __future__ import annotations

import numpy as np
import pytest
from numba.core import types as nbtypes
from numba.core.errors import TypingError as NumbaTypingError

import hetero
import hetero.compat.numba_dpex as dpex
from hetero.compat.numba_dpex import kernel_api as kapi
from hetero.compat.numba_dpex.core import exceptions as exc
from tests._kernel_fixtures import needs_sycl


# --- names (no device needed) --------------------------------------------------------------------


def test_type_names_are_numbas():
    assert dpex.float32 is nbtypes.float32 and dpex.int32 is nbtypes.int32 and dpex.int64 is nbtypes.int64
    assert dpex.f4 is dpex.float_ is nbtypes.float32 and dpex.double is nbtypes.float64
    assert dpex.b1 is dpex.boolean is nbtypes.boolean and dpex.void is nbtypes.none
    for name in ("usm_ndarray", "USMNdArray", "DpnpNdArray", "uint32", "uint64", "i4", "i8", "u4", "u8", "f8"):
        assert name in dpex.__all__ and hasattr(dpex, name), name


def test_array_types_are_numba_array_types():
    t = dpex.DpnpNdArray(ndim=2, dtype=dpex.int64, layout="C")
    assert isinstance(t, nbtypes.Array) and t.ndim == 2 and t.dtype is nbtypes.int64 and t.layout == "C"
    u = dpex.usm_ndarray(1, "C", "float32")
    assert isinstance(u, dpex.USMNdArray) and u.dtype is nbtypes.float32
    assert dpex.usm_ndarray is dpex.USMNdArray


def test_core_exceptions_submodule():
    import importlib

    mod = importlib.import_module("hetero.compat.numba_dpex.core.exceptions")
    assert mod is exc and dpex.core.exceptions is exc
    from hetero.compat.numba_dpex.core import config

    assert config is dpex.config
    for name in exc.__all__:
        assert issubclass(getattr(exc, name), Exception), name


def test_exception_classes_are_also_heteros():
    e = exc.TypingError("cannot type")
    assert isinstance(e, NumbaTypingError) and isinstance(e, hetero.KernelTypingError) and isinstance(e, TypeError)
    assert "cannot type" in str(e)
    q = exc.ExecutionQueueInferenceError("k", usmarray_argnum_list=[0, 2])
    assert isinstance(q, hetero.PlacementError) and "0,2" in str(q)
    assert "no USMNdArray" in str(exc.ExecutionQueueInferenceError("k", usmarray_argnum_list=None))
    a = exc.UnsupportedKernelArgumentError("ndarray", "x", "k")
    assert isinstance(a, TypeError) and isinstance(a, hetero.HeteroError)
    assert isinstance(exc.KernelHasReturnValueError("k", "int64"), hetero.KernelTypingError)


@pytest.mark.parametrize("glob, loc", [((2, 2), ("a", 1, 1)), ((3, 3, 3, 3), (2, 2, 2)), ((2, 2), (2, 2, 2))])
def test_bad_ndrange_is_a_type_error(glob, loc):
    with pytest.raises(TypeError) as info:
        dpex.NdRange(glob, loc)
    assert isinstance(info.value, hetero.LaunchError) and isinstance(info.value, exc.InvalidRangeError)
    with pytest.raises(exc.InvalidRangeError):
        kapi.NdRange(glob, loc)


def test_bad_range_is_a_type_error():
    with pytest.raises(exc.InvalidRangeError):
        dpex.Range(1, 2, 3, 4)
    with pytest.raises(TypeError):
        dpex.Range("a")


def test_ranges_are_heteros():
    r = dpex.Range(4, 2)
    n = dpex.NdRange(global_size=dpex.Range(8), local_size=(4,))
    assert type(r) is hetero.Range and type(n) is hetero.NdRange
    assert isinstance(r, dpex.Range) and isinstance(n, kapi.NdRange) and not isinstance(r, dpex.NdRange)
    assert isinstance(hetero.Range(3), dpex.Range)
    assert n.global_range.dims == (8,) and n.local_range.dims == (4,)


def test_local_accessor_takes_a_range_shape():
    assert kapi.LocalAccessor(dpex.Range(32), dtype=np.float32).shape == (32,)
    assert kapi.LocalAccessor(hetero.Range(32, 1), dtype=np.int32).shape == (32, 1)
    with pytest.raises(hetero.LaunchError):
        kapi.LocalAccessor((0,), dtype=np.int32)


def test_decorators_accept_signatures_and_options():
    def f(item, a):
        a[item.get_id(0)] = 1

    k1 = dpex.kernel((dpex.DpnpNdArray(ndim=1, dtype=dpex.int64, layout="C"),))(f)
    k2 = dpex.kernel(release_gil=False, no_compile=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)(f)
    k3 = dpex.kernel([dpex.void(dpex.int64[::1])], debug=True, inline_threshold=3)(f)
    for k in (k1, k2, k3):
        assert hasattr(k, "submit")
    g = dpex.device_func(dpex.int32(dpex.int32))(lambda x: x + 1)
    h = dpex.device_func([dpex.int32(dpex.int32), dpex.int64(dpex.int64)])(lambda x: x + 1)
    assert callable(g) and callable(h)


@dpex.kernel
def _vecadd(item: kapi.Item, a, b, c):
    i = item.get_id(0)
    c[i] = a[i] + b[i]


def test_numpy_arguments_are_refused():
    a = np.ones(8)
    with pytest.raises(exc.UnsupportedKernelArgumentError) as info:
        dpex.call_kernel(_vecadd, dpex.Range(8), a, a, np.zeros(8))
    assert isinstance(info.value, TypeError)


def test_kernel_without_arrays_has_no_queue():
    @dpex.kernel
    def scalars(item, a, b):
        pass

    with pytest.raises(exc.ExecutionQueueInferenceError):
        dpex.call_kernel(scalars, dpex.Range(4), 1, 2)


def test_simulator_refuses_local_accessor_with_range():
    def slm_kernel(nd_item, a, slm):
        slm[nd_item.get_local_linear_id()] = 1
        a[nd_item.get_global_linear_id()] = slm[0]

    a = np.zeros(8)
    with pytest.raises(TypeError):
        kapi.call_kernel(slm_kernel, kapi.Range(8), a, kapi.LocalAccessor(8, dtype=a.dtype))
    kapi.call_kernel(slm_kernel, kapi.NdRange((8,), (8,)), a, kapi.LocalAccessor(8, dtype=a.dtype))
    assert np.all(a == 1)


# --- on a device -----------------------------------------------------------------------------


@needs_sycl
def test_arrays_on_different_queues(sycl_device):
    import dpctl
    import dpnp

    q1, q2 = dpctl.SyclQueue(sycl_device.sycl_queue.sycl_device), dpctl.SyclQueue(sycl_device.sycl_queue.sycl_device)
    a = dpnp.ones(16, sycl_queue=q1)
    b = dpnp.ones(16, sycl_queue=q2)
    c = dpnp.zeros(16, sycl_queue=q1)
    with pytest.raises(exc.ExecutionQueueInferenceError) as info:
        dpex.call_kernel(_vecadd, dpex.Range(16), a, b, c)
    assert isinstance(info.value, hetero.PlacementError)
    dpex.call_kernel(_vecadd, dpex.Range(16), a, dpnp.ones(16, sycl_queue=q1), c)
    assert dpnp.asnumpy(c).tolist() == [2.0] * 16


@needs_sycl
def test_untypable_kernel_raises_numba_typing_error(sycl_device):
    import dpnp

    @dpex.kernel
    def float_xor(item, a):
        kapi.AtomicRef(a, index=0).fetch_xor(a[item.get_id(0)])

    a = dpnp.ones(4, dtype=dpnp.float32, sycl_queue=sycl_device.sycl_queue)
    with pytest.raises(NumbaTypingError) as info:
        dpex.call_kernel(float_xor, dpex.Range(4), a)
    assert isinstance(info.value, hetero.KernelTypingError)
    assert isinstance(info.value.__cause__, hetero.KernelTypingError)
    # hetero's own API keeps raising its own class
    with pytest.raises(hetero.KernelTypingError) as info:
        float_xor[hetero.Range(4)](a)
    assert not isinstance(info.value, NumbaTypingError)


@needs_sycl
def test_local_accessor_range_shape_in_kernel(sycl_device):
    import dpnp

    @dpex.kernel
    def reverse_in_group(nd_item: kapi.NdItem, a, slm):
        i = nd_item.get_local_id(0)
        slm[i] = a[nd_item.get_global_id(0)]
        kapi.group_barrier(nd_item.get_group())
        a[nd_item.get_global_id(0)] = slm[nd_item.get_local_range(0) - 1 - i]

    a = dpnp.arange(32, dtype=dpnp.int32, sycl_queue=sycl_device.sycl_queue)
    slm = kapi.LocalAccessor(dpex.Range(32), dtype=np.int32)
    dpex.call_kernel(reverse_in_group, dpex.NdRange(dpex.Range(32), dpex.Range(32)), a, slm)
    assert dpnp.asnumpy(a).tolist() == list(range(31, -1, -1))


@needs_sycl
def test_signature_kernel_runs(sycl_device):
    import dpnp

    @dpex.kernel((dpex.DpnpNdArray(ndim=1, dtype=dpex.int64, layout="C"),) * 3, release_gil=False)
    def add(item, a, b, c):
        i = item.get_id(0)
        c[i] = a[i] + b[i]

    q = sycl_device.sycl_queue
    a = dpnp.ones(10, dtype=dpnp.int64, sycl_queue=q)
    c = dpnp.zeros(10, dtype=dpnp.int64, sycl_queue=q)
    dpex.call_kernel(add, dpex.Range(10), a, a, c)
    assert dpnp.asnumpy(c).tolist() == [2] * 10


def test_legacy_launch_pair_is_global_and_local_and_waits(sycl_device):
    """numba-dpex <= 0.20's `kernel[global, local]`: (global size, local size), not a 2-D range; and the
    launch returns when the kernel has run (programs read results through usm_data right after)."""
    import dpnp

    import hetero.compat.numba_dpex as dpex

    @dpex.kernel
    def sizes(out):
        i = dpex.get_global_id(0)
        out[i, 0] = dpex.get_global_size(0)
        out[i, 1] = dpex.get_local_size(0)
        out[i, 2] = dpex.get_work_dim()

    out = dpnp.zeros((10, 3), dtype=np.int64, sycl_queue=sycl_device.sycl_queue)
    sizes[10, 5](out)
    np.testing.assert_array_equal(dpnp.asnumpy(out), [[10, 5, 1]] * 10)
    out2 = dpnp.zeros((10, 3), dtype=np.int64, sycl_queue=sycl_device.sycl_queue)
    sizes[10, dpex.DEFAULT_LOCAL_SIZE](out2)
    got = dpnp.asnumpy(out2)
    assert (got[:, 0] == 10).all() and (got[:, 2] == 1).all()
