"""One kernel, every back end: the launch path picks sycl, host or interpret from the data, says why,
and all three agree (with each other and with NumPy)."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest

import hetero
from kernels.black_scholes import black_scholes, black_scholes_numpy, make_inputs
from kernels.stencil2d import stencil5, stencil_numpy
from kernels.tiled_matmul import naive_matmul
from kernels.wg_histogram import histogram_numpy, wg_histogram
from kernels.wg_reduce import wg_reduce_sum

from .conftest import BLOCK_SYCL, SYCL_DEVICES

needs_sycl = pytest.mark.skipif(not SYCL_DEVICES, reason="no SYCL device on this machine")


@hetero.kernel
def axpy(i, alpha, x, y, out):
    out[i] = alpha * x[i] + y[i]


@hetero.kernel
def grid(x, out):  # OpenCL style, 2-D
    i = hetero.get_global_id(0)
    j = hetero.get_global_id(1)
    out[i, j] = math.sqrt(abs(x[i, j])) + i * hetero.get_global_size(1) + j


@hetero.kernel
def count_positive(i, x, counter):
    if x[i] > 0:
        hetero.atomic_add(counter, 0, 1)


@hetero.kernel
def noisy(i, out):
    print("work-item", i)
    out[i] = i


@hetero.kernel
def fails_at_seven(i, out):
    out[i] = 10 // (i - 7)


def _backends():
    """(name, runner) for each back end available here; a runner launches k[rng](*numpy_args)."""
    out = []

    def on_host(k, rng, *args):
        with hetero.device("host"):
            k[rng](*args)

    def interpreted(k, rng, *args):
        k.interpret[rng](*args)

    out.append(("host", on_host))
    out.append(("interpret", interpreted))
    for d in SYCL_DEVICES:

        def on_sycl(k, rng, *args, d=d):
            dargs = [hetero.asarray(a, device=d) if isinstance(a, np.ndarray) else a for a in args]
            k[rng](*dargs)
            for a, da in zip(args, dargs):
                if isinstance(a, np.ndarray):
                    a[...] = hetero.asnumpy(da)

        out.append((d.filter_string, on_sycl))
    return out


BACKENDS = _backends()
IDS = [name for name, _ in BACKENDS]


@pytest.mark.parametrize("backend", BACKENDS, ids=IDS)
def test_axpy_agrees(backend):
    _, run = backend
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(1000), rng.standard_normal(1000)
    out = np.zeros(1000)
    run(axpy, 1000, 2.5, x, y, out)
    np.testing.assert_allclose(out, 2.5 * x + y, rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS, ids=IDS)
def test_2d_strided_agrees(backend):
    _, run = backend
    base = np.random.default_rng(1).standard_normal((40, 30)).astype(np.float32)
    x = base[::2, 1::3]  # a strided view
    out = np.zeros(x.shape, np.float32)
    run(grid, x.shape, x, out)
    i, j = np.indices(x.shape)
    np.testing.assert_allclose(out, np.sqrt(np.abs(x)) + i * x.shape[1] + j, rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS, ids=IDS)
def test_atomics_agree(backend):
    _, run = backend
    x = np.random.default_rng(2).standard_normal(5000)
    counter = np.zeros(1, np.int64)
    run(count_positive, x.size, x, counter)
    assert counter[0] == np.count_nonzero(x > 0)


@pytest.mark.parametrize("backend", BACKENDS, ids=IDS)
def test_black_scholes_agrees(backend):
    _, run = backend
    inputs = make_inputs(2000)
    call, put = np.zeros(2000), np.zeros(2000)
    run(black_scholes, 2000, *inputs, call, put)
    ref_call, ref_put = black_scholes_numpy(*inputs)
    np.testing.assert_allclose(call, ref_call, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(put, ref_put, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("backend", BACKENDS, ids=IDS)
def test_zoo_stencil_agrees(backend):
    _, run = backend
    u = np.random.default_rng(3).standard_normal((24, 40))
    out = np.zeros_like(u)
    run(stencil5, hetero.NdRange((24, 40), (8, 8)), u, out, 0.5, 0.125)
    np.testing.assert_allclose(out, stencil_numpy(u, 0.5, 0.125), rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS, ids=IDS)
def test_zoo_naive_matmul_agrees(backend):
    """private_array(1, c.dtype, True): a dtype taken from an argument and a positional fill_zeros."""
    _, run = backend
    rng = np.random.default_rng(6)
    a, b = rng.random((40, 30), dtype=np.float32), rng.random((30, 20), dtype=np.float32)
    c = np.zeros((40, 20), np.float32)
    run(naive_matmul, hetero.NdRange((48, 32), (16, 16)), a, b, c)  # the kernel guards the padding
    np.testing.assert_allclose(c, a @ b, rtol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS, ids=IDS)
def test_zoo_barrier_kernels_agree(backend):
    """Kernels with barriers and local memory: the host default routes them to the SYCL CPU device
    (or refuses with a LaunchError when there is none); never a silent wrong answer."""
    name, run = backend
    x = np.random.default_rng(4).integers(-50, 50, 3000).astype(np.int64)
    partial = np.zeros(8, np.int64)
    if name == "host" and not SYCL_DEVICES:
        with pytest.raises(hetero.LaunchError):
            run(wg_reduce_sum, hetero.NdRange(8 * 64, 64), x, partial)
        return
    run(wg_reduce_sum, hetero.NdRange(8 * 64, 64), x, partial)
    assert partial.sum() == x.sum()
    vals = np.random.default_rng(5).integers(0, 16, 4000).astype(np.int32)
    hist = np.zeros(16, np.int32)
    run(wg_histogram, hetero.NdRange(63 * 64, 64), vals, hist)  # the kernel guards the 32 extra items
    np.testing.assert_array_equal(hist, histogram_numpy(vals, 16))


def test_last_backend_says_which_and_why(caplog):
    x, y, out = np.ones(8), np.ones(8), np.zeros(8)
    with hetero.device("host"), caplog.at_level(logging.DEBUG, logger="hetero.kernel"):
        axpy[8](1.0, x, y, out)
    assert axpy.last_backend == "host" and axpy.last_backend.device is hetero.host
    assert "default device is the host" in axpy.last_backend.reason
    assert any("host back end" in r.getMessage() for r in caplog.records)
    axpy.interpret[8](1.0, x, y, out)
    assert axpy.last_backend == "interpret"
    if SYCL_DEVICES:
        d = SYCL_DEVICES[0]
        with hetero.device(d):
            axpy[8](1.0, x, y, out)  # NumPy arguments, a SYCL default: copied in and back
        assert axpy.last_backend == "sycl" and axpy.last_backend.device == d
        dx = hetero.asarray(x, device=d)
        dout = hetero.empty_like(dx)
        axpy[8](1.0, dx, dx, dout)
        assert axpy.last_backend == "sycl" and "device arrays" in axpy.last_backend.reason
        np.testing.assert_array_equal(hetero.asnumpy(dout), 2 * x)


@needs_sycl
def test_barrier_kernel_on_host_default_runs_on_sycl_cpu():
    x = np.arange(512, dtype=np.int64)
    partial = np.zeros(8, np.int64)
    with hetero.device("host"):
        wg_reduce_sum[hetero.NdRange(512, 64)](x, partial)
    assert partial.sum() == x.sum()
    assert wg_reduce_sum.last_backend == "sycl" and "SYCL CPU device" in wg_reduce_sum.last_backend.reason


@pytest.mark.parametrize("value, expected", [("interpret", "interpret"), ("host", "host")])
def test_hetero_kernel_backend_env(monkeypatch, value, expected):
    monkeypatch.setenv("HETERO_KERNEL_BACKEND", value)
    out = np.zeros(5)
    axpy[5](1.0, np.ones(5), np.ones(5), out)
    assert axpy.last_backend == expected and f"HETERO_KERNEL_BACKEND={value}" in axpy.last_backend.reason
    np.testing.assert_array_equal(out, 2.0)


def test_hetero_kernel_backend_env_bad(monkeypatch):
    monkeypatch.setenv("HETERO_KERNEL_BACKEND", "gpu")
    with pytest.raises(hetero.ConfigurationError, match="HETERO_KERNEL_BACKEND"):
        axpy[5](1.0, np.ones(5), np.ones(5), np.zeros(5))


@needs_sycl
def test_host_backend_refuses_device_arrays(monkeypatch):
    monkeypatch.setenv("HETERO_KERNEL_BACKEND", "host")
    d = SYCL_DEVICES[0]
    x = hetero.ones(4, device=d)
    with pytest.raises(hetero.LaunchError, match="device arrays"):
        axpy[4](1.0, x, x, hetero.empty_like(x))


def test_interpreter_print_and_errors(capsys):
    out = np.zeros(3, np.int64)
    noisy.interpret[3](out)
    assert capsys.readouterr().out.count("work-item") == 3
    np.testing.assert_array_equal(out, [0, 1, 2])
    with pytest.raises(ZeroDivisionError) as exc:
        fails_at_seven.interpret[10](np.zeros(10, np.int64))
    notes = "\n".join(getattr(exc.value, "__notes__", []))
    assert "fails_at_seven" in notes and "7" in notes


def test_host_kernels_without_dpctl(clean_env):
    r = clean_env(
        BLOCK_SYCL
        + "import numpy as np, hetero\n"
        "from tests.test_backends import axpy\n"
        "x = np.arange(100.0); out = np.zeros(100)\n"
        "axpy[100](3.0, x, x, out)\n"
        "assert np.array_equal(out, 4 * x), out\n"
        "print(axpy.last_backend.backend, 'dpctl' in sys.modules)\n"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "host False"
