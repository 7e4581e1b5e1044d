"""The ``Kernel`` object: specialisations, caches, launches, inspection.

A launch goes: classify the arguments (``launch.classify``) → find the plan
for (argument signature, launch shape, queue) in memory → else the SPIR-V for
(argument signature, launch shape) in memory, on disk (``cache.py``), or
compiled (``compile.py`` → ``spirv.py``) → ``dpctl.program`` → pack and submit
(``launch.submit``). Every intermediate form of a compiled specialisation is
kept so ``inspect_types()`` / ``inspect_llvm()`` / ``inspect_spirv()`` cost
nothing.
"""

from __future__ import annotations

import functools
import inspect
import os
import threading

import numpy as np

from .. import _sycl
from .._locks import INIT_LOCK
from ..errors import KernelCompileError, LaunchError, UnsupportedDtypeError
from ..kernel_api import NdRange, Range
from . import cache, launch

# Loaded programs, shared by Kernel objects whose SPIR-V is identical (a kernel
# re-created in a loop, or the same source decorated twice): building one costs
# the SYCL runtime 20-100 ms.
_programs: dict = {}
_classify = launch.classify
_submit = launch.submit
_environ = os.environ


def _backend_env() -> str:
    return _environ.get("HETERO_KERNEL_BACKEND", "")


_ON_DEVICE = None


def _on_device_choice():
    global _ON_DEVICE
    if _ON_DEVICE is None:
        from .._host.choose import BackendChoice

        _ON_DEVICE = BackendChoice("sycl", None, "the arguments are device arrays; the kernel runs on their queue")
    return _ON_DEVICE
_KERNEL_OPTIONS = {"fastmath"}
_DEVICE_FUNCTION_OPTIONS: set[str] = set()


def check_options(options: dict, what: str) -> None:
    allowed = _KERNEL_OPTIONS if what == "kernel" else _DEVICE_FUNCTION_OPTIONS
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(
            f"@hetero.{what} got unknown option(s) {', '.join(unknown)}; "
            f"accepted: {', '.join(sorted(allowed)) or 'none'}"
        )


# --- device functions -----------------------------------------------------------------------


class _InlineBudget:
    """numba inline cost model: always inline, except a call that closes a cycle (recursion).

    numba inlines a callee and then runs its pipeline (and this model) on the
    callee's own IR, so a caller→callee edge is recorded before the callee's
    calls are looked at; a call whose callee already reaches its caller is
    recursive and is left alone (typing then reports it). Edges are per thread
    and reset for each kernel compile.
    """

    def __init__(self):
        self._local = threading.local()

    def reset(self):
        self._local.edges = {}
        self._local.recursive = set()

    def _reaches(self, edges, start, goal):
        seen, todo = set(), [start]
        while todo:
            f = todo.pop()
            if f is goal:
                return True
            if f in seen:
                continue
            seen.add(f)
            todo.extend(edges.get(f, ()))
        return False

    def __call__(self, expr, caller_ir, callee_ir):
        if getattr(self._local, "edges", None) is None:
            self.reset()
        edges, recursive = self._local.edges, self._local.recursive
        caller = caller_ir.func_id.func
        callee = callee_ir.func_id.func
        if callee in recursive:
            return False
        if callee is caller or self._reaches(edges, callee, caller):
            recursive.add(callee)
            return False
        edges.setdefault(caller, set()).add(callee)
        return True


_inline_budget = _InlineBudget()


class DeviceFunction:
    """A function kernels may call; compiled into each kernel that calls it.

    Called from host code it is the plain Python function.
    """

    def __init__(self, py_func, **options):
        if not inspect.isfunction(py_func):
            raise TypeError(f"@hetero.device_function decorates a Python function, got {py_func!r}")
        self.py_func = py_func
        # numba's InlineInlinables pass inlines any callee carrying these options.
        self.targetoptions = {"inline": _inline_budget}
        functools.update_wrapper(self, py_func)

    def __call__(self, *args, **kwargs):
        return self.py_func(*args, **kwargs)

    def __repr__(self):
        return f"<hetero.device_function {self.py_func.__qualname__}>"


