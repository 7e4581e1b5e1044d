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
``kernel[global, local](...)`` / ``kernel[n, DEFAULT_LOCAL_SIZE](...)`` launches.

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

from ... import kernel_api as _api
from ...lang import parse_range
from ...kernel_api import (
    MemoryScope as _MemoryScope,
    NdRange,
    Range,
    barrier,
    get_global_id,
    get_global_size,
    get_group_id,
    get_local_id,
    get_local_size,
    get_num_groups,
    get_work_dim,
)
from . import atomic, config, kernel_api, local, private
from ._dpjit import dpjit, prange

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
]

# barrier(flags): hetero's barriers always fence local and global memory of the work-group
LOCAL_MEM_FENCE = _MemoryScope.WORK_GROUP
GLOBAL_MEM_FENCE = _MemoryScope.WORK_GROUP

# numba-dpex's "let the runtime choose" local size (an empty list).
DEFAULT_LOCAL_SIZE: list = []

_IGNORED_OPTIONS = {"debug", "inline_threshold", "enable_cache", "release_gil", "no_cpython_wrapper", "cache"}


def _options(options: dict) -> dict:
    return {k: v for k, v in options.items() if k not in _IGNORED_OPTIONS}


def kernel(func=None, /, **options):
    """numba-dpex's ``@kernel``: the first parameter is the ``Item`` / ``NdItem``."""
    opts = _options(options)
    if func is None:
        return lambda f: _api.kernel(f, **opts)
    return _api.kernel(func, **opts)


def device_func(func=None, /, **options):
    """numba-dpex's ``@device_func``: a function kernels may call."""
    if func is None:
        return lambda f: _api.device_function(f)
    return _api.device_function(func)


def _as_kernel(k):
    if hasattr(k, "submit"):
        return k
    # a plain function: numba-dpex's call_kernel compiles undecorated functions too
    return _api.kernel(k)


def call_kernel(kernel, index_space, *kernel_args):
    """Run ``kernel`` over ``index_space`` (a :class:`Range` or :class:`NdRange`) and wait for it."""
    _as_kernel(kernel).submit(parse_range(index_space), *kernel_args).wait()


def call_kernel_async(kernel, index_space, dependent_events, *kernel_args):
    """Submit ``kernel`` after ``dependent_events`` (dpctl events); returns (host event, kernel event).

    The host event completes when the arguments may be released (as in numba-dpex); the kernel
    event when the kernel has run. Both are ``dpctl.SyclEvent`` objects.
    """
    import dpctl

    ev = _as_kernel(kernel).submit(parse_range(index_space), *kernel_args, depends_on=tuple(dependent_events or ()))
    sev = ev.sycl_event if ev.sycl_event is not None else dpctl.SyclEvent()
    return sev, sev
