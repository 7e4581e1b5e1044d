"""hetero's SYCL target for numba: typing context, target context, codegen, dispatcher.

This is a real numba target (``numba.core.target_extension``), the way numba-cuda
builds its CUDA target: a ``GPU``-kind hardware token registered as
``"hetero_sycl"``, a typing context, a ``BaseContext`` subclass with
``MinimalCallConv`` and no NRT, and a dispatcher plus jit decorator registered
for the token so that numba's generic ``@overload`` implementations (``bool(x)``,
``min``, ``abs``, tuple helpers, ...) compile for this target too.

Nothing here needs a SYCL runtime: compiling to LLVM IR and SPIR-V is pure
llvmlite. Contexts are built lazily, on first compile.
"""

from __future__ import annotations

import contextlib
import functools
import threading

from llvmlite import ir as llir
from numba.core import callconv, cgutils, compiler, cpu, sigutils, typing
from numba.core.base import BaseContext
from numba.core.codegen import CodeLibrary, Codegen
from numba.core.compiler_lock import global_compiler_lock
from numba.core.descriptors import TargetDescriptor
from numba.core.dispatcher import Dispatcher
from numba.core.target_extension import (
    GPU,
    JitDecorator,
    dispatcher_registry,
    jit_registry,
    target_override,
    target_registry,
)

TARGET_NAME = "hetero_sycl"
SPIR_TRIPLE = "spirv64-unknown-unknown"
# The data layout LLVM's SPIR-V back end uses for spirv64 (checked against the
# target machine in spirv.target_machine()).
SPIR_DATALAYOUT = (
    "e-i64:64-v16:16-v24:32-v32:32-v48:64-v96:128-v192:256-v256:256-v512:512-v1024:1024-n8:16:32:64-G1"
)


class SYCL(GPU):
    """numba target token for SYCL devices (SPIR-V kernels)."""


target_registry[TARGET_NAME] = SYCL


# --- address-space-aware helpers ----------------------------------------------------------


def _pointer_add(builder, ptr, offset, return_type=None):
    """numba's ``cgutils.pointer_add`` keeping the pointer's address space.

    numba's version bitcasts through an address-space-0 ``i8*``, which is an
    invalid cast for the global (1) pointers kernel arrays hold. For address
    space 0 this does exactly what numba's does.
    """
    if isinstance(offset, int):
        offset = cgutils.intp_t(offset)
    addrspace = getattr(ptr.type, "addrspace", 0)
    base = builder.bitcast(ptr, llir.IntType(8).as_pointer(addrspace))
    addr = builder.gep(base, [offset])
    return builder.bitcast(addr, return_type or ptr.type)


@contextlib.contextmanager
def address_space_helpers():
    """While compiling for this target: numba's ``cgutils.pointer_add`` keeps address spaces.

    numba's array code calls it as ``cgutils.pointer_add`` (and cgutils calls its own
    module-level name), so the module attribute is swapped — only for the duration of one
    compile, which holds numba's global compiler lock, as every other numba compile does.
    numba's CPU target and other users of numba never see the replacement.
    """
    with global_compiler_lock:
        saved = cgutils.pointer_add
        cgutils.pointer_add = _pointer_add
        try:
            yield
        finally:
            cgutils.pointer_add = saved


# --- codegen: collects IR modules, never JITs -----------------------------------------------


class SpirvCodeLibrary(CodeLibrary):
    """A code library that only gathers LLVM IR; ``spirv.py`` turns it into SPIR-V."""

    def __init__(self, codegen, name):
        super().__init__(codegen, name)
        self._modules: list[llir.Module] = []
        self._linking: list[SpirvCodeLibrary] = []

    def add_ir_module(self, ir_module):
        self._raise_if_finalized()
        self._modules.append(ir_module)

    def add_linking_library(self, library):
        library._ensure_finalized()
        self._linking.append(library)

    def finalize(self):
        self._finalized = True

    def get_function(self, name):
        for mod in self._modules:
            for fn in mod.functions:
                if fn.name == name:
                    return fn
        raise KeyError(name)

    def all_modules(self):
        """This library's IR modules, then those of everything it links, each once."""
        seen: set[int] = set()
        out: list[llir.Module] = []

        def walk(lib):
            if id(lib) in seen:
                return
            seen.add(id(lib))
            out.extend(lib._modules)
            for dep in lib._linking:
                walk(dep)

        walk(self)
        return out

    def get_llvm_str(self):
        return "\n".join(str(m) for m in self._modules)

    def get_asm_str(self):
        raise NotImplementedError("SPIR-V is produced per kernel; use Kernel.inspect_spirv()")