# --- kernels ---------------------------------------------------------------------------------


def check_device_support(kernel_name: str, comp, device) -> None:
    """An error when the kernel needs what ``device`` lacks.

    float64 atomics need fp64 and 64-bit atomics the device's atomic64 aspect
    (:class:`UnsupportedDtypeError`); the kernel's ``local_array`` memory must fit
    in the device's local memory (:class:`LaunchError`).
    """
    name = getattr(device, "filter_string", str(device))
    limit = getattr(device, "local_mem_size", None)
    if limit and comp.local_bytes > limit:
        raise LaunchError(
            f"kernel {kernel_name!r} needs {comp.local_bytes} bytes of local memory for its local_array "
            f"calls but {name} has {limit} bytes per work-group; use smaller local arrays"
        )
    for dt in sorted(comp.atomics):
        if dt == "float64" and not device.has_aspect_fp64:
            raise UnsupportedDtypeError(
                f"kernel {kernel_name!r} uses float64 atomics but {name} has no fp64 support; "
                "use a float32 array for the atomic"
            )
        if dt in ("int64", "uint64", "float64") and not getattr(device, "has_aspect_atomic64", True):
            raise UnsupportedDtypeError(
                f"kernel {kernel_name!r} uses {dt} atomics but {name} has no 64-bit atomics (atomic64 aspect); "
                "use a 32-bit element type for the atomic"
            )


class _Compiled:
    """One specialisation: SPIR-V plus whatever intermediate forms were produced."""

    __slots__ = ("entry", "written", "spirv", "typed_ir", "llvm_ir", "source", "errors", "atomics", "local_bytes")

    def __init__(
        self, entry, written, spirv, typed_ir="", llvm_ir="", source="compiled", errors=None, atomics=(),
        local_bytes=0,
    ):
        self.atomics = frozenset(atomics)  # element types of the atomics used
        self.local_bytes = int(local_bytes)  # local memory of its local_array calls
        self.entry = entry
        self.written = frozenset(written)
        self.spirv = spirv
        self.typed_ir = typed_ir
        self.llvm_ir = llvm_ir
        self.source = source  # "compiled" or "disk cache"
        self.errors = errors or {}  # status code -> (exception, message, file, line)


class _Plan:
    __slots__ = ("sycl_kernel", "pack", "written", "checker")

    def __init__(self, sycl_kernel, pack, written, checker=None):
        self.sycl_kernel = sycl_kernel
        self.pack = pack  # None: the arguments classify() packed are right as they are
        self.written = written
        self.checker = checker  # a launch.BoundsChecker with HETERO_BOUNDSCHECK=1


class _Launcher:
    __slots__ = ("_kernel", "_range")

    def __init__(self, kernel, rng):
        self._kernel = kernel
        self._range = rng

    def __call__(self, *args):
        return self._kernel._launch(self._range, args, (), True)


def _numba_type(s):
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


def _sig_text(sig, style) -> str:
    parts = []
    for s in sig:
        if s[0] == "array":
            parts.append(f"{np.dtype(s[1]).name}[{s[2]}d,{s[3]}]")
        elif s[0] == "local":
            parts.append(f"LocalAccessor({np.dtype(s[1]).name}, {s[2]}d)")
        else:
            parts.append(s[1])
    return f"{style}({', '.join(parts)})"


