"""numba typing templates of the kernel language for the SPIR-V target.

Every in-kernel function, method and attribute typed here is a row of
:mod:`hetero.lang.table`: templates are made per row *kind*, so the table is the
one list of what a kernel may call. Their lowering is in ``lowering.py``.
Work-items index arrays directly, so ``ary[item]`` and ``ary[item] = v`` are
typed here as indexing with the item's global ids.
"""

from __future__ import annotations

import contextlib
import operator
import threading

from numba.core import types
from numba.core.errors import TypingError
from numba.core.typing.templates import (
    AbstractTemplate,
    AttributeTemplate,
    Registry,
    bound_function,
    signature,
)

from .... import lang as api
from ....lang import table
from ...rules import atomic_target as _atomic_target, constant_shape, element_dtype as _element_dtype
from .models import WorkItemType

registry = Registry()

# --- debugging calls: print() and breakpoint() --------------------------------------------------
# A kernel with them compiles for no device; the interpreter back end runs them (its documented
# debugging feature), and checks the rest of the kernel against this target with them typed as
# calls that do nothing (``debug_calls_allowed``).

_debug = threading.local()


@contextlib.contextmanager
def debug_calls_allowed():
    """While active (one thread): ``print`` and ``breakpoint`` type as calls that do nothing."""
    old = getattr(_debug, "on", False)
    _debug.on = True
    try:
        yield
    finally:
        _debug.on = old


def debug_calls_on() -> bool:
    return getattr(_debug, "on", False)


@registry.register_global(breakpoint)
class BreakpointTemplate(AbstractTemplate):
    key = breakpoint

    def generic(self, args, kws):
        return signature(types.none) if debug_calls_on() and not args and not kws else None


def _dim_type(arg):
    """The type a dimension argument is lowered with: its literal if constant."""
    if isinstance(arg, types.IntegerLiteral):
        return arg
    if isinstance(arg, types.Integer):
        return types.intp
    return None


def _id_template(fn):
    class IdTemplate(AbstractTemplate):
        key = fn

        def generic(self, args, kws):
            if kws or len(args) != 1:
                return None
            dim = _dim_type(args[0])
            if dim is None:
                return None
            return signature(types.intp, dim)

    IdTemplate.__name__ = f"{fn.__name__}_template"
    return IdTemplate


for _row in table.entries("hetero", "query"):
    _fn = api.obj(_row)
    registry.register_global(_fn, types.Function(_id_template(_fn)))


@registry.register_global(api.get_work_dim)
class WorkDimTemplate(AbstractTemplate):
    key = api.get_work_dim

    def generic(self, args, kws):
        if not args and not kws:
            return signature(types.intp)
        return None


# --- work-items --------------------------------------------------------------------------------

#: The table's work-item methods: (name, NdItem only) per kind.
ITEM_DIM_METHODS = tuple((r.name, r.owner == "NdItem") for r in table.entries("Item", "query") + table.entries("NdItem", "query"))
ITEM_LINEAR_METHODS = tuple((r.name, r.owner == "NdItem") for r in table.entries("Item", "linear") + table.entries("NdItem", "linear"))


def _make_dim_method(name, nd_only):
    @bound_function(f"WorkItem.{name}")
    def resolve(self, ty, args, kws):
        if kws or len(args) != 1:
            return None
        dim = _dim_type(args[0])
        if dim is None:
            return None
        if nd_only and not ty.nd:
            return None
        return signature(types.intp, dim)

    return resolve


def _make_linear_method(name, nd_only):
    @bound_function(f"WorkItem.{name}")
    def resolve(self, ty, args, kws):
        if args or kws:
            return None
        if nd_only and not ty.nd:
            return None
        return signature(types.intp)

    return resolve


@registry.register_attr
class WorkItemAttributes(AttributeTemplate):
    key = WorkItemType

    def resolve_ndim(self, ty):
        return types.IntegerLiteral(ty.ndim)

    def resolve_dimensions(self, ty):
        return types.IntegerLiteral(ty.ndim)


for _name, _nd in ITEM_DIM_METHODS:
    setattr(WorkItemAttributes, f"resolve_{_name}", _make_dim_method(_name, _nd))
for _name, _nd in ITEM_LINEAR_METHODS:
    setattr(WorkItemAttributes, f"resolve_{_name}", _make_linear_method(_name, _nd))


def item_index_type(item: WorkItemType):
    """What an item stands for as an index: an intp in 1-D, a tuple of intp in N-D."""
    return types.intp if item.ndim == 1 else types.UniTuple(types.intp, item.ndim)


