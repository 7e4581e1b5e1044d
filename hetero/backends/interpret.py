"""The interpreter back end: a kernel run as plain Python, work-item by work-item.

Nothing is compiled. Each work-item calls the kernel's own Python function with
:mod:`hetero.kernel_api`'s thread-local work-item state set, so the in-kernel
functions answer with their pure-Python meaning; ``print``, ``breakpoint()``
and pdb work inside kernels, and an exception names the kernel, the work-item
and its work-group.

* A :class:`~hetero.kernel_api.Range` launch runs its work-items one after the
  other on the calling thread, in row-major order.
* An :class:`~hetero.kernel_api.NdRange` launch runs its work-groups one after
  the other. When the kernel (or a device function it calls) uses work-group
  features — barriers, local memory, atomics, found by name in the source — the
  work-items of a group run as threads at once (one thread per work-item of a
  group, reused for every group), so a barrier can hold each one until the whole
  group has arrived (:meth:`WorkGroup.barrier`); a barrier that not every
  work-item of the group reaches is a :class:`KernelRuntimeError`, never a hang.
  Otherwise (or with ``threads=False``) they run one after the other on the
  calling thread; ``HETERO_INTERPRET_THREADS=1`` or ``threads=True`` forces
  threads.

The state of a work-item is a :class:`hetero.lang.WorkItemState`, set as the
running work-item of its thread; its ``group`` is the :class:`WorkGroup` where
work-group features find their barrier and local memory.

Arrays: NumPy arrays are used in place; device arrays (dpnp) are copied to the
host, the kernel runs, and they are copied back.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import math
import operator
import textwrap
import threading
import types
import weakref

import numpy as np

from .. import lang as api
from .._env import flag
from ..errors import KernelAssertionError, KernelCompileError, KernelIndexError, KernelRuntimeError, LaunchError
from ..compiler.analysis import workgroup_feature
from ..lang.arguments import check_python_int
from ..lang.items import WorkItemState, kernel_style, set_current
from . import language
from .base import Backend, Event

__all__ = ["InterpretBackend", "run_interpreted", "WorkGroup"]


class _Aborted(BaseException):
    """Raised in a work-item waiting at a barrier when another work-item of its group failed."""


# --- work-groups and work-item state -------------------------------------------------------


class WorkGroup:
    """One work-group of an interpreted launch: its barrier and its local memory.

    Parameters
    ----------
    group_id : tuple of int
    size : int
        The number of work-items in the group.
    threaded : bool
        Whether the group's work-items run as concurrent threads (a barrier can
        only work then).
    """

    def __init__(self, group_id: tuple, size: int, threaded: bool):
        self.group_id = tuple(group_id)
        self.size = size
        self.threaded = threaded
        self._cond = threading.Condition()
        self._waiting = 0  # work-items held at the current barrier
        self._generation = 0
        self._finished = 0  # work-items that have returned
        self._failure: BaseException | None = None
        self._local: dict = {}

    def barrier(self) -> None:
        """Wait until every work-item of the group has reached this barrier.

        Raises :class:`KernelRuntimeError` when the barrier is not reached by
        every work-item (some already returned, or wait at another barrier and
        then return), instead of hanging.
        """
        if self.size == 1:
            return
        if not self.threaded:
            raise KernelRuntimeError(
                f"a barrier was reached in work-group {self.group_id}, whose {self.size} work-items the "
                "interpreter runs one after the other because no barrier was found in the kernel's source "
                "(called through a function that is not a @hetero.device_function?); make the call visible "
                "in the kernel or a device function it calls"
            )
        with self._cond:
            self._check()
            if self._finished:
                self._fail_divergent()
            gen = self._generation
            self._waiting += 1
            if self._waiting == self.size:
                self._waiting = 0
                self._generation += 1
                self._cond.notify_all()
                return
            while gen == self._generation and self._failure is None:
                self._cond.wait()
            if gen == self._generation:
                self._check()

    def shared(self, key, factory):
        """The group's one object for ``key`` (made by ``factory()`` on first use): local memory."""
        with self._cond:
            obj = self._local.get(key)
            if obj is None:
                obj = self._local[key] = factory()
            return obj

    # --- bookkeeping by the interpreter -------------------------------------------------------

    def _check(self):
        if self._failure is not None:
            raise _Aborted() from self._failure

    def _fail_divergent(self):
        err = KernelRuntimeError(
            f"work-group {self.group_id}: a barrier was not reached by all {self.size} work-items of the "
            f"group ({self._finished} had already returned); every work-item of a group must reach each "
            "barrier (keep barriers out of branches that depend on the work-item)"
        )
        self._failure = err
        self._cond.notify_all()
        raise err

    def _finish(self):
        with self._cond:
            self._finished += 1
            if self._waiting and self._failure is None:
                self._failure = KernelRuntimeError(
                    f"work-group {self.group_id}: {self._waiting} work-item(s) wait at a barrier that "
                    f"{self._finished} other work-item(s) of the group returned without reaching; every "
                    "work-item of a group must reach each barrier (keep barriers out of branches that "
                    "depend on the work-item)"
                )
                self._cond.notify_all()

    def _abort(self, exc):
        with self._cond:
            if self._failure is None:
                self._failure = exc
            self._cond.notify_all()


