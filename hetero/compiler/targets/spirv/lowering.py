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
import operator
import threading

from llvmlite import ir as llir
from numba.core import cgutils, types
from numba.core.imputils import Registry, RefType, iternext_impl

from .... import lang as api
from ....lang import table
from ...rules import constant_shape
from .models import MultiDimWorkItemType, WorkItemIterType, WorkItemType
from .templates import GROUP_DIM_METHODS, ITEM_DIM_METHODS, item_index_type

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
#: The table's index-space queries as OpenCL builtins.
QUERY_BUILTIN = {
    "global_id": "get_global_id",
    "global_range": "get_global_size",
    "local_id": "get_local_id",
    "local_range": "get_local_size",
    "group_id": "get_group_id",
    "num_groups": "get_num_groups",
}
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


def _make_id_lowering(builtin):
    def impl(context, builder, sig, args):
        dim = _dim_arg(context, builder, sig.args[0], args[0])
        return builtin_for_dim(builder, builtin, dim, context.launch_ndim)

    return impl


for _row in table.entries("hetero", "query"):
    lower(api.obj(_row), types.Integer)(_make_id_lowering(QUERY_BUILTIN[_row.query]))


@lower(api.get_work_dim)
def lower_work_dim(context, builder, sig, args):
    if context.launch_ndim:
        return llir.Constant(I64, context.launch_ndim)
    return builder.zext(call_spir_func(builder, WORK_DIM, I32, [], []), I64)


@lower(print, types.VarArg(types.Any))
@lower(breakpoint)
def lower_debug_call(context, builder, sig, args):
    from .templates import debug_calls_on

    if not debug_calls_on():
        raise NotImplementedError(
            "print() is not available in kernels on SYCL devices or the host back end; run the launch "
            "with k.interpret[...] (or HETERO_KERNEL_BACKEND=interpret) to print from a kernel"
        )
    return context.get_dummy_value()


# --- work-items --------------------------------------------------------------------------------

def _make_item_dim_lowering(builtin):
    def impl(context, builder, sig, args):
        item = sig.args[0]
        dim = _dim_arg(context, builder, sig.args[1], args[1])
        return builtin_for_dim(builder, builtin, dim, item.ndim)

    return impl


for _m, _ in ITEM_DIM_METHODS:
    _q = table.find(_m, "NdItem").query
    lower(f"WorkItem.{_m}", WorkItemType, types.Integer)(_make_item_dim_lowering(QUERY_BUILTIN[_q]))


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


@lower("WorkItem.get_linear_range", WorkItemType)
@lower("WorkItem.get_global_linear_range", WorkItemType)
def lower_global_linear_range(context, builder, sig, args):
    return _product(builder, sig.args[0].ndim, "get_global_size")


@lower("WorkItem.get_local_linear_range", WorkItemType)
def lower_local_linear_range_of_item(context, builder, sig, args):
    return _product(builder, sig.args[0].ndim, "get_local_size")


@lower("WorkItem.get_local_linear_id", WorkItemType)
def lower_local_linear(context, builder, sig, args):
    return _linear(builder, sig.args[0].ndim, "get_local_id", "get_local_size")


def item_index(context, builder, item: WorkItemType):
    """The item's global ids as an index value (intp in 1-D, a UniTuple otherwise)."""
    ids = [builtin_for_dim(builder, "get_global_id", d, item.ndim) for d in range(item.ndim)]
    if item.ndim == 1:
        return ids[0]
    return context.make_tuple(builder, item_index_type(item), ids)


@lower(operator.getitem, WorkItemType, types.Integer)
def lower_item_getitem(context, builder, sig, args):
    item, dty = sig.args
    if isinstance(dty, types.IntegerLiteral):
        d = int(dty.literal_value)
        return builtin_for_dim(builder, "get_global_id", d + item.ndim if d < 0 else d, item.ndim)
    d = context.cast(builder, args[1], dty, types.intp)
    d = builder.select(builder.icmp_signed("<", d, I64(0)), builder.add(d, I64(item.ndim)), d)
    return builtin_for_dim(builder, "get_global_id", d, item.ndim)


@lower("getiter", MultiDimWorkItemType)
def lower_item_getiter(context, builder, sig, args):
    counter = cgutils.alloca_once_value(builder, I64(0))
    return counter


