"""Work-group inclusive scan (prefix sum): hetero kernels and their NumPy reference.

:func:`wg_scan_block` scans each work-group's elements in local memory
(Hillis-Steele: log2(group) steps, each a read, a barrier, a write and a
barrier) and records each group's total; :func:`wg_cumsum` scans those totals
the same way and :func:`wg_add_offsets` adds each group's offset. Elements past
the end of the input are guarded by the kernels, so any size works with any
work-group size up to :data:`MAX_GROUP`.
"""

from __future__ import annotations

import numpy as np

from hetero.kernel_api import NdRange, barrier, kernel, local_array, private_array

__all__ = ["wg_scan_block", "wg_add_offsets", "wg_cumsum", "wg_cumsum_numpy", "MAX_GROUP"]

MAX_GROUP = 256


@kernel
def wg_scan_block(it, a, out, sums):
    """``out`` = inclusive scan of each work-group's slice of ``a``; ``sums[g]`` = that group's total."""
    tmp = local_array(MAX_GROUP, out.dtype)
    lid = it.get_local_id(0)
    gid = it.get_global_id(0)
    n = a.shape[0]
    lsize = it.get_local_range(0)
    zero = private_array(1, out.dtype, True)[0]  # a 0 of the element type
    if gid < n:
        tmp[lid] = a[gid]
    else:
        tmp[lid] = zero
    barrier()
    offset = 1
    while offset < lsize:
        v = zero
        if lid >= offset:
            v = tmp[lid - offset]
        barrier()
        tmp[lid] += v
        barrier()
        offset *= 2
    if gid < n:
        out[gid] = tmp[lid]
    if lid == lsize - 1:
        sums[it.get_group().get_group_id(0)] = tmp[lid]


@kernel
def wg_add_offsets(it, out, scanned_sums):
    """Add the total of all earlier work-groups to each element of ``out``."""
    g = it.get_group().get_group_id(0)
    gid = it.get_global_id(0)
    if g > 0 and gid < out.shape[0]:
        out[gid] += scanned_sums[g - 1]


def wg_cumsum(x, group: int = 64):
    """Inclusive prefix sum of the 1-D device array ``x`` (a new array on x's device)."""
    import dpnp

    n = x.shape[0]
    ngroups = max(1, -(-n // group))
    out = dpnp.empty(n, dtype=x.dtype, sycl_queue=x.sycl_queue)
    sums = dpnp.empty(ngroups, dtype=x.dtype, sycl_queue=x.sycl_queue)
    rng = NdRange(ngroups * group, group)
    wg_scan_block[rng](x, out, sums)
    if ngroups > 1:
        wg_add_offsets[rng](out, wg_cumsum(sums, group))
    return out


def wg_cumsum_numpy(x):
    """The reference."""
    return np.cumsum(x, dtype=x.dtype)
