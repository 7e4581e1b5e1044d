"""Submitting SPIR-V kernels to SYCL queues: argument classification and packing, ordering, events.

This module must not import numba: a launch whose kernel is in the disk
cache goes from Python arguments to ``SyclQueue.submit_async`` without the
compiler.

Ordering: a launch on device arrays takes the pending events of its queue from
``dpctl.utils.SequentialOrderManager`` as dependencies and registers its own
event there, so earlier dpnp work on its arrays finishes first and later dpnp
work waits for it, with no manual waits. The arguments are kept alive until
the kernel is known to have finished.
"""

from __future__ import annotations

import builtins
import ctypes
import threading
import weakref
from collections import deque

import numpy as np

from ... import _sycl
from ..._sycl import queue_lock
from ..._arrays import _device_array_types
from ..._env import flag
from ...errors import KernelAssertionError, KernelIndexError, KernelRuntimeError, LaunchError
from ...lang import LocalAccessor as _LocalAccessor, NdRange
from ...lang.arguments import check_python_int
from ..base import Event as _BaseEvent


def lend_thread(sycl_events) -> None:
    """Block in ``wait()`` on ``sycl_events`` on a helper thread (a daemon: it ends with the kernels).

    A thread blocked in a SYCL wait lends itself to the runtime: Intel's OpenCL CPU device
    runs work-groups on TBB workers (one fewer than the logical cores: one on a 2-core machine)
    plus whichever threads are waiting for the launch. A timed wait polls
    (``base.wait_until_complete``), so without this it would give the launch one thread fewer
    than an untimed ``wait()`` does: on a 2-core machine work-groups then run strictly one at a
    time, and a kernel in which one work-group waits for another (a spin on an atomic flag)
    times out although an untimed wait completes it.
    """
    evs = [e for e in sycl_events if e is not None]
    if not evs:
        return

    def run():
        for e in evs:
            e.wait()

    threading.Thread(target=run, name="hetero-sycl-wait", daemon=True).start()


class Event(_BaseEvent):
    """A SYCL launch's :class:`hetero.Event`: a timed ``wait`` gives the launch the same threads as
    an untimed one (see :func:`lend_thread`)."""

    __slots__ = ()

    def wait(self, timeout: float | None = None) -> None:
        if timeout is not None and self.sycl_event is not None and not self.is_complete:
            lend_thread([self.sycl_event])
        super().wait(timeout)

_c_int64 = ctypes.c_int64
_c_float = ctypes.c_float
_c_double = ctypes.c_double


# --- argument signatures (plain tuples; no numba) -------------------------------------------


# What a launch needs from a usm_ndarray (its queue, signature entry and the kernel
# arguments: data, offset, shape, strides), memoised per array object. A usm_ndarray's
# view metadata never changes, and the entry goes away with the array (weakref callback),
# so the memo never keeps an array alive. Saves ~1.5 us per array per launch.
_usm_memo: dict = {}


def _describe_usm(u) -> tuple:
    flags = u.flags
    layout = "C" if flags.c_contiguous else ("F" if flags.f_contiguous else "A")
    chunk = (u.usm_data, _c_int64(u._element_offset), *map(_c_int64, u.shape), *map(_c_int64, u.strides))
    key = id(u)
    try:
        ref = weakref.ref(u, lambda _r, key=key: _usm_memo.pop(key, None))
    except TypeError:  # not weak-referenceable: describe it on every launch
        return (lambda: None, u.sycl_queue, ("array", u.dtype, u.ndim, layout), chunk)
    entry = (ref, u.sycl_queue, ("array", u.dtype, u.ndim, layout), chunk)
    if len(_usm_memo) < 4096:
        _usm_memo[key] = entry
    return entry


_SCALAR_SIG = {bool: ("scalar", "bool"), int: ("scalar", "int64"), float: ("scalar", "float64"),
               complex: ("scalar", "complex128")}


class ArgInfo:
    """The launch arguments, classified and packed for ``submit_async``.

    ``sig`` is hashable: per argument ("array", dtype, ndim, layout) or ("scalar",
    dtype name). ``kargs`` are the dpctl kernel arguments assuming fp64 (see
    ``make_packer`` for devices without it); None when there are NumPy arrays.
    """

    __slots__ = ("sig", "queue", "usm", "host", "kargs")

    def __init__(self, sig, queue, usm, host, kargs):
        self.sig = sig
        self.queue = queue
        self.usm = usm  # per argument: the usm_ndarray, or None
        self.host = host  # indices of NumPy arrays
        self.kargs = kargs


