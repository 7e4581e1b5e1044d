"""Analyses of a kernel that every target shares.

* :func:`written_arrays` — from numba's typed IR, which launch arguments the
  kernel may write (so that NumPy arguments are copied back only when needed);
  the in-kernel functions that write an argument say which one in
  :mod:`hetero.lang.table`.
* :func:`workgroup_feature` — from the bytecode, whether a kernel (or a device
  function it calls) uses something the host back end cannot run (barriers,
  local memory, groups, ``AtomicRef``); no source text needed.
"""

from __future__ import annotations

import dis
import weakref

import numpy as np

from ..lang import DeviceFunction, row_of, table

__all__ = ["written_arrays", "workgroup_feature", "function_environment", "referenced", "global_arrays"]


_READONLY_CALLS = ("len",)


def written_arrays(cres, offset: int, nargs: int) -> frozenset:
    """Indices of launch arguments (arrays) that the kernel may write.

    An array is written when a ``setitem`` targets it, a view of it, or anything that holds
    it (a tuple of arrays, an element of one), or when any of those is passed to a call we
    cannot see into — conservatively: a launch that copies back too much is slower, one that
    copies back too little is wrong.
    """
    from numba.core import ir as nir, types

    blocks = cres.type_annotation.blocks
    typemap = cres.type_annotation.typemap if cres.type_annotation is not None else {}
    alias: dict[str, set[int]] = {}
    assigns = []
    for block in blocks.values():
        for stmt in block.body:
            if isinstance(stmt, nir.Assign):
                assigns.append(stmt)

    def get(name):
        return alias.get(name, set())

    def holds_array(ty) -> bool:
        # arrays, and values that carry arrays inside (tuples of arrays, nested tuples)
        if isinstance(ty, types.Array):
            return True
        if isinstance(ty, types.BaseTuple):
            return any(holds_array(t) for t in ty.types)
        return False

    # A value that holds an array and is computed from aliased values may be (a view of) any of
    # them: conservatively, it aliases every aliased input of its expression. When unsure, copy back.
    changed = True
    while changed:
        changed = False
        for st in assigns:
            tgt = st.target.name
            if not holds_array(typemap.get(tgt)):
                continue
            v = st.value
            src: set[int] = set()
            if isinstance(v, nir.Arg):
                idx = v.index - offset
                if 0 <= idx < nargs:
                    src = {idx}
            elif isinstance(v, nir.Var):
                src = get(v.name)
            elif isinstance(v, nir.Expr):
                for var in v.list_vars():
                    src |= get(var.name)
            if src - get(tgt):
                alias.setdefault(tgt, set()).update(src)
                changed = True

    written: set[int] = set()
    for block in blocks.values():
        for stmt in block.body:
            if isinstance(stmt, (nir.SetItem, nir.StaticSetItem)):
                written |= get(stmt.target.name)
            elif isinstance(stmt, nir.Assign) and isinstance(stmt.value, nir.Expr) and stmt.value.op == "call":
                fnty = typemap.get(stmt.value.func.name)
                fname = getattr(getattr(fnty, "typing_key", None), "__name__", "")
                row = _row(fnty)
                if row is not None:
                    if row.writes is not None and len(stmt.value.args) > row.writes:
                        written |= get(stmt.value.args[row.writes].name)
                    continue
                if fname in _READONLY_CALLS or _is_pure(fnty):
                    continue
                for a in stmt.value.args:
                    written |= get(a.name)
            elif isinstance(stmt, nir.SetAttr):
                written |= get(stmt.target.name)
    return frozenset(written)


def _row(fnty):
    """The kernel-language table row of a called function type, or None."""
    return row_of(getattr(fnty, "typing_key", None))


def _is_pure(fnty) -> bool:
    """Calls that never write their array arguments: math and NumPy scalar functions."""
    key = getattr(fnty, "typing_key", None)
    return (getattr(key, "__module__", "") or "") == "math" or isinstance(key, np.ufunc)


# --- does a kernel need work-groups? ----------------------------------------------------------

