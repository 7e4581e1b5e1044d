"""Work-group features and atomics: barriers, local and private memory, atomic operations.

Each is one object whose docstring is the user documentation and whose body is
its pure-Python meaning (what the interpreter back end runs); the atomics and
``AtomicRef``'s methods are made from :mod:`hetero.lang.table`'s rows. Compiled
back ends replace them by their target's instructions.
"""

from __future__ import annotations

import enum
import sys
import threading

import numpy as np

from ..errors import LaunchError
from . import table as _table
from .items import current
from .ranges import Range

__all__ = [
    "MemoryOrder", "MemoryScope", "AddressSpace", "barrier", "group_barrier", "local_array", "LocalAccessor",
    "private_array", "atomic_add", "atomic_sub", "atomic_min", "atomic_max", "atomic_and", "atomic_or",
    "atomic_xor", "atomic_exchange", "atomic_compare_exchange", "atomic_fence", "AtomicRef",
]


class MemoryOrder(enum.IntEnum):
    """Memory orders of atomics and fences (values as in SYCL / DPC++)."""

    RELAXED = 0
    ACQUIRE = 1
    CONSUME_UNSUPPORTED = 2
    RELEASE = 3
    ACQ_REL = 4
    SEQ_CST = 5


class MemoryScope(enum.IntEnum):
    """Memory scopes of atomics, fences and barriers (values as in SYCL)."""

    WORK_ITEM = 0
    SUB_GROUP = 1
    WORK_GROUP = 2
    DEVICE = 3
    SYSTEM = 4


class AddressSpace(enum.IntEnum):
    """Address spaces an :class:`AtomicRef` may point into (values as in SPIR-V / OpenCL)."""

    PRIVATE = 0
    GLOBAL = 1
    CONSTANT = 2
    LOCAL = 3
    GENERIC = 4


def _group_of(name: str):
    """The work-group (interpreter back end) of the running work-item, or None."""
    return current(name).group


def barrier(fence_scope=MemoryScope.WORK_GROUP):
    """Wait until every work-item of the work-group has reached this barrier.

    Writes to local and global memory made before the barrier by any work-item
    of the group are visible to the whole group after it. Every work-item of a
    group must reach each barrier: a barrier may sit in a loop or a branch
    only when all work-items of the group take the same path (a uniform
    condition, such as one on ``get_local_size``). Use with an
    :class:`NdRange` launch.

    Examples
    --------
    >>> tmp = hetero.local_array(64, np.float32)
    >>> tmp[lid] = a[gid]
    >>> hetero.barrier()
    """
    group = _group_of("barrier")
    if group is not None:
        group.barrier()


def group_barrier(group, fence_scope=MemoryScope.WORK_GROUP):
    """:func:`barrier` for the :class:`Group` ``group`` (SYCL's ``group_barrier``)."""
    g = _group_of("group_barrier")
    if g is not None:
        g.barrier()


def _call_site(depth: int = 2):
    f = sys._getframe(depth)
    return (f.f_code, f.f_lasti)


def _dtype(dtype):
    """A NumPy dtype from a NumPy type, dtype, string or numba type (``numba.float32``)."""
    try:
        return np.dtype(dtype)
    except TypeError:
        return np.dtype(str(dtype))


def local_array(shape, dtype):
    """An array in the work-group's local memory, shared by its work-items.

    ``shape`` (an int or a tuple of ints) must be a compile-time constant:
    a literal, or a module-level constant. Its contents are undefined until
    written; synchronise with :func:`barrier` between writing and reading
    another work-item's element. For a size chosen at launch time pass a
    :class:`LocalAccessor` argument instead.

    Examples
    --------
    >>> tile = hetero.local_array((16, 16), np.float32)
    """
    group = _group_of("local_array")
    if group is None:
        return np.zeros(shape, _dtype(dtype))
    return group.shared(("local_array",) + _call_site(), lambda: np.zeros(shape, _dtype(dtype)))


