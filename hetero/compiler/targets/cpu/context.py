"""The work-item context of the host back end and the numba functions that read it.

On a SYCL device the in-kernel queries are builtins of the hardware. On the
host there is no hardware work-item: the task runner (``build.py``) passes each
rewritten kernel (``rewrite.py``) one more argument first, the *context* of the
work-item it runs — a tuple ``(global_id, global_range, local_id, local_range,
group_id, num_groups, work_dim)`` whose members are 3-tuples of integers
(dimensions the launch lacks hold id 0 and extent 1, which is what the queries
answer there). The functions here read it; numba inlines them.
"""

from __future__ import annotations

from ...._locks import INIT_LOCK as _lock  # one lock for all one-time work

# helpers that take no dimension argument
NO_DIM = frozenset({"global_linear_id", "local_linear_id", "global_linear_range", "local_linear_range", "work_dim"})

_cache: dict = {}


def _helpers() -> dict:
    from numba import njit

    nonneg = nonneg_intrinsic()

    @njit(inline="always")
    def pick(t, d, default):
        if 0 <= d < 3:
            return nonneg(t[d])
        return default

    @njit(inline="always")
    def global_id(ctx, d):
        return pick(ctx[0], d, 0)

    @njit(inline="always")
    def global_range(ctx, d):
        return pick(ctx[1], d, 1)

    @njit(inline="always")
    def local_id(ctx, d):
        return pick(ctx[2], d, 0)

    @njit(inline="always")
    def local_range(ctx, d):
        return pick(ctx[3], d, 1)

    @njit(inline="always")
    def group_id(ctx, d):
        return pick(ctx[4], d, 0)

    @njit(inline="always")
    def num_groups(ctx, d):
        return pick(ctx[5], d, 1)

    @njit(inline="always")
    def work_dim(ctx):
        return ctx[6]

    @njit(inline="always")
    def global_linear_id(ctx):
        i, r = ctx[0], ctx[1]
        return (i[0] * r[1] + i[1]) * r[2] + i[2]

    @njit(inline="always")
    def local_linear_id(ctx):
        i, r = ctx[2], ctx[3]
        return (i[0] * r[1] + i[1]) * r[2] + i[2]

    @njit(inline="always")
    def global_linear_range(ctx):
        r = ctx[1]
        return r[0] * r[1] * r[2]

    @njit(inline="always")
    def local_linear_range(ctx):
        r = ctx[3]
        return r[0] * r[1] * r[2]

    return {
        "global_linear_range": global_linear_range,
        "local_linear_range": local_linear_range,
        "global_id": global_id,
        "global_range": global_range,
        "local_id": local_id,
        "local_range": local_range,
        "group_id": group_id,
        "num_groups": num_groups,
        "work_dim": work_dim,
        "global_linear_id": global_linear_id,
        "local_linear_id": local_linear_id,
    }


def helpers() -> dict:
    """{query name (``lang.table`` ``query`` column, or ``work_dim``): numba function ``f(ctx[, d])``}."""
    with _lock:
        if "global_id" not in _cache:
            _cache.update(_helpers())
        return _cache


def nonneg_intrinsic():
    """``nonneg(x)`` is ``x``, and tells LLVM that ``x >= 0`` (``llvm.assume``).

    Ids and sizes are never negative; knowing it lets LLVM drop the negative-index
    wrap-around of every ``a[i]`` and vectorise contiguous accesses (as
    ``!range`` metadata on the id builtins does on the SYCL target).
    """
    fn = _cache.get("nonneg")
    if fn is not None:
        return fn
    from llvmlite import ir
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def nonneg(typingctx, x):
        def codegen(context, builder, sig, args):
            (v,) = args
            fn = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), [ir.IntType(1)]), "llvm.assume"
            )
            builder.call(fn, [builder.icmp_signed(">=", v, v.type(0))])
            return v

        return x(x), codegen

    with _lock:
        return _cache.setdefault("nonneg", nonneg)
