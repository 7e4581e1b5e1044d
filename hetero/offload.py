"""``hetero.jit`` on device data: each ``prange`` loop a kernel on the data's device.

A ``@hetero.jit`` function called with NumPy arrays is numba's ``njit(parallel=True)``,
unchanged. Called with device arrays (dpnp / ``usm_ndarray``), or with NumPy arrays
inside an explicit ``with hetero.device(X):`` scope naming a SYCL device, it runs on
that device:

* the function is split (once, from its source) into a *driver* — the function
  itself, run as Python, with each ``prange`` loop replaced by a launch — and one
  ``@hetero.kernel`` per ``prange`` loop (perfectly nested ``prange`` loops give a
  2-D or 3-D range). A loop body may use the whole kernel language; it is compiled
  by hetero's SPIR-V compiler, cached in memory and on disk like any kernel, and
  ordered with dpnp work on the same arrays;
* a scalar that a loop body only accumulates (``s += e``, ``-=``, ``*=``,
  ``s = min(s, e)``, ``max``) is a *reduction*: each iteration writes its
  contribution into a device array of the accumulator's numba type (numba types
  the loop body to find it), which dpnp then reduces on the device; the result is
  combined with the value before the loop. Integers give the sequential result
  exactly, floats within rounding;
* between loops the driver runs as Python on the host, with ``np.<function>`` of
  the function's NumPy module turned into dpnp on the call's queue (``np.zeros(n)``
  allocates there, ``np.sqrt(x)`` runs there); array expressions (``a + b``,
  ``x.sum()``) are dpnp's own. Returned arrays are device arrays on that queue.

Nothing falls back to the host silently: device arrays mixed with NumPy arrays,
or on different queues, are a :class:`~hetero.errors.PlacementError`; a construct
the split cannot honour (``break``/``return`` in a ``prange`` body, a variable
assigned in a body and read after the loop) is a
:class:`~hetero.errors.KernelCompileError` naming the function, file and line.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
import threading
import types as pytypes

import numpy as np

from . import _sycl
from ._arrays import is_device_array
from ._device import _scope
from .errors import KernelCompileError, PlacementError

__all__ = ["jit", "JitFunction", "split"]

_HOST_SCALARS = (bool, int, float, complex, np.generic)



def _where(py_func, node=None) -> str:
    code = py_func.__code__
    return f"{code.co_filename}:{node.lineno if node is not None else code.co_firstlineno}"


# --- splitting a function into a driver and loop kernels -------------------------------------


class Loop:
    """One outlined ``prange`` loop nest; its kernels are made per launch kind (``kernel_for``)."""

    __slots__ = ("index", "name", "py_func", "body", "indices", "params", "reductions", "ndim", "lineno",
                 "probe_source", "free", "modules", "dpnp_names", "_probes", "_kernels", "_lock")

    def __init__(self, index, name, py_func, body, indices, params, reductions, lineno, probe_source):
        self.index = index
        self.name = name
        self.py_func = py_func
        self.body = body  # the loop body's statements (AST), the user's line numbers
        self.indices = indices  # the loop variables, outermost first
        self.params = params  # the driver's names the body reads
        self.reductions = reductions  # [(name, op)]
        self.ndim = len(indices)
        self.lineno = lineno
        self.probe_source = probe_source
        self.free: tuple = ()  # the enclosing function's variables the body reads (closure cells)
        self.modules: dict = {}  # numpy / dpnp imported inside the function and read by the body
        self.dpnp_names: frozenset = frozenset()  # names of the dpnp module (NumPy's in the host probe)
        self._probes: dict = {}
        self._kernels: dict = {}
        self._lock = threading.Lock()

    def kernel_for(self, fixed, dtypes: tuple):
        """The kernel for these bounds — ``fixed``, ((start, step) per dimension) built in as
        constants, or None: passed as arguments — and these accumulator dtypes."""
        key = (fixed, dtypes)
        k = self._kernels.get(key)
        if k is None:
            with self._lock:
                k = self._kernels.get(key)
                if k is None:
                    k = self._kernels[key] = _make_kernel(self, fixed, dtypes)
        return k

    @property
    def source(self) -> str:
        """The kernel's source for the common case (bounds from 0 in steps of 1)."""
        dts = tuple(np.dtype("float64") for _ in self.reductions)
        return _kernel_source(self, ((0, 1),) * self.ndim, dts)[0]


class Split:
    """A function split for a device: the driver's code and its loops."""

    __slots__ = ("driver_code", "driver_source", "loops")

    def __init__(self, driver_code, driver_source, loops):
        self.driver_code = driver_code
        self.driver_source = driver_source
        self.loops = loops


def _is_prange(node, env) -> bool:
    """Whether ``node`` (the iterator of a ``for``) is a call of numba's / hetero's ``prange``."""
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    value = None
    if isinstance(f, ast.Name):
        value = env.get(f.id, getattr(builtins, f.id, None))
    elif isinstance(f, ast.Attribute) and f.attr == "prange":
        return True  # hetero.prange, numba.prange, ht.prange ...
    if value is None:
        return False
    return getattr(value, "__name__", "") == "prange" or type(value).__name__ == "prange"


def _names(nodes, ctx) -> set:
    out = set()
    for n in nodes:
        for sub in ast.walk(n):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ctx):
                out.add(sub.id)
    return out


def _assigned(fdef) -> set:
    names = {a.arg for a in fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs}
    if fdef.args.vararg:
        names.add(fdef.args.vararg.arg)
    if fdef.args.kwarg:
        names.add(fdef.args.kwarg.arg)
    return names | _names(fdef.body, (ast.Store, ast.Del))


_ADDITIVE = (ast.Add, ast.Sub)
_MULTIPLICATIVE = (ast.Mult, ast.Div)


