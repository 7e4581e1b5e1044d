"""2-D 5-point stencil (one Jacobi step of the Laplace equation): a hetero kernel and its NumPy reference.

``out[i, j] = c0 * u[i, j] + c1 * (u[i-1, j] + u[i+1, j] + u[i, j-1] + u[i, j+1])``
on interior points; boundary points are copied. Launched over an NdRange
rounded up to the work-group size: work-items outside the grid do nothing.
"""

from __future__ import annotations

import numpy as np

from hetero.kernel_api import NdRange, kernel

__all__ = ["stencil5", "stencil_step", "stencil_numpy"]


@kernel
def stencil5(it, u, out, c0, c1):
    """One stencil step from ``u`` into ``out`` (2-D NdRange or Range)."""
    i = it.get_global_id(0)
    j = it.get_global_id(1)
    n = u.shape[0]
    m = u.shape[1]
    if i < n and j < m:
        if i == 0 or j == 0 or i == n - 1 or j == m - 1:
            out[i, j] = u[i, j]
        else:
            out[i, j] = c0 * u[i, j] + c1 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1])


def stencil_step(u, c0=0.0, c1=0.25, group=(8, 8)):
    """One stencil step of the 2-D device array ``u`` (a new array on its device)."""
    import dpnp

    out = dpnp.empty_like(u)
    g = tuple(max(1, -(-s // l)) * l for s, l in zip(u.shape, group))
    stencil5[NdRange(g, group)](u, out, c0, c1)
    return out


def stencil_numpy(u, c0=0.0, c1=0.25):
    """The reference."""
    u = np.asarray(u)
    out = u.copy()
    out[1:-1, 1:-1] = c0 * u[1:-1, 1:-1] + c1 * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:])
    return out.astype(u.dtype)
