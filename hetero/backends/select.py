"""Which back end runs a kernel launch, and why: ``sycl``, ``host`` or ``interpret``.

The back end follows the data:

1. ``k.interpret[...]`` (``forced="interpret"``) or ``HETERO_KERNEL_BACKEND=interpret`` → the
   interpreter, wherever the data is.
2. Any device array (dpnp) among the arguments → ``sycl`` on its queue.
3. NumPy arguments only → the current default device (``with hetero.device(...)``,
   ``HETERO_DEVICE``, else the best SYCL device, else the host): a SYCL device → ``sycl`` with
   copies in and back; the host → ``host``, unless the kernel uses what the host back end
   cannot run (barriers, local memory, groups, ``AtomicRef``: ``hetero.lang.table`` rows with
   ``on_host=False``): then ``sycl`` on the SYCL CPU device when there is one (copies in and
   back), else the host back end refuses it with a :class:`WorkgroupFeatureError`.

This module is the only place that chooses; :func:`get` returns the chosen back end.

``HETERO_KERNEL_BACKEND`` = ``auto`` (the default), ``host``, ``sycl`` or ``interpret`` overrides
the choice (``host`` with device arrays is a :class:`LaunchError`). The answer is a
:class:`BackendChoice`, kept by the kernel as ``k.last_backend`` and logged at debug level on the
``hetero.kernel`` logger.
"""

from __future__ import annotations

import os

from .._arrays import _device_array_types
from ..errors import ConfigurationError, LaunchError
from .base import Backend, BackendChoice

__all__ = ["BackendChoice", "choose", "get", "BACKENDS"]

BACKENDS = ("sycl", "host", "interpret")
_instances: dict = {}


def get(name: str) -> Backend:
    """The back end called ``name`` (imported on first use: the host back end needs numba, the
    SYCL one dpctl)."""
    b = _instances.get(name)
    if b is None:
        if name == "sycl":
            from .sycl import SyclBackend as cls
        elif name == "host":
            from .host import HostBackend as cls
        elif name == "interpret":
            from .interpret import InterpretBackend as cls
        else:
            raise LaunchError(f"no kernel back end named {name!r}; there are {', '.join(BACKENDS)}")
        b = _instances.setdefault(name, cls())
    return b


def _env_backend() -> str:
    value = os.environ.get("HETERO_KERNEL_BACKEND", "").strip().lower()
    if value in ("", "auto"):
        return "auto"
    if value not in BACKENDS:
        raise ConfigurationError(
            f"HETERO_KERNEL_BACKEND={os.environ['HETERO_KERNEL_BACKEND']!r} is not a kernel back end; use one of "
            "auto, sycl, host, interpret (or unset it)"
        )
    return value


def _sycl_cpu_device():
    from .._device import devices

    for d in devices():
        if not d.is_host and d.kind == "cpu":
            return d
    return None


_ON_DEVICE = BackendChoice("sycl", None, "the arguments are device arrays; the kernel runs on their queue")
# The launch hot path reads HETERO_KERNEL_BACKEND from os.environ's own table (a dict lookup)
# rather than through os.environ.get, which encodes the key on every call (~0.5 us).
_env_table = getattr(os.environ, "_data", None)
_ENV_KEY = os.environ.encodekey("HETERO_KERNEL_BACKEND") if hasattr(os.environ, "encodekey") else None


def _backend_env_set() -> bool:
    if _env_table is not None and _ENV_KEY is not None:
        return bool(_env_table.get(_ENV_KEY))
    return bool(os.environ.get("HETERO_KERNEL_BACKEND"))


def choose(py_func, args, *, forced: str | None = None) -> BackendChoice:
    """The back end for launching ``py_func`` on ``args`` (see the module docstring).

    Parameters
    ----------
    py_func : function
        The kernel's Python function.
    args : sequence
        The launch arguments.
    forced : {"interpret", "host", "sycl"}, optional
        A back end the caller asked for explicitly (``k.interpret[...]``).

    Raises
    ------
    ConfigurationError
        ``HETERO_KERNEL_BACKEND`` has an unknown value.
    LaunchError
        ``host`` was asked for with device arrays among the arguments.
    """
    dev_types = _device_array_types()
    on_device = [x for x in args if isinstance(x, dev_types)] if dev_types else []
    if on_device and forced is None and not _backend_env_set():
        return _ON_DEVICE  # the common case, decided without more work
    env = _env_backend()
    if forced == "interpret":
        return BackendChoice("interpret", None, "k.interpret[...] was asked for")
    if env == "interpret":
        return BackendChoice("interpret", None, "HETERO_KERNEL_BACKEND=interpret")
    want = forced or (None if env == "auto" else env)
    why_forced = f"{'asked for' if forced else 'HETERO_KERNEL_BACKEND=' + env}"
    if on_device:
        if want == "host":
            raise LaunchError(
                f"the host back end was asked for ({why_forced}) but arguments are device arrays; copy them "
                "with hetero.asnumpy, or unset HETERO_KERNEL_BACKEND to run on their device"
            )
        from .._arrays import device_of

        return BackendChoice("sycl", device_of(on_device[0]), "the arguments are device arrays on this device")
    from .._device import default_device_reason, host

    if want == "host":
        return BackendChoice("host", host, f"{why_forced}; NumPy arguments are used in place")
    dev, why = default_device_reason()
    if want == "sycl" or not dev.is_host:
        if dev.is_host:
            raise LaunchError(
                f"the SYCL back end was asked for ({why_forced}) but the default device is the host ({why})"
            )
        return BackendChoice("sycl", dev, f"NumPy arguments and the default device is {dev.filter_string} "
                                          f"({why}); copied in and back")
    from ..compiler.analysis import workgroup_feature

    feature = workgroup_feature(py_func)
    if feature is not None:
        cpu = _sycl_cpu_device()
        if cpu is not None:
            return BackendChoice(
                "sycl", cpu,
                f"NumPy arguments and the default device is the host ({why}), but the kernel uses {feature}, "
                "which the host back end cannot run yet; ran on the SYCL CPU device, copied in and back",
            )
    return BackendChoice("host", host, f"NumPy arguments and the default device is the host ({why})")
