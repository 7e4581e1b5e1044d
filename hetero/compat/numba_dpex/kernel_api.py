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
    """``numba_dpex.kernel_api.call_kernel``: run a kernel as plain Python, work-item by work-item.

    As in numba-dpex, this is the simulator: ``kernel`` may be an undecorated function (or a
    compiled kernel, whose Python source is used); it runs through hetero's interpreter back end
    on NumPy arrays in place (device arrays are copied to the host and back), so ``print`` and
    pdb work inside. ``numba_dpex.call_kernel`` is the compiled launch.
    """
    from ...backends.interpret import run_interpreted
    from ...lang import parse_range

    py_func = getattr(kernel, "py_func", kernel)
    run_interpreted(py_func, parse_range(index_space), kernel_args, name=getattr(py_func, "__name__", None))
