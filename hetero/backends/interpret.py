"""The interpreter back end: a kernel run as plain Python, work-item by work-item.

Nothing is compiled. Each work-item calls the kernel's own Python function with
:mod:`hetero.kernel_api`'s thread-local work-item state set, so the in-kernel
functions answer with their pure-Python meaning; ``print``, ``breakpoint()``
and pdb work inside kernels, and an exception names the kernel, the work-item
and its work-group.

* A :class:`~hetero.kernel_api.Range` launch runs its work-items one after the
  other on the calling thread, in row-major order.
* An :class:`~hetero.kernel_api.NdRange` launch runs its work-groups one after
  the other. When the kernel (or a device function it calls) uses work-group
  features — barriers, local memory, atomics, found by name in the source — the
  work-items of a group run as threads at once (one thread per work-item of a
  group, reused for every group), so a barrier can hold each one until the whole
  group has arrived (:meth:`WorkGroup.barrier`); a barrier that not every
  work-item of the group reaches is a :class:`KernelRuntimeError`, never a hang.
  Otherwise (or with ``threads=False``) they run one after the other on the
  calling thread; ``HETERO_INTERPRET_THREADS=1`` or ``threads=True`` forces
  threads.

The state of a work-item is a :class:`hetero.lang.WorkItemState`, set as the
running work-item of its thread; its ``group`` is the :class:`WorkGroup` where
work-group features find their barrier and local memory.

Arrays: NumPy arrays are used in place; device arrays (dpnp) are copied to the
host, the kernel runs, and they are copied back.
"""

from __future__ import annotations

import itertools
import math
import threading
import types
import weakref

import numpy as np

from .. import lang as api
from .._env import flag
from ..errors import KernelAssertionError, KernelCompileError, KernelIndexError, KernelRuntimeError, LaunchError
from ..compiler.analysis import workgroup_feature
from ..lang.arguments import check_python_int
from ..lang.items import WorkItemState, kernel_style, set_current
from . import language
from .base import Backend, Event

__all__ = ["InterpretBackend", "run_interpreted", "WorkGroup"]


class _Aborted(BaseException):
    """Raised in a work-item waiting at a barrier when another work-item of its group failed."""


# --- work-groups and work-item state -------------------------------------------------------


class WorkGroup:
    """One work-group of an interpreted launch: its barrier and its local memory.

    Parameters
    ----------
    group_id : tuple of int
    size : int
        The number of work-items in the group.
    threaded : bool
        Whether the group's work-items run as concurrent threads (a barrier can
        only work then).
    """

    def __init__(self, group_id: tuple, size: int, threaded: bool):
        self.group_id = tuple(group_id)
        self.size = size
        self.threaded = threaded
        self._cond = threading.Condition()
        self._waiting = 0  # work-items held at the current barrier
        self._generation = 0
        self._finished = 0  # work-items that have returned
        self._failure: BaseException | None = None
        self._local: dict = {}

    def barrier(self) -> None:
        """Wait until every work-item of the group has reached this barrier.

        Raises :class:`KernelRuntimeError` when the barrier is not reached by
        every work-item (some already returned, or wait at another barrier and
        then return), instead of hanging.
        """
        if self.size == 1:
            return
        if not self.threaded:
            raise KernelRuntimeError(
                f"a barrier was reached in work-group {self.group_id}, whose {self.size} work-items the "
                "interpreter runs one after the other because no barrier was found in the kernel's source "
                "(called through a function that is not a @hetero.device_function?); make the call visible "
                "in the kernel or a device function it calls"
            )
        with self._cond:
            self._check()
            if self._finished:
                self._fail_divergent()
            gen = self._generation
            self._waiting += 1
            if self._waiting == self.size:
                self._waiting = 0
                self._generation += 1
                self._cond.notify_all()
                return
            while gen == self._generation and self._failure is None:
                self._cond.wait()
            if gen == self._generation:
                self._check()

    def shared(self, key, factory):
        """The group's one object for ``key`` (made by ``factory()`` on first use): local memory."""
        with self._cond:
            obj = self._local.get(key)
            if obj is None:
                obj = self._local[key] = factory()
            return obj

    # --- bookkeeping by the interpreter -------------------------------------------------------

    def _check(self):
        if self._failure is not None:
            raise _Aborted() from self._failure

    def _fail_divergent(self):
        err = KernelRuntimeError(
            f"work-group {self.group_id}: a barrier was not reached by all {self.size} work-items of the "
            f"group ({self._finished} had already returned); every work-item of a group must reach each "
            "barrier (keep barriers out of branches that depend on the work-item)"
        )
        self._failure = err
        self._cond.notify_all()
        raise err

    def _finish(self):
        with self._cond:
            self._finished += 1
            if self._waiting and self._failure is None:
                self._failure = KernelRuntimeError(
                    f"work-group {self.group_id}: {self._waiting} work-item(s) wait at a barrier that "
                    f"{self._finished} other work-item(s) of the group returned without reaching; every "
                    "work-item of a group must reach each barrier (keep barriers out of branches that "
                    "depend on the work-item)"
                )
                self._cond.notify_all()

    def _abort(self, exc):
        with self._cond:
            if self._failure is None:
                self._failure = exc
            self._cond.notify_all()


