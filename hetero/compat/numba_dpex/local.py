"""``numba_dpex.local.array(shape, dtype)`` (the OpenCL-style API before kernel_api): hetero's ``local_array``."""

from ...kernel_api import local_array as array

__all__ = ["array"]