@lower("iternext", WorkItemIterType)
@iternext_impl(RefType.UNTRACKED)
def lower_item_iternext(context, builder, sig, args, result):
    (counter,) = args
    d = builder.load(counter)
    ndim = sig.args[0].ndim
    valid = builder.icmp_signed("<", d, I64(ndim))
    result.set_valid(valid)
    with builder.if_then(valid):
        result.yield_(builtin_for_dim(builder, "get_global_id", d, ndim))
        builder.store(builder.add(d, I64(1)), counter)


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


# --- work-groups (issue 5) ---------------------------------------------------------------------

from numba.np import arrayobj  # noqa: E402

from .models import AtomicRefType, GroupType  # noqa: E402

# SPIR-V's barrier: (execution scope, memory scope, memory semantics). Scopes: 1 Device,
# 2 Workgroup; semantics 0x10 sequentially consistent | 0x100 work-group memory | 0x200
# cross-work-group (global) memory.
CONTROL_BARRIER = "_Z22__spirv_ControlBarrieriii"
MEMORY_BARRIER = "_Z21__spirv_MemoryBarrierjj"
SYNC_NAMES = frozenset({CONTROL_BARRIER, MEMORY_BARRIER})
# __spirv_AtomicLoad / __spirv_AtomicStore, one declaration per element type and address space
# (names from atomic_load / atomic_store below)
SYNC_PREFIXES = ("_Z18__spirv_AtomicLoadPU3AS", "_Z19__spirv_AtomicStorePU3AS")
_BARRIER_SEMANTICS = 0x10 | 0x100 | 0x200
_SCOPE_TO_SPIRV = {0: 4, 1: 3, 2: 2, 3: 1, 4: 0}  # MemoryScope -> SPIR-V Scope


def _scope_of(ty, default=2):
    v = getattr(ty, "literal_value", None)
    if isinstance(v, int):
        return _SCOPE_TO_SPIRV.get(int(v), 1)
    if isinstance(ty, (types.Omitted, types.NoneType)) or ty is None:
        return _SCOPE_TO_SPIRV[default]
    return 1  # not a constant: the widest scope a barrier has, the device


def control_barrier(builder, memory_scope: int = 2):
    """A work-group barrier that also fences local and global memory (``OpControlBarrier``).

    Declared ``convergent`` (here and again by ``spirv.mark_convergent``): LLVM must not
    duplicate it into divergent paths or move it across control flow.
    """
    fnty = llir.FunctionType(llir.VoidType(), [I32, I32, I32])
    fn = cgutils.get_or_insert_function(builder.module, fnty, CONTROL_BARRIER)
    if fn.calling_convention != "spir_func":
        fn.calling_convention = "spir_func"
        fn.attributes.add("convergent")
        fn.attributes.add("nounwind")
    builder.call(fn, [I32(2), I32(memory_scope), I32(_BARRIER_SEMANTICS)], cconv="spir_func")


@lower(api.barrier, types.VarArg(types.Any))
def lower_barrier(context, builder, sig, args):
    control_barrier(builder, _scope_of(sig.args[0] if sig.args else None))
    return context.get_dummy_value()


@lower(api.group_barrier, GroupType, types.VarArg(types.Any))
def lower_group_barrier(context, builder, sig, args):
    control_barrier(builder, _scope_of(sig.args[1] if len(sig.args) > 1 else None))
    return context.get_dummy_value()


def _constant_arg(ty, val, default, unknown):
    """A MemoryOrder / MemoryScope argument's value: ``default`` when omitted, ``unknown`` when
    not a constant. numba types ``MemoryOrder.RELEASE`` as a non-literal ``IntEnumMember``,
    but lowers it as an LLVM constant, which is where the value is read."""
    if ty is None or isinstance(ty, (types.Omitted, types.NoneType)):
        return default
    v = getattr(ty, "literal_value", None)
    if isinstance(v, int):
        return int(v)
    c = getattr(val, "constant", None)
    if isinstance(val, llir.Constant) and isinstance(c, int):
        return c
    return unknown


# MemoryOrder -> SPIR-V memory-semantics order bits (consume is acquire)
_ORDER_BITS = {0: 0x0, 1: 0x2, 2: 0x2, 3: 0x4, 4: 0x8, 5: 0x10}