def _reduction(stmt, name):
    """The kind ("+", "*", "min", "max") when ``stmt`` accumulates into ``name``, else None:
    ``s += e``, ``s -= e``, ``s *= e``, ``s /= e``, ``s = s + e`` (or ``e + s``), ``s = s - e``,
    ``s = s * e`` (or ``e * s``), ``s = s / e``, ``s = min(s, e)``, ``s = max(e, s)``."""

    def kind(op):
        return "+" if isinstance(op, _ADDITIVE) else "*" if isinstance(op, _MULTIPLICATIVE) else None

    def is_s(node):
        return isinstance(node, ast.Name) and node.id == name

    if isinstance(stmt, ast.AugAssign) and is_s(stmt.target):
        k = kind(stmt.op)
        return k if k and name not in _names([stmt.value], ast.Load) else None
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and is_s(stmt.targets[0])):
        return None
    v = stmt.value
    if isinstance(v, ast.BinOp) and kind(v.op):
        commutes = isinstance(v.op, (ast.Add, ast.Mult))
        other = v.right if is_s(v.left) else v.left if (commutes and is_s(v.right)) else None
        if other is not None and name not in _names([other], ast.Load):
            return kind(v.op)
        return None
    if (isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id in ("min", "max")
            and len(v.args) == 2 and not v.keywords):
        a, b = v.args
        other = b if is_s(a) else a if is_s(b) else None
        if other is not None and name not in _names([other], ast.Load):
            return v.func.id
    return None


def _loaded(node, name) -> bool:
    return name in _names([node], ast.Load)


def _first(stmts, name):
    """What running ``stmts`` in order does to ``name`` first: "read" (its value may be used),
    "kill" (it is always assigned before any read), or None (neither, on some path)."""
    for st in stmts:
        r = _effect(st, name)
        if r is not None:
            return r
    return None


def _effect(st, name):
    if isinstance(st, (ast.Assign, ast.AnnAssign)):
        targets = st.targets if isinstance(st, ast.Assign) else [st.target]
        if (st.value is not None and _loaded(st.value, name)) or any(_loaded(t, name) for t in targets):
            return "read"
        if st.value is not None and name in _names(targets, ast.Store):  # x = ..., x, y = ...
            return "kill"
        return None
    if isinstance(st, ast.AugAssign):
        if (isinstance(st.target, ast.Name) and st.target.id == name) or _loaded(st, name):
            return "read"
        return None
    if isinstance(st, ast.For) and name in _names([st.target], ast.Store):
        return "read" if _loaded(st.iter, name) else None  # the loop's own variable inside it
    if isinstance(st, (ast.For, ast.While)):
        head = st.iter if isinstance(st, ast.For) else st.test
        if _loaded(head, name) or "read" in (_first(st.body, name), _first(st.orelse, name)):
            return "read"
        return None  # a loop may run no iteration: nothing in it always happens
    if isinstance(st, ast.If):
        if _loaded(st.test, name):
            return "read"
        b, o = _first(st.body, name), _first(st.orelse, name)
        if "read" in (b, o):
            return "read"
        return "kill" if b == o == "kill" else None
    return "read" if _loaded(st, name) else None


def _live(stmts, name) -> bool:
    """Whether ``name``'s current value may be read by ``stmts`` (run in order)."""
    return _first(stmts, name) == "read"


