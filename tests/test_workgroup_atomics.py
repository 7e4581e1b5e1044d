"""Atomics in kernels: every operation and element type, on global and local memory, under contention.

Each launching test runs on every kernel back end (``backend``: each SYCL device, host, interpret).
Plain atomics (``atomic_add`` ...) run on the host back end; kernels with local memory, barriers or
``AtomicRef`` are launched with ``workgroup=True`` (on host: routed to the SYCL CPU device, skipped).
"""

from __future__ import annotations

import types as pytypes

import numpy as np
import pytest

from hetero.errors import KernelCompileError, UnsupportedDtypeError
from hetero.kernel_api import (
    AddressSpace,
    AtomicRef,
    MemoryOrder,
    MemoryScope,
    NdRange,
    atomic_add,
    atomic_and,
    atomic_compare_exchange,
    atomic_exchange,
    atomic_fence,
    atomic_max,
    atomic_min,
    atomic_or,
    atomic_sub,
    atomic_xor,
    barrier,
    kernel,
    local_array,
)
from tests._kernel_fixtures import backend, run, to_dev  # noqa: F401

DTYPES = ["int32", "int64", "uint32", "uint64", "float32", "float64"]
N = 8192  # work-items, all hitting the same few elements


@kernel
def contend(it, out, old, one):
    i = it.get_global_id(0)
    v = one[0]
    old[i] = atomic_add(out, 0, v)
    atomic_sub(out, 1, v)
    atomic_min(out, 2, v * (i % 1000 + 3))
    atomic_max(out, 3, v * (i % 1000))
    atomic_exchange(out, 4, v)


@pytest.mark.parametrize("dtype", DTYPES)
def test_atomics_under_contention_are_exact(backend, dtype):
    if dtype == "float64" and backend.is_sycl and not backend.device.sycl_queue.sycl_device.has_aspect_fp64:
        pytest.skip(f"{backend.name} has no fp64")
    out = np.array([0, 2 * N, 100, 0, 0], dtype=dtype)
    old = np.zeros(N, dtype=dtype)
    run(backend, contend, NdRange(N, 64), out, old, np.ones(1, dtype=dtype))
    np.testing.assert_array_equal(out, np.array([N, N, 3, 999, 1], dtype=dtype))
    # atomic_add returned the old values: each of 0 .. N-1 exactly once
    np.testing.assert_array_equal(np.sort(old), np.arange(N, dtype=dtype))


@kernel
def bitwise(i, out, old):
    old[i] = atomic_or(out, 1, 1 << (i % 31))
    atomic_and(out, 0, ~(1 << (i % 31)))
    atomic_xor(out, 2, i)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint32", "uint64"])
def test_bitwise_atomics(backend, dtype):
    n = 1000
    ones = np.array(-1).astype(dtype)
    out = np.array([ones, 0, 0], dtype=dtype)
    old = np.zeros(n, dtype)
    run(backend, bitwise, n, out, old)
    low31 = np.array((1 << 31) - 1).astype(dtype)
    want_xor = np.bitwise_xor.reduce(np.arange(n)).astype(dtype)
    np.testing.assert_array_equal(out, np.array([ones & ~low31, low31, want_xor], dtype=dtype))


@kernel
def cas_claim(i, slot, winners):
    # every work-item tries to claim the slot; exactly one sees the old value 0
    if atomic_compare_exchange(slot, 0, 0, i + 1) == 0:
        atomic_add(winners, 0, 1)


@kernel
def cas_float_add(i, acc, x):
    # an atomic float add written as a compare-exchange loop
    old = acc[0]
    while True:
        seen = atomic_compare_exchange(acc, 0, old, old + x[i])
        if seen == old:
            break
        old = seen


@pytest.mark.parametrize("dtype", DTYPES)
def test_compare_exchange(backend, dtype):
    slot = np.zeros(1, dtype)
    winners = np.zeros(1, np.int32)
    run(backend, cas_claim, 4096, slot, winners)
    assert winners[0] == 1
    assert 1 <= slot[0] <= 4096


def test_compare_exchange_loop_on_floats(backend):
    acc = np.zeros(1, np.float32)
    run(backend, cas_float_add, 2048, acc, np.ones(2048, np.float32))
    assert acc[0] == 2048


