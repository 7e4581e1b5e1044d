"""The SYCL back end: SPIR-V kernels on the arguments' queue, NumPy arguments copied in and back.

A launch: classify the arguments (``submit.classify``) → the plan for (signature, launch
shape, queue) in the kernel's table → else the SPIR-V (``hetero.compiler.targets.spirv
.binary``: memory, disk cache, or compiled), a ``dpctl.program`` built from it (shared by
kernels whose SPIR-V is identical: building one costs the SYCL runtime 20-100 ms) and the
device's capability checks → pack and submit (``submit.submit``).
"""

from __future__ import annotations

import numpy as np

from ... import _sycl
from ..._env import kernel_switches
from ...compiler.targets.spirv import binary
from ...errors import KernelCompileError, LaunchError, UnsupportedDtypeError
from ...lang import NdRange
from ...lang.items import kernel_style
from ..base import Backend
from . import submit as _sub

__all__ = ["SyclBackend", "check_device_support"]

_programs: dict = {}
_classify = _sub.classify
_submit = _sub.submit


class _Plan:
    __slots__ = ("sycl_kernel", "pack", "written", "checker")

    def __init__(self, sycl_kernel, pack, written, checker=None):
        self.sycl_kernel = sycl_kernel
        self.pack = pack  # None: the arguments classify() packed are right as they are
        self.written = written
        self.checker = checker  # a submit.BoundsChecker with HETERO_BOUNDSCHECK=1


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


def _device_sig(kernel_name, sig, fp64, queue):
    """The signature as the device runs it: without fp64, Python floats travel as float32 and
    float64 arrays are refused."""
    if fp64:
        return sig
    out = []
    for i, s in enumerate(sig):
        if s[0] == "array" and np.dtype(s[1]) in (np.dtype(np.float64), np.dtype(np.complex128)):
            raise UnsupportedDtypeError(
                f"argument {i} of kernel {kernel_name!r} is a {np.dtype(s[1])} array but "
                f"{queue.sycl_device.filter_string} has no fp64 support; use float32 / complex64"
            )
        if s[0] == "local" and np.dtype(s[1]) == np.dtype(np.float64):
            raise UnsupportedDtypeError(
                f"argument {i} of kernel {kernel_name!r} is a float64 LocalAccessor but "
                f"{queue.sycl_device.filter_string} has no fp64 support; use float32"
            )
        if s == ("scalar", "float64"):
            s = ("scalar", "float32")
        elif s == ("scalar", "complex128"):
            s = ("scalar", "complex64")
        out.append(s)
    return tuple(out)


def _copies_in(dpnp, args, host, queue, kernel_name):
    """Device copies of the NumPy arguments ``args[host]``: one copy each, except that arguments
    overlapping in memory (``a[1:]`` and ``a[:-1]``) share ONE device copy of the bytes they span,
    viewed as each of them, so that every write lands once and copying back clobbers nothing.

    Returns (device arguments, {index: (host span, device span, member indices)}).
    """
    dargs = list(args)
    spans: dict = {}
    groups: list = []  # [indices] of host arrays that may share memory
    if len(host) > 1:
        for i in host:
            for g in groups:
                if any(np.may_share_memory(args[i], args[j]) for j in g):
                    g.append(i)
                    break
            else:
                groups.append([i])
    for g in groups:
        if len(g) > 1:
            _shared_copy(dpnp, args, g, queue, kernel_name, dargs, spans)
    for i in host:
        if i not in spans:
            dargs[i] = dpnp.asarray(args[i], sycl_queue=queue)
    return dargs, spans