def classify(args, kernel_name: str) -> ArgInfo:
    """Signature of the launch arguments, the queue of their device arrays, and the NumPy ones.

    This runs on every launch: it is written for speed.
    """
    dev_types = _device_array_types()
    sig = []
    usm = []
    host = []
    kargs = []
    add = kargs.append
    c_int64 = _c_int64
    queue = None
    for i, x in enumerate(args):
        t = type(x)
        if dev_types and (t in dev_types or isinstance(x, dev_types)):
            u = x.get_array() if hasattr(x, "get_array") else x
            entry = _usm_memo.get(id(u))
            if entry is None or entry[0]() is not u:
                entry = _describe_usm(u)
            _, q, sig_entry, chunk = entry
            if queue is None:
                queue = q
            elif q is not queue and q != queue:
                from ..._arrays import execution_queue

                execution_queue(*[a for a in args if isinstance(a, dev_types)])  # raises PlacementError
            sig.append(sig_entry)
            usm.append(u)
            kargs.extend(chunk)
        elif t in _SCALAR_SIG:
            sig.append(_SCALAR_SIG[t])
            usm.append(None)
            if t is float:
                add(_c_double(x))
            elif t is complex:
                add(_c_double(x.real))
                add(_c_double(x.imag))
            else:
                if not -0x8000000000000000 <= x <= 0x7FFFFFFFFFFFFFFF:
                    check_python_int(i, x, kernel_name)  # raises: never cut to 64 bits
                add(c_int64(x))
        elif isinstance(x, np.ndarray):
            if x.dtype.kind not in "biufc" or x.dtype == np.float16:
                from ...errors import UnsupportedDtypeError

                raise UnsupportedDtypeError(
                    f"argument {i} of kernel {kernel_name!r} is a NumPy array of {x.dtype}; kernels take "
                    "bool, integer, float32/float64 and complex arrays"
                )
            sig.append(("array", x.dtype, x.ndim, "C"))  # placeholder until copied in
            usm.append(None)
            host.append(i)
        elif isinstance(x, np.generic) and x.dtype.kind in "biufc":
            sig.append(("scalar", x.dtype.name))
            usm.append(None)
            kind = x.dtype.kind
            if kind in "biu":
                add(c_int64(int(x)))
            elif kind == "f":
                add((_c_float if x.dtype.itemsize == 4 else _c_double)(x))
            else:
                c = _c_float if x.dtype.itemsize == 8 else _c_double
                add(c(x.real))
                add(c(x.imag))
        elif t is _LocalAccessor:
            sig.append(("local", x.dtype, x.ndim))
            usm.append(None)
            kargs.extend(local_accessor_args(x))
        else:
            raise LaunchError(
                f"argument {i} of kernel {kernel_name!r} is a {t.__module__}.{t.__qualname__}; kernels take "
                "dpnp arrays (or dpnp.tensor.usm_ndarray), NumPy arrays, hetero.LocalAccessor, and Python or "
                "NumPy numbers (bool, int, float, complex)"
            )
    if host and queue is not None:
        from ..._arrays import execution_queue

        execution_queue(*[a for a in args if isinstance(a, (np.ndarray,) + dev_types)])  # raises PlacementError
    return ArgInfo(tuple(sig), queue, usm, host, None if host else kargs)


# --- packing arguments for submit_async ------------------------------------------------------


def local_accessor_args(acc) -> list:
    """dpctl kernel arguments of a :class:`~hetero.kernel_api.LocalAccessor`: local memory, then its shape."""
    dpctl = _dpctl or _dpctl_mod()
    dt = acc.dtype
    n = 1
    for d in acc.shape:
        n *= d
    return [dpctl.LocalAccessor(f"{dt.kind}{dt.itemsize}", (n,)), *map(_c_int64, acc.shape)]


def make_packer(sig: tuple, fp64: bool):
    """A function turning (args, usm list) into dpctl kernel arguments for ``sig``."""
    steps = []
    for i, s in enumerate(sig):
        if s[0] == "array":
            steps.append((0, i))
        elif s[0] == "local":
            steps.append((6, i))
        else:
            name = s[1]
            if name == "bool" or name.startswith(("int", "uint")):
                steps.append((1, i))
            elif name == "float32" or (name == "float64" and not fp64):
                steps.append((2, i))
            elif name == "float64":
                steps.append((3, i))
            elif name == "complex64" or (name == "complex128" and not fp64):
                steps.append((4, i))
            else:
                steps.append((5, i))

    def pack(args, usm):
        out = []
        add = out.append
        for kind, i in steps:
            if kind == 0:
                u = usm[i]
                add(u.usm_data)
                add(_c_int64(u._element_offset))
                out.extend(map(_c_int64, u.shape))
                out.extend(map(_c_int64, u.strides))
            elif kind == 6:
                out.extend(local_accessor_args(args[i]))
            elif kind == 1:
                add(_c_int64(int(args[i])))
            elif kind == 2:
                add(_c_float(args[i]))
            elif kind == 3:
                add(_c_double(args[i]))
            else:
                z = complex(args[i])
                c = _c_float if kind == 4 else _c_double
                add(c(z.real))
                add(c(z.imag))
        return out

    return pack