@lower(api.atomic_fence, types.VarArg(types.Any))
def lower_atomic_fence(context, builder, sig, args):
    """``OpMemoryBarrier`` with the fence's scope and order, over global and local memory.

    Not LLVM's ``fence``: the SPIR-V back end lowers that with semantics that name no storage
    class (``SequentiallyConsistent`` alone, scope ``CrossDevice``), which orders no memory.
    """
    n = len(sig.args)
    order = _constant_arg(sig.args[0] if n else None, args[0] if n else None, 5, 5)
    if order == 0:  # a relaxed fence orders nothing
        return context.get_dummy_value()
    # MemoryScope default: the device; not a constant: the widest scope (always right)
    scope = _constant_arg(sig.args[1] if n > 1 else None, args[1] if n > 1 else None, 3, 4)
    memory_barrier(builder, _SCOPE_TO_SPIRV.get(scope, 0), _ORDER_BITS.get(order, 0x10) | 0x100 | 0x200)
    return context.get_dummy_value()


def memory_barrier(builder, scope: int, semantics: int):
    fnty = llir.FunctionType(llir.VoidType(), [I32, I32])
    fn = cgutils.get_or_insert_function(builder.module, fnty, MEMORY_BARRIER)
    if fn.calling_convention != "spir_func":
        fn.calling_convention = "spir_func"
        fn.attributes.add("convergent")
        fn.attributes.add("nounwind")
    builder.call(fn, [I32(scope), I32(semantics)], cconv="spir_func")


# --- groups ------------------------------------------------------------------------------------

def _make_group_dim_lowering(builtin):
    def impl(context, builder, sig, args):
        dim = _dim_arg(context, builder, sig.args[1], args[1])
        return builtin_for_dim(builder, builtin, dim, sig.args[0].ndim)

    return impl


for _m in GROUP_DIM_METHODS:
    _q = table.find(_m, "Group").query
    lower(f"Group.{_m}", GroupType, types.Integer)(_make_group_dim_lowering(QUERY_BUILTIN[_q]))


def _product(builder, ndim, builtin):
    n = llir.Constant(I64, 1)
    for d in range(ndim):
        n = builder.mul(n, builtin_for_dim(builder, builtin, d, ndim))
    return n


@lower("Group.get_group_linear_id", GroupType)
def lower_group_linear_id(context, builder, sig, args):
    return _linear(builder, sig.args[0].ndim, "get_group_id", "get_num_groups")


@lower("Group.get_group_linear_range", GroupType)
def lower_group_linear_range(context, builder, sig, args):
    return _product(builder, sig.args[0].ndim, "get_num_groups")


@lower("Group.get_local_linear_range", GroupType)
def lower_local_linear_range(context, builder, sig, args):
    return _product(builder, sig.args[0].ndim, "get_local_size")


@registry.lower_getattr(GroupType, "leader")
def lower_group_leader(context, builder, ty, val):
    lin = _linear(builder, ty.ndim, "get_local_id", "get_local_size")
    return builder.icmp_unsigned("==", lin, I64(0))


@registry.lower_getattr(GroupType, "ndim")
@registry.lower_getattr(GroupType, "dimensions")
def lower_group_ndim(context, builder, ty, val):
    return context.get_constant(types.intp, ty.ndim)


@lower("WorkItem.get_group", WorkItemType)
def lower_get_group(context, builder, sig, args):
    return llir.Constant(llir.IntType(8), 0)


# --- local and private arrays --------------------------------------------------------------------


def make_addrspace_array(context, builder, aryty, data, dims):
    """numba's array struct over ``data`` (C order, shape ``dims``: ints or i64 values)."""
    ary = context.make_array(aryty)(context, builder)
    itemsize = context.get_abi_sizeof(context.get_data_type(aryty.dtype))
    shape = [I64(d) if isinstance(d, int) else d for d in dims]
    strides = []
    acc = I64(itemsize)
    for d in reversed(shape):
        strides.append(acc)
        if isinstance(acc, llir.Constant) and isinstance(d, llir.Constant):
            acc = I64(acc.constant * d.constant)
        else:
            acc = builder.mul(acc, d)
    strides.reverse()
    arrayobj.populate_array(
        ary, data=data, shape=shape, strides=strides, itemsize=I64(itemsize), meminfo=None
    )
    return ary._getvalue()


