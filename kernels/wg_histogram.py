"""Histogram with local then global atomics: a hetero kernel and its NumPy reference.

Each work-group counts its elements into a private histogram in local memory
(``atomic_add`` on local memory: contention stays inside the group), then adds
its counts to the global histogram (one global ``atomic_add`` per bin and
group, not per element). Values are bin numbers in ``[0, nbins)``; anything
else is ignored, as are work-items past the end of the input.
"""

from __future__ import annotations

import numpy as np

from hetero.kernel_api import NdRange, atomic_add, barrier, kernel, local_array

__all__ = ["wg_histogram", "histogram", "histogram_numpy", "MAX_BINS"]

MAX_BINS = 1024


@kernel
def wg_histogram(it, x, hist):
    """``hist[b]`` += number of elements of ``x`` equal to ``b`` (1-D NdRange; hist zeroed by the caller)."""
    local = local_array(MAX_BINS, np.int32)
    lid = it.get_local_id(0)
    lsize = it.get_local_range(0)
    nbins = hist.shape[0]
    b = lid
    while b < nbins:
        local[b] = 0
        b += lsize
    barrier()
    gid = it.get_global_id(0)
    if gid < x.shape[0]:
        v = x[gid]
        if v >= 0 and v < nbins:
            atomic_add(local, v, 1)
    barrier()
    b = lid
    while b < nbins:
        c = local[b]
        if c != 0:
            atomic_add(hist, b, c)
        b += lsize


def histogram(x, nbins: int, group: int = 64):
    """Counts of each bin number in the 1-D integer device array ``x`` (an int32 array on x's device)."""
    import dpnp

    if not 1 <= nbins <= MAX_BINS:
        raise ValueError(f"nbins must be between 1 and {MAX_BINS}, got {nbins}")
    hist = dpnp.zeros(nbins, dtype=np.int32, sycl_queue=x.sycl_queue)
    n = x.shape[0]
    ngroups = max(1, -(-n // group))
    wg_histogram[NdRange(ngroups * group, group)](x, hist)
    return hist


def histogram_numpy(x, nbins: int):
    """The reference."""
    x = np.asarray(x)
    x = x[(x >= 0) & (x < nbins)]
    return np.bincount(x, minlength=nbins).astype(np.int32)