class LocalAccessor:
    """Local memory whose size is chosen at launch: create it on the host, pass it as an argument.

    Inside the kernel the argument is an array of ``shape`` and ``dtype`` in the
    work-group's local memory (one per work-group).

    Examples
    --------
    >>> @hetero.kernel
    ... def k(it, a, tmp):
    ...     tmp[it.get_local_id(0)] = a[it]
    >>> k[hetero.NdRange(n, 64)](a, hetero.LocalAccessor(64, np.float32))
    """

    def __init__(self, shape, dtype=np.float32):
        # a Range shape (numba-dpex writes LocalAccessor(Range(32), ...)) is its extents
        dims = (shape,) if not isinstance(shape, (tuple, list, Range)) else tuple(shape)
        if not 1 <= len(dims) <= 3 or any(isinstance(d, bool) or not hasattr(d, "__index__") or d < 1 for d in dims):
            raise LaunchError(f"LocalAccessor shape must be 1 to 3 positive integers, got {shape!r}")
        self.shape = tuple(int(d) for d in dims)
        self.dtype = _dtype(dtype)
        if self.dtype.kind not in "iuf":
            raise LaunchError(f"LocalAccessor dtype must be an integer or float type, got {self.dtype}")

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def _array(self):
        group = _group_of("LocalAccessor")
        if group is None:
            return np.zeros(self.shape, self.dtype)
        return group.shared(("LocalAccessor", id(self)), lambda: np.zeros(self.shape, self.dtype))

    def __getitem__(self, idx):
        return self._array()[idx]

    def __setitem__(self, idx, value):
        self._array()[idx] = value

    def __repr__(self):
        return f"LocalAccessor({self.shape}, {self.dtype})"


def private_array(shape, dtype, fill_zeros=False):
    """A small array of the running work-item's own (in registers or private memory).

    ``shape`` must be a compile-time constant. Contents are undefined unless
    ``fill_zeros`` is True.
    """
    current("private_array")
    return np.zeros(shape, _dtype(dtype)) if fill_zeros else np.empty(shape, _dtype(dtype))


_atomic_lock = threading.RLock()


def _element(array, value):
    """``value`` as an element of ``array``, converted the way compiled kernels convert it (a
    negative int into an unsigned array wraps around; NumPy 2 would refuse the bare int)."""
    if not isinstance(value, (np.generic, np.ndarray, int, float, complex, bool)) and hasattr(value, "item"):
        value = value.item()  # a 0-d device array (indexing a dpnp array gives one)
    return np.asarray(value).astype(np.dtype(array.dtype), casting="unsafe")[()]


def _rmw(array, index, fn, value):
    with _atomic_lock:
        old = _element(array, array[index])  # a copy: a dpnp element is a 0-d view the store would change
        array[index] = fn(old, _element(array, value))
        return old


_OPS = {
    "add": lambda old, v: old + v,
    "sub": lambda old, v: old - v,
    "min": lambda old, v: min(old, v),
    "max": lambda old, v: max(old, v),
    "and": lambda old, v: old & v,
    "or": lambda old, v: old | v,
    "xor": lambda old, v: old ^ v,
    "exchange": lambda old, v: v,
}


def _atomic_function(row):
    fn_op = _OPS[row.op]
    int_only, what = _table.ATOMIC_OPS[row.op]

    def fn(array, index, value):
        return _rmw(array, index, fn_op, value)

    fn.__name__ = fn.__qualname__ = row.name
    fn.__module__ = "hetero"
    fn.__doc__ = (
        f"Atomically ``{what}``{' (integers)' if int_only else ''}; returns the old value.\n\n"
        f"Works on global (argument) and local arrays of {', '.join(_table.ATOMIC_DTYPES)} (64-bit types\n"
        "where the device supports them). The ``atomic_*`` functions are relaxed atomics at device\n"
        "scope; order them with :func:`barrier` or :func:`atomic_fence`, or use :class:`AtomicRef`."
    )
    return fn


