"""The host back end: a kernel compiled for the CPU (``hetero/compiler/targets/cpu``), run on threads.

A launch runs on ``hetero.get_num_threads()`` threads (``HETERO_NUM_THREADS``,
:func:`hetero.set_num_threads`) — the calling thread and workers of a thread
pool — each of which calls the task runner once; inside, without the GIL, they
take chunks of consecutive tasks from a shared counter (an atomic
fetch-and-add) until none is left, so a thread the OS starts late or delays on
a busy machine does not hold the launch up. Launches of fewer than
``SERIAL_WORK_ITEMS`` work-items run on the calling thread alone. NumPy arrays
are used in place (no copies); the order of work-items is free because kernels
that depend on work-groups (barriers, local memory) do not run here, and
atomics are real atomics.

Why threads around a serial ``njit`` function rather than a ``prange`` launcher:
the same machine code in the inner loop and within a few per cent of ``prange``
on N = 2^24 add and on Black-Scholes (``benchmarks/kernels_host.py``), but
numba's parfor pipeline made each new specialisation cost 1.0-1.5 s to compile
instead of 0.3 s, and a small launch 70-300 µs instead of about 10 µs. The
price: waking pool threads costs 50-200 µs per threaded launch (``prange``'s
OpenMP workers are hot), and right after a ``prange`` loop its OpenMP workers
spin for a while and compete with these threads for the cores. (Running
launches on numba's own threads instead — one ``prange`` driver compiled once,
calling a per-kernel ``cfunc`` through a function pointer with the arguments
packed in a buffer — was tried: no compile-time cost, no competition with
``prange`` loops, but 0.88-0.97x ``prange`` on the add instead of about 0.99x,
and twice the launch overhead.)
"""

from __future__ import annotations

import os
import threading

import numpy as np

from ..compiler.targets.cpu import rewrite as rw
from ..compiler.targets.cpu.build import HostKernelInfo, host_info
from ..errors import KernelAssertionError, KernelCompileError, KernelIndexError, KernelTypingError, LaunchError
from ..lang import NdRange, parse_range
from ..lang.arguments import check_python_int
from . import language
from .base import Backend, Event

__all__ = ["HostBackend", "run_host", "HostKernelInfo"]

TASKS_PER_THREAD = 32


def _check_args(args, name: str) -> None:
    for i, x in enumerate(args):
        if isinstance(x, np.ndarray):
            if x.dtype.kind not in "biufc":
                raise LaunchError(
                    f"argument {i} of kernel {name!r} is a NumPy array of dtype {x.dtype}; kernels take arrays "
                    "of bool, integer, float and complex dtypes"
                )
            if not x.dtype.isnative:
                raise LaunchError(
                    f"argument {i} of kernel {name!r} has non-native byte order ({x.dtype.str}); "
                    "convert it with a.astype(a.dtype.newbyteorder('='))"
                )
        elif isinstance(x, (bool, int, float, complex)) or (isinstance(x, np.generic) and x.dtype.kind in "biufc"):
            if type(x) is int:
                check_python_int(i, x, name)
        else:
            t = type(x)
            hint = (
                " (a device array: the host back end runs on NumPy arrays; launch on the array's device, "
                "or copy it with hetero.asnumpy)"
                if hasattr(x, "sycl_queue")
                else ""
            )
            raise LaunchError(
                f"argument {i} of kernel {name!r} is a {t.__module__}.{t.__qualname__}{hint}; the host back end "
                "takes NumPy arrays and Python or NumPy numbers (bool, int, float, complex)"
            )


