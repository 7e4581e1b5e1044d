"""The SPIR-V of one kernel specialisation: from memory, from the disk cache, or compiled.

A specialisation is (argument signature, work-item type, launch dimensions) plus the
options (bounds checks, 32-bit ids). :func:`get` answers from the kernel's in-memory
table, then the disk cache (``hetero/compiler/cache.py``), then compiles
(``compile.py`` → ``emit.py``). Importing this module needs neither numba nor a SYCL
runtime: a launch whose SPIR-V is on disk never imports the compiler.

Signatures are plain tuples: per argument ``("array", dtype, ndim, layout)``,
``("local", dtype, ndim)`` for a ``LocalAccessor``, or ``("scalar", dtype name)``.
"""

from __future__ import annotations

import numpy as np

from ... import cache
from ...._env import kernel_asserts

__all__ = ["Binary", "get", "compile_binary", "with_intermediates", "signature_text", "signature_of", "check_language", "TARGET"]

TARGET = "spirv"


class Binary:
    """One specialisation: its SPIR-V and what else is known about it.

    Attributes
    ----------
    entry : the ``spir_kernel`` function's name
    written : indices of the launch arguments the kernel may write
    spirv : the SPIR-V module (bytes)
    typed_ir, llvm_ir : numba's typed IR and the optimised LLVM IR ("" when loaded from disk)
    source : ``"compiled"`` or ``"disk cache"``
    errors : with bounds checks, status code -> (exception name, message, file, line)
    atomics : element types of the atomics the kernel uses (64-bit ones need device support)
    local_bytes : local memory of its ``local_array`` calls
    flagged : the entry takes an error-flag argument (bounds checks, or an ``assert`` / ``raise``)
    """

    __slots__ = ("entry", "written", "spirv", "typed_ir", "llvm_ir", "source", "errors", "atomics", "local_bytes",
                 "flagged")

    def __init__(
        self, entry, written, spirv, typed_ir="", llvm_ir="", source="compiled", errors=None, atomics=(),
        local_bytes=0, flagged=False,
    ):
        self.flagged = bool(flagged)
        self.atomics = frozenset(atomics)
        self.local_bytes = int(local_bytes)
        self.entry = entry
        self.written = frozenset(written)
        self.spirv = spirv
        self.typed_ir = typed_ir
        self.llvm_ir = llvm_ir
        self.source = source
        self.errors = errors or {}


def numba_type(s):
    """The numba type of one signature entry."""
    from numba.core import types
    from numba.np import numpy_support

    if s[0] == "array":
        return types.Array(numpy_support.from_dtype(np.dtype(s[1])), s[2], s[3] if s[2] else "C")
    if s[0] == "local":
        from .models import AddrSpaceArray

        return AddrSpaceArray(numpy_support.from_dtype(np.dtype(s[1])), s[2], "C", 3)
    if s[1] == "bool":
        return types.boolean
    return getattr(types, s[1])


def signature_text(sig, style) -> str:
    """``item(float32[1d,C], int64)``: a signature as messages and ``inspect_*`` keys show it."""
    parts = []
    for s in sig:
        if s[0] == "array":
            parts.append(f"{np.dtype(s[1]).name}[{s[2]}d,{s[3]}]")
        elif s[0] == "local":
            parts.append(f"LocalAccessor({np.dtype(s[1]).name}, {s[2]}d)")
        else:
            parts.append(s[1])
    return f"{style}({', '.join(parts)})"


_SCALARS = {bool: ("scalar", "bool"), int: ("scalar", "int64"), float: ("scalar", "float64"),
            complex: ("scalar", "complex128")}


def signature_of(args) -> tuple:
    """The signature of example arguments as they are (no device: arrays keep their own layout,
    Python floats stay float64)."""
    from ....errors import LaunchError
    from ....lang import LocalAccessor

    sig = []
    for i, x in enumerate(args):
        if type(x) in _SCALARS:
            sig.append(_SCALARS[type(x)])
        elif isinstance(x, np.generic) and x.dtype.kind in "biufc":
            sig.append(("scalar", x.dtype.name))
        elif isinstance(x, LocalAccessor):
            sig.append(("local", x.dtype, x.ndim))
        elif hasattr(x, "dtype") and hasattr(x, "ndim") and hasattr(x, "flags"):
            layout = "C" if x.flags.c_contiguous else ("F" if x.flags.f_contiguous else "A")
            sig.append(("array", np.dtype(x.dtype), x.ndim, layout))
        else:
            raise LaunchError(f"argument {i} ({type(x).__name__}) is not something a kernel takes")
    return tuple(sig)