class _Splitter:
    def __init__(self, py_func, fdef, env):
        self.py_func = py_func
        self.fdef = fdef
        self.env = env
        # `import numpy as np` / `import dpnp` inside the function: module names, not variables
        self.modules = {a.asname or a.name: a.name for node in ast.walk(fdef) if isinstance(node, ast.Import)
                        for a in node.names if a.name in ("numpy", "dpnp")}
        self.locals = _assigned(fdef) - set(self.modules)
        self.loops: list = []

    def fail(self, node, msg):
        raise KernelCompileError(f"jit function {self.py_func.__name__!r} ({_where(self.py_func, node)}): {msg}")

    # the statements after a loop, to see what a loop body may not assign
    def split_body(self, body, live_after_body):
        """``body`` with its prange loops outlined. ``live_after_body(name)``: whether the code that
        runs after ``body`` may read ``name``'s value (for a loop's body: its next iteration too)."""
        out = []
        for k, stmt in enumerate(body):
            tail = body[k + 1:]

            def live_after(n, tail=tail):
                r = _first(tail, n)
                return r == "read" or (r is None and live_after_body(n))

            if isinstance(stmt, ast.For) and _is_prange(stmt.iter, self.env):
                out.extend(self.outline(stmt, live_after))
                continue
            if isinstance(stmt, (ast.For, ast.While)):
                def live_in_loop(n, stmt=stmt, after=live_after):
                    if isinstance(stmt, ast.While) and _loaded(stmt.test, n):
                        return True
                    return _first(stmt.body, n) == "read" or after(n)  # the next iteration, or after the loop

                stmt.body = self.split_body(stmt.body, live_in_loop)
                stmt.orelse = self.split_body(stmt.orelse, live_after)
            elif isinstance(stmt, (ast.If, ast.With, ast.Try)):
                for field in ("body", "orelse", "finalbody"):
                    inner = getattr(stmt, field, None)
                    if inner:
                        setattr(stmt, field, self.split_body(inner, live_after))
                for h in getattr(stmt, "handlers", ()):
                    h.body = self.split_body(h.body, live_after)
            out.append(stmt)
        return out

    def outline(self, loop, live_after):
        # perfectly nested prange loops → one multi-dimensional range
        nest = [loop]
        while (len(nest[-1].body) == 1 and isinstance(nest[-1].body[0], ast.For)
               and _is_prange(nest[-1].body[0].iter, self.env) and len(nest) < 3):
            nest.append(nest[-1].body[0])
        body = nest[-1].body
        for lp in nest:
            if not isinstance(lp.target, ast.Name):
                self.fail(lp, "a prange loop variable must be a plain name")
            if lp.orelse:
                self.fail(lp, "a prange loop cannot have an `else:` clause")
            if lp.iter.keywords or not 1 <= len(lp.iter.args) <= 3:
                self.fail(lp, "write prange(stop), prange(start, stop) or prange(start, stop, step)")
        for sub in ast.walk(ast.Module(body=body, type_ignores=[])):
            if isinstance(sub, (ast.Return, ast.Yield, ast.YieldFrom)):
                self.fail(sub, "a prange loop body cannot `return` or `yield`: each iteration is a work-item")
            if isinstance(sub, (ast.Break, ast.Continue)) and not self._inside_inner_loop(body, sub):
                self.fail(sub, "`break`/`continue` of a prange loop itself: each iteration is a work-item "
                               "(use an if)")
            if isinstance(sub, (ast.Global, ast.Nonlocal)):
                self.fail(sub, "a prange loop body cannot declare global/nonlocal names")
        indices = [lp.target.id for lp in nest]
        stored = _names(body, ast.Store) - set(indices)
        reads = _names(body, ast.Load)
        outer = self.assigned_outside(loop) - set(indices) - set(self.modules)  # the driver's own variables
        # reductions: driver variables the body only accumulates into
        reductions = []
        # numba's rule: a variable the body assigns is each iteration's own (private), unless every
        # use of it in the body is one kind of reduction of a variable the function has before the loop
        private = set()
        for name in sorted(stored):
            statements = [st for st in ast.walk(ast.Module(body=body, type_ignores=[])) if isinstance(st, ast.stmt)
                          and not isinstance(st, (ast.If, ast.For, ast.While, ast.With, ast.Try))
                          and (_loaded(st, name) or name in _names([st], ast.Store))]
            kinds = {_reduction(st, name) for st in statements}
            if name in outer and None not in kinds:
                if len(kinds) == 1:
                    reductions.append((name, kinds.pop()))
                    continue
                self.fail(loop, f"`{name}` is accumulated in the prange loop by two kinds of reduction; a "
                                f"reduction variable takes one kind of update only (`{name} += ...`, `-=`, `*=`, "
                                f"`/=`, `{name} = min({name}, ...)`, `max`)")
            private.add(name)
            first_store = next((st for st in statements if name in _names([st], ast.Store)), loop)
            if _live(body, name):
                self.fail(first_store, f"`{name}` is read in the prange loop before the loop assigns it; each "
                                       "iteration has its own, so it has no value there (assign it first in the "
                                       "loop, or use another name for the function's variable)")
            if live_after(name):
                self.fail(first_store, f"`{name}` is assigned inside the prange loop and read after it; each "
                                       "iteration has its own, so there is no value after the loop. Only a reduction "
                                       f"(`{name} += ...`, `-=`, `*=`, `/=`, `{name} = min({name}, ...)`, `max`) "
                                       "carries a value out of a prange loop")
        red_names = {r[0] for r in reductions}
        params = sorted((reads & outer) - private - red_names)  # what the body reads of the driver's values
        # the bounds are evaluated by the driver
        bounds = []
        for lp in nest:
            a = lp.iter.args
            start, stop, step = (ast.Constant(0), a[0], ast.Constant(1)) if len(a) == 1 else (
                (a[0], a[1], ast.Constant(1)) if len(a) == 2 else (a[0], a[1], a[2]))
            bounds.append((start, stop, step))
        index = len(self.loops)
        kname = f"{self.py_func.__name__}__prange{index}"
        import copy

        probe = self.make_probe(kname, nest, body, indices, params, reductions) if reductions else None
        self.loops.append(Loop(index, kname, self.py_func, [copy.deepcopy(st) for st in body], indices, params,
                               reductions, loop.lineno, probe))
        # the driver's statement: s1, s2 = __hetero_loop(index, bounds, (params), (reductions))
        call = ast.Call(
            func=ast.Name("__hetero_loop", ast.Load()),
            args=[ast.Constant(index),
                  ast.Tuple([ast.Tuple(list(b), ast.Load()) for b in bounds], ast.Load()),
                  ast.Tuple([ast.Name(p, ast.Load()) for p in params], ast.Load()),
                  ast.Tuple([ast.Name(r, ast.Load()) for r, _ in reductions], ast.Load())],
            keywords=[])
        if reductions:
            target = ast.Tuple([ast.Name(r, ast.Store()) for r, _ in reductions], ast.Store())
            stmt = ast.Assign(targets=[target], value=call)
        else:
            stmt = ast.Expr(call)
        ast.copy_location(stmt, loop)
        ast.fix_missing_locations(stmt)
        for sub in ast.walk(stmt):
            sub.lineno, sub.col_offset = loop.lineno, loop.col_offset
        return [stmt]

    def assigned_outside(self, loop) -> set:
        """The function's parameters and the names it assigns anywhere but inside ``loop``."""
        fa = self.fdef.args
        names = {a.arg for a in fa.posonlyargs + fa.args + fa.kwonlyargs}
        names |= {a.arg for a in (fa.vararg, fa.kwarg) if a is not None}
        todo = list(self.fdef.body)
        while todo:
            node = todo.pop()
            if node is loop:
                continue
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                names.add(node.id)
            todo.extend(ast.iter_child_nodes(node))
        return names

    @staticmethod
    def _inside_inner_loop(body, target):
        for node in ast.walk(ast.Module(body=body, type_ignores=[])):
            if isinstance(node, (ast.For, ast.While)) and any(s is target for s in ast.walk(node)):
                return True
        return False

    def make_probe(self, name, nest, body, indices, params, reductions):
        """Source of a host function numba types to learn each accumulator's type."""
        import copy

        red = dict(reductions)

        class Acc(ast.NodeTransformer):
            def visit_Name(self, node):
                if node.id in red:
                    return ast.copy_location(ast.Name(f"__hetero_acc_{node.id}", node.ctx), node)
                return node

        lines = [f"def {name}__probe({', '.join([*params, *[f'__hetero_s_{r}' for r in red]])}):"]
        lines += [f"    __hetero_acc_{r} = __hetero_s_{r}" for r in red]
        depth = 1
        for d, idx in enumerate(indices):
            lines.append("    " * depth + f"for {idx} in range(1):")
            depth += 1
        lines.append("    " * depth + "pass")
        lines.append("    return (" + "".join(f"__hetero_acc_{r}, " for r in red) + ")")
        fdef = ast.parse("\n".join(lines)).body[0]
        inner = fdef
        for _ in indices:
            inner = [s for s in (inner.body if hasattr(inner, "body") else []) if isinstance(s, ast.For)][0]
        inner.body = [Acc().visit(copy.deepcopy(s)) for s in body]
        for node in ast.walk(fdef):
            if hasattr(node, "lineno"):
                node.lineno = node.end_lineno = nest[0].lineno
        ast.fix_missing_locations(fdef)
        return ast.unparse(fdef)