def _task_shape(dims: tuple, nthreads: int) -> tuple[int, int, int]:
    """(tasks, pieces, piece size) of a Range launch: rows × pieces of the last dimension."""
    rows = 1
    for d in dims[:-1]:
        rows *= d
    last = dims[-1]
    target = TASKS_PER_THREAD * nthreads
    pieces = 1 if rows >= target else min(last, -(-target // rows))
    ps = -(-last // pieces)
    pieces = -(-last // ps)
    return rows * pieces, pieces, ps


# Launches with fewer work-items than this run on the calling thread: waking threads costs more.
SERIAL_WORK_ITEMS = 1 << 14
# A chunk (what a thread takes at a time) has at least this many work-items.
MIN_CHUNK_WORK_ITEMS = 1 << 14

_pool = None
_pool_lock = threading.Lock()


def _thread_pool():
    global _pool
    with _pool_lock:
        if _pool is None:
            from concurrent.futures import ThreadPoolExecutor

            _pool = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) * 2), thread_name_prefix="hetero-host")
        return _pool


def run_host(py_func, rng, args, *, name: str | None = None, fastmath: bool = False) -> HostKernelInfo | None:
    """Run a kernel on the host back end: compiled by numba for the CPU, multi-threaded, no copies.

    Parameters
    ----------
    py_func : function
        The kernel's Python function (``Kernel.py_func``), OpenCL style or item
        style (one parameter more than ``args``: the work-item comes first).
    rng : Range, NdRange, int or tuple
        The launch range (1-3 dimensions).
    args : sequence
        NumPy arrays (any layout; written in place) and Python / NumPy scalars.
    name : str, optional
        The kernel's name for messages (default: the function's name).
    fastmath : bool
        Allow LLVM's fast-math rewrites.

    Returns
    -------
    HostKernelInfo or None
        What ran (None for an empty range, which runs nothing).

    Raises
    ------
    LaunchError
        Wrong number or kinds of arguments, or a kernel using work-group
        features (barriers, local memory, atomics) the host back end cannot run.
    KernelCompileError / KernelTypingError
        The kernel uses a construct numba cannot compile for these argument types.
    """
    name = name or py_func.__name__
    rng = parse_range(rng)
    args = tuple(args)
    _check_args(args, name)
    info = host_info(py_func, rng, len(args), name=name, fastmath=fastmath)
    from .._jit import get_num_threads

    nthreads = get_num_threads()
    dims = rng.global_range.dims if isinstance(rng, NdRange) else rng.dims
    if 0 in dims:
        return info
    tasks, pieces, ps = _task_shape(dims, nthreads)
    local = rng.local_range.dims if isinstance(rng, NdRange) else ()
    extra = dims + local + (pieces, ps)
    total = 1
    for d in dims:
        total *= d
    _call(info, args, extra, tasks, nthreads if total >= SERIAL_WORK_ITEMS else 1, total, name, py_func)
    return info


def _call(info, args, extra, tasks, nthreads, total, name, py_func):
    from numba.core import errors as nb_errors

    launcher = info.launcher
    try:
        if nthreads <= 1 or tasks <= 1:
            launcher(np.zeros(1, np.int64), 1, tasks, *args, *extra)
            return
        # Each thread calls the runner once; inside (without the GIL) it takes chunks from a shared
        # atomic counter until none is left, so a thread the OS starts late or delays does not
        # hold the launch up. numba compiles under its global lock and re-checks, so a first
        # launch compiles once.
        nchunks = max(1, min(tasks, max(nthreads, total // MIN_CHUNK_WORK_ITEMS)))
        counter = np.zeros(1, np.int64)
        pool = _thread_pool()
        futures = [pool.submit(launcher, counter, nchunks, tasks, *args, *extra)
                   for _ in range(min(nthreads, nchunks) - 1)]
        try:
            launcher(counter, nchunks, tasks, *args, *extra)
        finally:
            errors = []
            for f in futures:
                try:
                    f.result()
                except BaseException as exc:  # noqa: BLE001 - re-raised below
                    errors.append(exc)
        if errors:
            raise errors[0]
    except nb_errors.TypingError as exc:
        hint = ""
        if "Untyped global name" in str(exc):
            hint = (
                "\n(a function a kernel calls must be a @hetero.device_function, a numba-jitted function, "
                "or a math / NumPy function numba knows)"
            )
        raise KernelTypingError(
            f"kernel {name!r} ({rw._where(py_func)}) cannot be compiled for the host with arguments "
            f"({_describe(args)}):\n{exc}{hint}"
        ) from exc
    except nb_errors.NumbaError as exc:
        raise KernelCompileError(
            f"kernel {name!r} ({rw._where(py_func)}) could not be compiled for the host with arguments "
            f"({_describe(args)}):\n{exc}"
        ) from exc
    except IndexError as exc:  # numba's bounds check (HETERO_BOUNDSCHECK=1): as on every back end
        raise KernelIndexError(
            f"kernel {name!r} ({rw._where(py_func)}): {exc} (HETERO_BOUNDSCHECK=1; the host back end "
            "stopped at the first out-of-bounds access; run it with HETERO_KERNEL_BACKEND=interpret to see "
            "which work-item)"
        ) from exc
    except AssertionError as exc:
        if isinstance(exc, KernelAssertionError):
            raise
        raise KernelAssertionError(
            f"kernel {name!r} ({rw._where(py_func)}): {exc or 'assertion failed'} (on the host back end; run it "
            "with HETERO_KERNEL_BACKEND=interpret to see which work-item)"
        ) from exc
    except Exception as exc:
        note = (
            f"raised in kernel {name!r} ({rw._where(py_func)}) on the host back end; run it with "
            "HETERO_KERNEL_BACKEND=interpret to see which work-item raises"
        )
        if hasattr(exc, "add_note"):
            exc.add_note(note)
        raise


def _describe(args) -> str:
    out = []
    for x in args:
        if isinstance(x, np.ndarray):
            layout = "C" if x.flags.c_contiguous else "F" if x.flags.f_contiguous else "A"
            out.append(f"{x.dtype}[{x.ndim}d,{layout}]")
        else:
            out.append(type(x).__name__)
    return ", ".join(out)


class HostBackend(Backend):
    """Kernels compiled by numba for the CPU, on host threads, NumPy arrays in place."""

    name = "host"

    def accepts(self, args) -> str | None:
        try:
            _check_args(tuple(args), "kernel")
        except LaunchError as exc:
            return str(exc)
        return None

    def prepare(self, kernel, rng, args, choice):
        return host_info(kernel.py_func, parse_range(rng), len(args), name=kernel.__name__, fastmath=kernel.fastmath)

    def launch(self, kernel, rng, args, depends_on, choice):
        _check_args(tuple(args), kernel.__name__)
        language.check(kernel, rng, args)
        run_host(kernel.py_func, rng, args, name=kernel.__name__, fastmath=kernel.fastmath)
        return Event()
