"""The kernel language in one namespace: ``from hetero.kernel_api import *``.

The same names as :mod:`hetero` offers for kernels (and the shape of numba-dpex's
``numba_dpex.kernel_api``): the decorators, launch ranges, work-items, work-group
features and atomics, ``Event`` and ``synchronize``. The language itself lives in
:mod:`hetero.lang` (one table of what a kernel may call); the decorators in
:mod:`hetero.kernel`.
"""

from __future__ import annotations

from .backends.base import Event
from .backends.sycl.submit import synchronize
from .kernel import device_function, kernel
from .lang import (
    AddressSpace, AtomicRef, Group, Item, LocalAccessor, MemoryOrder, MemoryScope, NdItem, NdRange, Range,
    atomic_add, atomic_and, atomic_compare_exchange, atomic_exchange, atomic_fence, atomic_max, atomic_min,
    atomic_or, atomic_sub, atomic_xor, barrier, get_global_id, get_global_size, get_group_id, get_local_id,
    get_local_size, get_num_groups, get_work_dim, group_barrier, local_array, private_array,
)

__all__ = [
    "kernel", "device_function", "Range", "NdRange", "Item", "NdItem", "Event", "synchronize",
    "get_global_id", "get_global_size", "get_local_id", "get_local_size", "get_group_id", "get_num_groups",
    "get_work_dim", "Group", "barrier", "group_barrier", "local_array", "LocalAccessor", "private_array",
    "atomic_add", "atomic_sub", "atomic_min", "atomic_max", "atomic_and", "atomic_or", "atomic_xor",
    "atomic_exchange", "atomic_compare_exchange", "AtomicRef", "atomic_fence", "MemoryOrder", "MemoryScope",
    "AddressSpace",
]