# --- the kernels of a loop ---------------------------------------------------------------------

GROUP = 64  # work-items per group of a reduction kernel
# iterations per work-item of a reduction kernel: a loop of constant trip count, which the device compiler
# unrolls and vectorises across work-items (measured on opencl:cpu, sum of 2^24 float32: a loop over a
# run-time count of iterations ran ~0.25x dpnp.sum, one iteration per work-item 0.18x, 4 per work-item
# 1.0-1.1x, 16 per work-item 1.1-2.2x)
PER_ITEM = 16
_FIXED_MAX = 16  # starts and steps up to this are compiled in (a kernel per value), larger ones passed
_P = "__hetero_"


def _index(idx: str, w: str, d: int, fixed) -> str:
    """``idx = <the loop variable for iteration w>``: with ``fixed`` bounds as constants, so that the
    device compiler sees a non-negative index (an unknown start is signed: the negative-index
    wrap-around select stays in the code and blocks vectorisation; measured 0.24x)."""
    if fixed is None:
        return f"{idx} = {_P}start{d} + ({w}) * {_P}step{d}"
    start, step = fixed[d]
    scaled = w if step == 1 else f"({w}) * {step}"
    return f"{idx} = {scaled}" if start == 0 else f"{idx} = {start} + {scaled}"


def _index_lines(loop, fixed, flat: str, counts: list, indent: str) -> list:
    """Lines setting the loop variables from the flat iteration number ``flat``."""
    nd = loop.ndim
    lines = []
    if nd == 1:
        parts = [flat]
    elif nd == 2:
        lines.append(f"{indent}{_P}w0 = {flat} // {counts[1]}")
        parts = [f"{_P}w0", f"{flat} - {_P}w0 * {counts[1]}"]
    else:
        lines += [f"{indent}{_P}w0 = {flat} // ({counts[1]} * {counts[2]})",
                  f"{indent}{_P}r = {flat} - {_P}w0 * ({counts[1]} * {counts[2]})",
                  f"{indent}{_P}w1 = {_P}r // {counts[2]}"]
        parts = [f"{_P}w0", f"{_P}w1", f"{_P}r - {_P}w1 * {counts[2]}"]
    for d, (idx, w) in enumerate(zip(loop.indices, parts)):
        lines.append(indent + _index(idx, w, d, fixed))
    return lines


class _Accumulate(ast.NodeTransformer):
    """Each reduction variable ``s`` of a body → its work-item's accumulator ``acc_s``: every use of
    ``s`` in the body is a reduction statement, which then updates the accumulator the same way
    (``acc_s -= e``, ``acc_s = min(acc_s, e)`` ...); the partials combine with ``s``'s value before
    the loop by the kind's operation (``+`` for ``+ -``, ``*`` for ``* /``, ``min``, ``max``)."""

    def __init__(self, reductions):
        self.red = dict(reductions)

    def visit_Name(self, node):
        if node.id in self.red:
            return ast.copy_location(ast.Name(f"{_P}acc_{node.id}", node.ctx), node)
        return node


def _closure(py_func) -> dict:
    """The current values of ``py_func``'s closure cells, by name (an empty cell is left out)."""
    out = {}
    for name, cell in zip(py_func.__code__.co_freevars, py_func.__closure__ or ()):
        try:
            out[name] = cell.cell_contents
        except ValueError:
            pass
    return out


def _kernel_source(loop, fixed, dtypes: tuple) -> tuple[str, ast.FunctionDef]:
    """(source, AST) of the factory ``def make(...): def kernel(...): ...; return kernel``.

    Without reductions: a kernel over the loop's range, one work-item per iteration. With
    reductions: an NdRange kernel of groups of GROUP work-items, each running PER_ITEM iterations
    ``g, g + G, ...`` into private accumulators, then a tree reduction in local memory and one
    partial per group.
    """
    import copy

    nd = loop.ndim
    bounds = [] if fixed is not None else [f"{_P}{k}{d}" for d in range(nd) for k in ("start", "step")]
    body = [copy.deepcopy(st) for st in loop.body]
    red = loop.reductions
    if not red:
        w = f"{_P}w"
        args = [w, *bounds, *loop.params]
        head = [f"def {loop.name}({', '.join(args)}):"]
        parts = [w] if nd == 1 else [f"{w}[{d}]" for d in range(nd)]
        for d, (idx, wd) in enumerate(zip(loop.indices, parts)):
            head.append("    " + _index(idx, wd, d, fixed))
        factory_args = []
        tail: list = []
        inner_indent = "    "
    else:
        body = [_Accumulate(red).visit(st) for st in body]
        counts = [f"{_P}c{d}" for d in range(nd)]
        args = [f"{_P}it", f"{_P}n", *counts[1:], *bounds, *loop.params, *[f"{_P}init_{r}" for r, _ in red],
                *[f"{_P}p_{r}" for r, _ in red]]
        head = [f"def {loop.name}({', '.join(args)}):",
                f"    {_P}l = {_P}it.get_local_id(0)"]
        head += [f"    {_P}acc_{r} = {_P}init_{r}" for r, _ in red]
        head += [f"    {_P}g = {_P}it.get_global_id(0)", f"    {_P}G = {_P}it.get_global_range(0)",
                 f"    for {_P}r in range({PER_ITEM}):",
                 f"        {_P}w = {_P}g + {_P}r * {_P}G",
                 f"        if {_P}w < {_P}n:"]
        head += _index_lines(loop, fixed, f"{_P}w", counts, "            ")
        factory_args = [f"{_P}local_array", f"{_P}barrier", *[f"{_P}dt_{r}" for r, _ in red]]
        tail = []
        for r, _ in red:
            tail += [f"    {_P}t_{r} = {_P}local_array({GROUP}, {_P}dt_{r})", f"    {_P}t_{r}[{_P}l] = {_P}acc_{r}"]
        tail += [f"    {_P}barrier()", f"    {_P}k = {GROUP // 2}", f"    while {_P}k > 0:",
                 f"        if {_P}l < {_P}k:"]
        for r, op in red:
            a, b = f"{_P}t_{r}[{_P}l]", f"{_P}t_{r}[{_P}l + {_P}k]"
            expr = f"{a} {op} {b}" if op in "+*" else f"{op}({a}, {b})"
            tail.append(f"            {a} = {expr}")
        tail += [f"        {_P}barrier()", f"        {_P}k = {_P}k // 2", f"    if {_P}l == 0:"]
        tail += [f"        {_P}p_{r}[{_P}it.get_group_id(0)] = {_P}t_{r}[0]" for r, _ in red]
        inner_indent = "            "
    factory_args = [*factory_args, *loop.free, *loop.modules]  # closure cells of the kernel
    text = "\n".join([f"def {_P}make({', '.join(factory_args)}):"] + ["    " + ln for ln in head]
                     + ["    " + inner_indent + "pass"] + ["    " + ln for ln in tail] + [f"    return {loop.name}"])
    factory = ast.parse(text).body[0]
    kdef = factory.body[0]
    holder = kdef if not red else next(st for st in kdef.body if isinstance(st, ast.For)).body[1]
    at = next(k for k, st in enumerate(holder.body) if isinstance(st, ast.Pass))
    holder.body[at:at + 1] = body
    line = loop.lineno
    for node in ast.walk(factory):  # generated lines carry the loop's line; the body keeps its own
        if isinstance(node, (ast.stmt, ast.expr)) and not any(node is b_ or _contains(b_, node) for b_ in body):
            node.lineno = node.end_lineno = line
            node.col_offset, node.end_col_offset = 0, 0
    ast.fix_missing_locations(factory)
    return ast.unparse(kdef), factory