# --- work-items as kernel arguments -----------------------------------------------------------


def _item_methods(src) -> dict:
    out = {}
    for klass in reversed(src.__mro__):
        for k, v in vars(klass).items():
            if k.startswith("get_") or k in ("ndim", "dimensions"):
                out[k] = v
    return out


# An item-style kernel indexes with its work-item (`c[i]`) and computes with it in 1-D (`i + 1`):
# the interpreter's items are an int (1-D) or a tuple (N-D) that also have the Item / NdItem methods.
def _int_as_tuple() -> dict:
    # A 1-D item is an int (it indexes and computes like one) that also indexes like the 1-tuple
    # of its id, as on the compiled back ends: i[0]
    def getitem(self, d):
        return (int(self),)[d]

    return {"__getitem__": getitem}


_ITEM_CLASSES = {
    (base, nd): type(
        f"{'NdItem' if nd else 'Item'}",
        (base,),
        {**_item_methods(api.NdItem if nd else api.Item), **(_int_as_tuple() if base is int else {}),
         "__module__": __name__,
         "__doc__": "A work-item of an interpreted launch (see hetero.Item / hetero.NdItem)."},
    )
    for base in (int, tuple)
    for nd in (False, True)
}


def _make_item(state, nd: bool):
    if len(state.global_id) == 1:
        item = _ITEM_CLASSES[(int, nd)](state.global_id[0])
    else:
        item = _ITEM_CLASSES[(tuple, nd)](state.global_id)
    item._st = state
    return item


# --- running -----------------------------------------------------------------------------------


def _note(exc: BaseException, text: str) -> None:
    if hasattr(exc, "add_note"):
        exc.add_note(text)
    else:  # Python < 3.11: keep the type, extend the message
        exc.args = (f"{exc.args[0] if exc.args else ''}\n{text}",) + tuple(exc.args[1:])


def _where(name, state, rng) -> str:
    if isinstance(rng, api.NdRange):
        return (
            f"in kernel {name!r}, work-item {state.global_id} (local id {state.local_id}) of work-group "
            f"{state.group_id}, launched over {rng!r} by the interpreter back end"
        )
    return f"in kernel {name!r}, work-item {state.global_id}, launched over {rng!r} by the interpreter back end"


# --- math as the compiled back ends have it -----------------------------------------------------
# math.trunc refuses NumPy's float32 (it has no __trunc__), which the compiled back ends truncate
# like any float; numba's math.sqrt (exp, sin, ...) of a float32 is a float32, Python's a float.
# The kernel (and the device functions it calls) run with a `math` whose functions do both;
# for other arguments they are Python's own.


def _trunc(x):
    return math.trunc(float(x)) if isinstance(x, np.floating) else math.trunc(x)


_F32_UNARY = {
    "sqrt": np.sqrt, "exp": np.exp, "expm1": np.expm1, "log": np.log, "log2": np.log2, "log10": np.log10,
    "log1p": np.log1p, "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "asinh": np.arcsinh,
    "acosh": np.arccosh, "atanh": np.arctanh, "fabs": np.fabs, "radians": np.radians, "degrees": np.degrees,
    "erf": None, "erfc": None, "gamma": None, "lgamma": None,
}
_F32_BINARY = {"atan2": np.arctan2, "hypot": np.hypot, "pow": np.power, "copysign": np.copysign}