@kernel
def local_counts(it, x, hist):
    """Count values mod 8 in local memory, then one global atomic per bin and group."""
    local = local_array(8, np.uint32)
    lid = it.get_local_id(0)
    if lid < 8:
        local[lid] = 0
    barrier()
    atomic_add(local, x[it] % 8, 1)
    barrier()
    if lid < 8:
        atomic_add(hist, lid, local[lid])


@pytest.mark.parametrize("wg", [8, 64, 256])
def test_local_then_global_atomics(backend, wg):
    x = np.random.default_rng(wg).integers(0, 1000, 4096).astype(np.int64)
    hist = np.zeros(8, np.uint32)
    run(backend, local_counts, NdRange(4096, wg), x, hist, workgroup=True)
    np.testing.assert_array_equal(hist, np.bincount(x % 8, minlength=8))


@kernel
def atomic_ref_ops(it, a, f, expected):
    i = it.get_global_id(0)
    r = AtomicRef(a, 0)
    r.fetch_add(1)
    AtomicRef(a, index=1, memory_order=MemoryOrder.ACQ_REL, memory_scope=MemoryScope.DEVICE).fetch_sub(2)
    AtomicRef(a, 2).fetch_max(i)
    AtomicRef(a, 3).fetch_min(i)
    AtomicRef(a, 4).fetch_or(1 << (i % 20))
    AtomicRef(a, 5).fetch_xor(1)
    AtomicRef(a, 6).fetch_and(~(1 << (i % 20)))
    AtomicRef(f, 0, memory_order=MemoryOrder.RELAXED).fetch_add(0.5)
    AtomicRef(f, 1).fetch_min(-1.0 * i)
    tmp = local_array(1, np.int64)
    if it.get_local_id(0) == 0:
        tmp[0] = 0
    barrier()
    AtomicRef(tmp, 0, address_space=AddressSpace.LOCAL).fetch_add(1)
    atomic_fence(MemoryOrder.SEQ_CST, MemoryScope.WORK_GROUP)
    barrier()
    if it.get_local_id(0) == 0:
        AtomicRef(a, 7).fetch_add(tmp[0])
    if i == 0:
        ok = AtomicRef(a, 8).compare_exchange(expected, 42)
        a[9] = 1 if ok else 0
        r10 = AtomicRef(a, 10, memory_order=MemoryOrder.SEQ_CST)
        r10.store(a[9] + 5)
        a[11] = r10.load()
        a[13] = AtomicRef(a, 12).exchange(13)


def test_atomic_ref(backend):
    n = 1024
    got = np.array([0, 0, -1, n, 0, 0, -1, 0, 7, 0, 0, 0, 3, 0], np.int64)
    f = np.zeros(2, np.float64)
    exp = np.array([5], np.int64)
    run(backend, atomic_ref_ops, NdRange(n, 64), got, f, exp, workgroup=True)
    assert got[0] == n and got[1] == -2 * n and got[2] == n - 1 and got[3] == 0
    assert got[4] == (1 << 20) - 1 and got[5] == 0 and got[6] == -1 - ((1 << 20) - 1)
    assert got[7] == n  # the local counters summed
    assert got[8] == 7 and got[9] == 0 and exp[0] == 7  # compare failed: expected updated
    assert got[10] == 5 and got[11] == 5 and got[12] == 13 and got[13] == 3
    np.testing.assert_array_equal(f, [n * 0.5, -(n - 1.0)])


def test_atomic_ref_python_meaning():
    a = np.array([1, 2], np.int64)
    r = AtomicRef(a, 1)
    assert r.fetch_add(3) == 2 and a[1] == 5
    e = np.array([4])
    assert not r.compare_exchange(e, 9) and e[0] == 5
    assert r.compare_exchange(e, 9) and a[1] == 9


