"""``numba_dpex.atomic.add(array, index, value)`` / ``atomic.sub`` (the OpenCL-style API before kernel_api).

Both return the old value, as hetero's ``atomic_add`` / ``atomic_sub``.
"""

from ...kernel_api import atomic_add as add, atomic_sub as sub

__all__ = ["add", "sub"]
