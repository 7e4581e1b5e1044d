"""Fixtures shared by the kernel tests (tests/test_kernel_*.py, test_workgroup*.py, test_zoo.py).

Kernels compiled by the test-suite go to a fresh on-disk cache directory, so a
run never depends on (or pollutes) the user's cache.

The back ends
-------------
``backend`` runs a test once on every kernel back end: each SYCL device (id: its
filter string, e.g. ``opencl:cpu:0``), ``host`` (numba on the CPU, NumPy arrays
in place) and ``interpret`` (the kernel's Python, work-item by work-item). A
test holds a :class:`KernelBackend` and launches through it, so every launch is
checked to have run where the test says:

* :func:`run` ``(backend, k, rng, *args)``: NumPy in, NumPy out. On a SYCL
  device the arrays are copied to the device, the kernel runs there and every
  array is copied back into the NumPy array it came from; on ``host`` the
  launch is made inside ``with hetero.device("host")`` on the NumPy arrays; on
  ``interpret`` it is ``k.interpret[rng](*args)``.
* ``backend.put(x)`` / ``backend.launch(k, rng, *args)`` / ``backend.get(x)``:
  the same in steps, for tests that need the back end's own arrays (views of
  device arrays, F order on the device).

After each launch ``k.last_backend.backend`` must be the back end asked for.
Kernels that use work-group features (barriers, local memory, groups,
``AtomicRef``, ``atomic_fence``) are launched with ``workgroup=True``: on
``host`` such a launch must be routed to the SYCL CPU device (or raise
:class:`hetero.WorkgroupFeatureError` when there is none) and the test is then
skipped, since the host back end itself did not run it. A launch without
``workgroup=True`` that does not stay on the host is a failure.

``sycl_device`` (tests/conftest.py) is the fixture for tests that are about a
SYCL device itself (its limits, its queues, SPIR-V).
"""

from __future__ import annotations

import contextlib
import os
import tempfile

if "HETERO_TEST_KEEP_CACHE_DIR" not in os.environ:
    os.environ["HETERO_CACHE_DIR"] = tempfile.mkdtemp(prefix="hetero-kernel-tests-")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import hetero  # noqa: E402  (sets up the OpenCL CPU driver before dpctl loads)

__all__ = [
    "KernelBackend", "backend", "run", "BACKENDS", "HOST_NO_WORKGROUP", "needs_sycl",
    "to_dev", "back", "assert_close",
]


def sycl_devices():
    return [d for d in hetero.devices() if not d.is_host]


_DEVICES = sycl_devices()
needs_sycl = pytest.mark.skipif(not _DEVICES, reason="no SYCL device on this machine")

HOST_NO_WORKGROUP = (
    "the host back end has no work-group model (barriers/local memory); "
    "with host data this kernel runs on the SYCL CPU device"
)
HOST_NO_WORKGROUP_NO_CPU = (
    "the host back end has no work-group model (barriers/local memory), and there is no SYCL CPU "
    "device to run this kernel on instead (WorkgroupFeatureError)"
)