# --- work-items as kernel arguments -----------------------------------------------------------


def _item_methods(src) -> dict:
    out = {}
    for klass in reversed(src.__mro__):
        for k, v in vars(klass).items():
            if k.startswith("get_") or k == "ndim":
                out[k] = v
    return out


# An item-style kernel indexes with its work-item (`c[i]`) and computes with it in 1-D (`i + 1`):
# the interpreter's items are an int (1-D) or a tuple (N-D) that also have the Item / NdItem methods.
def _int_as_tuple() -> dict:
    # A 1-D item is an int (it indexes and computes like one) that also indexes like the 1-tuple
    # of its id, as on the compiled back ends: i[0]
    def getitem(self, d):
        return (int(self),)[d]

    return {"__getitem__": getitem}


_ITEM_CLASSES = {
    (base, nd): type(
        f"{'NdItem' if nd else 'Item'}",
        (base,),
        {**_item_methods(api.NdItem if nd else api.Item), **(_int_as_tuple() if base is int else {}),
         "__module__": __name__,
         "__doc__": "A work-item of an interpreted launch (see hetero.Item / hetero.NdItem)."},
    )
    for base in (int, tuple)
    for nd in (False, True)
}


def _make_item(state, nd: bool):
    if len(state.global_id) == 1:
        item = _ITEM_CLASSES[(int, nd)](state.global_id[0])
    else:
        item = _ITEM_CLASSES[(tuple, nd)](state.global_id)
    item._st = state
    return item


# --- running -----------------------------------------------------------------------------------


def _note(exc: BaseException, text: str) -> None:
    if hasattr(exc, "add_note"):
        exc.add_note(text)
    else:  # Python < 3.11: keep the type, extend the message
        exc.args = (f"{exc.args[0] if exc.args else ''}\n{text}",) + tuple(exc.args[1:])


def _where(name, state, rng) -> str:
    if isinstance(rng, api.NdRange):
        return (
            f"in kernel {name!r}, work-item {state.global_id} (local id {state.local_id}) of work-group "
            f"{state.group_id}, launched over {rng!r} by the interpreter back end"
        )
    return f"in kernel {name!r}, work-item {state.global_id}, launched over {rng!r} by the interpreter back end"


# --- math as the compiled back ends have it -----------------------------------------------------
# math.trunc refuses NumPy's float32 (it has no __trunc__), which the compiled back ends truncate
# like any float. The kernel (and the device functions it calls) run with a `math` whose trunc
# accepts NumPy scalars; nothing else about them changes.


def _trunc(x):
    return math.trunc(float(x)) if isinstance(x, np.floating) else math.trunc(x)


_MATH = types.ModuleType("math")
_MATH.__dict__.update(math.__dict__)
_MATH.trunc = _trunc
_patched: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _with_numba_math(py_func, _seen=None):
    try:
        return _patched[py_func]
    except (KeyError, TypeError):
        pass
    from ..compiler.analysis import referenced

    seen = set() if _seen is None else _seen
    seen.add(py_func)
    swap = {}
    for name, value in referenced(py_func):
        if "." in name:
            continue
        if value is math:
            swap[name] = _MATH
        elif value is math.trunc:
            swap[name] = _trunc
        elif isinstance(value, api.DeviceFunction) and value.py_func not in seen:
            inner = _with_numba_math(value.py_func, seen)
            if inner is not value.py_func:
                swap[name] = inner
    out = py_func
    if swap:
        g = dict(py_func.__globals__)
        g.update({k: v for k, v in swap.items() if k in g})
        cells = py_func.__closure__
        if cells:
            cells = tuple(types.CellType(swap[n]) if n in swap else c
                          for n, c in zip(py_func.__code__.co_freevars, cells))
        out = types.FunctionType(py_func.__code__, g, py_func.__name__, py_func.__defaults__, cells)
        out.__kwdefaults__ = py_func.__kwdefaults__
        out.__qualname__ = py_func.__qualname__
    _patched[py_func] = out
    return out


