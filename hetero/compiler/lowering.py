"""Lowering of hetero's in-kernel names to OpenCL builtins for the SYCL target.

Builtins are called by their OpenCL mangled names with the ``spir_func``
calling convention on the declaration and at each call site; LLVM's SPIR-V
back end turns them into SPIR-V built-in variables.

Two facts shape this file (see COMPILER_NOTES.md):

* SYCL range dimension ``d`` is OpenCL dimension ``ndim - 1 - d``.
* ids carry ``!range [0, 2**63)`` so that LLVM can drop numba's negative-index
  wrap-around on ``a[i]`` and vectorise.
"""

from __future__ import annotations

import contextlib
import threading

from llvmlite import ir as llir
from numba.core import cgutils, types
from numba.core.imputils import Registry

from .. import kernel_api as api
from .models import WorkItemType
from .typing import ITEM_DIM_METHODS, NDITEM_DIM_METHODS, item_index_type

registry = Registry("hetero.sycl.lowering")
lower = registry.lower

I32 = llir.IntType(32)
I64 = llir.IntType(64)

# OpenCL builtin -> (mangled name, value for a dimension the launch lacks)
BUILTINS = {
    "get_global_id": ("_Z13get_global_idj", 0),
    "get_global_size": ("_Z15get_global_sizej", 1),
    "get_local_id": ("_Z12get_local_idj", 0),
    "get_local_size": ("_Z14get_local_sizej", 1),
    "get_group_id": ("_Z12get_group_idj", 0),
    "get_num_groups": ("_Z14get_num_groupsj", 1),
}
WORK_DIM = "_Z12get_work_dimv"
BUILTIN_NAMES = frozenset([v[0] for v in BUILTINS.values()] + [WORK_DIM])


_id_bound = threading.local()


@contextlib.contextmanager
def id_bound(bits: int):
    """While lowering a kernel: ids and sizes are below ``2**bits`` (63, or 31 for launches
    of fewer than 2**31 work-items, which lets the device compiler use 32-bit index math)."""
    old = getattr(_id_bound, "bits", 63)
    _id_bound.bits = bits
    try:
        yield
    finally:
        _id_bound.bits = old


def call_spir_func(builder, name, restype, argtypes, args, *, nonnegative=False):
    """Call an OpenCL builtin declared ``spir_func``; ``nonnegative`` ids get ``!range``."""
    mod = builder.module
    fn = cgutils.get_or_insert_function(mod, llir.FunctionType(restype, argtypes), name)
    if fn.calling_convention != "spir_func":
        fn.calling_convention = "spir_func"
        # Pure: lets LLVM merge repeated id queries and hoist them out of loops.
        for attr in ("nounwind", "readnone"):
            fn.attributes.add(attr)
    call = builder.call(fn, args, cconv="spir_func")
    if nonnegative and isinstance(restype, llir.IntType):
        bits = min(getattr(_id_bound, "bits", 63), restype.width - 1)
        # [0, 2**bits); 2**63 wraps to INT64_MIN in LLVM's signed notation.
        hi = 2**bits if bits < restype.width - 1 else -(2 ** (restype.width - 1))
        md = mod.add_metadata([llir.Constant(restype, 0), llir.Constant(restype, hi)])
        call.set_metadata("range", md)
    return call


def builtin_for_dim(builder, builtin: str, dim, ndim: int):
    """The OpenCL builtin for SYCL dimension ``dim`` of an ``ndim``-D launch, as an i64.

    ``dim`` is a Python int (constant) or an LLVM i64 value; ``ndim`` is 0 when
    unknown at compile time (then read with get_work_dim).
    """
    name, default = BUILTINS[builtin]
    if isinstance(dim, int):
        if ndim and not 0 <= dim < ndim:
            return llir.Constant(I64, default)
        if ndim:
            return call_spir_func(builder, name, I64, [I32], [llir.Constant(I32, ndim - 1 - dim)], nonnegative=True)
        dim = llir.Constant(I64, dim)
    if ndim:
        wd = llir.Constant(I64, ndim)
    else:
        wd = builder.zext(call_spir_func(builder, WORK_DIM, I32, [], []), I64)
    cl_dim = builder.sub(builder.sub(wd, llir.Constant(I64, 1)), dim)
    # Out-of-range dims give a negative or too-large OpenCL dim: the builtin's default.
    return call_spir_func(builder, name, I64, [I32], [builder.trunc(cl_dim, I32)], nonnegative=True)