def index_type(idx):
    """``idx`` with work-items replaced by what they stand for, or None when it holds none.

    A 1-D item may also appear inside an index tuple (``m[i, j]``).
    """
    if isinstance(idx, WorkItemType):
        return item_index_type(idx)
    if isinstance(idx, types.BaseTuple) and any(isinstance(t, WorkItemType) for t in idx.types):
        if any(isinstance(t, WorkItemType) and t.ndim != 1 for t in idx.types):
            return None
        return types.BaseTuple.from_types([types.intp if isinstance(t, WorkItemType) else t for t in idx.types])
    return None


@registry.register_global(operator.getitem)
class WorkItemGetItem(AbstractTemplate):
    """``item[d]``: the global id in dimension ``d`` (an item is the tuple of its ids)."""

    def generic(self, args, kws):
        if len(args) != 2 or not isinstance(args[0], WorkItemType) or not isinstance(args[1], types.Integer):
            return None
        item, d = args
        if isinstance(d, types.IntegerLiteral) and not -item.ndim <= d.literal_value < item.ndim:
            raise TypingError(f"{item}[{d.literal_value}]: a {item.ndim}-D work-item has ids 0 to {item.ndim - 1}")
        return signature(types.intp, item, d)


# The signatures below name the index as what the item stands for, so numba's
# own indexing is used and the lowering only casts the item (lowering.py).
@registry.register_global(operator.getitem)
class ItemGetItem(AbstractTemplate):
    def generic(self, args, kws):
        if len(args) != 2 or not isinstance(args[0], types.Buffer):
            return None
        ary, idx = args
        inner_idx = index_type(idx)
        if inner_idx is None:
            return None
        inner = self.context.resolve_function_type(operator.getitem, (ary, inner_idx), {})
        if inner is None:
            return None
        return signature(inner.return_type, ary, inner_idx)


@registry.register_global(operator.setitem)
class ItemSetItem(AbstractTemplate):
    def generic(self, args, kws):
        if len(args) != 3 or not isinstance(args[0], types.Buffer):
            return None
        ary, idx, val = args
        inner_idx = index_type(idx)
        if inner_idx is None:
            return None
        inner = self.context.resolve_function_type(operator.setitem, (ary, inner_idx, val), {})
        if inner is None:
            return None
        return signature(types.none, ary, inner_idx, inner.args[2])


# --- device functions ------------------------------------------------------------------------
# Device functions are inlined into their kernels before typing (numba's
# InlineInlinables pass); the global that named the callee stays behind in the
# IR and must still have a type. A call that could not be inlined (recursion)
# reaches this template and gets a clear error.


def _device_function_type(fn):
    from numba.core.errors import TypingError

    class DeviceFunctionTemplate(AbstractTemplate):
        key = fn

        def generic(self, args, kws):
            raise TypingError(
                f"device function {fn.__name__!r} could not be compiled into the kernel: it calls itself "
                "(directly or through other device functions), and kernels do not support recursion"
            )

    return types.Function(DeviceFunctionTemplate)


def _register_device_function_typeof():
    from numba.core.typing.typeof import typeof_impl

    from ....lang import DeviceFunction

    @typeof_impl.register(DeviceFunction)
    def _typeof_device_function(val, c):
        ty = getattr(val, "_numba_type", None)
        if ty is None:
            ty = val._numba_type = _device_function_type(val)
        return ty


_register_device_function_typeof()


# --- work-groups (issue 5) ---------------------------------------------------------------------

from numba.core.typing.templates import CallableTemplate  # noqa: E402

from .models import AddrSpaceArray, AtomicRefType, GroupType  # noqa: E402

PRIVATE, LOCAL = 0, 3


@bound_function("WorkItem.get_group")
def _resolve_get_group(self, ty, args, kws):
    if args or kws or not ty.nd:
        return None
    return signature(GroupType(ty.ndim))


WorkItemAttributes.resolve_get_group = _resolve_get_group

GROUP_DIM_METHODS = tuple(r.name for r in table.entries("Group", "query"))
GROUP_LINEAR_METHODS = tuple(r.name for r in table.entries("Group", "linear"))


def _make_group_dim_method(name):
    @bound_function(f"Group.{name}")
    def resolve(self, ty, args, kws):
        if kws or len(args) != 1:
            return None
        dim = _dim_type(args[0])
        return None if dim is None else signature(types.intp, dim)

    return resolve


def _make_group_linear_method(name):
    @bound_function(f"Group.{name}")
    def resolve(self, ty, args, kws):
        return None if args or kws else signature(types.intp)

    return resolve


@registry.register_attr
class GroupAttributes(AttributeTemplate):
    key = GroupType

    def resolve_ndim(self, ty):
        return types.IntegerLiteral(ty.ndim)

    def resolve_dimensions(self, ty):
        return types.IntegerLiteral(ty.ndim)

    def resolve_leader(self, ty):
        return types.boolean


