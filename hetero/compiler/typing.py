"""Typing of hetero's in-kernel names for the SYCL target.

The objects typed here are the ones in ``hetero.kernel_api``; their lowering
is in ``lowering.py``. Work-items index arrays directly, so ``ary[item]`` and
``ary[item] = v`` are typed here as indexing with the item's global ids.
"""

from __future__ import annotations

import operator

from numba.core import types
from numba.core.typing.templates import (
    AbstractTemplate,
    AttributeTemplate,
    Registry,
    bound_function,
    signature,
)

from .. import kernel_api as api
from .models import WorkItemType

registry = Registry()


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


for _fn in api.ID_FUNCTIONS:
    registry.register_global(_fn, types.Function(_id_template(_fn)))


@registry.register_global(api.get_work_dim)
class WorkDimTemplate(AbstractTemplate):
    key = api.get_work_dim

    def generic(self, args, kws):
        if not args and not kws:
            return signature(types.intp)
        return None


# --- work-items --------------------------------------------------------------------------------

ITEM_DIM_METHODS = ("get_id", "get_range")
NDITEM_DIM_METHODS = (
    "get_global_id",
    "get_local_id",
    "get_group_id",
    "get_global_range",
    "get_local_range",
    "get_group_range",
)
ITEM_LINEAR_METHODS = ("get_linear_id",)
NDITEM_LINEAR_METHODS = ("get_global_linear_id", "get_local_linear_id")


def _make_dim_method(name):
    @bound_function(f"WorkItem.{name}")
    def resolve(self, ty, args, kws):
        if kws or len(args) != 1:
            return None
        dim = _dim_type(args[0])
        if dim is None:
            return None
        if name in NDITEM_DIM_METHODS and not ty.nd:
            return None
        return signature(types.intp, dim)

    return resolve


def _make_linear_method(name):
    @bound_function(f"WorkItem.{name}")
    def resolve(self, ty, args, kws):
        if args or kws:
            return None
        if name in NDITEM_LINEAR_METHODS and not ty.nd:
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


for _name in ITEM_DIM_METHODS + NDITEM_DIM_METHODS:
    setattr(WorkItemAttributes, f"resolve_{_name}", _make_dim_method(_name))
for _name in ITEM_LINEAR_METHODS + NDITEM_LINEAR_METHODS:
    setattr(WorkItemAttributes, f"resolve_{_name}", _make_linear_method(_name))


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

    from .kernel import DeviceFunction

    @typeof_impl.register(DeviceFunction)
    def _typeof_device_function(val, c):
        ty = getattr(val, "_numba_type", None)
        if ty is None:
            ty = val._numba_type = _device_function_type(val)
        return ty


_register_device_function_typeof()


# --- work-groups (issue 5) ---------------------------------------------------------------------

from numba.core.errors import TypingError  # noqa: E402
from numba.core.typing.npydecl import parse_dtype  # noqa: E402
from numba.core.typing.templates import CallableTemplate  # noqa: E402

from .models import AddrSpaceArray, AtomicRefType, GroupType  # noqa: E402

PRIVATE, LOCAL = 0, 3


@bound_function("WorkItem.get_group")
def _resolve_get_group(self, ty, args, kws):
    if args or kws or not ty.nd:
        return None
    return signature(GroupType(ty.ndim))


WorkItemAttributes.resolve_get_group = _resolve_get_group

GROUP_DIM_METHODS = ("get_group_id", "get_group_range", "get_local_range")
GROUP_LINEAR_METHODS = ("get_group_linear_id", "get_group_linear_range", "get_local_linear_range")


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


def constant_shape(shape, what: str) -> tuple:
    """The literal shape of ``local_array`` / ``private_array`` (a TypingError when not constant)."""
    if isinstance(shape, types.IntegerLiteral):
        dims = (shape.literal_value,)
    elif isinstance(shape, types.BaseTuple) and shape.types and all(
        isinstance(t, types.IntegerLiteral) for t in shape.types
    ):
        dims = tuple(t.literal_value for t in shape.types)
    else:
        raise TypingError(
            f"{what}(shape, dtype): the shape must be a compile-time constant (an int literal, a tuple of "
            f"int literals, or a module-level int constant), got {shape}; for a size chosen at launch time "
            "pass a hetero.LocalAccessor argument (local memory) instead"
        )
    if not 1 <= len(dims) <= 3 or any(d < 1 for d in dims):
        raise TypingError(f"{what}(shape, dtype): shape must be 1 to 3 positive extents, got {dims}")
    return dims


