"""Work-group tree reduction (sum): a hetero kernel and its NumPy reference.

Each work-item first adds up a strided share of the input (every
``global size``-th element, so a launch needs no more work-groups than the
device can keep busy), then the work-group combines those sums in local memory,
halving the number of active work-items per step with a barrier between steps;
work-item 0 writes the group's partial sum. :func:`wg_sum` repeats the kernel on
the partial sums until one value is left. Work-items past the end of the input
contribute 0 (the kernel's own guard), so any size works with any power-of-two
work-group size up to :data:`MAX_GROUP`.
"""

from __future__ import annotations

import numpy as np

from hetero.kernel_api import NdRange, barrier, kernel, local_array, private_array

__all__ = ["wg_reduce_sum", "wg_sum", "wg_sum_numpy", "MAX_GROUP"]

MAX_GROUP = 256  # local memory is sized at compile time: the largest work-group supported
MAX_GROUPS = 4096  # work-groups per pass (measured on opencl:cpu: 256 groups ran 6x slower than 4096)


@kernel
def wg_reduce_sum(it, a, partial):
    """``partial[g]`` = sum of the elements work-group ``g`` visits (item style, 1-D NdRange)."""
    tmp = local_array(MAX_GROUP, a.dtype)
    lid = it.get_local_id(0)
    acc = private_array(1, a.dtype, True)[0]  # a 0 of the element type
    i = it.get_global_id(0)
    step = it.get_global_range(0)
    n = a.shape[0]
    while i < n:
        acc += a[i]
        i += step
    tmp[lid] = acc
    barrier()
    stride = it.get_local_range(0) // 2
    while stride > 0:
        if lid < stride:
            tmp[lid] += tmp[lid + stride]
        barrier()
        stride //= 2
    if lid == 0:
        partial[it.get_group().get_group_id(0)] = tmp[0]


def wg_sum(x, group: int = 64):
    """The sum of the 1-D device array ``x``, by repeated work-group reductions (stays on x's device)."""
    import dpnp

    if group > MAX_GROUP or group & (group - 1):
        raise ValueError(f"group must be a power of two up to {MAX_GROUP}, got {group}")
    while True:
        n = x.shape[0]
        ngroups = min(MAX_GROUPS, max(1, -(-n // group)))
        partial = dpnp.empty(ngroups, dtype=x.dtype, sycl_queue=x.sycl_queue)
        wg_reduce_sum[NdRange(ngroups * group, group)](x, partial)
        if ngroups == 1:
            return partial[0]
        x = partial


def wg_sum_numpy(x):
    """The reference."""
    return np.sum(x)
