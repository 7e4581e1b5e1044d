"""Running a kernel on the host: a generated task runner per launch shape, spread over threads.

The index space of a launch is cut into tasks — rows of the range (every
dimension but the last) times pieces of the last dimension — so that there are a
few tasks per thread even for a 1-D range, and each task's innermost loop runs
along the last dimension, where consecutive work-items usually touch consecutive
elements (LLVM vectorises it). For an ``NdRange`` the local and group ids are
carried along the same loops (and dropped by LLVM when the kernel never asks for
them); the order of work-items is free because the host back end refuses the
features that depend on work-groups (barriers, local memory: ``rewrite.py``),
and its atomics are real atomics.

The task runner is one ``numba.njit(nogil=True)`` function per (kernel, item
style, range kind, dimensions, options), calling the rewritten kernel for each
work-item (LLVM inlines it, so an unused context costs nothing). A launch runs
on ``hetero.get_num_threads()`` threads (``HETERO_NUM_THREADS``,
:func:`hetero.set_num_threads`) — the calling thread and workers of a thread
pool — each of which calls the runner once; inside, without the GIL, they take
chunks of consecutive tasks from a shared counter (an atomic fetch-and-add)
until none is left, so a thread the OS starts late or delays on a busy machine
does not hold the launch up. Launches of fewer than ``SERIAL_WORK_ITEMS``
work-items run on the calling thread alone.

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

numba keeps one machine-code specialisation per argument types and layouts.
"""

from __future__ import annotations

import os
import threading
import weakref

import numpy as np

from ..errors import KernelCompileError, KernelTypingError, LaunchError
from ..kernel_api import NdRange, Range
from . import rewrite as rw

from .._locks import INIT_LOCK as _lock  # noqa: E402  (one lock for all one-time work)
_cache: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # py_func → {key: HostKernelInfo}

TASKS_PER_THREAD = 32


class HostKernelInfo:
    """What the host back end built for one (kernel, style, range kind, dimensions, options).

    Attributes
    ----------
    kernel : numba dispatcher of the rewritten kernel (``inspect_types()`` etc. work on it)
    launcher : numba dispatcher of the task runner (``launch(t0, t1, *args, *extents)``)
    source : the rewritten kernel source (what numba compiled)
    launcher_source : the generated task-runner source
    """

    __slots__ = ("kernel", "launcher", "source", "launcher_source", "style", "nd", "ndim", "__weakref__")

    def __init__(self, kernel, launcher, source, launcher_source, style, nd, ndim):
        self.kernel = kernel
        self.launcher = launcher
        self.source = source
        self.launcher_source = launcher_source
        self.style = style
        self.nd = nd
        self.ndim = ndim


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no", "off")


def _jit_options(fastmath: bool) -> dict:
    # error_model="numpy": a float division by zero gives inf/nan as on a device, not an exception.
    return {
        "error_model": "numpy",
        "fastmath": bool(fastmath),
        "boundscheck": _env_flag("HETERO_BOUNDSCHECK"),
        "nogil": True,
    }


