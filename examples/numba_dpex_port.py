"""A numba-dpex 0.23 program, run on hetero by changing only its imports.

The kernels below are written exactly as for numba-dpex: an nd-range kernel
with local memory (a LocalAccessor argument) and group barriers, a range
kernel with an AtomicRef, and private memory. Only the two import lines differ:

    import numba_dpex as dpex                              # before
    from numba_dpex import kernel_api as kapi

    import hetero.compat.numba_dpex as dpex                # after
    from hetero.compat.numba_dpex import kernel_api as kapi
"""

import dpnp
import numpy as np

import hetero.compat.numba_dpex as dpex
from hetero.compat.numba_dpex import kernel_api as kapi


@dpex.kernel
def sum_reduction_kernel(nditem: kapi.NdItem, a, partial_sums, slm: kapi.LocalAccessor):
    """Each work-group sums its slice of ``a`` in local memory."""
    lid = nditem.get_local_id(0)
    group = nditem.get_group()
    group_size = group.get_local_range(0)
    slm[lid] = a[nditem.get_global_id(0)]
    stride = group_size // 2
    while stride > 0:
        kapi.group_barrier(group)
        if lid < stride:
            slm[lid] += slm[lid + stride]
        stride >>= 1
    if lid == 0:
        partial_sums[group.get_group_id(0)] = slm[0]


@dpex.kernel
def atomic_count(item: kapi.Item, a, counter):
    i = item.get_id(0)
    if a[i] > 0.5:
        ref = kapi.AtomicRef(counter, index=0)
        ref.fetch_add(1)


@dpex.kernel
def private_memory_kernel(nditem: kapi.NdItem, a):
    memory = kapi.PrivateArray(shape=1, dtype=np.float32)
    i = nditem.get_global_id(0)
    memory[0] = i
    kapi.group_barrier(nditem.get_group())
    a[i] = memory[0] * 2


def main():
    n, wg = 1 << 14, 128
    a = dpnp.arange(n, dtype=dpnp.float32)
    partial = dpnp.zeros(n // wg, dtype=dpnp.float32)
    slm = kapi.LocalAccessor(wg, dtype=dpnp.float32)
    dpex.call_kernel(sum_reduction_kernel, dpex.NdRange(dpex.Range(n), dpex.Range(wg)), a, partial, slm)
    total = float(dpnp.sum(partial))
    want = float(np.arange(n, dtype=np.float64).sum())
    print("sum_reduction:", total, "expected", want, "ok" if total == want else "WRONG")

    x = dpnp.asarray(np.random.default_rng(0).random(10_000))
    counter = dpnp.zeros(1, dtype=dpnp.int64)
    host_ev, ev = dpex.call_kernel_async(atomic_count, dpex.Range(x.shape[0]), [], x, counter)
    ev.wait()
    got, want = int(counter[0]), int((dpnp.asnumpy(x) > 0.5).sum())
    print("atomic_count:", got, "expected", want, "ok" if got == want else "WRONG")

    out = dpnp.zeros(64, dtype=dpnp.float32)
    dpex.call_kernel(private_memory_kernel, dpex.NdRange((64,), (16,)), out)
    ok = np.array_equal(dpnp.asnumpy(out), np.arange(64) * 2)
    print("private_memory:", "ok" if ok else "WRONG")


if __name__ == "__main__":
    main()
