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
from ._jit import get_num_threads, set_num_threads
from .offload import jit
from .kernel_api import (
    AddressSpace,
    AtomicRef,
    Group,
    Item,
    LocalAccessor,
    MemoryOrder,
    MemoryScope,
    NdItem,
    NdRange,
    Range,
    atomic_add,
    atomic_and,
    atomic_compare_exchange,
    atomic_exchange,
    atomic_fence,
    atomic_max,
    atomic_min,
    atomic_or,
    atomic_sub,
    atomic_xor,
    barrier,
    device_function,
    get_global_id,
    get_global_size,
    get_group_id,
    get_local_id,
    get_local_size,
    get_num_groups,
    get_work_dim,
    group_barrier,
    kernel,
    local_array,
    private_array,
)
from .errors import (
    ConfigurationError,
    DeviceNotFoundError,
    FallbackError,
    FallbackWarning,
    HeteroError,
    HeteroWarning,
    KernelAssertionError,
    KernelCompileError,
    KernelIndexError,
    KernelRuntimeError,
    KernelTimeoutError,
    KernelTypingError,
    LaunchError,
    NotPicklableError,
    PlacementError,
    SyclUnavailableError,
    UnsupportedDtypeError,
    WorkgroupFeatureError,
)

from ._version import __version__
from .kernel_api import Event, synchronize

from . import _arrays, _device, _jit, errors, kernel_api  # noqa: E402

__all__ = [
    "__version__", "prange", *_device.__all__, *_arrays.__all__, *_jit.__all__, "jit", *kernel_api.__all__,
    *errors.__all__,
]


_LAZY = ("prange",)


def __getattr__(name):
    # Fetched lazily to keep `import hetero` free of the numba import: numba's prange
    # must be the very object numba recognises.
    if name == "prange":
        import numba

        return numba.prange
    raise AttributeError(f"module 'hetero' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
