"""numba compiler passes every compiled kernel target shares.

``KernelCompiler`` is numba's nopython pipeline, plus ``DpnpAsNumpy``
(``dpnp.sqrt(x)`` on a kernel's scalars is NumPy's), ``LiteralGetattr``
(``getattr(x, "name")`` → ``x.name``) and, when the user compiles assertions
out (``HETERO_DISABLE_ASSERTS=1``), ``StripAsserts`` once device functions are
inlined. Like ``python -O`` (which already leaves ``assert`` out
of the bytecode, so nothing is left to strip), only ``assert`` statements go:
an explicit ``raise`` stays, because it is control flow the program means.

Kernels check their asserts by default, on every back end: a failing one is a
``KernelAssertionError`` at the next synchronisation. Checking costs a compare
and a branch per assert and, on a SYCL device, an error flag argument; the
switch is for code that is known good and measured to be slowed by them.
"""

from __future__ import annotations

import dis

from numba.core import compiler, ir
from numba.core.compiler_machinery import FunctionPass, register_pass
from numba.core.untyped_passes import InlineInlinables, TranslateByteCode

from .._env import kernel_asserts as asserts_enabled


def assert_lines(py_func) -> frozenset:
    """``(file, line)`` of every instruction on the failure path of an ``assert`` statement in
    ``py_func`` and in the device functions it calls (transitively): from each
    ``LOAD_ASSERTION_ERROR`` to the ``RAISE_VARARGS`` that ends it. A raise at one of these places
    is an assert's, even after numba has inlined a device function into its caller."""
    from ..lang import DeviceFunction
    from .analysis import referenced

    out, todo, seen = set(), [py_func], set()
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        codes = [f.__code__]
        while codes:
            code = codes.pop()
            codes.extend(c for c in code.co_consts if hasattr(c, "co_code"))
            inside = False
            for ins in dis.get_instructions(code):
                inside = inside or ins.opname == "LOAD_ASSERTION_ERROR"
                if inside and ins.positions is not None and ins.positions.lineno is not None:
                    out.add((code.co_filename, ins.positions.lineno))
                if ins.opname == "RAISE_VARARGS":
                    inside = False
        todo.extend(v.py_func for _, v in referenced(f) if isinstance(v, DeviceFunction))
    return frozenset(out)


_RAISES = (ir.Raise, ir.StaticRaise, ir.DynamicRaise)


def strip_asserts(func_ir: ir.FunctionIR, lines: frozenset) -> int:
    """Remove the failure paths of ``assert`` statements from ``func_ir``; return how many went.

    In numba's IR an assert is ``branch cond, ok, fail`` where block ``fail`` raises an
    AssertionError at one of ``lines`` (see ``assert_lines``). Each branch into such a block
    becomes a jump to its other target, and the block goes. What the condition computed is left
    for the optimiser (it may have side effects, e.g. a call).
    """
    fails = set()
    for label, block in func_ir.blocks.items():
        term = block.terminator
        if isinstance(term, _RAISES) and (term.loc.filename, term.loc.line) in lines:
            cls = getattr(term, "exc_class", AssertionError)
            if cls is None or (isinstance(cls, type) and issubclass(cls, AssertionError)):
                fails.add(label)
    if not fails:
        return 0
    for block in func_ir.blocks.values():
        term = block.terminator
        if isinstance(term, ir.Branch) and (term.truebr in fails or term.falsebr in fails):
            other = term.falsebr if term.truebr in fails else term.truebr
            if other in fails:  # both ways fail: the assert always fails; keep it
                continue
            block.body[-1] = ir.Jump(other, term.loc)
    reached = {label for block in func_ir.blocks.values() for label in block.terminator.get_targets()}
    gone = 0
    for label in fails:
        if label not in reached:
            del func_ir.blocks[label]
            gone += 1
    if gone:
        from numba.core.ir_utils import build_definitions

        func_ir._definitions = build_definitions(func_ir.blocks)
    return gone


