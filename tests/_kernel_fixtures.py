"""Fixtures shared by the kernel tests (tests/test_kernel_*.py).

Kernels compiled by the test-suite go to a fresh on-disk cache directory, so a
run never depends on (or pollutes) the user's cache.
"""

from __future__ import annotations

import os
import tempfile

if "HETERO_TEST_KEEP_CACHE_DIR" not in os.environ:
    os.environ["HETERO_CACHE_DIR"] = tempfile.mkdtemp(prefix="hetero-kernel-tests-")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import hetero  # noqa: E402  (sets up the OpenCL CPU driver before dpctl loads)


def sycl_devices():
    return [d for d in hetero.devices() if not d.is_host]


_DEVICES = sycl_devices()
needs_sycl = pytest.mark.skipif(not _DEVICES, reason="no SYCL device on this machine")


@pytest.fixture(params=_DEVICES or [None], ids=lambda d: d.filter_string if d is not None else "no-sycl-device")
def device(request):
    """Each available SYCL device (tests using it are skipped when there is none)."""
    if request.param is None:
        pytest.skip("no SYCL device on this machine")
    return request.param


@pytest.fixture
def dpnp(device):
    import dpnp as _dpnp

    return _dpnp


def to_dev(x, device):
    """A NumPy array copied to ``device`` (a dpnp array), keeping its layout."""
    import dpnp as _dpnp

    return _dpnp.asarray(x, sycl_queue=device.sycl_queue)


def back(x):
    import dpnp as _dpnp

    return _dpnp.asnumpy(x)


def assert_close(got, want, dtype=None):
    got = np.asarray(got)
    want = np.asarray(want)
    dt = np.dtype(dtype) if dtype is not None else want.dtype
    if dt.kind in "fc":
        tol = 1e-5 if dt in (np.float32, np.complex64) else 1e-12
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(got, want)
