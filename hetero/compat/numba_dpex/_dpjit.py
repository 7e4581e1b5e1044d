"""numba-dpex's ``dpjit``: ``hetero.jit`` (each ``prange`` loop a kernel on the data's device).

What ``dpjit`` adds to ``hetero.jit``, to behave as numba-dpex 0.23's ``dpjit``:

* its options: ``nopython`` is always on and ``parallel`` always ``True``; ``forceobj`` and
  ``pipeline_class`` are dropped with a ``RuntimeWarning``, as numba-dpex does; every other
  option is ``hetero.jit``'s (numba's);
* a call with no array argument runs on a SYCL device, not on the host: numba-dpex's dpjit
  compiles for its device target, where ``dpnp.empty(n)`` allocates on the default device.
  The device is that of a ``dpctl.SyclQueue`` argument, else dpctl's default device (dpnp's
  default queue); inside ``with hetero.device(X):`` it is X (``"host"``: numba on the host).
  Device arrays choose the queue as in ``hetero.jit``; NumPy arrays run on the host (numba),
  where dpnp functions do not exist, as in numba-dpex;
* a function nested in another one may read the enclosing function's variables (numba-dpex's
  tests do this throughout): on a device they are frozen at the first device call, as numba
  freezes closure variables and globals when it compiles.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import threading
import warnings

from ...offload import JitFunction

__all__ = ["dpjit", "DpjitFunction"]


def _dpctl():
    try:
        import dpctl
    except ImportError:  # no SYCL stack: every call runs on the host
        return None
    return dpctl


def _default_queue():
    """dpctl's default device's cached queue (the queue dpnp allocates on by default), or None."""
    dpctl = _dpctl()
    if dpctl is None:
        return None
    try:
        return dpctl.get_device_cached_queue(dpctl.select_default_device())
    except (ValueError, dpctl.SyclDeviceCreationError, dpctl.SyclQueueCreationError):
        return None


def _queue_argument(args, kwargs):
    dpctl = _dpctl()
    if dpctl is None:
        return None
    for x in (*args, *kwargs.values()):
        if isinstance(x, dpctl.SyclQueue):
            return x
    return None


def _frozen_closure(py_func):
    """``py_func`` with its closure variables turned into globals (their current values), or None."""
    code = py_func.__code__
    cells = {}
    for name, cell in zip(code.co_freevars, py_func.__closure__ or ()):
        try:
            cells[name] = cell.cell_contents
        except ValueError:
            return None  # not assigned yet: split() names the variables
    try:
        lines, start = inspect.getsourcelines(py_func)
    except (OSError, TypeError):
        return None  # split() explains
    tree = ast.parse(textwrap.dedent("".join(lines)))
    ast.increment_lineno(tree, start - 1)
    fdef = tree.body[0] if tree.body else None
    if not isinstance(fdef, ast.FunctionDef) or fdef.name != py_func.__name__:
        return None
    fdef.decorator_list = []  # so the new function's first line is its `def` (split reads it from there)
    module = ast.Module(body=[fdef], type_ignores=[])
    g = {**py_func.__globals__, **cells}
    ns: dict = {}
    exec(compile(module, code.co_filename, "exec"), g, ns)
    flat = ns[fdef.name]
    if flat.__code__.co_freevars:
        return None
    flat.__defaults__ = py_func.__defaults__
    flat.__kwdefaults__ = py_func.__kwdefaults__
    flat.__qualname__ = py_func.__qualname__
    flat.__module__ = py_func.__module__
    flat.__doc__ = py_func.__doc__
    return flat


class DpjitFunction(JitFunction):
    """What ``dpjit`` returns: a ``hetero.jit`` function with numba-dpex's placement of scalar-only calls."""

    def __init__(self, py_func, options):
        super().__init__(py_func, options)
        self._on_device = None  # a JitFunction of the closure-free copy, for nested functions
        self._device_lock = threading.Lock()

    def _device_jit(self) -> JitFunction | None:
        if not self.py_func.__code__.co_freevars:
            return None
        if self._on_device is None:
            with self._device_lock:
                if self._on_device is None:
                    flat = _frozen_closure(self.py_func)
                    self._on_device = JitFunction(flat, self.options) if flat is not None else False
        return self._on_device or None

    def __call__(self, *args, **kwargs):
        queue, has_numpy = self._placement(args, kwargs)
        if queue is None and not has_numpy:
            from ..._device import _scope

            scoped = _scope.get()  # inside `with hetero.device(X):` the call runs on X (the host included)
            if scoped is not None:
                queue = None if scoped.is_host else scoped.sycl_queue
            else:
                queue = _queue_argument(args, kwargs) or _default_queue()
            if queue is not None:
                return self.run_on(queue, args, kwargs)
        return super().__call__(*args, **kwargs)

    def run_on(self, queue, args, kwargs):
        dev = self._device_jit()
        if dev is not None:
            return dev.run_on(queue, args, kwargs)
        return super().run_on(queue, args, kwargs)

    def device_split(self):
        dev = self._device_jit()
        return dev.device_split() if dev is not None else super().device_split()

    @property
    def device_function(self):
        dev = self._device_jit()
        return dev.device_function if dev is not None else super().device_function

    def __repr__(self):
        return f"<hetero.compat.numba_dpex.dpjit {self.__qualname__}>"


def dpjit(*args, **options):
    """numba-dpex's ``@dpjit`` / ``@dpjit(**options)``: :func:`hetero.jit` (see this module's docstring)."""
    from ... import jit

    if "nopython" in options and options["nopython"] is not True:
        warnings.warn("nopython is set for dpjit and is ignored", RuntimeWarning, stacklevel=2)
    options.pop("nopython", None)
    for name in ("forceobj", "pipeline_class"):
        if name in options:
            warnings.warn(f"{name} is set for dpjit and is ignored", RuntimeWarning, stacklevel=2)
            del options[name]
    options["parallel"] = True
    if len(args) > 1 or (args and not callable(args[0])):
        raise TypeError("dpjit: signatures (eager compilation) are not supported; write @dpjit or @dpjit(**options)")

    def wrap(f):
        base = jit(f, **options)  # hetero.jit's defaults merged with these options
        return DpjitFunction(f, base.options)

    return wrap(args[0]) if args else wrap


def __getattr__(name):
    if name == "prange":
        import numba

        return numba.prange
    raise AttributeError(name)
