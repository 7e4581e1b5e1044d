"""Which back end runs a kernel launch, and why: ``sycl``, ``host`` or ``interpret``.

The back end follows the data:

1. ``k.interpret[...]`` (``forced="interpret"``) or ``HETERO_KERNEL_BACKEND=interpret`` → the
   interpreter, wherever the data is.
2. Any device array (dpnp) among the arguments → ``sycl`` on its queue.
3. NumPy arguments only → the current default device (``with hetero.device(...)``,
   ``HETERO_DEVICE``, else the best SYCL device, else the host): a SYCL device → ``sycl`` with
   copies in and back; the host → ``host``, unless the kernel uses work-group features
   (barriers, local memory, atomics), which the host back end cannot run yet: then ``sycl`` on
   the SYCL CPU device when there is one (copies in and back), else a :class:`LaunchError` raised
   by :func:`hetero._host.run_host` saying so.

``HETERO_KERNEL_BACKEND`` = ``auto`` (the default), ``host``, ``sycl`` or ``interpret`` overrides
the choice (``host`` with device arrays is a :class:`LaunchError`). The answer is a
:class:`BackendChoice`, kept by the kernel as ``k.last_backend`` and logged at debug level on the
``hetero.kernel`` logger.
"""

from __future__ import annotations

import logging
import os
import weakref

from ..errors import ConfigurationError, LaunchError

__all__ = ["BackendChoice", "choose_backend", "dispatch_launch", "InterpretView", "BACKENDS"]

BACKENDS = ("sycl", "host", "interpret")
log = logging.getLogger("hetero.kernel")

_features: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class BackendChoice:
    """The back end of one launch: ``backend`` (``"sycl"``, ``"host"``, ``"interpret"``), the
    ``device`` it runs on (a :class:`hetero.Device`, or None for a device array's own queue), and
    ``reason``, a sentence saying why."""

    __slots__ = ("backend", "device", "reason")

    def __init__(self, backend: str, device, reason: str):
        self.backend = backend
        self.device = device
        self.reason = reason

    def __repr__(self):
        where = f" on {self.device.filter_string}" if self.device is not None else ""
        return f"<{self.backend}{where}: {self.reason}>"

    def __eq__(self, other):
        if isinstance(other, str):
            return self.backend == other
        if isinstance(other, BackendChoice):
            return (self.backend, self.device, self.reason) == (other.backend, other.device, other.reason)
        return NotImplemented

    __hash__ = None  # mutable-looking value object compared with strings

    def log(self, kernel_name: str) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("kernel %r ran on the %s back end%s: %s", kernel_name, self.backend,
                      f" ({self.device.filter_string})" if self.device is not None else "", self.reason)


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


def _workgroup_feature(py_func) -> str | None:
    try:
        return _features[py_func]
    except KeyError:
        pass
    from .rewrite import uses_workgroup_features

    found = uses_workgroup_features(py_func)
    _features[py_func] = found
    return found


def _sycl_cpu_device():
    from .._device import devices

    for d in devices():
        if not d.is_host and d.kind == "cpu":
            return d
    return None


def choose_backend(py_func, args, *, forced: str | None = None) -> BackendChoice:
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
    from .._arrays import is_device_array

    env = _env_backend()
    on_device = [x for x in args if is_device_array(x)]
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
    feature = _workgroup_feature(py_func)
    if feature is not None:
        cpu = _sycl_cpu_device()
        if cpu is not None:
            return BackendChoice(
                "sycl", cpu,
                f"NumPy arguments and the default device is the host ({why}), but the kernel uses {feature}, "
                "which the host back end cannot run yet; ran on the SYCL CPU device, copied in and back",
            )
    return BackendChoice("host", host, f"NumPy arguments and the default device is the host ({why})")


# --- what the Kernel's launch path calls ------------------------------------------------------


def dispatch_launch(kernel, rng, args, *, forced: str | None = None) -> BackendChoice:
    """Choose the back end of a launch, run it there unless it is ``sycl``, record the choice.

    ``kernel`` is anything with ``py_func``, ``__name__`` and ``fastmath`` (a
    :class:`hetero.compiler.kernel.Kernel`); the choice is stored as
    ``kernel.last_backend`` and logged. For ``host`` and ``interpret`` the
    launch has run (synchronously) when this returns; for ``sycl`` the caller
    launches on ``choice.device`` (None: the device arrays' own queue).
    """
    choice = choose_backend(kernel.py_func, args, forced=forced)
    kernel.last_backend = choice
    choice.log(kernel.__name__)
    if choice.backend == "interpret":
        from .._interpret import run_interpreted

        run_interpreted(kernel.py_func, rng, args, name=kernel.__name__)
    elif choice.backend == "host":
        from .launch import run_host

        run_host(kernel.py_func, rng, args, name=kernel.__name__, fastmath=getattr(kernel, "fastmath", False))
    return choice


class InterpretView:
    """``k.interpret``: ``k.interpret[range](*args)`` runs the launch through the interpreter back end."""

    __slots__ = ("_kernel",)

    def __init__(self, kernel):
        self._kernel = kernel

    def __getitem__(self, key):
        from ..compiler.launch import parse_range

        rng = parse_range(key)
        kernel = self._kernel

        def run(*args):
            dispatch_launch(kernel, rng, args, forced="interpret")

        return run

    def __repr__(self):
        return f"<interpreter view of {self._kernel!r}>"