def _to_host_args(args, name="kernel"):
    """NumPy views of the arguments, and what to copy back: [(index, device array, host copy)]."""
    from .._arrays import asnumpy, is_device_array

    host_args = list(args)
    back = []
    for i, x in enumerate(args):
        if type(x) is int:
            check_python_int(i, x, name)
        if is_device_array(x):
            h = np.array(asnumpy(x), copy=True)
            host_args[i] = h
            back.append((i, x, h))
        elif not (
            isinstance(x, (np.ndarray, bool, int, float, complex, api.LocalAccessor))
            or (isinstance(x, np.generic) and x.dtype.kind in "biufc")
        ):  # a LocalAccessor is indexed through its work-group's local memory
            raise LaunchError(
                f"argument {i} is a {type(x).__module__}.{type(x).__qualname__}; kernels take NumPy or dpnp "
                "arrays, Python or NumPy numbers (bool, int, float, complex) and hetero.LocalAccessor"
            )
    return host_args, back


def _copy_back(back):
    if not back:
        return
    from .._arrays import asarray

    for _, dev, h in back:
        dev[...] = asarray(h, device=dev.sycl_queue)


def run_interpreted(py_func, rng, args, *, name: str | None = None, threads: bool | None = None) -> None:
    """Run a kernel as plain Python, work-item by work-item.

    Parameters
    ----------
    py_func : function
        The kernel's Python function (``Kernel.py_func``), OpenCL style or item
        style (one parameter more than ``args``: the work-item comes first).
    rng : Range, NdRange, int or tuple
        The launch range.
    args : sequence
        NumPy arrays (written in place), device arrays (copied in and back),
        Python / NumPy numbers.
    name : str, optional
        The kernel's name for messages.
    threads : bool, optional
        Run each work-group of an NdRange launch as threads (needed for
        barriers). Default: when the kernel uses work-group features, or
        ``HETERO_INTERPRET_THREADS=1``.

    Raises
    ------
    Whatever the kernel raises, with a note naming the kernel, the work-item
    and its work-group (Python >= 3.11 notes; the exception keeps its type).
    KernelRuntimeError
        A barrier not reached by every work-item of a group.
    """
    name = name or getattr(py_func, "__name__", "kernel")
    rng = api.parse_range(rng)
    args = tuple(args)
    item_style = kernel_style(py_func, len(args), name) == "item"
    host_args, back = _to_host_args(args, name)
    py_func = _with_numba_math(py_func)
    if isinstance(rng, api.NdRange):
        if threads is None:
            threads = flag("HETERO_INTERPRET_THREADS") or workgroup_feature(py_func) is not None
        _run_nd(py_func, rng, host_args, item_style, name, threads)
    else:
        _run_range(py_func, rng, host_args, item_style, name)
    _copy_back(back)


def _run_one(py_func, state, item_style, nd, args):
    if item_style:
        return py_func(_make_item(state, nd), *args)
    return py_func(*args)


def _check_return(value, name, state, rng):
    if value is not None:
        raise KernelCompileError(
            f"kernel {name!r} returned {value!r} {_where(name, state, rng)[3:]}; a kernel returns nothing: "
            "write results into an array argument"
        )


def _run_item(py_func, state, item_style, nd, args, name, rng):
    """Run one work-item on this thread, kernel_api's state set; an exception gets a note saying where."""
    set_current(state)
    try:
        value = _run_one(py_func, state, item_style, nd, args)
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        where = _where(name, state, rng)
        converted = _as_kernel_error(exc, where)
        if converted is not None:
            raise converted from exc
        _note(exc, where)
        raise
    _check_return(value, name, state, rng)


def _as_kernel_error(exc, where: str):
    """The class every back end raises for this failure, or None to keep the exception as it is:
    an index past an array's end is a KernelIndexError, a failed ``assert`` a KernelAssertionError."""
    if isinstance(exc, IndexError) and not isinstance(exc, KernelIndexError):
        return KernelIndexError(f"{where[3:]}: {exc}")
    if isinstance(exc, AssertionError) and not isinstance(exc, KernelAssertionError):
        return KernelAssertionError(f"{where[3:]}: {exc or 'assertion failed'}")
    return None


def _run_range(py_func, rng, args, item_style, name):
    dims = rng.dims
    if 0 in dims:
        return
    prev = set_current(None)
    try:
        with np.errstate(all="ignore"):
            for gid in itertools.product(*(range(d) for d in dims)):
                _run_item(py_func, WorkItemState(gid, dims), item_style, False, args, name, rng)
    finally:
        set_current(prev)


