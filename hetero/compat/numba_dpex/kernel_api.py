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
    atomic_fence,
    group_barrier,
    private_array as PrivateArray,
)
from ...errors import LaunchError as _LaunchError
from ...lang import LocalAccessor as _LocalAccessor, NdRange as _NdRange, Range as _Range

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


class _RangeMeta(type):
    # the objects made are hetero's own Range / NdRange (hetero's launch code wants exactly those);
    # isinstance(r, Range) holds for them
    def __instancecheck__(cls, obj):
        return isinstance(obj, cls.__mro__[1])

    def __subclasscheck__(cls, sub):
        return issubclass(sub, cls.__mro__[1])


def _made(base, args):
    from .core.exceptions import InvalidRangeError

    try:
        return base(*args)
    except _LaunchError as e:
        raise InvalidRangeError(str(e)) from None


class Range(_Range, metaclass=_RangeMeta):
    """numba-dpex's ``Range``: hetero's :class:`hetero.Range`, but bad extents raise
    :class:`~.core.exceptions.InvalidRangeError` (a ``TypeError``, as in numba-dpex, and a
    ``hetero.LaunchError``)."""

    __slots__ = ()

    def __new__(cls, *dims):
        return _made(_Range, dims)


class NdRange(_NdRange, metaclass=_RangeMeta):
    """numba-dpex's ``NdRange``: hetero's :class:`hetero.NdRange`; bad extents raise
    :class:`~.core.exceptions.InvalidRangeError` (a ``TypeError`` and a ``hetero.LaunchError``)."""

    __slots__ = ()

    def __new__(cls, global_size, local_size):  # numba-dpex's parameter names
        return _made(_NdRange, (global_size, local_size))


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
    rng = parse_range(index_space)
    if not isinstance(rng, _NdRange) and any(isinstance(x, _LocalAccessor) for x in kernel_args):
        # as numba-dpex's simulator: local memory belongs to work-groups, which a Range launch has not
        raise TypeError(
            f"kernel {getattr(py_func, '__name__', '?')!r} takes a LocalAccessor, which needs an NdRange "
            f"launch (work-groups); got {rng!r}"
        )
    run_interpreted(py_func, rng, kernel_args, name=getattr(py_func, "__name__", None))