def literal_getattr(func_ir: ir.FunctionIR) -> int:
    """``getattr(x, "name")`` with a constant name (a literal, or a global or closure variable
    holding a string, frozen at compile time like every global) → ``x.name``; return how many were
    rewritten.

    numba-dpex code writes ``getattr(AtomicRef(...), "fetch_add")(v)`` to pick an operation by
    name; numba's generic ``getattr`` implementation needs its runtime (NRT), which a kernel has
    not, while the attribute itself is what the kernel language types.
    """
    from numba.core.ir_utils import build_definitions, get_definition, guard

    count = 0
    for block in func_ir.blocks.values():
        for stmt in block.body:
            value = getattr(stmt, "value", None)
            if not (isinstance(stmt, ir.Assign) and isinstance(value, ir.Expr) and value.op == "call"):
                continue
            if len(value.args) != 2 or value.kws or value.vararg or value.varkwarg:
                continue
            fdef = guard(get_definition, func_ir, value.func)
            if not (isinstance(fdef, (ir.Global, ir.FreeVar)) and fdef.value is getattr):
                continue
            name = guard(get_definition, func_ir, value.args[1])
            if (isinstance(name, (ir.Const, ir.Global, ir.FreeVar)) and isinstance(name.value, str)
                    and name.value.isidentifier()):  # a constant, or a global / closure string
                stmt.value = ir.Expr.getattr(value.args[0], name.value, value.loc)
                count += 1
    if count:
        func_ir._definitions = build_definitions(func_ir.blocks)
    return count


def dpnp_as_numpy(func_ir: ir.FunctionIR) -> int:
    """``dpnp.sqrt`` (an attribute of the dpnp module) → NumPy's ``sqrt`` in a kernel; return how many.

    numba-dpex programs call dpnp's functions on the scalars of a kernel (``dpnp.sqrt(a[i])``);
    dpnp's act on arrays, and on scalars they mean NumPy's, which the kernel language has. A name
    NumPy lacks is left alone (and refused by typing as before).
    """
    import sys

    dpnp = sys.modules.get("dpnp")
    if dpnp is None:
        return 0
    import numpy

    from numba.core.ir_utils import build_definitions, get_definition, guard

    count = 0
    for block in func_ir.blocks.values():
        for stmt in block.body:
            value = getattr(stmt, "value", None)
            if not (isinstance(stmt, ir.Assign) and isinstance(value, ir.Expr) and value.op == "getattr"):
                continue
            base = guard(get_definition, func_ir, value.value)
            if isinstance(base, (ir.Global, ir.FreeVar)) and base.value is dpnp:
                target = getattr(numpy, value.attr, None)
                if target is not None and callable(target) and not isinstance(target, type):
                    stmt.value = ir.Global(f"numpy.{value.attr}", target, value.loc)
                    count += 1
    if count:
        func_ir._definitions = build_definitions(func_ir.blocks)
    return count


@register_pass(mutates_CFG=False, analysis_only=False)
class DpnpAsNumpy(FunctionPass):
    _name = "hetero_dpnp_as_numpy"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state):
        return dpnp_as_numpy(state.func_ir) > 0


@register_pass(mutates_CFG=False, analysis_only=False)
class LiteralGetattr(FunctionPass):
    _name = "hetero_literal_getattr"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state):
        return literal_getattr(state.func_ir) > 0


@register_pass(mutates_CFG=True, analysis_only=False)
class StripAsserts(FunctionPass):
    _name = "hetero_strip_asserts"

    def __init__(self):
        FunctionPass.__init__(self)

    def run_pass(self, state):
        return strip_asserts(state.func_ir, assert_lines(state.func_id.func)) > 0


class KernelCompiler(compiler.CompilerBase):
    """numba's nopython pipeline with ``LiteralGetattr``, and ``StripAsserts`` when asserts are compiled out."""

    def define_pipelines(self):
        pm = compiler.DefaultPassBuilder.define_nopython_pipeline(self.state)
        if any(p is TranslateByteCode for p, _ in pm.passes):
            pm.add_pass_after(DpnpAsNumpy, TranslateByteCode)
            pm.add_pass_after(LiteralGetattr, DpnpAsNumpy)
        if not asserts_enabled():
            pm.add_pass_after(StripAsserts, InlineInlinables)  # device functions are inlined by then
        pm.finalize()
        return [pm]