def _shared_copy(dpnp, args, members, queue, kernel_name, dargs, spans):
    import ctypes

    from numpy.lib.array_utils import byte_bounds

    bounds = [byte_bounds(args[i]) for i in members]
    lo, hi = min(b[0] for b in bounds), max(b[1] for b in bounds)
    host_span = np.ctypeslib.as_array((ctypes.c_uint8 * (hi - lo)).from_address(lo))
    dev_span = dpnp.asarray(host_span, sycl_queue=queue)
    usm = dev_span.get_array()
    for i in members:
        x = args[i]
        isz = x.dtype.itemsize
        off = x.__array_interface__["data"][0] - lo
        if off % isz or any(st % isz for st in x.strides):
            raise LaunchError(
                f"arguments {', '.join(map(str, members))} of kernel {kernel_name!r} overlap in memory at offsets "
                "a device array cannot view (not a whole number of elements apart); pass copies (a.copy())"
            )
        from dpnp import tensor as dpt

        view = dpt.usm_ndarray(x.shape, dtype=x.dtype, strides=tuple(st // isz for st in x.strides),
                               buffer=usm, offset=off // isz)
        dargs[i] = view
        spans[i] = (host_span, dev_span, tuple(members))


class SyclBackend(Backend):
    """Kernels as SPIR-V on SYCL devices through dpctl (see the module docstring)."""

    name = "sycl"

    def accepts(self, args) -> str | None:
        if _sycl.dpctl() is None:
            return "the SYCL runtime (dpctl) is not installed"
        return None

    # --- launching ---------------------------------------------------------------------------

    def launch(self, kernel, rng, args, depends_on, choice):
        info = _classify(args, kernel.__name__)
        if info.queue is None:  # NumPy arguments: the chosen device's queue, copies in and back
            return self._launch_numpy(kernel, rng, args, info, depends_on, choice.device.sycl_queue)
        queue = info.queue
        plans = kernel._plans
        key = (info.sig, len(rng._glist), type(rng) is NdRange, rng._small, queue, kernel_switches())
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = self._make_plan(kernel, info.sig, rng, queue, len(args))
        if 0 in rng._glist:
            return _sub.Event()
        kargs = info.kargs if plan.pack is None else plan.pack(args, info.usm)
        if plan.checker is not None:
            kargs = kargs + [plan.checker.flag]
            return _submit(queue, plan.sycl_kernel, kargs, rng, depends_on, (args, kargs), plan.checker,
                           kernel.__name__)
        return _submit(queue, plan.sycl_kernel, kargs, rng, depends_on, (args, kargs), None, kernel.__name__)

    def _launch_numpy(self, kernel, rng, args, info, depends_on, queue):
        dpnp = _sycl.require_dpnp(f"Launching kernel {kernel.__name__!r} on NumPy arrays")
        with _sycl.queue_lock(queue):
            dargs, spans = _copies_in(dpnp, args, info.host, queue, kernel.__name__)
        dinfo = _classify(dargs, kernel.__name__)
        key = (dinfo.sig, len(rng._glist), type(rng) is NdRange, rng._small, queue, kernel_switches())
        plan = kernel._plans.get(key)
        if plan is None:
            plan = kernel._plans[key] = self._make_plan(kernel, dinfo.sig, rng, queue, len(args))
        dims = rng.global_range.dims if type(rng) is NdRange else rng.dims
        if 0 not in dims:
            kargs = dinfo.kargs if plan.pack is None else plan.pack(dargs, dinfo.usm)
            if plan.checker is not None:
                kargs = kargs + [plan.checker.flag]
            ev = _sub.submit(queue, plan.sycl_kernel, kargs, rng, depends_on, (dargs, kargs), plan.checker,
                             kernel.__name__)
            ev.wait()
        with _sycl.queue_lock(queue):
            for i in info.host:
                if i in plan.written and i not in spans:
                    np.copyto(args[i], dpnp.asnumpy(dargs[i]), casting="no")
            for host_span, dev_span, members in {id(v[0]): v for v in spans.values()}.values():
                if any(m in plan.written for m in members):
                    np.copyto(host_span, dpnp.asnumpy(dev_span), casting="no")
        return _sub.Event()

    # --- compiling ---------------------------------------------------------------------------

    def binary_for(self, kernel, sig, rng, queue, nargs):
        """The SPIR-V specialisation for this signature, launch shape and device (no program)."""
        style = kernel_style(kernel.py_func, nargs, kernel.__name__)
        fp64 = bool(queue.sycl_device.has_aspect_fp64)
        sig = _device_sig(kernel.__name__, sig, fp64, queue)
        bc = _sub.boundscheck_enabled()
        with kernel._lock:
            comp = binary.get(kernel.py_func, kernel.__name__, kernel._binaries, binary.spec_key(sig, style, rng),
                              fastmath=kernel.fastmath, boundscheck=bc, small_ids=rng._small)
        return comp, sig, style, fp64, bc

    def _make_plan(self, kernel, sig, rng, queue, nargs):
        comp, sig, style, fp64, bc = self.binary_for(kernel, sig, rng, queue, nargs)
        check_device_support(kernel.__name__, comp, queue.sycl_device)
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
                f"{kernel.__name__!r} ({binary.signature_text(sig, style)}): {exc}"
            ) from exc
        checker = _sub.BoundsChecker(kernel.__name__, comp.errors, queue, rng.ndim) if comp.flagged else None
        # classify() packs for fp64 devices; elsewhere Python floats travel as float32
        return _Plan(sycl_kernel, None if fp64 else _sub.make_packer(sig, fp64), comp.written, checker)

    def prepare(self, kernel, rng, args, choice):
        info = _classify(args, kernel.__name__)
        queue = info.queue if info.queue is not None else choice.device.sycl_queue
        # (NumPy arguments are in the signature as the C-contiguous device copies they travel as)
        return self.binary_for(kernel, info.sig, rng, queue, len(args))[0]

    def synchronize(self, device=None) -> None:
        _sub.synchronize(device)