for _name in GROUP_DIM_METHODS:
    setattr(GroupAttributes, f"resolve_{_name}", _make_group_dim_method(_name))
for _name in GROUP_LINEAR_METHODS:
    setattr(GroupAttributes, f"resolve_{_name}", _make_group_linear_method(_name))


def _is_scope(ty) -> bool:
    return isinstance(ty, (types.Integer, types.IntEnumMember, types.Omitted, types.NoneType))


@registry.register_global(api.barrier)
class BarrierTemplate(CallableTemplate):
    key = api.barrier

    def generic(self):
        def typer(fence_scope=None):
            if fence_scope is not None and not _is_scope(fence_scope):
                raise TypingError(f"barrier(fence_scope): a MemoryScope, got {fence_scope}")
            return types.none

        return typer


@registry.register_global(api.group_barrier)
class GroupBarrierTemplate(CallableTemplate):
    key = api.group_barrier

    def generic(self):
        def typer(group, fence_scope=None):
            if not isinstance(group, GroupType):
                raise TypingError(f"group_barrier(group): the Group from item.get_group(), got {group}")
            if fence_scope is not None and not _is_scope(fence_scope):
                raise TypingError(f"group_barrier(group, fence_scope): a MemoryScope, got {fence_scope}")
            return types.none

        return typer


@registry.register_global(api.atomic_fence)
class AtomicFenceTemplate(CallableTemplate):
    key = api.atomic_fence

    def generic(self):
        def typer(memory_order=None, memory_scope=None):
            return types.none

        return typer


@registry.register_global(api.local_array)
class LocalArrayTemplate(CallableTemplate):
    key = api.local_array
    prefer_literal = True

    def generic(self):
        def typer(shape, dtype):
            dims = constant_shape(shape, "local_array")
            return AddrSpaceArray(_element_dtype(dtype, "local_array"), len(dims), "C", LOCAL)

        return typer


@registry.register_global(api.private_array)
class PrivateArrayTemplate(CallableTemplate):
    key = api.private_array
    prefer_literal = True

    def generic(self):
        def typer(shape, dtype, fill_zeros=None):
            dims = constant_shape(shape, "private_array")
            return AddrSpaceArray(_element_dtype(dtype, "private_array"), len(dims), "C", PRIVATE)

        return typer


# --- atomics -----------------------------------------------------------------------------------

def atomic_target(name, ary, idx):
    """Check ``ary[idx]`` as the target of an atomic; returns the index type as lowered."""
    inner = index_type(idx)
    return _atomic_target(name, ary, inner if inner is not None else idx, item_ok=True)


def atomic_value(name, dtype, value) -> None:
    """Refuse a float (or complex) value for an atomic on an integer element: it would be truncated
    silently (numba-dpex refuses it too); an int value for a float element converts exactly enough."""
    if isinstance(dtype, types.Integer) and isinstance(value, (types.Float, types.Complex)):
        raise TypingError(
            f"{name}: a {value} value for an atomic on a {dtype} element would be truncated; convert it "
            f"explicitly (e.g. int(v)) if that is what you mean, or use a float array"
        )


def _atomic_template(fn):
    class AtomicTemplate(AbstractTemplate):
        key = fn

        def generic(self, args, kws):
            if kws or len(args) != 3:
                return None
            ary, idx, val = args
            atomic_target(fn.__name__, ary, idx)
            atomic_value(fn.__name__, ary.dtype, val)
            return signature(ary.dtype, ary, idx, ary.dtype)

    AtomicTemplate.__name__ = f"{fn.__name__}_template"
    return AtomicTemplate


for _row in table.entries("hetero", "atomic"):
    _fn = api.obj(_row)
    registry.register_global(_fn, types.Function(_atomic_template(_fn)))


@registry.register_global(api.atomic_compare_exchange)
class AtomicCompareExchangeTemplate(AbstractTemplate):
    key = api.atomic_compare_exchange

    def generic(self, args, kws):
        if kws or len(args) != 4:
            return None
        ary, idx, expected, desired = args
        atomic_target("atomic_compare_exchange", ary, idx)
        atomic_value("atomic_compare_exchange", ary.dtype, expected)
        atomic_value("atomic_compare_exchange", ary.dtype, desired)
        return signature(ary.dtype, ary, idx, ary.dtype, ary.dtype)


_ORDERS = {0: "monotonic", 1: "acquire", 2: "acquire", 3: "release", 4: "acq_rel", 5: "seq_cst"}
# MemoryScope (work_item, sub_group, work_group, device, system) -> SPIR-V Scope
_SPIRV_SCOPES = {0: 4, 1: 3, 2: 2, 3: 1, 4: 0}


def _literal_int(ty):
    if isinstance(ty, types.IntegerLiteral):
        return ty.literal_value
    if isinstance(ty, types.Literal) and isinstance(getattr(ty, "literal_value", None), int):
        return int(ty.literal_value)
    return None