class KernelBackend:
    """One kernel back end a test runs on: a SYCL device, ``host`` or ``interpret``.

    Attributes
    ----------
    name : the test id: a SYCL device's filter string, ``"host"`` or ``"interpret"``
    kind : the ``k.last_backend.backend`` a launch must report: ``"sycl"``, ``"host"``, ``"interpret"``
    device : the :class:`hetero.Device` for a SYCL device, else None
    """

    def __init__(self, name: str, device=None):
        self.name = name
        self.device = device
        self.kind = "sycl" if device is not None else name

    def __repr__(self):
        return f"<kernel back end {self.name}>"

    @property
    def is_sycl(self) -> bool:
        return self.kind == "sycl"

    @property
    def is_host(self) -> bool:
        return self.kind == "host"

    @property
    def is_interpret(self) -> bool:
        return self.kind == "interpret"

    def pick(self, size, interpret):
        """``size``, or the smaller ``interpret`` on the interpreter (pure Python per work-item)."""
        return interpret if self.is_interpret else size

    # --- arrays -----------------------------------------------------------------------------

    def put(self, x, order: str = "K"):
        """A copy of the NumPy array ``x`` in this back end's memory: a dpnp array on a SYCL
        device, a NumPy array elsewhere (``order="F"`` asks for Fortran order)."""
        if self.is_sycl:
            import dpnp

            if order == "K":
                return dpnp.asarray(x, sycl_queue=self.device.sycl_queue)
            return dpnp.asarray(x, sycl_queue=self.device.sycl_queue, order=order)
        return np.array(x, order=order, copy=True)

    def zeros(self, shape, dtype=np.float64):
        return self.put(np.zeros(shape, dtype))

    def empty(self, shape, dtype=np.float64):
        if self.is_sycl:
            import dpnp

            return dpnp.empty(shape, dtype=dtype, sycl_queue=self.device.sycl_queue)
        return np.empty(shape, dtype)

    def get(self, x):
        """The back end's array ``x`` as a NumPy array."""
        if self.is_sycl:
            import dpnp

            return dpnp.asnumpy(x)
        return np.asarray(x)

    # --- launches ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _placed(self):
        if self.is_host:
            with hetero.device("host"):
                yield
        elif self.is_interpret:
            old = os.environ.get("HETERO_KERNEL_BACKEND")
            os.environ["HETERO_KERNEL_BACKEND"] = "interpret"
            try:
                yield
            finally:
                if old is None:
                    del os.environ["HETERO_KERNEL_BACKEND"]
                else:
                    os.environ["HETERO_KERNEL_BACKEND"] = old
        else:
            with hetero.device(self.device):
                yield

    def launch(self, k, rng, *args, workgroup: bool = False):
        """``k[rng](*args)`` on this back end (``args``: this back end's arrays and scalars)."""
        if self.is_interpret:
            k.interpret[rng](*args)
        elif self.is_host:
            with hetero.device("host"):
                try:
                    k[rng](*args)
                except hetero.WorkgroupFeatureError:
                    if workgroup:
                        pytest.skip(HOST_NO_WORKGROUP_NO_CPU)
                    raise
        else:
            k[rng](*args)
        self._check(k, workgroup)

    def submit(self, k, rng, *args, workgroup: bool = False):
        """``k.submit(rng, *args)`` on this back end; returns the event."""
        with self._placed():
            ev = k.submit(rng, *args)
        self._check(k, workgroup)
        return ev

    def _check(self, k, workgroup: bool) -> None:
        got = k.last_backend
        if self.is_host and workgroup:
            assert got.backend == "sycl" and got.device is not None and got.device.kind == "cpu", (
                f"{k.__name__} uses work-group features: with host data it should run on the SYCL CPU "
                f"device, but ran as {got!r}"
            )
            pytest.skip(HOST_NO_WORKGROUP)
        assert got.backend == self.kind, f"{k.__name__} should have run on {self.name}, ran as {got!r}"


def run(backend: KernelBackend, k, rng, *args, workgroup: bool = False) -> None:
    """Launch ``k[rng](*args)`` on ``backend`` with NumPy arrays (and scalars) as ``args``; when it
    returns, every array holds what the kernel left in it.

    On a SYCL device each array is copied to the device and back into the same NumPy array after
    the launch; on ``host`` and ``interpret`` the NumPy arrays are used in place.
    ``workgroup=True``: the kernel uses work-group features (see the module docstring).
    """
    if not backend.is_sycl:
        backend.launch(k, rng, *args, workgroup=workgroup)
        return
    placed = [backend.put(x) if isinstance(x, np.ndarray) else x for x in args]
    backend.launch(k, rng, *placed, workgroup=workgroup)
    for x, d in zip(args, placed):
        if isinstance(x, np.ndarray):
            np.copyto(x, backend.get(d))


BACKENDS = [KernelBackend(d.filter_string, d) for d in _DEVICES] + [KernelBackend("host"), KernelBackend("interpret")]


@pytest.fixture(params=BACKENDS, ids=lambda b: b.name)
def backend(request):
    """Each kernel back end: every SYCL device (id: its filter string), ``host``, ``interpret``."""
    return request.param


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
