"""hetero's exceptions and warnings.

Every exception derives from :class:`HeteroError` and also from the builtin
exception a caller would naturally catch (``except ValueError`` still catches a
:class:`PlacementError`). Messages say what failed, which device / array /
kernel was involved, what was expected and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "HeteroError",
    "ConfigurationError",
    "DeviceNotFoundError",
    "PlacementError",
    "KernelCompileError",
    "KernelTypingError",
    "LaunchError",
    "KernelIndexError",
    "KernelRuntimeError",
    "KernelAssertionError",
    "KernelTimeoutError",
    "WorkgroupFeatureError",
    "UnsupportedDtypeError",
    "SyclUnavailableError",
    "FallbackError",
    "NotPicklableError",
    "HeteroWarning",
    "FallbackWarning",
]


class HeteroError(Exception):
    """Base class of every error raised by hetero."""


class ConfigurationError(HeteroError, ValueError):
    """An environment variable or option has a value hetero cannot use."""


class DeviceNotFoundError(HeteroError, LookupError):
    """No available device matches the requested specification."""


class PlacementError(HeteroError, ValueError):
    """Arrays that must be used together live on different devices."""


class KernelCompileError(HeteroError, RuntimeError):
    """A kernel could not be compiled for the requested back end."""


class KernelTypingError(KernelCompileError, TypeError):
    """A kernel uses a construct or argument type the kernel language lacks."""


class LaunchError(HeteroError, ValueError):
    """A kernel launch was asked with an invalid range or invalid arguments."""


class KernelIndexError(HeteroError, IndexError):
    """A kernel indexed an array out of bounds (reported at the next synchronisation
    when ``HETERO_BOUNDSCHECK=1``)."""


class KernelRuntimeError(HeteroError, RuntimeError):
    """A kernel broke a rule of the kernel language while it ran (for example a barrier that not
    every work-item of its group reached)."""


class KernelAssertionError(HeteroError, AssertionError):
    """An ``assert`` in a kernel failed: the first failing work-item's message, the kernel, its
    file:line and the work-item's id (raised at the next synchronisation on devices)."""


class KernelTimeoutError(HeteroError, TimeoutError):
    """A kernel had not finished when ``Event.wait(timeout=...)`` or ``hetero.synchronize(timeout=...)``
    gave up on it (the kernel itself goes on running: devices cannot stop a kernel)."""


class WorkgroupFeatureError(LaunchError):
    """The kernel uses work-group features (barriers, local memory, groups) or ``AtomicRef``, which
    the host back end cannot run, and no SYCL device is there to run it instead."""


class UnsupportedDtypeError(HeteroError, TypeError):
    """The device cannot hold or compute with the requested dtype."""


class SyclUnavailableError(HeteroError, ImportError):
    """A SYCL feature was requested but the SYCL runtime packages are missing."""


class FallbackError(HeteroError, RuntimeError):
    """Work cannot run on the data's device and ``HETERO_ML_FALLBACK=error`` forbids the host."""


class NotPicklableError(HeteroError, TypeError):
    """An object tied to device data (say an estimator fitted on it) was pickled."""


class HeteroWarning(UserWarning):
    """Base class of hetero's warnings."""


class FallbackWarning(HeteroWarning):
    """Work ran somewhere other than the data's device (for example the host)."""
