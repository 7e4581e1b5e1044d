"""Lazy access to the optional SYCL stack (dpctl, dpnp).

Nothing here imports dpctl at hetero import time. Callers ask :func:`dpctl`
for the module (None when absent) or :func:`require_dpctl` / :func:`require_dpnp`
when a SYCL feature is requested, which raise :class:`SyclUnavailableError`
saying what to install.
"""

from __future__ import annotations

import importlib
import platform

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