@lower(api.local_array, types.Any, types.Any)
def lower_local_array(context, builder, sig, args):
    aryty = sig.return_type
    dims = constant_shape(sig.args[0], "local_array")
    n = 1
    for d in dims:
        n *= d
    elem = context.get_data_type(aryty.dtype)
    mod = builder.module
    gv = llir.GlobalVariable(mod, llir.ArrayType(elem, n), mod.get_unique_name("__hetero_local"), addrspace=3)
    gv.linkage = "internal"
    gv.initializer = llir.Constant(gv.value_type, llir.Undefined)  # local memory cannot be initialised
    gv.align = 16
    _record_local(n * context.get_abi_sizeof(elem))
    data = builder.gep(gv, [I32(0), I32(0)], inbounds=True)
    return make_addrspace_array(context, builder, aryty, data, dims)


@lower(api.private_array, types.VarArg(types.Any))
def lower_private_array(context, builder, sig, args):
    aryty = sig.return_type
    dims = constant_shape(sig.args[0], "private_array")
    n = 1
    for d in dims:
        n *= d
    elem = context.get_data_type(aryty.dtype)
    data = cgutils.alloca_once(builder, elem, size=n)
    if len(sig.args) > 2 and not isinstance(sig.args[2], (types.Omitted, types.NoneType)):
        nbytes = I64(n * context.get_abi_sizeof(elem))
        fill = sig.args[2]
        if isinstance(fill, types.Literal):
            if fill.literal_value:
                cgutils.memset(builder, data, nbytes, 0)
        else:  # a run-time flag
            flag = context.cast(builder, args[2], fill, types.boolean)
            with builder.if_then(flag):
                cgutils.memset(builder, data, nbytes, 0)
    return make_addrspace_array(context, builder, aryty, data, dims)


# --- atomics -------------------------------------------------------------------------------------

_INT_RMW = {
    "add": "add",
    "sub": "sub",
    "and": "and",
    "or": "or",
    "xor": "xor",
    "exchange": "xchg",
}


def _element_pointer(context, builder, aryty, ary, idxty, idx):
    if isinstance(idxty, WorkItemType):
        idx = item_index(context, builder, idxty)
        idxty = item_index_type(idxty)
    if isinstance(idxty, types.BaseTuple):
        indices = [
            context.cast(builder, builder.extract_value(idx, i), t, types.intp) for i, t in enumerate(idxty.types)
        ]
    else:
        indices = [context.cast(builder, idx, idxty, types.intp)]
    arr = context.make_array(aryty)(context, builder, ary)
    return cgutils.get_item_pointer(context, builder, aryty, arr, indices, wraparound=True)


def atomic_rmw(builder, op: str, dtype, ptr, val, order="monotonic"):
    """One atomic read-modify-write on ``ptr``; returns the old value.

    Integers use ``atomicrmw``; floats (and integer min/max, portably) a
    ``cmpxchg`` loop on the bits, which needs no SPIR-V extension: LLVM's SPIR-V
    back end aborts the process on a float ``atomicrmw`` without one.
    """
    if isinstance(dtype, types.Integer) and op in _INT_RMW:
        return builder.atomic_rmw(_INT_RMW[op], ptr, val, order)
    if isinstance(dtype, types.Integer) and op in ("min", "max"):
        kind = ("" if dtype.signed else "u") + op
        return builder.atomic_rmw(kind, ptr, val, order)
    return _cas_loop(builder, op, dtype, ptr, val, order)