def _f32_unary(name, ufunc):
    pyfn = getattr(math, name)

    def fn(x):
        if type(x) is not np.float32:
            return pyfn(x)
        r = pyfn(float(x))  # Python's domain errors, as for any other argument
        return np.float32(r) if ufunc is None else ufunc(x)

    fn.__name__ = fn.__qualname__ = name
    return fn


def _f32_binary(name, ufunc):
    pyfn = getattr(math, name)

    def fn(x, y):
        if type(x) is not np.float32 or type(y) is not np.float32:
            return pyfn(x, y)
        pyfn(float(x), float(y))
        return ufunc(x, y)

    fn.__name__ = fn.__qualname__ = name
    return fn


def _ldexp(x, i):
    r = math.ldexp(x, int(i))
    return np.float32(r) if type(x) is np.float32 else r


_MATH_SHIMS = {"trunc": _trunc, "ldexp": _ldexp}
_MATH_SHIMS.update({n: _f32_unary(n, u) for n, u in _F32_UNARY.items() if hasattr(math, n)})
_MATH_SHIMS.update({n: _f32_binary(n, u) for n, u in _F32_BINARY.items()})
_MATH = types.ModuleType("math")
_MATH.__dict__.update(math.__dict__)
_MATH.__dict__.update(_MATH_SHIMS)
_SHIM_OF = {id(getattr(math, n)): f for n, f in _MATH_SHIMS.items()}  # `from math import sqrt`
_patched: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


# --- numba's typing of the kernel's arithmetic -------------------------------------------------
# The compiled back ends type a kernel with numba: int32 + int32 is int64, a Python int constant,
# a work-item id or a range() loop variable is an int64 and a float constant a float64,
# float32 * 0.1 is float64, -int32 is int64, math.sqrt(float32) is float32, min/max unify their
# operands' types (int64 with uint64 gives float64). Run as plain Python on NumPy scalars, the
# same source would follow NumPy's promotion (NEP 50) instead. So the interpreter runs a copy of
# the kernel (and of the device functions it calls) whose arithmetic, comparisons and
# augmented assignments are calls to the functions below, which apply numba's rule and then
# compute with NumPy scalars of that type (an int64 wraps on overflow, like numba's; the
# launch silences NumPy's overflow warnings). The copy is compiled from the function's source
# with its file name and line numbers, so tracebacks, print and pdb point into the user's file;
# the user's function and its globals are left as they are. A function whose source cannot be
# read (a lambda, code made by exec) runs as plain Python.

_B, _I, _U, _F, _C = "b", "i", "u", "f", "c"
_SMALL_FOR_F32 = frozenset([np.bool_, np.int8, np.uint8, np.int16, bool])  # int + float32 stays float32


def _numba_type(t):
    """The NumPy scalar type numba gives a value of Python type ``t``, or None (not a scalar)."""
    if t is bool or t is np.bool_:
        return np.bool_
    if issubclass(t, int):  # Python ints, work-item ids, range() loop variables
        return np.int64
    if issubclass(t, float):
        return np.float64
    if issubclass(t, complex):
        return np.complex128
    if issubclass(t, np.number) and t is not np.float16 and t is not np.longdouble and t is not np.clongdouble:
        return t
    return None


def _kind(t):
    return np.dtype(t).kind


def _arith_type(ta, tb):
    """numba's result type of ``a + b`` (also - * // % and, for floats, /) for numba types ta, tb."""
    ka, kb = _kind(ta), _kind(tb)
    if ka in "biu" and kb in "biu":
        return np.uint64 if ka == kb == "u" else np.int64
    if ka == "c" or kb == "c":
        return np.promote_types(ta, tb).type
    if ta is np.float64 or tb is np.float64:
        return np.float64
    # float32 with float32 or with an int: float32 only with a bool or an int of at most 16 bits
    # (uint16 excepted), as numba has it
    other = tb if ta is np.float32 else ta
    return np.float32 if other is np.float32 or other in _SMALL_FOR_F32 else np.float64


def _result_type(op, ta, tb):
    if op == "truediv":
        r = _arith_type(ta, tb)
        return np.float64 if _kind(r) in "iu" else r
    if op == "pow" and _kind(ta) == "f" and _kind(tb) in "biu":
        return ta  # float32 ** int stays float32
    if op in ("and", "or", "xor") and ta is np.bool_ and tb is np.bool_:
        return np.bool_
    if op in ("lshift", "rshift") and _kind(ta) in "biu" and _kind(tb) in "biu":
        return np.uint64 if _kind(ta) == "u" else np.int64
    if op in ("lt", "le", "gt", "ge", "eq", "ne"):
        return np.promote_types(ta, tb).type  # numba compares int64 with uint64 as float64
    return _arith_type(ta, tb)


