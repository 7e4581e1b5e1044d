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
