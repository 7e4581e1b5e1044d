"""numba-dpex 0.23's kernel API on hetero's kernel compiler.

numba-dpex (archived in 2026) cannot be installed beside current numba, dpctl
and dpnp. Its kernels run here unchanged but for the import::

    import hetero.compat.numba_dpex as dpex
    from hetero.compat.numba_dpex import kernel_api as kapi

    @dpex.kernel
    def vecadd(item: kapi.Item, a, b, c):
        i = item.get_id(0)
        c[i] = a[i] + b[i]

    dpex.call_kernel(vecadd, dpex.Range(n), a, b, c)

Arguments are dpnp arrays, ``dpnp.tensor.usm_ndarray`` (the successor of
``dpctl.tensor.usm_ndarray``), :class:`kernel_api.LocalAccessor` and scalars.

The OpenCL-style names of numba-dpex's earlier kernel API work too:
``get_global_id`` and the other id queries, ``barrier(LOCAL_MEM_FENCE)``,
``local.array``, ``private.array``, ``atomic.add`` / ``atomic.sub``, and
``kernel[global, local](...)`` / ``kernel[n, DEFAULT_LOCAL_SIZE](...)`` launches, which mean what they
meant there: a pair is (global size, local size), and the launch waits for the kernel (``_kernel.py``).

``dpjit`` is :func:`hetero.jit` (each ``prange`` loop over device arrays a kernel on
their queue, scalar accumulators reductions, dpnp calls between loops on the device)
with numba-dpex's options and placement: a call without array arguments runs on
the device of a ``dpctl.SyclQueue`` argument, else on dpctl's default device, and
nested functions may read enclosing variables (see :mod:`._dpjit`). ``prange`` is
numba's.

Differences from numba-dpex: between ``prange`` loops a ``dpjit`` function runs as
Python calling dpnp, so dpnp's own errors and value checks apply (a ``TypeError``
where numba-dpex raises a numba ``TypingError``; ``dpnp.full(n, 2**32 - 1,
dtype=int32)`` is an ``OverflowError``, not a C cast); kernel options other than ``fastmath`` are
accepted and ignored; memory scopes of atomics are not used (every atomic is
device-wide, which is always correct) and every barrier fences both local and
global memory.
"""

from __future__ import annotations

from numba.core import types as _nbtypes
from numba.core.types import (
    b1, bool_, boolean, double, f4, f8, float32, float64, i4, i8, int32, int64, none, u4, u8, uint32, uint64,
)

from ... import kernel_api as _api
from ...errors import KernelTypingError as _KernelTypingError
from ...lang import parse_range
from ...kernel_api import (
    MemoryScope as _MemoryScope,
    barrier,
    get_global_id,
    get_global_size,
    get_group_id,
    get_local_id,
    get_local_size,
    get_num_groups,
    get_work_dim,
)
from . import atomic, config, core, kernel_api, local, private
from .core import exceptions as _exc
from .kernel_api import NdRange, Range
from ._dpjit import dpjit, prange
from ._kernel import DpexKernel

__all__ = [
    "dpjit",
    "prange",
    "config",
    "kernel",
    "device_func",
    "call_kernel",
    "call_kernel_async",
    "Range",
    "NdRange",
    "DEFAULT_LOCAL_SIZE",
    "kernel_api",
    # the OpenCL-style API of earlier numba-dpex releases
    "get_global_id",
    "get_global_size",
    "get_local_id",
    "get_local_size",
    "get_group_id",
    "get_num_groups",
    "get_work_dim",
    "barrier",
    "LOCAL_MEM_FENCE",
    "GLOBAL_MEM_FENCE",
    "local",
    "private",
    "atomic",
    "core",
    # numba-dpex's type names (numba's types; USMNdArray / DpnpNdArray are numba array types)
    "USMNdArray", "usm_ndarray", "DpnpNdArray", "none", "boolean", "bool_", "uint32", "uint64", "int32", "int64",
    "float32", "float64", "b1", "i4", "i8", "u4", "u8", "f4", "f8", "float_", "double", "void",
]


class USMNdArray(_nbtypes.Array):
    """numba-dpex's type of a ``usm_ndarray`` argument, for signatures: a numba array type.

    Signatures given to :func:`kernel` / :func:`device_func` are accepted and not enforced: hetero
    compiles each kernel for the argument types it is called with.
    """

    def __init__(self, ndim, layout="C", dtype=None, readonly=False, name=None, **_ignored):
        if dtype is None:
            dtype = _nbtypes.float64
        elif not isinstance(dtype, _nbtypes.Type):
            import numpy as _np
            from numba.np.numpy_support import from_dtype

            dtype = from_dtype(_np.dtype(dtype))
        super().__init__(dtype, ndim, layout, readonly=readonly,
                         name=name or f"{type(self).__name__}({dtype}, {ndim}d, {layout})")


