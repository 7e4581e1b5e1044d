"""The differential kernel fuzzer's machinery (tests/test_fuzz.py drives it with hypothesis).

One expression tree gives two programs:

* the kernel: an item-style ``@hetero.kernel`` function (and a ``@hetero.device_function``
  helper), written to a real ``.py`` file and imported, so every back end (the host one needs
  the source) compiles the same function;
* the reference: the same expression over whole NumPy arrays (vectorised), evaluated by
  :class:`V`, which follows a *typing model* element by element: the dtype in which each
  operation rounds, and the conversions on the way.

Two models of the same Python; every back end is held to the first:

* ``NUMBA`` (sycl, host, and the interpreter, which computes with numba's types): numba's typing. int32 + int32 is int64, int32 + float32 is
  float64, -int32 is int64, a Python constant is int64 / float64, a work-item id and a
  ``range()`` loop variable are int64, ``math.sqrt(float32)`` is float32, a loop's
  accumulator has one type (the unification of its value before the loop and after a pass),
  ``min``/``max`` and ``x if c else y`` unify their operands' types.
* ``PYTHON`` (plain Python on NumPy scalars, what the interpreter computed before it followed
  numba; kept to show where the two differ) (NumPy 2, NEP 50):
  int32 + int32 stays int32, a Python constant, id or loop variable takes the NumPy operand's
  type (float32 * 0.1 is float32), ``math.sqrt`` gives a Python float, ``min``/``max`` and
  ``x if c else y`` return one of their operands unchanged (so the type can differ from one
  work-item to the next), the accumulator's type changes from one pass to the next.

Every value carries an error bound (float64, per element): zero for exact (integer) work, one
rounding of its dtype per float operation (so a fused multiply-add, or any legitimate
re-rounding, stays inside it). A comparison whose two sides are closer than their bounds is
*ambiguous*: both branches are accepted there (the bound of the selected value covers both),
and so are both truncations of a float stored into an integer array when an integer lies
within the bound. With integers only, every bound is zero: exact comparisons.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import operator
import os
import sys
from dataclasses import dataclass, field

import numpy as np

# --- dtypes and typing models ------------------------------------------------------------------

I32, I64, F32, F64, PYINT, PYFLOAT = range(6)
NAMES = ["int32", "int64", "float32", "float64", "int", "float"]
STORE = [np.int32, np.int64, np.float32, np.float64, np.int64, np.float64]  # where a code computes
CODE_OF = {np.dtype(np.int32): I32, np.dtype(np.int64): I64, np.dtype(np.float32): F32, np.dtype(np.float64): F64}
DTYPES = ["float32", "int32", "float64", "int64"]  # hypothesis draws the first ones a little more
INTS = (I32, I64, PYINT)
# A bound on one rounding in each code (an ulp: twice the unit roundoff, for slack).
ULP = np.array([0.0, 0.0, 2.0**-23, 2.0**-52, 0.0, 2.0**-52])


def _numba_unify(a, b):
    if a == b:
        return a
    if a in INTS and b in INTS:
        return I64
    return F64


def _numba_arith(a, b):
    if a in INTS and b in INTS:
        return I64  # numba: integer arithmetic is at least intp wide
    if a == b == F32:
        return F32
    return F64


class Model:
    """How one back end family types the kernel's Python (see the module docstring): the code
    of a constant, of a work-item id or loop variable, the tables ``arith_table[a, b]`` (+ - *)
    and ``unify_table`` (min/max, ``x if c else y``, a loop's accumulator; None where each
    element keeps its operand's type), ``sqrt_code`` and ``neg_code``."""

    name: str
    const_int: int
    const_float: int
    index: int  # the work-item's ids and a range() loop variable
    per_element_choice: bool


class NumbaModel(Model):
    name = "numba"
    const_int, const_float, index = I64, F64, I64
    per_element_choice = False  # min/max/ifexp unify their operands' types

    def __init__(self):
        self.arith_table = np.array([[_numba_arith(a, b) for b in range(6)] for a in range(6)], np.int8)
        self.unify_table = np.array([[_numba_unify(a, b) for b in range(6)] for a in range(6)], np.int8)

    def sqrt_code(self, a):
        return np.where(a == F32, F32, F64).astype(np.int8)

    def neg_code(self, a):
        return np.where(np.isin(a, INTS), I64, a).astype(np.int8)  # numba: -int32 is int64


class PythonModel(Model):
    name = "python"
    const_int, const_float, index = PYINT, PYFLOAT, PYINT
    per_element_choice = True  # min/max/ifexp return one operand as it is

    SAMPLES = [np.int32(3), np.int64(3), np.float32(1.5), np.float64(1.5), 3, 1.5]

    @staticmethod
    def _code(x):
        if type(x) is int:
            return PYINT
        if type(x) is float:
            return PYFLOAT
        return CODE_OF[np.dtype(type(x))]

    def __init__(self):
        # the table is NumPy's own scalar promotion (NEP 50), measured, not written down
        s = self.SAMPLES
        self.arith_table = np.array([[self._code(s[a] * s[b]) for b in range(6)] for a in range(6)], np.int8)
        for a in range(6):
            for b in range(6):
                assert self._code(s[a] + s[b]) == self._code(s[a] - s[b]) == self.arith_table[a, b]
        self.unify_table = None

    def sqrt_code(self, a):
        return np.full(np.shape(a), PYFLOAT, np.int8)

    def neg_code(self, a):
        return np.asarray(a, np.int8)  # -np.int32 stays int32


NUMBA = NumbaModel()
PYTHON = PythonModel()
MODEL_OF_BACKEND = {"sycl": NUMBA, "host": NUMBA, "interpret": NUMBA}


class ModelOverflow(ArithmeticError):
    """An integer intermediate left its dtype's range: the generator's bounds failed."""


class V:
    """A value of the reference: per element, the value (float64 holds every value exactly:
    the magnitudes stay far below 2**53), its code (the dtype it has in the model) and an
    error bound."""

    __slots__ = ("m", "val", "code", "err")

    def __init__(self, m, val, code, err=None):
        self.m = m
        self.val = np.asarray(val, np.float64)
        self.code = np.broadcast_to(np.asarray(code, np.int8), self.val.shape) if np.ndim(code) else np.full(
            self.val.shape, code, np.int8)
        self.err = np.zeros(self.val.shape) if err is None else np.asarray(err, np.float64)

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def array(cls, m, a):
        return cls(m, a.astype(np.float64), CODE_OF[a.dtype])

    # -- helpers -----------------------------------------------------------------------------
    def _compute(self, codes, fn, *operands):
        """fn(*operands as dtype) for each code in ``codes`` (an int8 array), stored as float64."""
        shape = codes.shape
        out = np.empty(shape)
        vals = [np.broadcast_to(o.val, shape) for o in operands]
        for c in np.unique(codes):
            mask = codes == c
            dt = STORE[c]
            args = [v[mask].astype(dt) for v in vals]
            with np.errstate(over="raise", invalid="raise"):
                r = fn(*args)
            r = np.asarray(r, dtype=dt)
            if c == I32 and np.any(np.abs(r.astype(np.int64)) >= 2**31 - 1):
                raise ModelOverflow("int32 overflow")
            out[mask] = r
        return out

    @staticmethod
    def _shape(*vs):
        return np.broadcast_shapes(*(v.val.shape for v in vs))

    def _arith(self, other, fn, err_fn):
        other = _lift(self.m, other)
        shape = self._shape(self, other)
        codes = self.m.arith_table[np.broadcast_to(self.code, shape), np.broadcast_to(other.code, shape)]
        val = self._compute(codes, fn, self, other)
        err = err_fn(self, other) + ULP[codes] * np.abs(val)
        return V(self.m, val, codes, err)

    def __add__(self, o):
        return self._arith(o, operator.add, lambda x, y: x.err + y.err)

    def __radd__(self, o):
        return _lift(self.m, o).__add__(self)

    def __sub__(self, o):
        return self._arith(o, operator.sub, lambda x, y: x.err + y.err)

    def __rsub__(self, o):
        return _lift(self.m, o).__sub__(self)

    def __mul__(self, o):
        return self._arith(o, operator.mul,
                           lambda x, y: np.abs(x.val) * y.err + np.abs(y.val) * x.err + x.err * y.err)

    def __rmul__(self, o):
        return _lift(self.m, o).__mul__(self)

    def __abs__(self):
        return V(self.m, np.abs(self.val), self.code, self.err)

    def __neg__(self):
        codes = self.m.neg_code(self.code)
        return V(self.m, self._compute(codes, operator.neg, self), codes, self.err)

    def cast(self, code):
        """The value converted to ``code`` (float -> int truncates, as a store does)."""
        shape = np.broadcast_shapes(self.val.shape, np.shape(code))
        code = np.broadcast_to(np.asarray(code, np.int8), shape)
        v, e = np.broadcast_to(self.val, shape), np.broadcast_to(self.err, shape)
        val = np.empty(shape)
        err = np.empty(shape)
        for c in np.unique(code):
            mask = code == c
            if c in INTS:
                x, ex = v[mask], e[mask]
                t = np.trunc(x)
                val[mask] = t
                # every truncation of a value within the bound is accepted
                err[mask] = np.maximum(np.abs(np.trunc(x + ex) - t), np.abs(t - np.trunc(x - ex)))
            else:
                r = v[mask].astype(STORE[c]).astype(np.float64)
                val[mask] = r
                err[mask] = e[mask] + ULP[c] * np.abs(r)
        return V(self.m, val, code, err)

    # comparisons give a Cond
    def _cmp(self, other, fn):
        other = _lift(self.m, other)
        shape = self._shape(self, other)
        a, b = np.broadcast_to(self.val, shape), np.broadcast_to(other.val, shape)
        slack = np.broadcast_to(self.err, shape) + np.broadcast_to(other.err, shape)
        return Cond(fn(a, b), (np.abs(a - b) <= slack) & (slack > 0))

    def __lt__(self, o):
        return self._cmp(o, operator.lt)

    def __le__(self, o):
        return self._cmp(o, operator.le)

    def __gt__(self, o):
        return self._cmp(o, operator.gt)

    def __ge__(self, o):
        return self._cmp(o, operator.ge)

    def __eq__(self, o):  # noqa: D105 (a Cond, as NumPy's == gives an array)
        return self._cmp(o, operator.eq)

    def __ne__(self, o):
        return self._cmp(o, operator.ne)

    __hash__ = None


@dataclass
class Cond:
    val: np.ndarray  # the comparison on the reference's values
    amb: np.ndarray  # where it could come out either way within the error bounds

    # `and`, `or`, `not` of the kernel: ambiguous where either side is (a safe over-estimate)
    def both(self, other):
        return Cond(self.val & other.val, self.amb | other.amb)

    def either(self, other):
        return Cond(self.val | other.val, self.amb | other.amb)

    def negate(self):
        return Cond(~self.val, self.amb)


def _lift(m, x):
    if isinstance(x, V):
        return x
    if isinstance(x, bool):
        raise TypeError("bool in arithmetic")
    if isinstance(x, int):
        return V(m, x, m.const_int)
    if isinstance(x, float):
        return V(m, x, m.const_float)
    raise TypeError(type(x))


class Ref:
    """The names the generated reference function uses, bound to one model."""

    def __init__(self, m):
        self.m = m

    def C(self, x):
        """A Python constant (or a range() loop variable)."""
        return _lift(self.m, x)

    def ids(self, shape):
        return [V(self.m, g, self.m.index) for g in np.indices(shape)]

    def sqrt(self, x):
        codes = self.m.sqrt_code(x.code)
        val = x._compute(codes, np.sqrt, x)
        lo = np.sqrt(np.maximum(x.val - x.err, 0.0))
        hi = np.sqrt(x.val + x.err)
        err = np.maximum(val - lo, hi - val) + 3 * ULP[codes] * val  # OpenCL allows a float32 sqrt 3 ulp (GPUs use it)
        return V(self.m, val, codes, err)

    def _choose(self, pick_first: Cond, x, y):
        """One of x and y per element; where the choice is ambiguous, a bound covering both."""
        shape = np.broadcast_shapes(x.val.shape, y.val.shape, pick_first.val.shape)
        if self.m.per_element_choice:
            codes = np.where(pick_first.val, x.code, y.code).astype(np.int8)
            xs, ys = x, y
        else:
            codes = self.m.unify_table[np.broadcast_to(x.code, shape), np.broadcast_to(y.code, shape)]
            xs, ys = x.cast(codes) if (x.code != codes).any() else x, y.cast(codes) if (y.code != codes).any() else y
        val = np.where(pick_first.val, xs.val, ys.val)
        err = np.where(pick_first.val, xs.err, ys.err)
        both = np.maximum(xs.err, ys.err) + np.abs(xs.val - ys.val)
        err = np.where(pick_first.amb, np.maximum(err, both), err)
        return V(self.m, np.broadcast_to(val, shape), np.broadcast_to(codes, shape), np.broadcast_to(err, shape))

    def vmin(self, x, y):
        return self._choose(_not(y < x), x, y)  # min(x, y) is x unless y < x

    def vmax(self, x, y):
        return self._choose(_not(y > x), x, y)  # max(x, y) is x unless y > x

    def where(self, c, x, y):
        return self._choose(c, x, y)

    def loop(self, acc, body, n):
        """``for k in range(n): acc = body(acc, k)``, with the model's type for ``acc``."""
        if not self.m.per_element_choice and acc.code.size:
            # numba: the accumulator has one type, unified over its values before and after a pass
            code = int(acc.code.flat[0])
            for _ in range(4):
                probe = body(V(self.m, np.zeros(1), code), 0)
                new = int(self.m.unify_table[code, int(probe.code.flat[0])])
                if new == code:
                    break
                code = new
            acc = acc.cast(code)
            for k in range(n):
                acc = body(acc, k).cast(code)
            return acc
        for k in range(n):
            acc = body(acc, k)
        return acc

    def select(self, c, x, y):
        """``if c: out[i] = x else: out[i] = y`` (x, y already stored)."""
        return self._choose(c, x, y)


def _not(c: Cond) -> Cond:
    return Cond(~c.val, c.amb)


# --- expression trees ----------------------------------------------------------------------------
# Nodes are tuples: ("arr", name) ("const", value) ("idx", d, as_item) ("k",) ("acc",)
# ("param", name) ("bin", op, l, r) ("abs", x) ("neg", x) ("sqrt", x) (math.sqrt(abs(x)))
# ("min", l, r) ("max", l, r) ("call", l, r) (the device function) ("ifexp", cond, l, r), and
# conditions ("cmp", op, l, r) ("and", c, c) ("or", c, c) ("not", c).

INT_BOUND = 50
FLOAT_BOUND = 10.0
LIMIT = 2.0e6  # every intermediate stays below this: int32 never overflows, trunc stays in range


def bound(node, env):
    """An upper bound on |value| of ``node``; env: arrays' dtypes, the range, helper, acc."""
    kind = node[0]
    if kind == "arr":
        return INT_BOUND if env["dtypes"][node[1]].startswith("int") else FLOAT_BOUND
    if kind == "const":
        return abs(node[1])
    if kind == "idx":
        return env["shape_bound"]
    if kind == "k":
        return 2
    if kind == "acc":
        return env["acc_bound"]
    if kind == "param":
        return env["params"][node[1]]
    if kind == "bin":
        a, b = bound(node[2], env), bound(node[3], env)
        return a * b if node[1] == "*" else a + b
    if kind in ("abs", "neg"):
        return bound(node[1], env)
    if kind == "sqrt":
        return math.sqrt(bound(node[1], env))
    if kind in ("min", "max"):
        return max(bound(node[1], env), bound(node[2], env))
    if kind == "call":
        inner = dict(env, params={"x": bound(node[1], env), "y": bound(node[2], env)})
        return max(bound(env["helper"], inner), inner["params"]["x"], inner["params"]["y"])
    if kind == "ifexp":
        return max(bound(node[2], env), bound(node[3], env))
    raise ValueError(node)


def _const_src(v):
    return f"({v!r})" if v < 0 else repr(v)


def kernel_expr(node, ndim):
    """The kernel's Python for an expression."""
    k = node[0]
    rec = lambda n: kernel_expr(n, ndim)  # noqa: E731
    if k == "arr":
        return f"{node[1]}[i]"
    if k == "const":
        return _const_src(node[1])
    if k == "idx":  # ("idx", d, as_item): in 1-D the work-item itself computes as an int
        return "i" if ndim == 1 and node[2] else f"i[{node[1]}]"
    if k == "k":
        return "k"
    if k == "acc":
        return "acc"
    if k == "param":
        return node[1]
    if k == "bin":
        return f"({rec(node[2])} {node[1]} {rec(node[3])})"
    if k == "abs":
        return f"abs({rec(node[1])})"
    if k == "neg":
        return f"(-{rec(node[1])})"
    if k in ("and", "or"):
        return f"({rec(node[1])} {k} {rec(node[2])})"
    if k == "not":
        return f"(not {rec(node[1])})"
    if k == "sqrt":
        return f"math.sqrt(abs({rec(node[1])}))"
    if k in ("min", "max"):
        return f"{k}({rec(node[1])}, {rec(node[2])})"
    if k == "call":
        return f"fz_helper({rec(node[1])}, {rec(node[2])})"
    if k == "ifexp":
        return f"({rec(node[2])} if {rec(node[1])} else {rec(node[3])})"
    if k == "cmp":
        return f"({rec(node[2])} {node[1]} {rec(node[3])})"
    raise ValueError(node)


def ref_expr(node):
    """The reference's Python for an expression (NumPy arrays wrapped in V)."""
    k = node[0]
    if k == "arr":
        return node[1]
    if k == "const":
        return f"C({node[1]!r})"
    if k == "idx":
        return f"ids[{node[1]}]"
    if k == "k":
        return "C(k)"
    if k in ("acc",):
        return "acc"
    if k == "param":
        return node[1]
    if k == "bin":
        return f"({ref_expr(node[2])} {node[1]} {ref_expr(node[3])})"
    if k == "abs":
        return f"abs({ref_expr(node[1])})"
    if k == "neg":
        return f"(-{ref_expr(node[1])})"
    if k == "and":
        return f"{ref_expr(node[1])}.both({ref_expr(node[2])})"
    if k == "or":
        return f"{ref_expr(node[1])}.either({ref_expr(node[2])})"
    if k == "not":
        return f"{ref_expr(node[1])}.negate()"
    if k == "sqrt":
        return f"R.sqrt(abs({ref_expr(node[1])}))"
    if k in ("min", "max"):
        return f"R.v{k}({ref_expr(node[1])}, {ref_expr(node[2])})"
    if k == "call":
        return f"fz_helper({ref_expr(node[1])}, {ref_expr(node[2])})"
    if k == "ifexp":
        return f"R.where({ref_expr(node[1])}, {ref_expr(node[2])}, {ref_expr(node[3])})"
    if k == "cmp":
        return f"({ref_expr(node[2])} {node[1]} {ref_expr(node[3])})"
    raise ValueError(node)


@dataclass
class KernelSpec:
    """One generated kernel: its arrays, its statements (as trees) and its helper."""

    ndim: int
    dtypes: dict  # name -> dtype name, inputs a, b[, c] and "out"
    helper: tuple | None  # an expression over params x, y
    acc_init: tuple | None  # the loop: acc = acc_init; for k in range(3): acc = acc <acc_op> acc_step
    acc_op: str
    acc_step: tuple | None
    cond: tuple | None  # if cond: out[i] = then else: out[i] = other (no else when other is None)
    then: tuple = None
    other: tuple | None = None
    views: dict = field(default_factory=dict)  # name -> ViewSpec of the first launch
    acc_aug: bool = False  # acc += step rather than acc = acc + step

    @property
    def inputs(self):
        return [n for n in self.dtypes if n != "out"]

    def kernel_source(self):
        args = ", ".join(["i", *self.inputs, "out"])
        ex = lambda n: kernel_expr(n, self.ndim)  # noqa: E731
        lines = ["import math", "", "import hetero", "", ""]
        if self.helper is not None:
            lines += ["@hetero.device_function", "def fz_helper(x, y):", f"    return {ex(self.helper)}", "", ""]
        lines.append(f"def fz_kernel({args}):")
        if self.acc_init is not None:
            step = (f"acc {self.acc_op}= {ex(self.acc_step)}" if self.acc_aug
                    else f"acc = acc {self.acc_op} {ex(self.acc_step)}")
            lines += [f"    acc = {ex(self.acc_init)}", "    for k in range(3):", f"        {step}"]
        if self.cond is not None:
            lines += [f"    if {ex(self.cond)}:", f"        out[i] = {ex(self.then)}"]
            if self.other is not None:
                lines += ["    else:", f"        out[i] = {ex(self.other)}"]
        else:
            lines.append(f"    out[i] = {ex(self.then)}")
        return "\n".join(lines) + "\n"

    def reference_source(self):
        args = ", ".join(["R", "ids", *self.inputs, "out"])
        lines = [f"def fz_reference({args}):",
                 f"    # a V per value (tests/_fuzz.py); out is {self.dtypes['out']}",
                 "    C = R.C"]
        if self.helper is not None:
            lines += ["", "    def fz_helper(x, y):", f"        return {ref_expr(self.helper)}", ""]
        if self.acc_init is not None:
            lines += [f"    acc = {ref_expr(self.acc_init)}",
                      f"    acc = R.loop(acc, lambda acc, k: acc {self.acc_op} {ref_expr(self.acc_step)}, 3)"]
        out = CODE_OF[np.dtype(self.dtypes["out"])]
        if self.cond is not None:
            other = "out" if self.other is None else f"({ref_expr(self.other)}).cast({out})"
            lines.append(f"    return R.select({ref_expr(self.cond)}, ({ref_expr(self.then)}).cast({out}), {other})")
        else:
            lines.append(f"    return ({ref_expr(self.then)}).cast({out})")
        return "\n".join(lines) + "\n"

    def source(self):
        """The module written to disk: the kernel and, below it, its reference."""
        return self.kernel_source() + "\n\n" + self.reference_source()


# --- the generated module on disk ----------------------------------------------------------------

_MODULES: dict = {}


def load(spec: KernelSpec, directory: str):
    """(kernel, reference function, path) for ``spec``: written once to ``directory`` and imported;
    the same source gives the same (already compiled) kernel object."""
    import hetero

    src = spec.source()
    digest = hashlib.sha1(src.encode()).hexdigest()[:16]
    hit = _MODULES.get(digest)
    if hit is not None:
        return hit
    name = f"fz_{digest}"
    path = os.path.join(directory, name + ".py")
    with open(path, "w") as f:
        f.write(src)
    mspec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(mspec)
    sys.modules[name] = mod
    mspec.loader.exec_module(mod)
    hit = _MODULES[digest] = (hetero.kernel(mod.fz_kernel), mod.fz_reference, path)
    return hit


# --- inputs: views of bigger base arrays ----------------------------------------------------------

SENTINEL = {"int32": -12345, "int64": -12345, "float32": -1234.5, "float64": -1234.5}


@dataclass
class ViewSpec:
    """A view of ``shape`` cut from a base: per dimension a step (±1, 2) and an offset; then
    optionally the base was made transposed (the view is a transpose) and/or Fortran-ordered."""

    steps: tuple
    offsets: tuple
    transpose: bool
    fortran: bool

    def make(self, shape, dtype, rng, fill=None):
        nd = len(shape)
        inner = shape[::-1] if self.transpose else shape
        steps = self.steps[::-1] if self.transpose else self.steps
        offs = self.offsets[::-1] if self.transpose else self.offsets
        base_shape = tuple(o + abs(s) * n + 1 for n, s, o in zip(inner, steps, offs))
        if fill is not None:
            base = np.full(base_shape, fill, dtype)
        elif np.dtype(dtype).kind == "i":
            base = rng.integers(-INT_BOUND, INT_BOUND + 1, size=base_shape).astype(dtype)
        else:
            x = rng.uniform(-FLOAT_BOUND, FLOAT_BOUND, size=base_shape)
            # a quarter of the floats on a grid of 0.5: ties in comparisons and min/max, exact ints
            grid = rng.random(base_shape) < 0.25
            base = np.where(grid, np.round(x * 2) / 2, x).astype(dtype)
        if self.fortran:
            base = np.asfortranarray(base)
        idx = []
        for n, s, o in zip(inner, steps, offs):
            if n == 0:
                idx.append(slice(o, o, s))
            elif s > 0:
                idx.append(slice(o, o + s * n, s))
            else:
                start = o + abs(s) * n - 1
                stop = start - abs(s) * n
                idx.append(slice(start, stop if stop >= 0 else None, s))
        idx = tuple(idx)
        view = base[idx]
        if self.transpose:
            view = view.transpose()
        assert view.shape == tuple(shape), (view.shape, shape)
        assert nd == view.ndim
        return base, idx, view

    def describe(self):
        return (f"steps={self.steps} offsets={self.offsets}" + (" transposed" if self.transpose else "")
                + (" fortran-base" if self.fortran else ""))


# --- running one launch on every back end and checking it ----------------------------------------

RTOL = {"float32": 1e-5, "float64": 1e-12, "int32": 0.0, "int64": 0.0}
ERR_FACTOR = 2.0  # the propagated rounding bound, with slack


@dataclass
class Launch:
    shape: tuple
    views: dict  # name -> ViewSpec
    seed: int
    # name -> ("same" | "flip", an earlier array): this array is that one's view (out: in place),
    # or that view reversed along axis 0 (inputs only), of the same base
    alias: dict = field(default_factory=dict)


@dataclass
class Mismatch:
    backend: str
    what: str
    details: str

    def __str__(self):
        return f"[{self.backend}] {self.what}\n{self.details}"


def _run_backend(k, backend, rng, args):
    import hetero

    if backend == "interpret":
        k.interpret[rng](*args)
    elif backend == "host":
        with hetero.device("host"):
            k[rng](*args)
    else:
        with hetero.device(backend):
            k[rng](*args)
    want = "sycl" if backend not in ("host", "interpret") else backend
    got = k.last_backend.backend
    assert got == want, f"asked for {backend}, ran on {got}"
    return want


def reference(spec, ref_fn, model, launch, inputs):
    """The reference's V for the output view; ``inputs``: name -> view, "out" included (what an
    if without else leaves in place)."""
    R = Ref(model)
    vals = [V.array(model, inputs[n]) for n in [*spec.inputs, "out"]]
    r = ref_fn(R, R.ids(launch.shape), *vals)
    shape = tuple(launch.shape)
    return V(model, np.broadcast_to(r.val, shape), np.broadcast_to(r.code, shape), np.broadcast_to(r.err, shape))


def compare(got, ref, dtype, label, max_show=6):
    """'' when ``got`` (the output view) matches the reference V, else a description."""
    want = ref.val
    tol = RTOL[dtype] * np.abs(want) + ERR_FACTOR * ref.err
    diff = np.abs(got.astype(np.float64) - want)
    bad = ~(diff <= tol)
    if not bad.any():
        return ""
    where = np.argwhere(bad)
    lines = [f"{label}: {bad.sum()} of {bad.size} elements differ"]
    for ix in where[:max_show]:
        t = tuple(int(j) for j in ix)
        lines.append(f"  at {t}: got {got[t]!r}, expected {want[t]!r} (allowed |diff| <= {tol[t]:.3g}, "
                     f"model dtype {NAMES[int(ref.code[t])]})")
    return "\n".join(lines)


def _arrays(spec, launch):
    """The launch's bases (original data) and, per array, how its view is cut from which base."""
    rng = np.random.default_rng(launch.seed)
    bases, how = {}, {}
    for n in [*spec.inputs, "out"]:
        mode, src = launch.alias.get(n, (None, None))
        if mode is None:
            fill = SENTINEL[spec.dtypes[n]] if n == "out" else None
            bases[n], idx, _ = launch.views[n].make(launch.shape, spec.dtypes[n], rng, fill=fill)
            how[n] = (n, idx, launch.views[n].transpose, False)
        else:  # a view of an earlier array's base: the same view, or it reversed along axis 0
            key, idx, tr, flip = how[src]
            how[n] = (key, idx, tr, flip != (mode == "flip"))
    return bases, how


def _view(bases, how):
    key, idx, transpose, flip = how
    v = bases[key][idx]
    if transpose:
        v = v.transpose()
    return v[::-1] if flip else v


def _log_launch(backend, spec, launch, path):
    """With HETERO_FUZZ_LOG=file, each launch is appended there (flushed) before it runs: what a
    crash of the process (a segfault in a driver) leaves as its last line."""
    log = os.environ.get("HETERO_FUZZ_LOG")
    if log:
        with open(log, "a") as f:
            f.write(f"{backend}\t{path}\t{spec!r}\t{launch!r}\n")
            f.flush()
            os.fsync(f.fileno())


def check_launch(spec, k, ref_fn, launch, backends, path=""):
    """Run one launch on each back end: (the list of Mismatch, empty when all agree with the
    references; {"refs": model name -> V, "results": back end -> output})."""
    made, how = _arrays(spec, launch)
    odt = spec.dtypes["out"]
    inputs = {n: _view(made, how[n]) for n in [*spec.inputs, "out"]}
    refs = {m.name: reference(spec, ref_fn, m, launch, inputs) for m in (NUMBA, PYTHON)}
    problems = []
    results = {}
    okey = how["out"][0]
    for be in backends:
        bases = {n: b.copy(order="K") for n, b in made.items()}
        args = [_view(bases, how[n]) for n in [*spec.inputs, "out"]]
        out = args[-1]
        rng_arg = launch.shape[0] if len(launch.shape) == 1 else tuple(launch.shape)
        _log_launch(be, spec, launch, path)
        try:
            name = _run_backend(k, be, rng_arg, args)
        except Exception as e:  # a back end refusing or crashing on a kernel the others run
            problems.append(Mismatch(be, f"raised {type(e).__name__}", str(e)[:2000]))
            continue
        results[be] = out.copy()
        model = MODEL_OF_BACKEND[name]
        msg = compare(out, refs[model.name], odt, f"out vs the NumPy reference ({model.name} typing)")
        if msg:
            problems.append(Mismatch(be, "wrong values", msg))
        # nothing outside the output view was written, no input changed
        for key, b in bases.items():
            keep = np.ones(b.shape, bool)
            if key == okey:
                _view({key: keep}, how["out"])[...] = False
            changed = (b != made[key]) & keep
            if changed.any():
                where = "outside the output view" if key == okey else f"in the base of {key!r}"
                problems.append(Mismatch(be, f"wrote {where}",
                                         f"{int(changed.sum())} elements, first at {tuple(np.argwhere(changed)[0])}"))
    # the compiled back ends against each other (same typing: they should agree to the bound)
    compiled = [b for b in results if b != "interpret"]
    for a, b in zip(compiled, compiled[1:]):
        ref = refs["numba"]
        tol = RTOL[odt] * np.abs(ref.val) + ERR_FACTOR * ref.err
        bad = ~(np.abs(results[a].astype(np.float64) - results[b]) <= tol)
        if bad.any():
            problems.append(Mismatch(f"{a} vs {b}", "the compiled back ends disagree",
                                     f"{int(bad.sum())} elements, first at {tuple(np.argwhere(bad)[0])}"))
    return problems, {"refs": refs, "results": results}


def describe_launch(spec, launch):
    lines = [f"range {launch.shape}, seed {launch.seed}"]
    for n in [*spec.inputs, "out"]:
        mode, src = launch.alias.get(n, (None, None))
        if mode:
            lines.append(f"  {n}: {spec.dtypes[n]}, {src}'s view" + (" reversed along axis 0" if mode == "flip" else ""))
        else:
            lines.append(f"  {n}: {spec.dtypes[n]} view {launch.views[n].describe()}")
    return "\n".join(lines)


def repro(spec, launch, path):
    """Shell commands that rebuild and rerun a failing launch (from the repository root)."""
    return "\n".join([
        ".venv/bin/python - <<'EOF'",
        "import tempfile",
        "from tests import _fuzz as F",
        "from tests._fuzz import KernelSpec, Launch, ViewSpec",
        f"spec = {spec!r}",
        f"launch = {launch!r}",
        "k, ref, path = F.load(spec, tempfile.mkdtemp())",
        "for p in F.check_launch(spec, k, ref, launch, F.available_backends(), path)[0]:",
        "    print(p)",
        "EOF",
    ])


def available_backends():
    import hetero

    sycl = [d.filter_string for d in hetero.devices() if not d.is_host]
    return sycl[:1] + ["host", "interpret"]


# --- hypothesis strategies ------------------------------------------------------------------------

def strategies():
    """(kernel_specs, launches_for) — imported lazily so that the module loads without hypothesis."""
    from hypothesis import strategies as st

    CONSTS = [0, 1, 2, 3, -1, -2, 5, 0.5, 1.5, -0.25, 2.0, 0.1, 3.7, -1.3]
    CMP = ["<", "<=", ">", ">=", "==", "!="]

    def draw_expr(draw, env, depth, leaves, item_ok=True):
        # item_ok: whether a 1-D work-item may appear here as itself (`i`, not `i[0]`): the
        # kernel language takes it as an int in arithmetic, abs and comparisons, but min/max
        # refuse it (KernelTypingError, on every back end alike), so not under min/max, nor
        # where its type could flow into one (a device function's parameter, x if c else y)
        if depth <= 0 or draw(st.integers(0, 4)) == 0:
            return draw_leaf(draw, env, leaves, item_ok)
        kinds = ["+", "-", "*", "*", "abs", "neg", "sqrt", "min", "max", "ifexp"]
        if env.get("helper") is not None and "param" not in leaves:
            kinds += ["call", "call"]
        kind = draw(st.sampled_from(kinds))
        sub = lambda ok=True: draw_expr(draw, env, depth - 1, leaves, ok)  # noqa: E731
        if kind in "+-*":
            node = ("bin", kind, sub(), sub())
        elif kind in ("abs", "sqrt", "neg"):
            node = (kind, sub())
        elif kind in ("min", "max", "call"):
            node = (kind, sub(False), sub(False))
        else:
            node = ("ifexp", draw_cond(draw, env, depth - 1, leaves), sub(False), sub(False))
        if bound(node, env) > LIMIT:  # keep every intermediate small: the smaller operand instead
            kids = [n for n in node[1:] if isinstance(n, tuple) and n[0] not in ("cmp", "and", "or", "not")]
            node = min(kids, key=lambda n: bound(n, env))
        return node

    def draw_leaf(draw, env, leaves, item_ok):
        kind = draw(st.sampled_from(leaves))
        if kind == "const":
            return ("const", draw(st.sampled_from(CONSTS)))
        if kind == "idx":
            return ("idx", draw(st.integers(0, env["ndim"] - 1)), item_ok and draw(st.booleans()))
        if kind in ("k", "acc"):
            return (kind,)
        return ("param" if kind in ("x", "y") else "arr", kind)

    def draw_cond(draw, env, depth, leaves, logic=True):
        kind = draw(st.sampled_from(["cmp"] * 4 + (["and", "or", "not"] if logic else [])))
        if kind == "not":
            return ("not", draw_cond(draw, env, depth, leaves, False))
        if kind in ("and", "or"):
            return (kind, draw_cond(draw, env, depth - 1, leaves, False),
                    draw_cond(draw, env, depth - 1, leaves, False))
        return ("cmp", draw(st.sampled_from(CMP)), draw_expr(draw, env, depth, leaves),
                draw_expr(draw, env, depth, leaves))

    @st.composite
    def view_specs(draw, ndim):
        return ViewSpec(
            steps=tuple(draw(st.sampled_from([1, 1, 2, -1])) for _ in range(ndim)),
            offsets=tuple(draw(st.integers(0, 1)) for _ in range(ndim)),
            transpose=ndim > 1 and draw(st.booleans()),
            fortran=ndim > 1 and draw(st.booleans()),
        )

    @st.composite
    def kernel_specs(draw):
        ndim = draw(st.integers(1, 3))
        n_in = draw(st.integers(2, 3))
        names = ["a", "b", "c"][:n_in]
        dtypes = {n: draw(st.sampled_from(DTYPES)) for n in names}
        dtypes["out"] = draw(st.sampled_from(DTYPES))
        env = {"ndim": ndim, "dtypes": dtypes, "shape_bound": 200, "helper": None, "params": {}}
        arr_leaves = names * 3  # arrays are the most common leaf
        helper = None
        if draw(st.booleans()):
            henv = dict(env, params={"x": 60.0, "y": 60.0})
            helper = draw_expr(draw, henv, 2, ["x", "y", "x", "y", "const"])
            env["helper"] = helper
        leaves = arr_leaves + ["const", "idx"]
        acc_init = acc_step = None
        acc_op = "+"
        acc_aug = False
        if draw(st.booleans()):
            acc_init = draw_expr(draw, env, 2, leaves, False)
            acc_op = draw(st.sampled_from(["+", "-"]))
            acc_aug = draw(st.booleans())
            acc_step = draw_expr(draw, env, 2, leaves + ["k", "k"])
            env["acc_bound"] = bound(acc_init, env) + 3 * bound(acc_step, env)
            if env["acc_bound"] > LIMIT:
                acc_step = ("k",)
                env["acc_bound"] = bound(acc_init, env) + 6
            leaves = leaves + ["acc", "acc"]
        cond = other = None
        if draw(st.booleans()):
            cond = draw_cond(draw, env, 2, leaves)
            other = draw_expr(draw, env, 3, leaves) if draw(st.integers(0, 3)) else None  # else: no else
        then = draw_expr(draw, env, 3, leaves)
        views = {n: draw(view_specs(ndim)) for n in [*names, "out"]}
        return KernelSpec(ndim, dtypes, helper, acc_init, acc_op, acc_step, cond, then, other, views, acc_aug)

    @st.composite
    def shapes(draw, ndim):
        if ndim == 1:
            return (draw(st.integers(0, 200)),)
        hi = 14 if ndim == 2 else 6
        shape = [draw(st.integers(1, hi)) for _ in range(ndim)]
        while math.prod(shape) > 200:
            shape[shape.index(max(shape))] -= 1
        return tuple(shape)

    @st.composite
    def launches_for(draw, spec, n):
        out = []
        for j in range(n):
            shape = draw(shapes(spec.ndim))
            # the first launch uses the kernel's views; later ones keep them (the compiled
            # specialisation is reused) or, now and then, take new ones (a new layout)
            views = dict(spec.views)
            if j and draw(st.integers(0, 3)) == 0:
                views = {nm: draw(view_specs(spec.ndim)) for nm in views}
            alias = {}
            names = spec.inputs
            for m, nm in enumerate(names[1:], 1):  # an input read through another's memory
                same = [x for x in names[:m] if spec.dtypes[x] == spec.dtypes[nm] and x not in alias]
                if same and draw(st.integers(0, 4)) == 0:
                    alias[nm] = (draw(st.sampled_from(["same", "flip"])), draw(st.sampled_from(same)))
            # in place (out is an input's view): race-free only while no input reads that base
            # through another view
            same = [x for x in names if spec.dtypes[x] == spec.dtypes["out"] and x not in alias
                    and not any(v[1] == x and v[0] == "flip" for v in alias.values())]
            if same and draw(st.integers(0, 4)) == 0:
                alias["out"] = ("same", draw(st.sampled_from(same)))
            out.append(Launch(shape, views, draw(st.integers(0, 2**32 - 1)), alias))
        return out

    return kernel_specs, launches_for
