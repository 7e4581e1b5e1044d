"""``math.*`` and the matching NumPy scalar functions, lowered to OpenCL.std.

numba's ``mathimpl`` calls libm, which does not exist on a device, so it is not
installed for this target; each function here is a call to the OpenCL builtin
of the same meaning by its mangled name (``_Z3sinf`` / ``_Z3sind``), which LLVM's
SPIR-V back end maps to an OpenCL.std extended instruction. Typing is numba's
own (``mathdecl``, ``npydecl``). Integer arguments compute in float64, as in
Python and NumPy.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir as llir
from numba.core import types
from numba.core.imputils import Registry

from .lowering import call_spir_func

registry = Registry("hetero.sycl.math")
lower = registry.lower

# OpenCL name -> Python functions with that meaning (one argument)
UNARY = {
    "sin": (math.sin, np.sin),
    "cos": (math.cos, np.cos),
    "tan": (math.tan, np.tan),
    "asin": (math.asin, np.arcsin),
    "acos": (math.acos, np.arccos),
    "atan": (math.atan, np.arctan),
    "sinh": (math.sinh, np.sinh),
    "cosh": (math.cosh, np.cosh),
    "tanh": (math.tanh, np.tanh),
    "asinh": (math.asinh, np.arcsinh),
    "acosh": (math.acosh, np.arccosh),
    "atanh": (math.atanh, np.arctanh),
    "exp": (math.exp, np.exp),
    "exp2": (np.exp2,),
    "expm1": (math.expm1, np.expm1),
    "log": (math.log, np.log),
    "log2": (math.log2, np.log2),
    "log10": (math.log10, np.log10),
    "log1p": (math.log1p, np.log1p),
    "sqrt": (math.sqrt, np.sqrt),
    "cbrt": (np.cbrt,),
    "erf": (math.erf,),
    "erfc": (math.erfc,),
    "tgamma": (math.gamma,),
    "lgamma": (math.lgamma,),
    "floor": (math.floor, np.floor),
    "ceil": (math.ceil, np.ceil),
    "trunc": (math.trunc, np.trunc),
    "fabs": (math.fabs, np.fabs),
    "rint": (np.rint,),
}
# OpenCL name -> Python functions (two arguments)
BINARY = {
    "pow": (math.pow, np.power),
    "atan2": (math.atan2, np.arctan2),
    "hypot": (math.hypot, np.hypot),
    "copysign": (math.copysign, np.copysign),
    "fmod": (np.fmod,),
}


def mangled(name: str, fty, nargs: int) -> str:
    suffix = ("f" if fty == types.float32 else "d") * nargs
    return f"_Z{len(name)}{name}{suffix}"


MANGLED_NAMES = frozenset(
    mangled(n, t, k) for table, k in ((UNARY, 1), (BINARY, 2)) for n in table for t in (types.float32, types.float64)
)


def _compute_type(sig):
    """The float type a call computes in: that of its float arguments, else float64."""
    floats = [a for a in sig.args if isinstance(a, types.Float)]
    if floats and all(a == types.float32 for a in floats):
        return types.float32
    return types.float64


def _make(name, nargs):
    def impl(context, builder, sig, args):
        fty = _compute_type(sig)
        llty = context.get_value_type(fty)
        vals = [context.cast(builder, v, t, fty) for v, t in zip(args, sig.args)]
        res = call_spir_func(builder, mangled(name, fty, nargs), llty, [llty] * nargs, vals)
        return context.cast(builder, res, fty, sig.return_type)

    return impl


for _name, _fns in UNARY.items():
    for _fn in _fns:
        lower(_fn, types.Number)(_make(_name, 1))
for _name, _fns in BINARY.items():
    for _fn in _fns:
        lower(_fn, types.Number, types.Number)(_make(_name, 2))


# --- classification and NumPy's NaN-aware min/max -------------------------------------------


def _float_pred(kind):
    def impl(context, builder, sig, args):
        ty = sig.args[0]
        if isinstance(ty, types.Integer):
            return llir.Constant(llir.IntType(1), 1 if kind == "isfinite" else 0)
        x = args[0]
        inf = llir.Constant(x.type, float("inf"))
        ax = builder.call(builder.module.declare_intrinsic("llvm.fabs", [x.type]), [x])
        if kind == "isnan":
            res = builder.fcmp_unordered("uno", x, x)
        elif kind == "isinf":
            res = builder.fcmp_ordered("==", ax, inf)
        else:
            res = builder.fcmp_ordered("<", ax, inf)
        return context.cast(builder, res, types.boolean, sig.return_type)

    return impl


for _kind, _fns in {
    "isnan": (math.isnan, np.isnan),
    "isinf": (math.isinf, np.isinf),
    "isfinite": (math.isfinite, np.isfinite),
}.items():
    for _fn in _fns:
        lower(_fn, types.Number)(_float_pred(_kind))


def _minmax(is_max):
    def impl(context, builder, sig, args):
        ty = sig.return_type
        a, b = (context.cast(builder, v, t, ty) for v, t in zip(args, sig.args))
        if isinstance(ty, types.Float):
            # NumPy propagates NaN: a if a is NaN or a wins, else b.
            wins = builder.fcmp_unordered(">" if is_max else "<", a, b)
            a_nan = builder.fcmp_unordered("uno", a, a)
            return builder.select(builder.or_(wins, a_nan), a, b)
        if isinstance(ty, types.Integer):
            op = (">" if is_max else "<")
            cmp = builder.icmp_signed(op, a, b) if ty.signed else builder.icmp_unsigned(op, a, b)
            return builder.select(cmp, a, b)
        return builder.select(builder.icmp_unsigned(">" if is_max else "<", a, b), a, b)

    return impl


lower(np.maximum, types.Number, types.Number)(_minmax(True))
lower(np.minimum, types.Number, types.Number)(_minmax(False))
lower(np.maximum, types.Boolean, types.Boolean)(_minmax(True))
lower(np.minimum, types.Boolean, types.Boolean)(_minmax(False))


def _abs(context, builder, sig, args):
    ty = sig.args[0]
    x = args[0]
    if isinstance(ty, types.Float):
        return builder.call(builder.module.declare_intrinsic("llvm.fabs", [x.type]), [x])
    if isinstance(ty, types.Integer):
        if not ty.signed:
            return x
        neg = builder.icmp_signed("<", x, llir.Constant(x.type, 0))
        return builder.select(neg, builder.neg(x), x)
    if isinstance(ty, types.Complex):
        fty = ty.underlying_float
        z = context.make_complex(builder, ty, value=x)
        llty = context.get_value_type(fty)
        return call_spir_func(builder, mangled("hypot", fty, 2), llty, [llty, llty], [z.real, z.imag])
    raise NotImplementedError(ty)


lower(np.absolute, types.Number)(_abs)
lower(math.fabs, types.Complex)(_abs)
