"""Atomic read-modify-write on array elements for the host back end (LLVM ``atomicrmw`` / ``cmpxchg``).

The host back end runs work-items on several threads at once, so an atomic in a
kernel must be a real atomic. numba's CPU target has none; these are numba
intrinsics that emit LLVM's atomic instructions (sequentially consistent) on the
address of ``array[index]``, for int32, int64, uint32, uint64, float32 and
float64 elements, and return the element's old value.

Each takes ``(array, index, value)`` — ``index`` an integer or a tuple of
integers, indexed like ``array[index]`` in the kernel — and
``atomic_compare_exchange`` takes ``(array, index, expected, desired)``. The
rewrite (``rewrite.py``) maps the in-kernel atomics of :mod:`hetero.kernel_api`
onto them.
"""

from __future__ import annotations

from functools import lru_cache

from ....lang.table import ATOMIC_OPS


def _llvm_op(op: str, dtype) -> str:
    from numba.core import types

    if isinstance(dtype, types.Float):
        return {"add": "fadd", "sub": "fsub", "min": "fmin", "max": "fmax", "exchange": "xchg"}[op]
    signed = dtype.signed
    return {
        "add": "add",
        "sub": "sub",
        "min": "min" if signed else "umin",
        "max": "max" if signed else "umax",
        "and": "and",
        "or": "or",
        "xor": "xor",
        "exchange": "xchg",
    }[op]


def _check(op, ary, idx):
    from ...rules import atomic_target

    atomic_target(f"atomic_{op}", ary, idx)


def _element_pointer(context, builder, aryty, ary, idxty, idx):
    from numba.core import cgutils, types

    arr = context.make_array(aryty)(context, builder, ary)
    if isinstance(idxty, types.BaseTuple):
        raw = cgutils.unpack_tuple(builder, idx, len(idxty))
        inds = [context.cast(builder, v, t, types.intp) for v, t in zip(raw, idxty)]
    else:
        inds = [context.cast(builder, idx, idxty, types.intp)]
    return cgutils.get_item_pointer(
        context, builder, aryty, arr, inds, wraparound=True, boundscheck=context.enable_boundscheck
    )


@lru_cache(maxsize=None)
def rmw(op: str):
    """The njit-callable ``atomic_<op>(array, index, value)`` returning the old value."""
    from numba.extending import intrinsic

    def impl(typingctx, ary, idx, val):
        _check(op, ary, idx)

        def codegen(context, builder, sig, args):
            aryty, idxty, valty = sig.args
            ptr = _element_pointer(context, builder, aryty, args[0], idxty, args[1])
            v = context.cast(builder, args[2], valty, aryty.dtype)
            return builder.atomic_rmw(_llvm_op(op, aryty.dtype), ptr, v, "seq_cst")

        return ary.dtype(ary, idx, val), codegen

    impl.__name__ = f"atomic_{op}"
    return intrinsic(impl)


@lru_cache(maxsize=None)
def compare_exchange():
    """The njit-callable ``atomic_compare_exchange(array, index, expected, desired)`` returning the old value.

    Stores ``desired`` when the element equals ``expected`` (floats compared
    bit for bit, as the hardware does).
    """
    from llvmlite import ir
    from numba.core import types
    from numba.extending import intrinsic

    def atomic_compare_exchange(typingctx, ary, idx, expected, desired):
        _check("compare_exchange", ary, idx)

        def codegen(context, builder, sig, args):
            aryty, idxty, ety, dty = sig.args
            ptr = _element_pointer(context, builder, aryty, args[0], idxty, args[1])
            e = context.cast(builder, args[2], ety, aryty.dtype)
            d = context.cast(builder, args[3], dty, aryty.dtype)
            if isinstance(aryty.dtype, types.Float):  # cmpxchg is defined on integers
                ity = ir.IntType(aryty.dtype.bitwidth)
                ptr = builder.bitcast(ptr, ity.as_pointer())
                pair = builder.cmpxchg(ptr, builder.bitcast(e, ity), builder.bitcast(d, ity), "seq_cst", "seq_cst")
                return builder.bitcast(builder.extract_value(pair, 0), e.type)
            pair = builder.cmpxchg(ptr, e, d, "seq_cst", "seq_cst")
            return builder.extract_value(pair, 0)

        return ary.dtype(ary, idx, expected, desired), codegen

    return intrinsic(atomic_compare_exchange)


def helper(name: str):
    """The intrinsic for the in-kernel atomic ``name`` (``"atomic_add"``, ...), or None."""
    if name == "atomic_compare_exchange":
        return compare_exchange()
    if name.startswith("atomic_") and name[7:] in ATOMIC_OPS:
        return rmw(name[7:])
    return None
