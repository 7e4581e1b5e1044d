"""hetero.compat.numba_dpex: numba-dpex 0.23 kernels run with only the import changed.

The kernels are written the way numba-dpex 0.23's documentation and tests write
them (our own rewrites), with ``import hetero.compat.numba_dpex as dpex`` in
place of ``import numba_dpex as dpex``.
"""

from __future__ import annotations

import numpy as np
import pytest

import hetero.compat.numba_dpex as dpex
from hetero.compat.numba_dpex import kernel_api as kapi
from hetero.compat.numba_dpex.kernel_api import (
    AddressSpace,
    AtomicRef,
    Item,
    LocalAccessor,
    MemoryOrder,
    MemoryScope,
    NdItem,
    atomic_fence,
    group_barrier,
)
from tests._kernel_fixtures import needs_sycl  # noqa: F401

pytestmark = needs_sycl


def test_public_names():
    for name in ["kernel", "device_func", "call_kernel", "call_kernel_async", "Range", "NdRange",
                 "DEFAULT_LOCAL_SIZE", "kernel_api"]:
        assert hasattr(dpex, name), name
    for name in ["Item", "NdItem", "Group", "group_barrier", "LocalAccessor", "PrivateArray", "AtomicRef",
                 "MemoryOrder", "MemoryScope", "AddressSpace", "atomic_fence"]:
        assert hasattr(kapi, name), name
    assert int(MemoryOrder.SEQ_CST) == 5 and int(MemoryScope.DEVICE) == 3 and int(AddressSpace.LOCAL) == 3


@dpex.kernel
def vecadd(item: Item, a, b, c):
    i = item.get_id(0)
    c[i] = a[i] + b[i]


def test_range_kernel(sycl_device):
    import dpnp

    q = sycl_device.sycl_queue
    a = dpnp.arange(1000, dtype=dpnp.float32, sycl_queue=q)
    b = dpnp.ones(1000, dtype=dpnp.float32, sycl_queue=q)
    c = dpnp.empty_like(a)
    dpex.call_kernel(vecadd, dpex.Range(1000), a, b, c)
    np.testing.assert_array_equal(dpnp.asnumpy(c), np.arange(1000) + 1)


def test_usm_ndarray_arguments(sycl_device):
    from dpnp import tensor as dpt

    q = sycl_device.sycl_queue
    a = dpt.asarray(np.arange(10, dtype=np.int64), sycl_queue=q)
    b = dpt.asarray(np.full(10, 5, dtype=np.int64), sycl_queue=q)
    c = dpt.empty(10, dtype="i8", sycl_queue=q)
    dpex.call_kernel(vecadd, dpex.Range(10), a, b, c)
    np.testing.assert_array_equal(dpt.asnumpy(c), np.arange(10) + 5)


@dpex.kernel
def range_2d(item: Item, a, b, c):
    i = item.get_id(0)
    j = item.get_id(1)
    c[i, j] = a[i, j] * b[i, j] + item.get_linear_id()


def test_range_kernel_2d(sycl_device):
    import dpnp

    a = np.random.default_rng(0).random((8, 5))
    da, db = dpnp.asarray(a, sycl_queue=sycl_device.sycl_queue), dpnp.asarray(a, sycl_queue=sycl_device.sycl_queue)
    dc = dpnp.empty_like(da)
    dpex.call_kernel(range_2d, dpex.Range(8, 5), da, db, dc)
    np.testing.assert_allclose(dpnp.asnumpy(dc), a * a + np.arange(40).reshape(8, 5))


@dpex.kernel
def group_barrier_kernel(nd_item: NdItem, a):
    i = nd_item.get_global_id(0)
    a[i] += 1
    group_barrier(nd_item.get_group(), MemoryScope.DEVICE)
    if i == 0:
        for idx in range(1, a.size):
            a[0] += a[idx]


def test_group_barrier(sycl_device):
    import dpnp

    n = 16
    a = dpnp.ones(n, dtype=dpnp.int32, sycl_queue=sycl_device.sycl_queue)
    dpex.call_kernel(group_barrier_kernel, dpex.NdRange((n,), (n,)), a)
    assert int(a[0]) == n * 2


