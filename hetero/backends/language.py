"""One kernel language on every back end.

The host and interpreter back ends run a kernel only after the SPIR-V target has accepted it for
the same argument types (``hetero.compiler.targets.spirv.binary.check_language``): what SYCL
refuses, they refuse, with the same exception and message. The interpreter also allows
``print`` and ``breakpoint()``, its debugging feature. Each (kernel, signature, launch shape) is
checked once; the SPIR-V it compiles is kept for later launches on a device.
"""

from __future__ import annotations

from ..compiler.targets.spirv import binary
from ..lang.items import kernel_style

__all__ = ["check"]


def check(kernel, rng, args, *, debug_calls: bool = False) -> None:
    """Refuse the launch as the SYCL back end would (see the module docstring)."""
    style = kernel_style(kernel.py_func, len(args), kernel.__name__)
    key = binary.spec_key(binary.signature_of(args), style, rng)
    done = kernel._checked
    mark = (key, rng._small, debug_calls)
    if mark in done:
        return
    with kernel._lock:
        binary.check_language(kernel.py_func, kernel.__name__, kernel._binaries, key, fastmath=kernel.fastmath,
                              small_ids=rng._small, debug_calls=debug_calls)
    done.add(mark)