def _contains(tree, node) -> bool:
    return any(n is node for n in ast.walk(tree))


def _make_kernel(loop, fixed, dtypes: tuple):
    from . import lang
    from .kernel import kernel as make_kernel

    _, factory = _kernel_source(loop, fixed, dtypes)
    module = ast.Module(body=[factory], type_ignores=[])
    code = compile(module, loop.py_func.__code__.co_filename, "exec")
    fcode = next(c for c in code.co_consts if isinstance(c, pytypes.CodeType))
    make = pytypes.FunctionType(fcode, loop.py_func.__globals__, f"{_P}make")
    extra = (lang.local_array, lang.barrier, *[dt.type for dt in dtypes]) if loop.reductions else ()
    cells = _closure(loop.py_func)
    f = make(*extra, *[cells[n] for n in loop.free], *loop.modules.values())
    f.__module__ = loop.py_func.__module__
    f.__qualname__ = f"{loop.py_func.__qualname__}.<prange loop at line {loop.lineno}>"
    return make_kernel(f)


def split(py_func) -> Split:
    """Split ``py_func`` into a driver and its ``prange`` loop kernels (see the module docstring)."""
    try:
        lines, start = inspect.getsourcelines(py_func)
    except (OSError, TypeError) as exc:
        raise KernelCompileError(
            f"jit function {py_func.__name__!r} ({_where(py_func)}): running a jit function on a device "
            "splits it at its prange loops, from its source, and Python cannot find the source of this "
            "function (defined with exec or `python -c`?). Define it in a file, or write its loops as "
            "@hetero.kernel functions (which need no source)."
        ) from exc
    tree = ast.parse(textwrap.dedent("".join(lines)))
    ast.increment_lineno(tree, start - 1)
    fdef = tree.body[0]
    if not isinstance(fdef, ast.FunctionDef):
        raise KernelCompileError(f"jit function {py_func.__name__!r} ({_where(py_func)}) must be a `def`")
    fdef.decorator_list = []
    env = dict(py_func.__globals__)
    env.update(_closure(py_func))
    sp = _Splitter(py_func, fdef, env)
    fdef.body = sp.split_body(fdef.body, lambda name: False)
    numpy_names = ({n for n, v in env.items() if v is np} - sp.locals) | {n for n, m in sp.modules.items() if m == "numpy"}
    dpnp = _sycl.dpnp()
    dpnp_names = frozenset(({n for n, v in env.items() if dpnp is not None and v is dpnp} - sp.locals)
                           | {n for n, m in sp.modules.items() if m == "dpnp"})

    free = set(py_func.__code__.co_freevars)
    for loop in sp.loops:
        loop.dpnp_names = dpnp_names
        # `import dpnp` inside the function: the kernel reads the module from a closure cell (the
        # compiler's DpnpAsNumpy pass makes its functions NumPy's, as for a module-level import)
        read = _names(loop.body, ast.Load)
        loop.modules = {n: (np if m == "numpy" else dpnp) for n, m in sorted(sp.modules.items()) if n in read}
        loop.free = tuple(sorted(free & _names(loop.body, ast.Load)))

    # the driver's np.<function> and dpnp.<function> run on the call's queue: the modules are proxies
    class Swap(ast.NodeTransformer):
        def visit_Import(self, node):
            keep = [a for a in node.names if a.name not in ("numpy", "dpnp")]
            out = [ast.copy_location(ast.Import(keep), node)] if keep else []
            for a in node.names:
                if a.name in ("numpy", "dpnp"):
                    proxy = "__hetero_np" if a.name == "numpy" else "__hetero_dpnp"
                    out.append(ast.copy_location(ast.Assign([ast.Name(a.asname or a.name, ast.Store())],
                                                            ast.Name(proxy, ast.Load())), node))
            return out

        def visit_Name(self, node):
            if isinstance(node.ctx, ast.Load) and node.id in numpy_names:
                return ast.copy_location(ast.Name("__hetero_np", ast.Load()), node)
            if isinstance(node.ctx, ast.Load) and node.id in dpnp_names:
                return ast.copy_location(ast.Name("__hetero_dpnp", ast.Load()), node)
            return node

    fdef = Swap().visit(fdef)
    fdef.name = py_func.__name__
    module = ast.Module(body=[fdef], type_ignores=[])
    ast.fix_missing_locations(module)
    code = compile(module, py_func.__code__.co_filename, "exec")
    fcode = next(c for c in code.co_consts if isinstance(c, pytypes.CodeType))
    return Split(fcode, ast.unparse(fdef), sp.loops)


