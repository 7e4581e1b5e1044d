"""hetero — heterogeneous computing for Python.

Put data on a device (a SYCL GPU, a SYCL CPU device, or the host) and what
touches that data runs there. See the README for a tour.
"""

# Must run before anything can load the SYCL runtime (see _bootstrap's docstring).
from . import _bootstrap  # noqa: F401  isort: skip

from ._arrays import (
    arange,
    asarray,
    asnumpy,
    device_of,
    empty,
    empty_like,
    execution_device,
    full,
    full_like,
    namespace,
    ones,
    ones_like,
    to_device,
    zeros,
    zeros_like,
)
from ._device import Device, default_device, device, devices, host, select_device
from ._threads import get_num_threads, jit, set_num_threads
from .errors import (
    ConfigurationError,
    DeviceNotFoundError,
    FallbackWarning,
    HeteroError,
    HeteroWarning,
    KernelCompileError,
    KernelTypingError,
    LaunchError,
    PlacementError,
    SyclUnavailableError,
    UnsupportedDtypeError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # devices
    "Device",
    "host",
    "devices",
    "select_device",
    "default_device",
    "device",
    # arrays
    "asarray",
    "to_device",
    "asnumpy",
    "device_of",
    "namespace",
    "execution_device",
    "empty",
    "zeros",
    "ones",
    "full",
    "arange",
    "empty_like",
    "zeros_like",
    "ones_like",
    "full_like",
    # host loops
    "jit",
    "prange",
    "set_num_threads",
    "get_num_threads",
    # errors
    "HeteroError",
    "ConfigurationError",
    "DeviceNotFoundError",
    "PlacementError",
    "KernelCompileError",
    "KernelTypingError",
    "LaunchError",
    "UnsupportedDtypeError",
    "SyclUnavailableError",
    "HeteroWarning",
    "FallbackWarning",
]


def __getattr__(name):
    # numba's prange must be the very object numba recognises, so it is numba's
    # own; fetched lazily to keep `import hetero` free of the numba import.
    if name == "prange":
        import numba

        return numba.prange
    raise AttributeError(f"module 'hetero' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {"prange"})
