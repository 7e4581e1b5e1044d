"""Kernel source → the same source with a hidden work-item context, ready for numba's CPU target.

On a SYCL device the in-kernel queries are builtins of the hardware. On the
host there is no hardware work-item, so each rewritten function takes one more
parameter first, the *context* of the work-item that runs it — a tuple
``(global_id, global_range, local_id, local_range, group_id, num_groups,
work_dim)`` whose members are 3-tuples of integers (dimensions the launch lacks
hold id 0 and extent 1, which is what the queries answer there) — and:

* a call of an in-kernel query of :mod:`hetero.kernel_api` (found by resolving
  the called expression in the function's globals and closure, so
  ``get_global_id(0)``, ``hetero.get_global_id(0)`` and ``kapi.get_global_id(0)``
  all count) becomes a call of a helper reading the context;
* a call of a work-item method (``item.get_id(d)``, ``nd.get_local_id(d)``, ...)
  on a local name becomes the same helper call;
* a call of a ``@hetero.device_function`` becomes a call of that function,
  rewritten the same way, with the context passed on;
* the item parameter of an item-style kernel stays a parameter but the launcher
  passes what the item stands for: an integer in 1-D, a tuple of ids in N-D, so
  ``c[i] = a[i] + b[i]`` and ``i + 1`` are ordinary numba code;
* ``item.ndim`` becomes a constant.

In-kernel atomics (``atomic_add(array, index, value)`` ..., issue 5) become real
atomics (``atomics.py``); ``private_array(shape, dtype)`` becomes an array of the
work-item's own. Work-group features (barriers, local memory,
``AtomicRef``, groups) are found here too; the host back end does not model
work-groups yet, so they are refused with a :class:`~hetero.errors.LaunchError`
rather than run with a wrong meaning.

The rewritten function is compiled under the user's file name with the user's
line numbers, so numba's messages point at the kernel as written.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
import weakref

from .... import lang
from ....errors import KernelCompileError, KernelTypingError, WorkgroupFeatureError
from ....lang import table
from ...analysis import function_environment

CTX = "__hetero_ctx"

_NO_DIM_HELPERS = {"global_linear_id", "local_linear_id", "work_dim"}

_MISSING = object()


def _where(py_func, lineno=None) -> str:
    code = py_func.__code__
    return f"{code.co_filename}:{lineno if lineno is not None else code.co_firstlineno}"


def _parse(py_func, what: str):
    """The function's ``ast.FunctionDef`` with the user's line numbers."""
    try:
        lines, start = inspect.getsourcelines(py_func)
    except (OSError, TypeError) as exc:
        raise KernelCompileError(
            f"{what} {py_func.__name__!r} ({_where(py_func)}): the host back end compiles a kernel from its "
            "Python source, and Python cannot find the source of this function (defined with exec, "
            "`python -c` or at an interactive prompt without source?). Define it in a file or notebook "
            "cell, or run it with HETERO_KERNEL_BACKEND=interpret."
        ) from exc
    tree = ast.parse(textwrap.dedent("".join(lines)))
    ast.increment_lineno(tree, start - 1)
    fdef = tree.body[0] if tree.body else None
    if not isinstance(fdef, ast.FunctionDef) or fdef.name != py_func.__name__:
        raise KernelCompileError(
            f"{what} {py_func.__name__!r} ({_where(py_func)}): its source is not a plain `def` "
            "(a lambda or generated function?); the host back end needs a `def` statement"
        )
    fdef.decorator_list = []
    # Annotations mean nothing to numba, and may name what only a type checker imports.
    fdef.returns = None
    for a in fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs:
        a.annotation = None
    return fdef


def _local_names(fdef: ast.FunctionDef) -> set:
    names = {a.arg for a in fdef.args.posonlyargs + fdef.args.args}
    for node in ast.walk(fdef):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.Lambda, ast.ClassDef)) and node is not fdef:
            if hasattr(node, "name"):
                names.add(node.name)
    return names


class _Rewriter(ast.NodeTransformer):
    def __init__(self, py_func, what, env, locals_, item_param, ndim, nd, callee_name):
        self.py_func = py_func
        self.what = what
        self.env = env
        self.locals = locals_
        self.item_param = item_param
        self.ndim = ndim
        self.nd = nd
        self.callee_name = callee_name  # DeviceFunction → name bound in the namespace
        self.helpers_used: set = set()
        self.depth = 0
        self.device_function_type = lang.DeviceFunction

    # --- helpers ---------------------------------------------------------------------------

    def _fail(self, node, msg, cls=KernelTypingError):
        raise cls(f"{self.what} {self.py_func.__name__!r} ({_where(self.py_func, node.lineno)}): {msg}")

    def _resolve(self, node):
        if isinstance(node, ast.Name):
            if node.id in self.locals:
                return _MISSING
            if node.id in self.env:
                return self.env[node.id]
            return getattr(builtins, node.id, _MISSING)
        if isinstance(node, ast.Attribute):
            base = self._resolve(node.value)
            if base is _MISSING:
                return _MISSING
            try:
                return getattr(base, node.attr, _MISSING)
            except Exception:
                return _MISSING
        return _MISSING

    def _helper_call(self, node, helper, args):
        name = f"__hetero_ctx_{helper}"
        self.helpers_used.add(helper)
        nargs = 0 if helper in _NO_DIM_HELPERS else 1
        if len(args) != nargs or node.keywords:
            what = "no argument" if nargs == 0 else "one argument, the dimension"
            self._fail(node, f"{ast.unparse(node.func)}() takes {what}; got `{ast.unparse(node)}`")
        return ast.copy_location(ast.Call(ast.Name(name, ast.Load()), [ast.Name(CTX, ast.Load()), *args], []), node)

    # --- visitors --------------------------------------------------------------------------

    def visit_FunctionDef(self, node):
        self.depth += 1
        try:
            self.generic_visit(node)
        finally:
            self.depth -= 1
        return node

    visit_Lambda = visit_FunctionDef

    def visit_Return(self, node):
        self.generic_visit(node)
        if self.what == "kernel" and self.depth == 1 and node.value is not None:
            if not (isinstance(node.value, ast.Constant) and node.value.value is None):
                self._fail(
                    node,
                    f"a kernel returns nothing, but this one returns `{ast.unparse(node.value)}`; "
                    "write results into an array argument",
                    KernelCompileError,
                )
        return node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if (
            self.item_param is not None
            and isinstance(node.value, ast.Name)
            and node.value.id == self.item_param
            and node.attr in ("ndim", "dimensions")
            and isinstance(node.ctx, ast.Load)
        ):
            return ast.copy_location(ast.Constant(self.ndim), node)
        return node

    def _is_item(self, node) -> bool:
        return self.item_param is not None and isinstance(node, ast.Name) and node.id == self.item_param

    def _as_tuple(self, node):
        return ast.copy_location(ast.Tuple([ast.Name(self.item_param, ast.Load())], ast.Load()), node)

    def visit_Subscript(self, node):
        # A 1-D work-item is an integer here, but indexes like the 1-tuple of its id: i[0]
        self.generic_visit(node)
        if self.ndim == 1 and self._is_item(node.value) and isinstance(node.ctx, ast.Load):
            node.value = self._as_tuple(node.value)
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        target = self._resolve(func)
        short = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None

        if isinstance(target, self.device_function_type):
            name = self.callee_name(target, node)
            new = ast.Call(ast.Name(name, ast.Load()), [ast.Name(CTX, ast.Load()), *node.args], node.keywords)
            return ast.copy_location(new, node)

        row = lang.row_of(target) if target is not _MISSING else None
        if row is not None:
            if row.kind in ("query", "work_dim"):
                return self._helper_call(node, row.query or "work_dim", node.args)
            if not row.on_host:
                self._refuse_workgroup(node)
            if row.kind in ("atomic", "atomic_cas"):
                if node.keywords:  # as on every back end: atomic_<op>(array, index, value), no keywords
                    self._fail(node, f"`{ast.unparse(node)}`: {row.name} takes ({', '.join(row.params)}) "
                                     "as positional arguments only")
                self.helpers_used.add(row.name)
                new = ast.Call(ast.Name(f"__hetero_{row.name}", ast.Load()), node.args, [])
                return ast.copy_location(new, node)
            if row.kind == "private_array":
                return self._private_array(node, short)

        if target is _MISSING and isinstance(func, ast.Attribute):
            row = table.find(func.attr, "NdItem")
            if row is not None:
                if not row.on_host:
                    self._refuse_workgroup(node)
                if row.owner == "NdItem" and not self.nd:
                    self._fail(
                        node,
                        f"`{ast.unparse(node)}`: {func.attr}() is a method of an NdItem, which a kernel gets from "
                        "an NdRange launch; this launch is a Range (use get_id / get_range / get_linear_id, or "
                        "launch with hetero.NdRange(global, local))",
                    )
                if row.kind in ("query", "linear"):
                    return self._helper_call(node, row.query, node.args)
        return node

    def _refuse_workgroup(self, node):
        self._fail(
            node,
            f"`{ast.unparse(node)}` needs work-groups (barriers, local memory), which the host "
            "back end cannot run yet: running it work-item by work-item would give wrong answers. "
            "Run this kernel on a SYCL device (e.g. HETERO_DEVICE=opencl:cpu with dpnp arrays) or "
            "through the interpreter (HETERO_KERNEL_BACKEND=interpret or k.interpret[...]).",
            WorkgroupFeatureError,
        )

    def _private_array(self, node, short):
        # one array per work-item: per call on the host (each work-item is one call of the kernel)
        fill = [k.value for k in node.keywords if k.arg == "fill_zeros"] + list(node.args[2:3])
        bad = [k.arg for k in node.keywords if k.arg != "fill_zeros"]
        if len(node.args) not in (2, 3) or bad or len(fill) > 1 or (fill and not isinstance(fill[0], ast.Constant)):
            self._fail(node, f"`{ast.unparse(node)}`: write {short}(shape, dtype) or {short}(shape, dtype, "
                             "fill_zeros) with a constant fill_zeros")
        zeros = bool(fill and fill[0].value)
        self.helpers_used.add("numpy")
        func = ast.Attribute(ast.Name("__hetero_numpy", ast.Load()), "zeros" if zeros else "empty", ast.Load())
        return ast.copy_location(ast.Call(func, node.args[:2], []), node)


class Rewritten:
    """One function rewritten for the host: its new source and the names it needs bound."""

    __slots__ = ("source", "code", "callees", "helpers", "env", "name")

    def __init__(self, name, source, code, callees, helpers, env):
        self.name = name
        self.source = source
        self.code = code
        self.callees = callees  # {bound name: DeviceFunction}
        self.helpers = helpers
        self.env = env


def rewrite(py_func, *, what: str, item_style: bool, ndim: int, nd: bool) -> Rewritten:
    """Rewrite ``py_func`` (a kernel or a device function) to take the work-item context first."""
    fdef = _parse(py_func, what)
    if fdef.args.vararg or fdef.args.kwarg or fdef.args.kwonlyargs:
        raise KernelCompileError(
            f"{what} {py_func.__name__!r} ({_where(py_func)}) must take only positional parameters"
        )
    env = function_environment(py_func)
    params = fdef.args.posonlyargs + fdef.args.args
    item_param = params[0].arg if item_style and params else None
    callees: dict = {}
    by_id: dict = {}

    def callee_name(df, node):
        key = id(df)
        if key not in by_id:
            by_id[key] = f"__hetero_df_{len(by_id)}_{df.py_func.__name__}"
            callees[by_id[key]] = df
        return by_id[key]

    rw = _Rewriter(py_func, what, env, _local_names(fdef), item_param, ndim, nd, callee_name)
    fdef = rw.visit(fdef)
    target = fdef.args.posonlyargs if fdef.args.posonlyargs else fdef.args.args
    target.insert(0, ast.arg(arg=CTX))
    if item_param is not None:
        # Ids are never negative: telling LLVM inside the kernel (where numba's own optimisation of
        # the kernel sees it) drops the wrap-around of negative indices and lets a[i] vectorise.
        if ndim == 1:
            value = f"__hetero_nonneg({item_param})"
        else:
            value = "(" + "".join(f"__hetero_nonneg({item_param}[{d}]), " for d in range(ndim)) + ")"
        stmt = ast.parse(f"{item_param} = {value}").body[0]
        for node in ast.walk(stmt):
            node.lineno = node.end_lineno = fdef.lineno
            node.col_offset = node.end_col_offset = 0
        fdef.body.insert(0, stmt)
        rw.helpers_used.add("nonneg")
    module = ast.Module(body=[fdef], type_ignores=[])
    ast.fix_missing_locations(module)
    source = ast.unparse(module)
    code = compile(module, py_func.__code__.co_filename, "exec")
    return Rewritten(py_func.__name__, source, code, callees, rw.helpers_used, env)


# --- compiling rewritten functions ------------------------------------------------------------


def _helpers() -> dict:
    """numba functions reading the work-item context (see the module docstring for its layout)."""
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

    return {
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


def nonneg_intrinsic():
    """``nonneg(x)`` is ``x``, and tells LLVM that ``x >= 0`` (``llvm.assume``).

    Ids and sizes are never negative; knowing it lets LLVM drop the negative-index
    wrap-around of every ``a[i]`` and vectorise contiguous accesses (as
    ``!range`` metadata on the id builtins does on the SYCL target).
    """
    if "nonneg" in _helper_cache:
        return _helper_cache["nonneg"]
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

    _helper_cache["nonneg"] = nonneg
    return nonneg


_helper_cache: dict = {}
from ...._locks import INIT_LOCK as _lock  # noqa: E402  (one lock for all one-time work)
# device function → {(nd, options): numba dispatcher}
_device_cache: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def helpers() -> dict:
    with _lock:
        if "global_id" not in _helper_cache:
            _helper_cache.update(_helpers())
        return _helper_cache


def compile_rewritten(rw: Rewritten, *, nd: bool, jit_options: dict, _stack=()):
    """A numba dispatcher for a rewritten function, with its helpers and device functions bound."""
    from numba import njit

    ns = dict(rw.env)
    hs = helpers()
    for h in rw.helpers:
        if h == "nonneg":
            ns["__hetero_nonneg"] = nonneg_intrinsic()
        elif h == "numpy":
            import numpy

            ns["__hetero_numpy"] = numpy
        elif h.startswith("atomic_"):
            from . import atomics

            ns[f"__hetero_{h}"] = atomics.helper(h)
        else:
            ns[f"__hetero_ctx_{h}"] = hs[h]
    for name, df in rw.callees.items():
        ns[name] = device_function(df, nd=nd, jit_options=jit_options, _stack=_stack)
    exec(rw.code, ns)
    return njit(**jit_options)(ns[rw.name])


def device_function(df, *, nd: bool, jit_options: dict, _stack=()):
    """The host form of a ``@hetero.device_function`` (rewritten, compiled lazily by numba)."""
    py_func = df.py_func
    if py_func in _stack:
        chain = " → ".join(f.__name__ for f in _stack + (py_func,))
        raise KernelCompileError(
            f"device function {py_func.__name__!r} ({_where(py_func)}) calls itself ({chain}); "
            "kernels do not support recursion"
        )
    key = (nd, tuple(sorted(jit_options.items())))
    with _lock:
        per = _device_cache.setdefault(py_func, {})
        disp = per.get(key)
        if disp is None:
            rw = rewrite(py_func, what="device function", item_style=False, ndim=0, nd=nd)
            disp = compile_rewritten(rw, nd=nd, jit_options=jit_options, _stack=_stack + (py_func,))
            per[key] = disp
        return disp