# --- running the driver on a queue -----------------------------------------------------------

_CREATORS = {"empty", "zeros", "ones", "full", "arange", "linspace", "eye", "identity", "asarray", "array",
             "empty_like", "zeros_like", "ones_like", "full_like", "copy", "ascontiguousarray"}
_LIKE = {"empty_like", "zeros_like", "ones_like", "full_like"}


class _DeviceNumpy:
    """``np`` inside a driver: dpnp on the call's queue for functions, NumPy for types and constants."""

    def __init__(self, queue):
        self._queue = queue

    def __getattr__(self, name):
        value = getattr(np, name)
        if isinstance(value, (type, pytypes.ModuleType)) or not callable(value):
            return value  # np.float32, np.pi, np.newaxis, np.linalg ...
        dpnp = _sycl.dpnp()
        fn = getattr(dpnp, name, None)
        if fn is None:
            raise KernelCompileError(
                f"np.{name} has no device version (dpnp {getattr(dpnp, '__version__', '?')} lacks it): on a "
                "device a jit function's NumPy calls run through dpnp")
        queue = self._queue
        if name in _CREATORS and name not in _LIKE:
            return _on_queue(fn, queue)

        def call(*args, **kwargs):
            if any(is_device_array(a) for a in args) or any(is_device_array(v) for v in kwargs.values()):
                return fn(*args, **kwargs)
            return value(*args, **kwargs)  # scalars only: NumPy's (np.sqrt(2.0))

        return call


def _on_queue(fn, queue):
    """A dpnp creation function that allocates on ``queue`` unless told where (or given device arrays)."""

    def create(*args, **kwargs):
        if "sycl_queue" not in kwargs and "device" not in kwargs and not any(is_device_array(a) for a in args):
            kwargs["sycl_queue"] = queue
        return fn(*args, **kwargs)

    return create


class _DeviceDpnp:
    """``dpnp`` inside a driver: dpnp, with creation functions allocating on the call's queue."""

    def __init__(self, queue):
        self._queue = queue

    def __getattr__(self, name):
        value = getattr(_sycl.dpnp(), name)
        if name in _CREATORS and name not in _LIKE and callable(value) and not isinstance(value, type):
            return _on_queue(value, self._queue)
        return value


def _scalar(x):
    """A 0-d device array (``x.sum()``) read back as a scalar, so a kernel gets a scalar argument."""
    if is_device_array(x) and x.ndim == 0:
        return x.dtype.type(_sycl.dpnp().asnumpy(x)[()])
    return x


def _scalars(v):
    """A function's result with 0-d device arrays (``x.sum()`` in dpnp) as scalars, as numba returns them."""
    if is_device_array(v) and v.ndim == 0:
        return _scalar(v)
    if isinstance(v, tuple):
        return tuple(_scalars(x) for x in v)
    return v


def _probe_type_key(x) -> tuple:
    """What numba's typing of a probe argument depends on, without importing numba."""
    if is_device_array(x) or isinstance(x, np.ndarray):
        layout = "C" if x.flags.c_contiguous else ("F" if x.flags.f_contiguous else "A")
        return ("array", x.dtype.str, x.ndim, layout)
    if isinstance(x, np.generic):
        return ("scalar", x.dtype.str)
    return ("python", type(x).__name__)


def _accumulator_dtypes(loop, py_func, params, initial):
    """numba's types of the loop's accumulators for these arguments: numba types the loop body (the
    probe) as host code. Kept in memory per loop and on disk (numba's CPU target takes ~0.4 s to
    start, which a device launch otherwise never needs)."""
    from .compiler import cache

    key_types = tuple(_probe_type_key(v) for v in (*params, *initial))
    got = loop._probes.get(key_types)
    if got is not None:
        return got
    with loop._lock:
        got = loop._probes.get(key_types)
        if got is not None:
            return got
        ns: dict = {}
        probe_env = {**py_func.__globals__, **_closure(py_func), **{n: np for n in loop.dpnp_names}}
        exec(compile(loop.probe_source, py_func.__code__.co_filename, "exec"), probe_env, ns)
        probe = next(iter(ns.values()))
        dkey = cache.key(probe, (key_types,), target="probe") if cache.enabled() else None
        found = cache.load(loop.name, dkey, target="probe") if dkey is not None else None
        if found is not None and len(found[1].get("dtypes", ())) == len(loop.reductions):
            got = tuple(np.dtype(d) for d in found[1]["dtypes"])
        else:
            got = _type_probe(loop, py_func, params, initial)
            if dkey is not None:
                cache.store(loop.name, dkey, b"", {"dtypes": [d.str for d in got]}, target="probe")
        loop._probes[key_types] = got
        return got


