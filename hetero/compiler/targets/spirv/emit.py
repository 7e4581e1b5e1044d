"""LLVM IR modules → one optimised, checked module → SPIR-V bytes.

Steps, in order: link the kernel's modules; make everything but the kernel
entry internal (and drop what is unused, such as numba's ``NumbaEnv``
globals); mark every function ``convergent`` (otherwise jump threading may
duplicate a barrier into divergent branches); run LLVM's O3 pipeline with the
SPIR-V target machine; check the result for IR that LLVM's SPIR-V back end
would answer with ``report_fatal_error`` (which kills the process) and raise
:class:`KernelCompileError` instead; emit SPIR-V.
"""

from __future__ import annotations

import re
import threading

from llvmlite import binding as ll

from ....errors import KernelCompileError
from .lowering import BUILTIN_NAMES, SYNC_NAMES, SYNC_PREFIXES
from .mathlib import MANGLED_NAMES
from .target import SPIR_TRIPLE

_lock = threading.Lock()
_initialised = False

# LLVM intrinsics the SPIR-V back end lowers (checked by hand on LLVM 22).
# Anything else is refused before emission: some (llvm.exp10, llvm.bitreverse,
# llvm.*.with.overflow, target intrinsics) abort the whole process.
_ALLOWED_INTRINSICS = (
    "llvm.fabs.",
    "llvm.sqrt.",
    "llvm.exp.",
    "llvm.exp2.",
    "llvm.log.",
    "llvm.log2.",
    "llvm.log10.",
    "llvm.sin.",
    "llvm.cos.",
    "llvm.tan.",
    "llvm.tanh.",
    "llvm.asin.",
    "llvm.acos.",
    "llvm.atan.",
    "llvm.sinh.",
    "llvm.cosh.",
    "llvm.atan2.",
    "llvm.pow.",
    "llvm.powi.",
    "llvm.fma.",
    "llvm.fmuladd.",
    "llvm.floor.",
    "llvm.ceil.",
    "llvm.trunc.",
    "llvm.round.",
    "llvm.rint.",
    "llvm.nearbyint.",
    "llvm.minnum.",
    "llvm.maxnum.",
    "llvm.minimum.",
    "llvm.maximum.",
    "llvm.copysign.",
    "llvm.abs.",
    "llvm.smin.",
    "llvm.smax.",
    "llvm.umin.",
    "llvm.umax.",
    "llvm.ctlz.",
    "llvm.cttz.",
    "llvm.ctpop.",
    "llvm.memcpy.",
    "llvm.memmove.",
    "llvm.memset.",
    "llvm.lifetime.",
    "llvm.assume",
    "llvm.expect.",
    "llvm.experimental.noalias.scope.decl",
    "llvm.fshl.",
    "llvm.fshr.",
)
# integer types in type positions (not the ".i123" suffixes of inlined value names)
_WIDE_INT = re.compile(r"(?<=[\s(,<\[{])i(\d+)\b")


def target_machine():
    """A new SPIR-V (spirv64) target machine.

    One per kernel: LLVM 22's SPIR-V back end keeps state in its target machine
    and a machine reused for a second ``emit_object`` was seen to crash the
    process (segfault on the third or fourth kernel). Creating one costs well
    under a millisecond.
    """
    global _initialised
    with _lock:
        if not _initialised:
            ll.initialize_all_targets()
            ll.initialize_all_asmprinters()
            _initialised = True
    return ll.Target.from_triple(SPIR_TRIPLE).create_target_machine(opt=3)


def link(modules, context=None) -> ll.ModuleRef:
    """Parse and link llvmlite IR modules (a list of ``llvmlite.ir.Module``) into one."""
    parsed = [ll.parse_assembly(str(m), context=context) for m in modules]
    main = parsed[0]
    for other in parsed[1:]:
        main.link_in(other)
    return main


def internalize(mod: ll.ModuleRef, entry: str) -> None:
    for fn in mod.functions:
        if fn.name != entry and not fn.is_declaration:
            fn.linkage = ll.Linkage.internal
    for gv in mod.global_variables:
        if not gv.is_declaration:
            gv.linkage = ll.Linkage.internal


def mark_convergent(mod: ll.ModuleRef) -> None:
    """``convergent`` on every function but LLVM intrinsics and the pure OpenCL queries / math."""
    for fn in mod.functions:
        name = fn.name
        if name.startswith("llvm.") or (fn.is_declaration and (name in BUILTIN_NAMES or name in MANGLED_NAMES)):
            continue
        fn.add_function_attribute("convergent")


def optimize(mod: ll.ModuleRef, tm, level: int = 3) -> None:
    pto = ll.create_pipeline_tuning_options(speed_level=level)
    pto.loop_vectorization = False  # the device compiler vectorises across work-items
    pto.slp_vectorization = False
    pb = ll.create_pass_builder(tm, pto)
    mpm = pb.getModulePassManager()
    mpm.run(mod, pb)


