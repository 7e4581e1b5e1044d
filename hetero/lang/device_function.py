"""``@hetero.device_function``: a function kernels may call."""

from __future__ import annotations

import functools
import inspect

__all__ = ["DeviceFunction", "device_function"]


class DeviceFunction:
    """A function kernels may call; compiled into each kernel that calls it.

    Called from host code it is the plain Python function. Each compiler target
    says how it is compiled in (the SPIR-V target inlines it: ``targetoptions``).
    """

    #: numba's options for the callee, set by the compiler when it loads (numba's
    #: InlineInlinables pass reads them from the called object).
    targetoptions: dict = {}

    def __init__(self, py_func, **options):
        if not inspect.isfunction(py_func):
            raise TypeError(f"@hetero.device_function decorates a Python function, got {py_func!r}")
        if options:
            raise TypeError(
                f"@hetero.device_function got unknown option(s) {', '.join(sorted(options))}; accepted: none"
            )
        self.py_func = py_func
        functools.update_wrapper(self, py_func)

    def __call__(self, *args, **kwargs):
        return self.py_func(*args, **kwargs)

    def __repr__(self):
        return f"<hetero.device_function {self.py_func.__qualname__}>"


def device_function(func=None, /, **options):
    """Make a Python function callable from kernels (and from other device functions).

    The function is compiled into each kernel that calls it (so it may use
    :func:`get_global_id` and friends); recursion is not supported. Called from
    host code it runs as plain Python.
    """
    if func is None:
        return lambda f: DeviceFunction(f, **options)
    return DeviceFunction(func, **options)


device_function.__module__ = DeviceFunction.__module__ = "hetero"
