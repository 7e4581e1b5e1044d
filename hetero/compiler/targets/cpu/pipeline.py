"""numba's nopython pipeline with the host rewrite in it: one numba dispatcher per kernel / device function.

A host function is compiled by ``numba.njit(pipeline_class=HostCompiler)`` over
an *entry*: a generated function with the user's parameters and the work-item
context before them, so that numba's dispatcher folds and types the call the
task runner makes (``kern(ctx, *args)``). The entry's body is never compiled
or run: ``HostCompiler.compile_extra`` hands numba the user's function instead,
numba's ``TranslateByteCode`` builds its IR from the bytecode, and the pass
``HostRewrite`` right after it runs ``rewrite.rewrite`` on that IR, before
``FixupArgs`` checks it against the argument types (one more than the user's
function takes). Everything after is numba's nopython pipeline unchanged, under
the user's function identity (its globals, name and line numbers).

Each host function is also rewritten once eagerly when its dispatcher is made,
so that a kernel the host back end refuses (work-group features, a bad query
call, a recursive device function) fails when it is prepared, not at its first
launch, and so that its device functions get their dispatchers outside numba's
compiler lock.
"""

from __future__ import annotations

import io
import weakref

from ...._env import kernel_asserts
from ...._locks import INIT_LOCK as _lock
from ....errors import KernelCompileError
from . import rewrite as rw

__all__ = ["host_dispatcher", "device_function"]

# device function → {(nd, options, asserts): numba dispatcher}
_device_cache: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_classes: dict = {}


class HostFunction:
    """A kernel or device function as the host pipeline compiles it."""

    __slots__ = ("py_func", "what", "item_style", "ndim", "nd", "jit_options", "stack", "callees", "asserts")

    def __init__(self, py_func, what, item_style, ndim, nd, jit_options, stack):
        self.py_func = py_func
        self.what = what
        self.item_style = item_style
        self.ndim = ndim
        self.nd = nd
        self.jit_options = jit_options
        self.stack = stack  # the functions whose rewrite led here (to refuse recursion)
        self.callees: dict = {}  # device function's py_func → its host dispatcher
        self.asserts = kernel_asserts()  # False: HETERO_DISABLE_ASSERTS=1 compiles them out

    def callee(self, df):
        disp = self.callees.get(df.py_func)
        if disp is None:
            disp = device_function(df, nd=self.nd, jit_options=self.jit_options, _stack=self.stack + (self.py_func,))
            self.callees[df.py_func] = disp
        return disp

    def rewrite(self, func_ir) -> None:
        rw.rewrite(func_ir, what=self.what, item_style=self.item_style, ndim=self.ndim, nd=self.nd,
                   callee=self.callee)


def _classes_once() -> tuple:
    """(HostCompiler, HostRewrite), made on first use: importing this module loads no numba."""
    if _classes:
        return _classes["compiler"], _classes["pass"]
    from numba.core.compiler import CompilerBase, DefaultPassBuilder
    from numba.core.compiler_machinery import FunctionPass, register_pass
    from numba.core.untyped_passes import TranslateByteCode

    from ...passes import DpnpAsNumpy, StripAsserts

    @register_pass(mutates_CFG=True, analysis_only=False)
    class HostRewrite(FunctionPass):
        """The host rewrite (``rewrite.py``) of the IR numba just built from the bytecode."""

        _name = "hetero_host_rewrite"

        def __init__(self):
            FunctionPass.__init__(self)

        def run_pass(self, state):
            state.hetero_host.rewrite(state.func_ir)
            return True

    class HostCompiler(CompilerBase):
        """numba's nopython pipeline over the user's function, with ``HostRewrite`` after its bytecode
        translation (``func`` is the entry; its ``__hetero_host__`` says what to compile)."""

        def compile_extra(self, func):
            spec = func.__hetero_host__
            self.state.hetero_host = spec
            return super().compile_extra(spec.py_func)

        def define_pipelines(self):
            pm = DefaultPassBuilder.define_nopython_pipeline(self.state)
            if any(p is TranslateByteCode for p, _ in pm.passes):
                pm.add_pass_after(DpnpAsNumpy, TranslateByteCode)
                pm.add_pass_after(HostRewrite, DpnpAsNumpy)
                if not self.state.hetero_host.asserts:
                    pm.add_pass_after(StripAsserts, HostRewrite)
                pm.finalize()
            return [pm]

    with _lock:
        _classes.setdefault("compiler", HostCompiler)
        _classes.setdefault("pass", HostRewrite)
    return _classes["compiler"], _classes["pass"]


def _entry(spec: HostFunction):
    """A function with the context and the user's parameters, for numba's dispatcher to fold calls by."""
    py_func = spec.py_func
    code = py_func.__code__
    params = (rw.CTX,) + code.co_varnames[: code.co_argcount]
    src = (f"def entry({', '.join(params)}):\n"
           "    raise RuntimeError('the host entry of a hetero kernel is compiled by numba, never run')\n")
    ns: dict = {}
    exec(compile(src, f"<hetero host entry of {py_func.__qualname__}>", "exec"), ns)
    entry = ns["entry"]
    entry.__defaults__ = py_func.__defaults__
    entry.__name__, entry.__qualname__ = py_func.__name__, py_func.__qualname__
    entry.__module__ = py_func.__module__
    entry.__hetero_host__ = spec
    return entry


def host_dispatcher(py_func, *, what: str, item_style: bool, ndim: int, nd: bool, jit_options: dict,
                    _stack=()) -> tuple:
    """(numba dispatcher, rewritten IR as text) of a kernel or device function for the host.

    Raises the rewrite's errors (:class:`~hetero.errors.KernelCompileError`,
    :class:`~hetero.errors.WorkgroupFeatureError`, ...) now; numba's typing errors
    come at the first call, for the argument types of that call.
    """
    from numba import njit
    from numba.core import errors as nb_errors

    rw.check_parameters(py_func, what)
    spec = HostFunction(py_func, what, item_style, ndim, nd, dict(jit_options), _stack)
    text = ""
    try:
        func_ir = rw.interpret(py_func)
    except nb_errors.NumbaError:
        pass  # numba's own front end refuses it: the first call says so, where launches report errors
    else:
        spec.rewrite(func_ir)
        buf = io.StringIO()
        func_ir.dump(file=buf)
        text = buf.getvalue()
    compiler, _ = _classes_once()
    return njit(pipeline_class=compiler, **jit_options)(_entry(spec)), text


def device_function(df, *, nd: bool, jit_options: dict, _stack=()):
    """The host dispatcher of a ``@hetero.device_function`` (rewritten now, compiled lazily by numba)."""
    py_func = df.py_func
    if py_func in _stack:
        chain = " → ".join(f.__name__ for f in _stack + (py_func,))
        raise KernelCompileError(
            f"device function {py_func.__name__!r} ({rw._where(py_func)}) calls itself ({chain}); "
            "kernels do not support recursion"
        )
    key = (nd, tuple(sorted(jit_options.items())), kernel_asserts())
    with _lock:
        per = _device_cache.setdefault(py_func, {})
        disp = per.get(key)
        if disp is None:
            disp, _ = host_dispatcher(py_func, what="device function", item_style=False, ndim=0, nd=nd,
                                      jit_options=jit_options, _stack=_stack)
            per[key] = disp
        return disp