def strip_unused(mod: ll.ModuleRef, tm) -> None:
    """Global DCE: internal leftovers (NumbaEnv, unused helpers) disappear."""
    pto = ll.create_pipeline_tuning_options(speed_level=0)
    pb = ll.create_pass_builder(tm, pto)
    mpm = ll.create_new_module_pass_manager()
    mpm.add_global_dead_code_eliminate_pass()
    mpm.run(mod, pb)


def unsupported_constructs(mod: ll.ModuleRef, entry: str) -> list[str]:
    """Reasons the SPIR-V back end would abort on ``mod`` (empty when it is safe)."""
    problems: list[str] = []
    for fn in mod.functions:
        if not fn.is_declaration:
            continue
        name = fn.name
        if name in BUILTIN_NAMES or name in MANGLED_NAMES or name in SYNC_NAMES or name.startswith(SYNC_PREFIXES):
            continue
        if name.startswith("llvm."):
            if not name.startswith(_ALLOWED_INTRINSICS):
                problems.append(f"the LLVM intrinsic {name} (LLVM's SPIR-V back end cannot lower it)")
            continue
        problems.append(f"a call to the external function {name!r} (no such function exists on a SYCL device)")
    for gv in mod.global_variables:
        if gv.name.startswith("_ZN08NumbaEnv"):
            problems.append("a reference to numba's Python environment (Python objects are not available)")
    text = str(mod)
    for m in _WIDE_INT.finditer(text):
        if int(m.group(1)) > 64:
            problems.append(f"a {m.group(1)}-bit integer (SYCL devices have at most 64-bit integers)")
            break
    if re.search(r"atomicrmw\s+(volatile\s+)?f(add|sub|min|max)", text):
        problems.append("a floating-point atomic read-modify-write")
    if "x86_" in text or "x86." in text:
        problems.append("an x86-specific type or intrinsic")
    return problems


def to_spirv(modules, entry: str, *, kernel_name: str, where: str) -> tuple[bytes, str]:
    """Link, optimise, check and emit. Returns (SPIR-V bytes, optimised LLVM IR text).

    It works in an LLVM context of its own (not the global one numba's CPU compiles use),
    and the module that comes out is checked before anything loads it
    (``check.duplicate_ids``): LLVM's SPIR-V back end rarely emits a module with an id
    defined twice, which crashes Intel's runtime. Whether it does depends on what the
    process compiled before (the same IR in a fresh LLVM context of the same process came
    out bad again; in a fresh process, right), so such a module is emitted again in a
    child process.

    Raises
    ------
    KernelCompileError
        When the kernel needs something LLVM's SPIR-V back end cannot emit, or the back end
        twice emits a module that is not valid.
    """
    from .check import duplicate_ids

    texts = [str(m) for m in modules]
    for emit in (_emit, _emit_in_child):
        spv, llvm_ir = emit(texts, entry, kernel_name=kernel_name, where=where)
        problems = duplicate_ids(spv)
        if not problems:
            return spv, llvm_ir
    raise KernelCompileError(
        f"kernel {kernel_name!r} ({where}): LLVM's SPIR-V back end emitted an invalid module, in this "
        "process and in a fresh one ("
        + "; ".join(problems[:3])
        + "); it was not given to the device runtime, which would crash on it. This is a compiler bug: "
        "please report it with the kernel. Changing the kernel slightly (or HETERO_KERNEL_BACKEND=interpret) "
        "works around it."
    )


_CHILD = """
import pickle, sys
from hetero.compiler.targets.spirv import emit
texts, entry, kernel_name, where = pickle.load(sys.stdin.buffer)
sys.stdout.buffer.write(pickle.dumps(emit._emit(texts, entry, kernel_name=kernel_name, where=where)))
"""


def _emit_in_child(texts, entry: str, *, kernel_name: str, where: str) -> tuple[bytes, str]:
    """``_emit`` in a fresh Python process (see ``to_spirv``)."""
    import pickle
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _CHILD], input=pickle.dumps((texts, entry, kernel_name, where)),
                          capture_output=True, timeout=600)
    if done.returncode != 0:
        raise KernelCompileError(
            f"kernel {kernel_name!r} ({where}): emitting its SPIR-V again in a fresh process failed "
            f"(exit status {done.returncode}): {done.stderr.decode(errors='replace')[-1500:]}"
        )
    return pickle.loads(done.stdout)


def _emit(texts, entry: str, *, kernel_name: str, where: str) -> tuple[bytes, str]:
    context = ll.create_context()
    mod = link(texts, context)
    try:
        mod.triple = SPIR_TRIPLE
        tm = target_machine()
        internalize(mod, entry)
        strip_unused(mod, tm)
        mark_convergent(mod)
        mod.verify()
        optimize(mod, tm)
        problems = unsupported_constructs(mod, entry)
        if problems:
            raise KernelCompileError(
                f"kernel {kernel_name!r} ({where}) cannot be compiled for SYCL: it needs "
                + "; ".join(dict.fromkeys(problems))
                + ". Rewrite that part of the kernel with supported operations (integer and float arithmetic, "
                "math.*, comparisons, loops, branches)."
            )
        llvm_ir = str(mod)
        spv = tm.emit_object(mod)
        return bytes(spv), llvm_ir
    finally:
        mod.close()
        context.close()
