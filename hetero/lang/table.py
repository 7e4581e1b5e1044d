"""The one table of what a kernel may call: every in-kernel function, method and attribute.

Everything that needs to know the kernel language reads it from here: the
Python objects of :mod:`hetero.lang` (their docstrings and pure-Python
meaning, used by the interpreter back end), the SPIR-V target's typing and
lowering, the host back end's rewrite, the written-arrays analysis, the host
back end's routing of work-group kernels, and the README's list
(:func:`markdown`). Adding a function means adding a row here and its
meaning in :mod:`hetero.lang`; each target then says how it lowers the
row's *kind*.

Nothing here imports anything: the table is plain data.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["InKernel", "TABLE", "QUERIES", "ATOMIC_DTYPES", "ATOMIC_OPS", "entries", "find", "markdown"]

#: Element types in-kernel atomics work on (64-bit ones where the device has atomic64 / fp64).
ATOMIC_DTYPES = ("int32", "int64", "uint32", "uint64", "float32", "float64")

#: Read-modify-write atomics: op -> (integers only, what it does, in words).
ATOMIC_OPS = {
    "add": (False, "array[index] += value"),
    "sub": (False, "array[index] -= value"),
    "min": (False, "array[index] = min(array[index], value)"),
    "max": (False, "array[index] = max(array[index], value)"),
    "and": (True, "array[index] &= value"),
    "or": (True, "array[index] |= value"),
    "xor": (True, "array[index] ^= value"),
    "exchange": (False, "array[index] = value"),
}

#: Index-space queries: name -> (field of the work-item state, value beyond the launch's dimensions,
#: what it is). Linear queries are ``<space>_linear_id``: the row-major id in that space.
QUERIES = {
    "global_id": ("global_id", 0, "the work-item's id in the global range"),
    "global_range": ("global_range", 1, "the extent of the global range"),
    "local_id": ("local_id", 0, "the work-item's id inside its work-group"),
    "local_range": ("local_range", 1, "the extent of a work-group"),
    "group_id": ("group_id", 0, "the work-group's id"),
    "num_groups": ("groups", 1, "the number of work-groups"),
}
#: Linear queries: name -> (id query, range query).
LINEAR_QUERIES = {
    "global_linear_id": ("global_id", "global_range"),
    "local_linear_id": ("local_id", "local_range"),
    "group_linear_id": ("group_id", "num_groups"),
    "global_linear_range": (None, "global_range"),
    "local_linear_range": (None, "local_range"),
    "group_linear_range": (None, "num_groups"),
}


@dataclass(frozen=True)
class InKernel:
    """One row: something a kernel may call or read.

    Attributes
    ----------
    name : str
        As the user writes it (``get_global_id``, or a method name for ``owner`` != "hetero").
    owner : str
        ``"hetero"`` (a function or class of :mod:`hetero`), or the type whose method or
        attribute this is: ``"Item"``, ``"NdItem"``, ``"Group"``, ``"AtomicRef"``.
    kind : str
        What it is, which is what each target lowers: ``query`` (one dimension argument),
        ``linear`` (a linear id or size, no argument), ``work_dim``, ``ndim`` (attribute),
        ``get_group``, ``leader`` (attribute), ``barrier``, ``fence``, ``local_array``,
        ``local_accessor``, ``private_array``, ``atomic`` (read-modify-write), ``atomic_cas``,
        ``atomic_ref`` (constructor), ``atomic_load``, ``atomic_store``, ``atomic_ref_cas``,
        ``atomic_ref_value`` (attribute).
    query : str or None
        For ``query`` / ``linear``: the key of :data:`QUERIES` / :data:`LINEAR_QUERIES`.
    op : str or None
        For ``atomic``: the key of :data:`ATOMIC_OPS`.
    params : tuple of str
        Its parameters, for the documentation.
    writes : int or None
        The argument (0-based, not counting ``self``) that it writes, for the analysis that
        decides which NumPy arguments are copied back.
    needs_workgroup : bool
        Its meaning depends on work-groups (barriers, local memory, groups).
    on_host : bool
        The host back end runs it (else a kernel using it runs on the SYCL CPU device, or the
        host back end refuses it).
    doc : str
        One line for the documentation of methods and attributes (functions carry docstrings).
    """

    name: str
    owner: str = "hetero"
    kind: str = "query"
    query: str | None = None
    op: str | None = None
    params: tuple = ()
    writes: int | None = None
    needs_workgroup: bool = False
    on_host: bool = True
    doc: str = ""

    @property
    def is_attribute(self) -> bool:
        return self.kind in ("ndim", "leader", "atomic_ref_value")


def _rows() -> tuple:
    rows = []
    add = rows.append
    # OpenCL-style functions: the running work-item's position
    for fn, q in (("get_global_id", "global_id"), ("get_global_size", "global_range"),
                  ("get_local_id", "local_id"), ("get_local_size", "local_range"),
                  ("get_group_id", "group_id"), ("get_num_groups", "num_groups")):
        add(InKernel(fn, kind="query", query=q, params=("dim",), doc=QUERIES[q][2]))
    add(InKernel("get_work_dim", kind="work_dim", doc="the number of dimensions of the launch range"))
    # work-items: Item (Range launches) and NdItem (NdRange launches; has Item's methods too)
    for owner, methods in (
        ("Item", (("get_id", "global_id"), ("get_range", "global_range"))),
        ("NdItem", (("get_global_id", "global_id"), ("get_global_range", "global_range"),
                    ("get_local_id", "local_id"), ("get_local_range", "local_range"),
                    ("get_group_id", "group_id"), ("get_group_range", "num_groups"))),
    ):
        for m, q in methods:
            add(InKernel(m, owner=owner, kind="query", query=q, params=("dim",), doc=QUERIES[q][2]))
    add(InKernel("get_linear_id", owner="Item", kind="linear", query="global_linear_id",
                 doc="the row-major linear id in the global range"))
    add(InKernel("get_global_linear_id", owner="NdItem", kind="linear", query="global_linear_id",
                 doc="the row-major linear id in the global range"))
    add(InKernel("get_local_linear_id", owner="NdItem", kind="linear", query="local_linear_id",
                 doc="the row-major linear id inside the work-group"))
    add(InKernel("get_linear_range", owner="Item", kind="linear", query="global_linear_range",
                 doc="the number of work-items of the launch"))
    add(InKernel("get_global_linear_range", owner="NdItem", kind="linear", query="global_linear_range",
                 doc="the number of work-items of the launch"))
    add(InKernel("get_local_linear_range", owner="NdItem", kind="linear", query="local_linear_range",
                 doc="the number of work-items in a work-group"))
    add(InKernel("ndim", owner="Item", kind="ndim", doc="the number of dimensions of the launch range"))
    add(InKernel("dimensions", owner="Item", kind="ndim", doc="the same as ndim (SYCL's name)"))
    add(InKernel("get_group", owner="NdItem", kind="get_group", needs_workgroup=True, on_host=False,
                 doc="the Group (work-group) of the work-item"))
    # work-groups
    for m, q in (("get_group_id", "group_id"), ("get_group_range", "num_groups"), ("get_local_range", "local_range")):
        add(InKernel(m, owner="Group", kind="query", query=q, params=("dim",), needs_workgroup=True,
                     on_host=False, doc=QUERIES[q][2]))
    for m, q, doc in (
        ("get_group_linear_id", "group_linear_id", "the row-major linear id of the group"),
        ("get_group_linear_range", "group_linear_range", "the number of groups"),
        ("get_local_linear_range", "local_linear_range", "the number of work-items in a group"),
    ):
        add(InKernel(m, owner="Group", kind="linear", query=q, needs_workgroup=True, on_host=False, doc=doc))
    add(InKernel("ndim", owner="Group", kind="ndim", needs_workgroup=True, on_host=False,
                 doc="the number of dimensions of the launch range"))
    add(InKernel("dimensions", owner="Group", kind="ndim", needs_workgroup=True, on_host=False,
                 doc="the same as ndim (SYCL's name)"))
    add(InKernel("leader", owner="Group", kind="leader", needs_workgroup=True, on_host=False,
                 doc="True for the work-item with local id 0"))
    # synchronisation and memory
    add(InKernel("barrier", kind="barrier", params=("fence_scope",), needs_workgroup=True, on_host=False))
    add(InKernel("group_barrier", kind="barrier", params=("group", "fence_scope"), needs_workgroup=True,
                 on_host=False))
    add(InKernel("atomic_fence", kind="fence", params=("memory_order", "memory_scope"), needs_workgroup=True,
                 on_host=False))
    add(InKernel("local_array", kind="local_array", params=("shape", "dtype"), needs_workgroup=True,
                 on_host=False))
    add(InKernel("LocalAccessor", kind="local_accessor", params=("shape", "dtype"), needs_workgroup=True,
                 on_host=False))
    add(InKernel("private_array", kind="private_array", params=("shape", "dtype", "fill_zeros")))
    # atomics
    for op in ATOMIC_OPS:
        add(InKernel(f"atomic_{op}", kind="atomic", op=op, params=("array", "index", "value"), writes=0))
    add(InKernel("atomic_compare_exchange", kind="atomic_cas", params=("array", "index", "expected", "desired"),
                 writes=0))
    add(InKernel("AtomicRef", kind="atomic_ref",
                 params=("ref", "index", "memory_order", "memory_scope", "address_space"), writes=0,
                 on_host=False))
    for op in ATOMIC_OPS:
        m = op if op == "exchange" else f"fetch_{op}"
        add(InKernel(m, owner="AtomicRef", kind="atomic", op=op, params=("value",), on_host=False,
                     doc=f"atomically {ATOMIC_OPS[op][1].replace('array[index]', 'the element')}; "
                         "returns the old value"))
    add(InKernel("load", owner="AtomicRef", kind="atomic_load", on_host=False, doc="atomically read the element"))
    add(InKernel("store", owner="AtomicRef", kind="atomic_store", params=("value",), on_host=False,
                 doc="atomically write the element"))
    add(InKernel("compare_exchange", owner="AtomicRef", kind="atomic_ref_cas",
                 params=("expected", "desired", "expected_idx"), writes=0, on_host=False,
                 doc="store desired if the element equals expected[expected_idx]; else write the element "
                     "there; returns whether it stored"))
    add(InKernel("ref", owner="AtomicRef", kind="atomic_ref_value", on_host=False,
                 doc="the element's value (a plain read)"))
    return tuple(rows)


#: Every row, in documentation order.
TABLE: tuple = _rows()


def entries(owner: str | None = "hetero", kind: str | None = None) -> tuple:
    """The rows of ``owner`` (None: all owners), optionally of one ``kind``."""
    return tuple(e for e in TABLE if (owner is None or e.owner == owner) and (kind is None or e.kind == kind))


def find(name: str, owner: str = "hetero") -> InKernel | None:
    """The row for ``owner.name`` (NdItem also answers Item's methods), or None."""
    owners = (owner, "Item") if owner == "NdItem" else (owner,)
    for e in TABLE:
        if e.name == name and e.owner in owners:
            return e
    return None


def markdown() -> str:
    """The kernel language as a Markdown list (the README's list is this text)."""
    lines = []
    for owner, title in (("hetero", "functions of `hetero`"), ("Item", "`Item` (Range launches)"),
                         ("NdItem", "`NdItem` (NdRange launches; also Item's)"), ("Group", "`Group`"),
                         ("AtomicRef", "`AtomicRef`")):
        names = []
        for e in entries(owner):
            call = e.name if e.is_attribute else f"{e.name}({', '.join(e.params)})"
            names.append(f"`{call}`{'' if e.on_host else '*'}")
        lines.append(f"- {title}: " + ", ".join(names))
    lines.append("")
    lines.append("`*`: needs work-groups or device atomics; with host data such kernels run on the SYCL CPU device.")
    return "\n".join(lines)