_atomics = {row.name: _atomic_function(row) for row in _table.entries("hetero", "atomic")}
atomic_add = _atomics["atomic_add"]
atomic_sub = _atomics["atomic_sub"]
atomic_min = _atomics["atomic_min"]
atomic_max = _atomics["atomic_max"]
atomic_and = _atomics["atomic_and"]
atomic_or = _atomics["atomic_or"]
atomic_xor = _atomics["atomic_xor"]
atomic_exchange = _atomics["atomic_exchange"]


def atomic_compare_exchange(array, index, expected, desired):
    """Atomically: if ``array[index] == expected`` store ``desired``. Returns the old value
    (the exchange happened when it equals ``expected``)."""
    with _atomic_lock:
        old = _element(array, array[index])
        if old == _element(array, expected):
            array[index] = _element(array, desired)
        return old


def atomic_fence(memory_order=MemoryOrder.SEQ_CST, memory_scope=MemoryScope.DEVICE):
    """A memory fence: orders this work-item's memory accesses before and after it."""
    current("atomic_fence")


class AtomicRef:
    """An atomic view of one array element, as SYCL's ``atomic_ref``.

    ``AtomicRef(array, index=0, memory_order=MemoryOrder.RELAXED,
    memory_scope=MemoryScope.DEVICE, address_space=AddressSpace.GLOBAL)``;
    ``array`` may be a kernel argument or a :func:`local_array` (then pass
    ``address_space=AddressSpace.LOCAL``, which is also inferred). Methods
    ``fetch_add/sub/min/max/and/or/xor(v)`` and ``exchange(v)`` return the old
    value; ``load()``, ``store(v)``; ``compare_exchange(expected, desired,
    expected_idx=0)`` compares with ``expected[expected_idx]`` (an array), stores
    ``desired`` and returns True when equal, else writes the current value into
    ``expected[expected_idx]`` and returns False.
    """

    __slots__ = ("_ref", "_index", "memory_order", "memory_scope", "address_space")

    def __init__(
        self,
        ref,
        index=0,
        memory_order=MemoryOrder.RELAXED,
        memory_scope=MemoryScope.DEVICE,
        address_space=AddressSpace.GLOBAL,
    ):
        self._ref = ref
        self._index = index
        self.memory_order = memory_order
        self.memory_scope = memory_scope
        self.address_space = address_space

    @property
    def ref(self):
        return self._ref[self._index]

    def load(self):
        with _atomic_lock:
            return _element(self._ref, self._ref[self._index])

    def store(self, val):
        with _atomic_lock:
            self._ref[self._index] = val

    def compare_exchange(self, expected=None, desired=None, expected_idx=0, *, expected_ref=None):
        if expected_ref is not None:  # numba-dpex's name for ``expected``
            expected = expected_ref
        if expected is None or desired is None:
            raise TypeError("AtomicRef.compare_exchange(expected, desired, expected_idx=0) needs expected and desired")
        with _atomic_lock:
            cur = _element(self._ref, self._ref[self._index])
            if cur == expected[expected_idx]:
                self._ref[self._index] = desired
                return True
            expected[expected_idx] = cur
            return False


for _row in _table.entries("AtomicRef", "atomic"):
    def _method(self, val, _fn=_atomics[f"atomic_{_row.op}"]):
        return _fn(self._ref, self._index, val)

    _method.__name__, _method.__qualname__ = _row.name, f"AtomicRef.{_row.name}"
    _method.__doc__ = f"{_row.doc[0].upper()}{_row.doc[1:]}."
    setattr(AtomicRef, _row.name, _method)
del _row, _method
for _row in _table.entries("AtomicRef"):  # the hand-written methods take their documentation from the table
    _attr = AtomicRef.__dict__.get(_row.name)
    if callable(_attr) and not _attr.__doc__:
        _attr.__doc__ = f"{_row.doc[0].upper()}{_row.doc[1:]}."
del _row, _attr


for _obj in (MemoryOrder, MemoryScope, AddressSpace, barrier, group_barrier, local_array, LocalAccessor,
             private_array, atomic_compare_exchange, atomic_fence, AtomicRef):
    _obj.__module__ = "hetero"
del _obj