@dpex.kernel
def slm_matmul(nditem: NdItem, X, Y, Z, slm_A: LocalAccessor, slm_B: LocalAccessor):
    """Tiled matrix multiply with two LocalAccessor tiles (numba-dpex's local-memory example style)."""
    i = nditem.get_global_id(0)
    j = nditem.get_global_id(1)
    li = nditem.get_local_id(0)
    lj = nditem.get_local_id(1)
    tile = nditem.get_local_range(0)
    n = X.shape[0]
    acc = 0.0
    for t in range(n // tile):
        slm_A[li, lj] = X[i, t * tile + lj]
        slm_B[li, lj] = Y[t * tile + li, j]
        group_barrier(nditem.get_group())
        for k in range(tile):
            acc += slm_A[li, k] * slm_B[k, lj]
        group_barrier(nditem.get_group())
    Z[i, j] = acc


@pytest.mark.parametrize("tile", [4, 8])
def test_local_accessor_matmul(sycl_device, tile):
    import dpnp

    n = 32
    rng = np.random.default_rng(tile)
    x, y = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    q = sycl_device.sycl_queue
    X, Y = dpnp.asarray(x, sycl_queue=q), dpnp.asarray(y, sycl_queue=q)
    Z = dpnp.zeros((n, n), dtype=dpnp.float32, sycl_queue=q)
    slm_a = LocalAccessor((tile, tile), dtype=X.dtype)
    slm_b = LocalAccessor((tile, tile), dtype=X.dtype)
    dpex.call_kernel(slm_matmul, dpex.NdRange(dpex.Range(n, n), dpex.Range(tile, tile)), X, Y, Z, slm_a, slm_b)
    np.testing.assert_allclose(dpnp.asnumpy(Z), x @ y, rtol=1e-5)


@dpex.kernel
def private_memory_kernel(nditem: NdItem, A):
    memory = kapi.PrivateArray(shape=1, dtype=np.float32)
    i = nditem.get_global_id(0)
    memory[0] = i
    group_barrier(nditem.get_group())
    A[i] = memory[0] * 2


def test_private_array(sycl_device):
    import dpnp

    a = dpnp.zeros(32, dtype=dpnp.float32, sycl_queue=sycl_device.sycl_queue)
    dpex.call_kernel(private_memory_kernel, dpex.NdRange(dpex.Range(32), dpex.Range(8)), a)
    np.testing.assert_array_equal(dpnp.asnumpy(a), np.arange(32) * 2)


@dpex.kernel
def atomic_ref_kernel(item: Item, a, b):
    i = item.get_id(0)
    v = AtomicRef(b, index=0, memory_order=MemoryOrder.RELAXED, memory_scope=MemoryScope.DEVICE,
                  address_space=AddressSpace.GLOBAL)
    v.fetch_add(a[i])


@pytest.mark.parametrize("dtype", ["int32", "int64", "float32"])
def test_atomic_ref_fetch_add(sycl_device, dtype):
    import dpnp

    a = dpnp.ones(100, dtype=dtype, sycl_queue=sycl_device.sycl_queue)
    b = dpnp.zeros(1, dtype=dtype, sycl_queue=sycl_device.sycl_queue)
    dpex.call_kernel(atomic_ref_kernel, dpex.Range(100), a, b)
    assert b[0] == 100


@dpex.kernel
def local_atomic_kernel(nditem: NdItem, a, b, slm: LocalAccessor):
    i = nditem.get_global_id(0)
    lid = nditem.get_local_id(0)
    if lid == 0:
        slm[0] = 0
    group_barrier(nditem.get_group())
    AtomicRef(slm, 0, address_space=AddressSpace.LOCAL).fetch_add(a[i])
    atomic_fence(MemoryOrder.SEQ_CST, MemoryScope.WORK_GROUP)
    group_barrier(nditem.get_group())
    if lid == 0:
        AtomicRef(b, 0).fetch_add(slm[0])


def test_local_accessor_atomics(sycl_device):
    import dpnp

    a = dpnp.arange(256, dtype=dpnp.int32, sycl_queue=sycl_device.sycl_queue)
    b = dpnp.zeros(1, dtype=dpnp.int32, sycl_queue=sycl_device.sycl_queue)
    dpex.call_kernel(local_atomic_kernel, dpex.NdRange((256,), (32,)), a, b, LocalAccessor(1, dtype=np.int32))
    assert int(b[0]) == 255 * 256 // 2


@dpex.kernel
def compare_exchange_kernel(item: Item, a, expected):
    AtomicRef(a, 0).compare_exchange(expected, 7)


def test_atomic_ref_compare_exchange(sycl_device):
    import dpnp

    a = dpnp.asarray(np.array([3], np.int64), sycl_queue=sycl_device.sycl_queue)
    e = dpnp.asarray(np.array([3], np.int64), sycl_queue=sycl_device.sycl_queue)
    dpex.call_kernel(compare_exchange_kernel, dpex.Range(1), a, e)
    assert int(a[0]) == 7
    e2 = dpnp.asarray(np.array([5], np.int64), sycl_queue=sycl_device.sycl_queue)
    dpex.call_kernel(compare_exchange_kernel, dpex.Range(1), a, e2)
    assert int(a[0]) == 7 and int(e2[0]) == 7


@dpex.device_func
def square_add(x, y):
    return x * x + y


@dpex.kernel(debug=False)
def calls_device_func(item: Item, a, out):
    i = item.get_id(0)
    out[i] = square_add(a[i], 1)


def test_device_func_and_ignored_options(sycl_device):
    import dpnp

    a = dpnp.arange(10, dtype=dpnp.int64, sycl_queue=sycl_device.sycl_queue)
    out = dpnp.empty_like(a)
    dpex.call_kernel(calls_device_func, dpex.Range(10), a, out)
    np.testing.assert_array_equal(dpnp.asnumpy(out), np.arange(10) ** 2 + 1)
    assert square_add(3, 1) == 10  # host call: plain Python


def test_call_kernel_async(sycl_device):
    import dpctl
    import dpnp

    q = sycl_device.sycl_queue
    a = dpnp.arange(100, dtype=dpnp.float32, sycl_queue=q)
    b = dpnp.ones(100, dtype=dpnp.float32, sycl_queue=q)
    c = dpnp.empty_like(a)
    d = dpnp.empty_like(a)
    host_ev, ev = dpex.call_kernel_async(vecadd, dpex.Range(100), (), a, b, c)
    assert isinstance(host_ev, dpctl.SyclEvent) and isinstance(ev, dpctl.SyclEvent)
    _, ev2 = dpex.call_kernel_async(vecadd, dpex.Range(100), [ev], c, b, d)
    ev2.wait()
    host_ev.wait()
    np.testing.assert_array_equal(dpnp.asnumpy(d), np.arange(100) + 2)


@dpex.kernel
def item_queries(nditem: NdItem, out):
    i = nditem.get_global_linear_id()
    g = nditem.get_group()
    out[i, 0] = nditem.get_global_range(0)
    out[i, 1] = nditem.get_local_range(0)
    out[i, 2] = g.get_group_linear_range()
    out[i, 3] = nditem.get_local_linear_id()
    out[i, 4] = nditem.ndim


def test_nd_item_queries(sycl_device):
    import dpnp

    out = dpnp.zeros((24, 5), dtype=dpnp.int64, sycl_queue=sycl_device.sycl_queue)
    dpex.call_kernel(item_queries, dpex.NdRange(dpex.Range(24), dpex.Range(6)), out)
    got = dpnp.asnumpy(out)
    np.testing.assert_array_equal(got[:, :3], np.tile([24, 6, 4], (24, 1)))
    np.testing.assert_array_equal(got[:, 3], np.arange(24) % 6)
    np.testing.assert_array_equal(got[:, 4], 1)


def test_default_local_size_and_bad_local_sizes(sycl_device):
    import dpnp

    from hetero.errors import LaunchError

    assert dpex.DEFAULT_LOCAL_SIZE == []
    a = dpnp.ones(16, dtype=dpnp.int32, sycl_queue=sycl_device.sycl_queue)
    with pytest.raises(LaunchError, match="does not divide"):
        dpex.call_kernel(group_barrier_kernel, dpex.NdRange((16,), (5,)), a)


@dpex.kernel
def atomic_reduction(item: Item, a):
    AtomicRef(a, 0).fetch_add(a[item.get_id(0) + 1])


def test_default_local_size_lets_the_runtime_choose(sycl_device):
    import dpnp

    a = dpnp.arange(11, dtype=dpnp.int64, sycl_queue=sycl_device.sycl_queue)
    atomic_reduction[10, dpex.DEFAULT_LOCAL_SIZE](a)
    assert int(a[0]) == sum(range(1, 11))


# --- the OpenCL-style API of earlier numba-dpex releases (its published examples use it) -----------


@dpex.kernel
def sum_reduction_kernel(A, input_size, partial_sums):
    local_id = dpex.get_local_id(0)
    global_id = dpex.get_global_id(0)
    group_size = dpex.get_local_size(0)
    group_id = dpex.get_group_id(0)
    local_sums = dpex.local.array(64, np.int32)
    local_sums[local_id] = 0
    if global_id < input_size:
        local_sums[local_id] = A[global_id]
    stride = group_size // 2
    while stride > 0:
        dpex.barrier(dpex.LOCAL_MEM_FENCE)
        if local_id < stride:
            local_sums[local_id] += local_sums[local_id + stride]
        stride >>= 1
    if local_id == 0:
        partial_sums[group_id] = local_sums[0]


def test_opencl_style_recursive_reduction(sycl_device):
    import dpnp

    n, wg = 20000, 64
    a = dpnp.ones(n, dtype=dpnp.int32, sycl_queue=sycl_device.sycl_queue)
    size = n
    while True:
        groups = -(-size // wg)
        partial = dpnp.zeros(groups, dtype=dpnp.int32, sycl_queue=sycl_device.sycl_queue)
        sum_reduction_kernel[(groups * wg,), (wg,)](a, size, partial)
        if groups == 1:
            break
        a, size = partial, groups
    assert int(partial[0]) == n


@dpex.kernel
def opencl_private_and_atomic(A, total):
    memory = dpex.private.array(shape=1, dtype=np.float32)
    i = dpex.get_global_id(0)
    memory[0] = i
    dpex.barrier(dpex.LOCAL_MEM_FENCE | dpex.GLOBAL_MEM_FENCE)
    A[i] = memory[0] * 2
    dpex.atomic.add(total, 0, 1)


def test_opencl_style_private_memory_and_atomics(sycl_device):
    import dpnp

    a = dpnp.zeros(64, dtype=dpnp.float32, sycl_queue=sycl_device.sycl_queue)
    total = dpnp.zeros(1, dtype=dpnp.int64, sycl_queue=sycl_device.sycl_queue)
    opencl_private_and_atomic[dpex.NdRange(dpex.Range(64), dpex.Range(16))](a, total)
    np.testing.assert_array_equal(dpnp.asnumpy(a), np.arange(64) * 2)
    assert int(total[0]) == 64