def _dim_arg(context, builder, ty, val):
    if isinstance(ty, types.IntegerLiteral):
        return int(ty.literal_value)
    return context.cast(builder, val, ty, types.intp)


def _make_id_lowering(fn):
    def impl(context, builder, sig, args):
        dim = _dim_arg(context, builder, sig.args[0], args[0])
        return builtin_for_dim(builder, fn.__name__, dim, context.launch_ndim)

    return impl


for _fn in api.ID_FUNCTIONS:
    lower(_fn, types.Integer)(_make_id_lowering(_fn))


@lower(api.get_work_dim)
def lower_work_dim(context, builder, sig, args):
    if context.launch_ndim:
        return llir.Constant(I64, context.launch_ndim)
    return builder.zext(call_spir_func(builder, WORK_DIM, I32, [], []), I64)


# --- work-items --------------------------------------------------------------------------------

_ITEM_BUILTIN = {
    "get_id": "get_global_id",
    "get_range": "get_global_size",
    "get_global_id": "get_global_id",
    "get_global_range": "get_global_size",
    "get_local_id": "get_local_id",
    "get_local_range": "get_local_size",
    "get_group_id": "get_group_id",
    "get_group_range": "get_num_groups",
}


def _make_item_dim_lowering(method):
    builtin = _ITEM_BUILTIN[method]

    def impl(context, builder, sig, args):
        item = sig.args[0]
        dim = _dim_arg(context, builder, sig.args[1], args[1])
        return builtin_for_dim(builder, builtin, dim, item.ndim)

    return impl


for _m in ITEM_DIM_METHODS + NDITEM_DIM_METHODS:
    lower(f"WorkItem.{_m}", WorkItemType, types.Integer)(_make_item_dim_lowering(_m))


def _linear(builder, ndim, id_builtin, range_builtin):
    lin = llir.Constant(I64, 0)
    for d in range(ndim):
        r = builtin_for_dim(builder, range_builtin, d, ndim)
        i = builtin_for_dim(builder, id_builtin, d, ndim)
        lin = builder.add(builder.mul(lin, r), i)
    return lin


@lower("WorkItem.get_linear_id", WorkItemType)
@lower("WorkItem.get_global_linear_id", WorkItemType)
def lower_global_linear(context, builder, sig, args):
    return _linear(builder, sig.args[0].ndim, "get_global_id", "get_global_size")


@lower("WorkItem.get_local_linear_id", WorkItemType)
def lower_local_linear(context, builder, sig, args):
    return _linear(builder, sig.args[0].ndim, "get_local_id", "get_local_size")


def item_index(context, builder, item: WorkItemType):
    """The item's global ids as an index value (intp in 1-D, a UniTuple otherwise)."""
    ids = [builtin_for_dim(builder, "get_global_id", d, item.ndim) for d in range(item.ndim)]
    if item.ndim == 1:
        return ids[0]
    return context.make_tuple(builder, item_index_type(item), ids)


@registry.lower_getattr(WorkItemType, "ndim")
@registry.lower_getattr(WorkItemType, "dimensions")
def lower_item_ndim(context, builder, ty, val):
    return context.get_constant(types.intp, ty.ndim)


@registry.lower_cast(WorkItemType, types.Number)
def item_to_number(context, builder, fromty, toty, val):
    gid = builtin_for_dim(builder, "get_global_id", 0, fromty.ndim)
    return context.cast(builder, gid, types.intp, toty)


@registry.lower_cast(WorkItemType, types.BaseTuple)
def item_to_tuple(context, builder, fromty, toty, val):
    ids = item_index(context, builder, fromty)
    return context.cast(builder, ids, item_index_type(fromty), toty)