class Kernel:
    """A compiled-on-demand data-parallel kernel; create it with ``@hetero.kernel``.

    Launch with ``k[range](*args)`` (returns without waiting for device arrays;
    after the results are back for NumPy arguments) or ``k.submit(range, *args)``
    (returns an :class:`~hetero.kernel_api.Event`).
    """

    def __init__(self, py_func, *, fastmath: bool = False):
        if not inspect.isfunction(py_func):
            raise TypeError(f"@hetero.kernel decorates a Python function, got {py_func!r}")
        params = inspect.signature(py_func).parameters.values()
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.KEYWORD_ONLY) for p in params):
            raise KernelCompileError(
                f"kernel {py_func.__name__!r} ({py_func.__code__.co_filename}:{py_func.__code__.co_firstlineno}) "
                "must take only positional parameters (no *args, **kwargs or keyword-only parameters)"
            )
        self.py_func = py_func
        self.fastmath = bool(fastmath)
        self._nparams = py_func.__code__.co_argcount
        self._plans: dict = {}
        self._compiled: dict = {}
        self._launchers: dict = {}
        self._lock = INIT_LOCK  # compiles import numba: one lock for all one-time work (see _locks)
        #: The back end of the latest launch (a BackendChoice: ``backend``, ``device``, ``reason``).
        self.last_backend = None
        functools.update_wrapper(self, py_func)

    def __repr__(self):
        return f"<hetero.kernel {self.py_func.__qualname__}>"

    def __call__(self, *args, **kwargs):
        raise LaunchError(
            f"kernel {self.__name__!r} needs a launch range: write {self.__name__}[n](...), "
            f"{self.__name__}[(n, m)](...), {self.__name__}[global, local](...) or "
            f"{self.__name__}.submit(hetero.Range(n), ...)"
        )

    # --- launching ---------------------------------------------------------------------------

    def __getitem__(self, key):
        # Typed cache key: k[True] must not find the launcher of k[1].
        ck = (key, tuple(map(type, key))) if type(key) is tuple else (key, type(key))
        try:
            launcher = self._launchers.get(ck)
        except TypeError:  # unhashable key (a list)
            return _Launcher(self, launch.parse_range(key))
        if launcher is None:
            launcher = _Launcher(self, launch.parse_range(key))
            if len(self._launchers) < 256:
                self._launchers[ck] = launcher
        return launcher

    def submit(self, range, *args, depends_on=()):
        """Launch asynchronously over ``range`` (anything ``k[...]`` takes).

        Returns
        -------
        Event
            Completes when the kernel has run. With NumPy arguments the launch
            is synchronous (the results are copied back) and the event is complete.
        """
        return self._launch(launch.parse_range(range), args, tuple(depends_on), False)

    def _style(self, nargs: int) -> str:
        if self._nparams == nargs:
            return "opencl"
        if self._nparams == nargs + 1:
            return "item"
        raise LaunchError(
            f"kernel {self.__name__!r} takes {self._nparams} parameter(s) but was launched with {nargs} "
            f"argument(s); pass {self._nparams} (OpenCL style, ids from hetero.get_global_id) or "
            f"{self._nparams - 1} (item style: the work-item comes first)"
        )

    @property
    def interpret(self):
        """``k.interpret[range](*args)``: run this launch through the interpreter back end (plain
        Python, work-item by work-item: ``print``, ``breakpoint()`` and pdb work inside)."""
        from .._host.choose import InterpretView

        return InterpretView(self)

    def _launch(self, rng, args, depends_on, sync_host):
        info = _classify(args, self.__name__)
        if info.queue is None or _backend_env():
            # Host data (or a back end forced by HETERO_KERNEL_BACKEND): the data and the
            # default device decide; host and interpret launches run (synchronously) here.
            from .._host.choose import dispatch_launch

            choice = dispatch_launch(self, rng, args)
            if choice.backend != "sycl":
                return launch.Event()
            queue = info.queue if info.queue is not None else choice.device.sycl_queue
            if info.host:
                return self._launch_numpy(rng, args, info, depends_on, queue)
        else:
            self.last_backend = _on_device_choice()
            queue = info.queue
        key = (info.sig, len(rng._glist), type(rng) is NdRange, rng._small, queue)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._make_plan(info.sig, rng, queue, len(args))
            self._plans[key] = plan
        if 0 in rng._glist:
            return launch.Event()
        kargs = info.kargs if plan.pack is None else plan.pack(args, info.usm)
        if plan.checker is not None:
            kargs = kargs + [plan.checker.flag]
            return _submit(queue, plan.sycl_kernel, kargs, rng, depends_on, (args, kargs), plan.checker)
        return _submit(queue, plan.sycl_kernel, kargs, rng, depends_on, (args, kargs))

    def _launch_numpy(self, rng, args, info, depends_on, queue):
        dpnp = _sycl.require_dpnp(f"Launching kernel {self.__name__!r} on NumPy arrays")
        dargs = list(args)
        for i in info.host:
            dargs[i] = dpnp.asarray(args[i], sycl_queue=queue)
        dinfo = launch.classify(dargs, self.__name__)
        key = (dinfo.sig, len(rng._glist), type(rng) is NdRange, rng._small, queue)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._make_plan(dinfo.sig, rng, queue, len(args))
            self._plans[key] = plan
        dims = rng.global_range.dims if type(rng) is NdRange else rng.dims
        if 0 not in dims:
            kargs = dinfo.kargs if plan.pack is None else plan.pack(dargs, dinfo.usm)
            if plan.checker is not None:
                kargs = kargs + [plan.checker.flag]
            ev = launch.submit(queue, plan.sycl_kernel, kargs, rng, depends_on, (dargs, kargs), plan.checker)
            ev.wait()
        for i in info.host:
            if i in plan.written:
                np.copyto(args[i], dpnp.asnumpy(dargs[i]), casting="no")
        return launch.Event()

    # --- compiling ---------------------------------------------------------------------------

    def _make_plan(self, sig, rng, queue, nargs):
        style = self._style(nargs)
        fp64 = bool(queue.sycl_device.has_aspect_fp64)
        sig = self._device_sig(sig, fp64, queue)
        bc = launch.boundscheck_enabled()
        comp = self._get_compiled(sig, style, rng, bc, rng._small)
        check_device_support(self.__name__, comp, queue.sycl_device)
        dpctl = _sycl.require_dpctl("Launching a kernel")
        import dpctl.program  # noqa: F401

        try:
            pkey = (comp.entry, hash(comp.spirv), queue.sycl_context)
            program = _programs.get(pkey)
            if program is None:
                program = dpctl.program.create_program_from_spirv(queue, comp.spirv)
                if len(_programs) >= 512:
                    _programs.pop(next(iter(_programs)))
                _programs[pkey] = program
            sycl_kernel = program.get_sycl_kernel(comp.entry)
        except Exception as exc:
            raise KernelCompileError(
                f"the SYCL runtime of {queue.sycl_device.filter_string} could not build kernel "
                f"{self.__name__!r} ({_sig_text(sig, style)}): {exc}"
            ) from exc
        checker = launch.BoundsChecker(self.__name__, comp.errors, queue, rng.ndim) if bc else None
        # classify() packs for fp64 devices; elsewhere Python floats travel as float32
        return _Plan(sycl_kernel, None if fp64 else launch.make_packer(sig, fp64), comp.written, checker)

    def _device_sig(self, sig, fp64, queue):
        if fp64:
            return sig
        out = []
        for i, s in enumerate(sig):
            if s[0] == "array" and np.dtype(s[1]) in (np.dtype(np.float64), np.dtype(np.complex128)):
                raise UnsupportedDtypeError(
                    f"argument {i} of kernel {self.__name__!r} is a {np.dtype(s[1])} array but "
                    f"{queue.sycl_device.filter_string} has no fp64 support; use float32 / complex64"
                )
            if s[0] == "local" and np.dtype(s[1]) == np.dtype(np.float64):
                raise UnsupportedDtypeError(
                    f"argument {i} of kernel {self.__name__!r} is a float64 LocalAccessor but "
                    f"{queue.sycl_device.filter_string} has no fp64 support; use float32"
                )
            if s == ("scalar", "float64"):
                s = ("scalar", "float32")
            elif s == ("scalar", "complex128"):
                s = ("scalar", "complex64")
            out.append(s)
        return tuple(out)

    def _spec_key(self, sig, style, rng):
        item = None
        if style == "item":
            item = ("nditem" if type(rng) is NdRange else "item", rng.ndim)
        return (sig, item, rng.ndim)

    def _get_compiled(self, sig, style, rng, boundscheck=False, small_ids=True) -> _Compiled:
        spec_key = self._spec_key(sig, style, rng)
        opts = (bool(boundscheck), bool(small_ids))
        mem_key = spec_key if opts == (False, True) else spec_key + opts
        with self._lock:
            comp = self._compiled.get(mem_key)
            if comp is not None:
                return comp
            dkey = None
            if cache.enabled():
                dkey = cache.key(self.py_func, (spec_key, self.fastmath, opts))
                if dkey is not None:
                    hit = cache.load(self.__name__, dkey)
                    if hit is not None:
                        spv, meta = hit
                        errors = {int(k): tuple(v) for k, v in meta.get("errors", {}).items()}
                        comp = _Compiled(
                            meta["entry"], meta["written"], spv, source="disk cache", errors=errors,
                            atomics=meta.get("atomics", ()), local_bytes=meta.get("local_bytes", 0),
                        )
                        self._compiled[mem_key] = comp
                        return comp
            comp = self._compile(spec_key, *opts)
            if dkey is not None:
                meta = {
                    "entry": comp.entry, "written": sorted(comp.written), "errors": comp.errors,
                    "atomics": sorted(comp.atomics), "local_bytes": comp.local_bytes,
                }
                cache.store(self.__name__, dkey, comp.spirv, meta)
            self._compiled[mem_key] = comp
            return comp

    def _compile(self, spec_key, boundscheck=False, small_ids=True) -> _Compiled:
        from . import spirv
        from .compile import compile_specialisation
        from .models import WorkItemType

        sig, item, ndim = spec_key[:3]
        argtypes = tuple(_numba_type(s) for s in sig)
        item_t = WorkItemType(item[1], item[0] == "nditem") if item else None
        spec = compile_specialisation(
            self.py_func, argtypes, item_t, ndim, fastmath=self.fastmath, boundscheck=boundscheck, small_ids=small_ids
        )
        code = self.py_func.__code__
        spv, llvm_ir = spirv.to_spirv(
            spec.modules, spec.entry, kernel_name=self.__name__, where=f"{code.co_filename}:{code.co_firstlineno}"
        )
        return _Compiled(
            spec.entry, spec.written, spv, spec.typed_ir, llvm_ir, errors=spec.errors, atomics=spec.atomics,
            local_bytes=spec.local_bytes,
        )

    # --- inspection ----------------------------------------------------------------------------

    def _full(self, spec_key) -> _Compiled:
        comp = self._compiled[spec_key]
        if not comp.llvm_ir:  # loaded from disk: compile to get the intermediate forms
            fresh = self._compile(spec_key[:3], *(spec_key[3:] or (False, True)))
            comp.typed_ir, comp.llvm_ir = fresh.typed_ir, fresh.llvm_ir
        return comp

    def _inspect(self, attr):
        out = {}
        for spec_key in list(self._compiled):
            sig, item, ndim = spec_key[:3]
            style = "item" if item else "opencl"
            label = _sig_text(sig, style) + f" on a {ndim}-D {'NdRange' if item and item[0] == 'nditem' else 'range'}"
            if spec_key[3:4] == (True,):
                label += " with bounds checks"
            if spec_key[4:5] == (False,):
                label += " (2**31 work-items or more)"
            out[label] = getattr(self._full(spec_key) if attr != "spirv" else self._compiled[spec_key], attr)
        return out

    def inspect_types(self) -> dict:
        """numba's typed IR of each compiled specialisation, keyed by signature."""
        return self._inspect("typed_ir")

    def inspect_llvm(self) -> dict:
        """The optimised LLVM IR (SPIR-V flavoured) of each specialisation, keyed by signature."""
        return self._inspect("llvm_ir")

    def inspect_spirv(self) -> dict:
        """The SPIR-V binary (bytes) of each specialisation, keyed by signature."""
        return self._inspect("spirv")

    def cache_info(self) -> dict:
        """Where each specialisation's SPIR-V came from: ``"compiled"`` or ``"disk cache"``."""
        return {(_sig_text(k[0], "item" if k[1] else "opencl"), k[2]): c.source for k, c in self._compiled.items()}


__all__ = ["Kernel", "DeviceFunction", "Range", "NdRange"]