# --- events and keeping arguments alive ------------------------------------------------------

_pending_lock = threading.Lock()
_pending: deque = deque()  # (SyclEvent, keep-alive objects, kernel name, queue)
_queues: dict = {}  # queues launched on, for synchronize()
_MAX_PENDING = 1024


_dpctl = None


def _dpctl_mod():
    global _dpctl
    if _dpctl is None:
        _dpctl = _sycl.require_dpctl("Launching a kernel")
    return _dpctl


def _complete(ev) -> bool:
    return ev.execution_status == _dpctl_mod().event_status_type.complete


_COMPLETE = None


def track(ev, keep, queue, name=None) -> None:
    """Keep ``keep`` (the launch arguments) alive until ``ev`` has completed.

    Finished launches at the head of the list are released on every launch
    (one status query, ~0.2 us), so a loop that allocates big temporaries
    does not keep finished ones alive.
    """
    global _COMPLETE
    if _COMPLETE is None:
        _COMPLETE = _dpctl_mod().event_status_type.complete
    _pending.append((ev, keep, name, queue))  # deque.append is atomic
    if id(queue) not in _queues:
        with _pending_lock:
            _queues[id(queue)] = queue
    if len(_pending) > 1:
        with _pending_lock:
            while _pending and (len(_pending) > _MAX_PENDING or _pending[0][0].execution_status == _COMPLETE):
                old = _pending.popleft()[0]
                if len(_pending) >= _MAX_PENDING:
                    old.wait()


# --- HETERO_BOUNDSCHECK=1: error flags read back at synchronisation points ------------------


def boundscheck_enabled() -> bool:
    return flag("HETERO_BOUNDSCHECK")


_checkers: dict = {}  # id -> BoundsChecker with launches not yet checked


class BoundsChecker:
    """The error-flag buffer of one kernel specialisation on one queue, and what its codes mean."""

    def __init__(self, kernel_name, errors, queue, ndim):
        dpctl = _dpctl_mod()
        import dpctl.memory  # noqa: F401

        self.kernel_name = kernel_name
        self.errors = errors
        self.ndim = ndim
        self.flag = dpctl.memory.MemoryUSMDevice(32, queue=queue)
        self.flag.memset(0)

    def launched(self):
        _checkers[id(self)] = self

    def check(self):
        """Raise what the first failing work-item of the launches since the last check raised (call
        after waiting): KernelIndexError for an out-of-bounds index, KernelAssertionError for an
        ``assert``, the builtin exception a ``raise`` named (else KernelRuntimeError)."""
        _checkers.pop(id(self), None)
        vals = np.frombuffer(self.flag.copy_to_host(), dtype=np.int64)
        code = int(vals[0])
        if code == 0:
            return
        self.flag.memset(0)
        ids = tuple(int(v) for v in vals[1 : 1 + self.ndim])
        exc_name, msg, fname, line = self.errors.get(code, ("Exception", "an exception was raised", None, None))
        where = f" at {fname}:{line}" if fname else ""
        item = ids[0] if len(ids) == 1 else ids
        if exc_name == "IndexError":
            raise KernelIndexError(
                f"kernel {self.kernel_name!r}{where}: {msg or exc_name} in work-item {item} "
                "(HETERO_BOUNDSCHECK=1; the access was skipped, nothing outside the array was written)"
            )
        text = (f"kernel {self.kernel_name!r}{where}, work-item {item}: {msg or exc_name} (the work-item stopped "
                "there; other work-items ran on)")
        if exc_name == "AssertionError":
            raise KernelAssertionError(text)
        cls = getattr(builtins, exc_name, None)
        if isinstance(cls, type) and issubclass(cls, Exception) and not issubclass(cls, (OSError, UnicodeError)):
            raise cls(text)
        raise KernelRuntimeError(f"{exc_name} raised in {text}")


def check_all() -> None:
    for checker in list(_checkers.values()):
        checker.check()