def _cas_loop(builder, op, dtype, ptr, val, order):
    ity = llir.IntType(dtype.bitwidth)
    iptr = builder.bitcast(ptr, ity.as_pointer(ptr.type.addrspace))
    init = builder.load(iptr, align=ity.width // 8)
    pre = builder.block
    loop = builder.append_basic_block("atomic.cas")
    done = builder.append_basic_block("atomic.done")
    builder.branch(loop)
    builder.position_at_end(loop)
    cur = builder.phi(ity)
    cur.add_incoming(init, pre)
    curv = builder.bitcast(cur, val.type)
    if op == "add":
        new = builder.fadd(curv, val)
    elif op == "sub":
        new = builder.fsub(curv, val)
    elif op == "min":
        new = builder.select(builder.fcmp_ordered("<", val, curv), val, curv)
    elif op == "max":
        new = builder.select(builder.fcmp_ordered(">", val, curv), val, curv)
    elif op == "exchange":
        new = val
    else:
        raise AssertionError(op)
    res = builder.cmpxchg(iptr, cur, builder.bitcast(new, ity), order, "monotonic")
    seen = builder.extract_value(res, 0)
    ok = builder.extract_value(res, 1)
    cur.add_incoming(seen, builder.block)
    builder.cbranch(ok, done, loop)
    builder.position_at_end(done)
    return curv


def _compare_exchange(builder, dtype, ptr, expected, desired, order="monotonic"):
    """cmpxchg (on the bits for floats); returns (old value, success bit)."""
    if isinstance(dtype, types.Integer):
        res = builder.cmpxchg(ptr, expected, desired, order, "monotonic")
        return builder.extract_value(res, 0), builder.extract_value(res, 1)
    ity = llir.IntType(dtype.bitwidth)
    iptr = builder.bitcast(ptr, ity.as_pointer(ptr.type.addrspace))
    res = builder.cmpxchg(iptr, builder.bitcast(expected, ity), builder.bitcast(desired, ity), order, "monotonic")
    return builder.bitcast(builder.extract_value(res, 0), expected.type), builder.extract_value(res, 1)


_features = threading.local()


def _record_atomic(dtype):
    used = getattr(_features, "used", None)
    if used is not None:
        used["atomics"].add(str(dtype))


def _record_local(nbytes: int):
    used = getattr(_features, "used", None)
    if used is not None:
        used["local_bytes"] += nbytes


def record_raise():
    """The code being lowered can raise (an assert, a raise, a failed unpacking, a bounds check)."""
    used = getattr(_features, "used", None)
    if used is not None:
        used["raises"] = True


@contextlib.contextmanager
def record_features():
    """Collects what the kernel lowered inside needs: ``{"atomics": element types of its atomics,
    "local_bytes": bytes of its local_array memory, "raises": whether any path raises}``."""
    old = getattr(_features, "used", None)
    _features.used = used = {"atomics": set(), "local_bytes": 0, "raises": False}
    try:
        yield used
    finally:
        _features.used = old


def _make_atomic_lowering(op):

    def impl(context, builder, sig, args):
        aryty, idxty, _ = sig.args
        ptr = _element_pointer(context, builder, aryty, args[0], idxty, args[1])
        _record_atomic(aryty.dtype)
        return atomic_rmw(builder, op, aryty.dtype, ptr, args[2])

    return impl


for _row in table.entries("hetero", "atomic"):
    lower(api.obj(_row), types.Array, types.Any, types.Any)(_make_atomic_lowering(_row.op))


@lower(api.atomic_compare_exchange, types.Array, types.Any, types.Any, types.Any)
def lower_atomic_cas(context, builder, sig, args):
    aryty, idxty = sig.args[:2]
    ptr = _element_pointer(context, builder, aryty, args[0], idxty, args[1])
    _record_atomic(aryty.dtype)
    old, _ = _compare_exchange(builder, aryty.dtype, ptr, args[2], args[3])
    return old


@lower(api.AtomicRef, types.VarArg(types.Any))
def lower_atomic_ref(context, builder, sig, args):
    aryty = sig.args[0]
    if len(sig.args) > 1 and not isinstance(sig.args[1], (types.Omitted, types.NoneType)):
        idxty, idx = sig.args[1], args[1]
    else:
        idxty, idx = types.intp, I64(0)
    ptr = _element_pointer(context, builder, aryty, args[0], idxty, idx)
    _record_atomic(aryty.dtype)
    return ptr


def _make_ref_lowering(op):
    def impl(context, builder, sig, args):
        ty = sig.args[0]
        return atomic_rmw(builder, op, ty.dtype, args[0], args[1], ty.order)

    return impl


for _row in table.entries("AtomicRef", "atomic"):
    lower(f"AtomicRef.{_row.name}", AtomicRefType, types.Any)(_make_ref_lowering(_row.op))


def _load_order(order):
    return {"release": "monotonic", "acq_rel": "acquire"}.get(order, order)


def _store_order(order):
    return {"acquire": "monotonic", "acq_rel": "release"}.get(order, order)


# LLVM ordering -> SPIR-V memory-semantics order bits
_SEMANTICS = {"monotonic": 0x0, "acquire": 0x2, "release": 0x4, "acq_rel": 0x8, "seq_cst": 0x10}
# address space -> the storage-class bit of the memory semantics (generic: both)
_STORAGE_BITS = {1: 0x200, 3: 0x100}
# Itanium mangling of the element types atomics take (table.ATOMIC_DTYPES)
_MANGLED = {"int32": "i", "uint32": "j", "int64": "l", "uint64": "m", "float32": "f", "float64": "d"}


def _semantics(order: str, addrspace: int) -> int:
    return _SEMANTICS[order] | _STORAGE_BITS.get(addrspace, 0x300)


def _atomic_decl(builder, name, ret, argtys):
    fn = cgutils.get_or_insert_function(builder.module, llir.FunctionType(ret, argtys), name)
    if fn.calling_convention != "spir_func":
        fn.calling_convention = "spir_func"
        fn.attributes.add("nounwind")
    return fn


def atomic_load(builder, dtype, ptr, order: str, scope: int = 1):
    """``OpAtomicLoad`` of ``ptr`` (``__spirv_AtomicLoad(ptr, scope, semantics)``).

    Not LLVM's ``load atomic``: LLVM 22's SPIR-V back end lowers that to a plain ``OpLoad``
    (atomicity, ordering and scope dropped), and the device compiler then hoists the load
    out of a spin-wait loop, which never ends.
    """
    aspace = ptr.type.addrspace
    name = f"_Z18__spirv_AtomicLoadPU3AS{aspace}K{_MANGLED[str(dtype)]}ii"
    ety = llir.IntType(dtype.bitwidth) if isinstance(dtype, types.Integer) else (
        llir.FloatType() if dtype.bitwidth == 32 else llir.DoubleType())
    fn = _atomic_decl(builder, name, ety, [ptr.type, I32, I32])
    return builder.call(fn, [ptr, I32(scope), I32(_semantics(order, aspace))], cconv="spir_func")


def atomic_store(builder, dtype, ptr, val, order: str, scope: int = 1):
    """``OpAtomicStore`` (``__spirv_AtomicStore(ptr, scope, semantics, value)``); see atomic_load."""
    aspace = ptr.type.addrspace
    m = _MANGLED[str(dtype)]
    name = f"_Z19__spirv_AtomicStorePU3AS{aspace}{m}ii{m}"
    fn = _atomic_decl(builder, name, llir.VoidType(), [ptr.type, I32, I32, val.type])
    builder.call(fn, [ptr, I32(scope), I32(_semantics(order, aspace)), val], cconv="spir_func")


@lower("AtomicRef.load", AtomicRefType)
def lower_ref_load(context, builder, sig, args):
    ty = sig.args[0]
    return atomic_load(builder, ty.dtype, args[0], _load_order(ty.order), ty.scope)


@lower("AtomicRef.store", AtomicRefType, types.Any)
def lower_ref_store(context, builder, sig, args):
    ty = sig.args[0]
    atomic_store(builder, ty.dtype, args[0], args[1], _store_order(ty.order), ty.scope)
    return context.get_dummy_value()


@lower("AtomicRef.compare_exchange", AtomicRefType, types.Array, types.Any, types.VarArg(types.Any))
def lower_ref_cas(context, builder, sig, args):
    ty, expty = sig.args[0], sig.args[1]
    eidx = args[3] if len(args) > 3 else I64(0)
    eidxty = sig.args[3] if len(args) > 3 else types.intp
    eptr = _element_pointer(context, builder, expty, args[1], eidxty, eidx)
    expected = builder.load(eptr)
    old, ok = _compare_exchange(builder, ty.dtype, args[0], expected, args[2], ty.order)
    with builder.if_then(builder.not_(ok)):
        builder.store(old, eptr)
    return ok


@registry.lower_getattr(AtomicRefType, "ref")
def lower_ref_value(context, builder, ty, val):
    return builder.load(val)