def test_float64_atomics_need_fp64():
    """A device without fp64 (simulated): a clear error before anything runs."""
    from hetero.compiler.targets.spirv.binary import Binary as _Compiled
    from hetero.backends.sycl import check_device_support

    comp = _Compiled("k", (), b"", atomics={"float64"})
    no_fp64 = pytypes.SimpleNamespace(has_aspect_fp64=False, has_aspect_atomic64=True, filter_string="level_zero:gpu:0")
    with pytest.raises(UnsupportedDtypeError, match=r"float64 atomics.*level_zero:gpu:0 has no fp64"):
        check_device_support("k", comp, no_fp64)
    no_atomic64 = pytypes.SimpleNamespace(has_aspect_fp64=True, has_aspect_atomic64=False, filter_string="x:gpu:0")
    with pytest.raises(UnsupportedDtypeError, match="no 64-bit atomics"):
        check_device_support("k", _Compiled("k", (), b"", atomics={"int64"}), no_atomic64)
    check_device_support("k", _Compiled("k", (), b"", atomics={"float32", "int32"}), no_atomic64)


def test_atomics_record_their_element_types(sycl_device):
    # A kernel of a fresh copy of contend's function: host builds are kept per Python function, and
    # contend ran on the host back end above; this kernel's specialisations are only its own launch.
    f = contend.py_func
    k = kernel(pytypes.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__, f.__closure__))
    out = to_dev(np.zeros(5, np.float32), sycl_device)
    k[NdRange(64, 64)](out, to_dev(np.zeros(64, np.float32), sycl_device), to_dev(np.ones(1, np.float32), sycl_device))
    assert {s.atomics for s in k.specialisations()} == {frozenset({"float32"})}


@kernel
def atomic_on_complex(i, a):
    atomic_add(a, 0, 1)


@kernel
def bitwise_on_float(i, a):
    atomic_or(a, 0, 1.0)


@kernel
def atomic_wrong_rank(i, a):
    atomic_add(a, 0, 1)


def test_atomic_typing_errors(backend):
    with pytest.raises(KernelCompileError, match="atomic_add works on arrays of int32"):
        run(backend, atomic_on_complex, 4, np.zeros(1, np.complex64))
    with pytest.raises(KernelCompileError, match="atomic_or works on integer arrays"):
        run(backend, bitwise_on_float, 4, np.zeros(1, np.float32))
    with pytest.raises(KernelCompileError, match="2-D array needs 2 indices"):
        run(backend, atomic_wrong_rank, 4, np.zeros((2, 2), np.int32))


def test_atomics_python_meaning():
    a = np.array([5, 1], np.int32)
    assert atomic_add(a, 0, 2) == 5 and a[0] == 7
    assert atomic_max(a, 1, 9) == 1 and a[1] == 9
    assert atomic_compare_exchange(a, 1, 9, 4) == 9 and a[1] == 4
    assert atomic_compare_exchange(a, 1, 9, 0) == 4 and a[1] == 4


@kernel
def count_positive(i, x, counter):
    if x[i] > 0:
        AtomicRef(counter, 0).fetch_add(1)


def test_atomics_on_numpy_arguments_are_copied_back(sycl_device):
    """Arrays written only through atomics still count as written: NumPy arguments come back."""
    from hetero import device as use_device

    x = np.array([1, -1, 2, 0, 5], np.float32)
    counter = np.zeros(1, np.int32)
    hist = np.zeros(8, np.uint32)
    with use_device(sycl_device):
        count_positive[5](x, counter)
        local_counts[NdRange(64, 64)](np.arange(64, dtype=np.int64), hist)
    assert counter[0] == 3
    np.testing.assert_array_equal(hist, np.full(8, 8))


@kernel
def local_float_atomics(it, x, out):
    acc = local_array(2, np.float32)
    if it.get_local_id(0) == 0:
        acc[0] = 0
        acc[1] = -1e30
    barrier()
    atomic_add(acc, 0, x[it])
    atomic_max(acc, 1, x[it])
    barrier()
    if it.get_local_id(0) == 0:
        atomic_add(out, 0, acc[0])
        atomic_max(out, 1, acc[1])


def test_float_atomics_on_local_memory(backend):
    x = np.arange(512, dtype=np.float32) % 17
    out = np.array([0, -1], np.float32)
    run(backend, local_float_atomics, NdRange(512, 128), x, out, workgroup=True)
    np.testing.assert_array_equal(out, [x.sum(), 16])


def test_python_meaning_accepts_numba_dtypes():
    import numba

    from hetero.lang.workgroup import _dtype

    assert _dtype(numba.float32) == np.float32 and _dtype("i8") == np.int64 and _dtype(np.uint32) == np.uint32