_PYOPS = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
    "floordiv": operator.floordiv, "mod": operator.mod, "pow": operator.pow, "and": operator.and_,
    "or": operator.or_, "xor": operator.xor, "lshift": operator.lshift, "rshift": operator.rshift,
    "matmul": operator.matmul,
    "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge, "eq": operator.eq,
    "ne": operator.ne,
}
_INPLACE = {
    "add": operator.iadd, "sub": operator.isub, "mul": operator.imul, "truediv": operator.itruediv,
    "floordiv": operator.ifloordiv, "mod": operator.imod, "pow": operator.ipow, "and": operator.iand,
    "or": operator.ior, "xor": operator.ixor, "lshift": operator.ilshift, "rshift": operator.irshift,
    "matmul": operator.imatmul,
}
_AST_OPS = {
    ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv", ast.FloorDiv: "floordiv",
    ast.Mod: "mod", ast.Pow: "pow", ast.BitAnd: "and", ast.BitOr: "or", ast.BitXor: "xor",
    ast.LShift: "lshift", ast.RShift: "rshift", ast.MatMult: "matmul",
    ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne",
}


_FLOATS = frozenset([np.float32, np.float64, np.complex64, np.complex128])


def _as(t, x):
    """``x`` as a NumPy scalar of type ``t``; a Python int that does not fit is an error, as a
    launch argument is (never cut to 64 bits)."""
    if type(x) is t:
        return x
    if isinstance(x, int) and not isinstance(x, bool) and not -(2**63) <= x < 2**64:
        raise OverflowError(f"the Python int {x} does not fit in 64 bits (numba's int64/uint64)")
    return t(x)


def _make_binop(op):
    pyop = _PYOPS[op]
    checks_zero = op in ("floordiv", "mod")
    plan: dict = {}  # (type(a), type(b)) -> the numba type both are converted to, or None: Python's op

    def binop(a, b):
        key = (type(a), type(b))
        try:
            t = plan[key]
        except KeyError:
            ta, tb = _numba_type(key[0]), _numba_type(key[1])
            t = plan[key] = None if ta is None or tb is None else _result_type(op, ta, tb)
        if t is None:
            return pyop(a, b)
        b = _as(t, b)
        if checks_zero and not b and t not in _FLOATS:
            # the compiled back ends give 0; the interpreter, for debugging, says where it happened
            raise ZeroDivisionError(f"integer {'division' if op == 'floordiv' else 'modulo'} by zero")
        return pyop(_as(t, a), b)

    binop.__name__ = binop.__qualname__ = f"numba_{op}"
    return binop


def _make_inplace(op):
    binop, inplace = _BINOPS[op], _INPLACE[op]

    def aug(a, b):  # `a op= b`: numba's scalar arithmetic; arrays are updated in place as in Python
        if isinstance(a, np.ndarray):
            return inplace(a, b)
        return binop(a, b)

    aug.__name__ = aug.__qualname__ = f"numba_i{op}"
    return aug


_BINOPS = {op: _make_binop(op) for op in _PYOPS}
_AUGOPS = {op: _make_inplace(op) for op in _INPLACE}


def _unary_type(x):
    t = _numba_type(type(x))
    if t is None:
        return None
    k = _kind(t)
    return t if k in "fc" else np.uint64 if k == "u" else np.int64


def _make_unary(pyop, name):
    def unary(x):
        t = _unary_type(x)
        if t is None:
            return pyop(x)
        if isinstance(x, (bool, np.bool_, int)):
            return pyop(_as(np.int64, x))  # numba: -True is -1
        # numba computes in the operand's own type, then widens: -int32(-2**31) is -2**31 as an int64
        return _as(t, pyop(x))

    unary.__name__ = unary.__qualname__ = f"numba_{name}"
    return unary


_neg = _make_unary(operator.neg, "neg")
_pos = _make_unary(operator.pos, "pos")
_invert_int = _make_unary(operator.invert, "invert")


def _invert(x):
    if isinstance(x, (bool, np.bool_)):
        return not x  # numba: ~bool is a bool
    return _invert_int(x)


