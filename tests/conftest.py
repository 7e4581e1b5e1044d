"""Shared fixtures: a `device` fixture parametrised over the available devices (ids are filter strings)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import hetero

ALL_DEVICES = hetero.devices()
SYCL_DEVICES = [d for d in ALL_DEVICES if not d.is_host]
# kernel back ends by name: each SYCL device's filter string, "host", "interpret" (see launch_numpy)
KERNEL_BACKENDS = [d.filter_string for d in SYCL_DEVICES] + ["host", "interpret"]


def launch_numpy(backend: str, k, rng, *args) -> None:
    """``k[rng](*args)`` with NumPy arguments on ``backend``: "interpret" through ``k.interpret``,
    anything else inside ``with hetero.device(backend)`` (which copies them there and back; the
    launch returns, or raises a kernel's error, once they are back)."""
    if backend == "interpret":
        k.interpret[rng](*args)
    else:
        with hetero.device(backend):
            k[rng](*args)


@pytest.fixture(params=ALL_DEVICES, ids=lambda d: d.filter_string)
def device(request):
    """Every available device, the host included."""
    return request.param


@pytest.fixture(
    params=SYCL_DEVICES or [pytest.param(None, marks=pytest.mark.skip(reason="no SYCL device on this machine"))],
    ids=lambda d: d.filter_string if d is not None else "none",
)
def sycl_device(request):
    """Every available SYCL device (skipped when the machine has none)."""
    return request.param


def run_python(code: str, env: dict | None = None, unset: tuple = (), timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with the given environment changes."""
    full_env = dict(os.environ)
    for var in unset:
        full_env.pop(var, None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=timeout
    )


# Variables hetero reads or sets at import; subprocess tests start from a clean slate.
HETERO_ENV = (
    "HETERO_DEVICE", "HETERO_NUM_THREADS", "OCL_ICD_FILENAMES", "SYCL_DEVICE_FILTER",
    "ONEAPI_DEVICE_SELECTOR", "NUMBA_NUM_THREADS", "SCIPY_ARRAY_API",
)


@pytest.fixture
def clean_env():
    """A helper running Python code in a subprocess without hetero's variables set."""

    def run(code: str, env: dict | None = None, timeout: float = 120):
        return run_python(code, env=env, unset=HETERO_ENV, timeout=timeout)

    return run



# Prepended to `python -c` code: makes dpctl and dpnp unimportable, as on a machine without the SYCL stack.
BLOCK_SYCL = """
import sys
class _Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('dpctl', 'dpnp'):
            raise ImportError(f'{name} blocked for this test')
        return None
sys.meta_path.insert(0, _Block())
"""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Name a hung test plainly: pytest-timeout's thread method (pyproject.toml) prints only stacks
    before it ends the run, and `-q` prints no test names. One second before it fires, say which test."""
    import threading

    marker = item.get_closest_marker("timeout")
    limit = float(marker.args[0]) if marker and marker.args else float(item.config.getini("timeout") or 0)
    timer = None
    if limit > 1:
        message = f"\nhetero tests: {item.nodeid} is still running after {limit - 1:.0f} s; it is taken as hung\n"
        timer = threading.Timer(limit - 1, lambda: os.write(2, message.encode()))
        timer.daemon = True
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.cancel()
