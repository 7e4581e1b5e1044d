"""The host back end: a kernel compiled by numba for the CPU, its index space spread over threads.

The data path, one step per module:

* ``rewrite.py`` — the kernel's Python source → the same source with a hidden
  work-item context: every in-kernel query (``get_global_id(d)``,
  ``item.get_local_id(d)``, ...) becomes a read of that context, every
  ``@hetero.device_function`` callee is rewritten the same way, and the work-item
  parameter of an item-style kernel becomes what it stands for (an integer in
  1-D, a tuple of ids in N-D).
* ``launch.py`` — a generated ``njit(nogil=True)`` task runner per (kernel,
  style, range kind, dimensions) that runs chunks of the index space and calls
  the rewritten kernel for each work-item; the host threads take chunks from a
  shared atomic counter; ``run_host`` is the entry point.
* ``atomics.py`` — in-kernel atomics as LLVM ``atomicrmw`` / ``cmpxchg`` on
  the element's address (work-items run on several threads at once).
* ``choose.py`` — which back end (``sycl``, ``host``, ``interpret``) runs a
  launch, and why; ``dispatch_launch`` and ``InterpretView`` are what the
  ``Kernel`` launch path calls.

NumPy arrays are passed to the compiled code as they are (no copies); numba
specialises on their dtype, dimensions and layout (C, F or strided).
"""

from __future__ import annotations

from .choose import BackendChoice, InterpretView, choose_backend, dispatch_launch
from .launch import HostKernelInfo, host_info, run_host, uses_workgroup_features

__all__ = [
    "run_host",
    "host_info",
    "uses_workgroup_features",
    "HostKernelInfo",
    "choose_backend",
    "dispatch_launch",
    "InterpretView",
    "BackendChoice",
]