def _element_dtype(dtype, what):
    try:
        dt = parse_dtype(dtype)
    except Exception:
        dt = None
    if dt is None and isinstance(dtype, types.StringLiteral):
        import numpy as np
        from numba.np import numpy_support

        dt = numpy_support.from_dtype(np.dtype(dtype.literal_value))
    if not isinstance(dt, (types.Integer, types.Float, types.Boolean, types.Complex)):
        raise TypingError(f"{what}(shape, dtype): dtype must be a NumPy number type such as np.float32, got {dtype}")
    return dt


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

ATOMIC_DTYPES = ("int32", "int64", "uint32", "uint64", "float32", "float64")
_INT_ONLY = ("and", "or", "xor")


def atomic_target(name, ary, idx):
    """Check ``ary[idx]`` as the target of an atomic; returns the index type as lowered."""
    if not isinstance(ary, types.Array):
        raise TypingError(f"{name}: the first argument must be an array, got {ary}")
    if str(ary.dtype) not in ATOMIC_DTYPES:
        raise TypingError(f"{name} works on arrays of {', '.join(ATOMIC_DTYPES)}, not {ary.dtype}")
    op = name.rsplit("_", 1)[-1]
    if op in _INT_ONLY and not isinstance(ary.dtype, types.Integer):
        raise TypingError(f"{name} works on integer arrays, not {ary.dtype}")
    if not ary.mutable:
        raise TypingError(f"{name} on a read-only array")
    inner = index_type(idx)
    if inner is not None:
        idx = inner
    if isinstance(idx, types.Integer):
        n = 1
    elif isinstance(idx, types.BaseTuple) and all(isinstance(t, types.Integer) for t in idx.types):
        n = len(idx.types)
    else:
        raise TypingError(f"{name}: the index must be an integer, a tuple of integers or a work-item, got {idx}")
    if n != ary.ndim:
        raise TypingError(f"{name}: a {ary.ndim}-D array needs {ary.ndim} indices, got {n}")
    return idx


def _atomic_template(fn):
    class AtomicTemplate(AbstractTemplate):
        key = fn

        def generic(self, args, kws):
            if kws or len(args) != 3:
                return None
            ary, idx, val = args
            atomic_target(fn.__name__, ary, idx)
            return signature(ary.dtype, ary, idx, ary.dtype)

    AtomicTemplate.__name__ = f"{fn.__name__}_template"
    return AtomicTemplate


for _fn in api.ATOMIC_FUNCTIONS:
    registry.register_global(_fn, types.Function(_atomic_template(_fn)))


@registry.register_global(api.atomic_compare_exchange)
class AtomicCompareExchangeTemplate(AbstractTemplate):
    key = api.atomic_compare_exchange

    def generic(self, args, kws):
        if kws or len(args) != 4:
            return None
        ary, idx, _, _ = args
        atomic_target("atomic_compare_exchange", ary, idx)
        return signature(ary.dtype, ary, idx, ary.dtype, ary.dtype)


_ORDERS = {0: "monotonic", 1: "acquire", 2: "acquire", 3: "release", 4: "acq_rel", 5: "seq_cst"}


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
        ref, index, memory_order = folded[:3]
        idx = types.intp if isinstance(index, types.Omitted) else index
        atomic_target("AtomicRef", ref, idx)
        if isinstance(memory_order, types.Omitted):
            order = "monotonic"
        else:
            v = _literal_int(memory_order)
            order = _ORDERS.get(v, "seq_cst")  # not a constant: the strongest order is always right
        ret = AtomicRefType(ref.dtype, getattr(ref, "addrspace", 1), order)
        return signature(ret, *folded).replace(pysig=pysig)


_REF_RMW = tuple(api.ATOMIC_REF_RMW)


@registry.register_attr
class AtomicRefAttributes(AttributeTemplate):
    key = AtomicRefType

    def resolve_ref(self, ty):
        return ty.dtype


def _make_ref_method(name):
    @bound_function(f"AtomicRef.{name}")
    def resolve(self, ty, args, kws):
        if kws:
            return None
        if name in ("fetch_and", "fetch_or", "fetch_xor") and not isinstance(ty.dtype, types.Integer):
            raise TypingError(f"AtomicRef.{name} works on integer arrays, not {ty.dtype}")
        if name == "load":
            return signature(ty.dtype) if not args else None
        if name == "compare_exchange":
            if len(args) not in (2, 3) or not isinstance(args[0], types.Array):
                raise TypingError("AtomicRef.compare_exchange(expected, desired, expected_idx=0): expected is an array")
            return signature(types.boolean, args[0], ty.dtype, *((types.intp,) if len(args) == 3 else ()))
        if len(args) != 1:
            return None
        return signature(types.none if name == "store" else ty.dtype, ty.dtype)

    return resolve


for _name in _REF_RMW + ("load", "store", "compare_exchange"):
    setattr(AtomicRefAttributes, f"resolve_{_name}", _make_ref_method(_name))