def synchronize(device=None, timeout: float | None = None) -> None:
    """Wait for every kernel hetero launched (on ``device`` only, when given).

    Parameters
    ----------
    device : str, Device, dpctl.SyclDevice, dpctl.SyclQueue or None
        Anything :func:`hetero.select_device` takes. None waits for all queues
        kernels were launched on.
    timeout : float, optional
        Give up after this many seconds with a :class:`~hetero.KernelTimeoutError` naming
        a kernel that has not finished (the kernels go on running).
    """
    dpctl = _sycl.dpctl()
    if dpctl is None:
        return
    with _pending_lock:
        queues = list(_queues.values())
    if device is not None:
        if isinstance(device, dpctl.SyclQueue):
            targets = [device]
        else:
            from ..._device import select_device

            dev = select_device(device)
            targets = [q for q in queues if not dev.is_host and q.sycl_device == dev.sycl_device]
            if not dev.is_host:
                targets.append(dev.sycl_queue)
    else:
        targets = queues
    if timeout is not None:
        from ..base import wait_until_complete

        with _pending_lock:
            mine = [(p[0], p[2]) for p in _pending if device is None or any(p[3] == q for q in targets)]
        lend_thread([p[0] for p in mine if not _complete(p[0])])
        wait_until_complete(mine, timeout)
    for q in targets:
        q.wait()
    check_all()
    with _pending_lock:
        keep = deque(p for p in _pending if not _complete(p[0]))
        _pending.clear()
        _pending.extend(keep)


# Work-group size for 1-D Range launches on CPU devices. A Range launch leaves the size to the
# implementation; the OpenCL CPU runtime's own choice ran a 2^24 float32 add at ~20 GB/s, groups
# of 64 at ~24 GB/s (as fast as dpnp). Other devices keep their runtime's choice.
_CPU_RANGE_WG = 64
_range_wg_by_queue: dict = {}


def _range_work_group(queue, glist):
    wg = _range_wg_by_queue.get(queue)
    if wg is None:
        wg = _CPU_RANGE_WG if queue.sycl_device.is_cpu else 0
        _range_wg_by_queue[queue] = wg
    if wg and len(glist) == 1 and glist[0] % wg == 0:
        return [wg]
    return None


_checked_local: dict = {}


def check_local_range(device_or_queue, rng: NdRange) -> None:
    """A :class:`LaunchError` when the work-groups of ``rng`` are larger than the device allows."""
    dev = getattr(device_or_queue, "sycl_device", device_or_queue)
    local = rng.local_range.dims
    size = 1
    for d in local:
        size *= d
    limit = int(dev.max_work_group_size)
    name = getattr(dev, "filter_string", str(dev))
    if size > limit:
        raise LaunchError(
            f"NdRange local range {local} has {size} work-items per work-group, more than the "
            f"{limit} that {name} allows (its max_work_group_size); use a smaller local range"
        )
    per_dim = tuple(getattr(dev, "max_work_item_sizes3d", ()) or ())
    if len(per_dim) == 3:
        # SYCL's range<3> order: the last extent is the fastest dimension
        n = len(local)
        for d, ext in enumerate(local):
            lim = per_dim[3 - n + d]
            if ext > lim:
                raise LaunchError(
                    f"NdRange local extent {ext} in dimension {d} (local range {local}) exceeds the "
                    f"{lim} work-items {name} allows in that dimension (its max_work_item_sizes {per_dim})"
                )
    if len(_checked_local) < 4096 and hasattr(device_or_queue, "sycl_device"):
        _checked_local[(device_or_queue, rng)] = True


def submit(queue, sycl_kernel, kargs, rng, depends_on, keep, checker=None, name=None) -> Event:
    """Submit with ordering against pending work on ``queue``; returns an :class:`Event`."""
    dpctl = _dpctl or _dpctl_mod()
    with queue_lock(queue):  # see hetero/_sycl.queue_lock
        om = dpctl.utils.SequentialOrderManager[queue]
        deps = om.submitted_events
        if depends_on:
            deps = list(deps)
            for e in depends_on:
                if isinstance(e, Event):
                    if e.sycl_event is not None:
                        deps.append(e.sycl_event)
                elif isinstance(e, dpctl.SyclEvent):
                    deps.append(e)
                else:
                    raise LaunchError(
                        f"depends_on takes hetero.Event or dpctl.SyclEvent objects, got {type(e).__name__}"
                    )
        if type(rng) is NdRange:
            if (queue, rng) not in _checked_local:
                check_local_range(queue, rng)
            ev = queue.submit_async(sycl_kernel, kargs, rng._glist, rng._llist, dEvents=deps)
        else:
            wg = _range_work_group(queue, rng._glist)
            if wg:
                ev = queue.submit_async(sycl_kernel, kargs, rng._glist, wg, dEvents=deps)
            else:
                ev = queue.submit_async(sycl_kernel, kargs, rng._glist, dEvents=deps)
        om.add_event_pair(ev, ev)
    track(ev, keep, queue, name)
    if checker is not None:
        checker.launched()
    return Event(ev, keep, checker, name)
