"""Kernel bytecode → numba IR with a hidden work-item context, ready for numba's CPU target.

The host back end compiles a kernel or device function from its bytecode, as
the SYCL target does, so a function whose source Python cannot find (defined
with ``exec``, ``python -c``, ``python -``, some notebook tools) compiles the
same as one in a file. numba's interpreter turns the bytecode into numba IR
(``interpret``); ``rewrite`` then changes that IR in place, before any other
pass of numba's pipeline sees it (``pipeline.py`` runs it as a pass right after
numba's own bytecode translation):

* the function takes one more parameter first, the work-item *context*
  ``__hetero_ctx`` (its layout: ``context.py``): an ``ir.Arg`` at index 0, every
  other ``ir.Arg`` shifted by one;
* a call of an in-kernel query of :mod:`hetero.kernel_api` — the called value
  resolved through the ``ir.Global`` / ``ir.FreeVar`` / ``getattr`` chain that
  defines it, so ``get_global_id(0)``, ``hetero.get_global_id(0)`` and
  ``kapi.get_global_id(0)`` all count — calls a helper of ``context.py`` with
  the context prepended to its arguments;
* a call of a work-item method (``item.get_id(d)``, ``nd.get_local_id(d)``, ...)
  on a local value becomes the same helper call;
* a call of a ``@hetero.device_function`` calls that function's host
  dispatcher (rewritten the same way) with the context passed on;
* the item parameter of an item-style kernel stays a parameter, but the task
  runner passes what the item stands for: an integer in 1-D, a tuple of ids in
  N-D, so ``c[i] = a[i] + b[i]`` and ``i + 1`` are ordinary numba code; a 1-D
  item still indexes and unpacks like the 1-tuple of its id (``i[0]``,
  ``(x,) = i``), and ``item.ndim`` becomes a constant;
* in-kernel atomics (``atomic_add(array, index, value)`` ...) call real atomics
  (``atomics.py``); ``private_array(shape, dtype)`` becomes an array of the
  work-item's own (``numpy.empty`` / ``numpy.zeros``, once per work-item call).

Work-group features (barriers, local memory, ``AtomicRef``, groups) are found
here too; the host back end does not model work-groups yet, so they are
refused with a :class:`~hetero.errors.LaunchError` rather than run with a wrong
meaning. Every statement keeps the ``loc`` numba gave it from the bytecode, so
numba's messages, and the ones here, name the user's file and line.
"""

from __future__ import annotations

from .... import lang
from ....errors import KernelCompileError, KernelTypingError, WorkgroupFeatureError
from ....lang import table
from . import context

CTX = "__hetero_ctx"

_MISSING = object()

_OPERATORS = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "floordiv": "//", "mod": "%", "pow": "**",
              "iadd": "+=", "isub": "-=", "imul": "*=", "itruediv": "/=", "ifloordiv": "//=", "imod": "%=",
              "and_": "&", "or_": "|", "xor": "^", "lshift": "<<", "rshift": ">>", "matmul": "@",
              "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}


def _where(py_func, lineno=None) -> str:
    code = py_func.__code__
    return f"{code.co_filename}:{lineno if lineno is not None else code.co_firstlineno}"


def check_parameters(py_func, what: str) -> None:
    """A kernel or device function takes positional parameters only (the context goes first)."""
    import inspect

    code = py_func.__code__
    if code.co_kwonlyargcount or code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        raise KernelCompileError(
            f"{what} {py_func.__name__!r} ({_where(py_func)}) must take only positional parameters"
        )


def interpret(py_func):
    """numba IR of ``py_func``, built from its bytecode (as numba's ``TranslateByteCode`` pass does)."""
    from numba.core import bytecode, interpreter

    func_id = bytecode.FunctionIdentity.from_function(py_func)
    return interpreter.Interpreter(func_id).interpret(bytecode.ByteCode(func_id))


def rewrite(func_ir, *, what: str, item_style: bool, ndim: int, nd: bool, callee) -> None:
    """Rewrite ``func_ir`` (a kernel's or device function's) in place to take the work-item context first.

    ``callee(device_function)`` gives the host dispatcher a call of that
    ``@hetero.device_function`` is to call.
    """
    _Rewriter(func_ir, what, item_style, ndim, nd, callee).run()


