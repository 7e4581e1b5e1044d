"""numba-dpex 0.23's ``numba_dpex.kernel_api``: the objects a kernel uses, as hetero's.

``Item`` / ``NdItem`` / ``Group`` are the work-item and work-group a kernel
receives; ``group_barrier``, ``LocalAccessor``, ``PrivateArray``,
``AtomicRef``, ``atomic_fence`` and the memory enums behave as in numba-dpex
(see :mod:`hetero.kernel_api` for each one's documentation).
"""

from __future__ import annotations

from ...kernel_api import (
    AddressSpace,
    AtomicRef,
    Group,
    Item,
    LocalAccessor,
    MemoryOrder,
    MemoryScope,
    NdItem,
    NdRange,
    Range,
    atomic_fence,
    group_barrier,
    private_array as PrivateArray,
)

__all__ = [
    "Item",
    "NdItem",
    "Group",
    "group_barrier",
    "LocalAccessor",
    "PrivateArray",
    "AtomicRef",
    "MemoryOrder",
    "MemoryScope",
    "AddressSpace",
    "atomic_fence",
    "Range",
    "NdRange",
    "call_kernel",
]


def call_kernel(kernel, index_space, *kernel_args):
    """``numba_dpex.kernel_api.call_kernel``: run a kernel (here: compiled, on the arguments' device)."""
    from . import call_kernel as _call

    _call(kernel, index_space, *kernel_args)
