"""The kernel language: decorators, launch ranges and the functions a kernel may call.

Each in-kernel function here is one object: its docstring is the user
documentation, its Python body is its meaning (used when a kernel runs as plain
Python, work-item by work-item), and the SYCL compiler attaches typing and
lowering to it (``hetero/compiler/typing.py``, ``lowering.py``). Calling one
from ordinary host code raises a clear error.

Dimension ``d`` always means dimension ``d`` of the launch range as written by
the user: in ``k[(n, m)]`` dimension 0 has ``n`` work-items, dimension 1 has ``m``.
"""

from __future__ import annotations

import enum
import sys
import threading

import numpy as np

from .errors import LaunchError

__all__ = [
    "kernel",
    "device_function",
    "Range",
    "NdRange",
    "Item",
    "NdItem",
    "Event",
    "synchronize",
    "get_global_id",
    "get_global_size",
    "get_local_id",
    "get_local_size",
    "get_group_id",
    "get_num_groups",
    "get_work_dim",
    "Group",
    "barrier",
    "group_barrier",
    "local_array",
    "LocalAccessor",
    "private_array",
    "atomic_add",
    "atomic_sub",
    "atomic_min",
    "atomic_max",
    "atomic_and",
    "atomic_or",
    "atomic_xor",
    "atomic_exchange",
    "atomic_compare_exchange",
    "AtomicRef",
    "atomic_fence",
    "MemoryOrder",
    "MemoryScope",
    "AddressSpace",
]


# --- launch ranges --------------------------------------------------------------------------


def _as_dims(value, what: str) -> tuple[int, ...]:
    if isinstance(value, Range):
        return value.dims
    if isinstance(value, (list, tuple)):
        dims = tuple(value)
    else:
        dims = (value,)
    out = []
    for d in dims:
        if isinstance(d, bool) or not hasattr(d, "__index__"):
            raise LaunchError(
                f"{what} must be integers, got {type(d).__name__} {d!r}; write e.g. Range(1024) or Range(64, 64)"
            )
        d = int(d.__index__())
        if d < 0:
            raise LaunchError(f"{what} must not be negative, got {dims}")
        out.append(d)
    if not 1 <= len(out) <= 3:
        raise LaunchError(f"{what} must have 1, 2 or 3 dimensions, got {len(out)} ({dims})")
    return tuple(out)


class Range:
    """The work-items of a launch: 1, 2 or 3 non-negative extents.

    ``k[Range(n, m)](...)`` runs ``n * m`` work-items; an item-style kernel gets
    an :class:`Item` whose ``get_id(0)`` runs over ``range(n)`` and ``get_id(1)``
    over ``range(m)``.
    """

    __slots__ = ("dims", "_glist", "_small")

    def __init__(self, *dims: int):
        if len(dims) == 1 and isinstance(dims[0], (tuple, list, Range)):
            dims = tuple(dims[0].dims if isinstance(dims[0], Range) else dims[0])
        self.dims = _as_dims(dims, "Range extents")
        self._glist = list(self.dims)  # what dpctl's submit takes, made once
        self._small = self.size < 2**31  # ids fit in 31 bits: the compiler may use 32-bit math

    @property
    def ndim(self) -> int:
        return len(self.dims)

    @property
    def size(self) -> int:
        n = 1
        for d in self.dims:
            n *= d
        return n

    def __len__(self) -> int:
        return len(self.dims)

    def __getitem__(self, i):
        return self.dims[i]

    def __iter__(self):
        return iter(self.dims)

    def __eq__(self, other):
        if isinstance(other, Range):
            return self.dims == other.dims
        return NotImplemented

    def __hash__(self):
        return hash(("Range", self.dims))

    def __repr__(self):
        return f"Range{self.dims}" if len(self.dims) > 1 else f"Range({self.dims[0]})"


class NdRange:
    """A global range split into work-groups of a local range.

    Each local extent must divide the matching global extent. An item-style
    kernel launched on an ``NdRange`` receives an :class:`NdItem`.
    """

    __slots__ = ("global_range", "local_range", "_glist", "_llist", "_small")

    def __init__(self, global_range, local_range):
        g = Range(_as_dims(global_range, "NdRange global extents"))
        loc = Range(_as_dims(local_range, "NdRange local extents"))
        if g.ndim != loc.ndim:
            raise LaunchError(
                f"NdRange global range {g.dims} and local range {loc.dims} have different numbers of dimensions"
            )
        for d, (gd, ld) in enumerate(zip(g.dims, loc.dims)):
            if ld == 0 and gd != 0:
                raise LaunchError(f"NdRange local extent {d} is 0 but the global extent is {gd}")
            if ld and gd % ld:
                raise LaunchError(
                    f"NdRange local extent {ld} does not divide global extent {gd} in dimension {d} "
                    f"(global {g.dims}, local {loc.dims}); round the global range up to a multiple of "
                    "the local range and guard the extra work-items with an `if`"
                )
        self.global_range = g
        self.local_range = loc
        self._glist = list(g.dims)
        self._llist = list(loc.dims)
        self._small = g._small

    @property
    def ndim(self) -> int:
        return self.global_range.ndim

    def __eq__(self, other):
        if isinstance(other, NdRange):
            return (self.global_range, self.local_range) == (other.global_range, other.local_range)
        return NotImplemented

    def __hash__(self):
        return hash(("NdRange", self.global_range.dims, self.local_range.dims))

    def __repr__(self):
        return f"NdRange({self.global_range.dims}, {self.local_range.dims})"