def _type_probe(loop, py_func, params, initial) -> tuple:
    import numba
    from numba.np import numpy_support

    from .lang import DeviceFunction

    def nb_type(x):
        if is_device_array(x):
            layout = "C" if x.flags.c_contiguous else ("F" if x.flags.f_contiguous else "A")
            return numba.types.Array(numpy_support.from_dtype(x.dtype), x.ndim, layout)
        return numba.typeof(x)

    env = dict(py_func.__globals__)
    env.update(_closure(py_func))
    env.update({n: np for n in loop.dpnp_names})
    for k, v in env.items():
        if isinstance(v, DeviceFunction):
            env[k] = numba.njit(v.py_func)
        elif isinstance(v, JitFunction):
            env[k] = v.host_dispatcher
    ns: dict = {}
    exec(compile(loop.probe_source, py_func.__code__.co_filename, "exec"), env, ns)
    sig = tuple(nb_type(v) for v in (*params, *initial))
    try:
        disp = numba.njit(next(iter(ns.values())))
        disp.compile(sig)
        rtype = disp.overloads[sig].signature.return_type
    except numba.core.errors.NumbaError as exc:
        raise KernelCompileError(
            f"jit function {py_func.__name__!r} ({py_func.__code__.co_filename}:{loop.lineno}): typing the "
            f"reduction{'s' if len(loop.reductions) > 1 else ''} "
            f"{', '.join(r for r, _ in loop.reductions)} of this prange loop failed: "
            f"{str(exc).splitlines()[0]}") from None
    arrays = [r for r, t in zip(loop.reductions, rtype.types) if isinstance(t, numba.types.Array)]
    if arrays:
        raise KernelCompileError(
            f"jit function {py_func.__name__!r} ({py_func.__code__.co_filename}:{loop.lineno}): "
            f"{', '.join(n for n, _ in arrays)} accumulates arrays across prange iterations; on a device a "
            "prange loop reduces scalars only. Make the array dimension a loop of its own (e.g. a prange over "
            "it with the scalar sum inside), or run this function on NumPy data")
    return tuple(np.dtype(numpy_support.as_dtype(t)) for t in rtype.types)