def _launcher_source(nargs: int, ndim: int, nd: bool, item_style: bool) -> str:
    """Python source of the task runner for one launch shape (see the module docstring).

    ``launch(counter, nchunks, ntasks, *args, *global extents, [*local extents,] pieces, ps)``
    takes chunk numbers from ``counter[0]`` (an atomic fetch-and-add: every thread of a launch
    calls it once, with the same counter) until they run out; chunk ``k`` is tasks
    ``ntasks * k // nchunks`` up to the next chunk's first. Task ``t`` is row ``t // pieces`` of
    the range (the ids of every dimension but the last) and piece ``t % pieces`` of the last
    dimension. For an NdRange the local and group ids are carried along (LLVM drops them when
    the kernel does not ask for them).
    """
    args = [f"a{k}" for k in range(nargs)]
    last = ndim - 1
    ids = [f"i{d}" if d < ndim else "0" for d in range(3)]
    item = ("i0" if ndim == 1 else "(" + ", ".join(ids[:ndim]) + ",)") if item_style else None
    call_args = ", ".join(([item] if item else []) + args)
    G = [f"G{d}" if d < ndim else "1" for d in range(3)]
    head = args + [f"G{d}" for d in range(ndim)] + ([f"L{d}" for d in range(ndim)] if nd else []) + ["pieces", "ps"]
    out = [f"def launch(counter, nchunks, ntasks, {', '.join(head)}):"]
    if nd:
        out += [f"    N{d} = G{d} // L{d}" for d in range(ndim)]
    out += [
        "    while True:",
        "        k = take(counter, 0, 1)",
        "        if k >= nchunks:",
        "            break",
        "        for t in range(ntasks * k // nchunks, ntasks * (k + 1) // nchunks):",
        "            r = t // pieces",
        "            lo = (t - r * pieces) * ps",
        f"            hi = min(lo + ps, G{last})",
    ]
    # the row number → the ids of the leading dimensions
    if last == 1:
        out.append("            i0 = nonneg(r)")
    elif last == 2:
        out += ["            i0 = nonneg(r // G1)", "            i1 = nonneg(r - i0 * G1)"]
    if nd:
        for d in range(last):
            out += [f"            g{d} = i{d} // L{d}", f"            l{d} = i{d} - g{d} * L{d}"]
        out += [f"            g{last} = lo // L{last}", f"            l{last} = lo - g{last} * L{last}"]
        lids = [f"l{d}" if d < ndim else "0" for d in range(3)]
        gids = [f"g{d}" if d < ndim else "0" for d in range(3)]
        L = [f"L{d}" if d < ndim else "1" for d in range(3)]
        N = [f"N{d}" if d < ndim else "1" for d in range(3)]
        ctx = (f"(({', '.join(ids)},), ({', '.join(G)},), ({', '.join(lids)},), ({', '.join(L)},), "
               f"({', '.join(gids)},), ({', '.join(N)},), {ndim})")
    else:
        ctx = (f"(({', '.join(ids)},), ({', '.join(G)},), ({', '.join(ids)},), ({', '.join(G)},), "
               f"(0, 0, 0), (1, 1, 1), {ndim})")
    out += [
        "            for j in range(lo, hi):",
        f"                i{last} = nonneg(j)",
        f"                kern({ctx}{', ' if call_args else ''}{call_args})",
    ]
    if nd:
        out += [
            f"                l{last} += 1",
            f"                if l{last} == L{last}:",
            f"                    l{last} = 0",
            f"                    g{last} += 1",
        ]
    return "\n".join(out) + "\n"


def _build(py_func, name, style, nd, ndim, nargs, fastmath) -> HostKernelInfo:
    import numba

    opts = _jit_options(fastmath)
    rewritten = rw.rewrite(py_func, what="kernel", item_style=style == "item", ndim=ndim, nd=nd)
    kern = rw.compile_rewritten(rewritten, nd=nd, jit_options=opts)
    src = _launcher_source(nargs, ndim, nd, style == "item")
    from .atomics import rmw

    ns = {"kern": kern, "min": min, "nonneg": rw.nonneg_intrinsic(), "take": rmw("add")}
    exec(compile(src, f"<hetero host launcher of {name}>", "exec"), ns)
    launcher = numba.njit(**opts)(ns["launch"])
    return HostKernelInfo(kern, launcher, rewritten.source, src, style, nd, ndim)


def host_info(py_func, rng, nargs: int, *, name: str | None = None, fastmath: bool = False) -> HostKernelInfo:
    """The (cached) host build of ``py_func`` for a launch of ``nargs`` arguments over ``rng``."""
    name = name or py_func.__name__
    rng = _as_range(rng)
    style = _style(py_func, nargs, name)
    nd = isinstance(rng, NdRange)
    key = (style, nd, rng.ndim, nargs, bool(fastmath), _env_flag("HETERO_BOUNDSCHECK"))
    per = _cache.get(py_func)
    if per is not None:
        info = per.get(key)
        if info is not None:
            return info
    with _lock:
        per = _cache.setdefault(py_func, {})
        info = per.get(key)
        if info is None:
            info = _build(py_func, name, style, nd, rng.ndim, nargs, fastmath)
            per[key] = info
        return info


def _as_range(rng):
    if isinstance(rng, (Range, NdRange)):
        return rng
    if isinstance(rng, (tuple, list)):
        return Range(*rng)
    return Range(rng)


def _style(py_func, nargs: int, name: str) -> str:
    nparams = py_func.__code__.co_argcount
    if nparams == nargs:
        return "opencl"
    if nparams == nargs + 1:
        return "item"
    raise LaunchError(
        f"kernel {name!r} takes {nparams} parameter(s) but was launched with {nargs} argument(s); pass "
        f"{nparams} (OpenCL style, ids from hetero.get_global_id) or {nparams - 1} (item style: the "
        "work-item comes first)"
    )


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
            pass
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
    rng = _as_range(rng)
    args = tuple(args)
    _check_args(args, name)
    info = host_info(py_func, rng, len(args), name=name, fastmath=fastmath)
    from .._threads import get_num_threads

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


def uses_workgroup_features(py_func) -> str | None:
    """The work-group feature (``barrier``, ``local_array``, an atomic, ...) a kernel uses, or None."""
    return rw.uses_workgroup_features(py_func)
