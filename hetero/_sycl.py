"""Lazy access to the optional SYCL stack (dpctl, dpnp).

Nothing here imports dpctl at hetero import time. Callers ask :func:`dpctl`
for the module (None when absent) or :func:`require_dpctl` / :func:`require_dpnp`
when a SYCL feature is requested, which raise :class:`SyclUnavailableError`
saying what to install.
"""

from __future__ import annotations

import importlib
import platform
import threading

from .errors import SyclUnavailableError

from ._locks import INIT_LOCK as _lock
_modules: dict[str, object] = {}
_import_errors: dict[str, BaseException] = {}

_INSTALL_HINT = (
    "Install the SYCL stack into this environment: "
    "`pip install 'dpctl>=0.22.1,<0.23' 'dpnp>=0.20,<0.21' intel-opencl-rt` "
    "(x86_64 Linux or Windows only; for Intel GPUs also install the GPU driver with Level Zero)."
)


def _load(name: str):
    with _lock:
        if name in _modules:
            return _modules[name]
        if name in _import_errors:
            return None
        try:
            mod = importlib.import_module(name)
        except Exception as exc:  # ImportError, or a broken native library (OSError)
            _import_errors[name] = exc
            return None
        _modules[name] = mod
        return mod


def dpctl():
    """The dpctl module, or None when it cannot be imported."""
    return _load("dpctl")


def dpnp():
    """The dpnp module, or None when it cannot be imported."""
    return _load("dpnp")


def import_error(name: str) -> BaseException | None:
    return _import_errors.get(name)


def _unavailable(name: str, feature: str) -> SyclUnavailableError:
    err = _import_errors.get(name)
    why = f"{name} could not be imported ({type(err).__name__}: {err})" if err else f"{name} is not installed"
    machine = platform.machine()
    if machine not in ("x86_64", "AMD64"):
        why += f"; the Intel SYCL packages exist only for x86_64, this machine is {machine}"
    return SyclUnavailableError(f"{feature} needs the SYCL runtime, but {why}. {_INSTALL_HINT}")


def require_dpctl(feature: str = "This feature"):
    mod = dpctl()
    if mod is None:
        raise _unavailable("dpctl", feature)
    return mod


def require_dpnp(feature: str = "This feature"):
    mod = dpnp()
    if mod is None:
        raise _unavailable("dpnp", feature)
    return mod


# dpnp 0.20 / dpctl 0.22 (intel-sycl-rt 2026.2) can deadlock when several threads work on one queue
# at once: 8 threads each calling dpnp.asarray(host, sycl_queue=q) / dpnp.asnumpy on 64K-element
# arrays hang within seconds (reproduced with dpnp alone), and so did hetero launches from 8 threads
# (stacks in dpctl's SequentialOrderManager.add_event_pair, holding the GIL, so not even a Python
# watchdog runs). hetero's own work on a queue — copies (hetero.asarray / asnumpy / to_device,
# NumPy kernel arguments) and kernel submission with its order-manager bookkeeping — therefore
# takes one lock per queue. Waiting for a kernel does not hold it.
_queue_locks: dict = {}


def queue_lock(queue):
    """The lock hetero holds while it copies to or from ``queue`` or submits to it."""
    lock = _queue_locks.get(queue)
    if lock is None:
        with _queue_locks_guard:
            lock = _queue_locks.setdefault(queue, threading.Lock())
    return lock


_queue_locks_guard = threading.Lock()