def _run_loop(fn, queue, loop, bounds, params, initial):
    dpnp = _sycl.dpnp()
    from .lang import NdRange, Range

    counts, steps = [], []
    for start, stop, step in bounds:
        if step == 0:
            raise ValueError(f"jit function {fn.__name__!r}: prange step must not be zero")
        counts.append(len(range(int(start), int(stop), int(step))))
        steps += [int(start), int(step)]
    pairs = tuple((steps[2 * d], steps[2 * d + 1]) for d in range(len(counts)))
    # small constant bounds (0, 1: most loops; 1, 1: stencils) are built into the kernel; others are arguments
    fixed = pairs if all(0 <= a <= _FIXED_MAX and 1 <= b <= _FIXED_MAX for a, b in pairs) else None
    bound_args = () if fixed is not None else tuple(steps)
    params = tuple(_scalar(p) for p in params)
    initial = tuple(_scalar(v) for v in initial)
    if 0 in counts:
        return tuple(initial)
    if not loop.reductions:
        loop.kernel_for(fixed, ())[Range(*counts)](*bound_args, *params)
        return ()
    dtypes = _accumulator_dtypes(loop, fn, params, initial)
    total = 1
    for c in counts:
        total *= c
    groups = max(1, -(-total // (GROUP * PER_ITEM)))  # every iteration is some work-item's
    inits, partials = [], []
    for (name, op), dt, s0 in zip(loop.reductions, dtypes, initial):
        inits.append(dt.type(0 if op == "+" else 1 if op == "*" else s0))
        partials.append(dpnp.empty(groups, dtype=dt, sycl_queue=queue))
    k = loop.kernel_for(fixed, dtypes)
    k[NdRange(groups * GROUP, GROUP)](total, *counts[1:], *bound_args, *params, *inits, *partials)
    out = []
    for (name, op), p, s0, dt in zip(loop.reductions, partials, initial, dtypes):
        # one partial per work-group: a few dozen values, reduced on the host after one copy (14 us; a
        # dpnp reduction and its read-back took 45-65 us)
        reduce = {"+": np.sum, "*": np.prod, "min": np.min, "max": np.max}[op]
        v = dt.type(reduce(dpnp.asnumpy(p)))
        s0 = dt.type(s0)
        out.append(dt.type(s0 + v if op == "+" else s0 * v if op == "*" else min(s0, v) if op == "min" else max(s0, v)))
    return tuple(out)


class JitFunction:
    """What ``@hetero.jit`` returns: numba on the host for NumPy data, the device for device data."""

    def __init__(self, py_func, options):
        self.py_func = py_func
        self.options = options
        self._host = None
        self._split = None
        self._lock = threading.Lock()
        self.__name__ = py_func.__name__
        self.__qualname__ = py_func.__qualname__
        self.__doc__ = py_func.__doc__
        self.__module__ = py_func.__module__
        self.__wrapped__ = py_func

    # --- host -------------------------------------------------------------------------------

    @property
    def host_dispatcher(self):
        """The numba dispatcher that runs this function on the host."""
        if self._host is None:
            from ._jit import _numba_njit

            with self._lock:
                if self._host is None:
                    self._host = _numba_njit(self.py_func, self.options)
        return self._host

    def __getattr__(self, name):  # numba's dispatcher API (inspect_types, signatures, parallel_diagnostics ...)
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.host_dispatcher, name)

    # --- device -----------------------------------------------------------------------------

    @property
    def targetoptions(self):
        """What numba's inliner reads: inside a kernel this function is inlined like a device function."""
        from numba.core.target_extension import current_target

        if current_target() == "hetero_sycl":
            return self.device_function.targetoptions
        return self.host_dispatcher.targetoptions

    @property
    def device_function(self):
        """This function as a device function, for kernels (prange bodies) that call it."""
        df = self.__dict__.get("_device_function")
        if df is None:
            from .lang import DeviceFunction

            df = self.__dict__["_device_function"] = DeviceFunction(self.py_func)
        return df

    def device_split(self) -> Split:
        """The driver and loop kernels this function runs as on a device (split on first use)."""
        if self._split is None:
            with self._lock:
                if self._split is None:
                    self._split = split(self.py_func)
        return self._split

    def inspect_device(self) -> str:
        """The driver (the function with its prange loops replaced by launches) and each loop's kernel."""
        sp = self.device_split()
        parts = ["# driver (runs on the host; np.* on the call's device)", sp.driver_source]
        for loop in sp.loops:
            red = f", reductions {loop.reductions}" if loop.reductions else ""
            parts += [f"\n# prange loop {loop.index} (line {loop.lineno}): a {loop.ndim}-D kernel{red}", loop.source]
        return "\n".join(parts)

    def _placement(self, args, kwargs):
        queue, dev_i, host_i = None, None, None
        values = list(args) + list(kwargs.values())
        for i, x in enumerate(values):
            if is_device_array(x):
                q = x.sycl_queue
                if queue is None:
                    queue, dev_i = q, i
                elif q != queue:
                    raise PlacementError(
                        f"jit function {self.__name__!r}: arguments {dev_i} and {i} are on different queues or "
                        "devices; move one with hetero.to_device(y, x.sycl_queue)")
            elif isinstance(x, np.ndarray):
                host_i = i if host_i is None else host_i
        if queue is not None and host_i is not None:
            raise PlacementError(
                f"jit function {self.__name__!r}: argument {host_i} is a NumPy array but argument {dev_i} is a "
                "device array; hetero does not copy implicitly: move one (hetero.to_device / hetero.asnumpy)")
        return queue, host_i is not None

    def __call__(self, *args, **kwargs):
        host = self._host
        if (host is not None and not kwargs and _scope.get() is None
                and all(type(a) is np.ndarray or isinstance(a, _HOST_SCALARS) for a in args)):
            return host(*args)  # NumPy data outside any scope, the common case: numba, at once
        queue, has_numpy = self._placement(args, kwargs)
        if queue is None and has_numpy:
            scoped = _scope.get()
            if scoped is not None and not scoped.is_host:
                return self._run_scoped(scoped, args, kwargs)
        if queue is None:
            return self.host_dispatcher(*args, **kwargs)
        return self.run_on(queue, args, kwargs)

    def run_on(self, queue, args, kwargs):
        sp = self.device_split()
        g = dict(self.py_func.__globals__)
        g.update(_closure(self.py_func))
        g["__hetero_np"] = _DeviceNumpy(queue)
        g["__hetero_dpnp"] = _DeviceDpnp(queue)
        fn = self.py_func
        loops = sp.loops

        def loop_call(index, bounds, params, initial):
            return _run_loop(fn, queue, loops[index], bounds, params, initial)

        g["__hetero_loop"] = loop_call
        driver = pytypes.FunctionType(sp.driver_code, g, fn.__name__, fn.__defaults__)
        driver.__kwdefaults__ = fn.__kwdefaults__
        return _scalars(driver(*args, **kwargs))

    def _run_scoped(self, device, args, kwargs):
        """NumPy arguments inside ``with hetero.device(X):``: copied to X, run there, changed ones back.

        One device copy per distinct NumPy array (``f(a, a)`` passes one array twice); arrays that
        overlap without being the same view are refused, since their copies could not both land.
        An array comes back only if its device copy differs (so read-only inputs stay untouched),
        and what the function returns comes back as NumPy: an input's copy as that input.
        """
        from .errors import LaunchError

        dpnp = _sycl.dpnp()
        queue = device.sycl_queue
        copies: dict = {}  # id(host) -> (host, device copy)

        def key_of(x):
            return (x.__array_interface__["data"][0], x.shape, x.strides, x.dtype.str)

        def to_dev(x):
            if not isinstance(x, np.ndarray):
                return x
            k = key_of(x)
            if k not in copies:
                for other, _ in copies.values():
                    if np.shares_memory(other, x):
                        raise LaunchError(
                            f"jit function {self.__name__!r}: two NumPy arguments overlap in memory without being "
                            "the same array; inside a device scope each is copied to the device, and their "
                            "copies could not both come back. Pass copies, or device arrays (hetero.asarray)")
                copies[k] = (x, dpnp.asarray(x, sycl_queue=queue))
            return copies[k][1]

        dargs = [to_dev(a) for a in args]
        dkw = {k: to_dev(v) for k, v in kwargs.items()}
        result = self.run_on(queue, dargs, dkw)
        back = {}
        for host, dev in copies.values():
            now = dpnp.asnumpy(dev)
            if not np.array_equal(now, host, equal_nan=host.dtype.kind in "fc"):
                np.copyto(host, now, casting="no")
            back[id(dev)] = host

        def to_host(v):
            if is_device_array(v):
                return back[id(v)] if id(v) in back else _scalar(v) if v.ndim == 0 else dpnp.asnumpy(v)
            if isinstance(v, tuple):
                return tuple(to_host(x) for x in v)
            return v

        return to_host(result)

    def __repr__(self):
        return f"<hetero.jit {self.__qualname__}>"


_typeof_registered = False


def _register_typeof() -> None:
    """Let numba code call a ``hetero.jit`` function: numba types it as its host dispatcher."""
    global _typeof_registered
    if _typeof_registered:
        return
    from numba.extending import typeof_impl

    @typeof_impl.register(JitFunction)
    def _typeof_jit_function(val, c):
        from numba.core.target_extension import current_target

        if current_target() == "hetero_sycl":  # called in a kernel (a prange body): a device function
            return typeof_impl(val.device_function, c)
        return typeof_impl(val.host_dispatcher, c)

    _typeof_registered = True


def jit(fn=None, /, **options):
    """Compile a function that follows its data: numba on the host, kernels on a device.

    Called with NumPy arrays, ``@hetero.jit`` is ``numba.njit(parallel=True, cache=True,
    fastmath=False)`` (any option can be overridden: ``@hetero.jit(parallel=False)``), with
    :data:`hetero.prange` for loops whose iterations run across threads. Called with device arrays
    (or NumPy arrays inside ``with hetero.device(X):``), each ``prange`` loop runs as a kernel on
    their device, reductions included (see the module docstring).

    Examples
    --------
    >>> @hetero.jit
    ... def add(a, b, c):
    ...     for i in hetero.prange(a.size):
    ...         c[i] = a[i] + b[i]
    """
    from ._jit import _JIT_DEFAULTS

    opts = {**_JIT_DEFAULTS, **options}

    def wrap(f):
        _register_typeof()
        return JitFunction(f, opts)

    if fn is None:
        return wrap
    if not callable(fn):
        raise TypeError(f"hetero.jit expects a function, got {type(fn).__name__}; use @hetero.jit or @hetero.jit(...)")
    return wrap(fn)