class SpirvCodegen(Codegen):
    _library_class = SpirvCodeLibrary

    def __init__(self, name):
        self._name = name
        from llvmlite import binding as ll

        self._data_layout = SPIR_DATALAYOUT
        self._target_data = ll.create_target_data(SPIR_DATALAYOUT)

    def _create_empty_module(self, name):
        mod = llir.Module(name)
        mod.triple = SPIR_TRIPLE
        mod.data_layout = SPIR_DATALAYOUT
        return mod

    def _add_module(self, module):
        pass

    @property
    def target_data(self):
        return self._target_data

    def magic_tuple(self):
        return (SPIR_TRIPLE, "spirv", "")


# --- typing and target contexts --------------------------------------------------------------


class SyclTypingContext(typing.Context):
    """numba's typing (builtins, math, NumPy scalar functions) plus hetero's in-kernel names."""

    def load_additional_registries(self):
        super().load_additional_registries()
        from . import templates

        self.install_registry(templates.registry)


def _lowering_site():
    """(loc, array variable name) of the IR statement being lowered, read off the stack."""
    import sys

    from numba.core import ir

    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == "lower_inst" and "inst" in frame.f_locals:
            inst = frame.f_locals["inst"]
            lower = frame.f_locals.get("self")
            name = None
            if isinstance(inst, (ir.SetItem, ir.StaticSetItem)):
                name = inst.target.name
            elif isinstance(inst, ir.Assign) and isinstance(inst.value, ir.Expr):
                if inst.value.op in ("getitem", "static_getitem"):
                    name = inst.value.value.name
            if name is not None and not name.startswith("$"):
                name = name.split(".")[0]
            return getattr(lower, "loc", None), name
        frame = frame.f_back
    return None, None


class SyclCallConv(callconv.MinimalCallConv):
    """numba's minimal calling convention (status codes, no Python objects).

    An exception raised in a kernel (an ``assert``, a ``raise``, a failed
    unpacking; with ``HETERO_BOUNDSCHECK=1`` an out-of-bounds index) becomes a
    status code that the kernel entry writes to an error-flag buffer; this
    records the source line and the array for it, and that the kernel needs the flag.
    """

    def return_user_exc(self, builder, exc, exc_args=None, loc=None, func_name=None):
        from .lowering import record_raise

        record_raise()
        if loc is None:
            loc, name = _lowering_site()
            if name is not None and exc is IndexError:
                exc_args = (f"index out of bounds for array {name!r}",)
        super().return_user_exc(builder, exc, exc_args, loc=loc, func_name=func_name)


class SyclTargetContext(BaseContext):
    """Lowering for SPIR-V: no NRT, no Python objects, address-space-aware arrays."""

    implement_powi_as_math_call = True
    strict_alignment = True
    allow_dynamic_globals = False
    # The number of dimensions of the launch range being compiled for; set on a
    # per-compile subtarget (see kernel compilation), 0 when unknown.
    launch_ndim = 0

    def __init__(self, typingctx, target=TARGET_NAME):
        super().__init__(typingctx, target)

    @global_compiler_lock
    def init(self):
        from . import models

        self._internal_codegen = SpirvCodegen("hetero.sycl")
        self.data_model_manager = models.sycl_data_model_manager

    def load_additional_registries(self):
        # Pure-LLVM implementations from numba that register themselves on import.
        from numba.core import optional  # noqa: F401
        from numba.cpython import builtins, enumimpl, iterators, numbers, rangeobj, slicing, tupleobj  # noqa: F401
        from numba.misc import literal  # noqa: F401
        # (not numba.np.arraymath: it imports scipy.linalg for BLAS, ~0.35 s, and its
        # reductions need heap memory anyway)
        from numba.np import arrayobj  # noqa: F401

        from . import lowering, mathlib

        self.install_registry(lowering.registry)
        self.install_registry(mathlib.registry)

    @property
    def target_data(self):
        return self._internal_codegen.target_data

    def codegen(self):
        return self._internal_codegen

    @functools.cached_property
    def call_conv(self):
        return SyclCallConv(self)

    def create_module(self, name):
        return self._internal_codegen._create_empty_module(name)

    def get_executable(self, library, fndesc, env):
        raise NotImplementedError("SYCL kernels are not executable on the host")

    def create_cpython_wrapper(self, library, fndesc, env, call_helper, release_gil=False):
        pass

    def create_cfunc_wrapper(self, library, fndesc, env, call_helper):
        pass

    def post_lowering(self, mod, library):
        pass

    # Containers that need heap memory (NRT): a clear error instead of a crash.
    def build_list(self, builder, list_type, items):
        raise _unsupported("a list", "use a tuple, or pass an array")

    def build_set(self, builder, set_type, items):
        raise _unsupported("a set", "use a tuple, or pass an array")

    def build_map(self, builder, dict_type, item_types, items):
        raise _unsupported("a dict", "pass arrays instead")

    def get_ufunc_info(self, ufunc_key):
        from numba.np import ufunc_db

        return ufunc_db.get_ufunc_info(ufunc_key)


