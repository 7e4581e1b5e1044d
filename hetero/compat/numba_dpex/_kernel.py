"""numba-dpex's kernel objects: hetero kernels launched the way numba-dpex launched them.

numba-dpex up to 0.20 (and numba-dppy before it) launched with ``kernel[global, local](args)``:
a pair is always (global size, local size), each an int or a tuple, and ``DEFAULT_LOCAL_SIZE``
(an empty list) lets the runtime choose; the launch returned when the kernel had finished.
hetero's own ``k[n, m]`` is a 2-D range and returns at once, so a program written for numba-dpex
would silently compute over the wrong range and read results early; these objects keep
numba-dpex's meaning. ``call_kernel`` takes them like any hetero kernel.
"""

from __future__ import annotations

from ...kernel import Kernel
from ...lang import NdRange, Range, parse_range

__all__ = ["DpexKernel", "legacy_range"]


def legacy_range(key):
    """What ``kernel[key]`` meant in numba-dpex: a pair is (global size, local size)."""
    if isinstance(key, tuple) and len(key) == 2 and not any(isinstance(k, (Range, NdRange)) for k in key):
        glob, loc = key
        if isinstance(loc, list) and not loc:  # DEFAULT_LOCAL_SIZE: the runtime chooses the groups
            return Range(*glob) if isinstance(glob, (tuple, list)) else Range(glob)
        return NdRange(glob, loc)
    return parse_range(key)


class DpexKernel(Kernel):
    """A kernel made by ``hetero.compat.numba_dpex.kernel``: ``k[global, local](...)`` as numba-dpex."""

    def __getitem__(self, key):
        rng = legacy_range(key)

        def launch(*args):
            self.submit(rng, *args).wait()  # numba-dpex's launch returned when the kernel had run

        return launch