def _group_ids(grp, ldims):
    return [
        tuple(g * loc + i for g, loc, i in zip(grp, ldims, lid))
        for lid in itertools.product(*(range(loc) for loc in ldims))
    ]


def _run_nd(py_func, rng, args, item_style, name, threaded):
    gdims, ldims = rng.global_range.dims, rng.local_range.dims
    if 0 in gdims:
        return
    ngroups = tuple(g // loc for g, loc in zip(gdims, ldims))
    size = 1
    for loc in ldims:
        size *= loc
    groups = itertools.product(*(range(n) for n in ngroups))
    if threaded and size > 1:
        _run_groups_threaded(py_func, rng, args, item_style, name, groups, size)
        return
    prev = set_current(None)
    try:
        with np.errstate(all="ignore"):
            for grp in groups:
                group = WorkGroup(grp, size, False)
                for gid in _group_ids(grp, ldims):
                    state = WorkItemState(gid, gdims, ldims, group)
                    _run_item(py_func, state, item_style, True, args, name, rng)
    finally:
        set_current(prev)


class _Crew:
    """One thread per work-item of a group, reused for every group of a launch.

    The launching thread sets up a group, opens ``start`` (every worker runs its
    work-item of that group), and waits at ``end`` until all have finished; then
    the next group. Workers leave when ``stop`` is set.
    """

    def __init__(self, size, body):
        self.size = size
        self.body = body  # body(slot) runs the slot's work-item of the current group
        self.start = threading.Barrier(size + 1)
        self.end = threading.Barrier(size + 1)
        self.stop = False
        self.idle = True  # every worker waits at `start`
        self.threads = []

    def _worker(self, slot):
        try:
            while True:
                self.start.wait()
                if self.stop:
                    return
                try:
                    self.body(slot)
                finally:
                    self.end.wait()
        except threading.BrokenBarrierError:
            return  # the launch was interrupted

    def run_group(self):
        self.idle = False
        self.start.wait()
        self.end.wait()
        self.idle = True

    def __enter__(self):
        for slot in range(self.size):
            t = threading.Thread(target=self._worker, args=(slot,), name=f"hetero-interpret-{slot}", daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def __exit__(self, *exc):
        self.stop = True
        if self.idle:
            self.start.wait()
            for t in self.threads:
                t.join()
        else:  # interrupted inside a group (Ctrl-C): release whoever waits; the threads are daemons
            self.start.abort()
            self.end.abort()


def _run_groups_threaded(py_func, rng, args, item_style, name, groups, size):
    gdims, ldims = rng.global_range.dims, rng.local_range.dims
    failures: list = []  # (order, exception, state)
    lock = threading.Lock()
    counter = itertools.count()
    current: dict = {}

    def body(slot):
        group, gids = current["group"], current["gids"]
        state = WorkItemState(gids[slot], gdims, ldims, group)
        set_current(state)
        try:
            with np.errstate(all="ignore"):
                value = _run_one(py_func, state, item_style, True, args)
            _check_return(value, name, state, rng)
        except _Aborted:
            pass  # another work-item failed first; its error is the one reported
        except BaseException as exc:  # noqa: BLE001 - reported on the launching thread
            with lock:
                failures.append((next(counter), exc, state))
            group._abort(exc)
        finally:
            group._finish()
            set_current(None)

    with _Crew(size, body) as crew:
        for grp in groups:
            group = WorkGroup(grp, size, True)
            current["group"], current["gids"] = group, _group_ids(grp, ldims)
            crew.run_group()
            if failures:
                failures.sort(key=lambda f: f[0])
                _, exc, state = failures[0]
                converted = _as_kernel_error(exc, _where(name, state, rng))
                if converted is not None:
                    raise converted from exc
                if not isinstance(exc, KernelRuntimeError):
                    _note(exc, _where(name, state, rng))
                raise exc
            if group._failure is not None:
                raise group._failure


class InterpretBackend(Backend):
    """The kernel's Python run work-item by work-item (for pdb, print and checking semantics)."""

    name = "interpret"

    def accepts(self, args) -> str | None:
        return None

    def prepare(self, kernel, rng, args, choice):
        return None  # nothing is compiled

    def launch(self, kernel, rng, args, depends_on, choice):
        flag("HETERO_BOUNDSCHECK")  # the interpreter always checks bounds; a bad value is still an error
        host_args, _ = _to_host_args(args, kernel.__name__)  # bad arguments are refused before anything is compiled
        language.check(kernel, rng, host_args, debug_calls=True)
        run_interpreted(kernel.py_func, rng, args, name=kernel.__name__)
        return Event()