def compile_binary(py_func, name: str, spec_key, fastmath=False, boundscheck=False, small_ids=True) -> Binary:
    """Compile one specialisation (numba typing and lowering, LLVM's SPIR-V back end)."""
    from . import emit
    from .compile import compile_specialisation
    from .models import work_item_type

    from ....errors import KernelCompileError
    from ...analysis import global_arrays

    arrays = global_arrays(py_func)
    if arrays:
        code = py_func.__code__
        raise KernelCompileError(
            f"kernel {name!r} ({code.co_filename}:{code.co_firstlineno}) reads the array"
            f"{'s' if len(arrays) > 1 else ''} {', '.join(arrays)} from outside the kernel; kernels take arrays as "
            "arguments only: pass it as one (k[n](..., array)) — a module-level array is neither copied to a "
            "device nor embedded"
        )
    sig, item, ndim = spec_key[:3]
    argtypes = tuple(numba_type(s) for s in sig)
    item_t = work_item_type(item[1], item[0] == "nditem") if item else None
    spec = compile_specialisation(
        py_func, argtypes, item_t, ndim, fastmath=fastmath, boundscheck=boundscheck, small_ids=small_ids
    )
    code = py_func.__code__
    spv, llvm_ir = emit.to_spirv(spec.modules, spec.entry, kernel_name=name,
                                 where=f"{code.co_filename}:{code.co_firstlineno}")
    return Binary(spec.entry, spec.written, spv, spec.typed_ir, llvm_ir, errors=spec.errors, atomics=spec.atomics,
                  local_bytes=spec.local_bytes, flagged=spec.flagged)


def spec_key(sig, style, rng):
    """(signature, work-item type, dimensions): what a specialisation is compiled for."""
    from ....lang import NdRange

    item = None
    if style == "item":
        item = ("nditem" if type(rng) is NdRange else "item", rng.ndim)
    return (sig, item, rng.ndim)


def _options(boundscheck, small_ids) -> tuple:
    """The compile options a specialisation depends on besides its types and shape."""
    return (bool(boundscheck), bool(small_ids), kernel_asserts())


def memo_key(spec_key, boundscheck, small_ids):
    """The key of a specialisation in a kernel's in-memory table."""
    opts = _options(boundscheck, small_ids)
    return spec_key if opts == (False, True, True) else spec_key + opts


def get(py_func, name: str, memo: dict, spec_key, *, fastmath=False, boundscheck=False, small_ids=True) -> Binary:
    """The specialisation from ``memo`` (the kernel's table), the disk cache, or compiled (and stored
    in both). The caller holds the lock that serialises one-time work."""
    from .check import duplicate_ids

    mkey = memo_key(spec_key, boundscheck, small_ids)
    hit = memo.get(mkey)
    if hit is not None:
        return hit
    opts = _options(boundscheck, small_ids)
    dkey = cache.key(py_func, (spec_key, fastmath, opts), target=TARGET) if cache.enabled() else None
    if dkey is not None:
        found = cache.load(name, dkey, target=TARGET)
        if found is not None and duplicate_ids(found[0]):
            found = None  # an entry that would crash the runtime is compiled again (check.py)
        if found is not None:
            spv, meta = found
            errors = {int(k): tuple(v) for k, v in meta.get("errors", {}).items()}
            b = Binary(meta["entry"], meta["written"], spv, source="disk cache", errors=errors,
                       atomics=meta.get("atomics", ()), local_bytes=meta.get("local_bytes", 0),
                       flagged=meta.get("flagged", False))
            memo[mkey] = b
            return b
    b = compile_binary(py_func, name, spec_key, fastmath, *opts[:2])
    if dkey is not None:
        meta = {"entry": b.entry, "written": sorted(b.written), "errors": b.errors, "atomics": sorted(b.atomics),
                "local_bytes": b.local_bytes, "flagged": b.flagged}
        cache.store(name, dkey, b.spirv, meta, target=TARGET)
    memo[mkey] = b
    return b


def check_language(py_func, name: str, memo: dict, spec_key, *, fastmath=False, small_ids=True,
                   debug_calls=False) -> None:
    """Raise what the SPIR-V target raises for this specialisation, whatever back end will run it.

    The SPIR-V front end is the judge of the kernel language: the host and interpreter back ends
    call this before they run a kernel, so a kernel is accepted or refused — with the same
    exception class and message — on every back end alike. The binary it compiles is kept (a
    later launch on a device reuses it). With ``debug_calls`` (the interpreter), ``print`` and
    ``breakpoint()`` are allowed: checked as calls that do nothing, and that check is not kept.
    """
    from ....errors import KernelCompileError

    try:
        get(py_func, name, memo, spec_key, fastmath=fastmath, small_ids=small_ids)
    except KernelCompileError:
        if not debug_calls:
            raise
        from .templates import debug_calls_allowed

        with debug_calls_allowed():
            compile_binary(py_func, name, spec_key, fastmath, False, small_ids)


def with_intermediates(py_func, name: str, memo: dict, mkey, fastmath=False) -> Binary:
    """The binary for ``mkey`` with its typed and LLVM IR (compiled again if it came from disk)."""
    b = memo[mkey]
    if not b.llvm_ir:
        fresh = compile_binary(py_func, name, mkey[:3], fastmath, *(mkey[3:5] or (False, True)))
        b.typed_ir, b.llvm_ir = fresh.typed_ir, fresh.llvm_ir
    return b