# --- the work-item a kernel runs as (for plain-Python execution) -----------------------------

_state = threading.local()


class _WorkItemState:
    """Where one work-item is, for the Python meaning of the in-kernel functions."""

    __slots__ = ("global_id", "global_range", "local_id", "local_range", "group_id", "groups")

    def __init__(self, global_id, global_range, local_range=None):
        self.global_id = tuple(global_id)
        self.global_range = tuple(global_range)
        self.local_range = tuple(local_range) if local_range is not None else tuple(global_range)
        self.local_id = tuple(g % max(loc, 1) for g, loc in zip(self.global_id, self.local_range))
        self.group_id = tuple(g // max(loc, 1) for g, loc in zip(self.global_id, self.local_range))
        self.groups = tuple(g // max(loc, 1) for g, loc in zip(self.global_range, self.local_range))


def _current(name: str) -> _WorkItemState:
    st = getattr(_state, "item", None)
    if st is None:
        raise RuntimeError(
            f"hetero.{name}() describes the work-item running a kernel and can only be called inside a "
            "function decorated with @hetero.kernel (or a @hetero.device_function it calls), "
            "not from host code."
        )
    return st


def _pick(values: tuple, dim: int, default: int) -> int:
    dim = int(dim)
    return values[dim] if 0 <= dim < len(values) else default


class Item:
    """The work-item of a :class:`Range` launch, passed first to an item-style kernel.

    Inside a kernel it can index arrays directly (``c[i] = a[i] + b[i]``): an
    integer in 1-D, a tuple of the ids in N-D.

    Methods
    -------
    get_id(d)         the id in dimension ``d``
    get_range(d)      the extent of the launch range in dimension ``d``
    get_linear_id()   the row-major linear id
    """

    __slots__ = ("_st",)

    def __init__(self, state: _WorkItemState):
        self._st = state

    @property
    def ndim(self) -> int:
        return len(self._st.global_range)

    def get_id(self, d: int) -> int:
        return _pick(self._st.global_id, d, 0)

    def get_range(self, d: int) -> int:
        return _pick(self._st.global_range, d, 1)

    def get_linear_id(self) -> int:
        return _linear(self._st.global_id, self._st.global_range)

    def __index__(self):
        if self.ndim != 1:
            raise TypeError("a multi-dimensional Item indexes as a tuple")
        return self._st.global_id[0]


class _GroupQueries:
    """What an :class:`NdItem` and its :class:`Group` both answer about the work-group."""

    __slots__ = ()

    def get_group_id(self, d):
        return _pick(self._st.group_id, d, 0)

    def get_group_range(self, d):
        return _pick(self._st.groups, d, 1)

    def get_local_range(self, d):
        return _pick(self._st.local_range, d, 1)


def _linear(ids, ranges) -> int:
    """Row-major linear index of ``ids`` in ``ranges``."""
    lin = 0
    for i, r in zip(ids, ranges):
        lin = lin * r + i
    return lin


class NdItem(Item, _GroupQueries):
    """The work-item of an :class:`NdRange` launch, passed first to an item-style kernel.

    Adds ``get_global_id(d)``, ``get_local_id(d)``, ``get_group_id(d)``,
    ``get_global_range(d)``, ``get_local_range(d)``, ``get_group_range(d)``,
    ``get_global_linear_id()`` and ``get_local_linear_id()``; like an
    :class:`Item` it can index arrays directly with its global id.
    """

    __slots__ = ()

    def get_global_id(self, d):
        return self.get_id(d)

    def get_global_range(self, d):
        return self.get_range(d)

    def get_global_linear_id(self):
        return self.get_linear_id()

    def get_local_id(self, d):
        return _pick(self._st.local_id, d, 0)

    def get_local_linear_id(self):
        return _linear(self._st.local_id, self._st.local_range)

    def get_group(self):
        """The :class:`Group` (work-group) this work-item belongs to."""
        return Group(self._st)


class Group(_GroupQueries):
    """The work-group of a work-item, from :meth:`NdItem.get_group`.

    Methods
    -------
    get_group_id(d)            the group's id in dimension ``d``
    get_group_range(d)         the number of groups in dimension ``d``
    get_local_range(d)         the extent of a group in dimension ``d``
    get_group_linear_id()      the row-major linear id of the group
    get_group_linear_range()   the number of groups
    get_local_linear_range()   the number of work-items in a group
    leader                     True for the work-item with local id 0

    A ``Group`` is what :func:`group_barrier` synchronises.
    """

    __slots__ = ("_st",)

    def __init__(self, state: _WorkItemState):
        self._st = state

    @property
    def ndim(self) -> int:
        return len(self._st.global_range)

    dimensions = ndim

    def get_group_linear_id(self):
        return _linear(self._st.group_id, self._st.groups)

    def get_group_linear_range(self):
        n = 1
        for r in self._st.groups:
            n *= r
        return n

    def get_local_linear_range(self):
        n = 1
        for r in self._st.local_range:
            n *= r
        return n

    @property
    def leader(self):
        return all(i == 0 for i in self._st.local_id)


# --- OpenCL-style in-kernel functions ---------------------------------------------------------


def get_global_id(dim):
    """The id of the running work-item in dimension ``dim`` of the global range.

    Between 0 and ``get_global_size(dim) - 1``; 0 for a dimension the launch
    range does not have. ``dim`` should be a constant (0, 1 or 2).

    Examples
    --------
    >>> @hetero.kernel
    ... def add(a, b, c):
    ...     i = hetero.get_global_id(0)
    ...     c[i] = a[i] + b[i]
    """
    return _pick(_current("get_global_id").global_id, dim, 0)


def get_global_size(dim):
    """The number of work-items in dimension ``dim`` of the global range (1 beyond its dimensions)."""
    return _pick(_current("get_global_size").global_range, dim, 1)


def get_local_id(dim):
    """The id of the running work-item inside its work-group, in dimension ``dim``."""
    return _pick(_current("get_local_id").local_id, dim, 0)


def get_local_size(dim):
    """The extent of a work-group in dimension ``dim`` (the local range of an NdRange launch)."""
    return _pick(_current("get_local_size").local_range, dim, 1)


def get_group_id(dim):
    """The id of the running work-item's work-group in dimension ``dim``."""
    return _pick(_current("get_group_id").group_id, dim, 0)


def get_num_groups(dim):
    """The number of work-groups in dimension ``dim``."""
    return _pick(_current("get_num_groups").groups, dim, 1)


def get_work_dim():
    """The number of dimensions (1, 2 or 3) of the launch range."""
    return len(_current("get_work_dim").global_range)


ID_FUNCTIONS = (get_global_id, get_global_size, get_local_id, get_local_size, get_group_id, get_num_groups)


# --- work-group features: barriers, local and private memory, atomics (issue 5) --------------


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
    return getattr(_current(name), "group", None)


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
        dims = (shape,) if not isinstance(shape, (tuple, list)) else tuple(shape)
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
    _current("private_array")
    return np.zeros(shape, _dtype(dtype)) if fill_zeros else np.empty(shape, _dtype(dtype))


_atomic_lock = threading.RLock()


def _rmw(array, index, fn):
    with _atomic_lock:
        old = array[index]
        array[index] = fn(old)
        return old


def atomic_add(array, index, value):
    """Atomically ``array[index] += value``; returns the old value.

    Works on global (argument) and local arrays of int32, int64, uint32,
    uint64, float32 and float64 (64-bit types where the device supports them).
    The ``atomic_*`` functions are relaxed atomics at device scope; order them
    with :func:`barrier` or :func:`atomic_fence`, or use :class:`AtomicRef`.
    """
    return _rmw(array, index, lambda old: old + value)


def atomic_sub(array, index, value):
    """Atomically ``array[index] -= value``; returns the old value."""
    return _rmw(array, index, lambda old: old - value)


def atomic_min(array, index, value):
    """Atomically ``array[index] = min(array[index], value)``; returns the old value."""
    return _rmw(array, index, lambda old: min(old, value))


def atomic_max(array, index, value):
    """Atomically ``array[index] = max(array[index], value)``; returns the old value."""
    return _rmw(array, index, lambda old: max(old, value))


def atomic_and(array, index, value):
    """Atomically ``array[index] &= value`` (integers); returns the old value."""
    return _rmw(array, index, lambda old: old & value)


def atomic_or(array, index, value):
    """Atomically ``array[index] |= value`` (integers); returns the old value."""
    return _rmw(array, index, lambda old: old | value)


def atomic_xor(array, index, value):
    """Atomically ``array[index] ^= value`` (integers); returns the old value."""
    return _rmw(array, index, lambda old: old ^ value)


def atomic_exchange(array, index, value):
    """Atomically store ``value`` in ``array[index]``; returns the old value."""
    return _rmw(array, index, lambda old: value)


def atomic_compare_exchange(array, index, expected, desired):
    """Atomically: if ``array[index] == expected`` store ``desired``. Returns the old value
    (the exchange happened when it equals ``expected``)."""
    return _rmw(array, index, lambda old: desired if old == expected else old)


ATOMIC_FUNCTIONS = (
    atomic_add,
    atomic_sub,
    atomic_min,
    atomic_max,
    atomic_and,
    atomic_or,
    atomic_xor,
    atomic_exchange,
)
# in-kernel functions that write their first (array) argument
WRITES_FIRST_ARGUMENT = frozenset(f.__name__ for f in ATOMIC_FUNCTIONS) | {"atomic_compare_exchange", "AtomicRef"}


def atomic_fence(memory_order=MemoryOrder.SEQ_CST, memory_scope=MemoryScope.DEVICE):
    """A memory fence: orders this work-item's memory accesses before and after it."""
    _current("atomic_fence")


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
            return self._ref[self._index]

    def store(self, val):
        with _atomic_lock:
            self._ref[self._index] = val

    def compare_exchange(self, expected, desired, expected_idx=0):
        with _atomic_lock:
            cur = self._ref[self._index]
            if cur == expected[expected_idx]:
                self._ref[self._index] = desired
                return True
            expected[expected_idx] = cur
            return False


def _ref_rmw(name, fn):
    def method(self, val):
        return fn(self._ref, self._index, val)

    method.__name__, method.__qualname__ = name, f"AtomicRef.{name}"
    method.__doc__ = f"``{fn.__name__}`` on the referenced element; returns the old value."
    return method


#: AtomicRef's read-modify-write methods and the atomic each one is (the compiler types and
#: lowers the same list).
ATOMIC_REF_RMW = {
    "fetch_add": atomic_add,
    "fetch_sub": atomic_sub,
    "fetch_min": atomic_min,
    "fetch_max": atomic_max,
    "fetch_and": atomic_and,
    "fetch_or": atomic_or,
    "fetch_xor": atomic_xor,
    "exchange": atomic_exchange,
}
for _name, _fn in ATOMIC_REF_RMW.items():
    setattr(AtomicRef, _name, _ref_rmw(_name, _fn))
del _name, _fn
# --- decorators (the compiler is imported lazily: `import hetero` stays light) ---------------


def kernel(func=None, /, **options):
    """Compile a Python function into a data-parallel kernel.

    Two styles, both first class:

    * OpenCL style: the kernel's parameters are its launch arguments and it asks
      for its position with :func:`get_global_id` and friends.
    * Item style: the kernel has one parameter more than its launch arguments
      and receives the work-item first — an :class:`Item` for a :class:`Range`
      launch, an :class:`NdItem` for an :class:`NdRange` launch — which can index
      arrays directly.

    Parameters
    ----------
    func : function
        The kernel. It must return nothing.
    fastmath : bool, optional
        Allow LLVM's fast-math rewrites (default False).

    Returns
    -------
    Kernel
        Launch with ``k[n](*args)``, ``k[(n, m)](...)``, ``k[global, local](...)``,
        ``k[Range(...)]``, ``k[NdRange(g, l)]``, or ``k.submit(range, *args)``.

    Examples
    --------
    >>> @hetero.kernel
    ... def add(i, a, b, c):
    ...     c[i] = a[i] + b[i]
    >>> add[a.shape[0]](a, b, c)
    """
    from .compiler.kernel import Kernel, check_options

    check_options(options, "kernel")
    if func is None:
        return lambda f: Kernel(f, **options)
    return Kernel(func, **options)


def device_function(func=None, /, **options):
    """Make a Python function callable from kernels (and from other device functions).

    The function is compiled into each kernel that calls it (so it may use
    :func:`get_global_id` and friends); recursion is not supported. Called from
    host code it runs as plain Python.
    """
    from .compiler.kernel import DeviceFunction, check_options

    check_options(options, "device_function")
    if func is None:
        return lambda f: DeviceFunction(f, **options)
    return DeviceFunction(func, **options)


def __getattr__(name):
    # Event / synchronize live with the launcher, which needs the compiler.
    if name in ("Event", "synchronize"):
        from .compiler import launch

        return getattr(launch, name)
    raise AttributeError(f"module 'hetero.kernel_api' has no attribute {name!r}")