def _atomic_ref_params(ref, index=0, memory_order=None, memory_scope=None, address_space=None):
    """The parameters of ``AtomicRef(...)``, to fold keyword arguments (any of them may be omitted)."""


@registry.register_global(api.AtomicRef)
class AtomicRefTemplate(AbstractTemplate):
    key = api.AtomicRef
    prefer_literal = True

    def generic(self, args, kws):
        from numba.core import utils

        pysig = utils.pysignature(_atomic_ref_params)
        try:
            bound = pysig.bind(*args, **kws)
        except TypeError as exc:
            raise TypingError(f"AtomicRef(ref, index=0, memory_order=..., memory_scope=..., address_space=...): {exc}")
        folded = [
            bound.arguments[name] if name in bound.arguments else types.Omitted(p.default)
            for name, p in pysig.parameters.items()
        ]
        ref, index, memory_order, memory_scope = folded[:4]
        idx = types.intp if isinstance(index, types.Omitted) else index
        atomic_target("AtomicRef", ref, idx)
        if isinstance(memory_order, types.Omitted):
            order = "monotonic"
        else:
            v = _literal_int(memory_order)
            order = _ORDERS.get(v, "seq_cst")  # not a constant: the strongest order is always right
        if isinstance(memory_scope, (types.Omitted, types.NoneType)):
            scope = _SPIRV_SCOPES[3]  # SYCL's default: the device
        else:
            # not a constant (or not a MemoryScope): the widest scope, which is always right
            scope = _SPIRV_SCOPES.get(_literal_int(memory_scope), 0)
        ret = AtomicRefType(ref.dtype, getattr(ref, "addrspace", 1), order, scope)
        return signature(ret, *folded).replace(pysig=pysig)


_REF_RMW = tuple(r.name for r in table.entries("AtomicRef", "atomic"))


@registry.register_attr
class AtomicRefAttributes(AttributeTemplate):
    key = AtomicRefType

    def resolve_ref(self, ty):
        return ty.dtype


def _make_ref_method(name):
    @bound_function(f"AtomicRef.{name}")
    def resolve(self, ty, args, kws):
        if kws and name == "compare_exchange":
            return _ref_cas_with_keywords(ty, args, kws)
        if kws:
            return None
        row = table.find(name, "AtomicRef")
        if row.kind == "atomic" and table.ATOMIC_OPS[row.op][0] and not isinstance(ty.dtype, types.Integer):
            raise TypingError(f"AtomicRef.{name} works on integer arrays, not {ty.dtype}")
        if name == "load":
            return signature(ty.dtype) if not args else None
        for value in args[1:2] if name == "compare_exchange" else args[:1]:  # desired / the value
            atomic_value(f"AtomicRef.{name}", ty.dtype, value)
        if name == "compare_exchange":
            if len(args) not in (2, 3) or not isinstance(args[0], types.Array):
                raise TypingError("AtomicRef.compare_exchange(expected, desired, expected_idx=0): expected is an array")
            return signature(types.boolean, args[0], ty.dtype, *((types.intp,) if len(args) == 3 else ()))
        if len(args) != 1:
            return None
        return signature(types.none if name == "store" else ty.dtype, ty.dtype)

    return resolve


def _cas_stub_expected(expected, desired, expected_idx=0):  # the keyword names, as SYCL / hetero spell them
    pass


def _cas_stub_expected_ref(expected_ref, desired, expected_idx=0):  # as numba-dpex spells them
    pass


def _ref_cas_with_keywords(ty, args, kws):
    """``ref.compare_exchange(expected_ref=b, desired=v, expected_idx=2)``: keywords folded by a
    Python signature (numba lowers the call with the arguments in its order)."""
    from numba.core import utils

    stub = _cas_stub_expected_ref if "expected_ref" in kws else _cas_stub_expected
    pysig = utils.pysignature(stub)
    try:
        bound = pysig.bind(*args, **kws)
    except TypeError as exc:
        raise TypingError(f"AtomicRef.compare_exchange: {exc}") from None
    given = bound.arguments
    first = "expected_ref" if "expected_ref" in kws else "expected"
    if not isinstance(given.get(first), types.Array) or "desired" not in given:
        raise TypingError("AtomicRef.compare_exchange(expected, desired, expected_idx=0): expected is an array")
    atomic_value("AtomicRef.compare_exchange", ty.dtype, given["desired"])
    idx = given.get("expected_idx", types.intp)
    return signature(types.boolean, given[first], ty.dtype, idx).replace(pysig=pysig)


for _name in _REF_RMW + ("load", "store", "compare_exchange"):
    setattr(AtomicRefAttributes, f"resolve_{_name}", _make_ref_method(_name))