def _unsupported(what, fix):
    from numba.core.errors import UnsupportedError

    return UnsupportedError(f"{what} cannot be built inside a kernel (kernels have no heap memory); {fix}")


class SyclTargetOptions(cpu.CPUTargetOptions):
    def finalize(self, flags, options):
        flags.enable_pyobject = False
        flags.enable_looplift = False
        flags.enable_pyobject_looplift = False
        flags.nrt = False
        flags.no_cpython_wrapper = True
        flags.no_cfunc_wrapper = True
        flags.no_compile = True
        flags.debuginfo = False
        flags.boundscheck = False
        flags.inherit_if_not_set("fastmath")
        flags.error_model = "numpy"
        flags.inherit_if_not_set("forceinline")


def kernel_flags(fastmath=False):
    """The compiler flags every kernel and device function is compiled with."""
    flags = compiler.Flags()
    SyclTargetOptions.parse_as_flags(flags, {"fastmath": fastmath} if fastmath else {})
    return flags


class SyclTarget(TargetDescriptor):
    options = SyclTargetOptions

    def __init__(self, name):
        super().__init__(name)
        self._lock = threading.Lock()
        self._typing = None
        self._target = None

    def _ensure(self):
        with self._lock:
            if self._target is None:
                with target_override(TARGET_NAME):
                    tctx = SyclTypingContext()
                    self._target = SyclTargetContext(tctx, TARGET_NAME)
                    self._typing = tctx

    @property
    def typing_context(self):
        self._ensure()
        return self._typing

    @property
    def target_context(self):
        self._ensure()
        return self._target


sycl_target = SyclTarget(TARGET_NAME)


# --- dispatcher (used by numba for @overload implementations on this target) --------------


class _EntryKey:
    """Unique, hashable stand-in for an executable entry point (there is none here)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"<sycl function {self.name}>"


class SyclDispatcher(Dispatcher):
    """Compiles a Python function for the SYCL target into linkable LLVM IR.

    numba asks for one of these whenever an ``@overload`` implementation is
    needed while compiling a kernel; hetero's device functions are inlined into
    their kernels instead (so that ids and ranges lower against the launch).
    """

    targetdescr = sycl_target

    def compile(self, sig):
        with target_override(TARGET_NAME), address_space_helpers():
            from ...passes import KernelCompiler, asserts_enabled

            args, return_type = sigutils.normalize_signature(sig)
            existing = self.overloads.get(tuple(args))
            built_with = self.__dict__.setdefault("_hetero_asserts", {})
            if existing is not None and built_with.get(tuple(args)) == asserts_enabled():
                return existing.entry_point
            flags = compiler.Flags()
            self.targetdescr.options.parse_as_flags(flags, self.targetoptions)
            tctx = self.targetdescr.typing_context
            cctx = self.targetdescr.target_context
            cres = compiler.compile_extra(
                tctx, cctx, self.py_func, args=args, return_type=return_type, flags=flags, locals=self.locals,
                pipeline_class=KernelCompiler,
            )
            built_with[tuple(args)] = asserts_enabled()
            key = _EntryKey(cres.fndesc.llvm_func_name)
            cres = cres._replace(entry_point=key)
            cres.library.finalize()
            cctx.insert_user_function(key, cres.fndesc, [cres.library])
            self.overloads[tuple(cres.signature.args)] = cres
            return key


dispatcher_registry[SYCL] = SyclDispatcher


class sycl_jit(JitDecorator):
    """``jit`` for the SYCL target, as numba's ``@overload`` machinery calls it."""

    def __init__(self, *args, **kwargs):
        self._args = args
        self._kwargs = kwargs

    def __call__(self, *args):
        if args and callable(args[0]):
            return self.dispatcher_wrapper(args[0])
        return self.dispatcher_wrapper(self._args[0])

    def get_dispatcher(self):
        return SyclDispatcher

    def dispatcher_wrapper(self, func=None):
        topt = {k: v for k, v in self._kwargs.items() if k in ("inline", "fastmath", "forceinline")}
        from ...passes import KernelCompiler

        return SyclDispatcher(py_func=func, targetoptions=topt, pipeline_class=KernelCompiler)


jit_registry[SYCL] = sycl_jit