def _compare_chain(left, ops, *rights):
    """``left op0 r0 op1 r1 ...`` with numba's comparisons; the operands after the first are
    thunks, evaluated only as far as the chain goes (as Python does)."""
    for op, r in zip(ops, rights):
        r = r()
        if not _BINOPS[op](left, r):
            return False
        left = r
    return True


def _unify(values):
    ts = [_numba_type(type(v)) for v in values]
    if None in ts:
        return None
    t = ts[0]
    for u in ts[1:]:
        t = np.promote_types(t, u).type  # numba unifies int64 and uint64 into float64
    return t


def _minmax(pyfn):
    def fn(*args, **kwargs):
        if len(args) < 2 or kwargs:
            return pyfn(*args, **kwargs)
        t = _unify(args)
        if t is None:
            return pyfn(*args)
        return pyfn(*(_as(t, a) for a in args))  # numba: min/max convert to their unified type

    fn.__name__ = fn.__qualname__ = pyfn.__name__
    return fn


_NUMBA_BUILTINS = {"min": _minmax(min), "max": _minmax(max)}
_HELPERS = {
    "_hetero_numba_neg": _neg, "_hetero_numba_pos": _pos, "_hetero_numba_invert": _invert,
    "_hetero_numba_compare_chain": _compare_chain,
    **{f"_hetero_numba_{op}": f for op, f in _BINOPS.items()},
    **{f"_hetero_numba_i{op}": f for op, f in _AUGOPS.items()},
}


class _NumbaArithmetic(ast.NodeTransformer):
    """Rewrites a function's arithmetic into calls of the numba-typed operations above."""

    @staticmethod
    def _call(name, args, like):
        return ast.copy_location(ast.Call(ast.Name(name, ast.Load()), args, []), like)

    def visit_BinOp(self, node):
        self.generic_visit(node)
        return self._call(f"_hetero_numba_{_AST_OPS[type(node.op)]}", [node.left, node.right], node)

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        name = {ast.USub: "neg", ast.UAdd: "pos", ast.Invert: "invert"}.get(type(node.op))
        return node if name is None else self._call(f"_hetero_numba_{name}", [node.operand], node)

    def visit_Compare(self, node):
        self.generic_visit(node)
        ops = [_AST_OPS.get(type(op)) for op in node.ops]
        if None in ops:  # is, in: Python's
            return node
        if len(ops) == 1:
            return self._call(f"_hetero_numba_{ops[0]}", [node.left, node.comparators[0]], node)
        thunks = [ast.Lambda(ast.arguments([], [], None, [], [], None, []), c) for c in node.comparators]
        return self._call("_hetero_numba_compare_chain",
                          [node.left, ast.Tuple([ast.Constant(o) for o in ops], ast.Load()), *thunks], node)

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        fn = ast.Name(f"_hetero_numba_i{_AST_OPS[type(node.op)]}", ast.Load())
        t = node.target
        if isinstance(t, ast.Name):
            load = ast.Name(t.id, ast.Load())
            new = ast.Assign([t], ast.Call(fn, [load, node.value], []))
        elif isinstance(t, (ast.Subscript, ast.Attribute)):
            # a[j] op= v evaluates a and j once: a helper reads, computes and writes back
            obj = t.value
            key = t.slice if isinstance(t, ast.Subscript) else ast.Constant(t.attr)
            helper = "_hetero_numba_aug_item" if isinstance(t, ast.Subscript) else "_hetero_numba_aug_attr"
            new = ast.Expr(ast.Call(ast.Name(helper, ast.Load()), [fn, obj, key, node.value], []))
        else:
            return node
        return ast.fix_missing_locations(ast.copy_location(new, node))

    def visit_FunctionDef(self, node):
        if node.decorator_list:  # not run again; the code keeps its first line (the decorator's)
            node.lineno = node.decorator_list[0].lineno
        node.decorator_list = []
        node.returns = None
        for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs,
                  node.args.vararg, node.args.kwarg):
            if a is not None:
                a.annotation = None
        self.generic_visit(node)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_AnnAssign(self, node):
        self.generic_visit(node)
        if node.value is None:
            return ast.copy_location(ast.Pass(), node)
        return ast.copy_location(ast.Assign([node.target], node.value), node)


def _aug_item(fn, obj, key, value):
    obj[key] = fn(obj[key], value)


def _aug_attr(fn, obj, name, value):
    setattr(obj, name, fn(getattr(obj, name), value))


