"""The CPU target: a kernel compiled by numba for the host, as a task runner per launch shape.

``pipeline.py`` compiles the kernel with ``numba.njit`` from its bytecode, its
numba IR rewritten to take a work-item context (``rewrite.py``); this module
generates the task runner — one ``njit(nogil=True)`` function per (kernel, item style, range
kind, dimensions, options) that walks chunks of the index space and calls the
rewritten kernel for each work-item (LLVM inlines it). The host back end
(``hetero/backends/host.py``) runs the task runner on its threads.

The index space of a launch is cut into tasks — rows of the range (every
dimension but the last) times pieces of the last dimension — so that each
task's innermost loop runs along the last dimension, where consecutive
work-items usually touch consecutive elements (LLVM vectorises it). For an
``NdRange`` the local and group ids are carried along the same loops (and
dropped by LLVM when the kernel never asks for them).
"""

from __future__ import annotations

import weakref

from ...._env import flag, kernel_switches
from ...._locks import INIT_LOCK as _lock
from ....lang import NdRange, parse_range
from ....lang.items import kernel_style
from . import context, pipeline

__all__ = ["HostKernelInfo", "host_info"]

_cache: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # py_func → {key: HostKernelInfo}


class HostKernelInfo:
    """What the host back end built for one (kernel, style, range kind, dimensions, options).

    Attributes
    ----------
    kernel : numba dispatcher of the rewritten kernel (``inspect_types()`` etc. work on it)
    launcher : numba dispatcher of the task runner (``launch(t0, t1, *args, *extents)``)
    source : the rewritten kernel as numba IR, before numba's own passes (what numba compiled)
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


def _jit_options(fastmath: bool) -> dict:
    # error_model="numpy": a float division by zero gives inf/nan as on a device, not an exception.
    return {
        "error_model": "numpy",
        "fastmath": bool(fastmath),
        "boundscheck": flag("HETERO_BOUNDSCHECK"),
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
    kern, source = pipeline.host_dispatcher(py_func, what="kernel", item_style=style == "item", ndim=ndim, nd=nd,
                                            jit_options=opts)
    src = _launcher_source(nargs, ndim, nd, style == "item")
    from .atomics import rmw

    ns = {"kern": kern, "min": min, "nonneg": context.nonneg_intrinsic(), "take": rmw("add")}
    exec(compile(src, f"<hetero host launcher of {name}>", "exec"), ns)
    launcher = numba.njit(**opts)(ns["launch"])
    return HostKernelInfo(kern, launcher, source, src, style, nd, ndim)


def host_info(py_func, rng, nargs: int, *, name: str | None = None, fastmath: bool = False) -> HostKernelInfo:
    """The (cached) host build of ``py_func`` for a launch of ``nargs`` arguments over ``rng``."""
    name = name or py_func.__name__
    rng = parse_range(rng)
    style = kernel_style(py_func, nargs, name)
    nd = isinstance(rng, NdRange)
    key = (style, nd, rng.ndim, nargs, bool(fastmath)) + kernel_switches()
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


def builds(py_func) -> dict:
    """The host builds of ``py_func`` so far: {(style, ndrange, ndim, nargs, fastmath, boundscheck, asserts): info}."""
    return dict(_cache.get(py_func, {}))