class DpnpNdArray(USMNdArray):
    """numba-dpex's type of a ``dpnp.ndarray`` argument, for signatures (see :class:`USMNdArray`)."""


usm_ndarray = USMNdArray
float_ = float32  # numba-dpex's short names
void = none

# barrier(flags): hetero's barriers always fence local and global memory of the work-group
LOCAL_MEM_FENCE = _MemoryScope.WORK_GROUP
GLOBAL_MEM_FENCE = _MemoryScope.WORK_GROUP

# numba-dpex's "let the runtime choose" local size (an empty list).
DEFAULT_LOCAL_SIZE: list = []

#: the kernel options hetero uses; numba-dpex's others (debug, inline_threshold, release_gil,
#: no_compile, no_cpython_wrapper, no_cfunc_wrapper, enable_cache ...) are accepted and ignored.
_USED_OPTIONS = {"fastmath"}


def _options(options: dict) -> dict:
    return {k: v for k, v in options.items() if k in _USED_OPTIONS}


def _is_signature(x) -> bool:
    """A numba-dpex signature (or list / tuple of them) given in place of the function."""
    if isinstance(x, (_nbtypes.Type, str)) or type(x).__name__ == "Signature":
        return True
    return isinstance(x, (list, tuple)) and all(_is_signature(s) or isinstance(s, _nbtypes.Type) for s in x)


def kernel(func=None, /, **options):
    """numba-dpex's ``@kernel``: the first parameter is the ``Item`` / ``NdItem``.

    ``@kernel(signature)`` / ``@kernel([signatures])`` are accepted; the signatures are not enforced
    (hetero compiles for the types of each call's arguments).
    """
    opts = _options(options)
    if func is None or _is_signature(func):
        return lambda f: DpexKernel(f, **opts)
    return DpexKernel(func, **opts)


def device_func(func=None, /, **options):
    """numba-dpex's ``@device_func``: a function kernels may call (signatures accepted, not enforced)."""
    if func is None or _is_signature(func):
        return lambda f: _api.device_function(f)
    return _api.device_function(func)


def _as_kernel(k):
    if hasattr(k, "submit"):
        return k
    # a plain function: numba-dpex's call_kernel compiles undecorated functions too
    return _api.kernel(k)


def _check_arguments(kernel, kernel_args) -> None:
    """numba-dpex's argument rules: no NumPy arrays, and the arrays all on one queue (compute follows data)."""
    import numpy as np

    name = getattr(getattr(kernel, "py_func", kernel), "__name__", "kernel")
    queues = []
    for i, x in enumerate(kernel_args):
        if isinstance(x, np.ndarray):
            raise _exc.UnsupportedKernelArgumentError(type(x).__name__, "a numpy.ndarray", name)
        q = getattr(x, "sycl_queue", None)
        if q is not None and hasattr(x, "__sycl_usm_array_interface__"):
            queues.append((i, q))
    if not queues:
        raise _exc.ExecutionQueueInferenceError(name, usmarray_argnum_list=None)
    first = queues[0][1]
    if any(q != first for _, q in queues[1:]):
        raise _exc.ExecutionQueueInferenceError(name, usmarray_argnum_list=[i for i, _ in queues])


def _submit(kernel, index_space, kernel_args, **kw):
    k = _as_kernel(kernel)
    _check_arguments(k, kernel_args)
    try:
        return k.submit(parse_range(index_space), *kernel_args, **kw)
    except _KernelTypingError as e:
        if isinstance(e, _exc.TypingError):
            raise
        raise _exc.TypingError.from_hetero(e) from e


def call_kernel(kernel, index_space, *kernel_args):
    """Run ``kernel`` over ``index_space`` (a :class:`Range` or :class:`NdRange`) and wait for it.

    As numba-dpex: NumPy array arguments raise ``UnsupportedKernelArgumentError`` (a ``TypeError``);
    arrays on different queues, or no array argument, raise ``ExecutionQueueInferenceError``; a kernel
    that cannot be typed raises :class:`.core.exceptions.TypingError` (numba's ``TypingError`` and
    ``hetero.KernelTypingError``).
    """
    _submit(kernel, index_space, kernel_args).wait()


def call_kernel_async(kernel, index_space, dependent_events, *kernel_args):
    """Submit ``kernel`` after ``dependent_events`` (dpctl events); returns (host event, kernel event).

    The host event completes when the arguments may be released (as in numba-dpex); the kernel
    event when the kernel has run. Both are ``dpctl.SyclEvent`` objects.
    """
    import dpctl

    ev = _submit(kernel, index_space, kernel_args, depends_on=tuple(dependent_events or ()))
    sev = ev.sycl_event if ev.sycl_event is not None else dpctl.SyclEvent()
    return sev, sev
