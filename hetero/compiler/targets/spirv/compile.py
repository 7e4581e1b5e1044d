"""Python kernel → numba typed IR → LLVM IR with a ``spir_kernel`` entry.

``compile_specialisation`` runs numba's front end and lowering under the SYCL
target for one set of argument types and one launch shape, then writes the
kernel entry: a ``spir_kernel`` function whose parameters are what the
launcher passes (see ``kernel_abi``) and which rebuilds numba's array structs
and calls the compiled Python function.

It also works out, from the typed IR, which array arguments the kernel may
write, so that NumPy arguments are copied back only when needed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from llvmlite import ir as llir
from numba.core import compiler, errors as nb_errors, ir as nir, types
from numba.core.target_extension import target_override
from numba.np import arrayobj

from ....errors import KernelCompileError, KernelTypingError
from ...analysis import written_arrays
from ...passes import KernelCompiler
from .inline import inline_budget
from .models import AddrSpaceArray, WorkItemType
from .target import TARGET_NAME, address_space_helpers, kernel_flags, sycl_target

I64 = llir.IntType(64)


@dataclass
class Specialisation:
    """Everything known about one compiled specialisation of a kernel."""

    entry: str
    argtypes: tuple
    written: frozenset  # indices (in launch arguments) of arrays the kernel may write
    modules: list = field(default_factory=list)  # llvmlite IR modules to link
    typed_ir: str = ""
    llvm_ir: str = ""  # optimised, after spirv.to_spirv
    spirv: bytes = b""
    # with bounds checks: status code -> (exception name, message, file, line)
    errors: dict = field(default_factory=dict)
    # element types (str) of the atomics the kernel uses (64-bit ones need device support)
    atomics: frozenset = frozenset()
    local_bytes: int = 0  # local memory of its local_array calls
    flagged: bool = False  # the entry takes the error flag (some path raises, or bounds checks)


def kernel_abi(argtypes) -> list[str]:
    """What the launcher passes per launch argument, flattened (for documentation and checks).

    array of ndim k: ``ptr addrspace(1)`` to the allocation, i64 element offset of
    element 0, k × i64 shape, k × i64 strides in elements (as dpnp reports them);
    integers and bools: i64; float32: float; float64: double; complex: two reals;
    a ``LocalAccessor`` of ndim k: ``ptr addrspace(3)`` (local memory, fed by a
    ``dpctl.LocalAccessor``), k × i64 shape.
    """
    out = []
    for t in argtypes:
        if isinstance(t, AddrSpaceArray):
            out += ["ptr addrspace(3)"] + ["i64"] * t.ndim
        elif isinstance(t, types.Array):
            out += ["ptr", "i64"] + ["i64"] * (2 * t.ndim)
        elif isinstance(t, (types.Integer, types.Boolean)):
            out.append("i64")
        elif isinstance(t, types.Float):
            out.append(str(t))
        elif isinstance(t, types.Complex):
            out += [str(t.underlying_float)] * 2
        else:
            raise TypeError(t)
    return out


def _where(py_func) -> str:
    code = py_func.__code__
    return f"{code.co_filename}:{code.co_firstlineno}"


_LOC = re.compile(r'File "([^"]+)", line (\d+)')
_AT = re.compile(r' at (\S+) \((\d+)\)')  # numba's "During: lowering ... at FILE (LINE)"


def _compile_error(py_func, exc: Exception) -> KernelCompileError:
    """A KernelCompileError naming the kernel, the user's file:line and numba's reason."""
    msg = str(exc)
    locs = _LOC.findall(msg)
    user_file = py_func.__code__.co_filename
    user_locs = ([f"{f}:{n}" for f, n in locs + _AT.findall(msg) if f == user_file]
                 or [f"{f}:{n}" for f, n in locs])
    where = user_locs[-1] if user_locs else _where(py_func)
    # numba's first paragraph names the construct; keep the source excerpt that follows it
    text = re.sub(r"\x1b\[[0-9;]*m", "", msg).strip()
    if not isinstance(exc, nb_errors.NumbaError):
        loc = _lowering_loc(exc, user_file)
        text = f"{type(exc).__name__}: {text} (the construct is not supported in kernels)"
        if loc is not None and hasattr(loc, "filename"):
            where = f"{loc.filename}:{loc.line}"
            try:
                text += "\n" + loc.strformat()
            except Exception:
                pass
    if "_allocate" in text or "NRT_" in text:
        text += ("\nThis needs a new array (an array expression such as `a[i, :] + 1` makes one), and kernels "
                 "cannot allocate memory: write the elements in a loop, or allocate outside and pass it in.")
    cls = KernelTypingError if isinstance(exc, nb_errors.TypingError) else KernelCompileError
    return cls(
        f"kernel {py_func.__name__!r} ({where}) uses something the kernel language does not support:\n"
        f"{text}\n"
        "Kernels may use arithmetic, comparisons, math.* and NumPy scalar functions, loops, branches, "
        "tuples, array indexing and .shape/.size/.ndim, and @hetero.device_function callees."
    )


def _lowering_loc(exc, user_file=None):
    """The source location numba was lowering when ``exc`` escaped: the innermost one in the user's
    file (a failure inside a numba implementation, e.g. of an array expression, is reported at the
    user's line that used it), else the innermost, if any."""
    from numba.core.lowering import BaseLower

    loc = mine = None
    tb = exc.__traceback__
    while tb is not None:
        obj = tb.tb_frame.f_locals.get("self")
        if isinstance(obj, BaseLower) and getattr(obj, "loc", None) is not None:
            loc = obj.loc
            if getattr(loc, "filename", None) == user_file:
                mine = loc
        tb = tb.tb_next
    return mine if mine is not None else loc


def specialisation_name(py_func, argtypes, item, ndim) -> str:
    h = hashlib.sha1(
        repr((py_func.__module__, py_func.__qualname__, argtypes, item, ndim)).encode()
    ).hexdigest()[:12]
    base = re.sub(r"\W", "_", py_func.__name__)[:40]
    return f"hetero_{base}_{h}"


def compile_specialisation(
    py_func,
    argtypes: tuple,
    item: WorkItemType | None,
    ndim: int,
    *,
    fastmath=False,
    boundscheck=False,
    small_ids=False,
):
    """Type and lower ``py_func`` for ``argtypes`` (launch arguments) on an ``ndim``-D launch.

    ``item`` is the work-item type for an item-style kernel, else None. With
    ``boundscheck`` every array index is checked. With ``boundscheck``,
    or when any path of the lowered code raises (an ``assert``, a ``raise``, a failed
    unpacking), the entry takes one more argument: a global ``i64[4]`` error flag (status code, then the work-item's
    ids), written by the first work-item that fails. ``small_ids`` promises a launch of
    fewer than 2**31 work-items (ids are then marked as such for the device compiler).
    """
    from .lowering import id_bound, record_features

    with address_space_helpers(), id_bound(31 if small_ids else 63), record_features() as used:
        spec = _compile_specialisation(py_func, argtypes, item, ndim, fastmath, boundscheck)
    spec.atomics = frozenset(used["atomics"])
    spec.local_bytes = used["local_bytes"]
    return spec


def _compile_specialisation(py_func, argtypes, item, ndim, fastmath, boundscheck):
    inline_budget.reset()
    with target_override(TARGET_NAME):
        tctx = sycl_target.typing_context
        cctx = sycl_target.target_context.subtarget(launch_ndim=ndim)
        full = ((item,) if item is not None else ()) + tuple(argtypes)
        flags = kernel_flags(fastmath)
        flags.boundscheck = bool(boundscheck)
        try:
            cres = compiler.compile_extra(
                tctx, cctx, py_func, args=full, return_type=None, flags=flags, locals={},
                pipeline_class=KernelCompiler,
            )
        except nb_errors.NumbaError as exc:
            raise _compile_error(py_func, exc) from None
        except KernelCompileError:
            raise
        except Exception as exc:  # an internal numba failure on odd input is still the user's kernel
            raise _compile_error(py_func, exc) from exc

        if cres.signature.return_type not in (types.none, types.void):
            raise KernelCompileError(
                f"kernel {py_func.__name__!r} ({_where(py_func)}) returns a value of type "
                f"{cres.signature.return_type}; kernels return nothing. Write results into an output "
                "array argument instead."
            )
        entry = specialisation_name(py_func, argtypes, item, ndim)
        from .lowering import _features

        flagged = bool(boundscheck) or _features.used["raises"]
        wrapper = _entry_module(cctx, cres, entry, full, item is not None, ndim if flagged else 0)
        cres.library.finalize()
        modules = [wrapper] + cres.library.all_modules()
        try:
            typed = cres.type_annotation.__str__() if cres.type_annotation is not None else ""
        except Exception:
            typed = ""
        offset = 1 if item is not None else 0
        written = written_arrays(cres, offset, len(argtypes))
        errors = {}
        helper = getattr(cres, "call_helper", None)
        for code, (exc, args, locinfo) in (getattr(helper, "exceptions", None) or {}).items():
            msg = str(args[0]) if args else ""
            fname, line = (locinfo[1], locinfo[2]) if locinfo else (None, None)
            errors[int(code)] = (getattr(exc, "__name__", "Exception"), msg, fname, line)
        return Specialisation(
            entry=entry, argtypes=tuple(argtypes), written=written, modules=modules, typed_ir=typed, errors=errors,
            flagged=flagged,
        )


def _entry_module(ctx, cres, entry: str, argtypes: tuple, has_item: bool, flag_ndim: int = 0):
    mod = ctx.create_module(f"{entry}_entry")
    abi: list[llir.Type] = []
    for t in argtypes:
        if isinstance(t, WorkItemType):
            continue
        if isinstance(t, AddrSpaceArray):  # a LocalAccessor: local memory, then its shape
            abi.append(ctx.get_data_type(t.dtype).as_pointer(3))
            abi += [I64] * t.ndim
        elif isinstance(t, types.Array):
            abi.append(ctx.get_data_type(t.dtype).as_pointer(1))
            abi += [I64] * (1 + 2 * t.ndim)
        elif isinstance(t, (types.Integer, types.Boolean)):
            abi.append(I64)
        elif isinstance(t, types.Float):
            abi.append(ctx.get_value_type(t))
        elif isinstance(t, types.Complex):
            f = ctx.get_value_type(t.underlying_float)
            abi += [f, f]
        else:
            raise KernelTypingError(f"argument type {t} cannot be passed to a kernel")
    if flag_ndim:
        abi.append(I64.as_pointer(1))
    kfn = llir.Function(mod, llir.FunctionType(llir.VoidType(), abi), entry)
    kfn.calling_convention = "spir_kernel"
    builder = llir.IRBuilder(kfn.append_basic_block("entry"))
    params = list(kfn.args)
    vals = []
    pos = 0
    for t in argtypes:
        if isinstance(t, WorkItemType):
            vals.append(llir.Constant(llir.IntType(8), 0))
            continue
        if isinstance(t, AddrSpaceArray):
            from .lowering import make_addrspace_array

            shape = params[pos + 1 : pos + 1 + t.ndim]
            vals.append(make_addrspace_array(ctx, builder, t, params[pos], list(shape)))
            pos += 1 + t.ndim
        elif isinstance(t, types.Array):
            data = builder.gep(params[pos], [params[pos + 1]], inbounds=True)
            shape = params[pos + 2 : pos + 2 + t.ndim]
            estrides = params[pos + 2 + t.ndim : pos + 2 + 2 * t.ndim]
            pos += 2 + 2 * t.ndim
            ary = ctx.make_array(t)(ctx, builder)
            nbytes = ctx.get_abi_sizeof(ctx.get_data_type(t.dtype))
            itemsize = ctx.get_constant(types.intp, nbytes)
            strides = [builder.mul(st, I64(nbytes)) for st in estrides]
            arrayobj.populate_array(
                ary,
                data=data,
                shape=list(shape),
                strides=list(strides),
                itemsize=itemsize,
                meminfo=None,
            )
            vals.append(ary._getvalue())
        elif isinstance(t, types.Boolean):
            vals.append(builder.icmp_unsigned("!=", params[pos], I64(0)))
            pos += 1
        elif isinstance(t, types.Integer):
            v = params[pos]
            vals.append(builder.trunc(v, ctx.get_value_type(t)) if t.bitwidth < 64 else v)
            pos += 1
        elif isinstance(t, types.Float):
            vals.append(params[pos])
            pos += 1
        elif isinstance(t, types.Complex):
            z = ctx.make_complex(builder, t)
            z.real, z.imag = params[pos], params[pos + 1]
            pos += 2
            vals.append(z._getvalue())
    fnty = ctx.call_conv.get_function_type(types.none, argtypes)
    inner = llir.Function(mod, fnty, cres.fndesc.llvm_func_name)
    status, _ = ctx.call_conv.call_function(builder, inner, types.none, argtypes, vals)
    if flag_ndim:
        _record_error(builder, status, params[-1], flag_ndim)
    builder.ret_void()
    return mod


def _record_error(builder, status, flag, ndim):
    """First failing work-item: flag[0] = status code, flag[1:1+ndim] = its ids (SYCL order)."""
    from .lowering import builtin_for_dim

    with builder.if_then(status.is_error, likely=False):
        code = builder.sext(status.code, I64)
        res = builder.cmpxchg(flag, I64(0), code, "monotonic", "monotonic")
        won = builder.extract_value(res, 1)
        with builder.if_then(won):
            for d in range(ndim):
                gid = builtin_for_dim(builder, "get_global_id", d, ndim)
                builder.store(gid, builder.gep(flag, [I64(1 + d)]))