# Work-item methods the host lacks (get_group); a Group's or an AtomicRef's methods need one of
# those first, or AtomicRef, which the scan finds as a global.
_OFF_HOST_METHODS = frozenset(r.name for r in table.TABLE if r.owner in ("Item", "NdItem") and not r.on_host)
_features: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def function_environment(py_func) -> dict:
    """What the function's free names mean: its closure cells over its globals."""
    env = dict(py_func.__globals__)
    code = py_func.__code__
    for name, cell in zip(code.co_freevars, py_func.__closure__ or ()):
        try:
            env[name] = cell.cell_contents
        except ValueError:  # an empty cell
            pass
    return env


def _scan(py_func, seen) -> str | None:
    if py_func in seen:
        return None
    seen.add(py_func)
    env = function_environment(py_func)
    codes = [py_func.__code__]
    # Resolve dotted names (hetero.barrier, kapi.local_array) one attribute at a time.
    while codes:
        code = codes.pop()
        codes.extend(c for c in code.co_consts if hasattr(c, "co_code"))
        value = None
        for ins in dis.get_instructions(code):
            op, name = ins.opname, ins.argval
            if op in ("LOAD_GLOBAL", "LOAD_DEREF", "LOAD_NAME", "LOAD_CLASSDEREF"):
                value = env.get(name, None) if isinstance(name, str) else None
            elif op in ("LOAD_ATTR", "LOAD_METHOD") and isinstance(name, str):
                if value is not None:
                    try:
                        value = getattr(value, name, None)
                    except Exception:
                        value = None
                if value is None and name in _OFF_HOST_METHODS:
                    return name  # a method of a work-item, group or AtomicRef the host lacks
            else:
                value = None
                continue
            if value is None:
                continue
            row = row_of(value)
            if row is not None and not row.on_host:
                return row.name
            if isinstance(value, DeviceFunction):
                found = _scan(value.py_func, seen)
                if found:
                    return found
    return None


def workgroup_feature(py_func) -> str | None:
    """The first thing a kernel (or a device function it calls, transitively) uses that the host
    back end cannot run — a barrier, local memory, a group, ``AtomicRef`` — or None.

    Read from the bytecode and the function's globals and closure, so aliases
    (``SYNC = hetero.barrier``) count and no source is needed.
    """
    try:
        return _features[py_func]
    except KeyError:
        pass
    found = _scan(py_func, set())
    _features[py_func] = found
    return found


# --- what a kernel's code refers to -----------------------------------------------------------


def referenced(py_func) -> list:
    """``(dotted name, value)`` for every global, closure cell and attribute of one (``mod.NAME``,
    ``cfg.SCALE``) that the function's code loads, in order of first use, each once.

    This is what the compiled code depends on besides its arguments: the disk-cache key hashes
    these values, and the compiler refuses arrays among them (``global_arrays``).
    """
    env = function_environment(py_func)
    out: dict = {}
    codes = [py_func.__code__]
    while codes:
        code = codes.pop()
        codes.extend(c for c in code.co_consts if hasattr(c, "co_code"))
        path, value = None, None
        for ins in dis.get_instructions(code):
            op, name = ins.opname, ins.argval
            if op in ("LOAD_GLOBAL", "LOAD_DEREF", "LOAD_CLASSDEREF") and isinstance(name, str) and name in env:
                path, value = name, env[name]
                out.setdefault(path, value)
            elif op in ("LOAD_ATTR", "LOAD_METHOD") and path is not None and isinstance(value, type(dis)):
                # an attribute of a module: its value is part of what the code means
                try:
                    value = getattr(value, name)
                except AttributeError:
                    path = value = None
                    continue
                path = f"{path}.{name}"
                out.setdefault(path, value)
            else:
                path = value = None
    return list(out.items())


def global_arrays(py_func, _seen=None) -> list:
    """Dotted names of the arrays a kernel (or a device function it calls) reads from module
    globals or closures: kernels take arrays as arguments only."""
    seen = set() if _seen is None else _seen
    if py_func in seen:
        return []
    seen.add(py_func)
    found = []
    for path, value in referenced(py_func):
        if isinstance(value, DeviceFunction):
            found += global_arrays(value.py_func, seen)
        elif isinstance(value, np.ndarray) or hasattr(value, "__sycl_usm_array_interface__"):
            found.append(path)
    return found