_HELPERS["_hetero_numba_aug_item"] = _aug_item
_HELPERS["_hetero_numba_aug_attr"] = _aug_attr


def _numba_typed_code(py_func):
    """The code object of ``py_func`` recompiled with numba's arithmetic, or None when its source
    cannot be found or parsed back into the same function."""
    code = py_func.__code__
    try:
        lines, first = inspect.getsourcelines(py_func)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError, IndentationError, ValueError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef) or tree.body[0].name != code.co_name:
        return None  # a lambda, or source that is not this function's
    ast.increment_lineno(tree, max(first, 1) - 1)
    fdef = _NumbaArithmetic().visit(tree).body[0]
    body = [fdef]
    if code.co_freevars:  # the free names stay free: an enclosing function makes them cells
        body = [ast.FunctionDef(
            "_hetero_outer", ast.arguments([], [], None, [], [], None, []),
            [ast.Assign([ast.Name(n, ast.Store()) for n in code.co_freevars], ast.Constant(None)),
             fdef, ast.Return(ast.Name(fdef.name, ast.Load()))], [], None)]
    module = ast.fix_missing_locations(ast.Module(body, []))
    try:
        compiled = compile(module, code.co_filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    outer = compiled
    if code.co_freevars:
        outer = next(c for c in compiled.co_consts if isinstance(c, types.CodeType))
    new = next((c for c in outer.co_consts if isinstance(c, types.CodeType) and c.co_name == code.co_name), None)
    if (new is None or not set(new.co_freevars) <= set(code.co_freevars)
            or new.co_varnames[:code.co_argcount] != code.co_varnames[:code.co_argcount]
            or set(new.co_varnames) != set(code.co_varnames) or not set(code.co_names) <= set(new.co_names)):
        return None  # the file changed since the function was made: run the function as it is
    return new.replace(co_name=code.co_name, co_qualname=code.co_qualname) if hasattr(code, "co_qualname") else new


def _with_numba_math(py_func, _seen=None):
    """The function the interpreter runs for ``py_func``: its code with numba's arithmetic
    (:func:`_numba_typed_code`), numba's min/max and math, device functions it calls treated
    alike. A new function object with a copy of the globals; ``py_func`` is not changed."""
    try:
        return _patched[py_func]
    except (KeyError, TypeError):
        pass
    from ..compiler.analysis import referenced

    seen = set() if _seen is None else _seen
    seen.add(py_func)
    swap = {}
    for name, value in referenced(py_func):
        if "." in name:
            continue
        if value is math:
            swap[name] = _MATH
        elif getattr(value, "__name__", None) == "dpnp" and isinstance(value, types.ModuleType):
            swap[name] = np  # dpnp.sqrt(x) on a kernel's scalars is NumPy's, as on the compiled back ends
        elif callable(value) and id(value) in _SHIM_OF and getattr(math, getattr(value, "__name__", ""), None) is value:
            swap[name] = _SHIM_OF[id(value)]
        elif isinstance(value, api.DeviceFunction) and value.py_func not in seen:
            inner = _with_numba_math(value.py_func, seen)
            if inner is not value.py_func:
                swap[name] = inner
    code = _numba_typed_code(py_func)
    out = py_func
    if swap or code is not None:
        g = dict(py_func.__globals__)
        g.update({k: v for k, v in swap.items() if k in g})
        if code is not None:
            g.update(_HELPERS)
            for k, v in _NUMBA_BUILTINS.items():
                g.setdefault(k, v)  # a module's own min stays its own
        else:
            code = py_func.__code__
        old = dict(zip(py_func.__code__.co_freevars, py_func.__closure__ or ()))
        cells = tuple(types.CellType(swap[n]) if n in swap else old[n] for n in code.co_freevars) or None
        out = types.FunctionType(code, g, py_func.__name__, py_func.__defaults__, cells)
        out.__kwdefaults__ = py_func.__kwdefaults__
        out.__qualname__ = py_func.__qualname__
        out.__dict__.update(getattr(py_func, "__dict__", {}))
    _patched[py_func] = out
    return out


def _to_host_args(args, name="kernel"):
    """NumPy views of the arguments, and what to copy back: [(index, device array, host copy)]."""
    from .._arrays import asnumpy, is_device_array

    host_args = list(args)
    back = []
    for i, x in enumerate(args):
        if type(x) is int:
            check_python_int(i, x, name)
        if is_device_array(x):
            h = np.array(asnumpy(x), copy=True)
            host_args[i] = h
            back.append((i, x, h))
        elif not (
            isinstance(x, (np.ndarray, bool, int, float, complex, api.LocalAccessor))
            or (isinstance(x, np.generic) and x.dtype.kind in "biufc")
        ):  # a LocalAccessor is indexed through its work-group's local memory
            raise LaunchError(
                f"argument {i} is a {type(x).__module__}.{type(x).__qualname__}; kernels take NumPy or dpnp "
                "arrays, Python or NumPy numbers (bool, int, float, complex) and hetero.LocalAccessor"
            )
    return host_args, back


def _copy_back(back):
    if not back:
        return
    from .._arrays import asarray

    for _, dev, h in back:
        dev[...] = asarray(h, device=dev.sycl_queue)


def run_interpreted(py_func, rng, args, *, name: str | None = None, threads: bool | None = None) -> None:
    """Run a kernel as plain Python, work-item by work-item.

    Parameters
    ----------
    py_func : function
        The kernel's Python function (``Kernel.py_func``), OpenCL style or item
        style (one parameter more than ``args``: the work-item comes first).
    rng : Range, NdRange, int or tuple
        The launch range.
    args : sequence
        NumPy arrays (written in place), device arrays (copied in and back),
        Python / NumPy numbers.
    name : str, optional
        The kernel's name for messages.
    threads : bool, optional
        Run each work-group of an NdRange launch as threads (needed for
        barriers). Default: when the kernel uses work-group features, or
        ``HETERO_INTERPRET_THREADS=1``.

    Raises
    ------
    Whatever the kernel raises, with a note naming the kernel, the work-item
    and its work-group (Python >= 3.11 notes; the exception keeps its type).
    KernelRuntimeError
        A barrier not reached by every work-item of a group.
    """
    name = name or getattr(py_func, "__name__", "kernel")
    rng = api.parse_range(rng)
    args = tuple(args)
    item_style = kernel_style(py_func, len(args), name) == "item"
    host_args, back = _to_host_args(args, name)
    py_func = _with_numba_math(py_func)
    if isinstance(rng, api.NdRange):
        if threads is None:
            threads = flag("HETERO_INTERPRET_THREADS") or workgroup_feature(py_func) is not None
        _run_nd(py_func, rng, host_args, item_style, name, threads)
    else:
        _run_range(py_func, rng, host_args, item_style, name)
    _copy_back(back)


def _run_one(py_func, state, item_style, nd, args):
    if item_style:
        return py_func(_make_item(state, nd), *args)
    return py_func(*args)


def _check_return(value, name, state, rng):
    if value is not None:
        raise KernelCompileError(
            f"kernel {name!r} returned {value!r} {_where(name, state, rng)[3:]}; a kernel returns nothing: "
            "write results into an array argument"
        )


def _run_item(py_func, state, item_style, nd, args, name, rng):
    """Run one work-item on this thread, kernel_api's state set; an exception gets a note saying where."""
    set_current(state)
    try:
        value = _run_one(py_func, state, item_style, nd, args)
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        where = _where(name, state, rng)
        converted = _as_kernel_error(exc, where)
        if converted is not None:
            raise converted from exc
        _note(exc, where)
        raise
    _check_return(value, name, state, rng)


def _as_kernel_error(exc, where: str):
    """The class every back end raises for this failure, or None to keep the exception as it is:
    an index past an array's end is a KernelIndexError, a failed ``assert`` a KernelAssertionError."""
    if isinstance(exc, IndexError) and not isinstance(exc, KernelIndexError):
        return KernelIndexError(f"{where[3:]}: {exc}")
    if isinstance(exc, AssertionError) and not isinstance(exc, KernelAssertionError):
        return KernelAssertionError(f"{where[3:]}: {exc or 'assertion failed'}")
    return None


def _run_range(py_func, rng, args, item_style, name):
    dims = rng.dims
    if 0 in dims:
        return
    prev = set_current(None)
    try:
        with np.errstate(all="ignore"):
            for gid in itertools.product(*(range(d) for d in dims)):
                _run_item(py_func, WorkItemState(gid, dims), item_style, False, args, name, rng)
    finally:
        set_current(prev)


def _group_ids(grp, ldims):
    return [
        tuple(g * loc + i for g, loc, i in zip(grp, ldims, lid))
        for lid in itertools.product(*(range(loc) for loc in ldims))
    ]


def _run_nd(py_func, rng, args, item_style, name, threaded):
    gdims, ldims = rng.global_range.dims, rng.local_range.dims
    if 0 in gdims:
        return
    ngroups = tuple(g // loc for g, loc in zip(gdims, ldims))
    size = 1
    for loc in ldims:
        size *= loc
    groups = itertools.product(*(range(n) for n in ngroups))
    if threaded and size > 1:
        _run_groups_threaded(py_func, rng, args, item_style, name, groups, size)
        return
    prev = set_current(None)
    try:
        with np.errstate(all="ignore"):
            for grp in groups:
                group = WorkGroup(grp, size, False)
                for gid in _group_ids(grp, ldims):
                    state = WorkItemState(gid, gdims, ldims, group)
                    _run_item(py_func, state, item_style, True, args, name, rng)
    finally:
        set_current(prev)


class _Crew:
    """One thread per work-item of a group, reused for every group of a launch.

    The launching thread sets up a group, opens ``start`` (every worker runs its
    work-item of that group), and waits at ``end`` until all have finished; then
    the next group. Workers leave when ``stop`` is set.
    """

    def __init__(self, size, body):
        self.size = size
        self.body = body  # body(slot) runs the slot's work-item of the current group
        self.start = threading.Barrier(size + 1)
        self.end = threading.Barrier(size + 1)
        self.stop = False
        self.idle = True  # every worker waits at `start`
        self.threads = []

    def _worker(self, slot):
        try:
            while True:
                self.start.wait()
                if self.stop:
                    return
                try:
                    self.body(slot)
                finally:
                    self.end.wait()
        except threading.BrokenBarrierError:
            return  # the launch was interrupted

    def run_group(self):
        self.idle = False
        self.start.wait()
        self.end.wait()
        self.idle = True

    def __enter__(self):
        for slot in range(self.size):
            t = threading.Thread(target=self._worker, args=(slot,), name=f"hetero-interpret-{slot}", daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def __exit__(self, *exc):
        self.stop = True
        if self.idle:
            self.start.wait()
            for t in self.threads:
                t.join()
        else:  # interrupted inside a group (Ctrl-C): release whoever waits; the threads are daemons
            self.start.abort()
            self.end.abort()


def _run_groups_threaded(py_func, rng, args, item_style, name, groups, size):
    gdims, ldims = rng.global_range.dims, rng.local_range.dims
    failures: list = []  # (order, exception, state)
    lock = threading.Lock()
    counter = itertools.count()
    current: dict = {}

    def body(slot):
        group, gids = current["group"], current["gids"]
        state = WorkItemState(gids[slot], gdims, ldims, group)
        set_current(state)
        try:
            with np.errstate(all="ignore"):
                value = _run_one(py_func, state, item_style, True, args)
            _check_return(value, name, state, rng)
        except _Aborted:
            pass  # another work-item failed first; its error is the one reported
        except BaseException as exc:  # noqa: BLE001 - reported on the launching thread
            with lock:
                failures.append((next(counter), exc, state))
            group._abort(exc)
        finally:
            group._finish()
            set_current(None)

    with _Crew(size, body) as crew:
        for grp in groups:
            group = WorkGroup(grp, size, True)
            current["group"], current["gids"] = group, _group_ids(grp, ldims)
            crew.run_group()
            if failures:
                failures.sort(key=lambda f: f[0])
                _, exc, state = failures[0]
                converted = _as_kernel_error(exc, _where(name, state, rng))
                if converted is not None:
                    raise converted from exc
                if not isinstance(exc, KernelRuntimeError):
                    _note(exc, _where(name, state, rng))
                raise exc
            if group._failure is not None:
                raise group._failure


class InterpretBackend(Backend):
    """The kernel's Python run work-item by work-item (for pdb, print and checking semantics)."""

    name = "interpret"

    def accepts(self, args) -> str | None:
        return None

    def prepare(self, kernel, rng, args, choice):
        return None  # nothing is compiled

    def launch(self, kernel, rng, args, depends_on, choice):
        flag("HETERO_BOUNDSCHECK")  # the interpreter always checks bounds; a bad value is still an error
        host_args, _ = _to_host_args(args, kernel.__name__)  # bad arguments are refused before anything is compiled
        language.check(kernel, rng, host_args, debug_calls=True)
        run_interpreted(kernel.py_func, rng, args, name=kernel.__name__)
        return Event()
