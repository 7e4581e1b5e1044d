"""The kernel language as the user sees it: launch ranges, work-items, memory, atomics.

One table (:mod:`hetero.lang.table`) lists everything a kernel may call; the
objects here are made from it and carry each function's documentation and its
pure-Python meaning. This package imports nothing of the compiler or of any
runtime: the compiler and the back ends import it.
"""

from __future__ import annotations

from . import table
from .device_function import DeviceFunction, device_function
from .items import (
    Group, Item, NdItem, WorkItemState, get_global_id, get_global_size, get_group_id, get_local_id,
    get_local_size, get_num_groups, get_work_dim,
)
from .ranges import NdRange, Range, parse_range
from .workgroup import (
    AddressSpace, AtomicRef, LocalAccessor, MemoryOrder, MemoryScope, atomic_add, atomic_and,
    atomic_compare_exchange, atomic_exchange, atomic_fence, atomic_max, atomic_min, atomic_or, atomic_sub,
    atomic_xor, barrier, group_barrier, local_array, private_array,
)

__all__ = [
    "table", "DeviceFunction", "device_function", "Range", "NdRange", "parse_range", "Item", "NdItem",
    "Group", "WorkItemState", "get_global_id", "get_global_size", "get_local_id", "get_local_size",
    "get_group_id", "get_num_groups", "get_work_dim", "barrier", "group_barrier", "local_array",
    "LocalAccessor", "private_array", "atomic_add", "atomic_sub", "atomic_min", "atomic_max", "atomic_and",
    "atomic_or", "atomic_xor", "atomic_exchange", "atomic_compare_exchange", "AtomicRef", "atomic_fence",
    "MemoryOrder", "MemoryScope", "AddressSpace", "obj", "row_of",
]


def obj(row: "table.InKernel"):
    """The Python object of a table row of ``owner == "hetero"`` (the function or class)."""
    return globals()[row.name]


_by_object: dict = {}


def row_of(value) -> "table.InKernel | None":
    """The table row of a hetero in-kernel function or class (``hetero.barrier``, an alias of it,
    the compat module's names for it), or None."""
    if not _by_object:
        for row in table.entries("hetero"):
            _by_object[id(obj(row))] = row
    try:
        return _by_object.get(id(value))
    except TypeError:
        return None
