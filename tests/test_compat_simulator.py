"""numba-dpex's kernel_api.call_kernel: plain (undecorated) kernels run through hetero's interpreter on
NumPy arrays, as numba-dpex's simulator did — no SYCL device needed."""

from __future__ import annotations

import numpy as np

from hetero.compat.numba_dpex import NdRange, Range
from hetero.compat.numba_dpex import kernel_api as kapi
from hetero.compat.numba_dpex.kernel_api import (
    AddressSpace,
    AtomicRef,
    Item,
    LocalAccessor,
    MemoryScope,
    NdItem,
    group_barrier,
)


def vecadd(item: Item, a, b, c):
    i = item.get_id(0)
    c[i] = a[i] + b[i]


def group_sum(nd_item: NdItem, a, slm, out):
    lid = nd_item.get_local_id(0)
    slm[lid] = a[nd_item.get_global_id(0)]
    group_barrier(nd_item.get_group(), MemoryScope.WORK_GROUP)
    if lid == 0:
        s = 0
        for k in range(nd_item.get_local_range(0)):
            s += slm[k]
        AtomicRef(out, 0, address_space=AddressSpace.GLOBAL).fetch_add(s)


def shout(item: Item, a):
    print("item", item.get_id(0), "sees", a[item.get_id(0)])


def test_plain_function_runs_in_the_simulator():
    a, b = np.arange(100.0), np.ones(100)
    c = np.zeros(100)
    kapi.call_kernel(vecadd, Range(100), a, b, c)
    np.testing.assert_array_equal(c, a + 1)


def test_simulator_barriers_local_memory_and_atomics():
    a = np.arange(256, dtype=np.int64)
    out = np.zeros(1, np.int64)
    kapi.call_kernel(group_sum, NdRange((256,), (32,)), a, LocalAccessor(32, dtype=np.int64), out)
    assert out[0] == a.sum()


def test_simulator_print_works(capsys):
    kapi.call_kernel(shout, Range(3), np.array([7, 8, 9]))
    assert capsys.readouterr().out.splitlines() == ["item 0 sees 7", "item 1 sees 8", "item 2 sees 9"]
