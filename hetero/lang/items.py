"""Work-items: where a kernel's running instance is, and the functions and objects that say so.

The OpenCL-style functions (``get_global_id(d)`` ...), the work-item objects an
item-style kernel receives (:class:`Item`, :class:`NdItem`) and the work-group
(:class:`Group`) are all made from :mod:`hetero.lang.table`'s rows. Their Python
meaning reads the thread-local :class:`WorkItemState` that the interpreter back
end sets for each work-item it runs; compiled back ends replace them by what
their target has (SPIR-V builtins, a context argument on the host). Called from
ordinary host code they raise a clear error.
"""

from __future__ import annotations

import threading

from ..errors import LaunchError
from . import table as _table

__all__ = [
    "Item", "NdItem", "Group", "WorkItemState",
    "get_global_id", "get_global_size", "get_local_id", "get_local_size", "get_group_id",
    "get_num_groups", "get_work_dim",
]

_state = threading.local()


class WorkItemState:
    """Where one work-item is: its ids and the extents of the launch, and its work-group.

    ``group`` is the interpreter's work-group object (barriers, local memory) for an
    NdRange launch, None otherwise.
    """

    __slots__ = ("global_id", "global_range", "local_id", "local_range", "group_id", "groups", "group")

    def __init__(self, global_id, global_range, local_range=None, group=None):
        self.global_id = tuple(global_id)
        self.global_range = tuple(global_range)
        self.local_range = tuple(local_range) if local_range is not None else tuple(global_range)
        self.local_id = tuple(g % max(loc, 1) for g, loc in zip(self.global_id, self.local_range))
        self.group_id = tuple(g // max(loc, 1) for g, loc in zip(self.global_id, self.local_range))
        self.groups = tuple(g // max(loc, 1) for g, loc in zip(self.global_range, self.local_range))
        self.group = group


def set_current(state: WorkItemState | None) -> WorkItemState | None:
    """Make ``state`` the running work-item of this thread; returns the previous one."""
    prev = getattr(_state, "item", None)
    _state.item = state
    return prev


def current(name: str) -> WorkItemState:
    """The running work-item of this thread; a clear error outside a kernel."""
    st = getattr(_state, "item", None)
    if st is None:
        raise RuntimeError(
            f"hetero.{name}() describes the work-item running a kernel and can only be called inside a "
            "function decorated with @hetero.kernel (or a @hetero.device_function it calls), "
            "not from host code."
        )
    return st


def _pick(values: tuple, dim, default: int) -> int:
    dim = int(dim)
    return values[dim] if 0 <= dim < len(values) else default


def linear(ids, ranges) -> int:
    """Row-major linear index of ``ids`` in ``ranges``."""
    lin = 0
    for i, r in zip(ids, ranges):
        lin = lin * r + i
    return lin


def _product(values) -> int:
    n = 1
    for v in values:
        n *= v
    return n


def query(st: WorkItemState, name: str, dim) -> int:
    """The Python meaning of the index-space query ``name`` (:data:`~hetero.lang.table.QUERIES`)."""
    field, default, _ = _table.QUERIES[name]
    return _pick(getattr(st, field), dim, default)


def linear_query(st: WorkItemState, name: str) -> int:
    """The Python meaning of a linear query (:data:`~hetero.lang.table.LINEAR_QUERIES`)."""
    ids, ranges = _table.LINEAR_QUERIES[name]
    extents = getattr(st, _table.QUERIES[ranges][0])
    if ids is None:
        return _product(extents)
    return linear(getattr(st, _table.QUERIES[ids][0]), extents)


def kernel_style(py_func, nargs: int, name: str | None = None) -> str:
    """``"item"`` when the kernel takes the work-item first (one parameter more than the launch's
    arguments), ``"opencl"`` when it takes exactly the arguments; else a :class:`LaunchError`."""
    nparams = py_func.__code__.co_argcount
    if nparams == nargs:
        return "opencl"
    if nparams == nargs + 1:
        return "item"
    raise LaunchError(
        f"kernel {name or py_func.__name__!r} takes {nparams} parameter(s) but was launched with {nargs} "
        f"argument(s); pass {nparams} (OpenCL style, ids from hetero.get_global_id) or {nparams - 1} "
        "(item style: the work-item comes first)"
    )


# --- OpenCL-style functions, one per row --------------------------------------------------------


def _query_function(row):
    def fn(dim):
        return query(current(row.name), row.query, dim)

    fn.__name__ = fn.__qualname__ = row.name
    fn.__module__ = "hetero"
    fn.__doc__ = (
        f"{row.doc[0].upper()}{row.doc[1:]} in dimension ``dim`` "
        f"({_table.QUERIES[row.query][1]} for a dimension the launch range does not have).\n\n"
        "``dim`` should be a constant (0, 1 or 2). Dimension ``d`` is dimension ``d`` of the launch\n"
        "range as written: in ``k[(n, m)]`` dimension 0 has ``n`` work-items.\n\n"
        "Examples\n--------\n>>> @hetero.kernel\n... def add(a, b, c):\n"
        f"...     i = hetero.{row.name}(0)\n...     c[i] = a[i] + b[i]\n"
    )
    return fn


_functions = {row.name: _query_function(row) for row in _table.entries("hetero", "query")}
get_global_id = _functions["get_global_id"]
get_global_size = _functions["get_global_size"]
get_local_id = _functions["get_local_id"]
get_local_size = _functions["get_local_size"]
get_group_id = _functions["get_group_id"]
get_num_groups = _functions["get_num_groups"]


def get_work_dim():
    """The number of dimensions (1, 2 or 3) of the launch range."""
    return len(current("get_work_dim").global_range)


get_work_dim.__module__ = "hetero"


# --- work-items and groups, their methods made from the table ---------------------------------


def _method(row):
    if row.kind == "query":
        def m(self, d):
            return query(self._st, row.query, d)
    elif row.kind == "linear":
        def m(self):
            return linear_query(self._st, row.query)
    else:
        return None
    m.__name__ = row.name
    m.__doc__ = f"{row.doc[0].upper()}{row.doc[1:]}" + (" in dimension ``d``." if row.kind == "query" else ".")
    return m


def _add_methods(cls, owner):
    for row in _table.entries(owner):
        m = _method(row)
        if m is not None:
            m.__qualname__ = f"{cls.__name__}.{row.name}"
            setattr(cls, row.name, m)
        elif row.kind == "ndim":
            setattr(cls, row.name, property(lambda self: len(self._st.global_range), doc=row.doc))
    return cls


class Item:
    """The work-item of a :class:`~hetero.Range` launch, passed first to an item-style kernel.

    Inside a kernel it indexes arrays directly (``c[i] = a[i] + b[i]``): an integer in
    1-D, a tuple of the ids in N-D (``x, y = i`` and ``i[0]`` work there too).

    Methods
    -------
    get_id(d)         the id in dimension ``d``
    get_range(d)      the extent of the launch range in dimension ``d``
    get_linear_id()   the row-major linear id
    """

    __slots__ = ("_st",)

    def __init__(self, state: WorkItemState):
        self._st = state

    def __index__(self):
        if len(self._st.global_range) != 1:
            raise TypeError("a multi-dimensional Item indexes as a tuple")
        return self._st.global_id[0]


class NdItem(Item):
    """The work-item of an :class:`~hetero.NdRange` launch, passed first to an item-style kernel.

    Has :class:`Item`'s methods and ``get_global_id(d)``, ``get_local_id(d)``,
    ``get_group_id(d)``, ``get_global_range(d)``, ``get_local_range(d)``,
    ``get_group_range(d)``, ``get_global_linear_id()``, ``get_local_linear_id()`` and
    ``get_group()``; like an :class:`Item` it indexes arrays directly with its global id.
    """

    __slots__ = ()

    def get_group(self):
        """The :class:`Group` (work-group) this work-item belongs to."""
        return Group(self._st)


class Group:
    """The work-group of a work-item, from :meth:`NdItem.get_group`; what :func:`group_barrier`
    synchronises.

    Methods
    -------
    get_group_id(d), get_group_range(d), get_local_range(d), get_group_linear_id(),
    get_group_linear_range(), get_local_linear_range(); ``leader`` is True for the work-item
    with local id 0.
    """

    __slots__ = ("_st",)

    def __init__(self, state: WorkItemState):
        self._st = state

    @property
    def leader(self):
        return all(i == 0 for i in self._st.local_id)


for _cls in (Item, NdItem, Group):
    _cls.__module__ = "hetero"
    _add_methods(_cls, _cls.__name__)
del _cls