class _Rewriter:
    def __init__(self, func_ir, what, item_style, ndim, nd, callee):
        from numba.core import ir

        self.ir = ir
        self.func_ir = func_ir
        self.py_func = func_ir.func_id.func
        self.what = what
        self.ndim = ndim
        self.nd = nd
        self.callee = callee
        self.defs = func_ir._definitions  # as numba's interpreter built them: name → [value, ...]
        names = tuple(func_ir.arg_names)
        self.item = names[0] if item_style and names else None
        self.scope = func_ir.blocks[min(func_ir.blocks)].scope
        self.ntemps = 0

    # --- the IR ----------------------------------------------------------------------------

    def run(self):
        ir = self.ir
        fir = self.func_ir
        loc = fir.loc
        self.ctx = self.scope.redefine(CTX, loc)
        refused = []
        for block in fir.blocks.values():
            body = []
            for stmt in block.body:
                try:
                    self._statement(stmt, body)
                except _Refusal as r:
                    refused.append(r)
            block.body = body
        if refused:
            # the first in the source, not in the bytecode (which evaluates `a[f()] = g()` g first)
            first = min(refused, key=lambda r: (r.line is None, r.line or 0))
            raise first.error

        entry = fir.blocks[min(fir.blocks)]
        body = [ir.Assign(ir.Arg(CTX, 0, loc), self.ctx, loc)]
        for stmt in entry.body:
            if isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.Arg):
                stmt.value.index += 1
                if stmt.value.name == self.item:
                    body += self._nonneg_item(stmt)
                    continue
            body.append(stmt)
        entry.body = body
        fir.arg_count += 1
        fir.arg_names = (CTX,) + tuple(fir.arg_names)
        self._drop_dead()
        from numba.core.ir_utils import build_definitions

        fir._definitions = build_definitions(fir.blocks)

    def _nonneg_item(self, arg_stmt):
        # Ids are never negative: telling LLVM inside the kernel (where numba's own optimisation of
        # the kernel sees it) drops the wrap-around of negative indices and lets a[i] vectorise.
        ir = self.ir
        loc = arg_stmt.loc
        item_var = arg_stmt.target
        raw = self._temp(loc)
        out = [ir.Assign(arg_stmt.value, raw, loc)]
        nonneg = self._global("__hetero_nonneg", context.nonneg_intrinsic(), loc, out)
        if self.ndim == 1:
            out.append(ir.Assign(ir.Expr.call(nonneg, [raw], (), loc), item_var, loc))
            return out
        ids = []
        for d in range(self.ndim):
            part, v = self._temp(loc), self._temp(loc)
            out.append(ir.Assign(ir.Expr.static_getitem(raw, d, None, loc), part, loc))
            out.append(ir.Assign(ir.Expr.call(nonneg, [part], (), loc), v, loc))
            ids.append(v)
        out.append(ir.Assign(ir.Expr.build_tuple(ids, loc), item_var, loc))
        return out

    def _statement(self, stmt, out):
        ir = self.ir
        if isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.Expr):
            expr = stmt.value
            if expr.op == "call":
                self._call(expr, out)
            elif expr.op == "getattr" and self._is_item(expr.value) and expr.attr in ("ndim", "dimensions"):
                stmt.value = ir.Const(self.ndim, expr.loc)
            elif expr.op in ("getitem", "static_getitem", "exhaust_iter") and self.ndim == 1 \
                    and self._is_item(expr.value):
                # a 1-D work-item is an integer here, but indexes and unpacks like the 1-tuple of its id
                t = self._temp(expr.loc)
                out.append(ir.Assign(ir.Expr.build_tuple([expr.value], expr.loc), t, expr.loc))
                expr.value = t
        elif isinstance(stmt, ir.Return) and self.what == "kernel":
            value = self._follow(stmt.value)
            if not (isinstance(value, ir.Const) and value.value is None):
                self._fail(
                    stmt.loc,
                    f"a kernel returns nothing, but this one returns `{self._text(stmt.value)}`; "
                    "write results into an array argument",
                    KernelCompileError,
                )
        out.append(stmt)

    def _call(self, expr, out):
        loc = expr.loc
        target = self._value_of(expr.func)
        if isinstance(target, lang.DeviceFunction):
            expr.func = self._global(f"__hetero_df_{target.py_func.__name__}", self.callee(target), loc, out)
            expr.args = [self.ctx, *expr.args]
            return
        row = lang.row_of(target) if target is not _MISSING else None
        if row is not None:
            if row.kind in ("query", "work_dim"):
                self._helper_call(expr, row.query or "work_dim", out)
                return
            if not row.on_host:
                self._refuse_workgroup(expr)
            if row.kind in ("atomic", "atomic_cas"):
                if expr.kws or expr.vararg is not None:  # as on every back end: positional arguments only
                    self._fail(loc, f"`{self._text_call(expr)}`: {row.name} takes ({', '.join(row.params)}) "
                                    "as positional arguments only")
                from . import atomics

                expr.func = self._global(f"__hetero_{row.name}", atomics.helper(row.name), loc, out)
                return
            if row.kind == "private_array":
                self._private_array(expr, out)
                return
        if target is _MISSING:
            d = self._definition(expr.func)
            if isinstance(d, self.ir.Expr) and d.op == "getattr" and self._value_of(d.value) is _MISSING:
                row = table.find(d.attr, "NdItem")  # a method called on a local value: a work-item's?
                if row is not None:
                    if not row.on_host:
                        self._refuse_workgroup(expr)
                    if row.owner == "NdItem" and not self.nd:
                        self._fail(
                            loc,
                            f"`{self._text_call(expr)}`: {d.attr}() is a method of an NdItem, which a kernel gets "
                            "from an NdRange launch; this launch is a Range (use get_id / get_range / "
                            "get_linear_id, or launch with hetero.NdRange(global, local))",
                        )
                    if row.kind in ("query", "linear"):
                        self._helper_call(expr, row.query, out)

    def _helper_call(self, expr, helper, out):
        nargs = 0 if helper in context.NO_DIM else 1
        if len(expr.args) != nargs or expr.kws or expr.vararg is not None:
            what = "no argument" if nargs == 0 else "one argument, the dimension"
            self._fail(expr.loc, f"{self._text(expr.func)}() takes {what}; got `{self._text_call(expr)}`")
        expr.func = self._global(f"__hetero_ctx_{helper}", context.helpers()[helper], expr.loc, out)
        expr.args = [self.ctx, *expr.args]

    def _private_array(self, expr, out):
        import numpy

        # one array per work-item: per call on the host (each work-item is one call of the kernel)
        args, kws = list(expr.args), dict(expr.kws)
        fill = ([kws["fill_zeros"]] if "fill_zeros" in kws else []) + args[2:3]
        const = [self._follow(v) for v in fill]
        if (len(args) not in (2, 3) or set(kws) - {"fill_zeros"} or len(fill) > 1 or expr.vararg is not None
                or not all(isinstance(c, self.ir.Const) for c in const)):
            short = self._text(expr.func)
            self._fail(expr.loc, f"`{self._text_call(expr)}`: write {short}(shape, dtype) or {short}(shape, dtype, "
                                 "fill_zeros) with a constant fill_zeros")
        zeros = bool(const and const[0].value)
        fn = numpy.zeros if zeros else numpy.empty
        expr.func = self._global(f"__hetero_numpy_{fn.__name__}", fn, expr.loc, out)
        expr.args = args[:2]
        expr.kws = ()

    def _refuse_workgroup(self, expr):
        self._fail(
            expr.loc,
            f"`{self._text_call(expr)}` needs work-groups (barriers, local memory), which the host "
            "back end cannot run yet: running it work-item by work-item would give wrong answers. "
            "Run this kernel on a SYCL device (e.g. HETERO_DEVICE=opencl:cpu with dpnp arrays) or "
            "through the interpreter (HETERO_KERNEL_BACKEND=interpret or k.interpret[...]).",
            WorkgroupFeatureError,
        )

    def _drop_dead(self):
        # The rewritten calls no longer use the globals / attribute loads that named what they called
        # (``kapi.get_global_id``, ``item.get_id``); numba would still type those — and cannot — so drop
        # every such load nothing uses. They have no side effects.
        ir = self.ir
        while True:
            used = set()
            for block in self.func_ir.blocks.values():
                for stmt in block.body:
                    target = stmt.target if isinstance(stmt, ir.Assign) else None
                    used.update(v.name for v in stmt.list_vars() if v is not target)
            dropped = False
            for block in self.func_ir.blocks.values():
                keep = [s for s in block.body if not (
                    isinstance(s, ir.Assign) and s.target.name not in used
                    and (isinstance(s.value, (ir.Global, ir.FreeVar))
                         or (isinstance(s.value, ir.Expr) and s.value.op == "getattr")))]
                dropped |= len(keep) != len(block.body)
                block.body = keep
            if not dropped:
                return

    # --- values and names ------------------------------------------------------------------

    def _temp(self, loc):
        while True:
            self.ntemps += 1
            name = f"$hetero{self.ntemps}"
            if name not in self.scope.localvars:
                return self.scope.define(name, loc)

    def _global(self, name, value, loc, out):
        var = self._temp(loc)
        out.append(self.ir.Assign(self.ir.Global(name, value, loc), var, loc))
        return var

    def _is_item(self, var) -> bool:
        return self.item is not None and var.name == self.item

    def _definition(self, var):
        """The one value assigned to ``var`` (through plain copies), or None."""
        for _ in range(100):
            defs = self.defs.get(var.name, ())
            if len(defs) != 1:
                return None
            d = defs[0]
            if not isinstance(d, self.ir.Var):
                return d
            var = d
        return None

    def _follow(self, var):
        d = self._definition(var)
        while isinstance(d, self.ir.Expr) and d.op == "cast":
            d = self._definition(d.value)
        return d

    def _value_of(self, var):
        """The Python object ``var`` names (a global, a closure cell, attributes of those), or _MISSING."""
        ir = self.ir
        d = self._definition(var)
        if isinstance(d, (ir.Global, ir.FreeVar)):
            return _MISSING if d.value is ir.UNDEFINED else d.value
        if isinstance(d, ir.Expr) and d.op == "getattr":
            base = self._value_of(d.value)
            if base is _MISSING:
                return _MISSING
            try:
                return getattr(base, d.attr, _MISSING)
            except Exception:
                return _MISSING
        return _MISSING

    def _text(self, var, depth=0) -> str:
        """``var`` as the user wrote it, as far as the IR tells (for messages)."""
        ir = self.ir
        if not var.name.startswith("$"):
            return var.name
        d = self._definition(var)
        if depth > 8 or d is None:
            return "..."
        if isinstance(d, ir.Const):
            return repr(d.value)
        if isinstance(d, (ir.Global, ir.FreeVar)):
            return d.name
        if isinstance(d, ir.Expr):
            if d.op == "getattr":
                return f"{self._text(d.value, depth + 1)}.{d.attr}"
            if d.op == "cast":
                return self._text(d.value, depth + 1)
            if d.op == "build_tuple":
                items = [self._text(v, depth + 1) for v in d.items]
                return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
            if d.op == "call":
                return self._text_call(d, depth + 1)
            if d.op in ("getitem", "static_getitem"):
                index = self._text(d.index, depth + 1) if d.op == "getitem" else repr(d.index)
                return f"{self._text(d.value, depth + 1)}[{index}]"
            if d.op in ("binop", "inplace_binop"):
                op = _OPERATORS.get(getattr(d.fn, "__name__", ""), "?")
                return f"{self._text(d.lhs, depth + 1)} {op} {self._text(d.rhs, depth + 1)}"
        return "..."

    def _text_call(self, expr, depth=0) -> str:
        parts = [self._text(a, depth + 1) for a in expr.args]
        if expr.vararg is not None:
            parts.append("*" + self._text(expr.vararg, depth + 1))
        parts += [f"{k}={self._text(v, depth + 1)}" for k, v in expr.kws]
        return f"{self._text(expr.func, depth + 1)}({', '.join(parts)})"

    def _fail(self, loc, msg, cls=KernelTypingError):
        line = getattr(loc, "line", None)
        raise _Refusal(line, cls(f"{self.what} {self.py_func.__name__!r} ({_where(self.py_func, line)}): {msg}"))


class _Refusal(Exception):
    def __init__(self, line, error):
        super().__init__(str(error))
        self.line = line
        self.error = error
