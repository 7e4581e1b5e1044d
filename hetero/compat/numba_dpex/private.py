"""``numba_dpex.private.array(shape, dtype)`` (the OpenCL-style API before kernel_api): hetero's ``private_array``."""

from ...kernel_api import private_array as array

__all__ = ["array"]
