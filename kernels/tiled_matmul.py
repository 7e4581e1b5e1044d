"""Tiled matrix multiply with local memory: hetero kernels and their NumPy reference.

``C = A @ B``. Each work-group computes a ``tile x tile`` block of C: per step
it copies a tile of A and one of B into local memory (one element per
work-item), waits at a barrier, accumulates the tile product, and waits again
before the next tiles overwrite them. Each element of A and B is read from
global memory ``n / tile`` times instead of ``n`` times. Rows and columns past
the matrix edges are guarded (padded with zeros), so any shape works. A naive
kernel (one dot product per work-item, global memory only) is here for
comparison.
"""

from __future__ import annotations

import numpy as np

from hetero.kernel_api import NdRange, barrier, kernel, local_array, private_array

__all__ = ["make_tiled_matmul", "tiled_matmul", "naive_matmul", "matmul", "matmul_numpy", "TILES"]


def make_tiled_matmul(tile: int):
    """The tiled kernel for ``tile x tile`` work-groups (the tile is a compile-time constant)."""

    @kernel
    def tiled_matmul(it, a, b, c):
        i = it.get_global_id(0)
        j = it.get_global_id(1)
        li = it.get_local_id(0)
        lj = it.get_local_id(1)
        ta = local_array((tile, tile), c.dtype)
        tb = local_array((tile, tile), c.dtype)
        n = a.shape[0]
        k = a.shape[1]
        m = b.shape[1]
        acc = private_array(1, c.dtype, True)[0]  # a 0 of the element type
        for t in range((k + tile - 1) // tile):
            ka = t * tile + lj
            if i < n and ka < k:
                ta[li, lj] = a[i, ka]
            else:
                ta[li, lj] = 0
            kb = t * tile + li
            if kb < k and j < m:
                tb[li, lj] = b[kb, j]
            else:
                tb[li, lj] = 0
            barrier()
            for q in range(tile):
                acc += ta[li, q] * tb[q, lj]
            barrier()
        if i < n and j < m:
            c[i, j] = acc

    return tiled_matmul


TILES = {t: make_tiled_matmul(t) for t in (4, 8, 16)}
tiled_matmul = TILES[16]


@kernel
def naive_matmul(it, a, b, c):
    """One element of C per work-item, straight from global memory."""
    i = it.get_global_id(0)
    j = it.get_global_id(1)
    if i < c.shape[0] and j < c.shape[1]:
        acc = private_array(1, c.dtype, True)[0]
        for q in range(a.shape[1]):
            acc += a[i, q] * b[q, j]
        c[i, j] = acc


def _round_up(n, m):
    return max(1, -(-n // m)) * m


def matmul(a, b, tile: int = 16, naive: bool = False):
    """``a @ b`` for 2-D device arrays (a new array on their device)."""
    import dpnp

    n, k = a.shape
    k2, m = b.shape
    if k != k2:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align")
    c = dpnp.empty((n, m), dtype=a.dtype, sycl_queue=a.sycl_queue)
    rng = NdRange((_round_up(n, tile), _round_up(m, tile)), (tile, tile))
    (naive_matmul if naive else TILES[tile])[rng](a, b, c)
    return c


def matmul_numpy(a, b):
    """The reference."""
    return np.asarray(a) @ np.asarray(b)
