"""The host back end (hetero/_host): kernels compiled by numba for the CPU, run across threads.

Every kernel of the corpus runs on the host back end and on the interpreter back
end, and both are checked against NumPy (and so against each other): both
kernel styles, 1-3 D ranges and NdRanges, every dtype, C / F / strided /
negative-stride / offset views, device functions, math, loops, branches,
scalars. Then a hypothesis test over shapes, strides, dtypes and work-group
sizes; the error cases; and hetero without dpctl.
"""

from __future__ import annotations

import cmath
import math
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hetero
from hetero import kernel_api as kapi
from hetero.backends import host as host_launch
from hetero.compiler.targets.cpu.build import host_info
from hetero.backends.host import run_host
from hetero.compiler.analysis import workgroup_feature as uses_workgroup_features
from hetero.backends.interpret import run_interpreted
from hetero.errors import KernelCompileError, KernelTypingError, LaunchError
from hetero.kernel_api import (
    NdRange,
    Range,
    device_function,
    get_global_id,
    get_global_size,
    get_group_id,
    get_local_id,
    get_local_size,
    get_num_groups,
    get_work_dim,
    kernel,
)

ALL_DTYPES = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
              "float32", "float64", "complex64", "complex128"]


def sample(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt == bool:
        return rng.integers(0, 2, size=shape).astype(bool)
    if dt.kind in "iu":
        return rng.integers(0, 50, size=shape).astype(dt)
    if dt.kind == "f":
        return rng.uniform(-2, 2, size=shape).astype(dt)
    return (rng.uniform(-2, 2, size=shape) + 1j * rng.uniform(-2, 2, size=shape)).astype(dt)


def assert_close(got, want):
    got, want = np.asarray(got), np.asarray(want)
    if want.dtype.kind in "fc":
        tol = 1e-5 if want.dtype in (np.float32, np.complex64) else 1e-12
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(got, want)


def both(k, rng, make_args, outputs, check):
    """Run ``k`` on the host and through the interpreter on fresh arguments; check both, compare them.

    ``make_args()`` builds the launch arguments, ``outputs`` are the indices of
    the arrays the kernel writes, ``check(outs)`` checks them against NumPy.
    """
    results = []
    for run in (run_host, run_interpreted):
        args = make_args()
        run(k.py_func, rng, args, name=k.__name__)
        outs = [np.array(args[i], copy=True) for i in outputs]
        check(*outs)
        results.append(outs)
    for h, i in zip(*results):
        assert_close(h, i)


# --- 1. element-wise, both styles, every dtype ---------------------------------------------


@kernel
def add_opencl(a, b, c):
    i = get_global_id(0)
    c[i] = a[i] + b[i]


@kernel
def add_item(i, a, b, c):
    c[i] = a[i] + b[i]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_add_every_dtype_opencl_style(dtype):
    n = 37
    a, b = sample(n, dtype, 1), sample(n, dtype, 2)
    both(add_opencl, n, lambda: (a, b, np.zeros(n, dtype)), [2], lambda c: assert_close(c, a + b))


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int64", "float32", "complex128"])
def test_add_item_style(dtype):
    n = 1000  # more than one task per thread
    a, b = sample(n, dtype, 1), sample(n, dtype, 2)
    both(add_item, n, lambda: (a, b, np.zeros(n, dtype)), [2], lambda c: assert_close(c, a + b))


def test_large_range_runs_on_every_thread_and_covers_each_item_once():
    n = 3 * host_launch.SERIAL_WORK_ITEMS + 7  # threaded; not a multiple of anything
    a = np.arange(n, dtype=np.int64)
    c = np.full(n, -1, np.int64)
    run_host(add_item.py_func, n, (a, a, c))
    np.testing.assert_array_equal(c, 2 * a)


# --- 2. N-D ranges on views --------------------------------------------------------------------


@kernel
def scale2d_item(it, a, out, s):
    out[it] = a[it] * s + it.get_id(0) - it.get_id(1)


def _views(shape, dtype):
    base = sample((shape[0] * 2 + 1, shape[1] * 3 + 2), dtype, 5)
    return {
        "C": np.ascontiguousarray(sample(shape, dtype, 6)),
        "F": np.asfortranarray(sample(shape, dtype, 7)),
        "strided+offset": base[1::2, 2::3][: shape[0], : shape[1]],
        "negative": base[::-2, ::-3][: shape[0], : shape[1]],
        "transposed": np.ascontiguousarray(sample(shape[::-1], dtype, 8)).T,
    }


@pytest.mark.parametrize("layout", ["C", "F", "strided+offset", "negative", "transposed"])
def test_2d_item_style_on_views(layout):
    shape = (13, 9)
    a = _views(shape, "float64")[layout]
    assert a.shape == shape
    ii, jj = np.indices(shape)
    want = a * 2.5 + ii - jj

    def make():
        out = _views(shape, "float64")[layout]
        out[...] = 0
        return (a, out, 2.5)

    both(scale2d_item, shape, make, [1], lambda out: assert_close(out, want))


@kernel
def index3d_opencl(out):
    i, j, k = get_global_id(0), get_global_id(1), get_global_id(2)
    n, m, p = get_global_size(0), get_global_size(1), get_global_size(2)
    out[i, j, k] = ((i * m + j) * p + k) * 10 + get_work_dim() + n * 0 + get_global_id(3) + get_global_size(5)


def test_3d_opencl_style_ids_and_sizes():
    shape = (3, 4, 5)
    want = np.arange(60).reshape(shape) * 10 + 3 + 0 + 1
    both(index3d_opencl, shape, lambda: (np.zeros(shape, np.int64),), [0], lambda o: assert_close(o, want))


@kernel
def item_linear(it, out):
    out[it] = it.get_linear_id() * 1000 + it.get_range(0) * 10 + it.get_range(1) + it.ndim * 0


def test_item_methods_2d():
    shape = (4, 6)
    want = np.arange(24).reshape(shape) * 1000 + 4 * 10 + 6
    both(item_linear, shape, lambda: (np.zeros(shape, np.int64),), [0], lambda o: assert_close(o, want))


@kernel
def item_as_int(i, a, out):
    # a 1-D work-item is an integer: arithmetic, comparisons, range()
    t = 0
    for k in range(i):
        t += k
    out[i] = a[(i + 1) % a.shape[0]] + t + (1 if i > 2 else 0)


def test_1d_item_is_an_integer():
    n = 11
    a = sample(n, "int64", 3)
    want = np.roll(a, -1) + np.array([k * (k - 1) // 2 for k in range(n)]) + (np.arange(n) > 2)
    both(item_as_int, n, lambda: (a, np.zeros(n, np.int64)), [1], lambda o: assert_close(o, want))


# --- 3. NdRange: work-group queries -------------------------------------------------------------


@kernel
def groups_opencl(out):
    d = get_work_dim()
    lin = 0
    for k in range(d):
        lin = lin * get_global_size(k) + get_global_id(k)
    v = 0
    for k in range(d):
        v = v * 1000 + get_group_id(k) * 100 + get_local_id(k) * 10 + get_local_size(k) + get_num_groups(k) * 0
    out[lin] = v


@kernel
def groups_item(it, out):
    out[it.get_global_linear_id()] = (
        it.get_local_linear_id() * 100000
        + it.get_group_id(0) * 1000
        + it.get_group_range(0) * 100
        + it.get_local_range(0) * 10
        + it.get_global_range(0) * 0
        + it.get_global_id(0) * 0
    )


def _groups_reference(gshape, lshape):
    out = np.zeros(int(np.prod(gshape)), np.int64)
    for gid in np.ndindex(*gshape):
        lin = np.ravel_multi_index(gid, gshape)
        v = 0
        for d in range(len(gshape)):
            v = v * 1000 + (gid[d] // lshape[d]) * 100 + (gid[d] % lshape[d]) * 10 + lshape[d]
        out[lin] = v
    return out


@pytest.mark.parametrize("gshape,lshape", [((12,), (4,)), ((6, 4), (3, 2)), ((4, 2, 6), (2, 1, 3))])
def test_ndrange_queries_opencl_style(gshape, lshape):
    want = _groups_reference(gshape, lshape)
    n = int(np.prod(gshape))
    both(groups_opencl, NdRange(gshape, lshape), lambda: (np.zeros(n, np.int64),), [0],
         lambda o: assert_close(o, want))


def test_ndrange_item_methods():
    g, loc = 12, 4
    gid = np.arange(g)
    want = (gid % loc) * 100000 + (gid // loc) * 1000 + (g // loc) * 100 + loc * 10
    both(groups_item, NdRange((g,), (loc,)), lambda: (np.zeros(g, np.int64),), [0], lambda o: assert_close(o, want))


def test_nditem_method_on_a_range_launch_is_a_typing_error():
    with pytest.raises(KernelTypingError, match="get_global_linear_id.*NdItem.*NdRange"):
        run_host(groups_item.py_func, 8, (np.zeros(8, np.int64),))


# --- 4. device functions, math, loops, branches, tuples, scalars --------------------------------


@device_function
def square(x):
    return x * x


@device_function
def shifted_square(a):
    # a device function may call another and ask for the work-item's position
    i = get_global_id(0)
    return square(a[i]) + i


@kernel
def use_device_functions(a, out):
    i = get_global_id(0)
    out[i] = shifted_square(a) - square(2.0)


def test_device_functions_nested_with_ids():
    a = sample(20, "float64", 4)
    want = a * a + np.arange(20) - 4.0
    both(use_device_functions, 20, lambda: (a, np.zeros(20)), [1], lambda o: assert_close(o, want))
    assert square(3) == 9  # still a plain function on the host


@kernel
def math_kernel(x, out32, out64):
    i = get_global_id(0)
    v = x[i]
    out64[i] = math.sqrt(abs(v)) + math.exp(-v * v) + math.sin(v) * math.cos(v) + math.atan2(v, 1.5)
    out64[i] += math.log1p(abs(v)) + math.floor(v) + np.tanh(v) + math.pow(abs(v), 1.5) + math.hypot(v, 2.0)
    out32[i] = np.float32(math.erf(v)) + np.sqrt(np.float32(abs(v)))


def test_math():
    x = sample(64, "float64", 9)
    want64 = (np.sqrt(abs(x)) + np.exp(-x * x) + np.sin(x) * np.cos(x) + np.arctan2(x, 1.5) + np.log1p(abs(x))
              + np.floor(x) + np.tanh(x) + abs(x) ** 1.5 + np.hypot(x, 2.0))
    want32 = (np.array([math.erf(v) for v in x]) + np.sqrt(abs(x))).astype(np.float32)
    both(math_kernel, 64, lambda: (x, np.zeros(64, np.float32), np.zeros(64)), [1, 2],
         lambda o32, o64: (assert_close(o32, want32), assert_close(o64, want64)))


@kernel
def complex_kernel(i, z, w, out):
    v = z[i] * w[i].conjugate() + cmath.exp(z[i]) - abs(w[i]) + z[i].real * 1j
    out[i] = v / (1 + abs(v))


def test_complex_math():
    z, w = sample(30, "complex128", 1), sample(30, "complex128", 2)
    v = z * w.conj() + np.exp(z) - abs(w) + z.real * 1j
    both(complex_kernel, 30, lambda: (z, w, np.zeros(30, complex)), [2], lambda o: assert_close(o, v / (1 + abs(v))))


@kernel
def collatz_steps(i, start, steps):
    # while loop, branches, early exit from a for loop
    n = start[i]
    s = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        s += 1
    for k in range(100):
        if k * k > s:
            break
    steps[i] = s * 100 + k


def test_loops_and_branches():
    start = np.arange(1, 50, dtype=np.int64)

    def ref(n):
        s = 0
        while n != 1:
            n = n // 2 if n % 2 == 0 else 3 * n + 1
            s += 1
        k = next(k for k in range(100) if k * k > s)
        return s * 100 + k

    want = np.array([ref(int(n)) for n in start])
    both(collatz_steps, start.size, lambda: (start, np.zeros(start.size, np.int64)), [1],
         lambda o: assert_close(o, want))


@kernel
def row_sums(i, m, out):
    # array attributes, a loop over a row, tuple assignment
    acc, cnt = 0.0, 0
    for j in range(m.shape[1]):
        acc, cnt = acc + m[i, j], cnt + 1
    out[i] = acc / cnt + m.ndim * 0 + m.size * 0


def test_row_sums_on_fortran_array():
    m = np.asfortranarray(sample((7, 5), "float32", 2))
    want = m.mean(axis=1)
    both(row_sums, 7, lambda: (m, np.zeros(7, np.float32)), [1], lambda o: assert_close(o, want))


@kernel
def saxpy_scalar(i, a, x, y, out, flag):
    if flag:
        out[i] = a * x[i] + y[i]
    else:
        out[i] = y[i]


@pytest.mark.parametrize("a", [2, 2.5, np.float32(0.5), np.int16(3), True])
def test_scalar_arguments(a):
    x, y = sample(40, "float32", 1), sample(40, "float32", 2)
    want = (np.float64(a) * x.astype(np.float64) + y).astype(np.float32)
    both(saxpy_scalar, 40, lambda: (a, x, y, np.zeros(40, np.float32), True), [3], lambda o: assert_close(o, want))
    both(saxpy_scalar, 40, lambda: (a, x, y, np.zeros(40, np.float32), False), [3], lambda o: assert_close(o, y))


@kernel
def mixed_types(i, a, b, out):
    out[i] = a[i] * b[i] + (1 if a[i] > 10 else -1)


def test_mixed_dtypes_cast_on_store():
    a, b = sample(25, "int16", 1), sample(25, "float32", 2)
    want = (a * b.astype(np.float64) + np.where(a > 10, 1, -1)).astype(np.float32)
    both(mixed_types, 25, lambda: (a, b, np.zeros(25, np.float32)), [2], lambda o: assert_close(o, want))


def test_zero_size_range_runs_nothing():
    c = np.full(3, 7.0)
    assert run_host(add_item.py_func, 0, (c, c, c)) is not None
    run_host(add_item.py_func, (0, 4), (c, c, c))
    run_interpreted(add_item.py_func, 0, (c, c, c))
    np.testing.assert_array_equal(c, 7.0)


def test_compiled_once_per_signature_and_shape():
    a = np.ones(10)
    run_host(add_opencl.py_func, 10, (a, a, np.zeros(10)))
    info = host_info(add_opencl.py_func, Range(10), 3)
    n = len(info.launcher.overloads)
    run_host(add_opencl.py_func, 10, (a, a, np.zeros(10)))
    assert host_info(add_opencl.py_func, Range(99), 3) is info
    assert len(info.launcher.overloads) == n
    assert "arg(0, name=__hetero_ctx)" in info.source and "__hetero_ctx_global_id" in info.source


def test_black_scholes_from_the_zoo():
    from kernels.black_scholes import black_scholes, black_scholes_numpy, make_inputs

    price, strike, t, rate, vol = make_inputs(300)
    want_call, want_put = black_scholes_numpy(price, strike, t, rate, vol)
    both(black_scholes, price.size, lambda: (price, strike, t, rate, vol, np.zeros(300), np.zeros(300)), [5, 6],
         lambda c, p: (assert_close(c, want_call), assert_close(p, want_put)))
    assert (want_call > 0).all() and (want_put > 0).all()


# --- differential: the same kernels on the SYCL back end -------------------------------------------


@kernel
def complex_arith(i, z, w, out):
    v = z[i] * w[i].conjugate() - w[i] + z[i].real * 1j
    out[i] = v / (2 + z[i].imag * 1j)


def _sycl_cases():
    x = sample(20, "float64", 4)
    z, w = sample(30, "complex128", 1), sample(30, "complex128", 2)
    v = _views((13, 9), "float32")["strided+offset"]
    return [
        ("add_item", add_item, 37,
         lambda: (sample(37, "int16", 1), sample(37, "int16", 2), np.zeros(37, "int16")), [2]),
        ("scale2d_item", scale2d_item, (13, 9), lambda: (v, np.zeros((13, 9), np.float32), np.float32(2.5)), [1]),
        ("index3d_opencl", index3d_opencl, (3, 4, 5), lambda: (np.zeros((3, 4, 5), np.int64),), [0]),
        ("groups_opencl", groups_opencl, NdRange((4, 2, 6), (2, 1, 3)), lambda: (np.zeros(48, np.int64),), [0]),
        ("groups_item", groups_item, NdRange((12,), (4,)), lambda: (np.zeros(12, np.int64),), [0]),
        ("collatz_steps", collatz_steps, 49, lambda: (np.arange(1, 50), np.zeros(49, np.int64)), [1]),
        ("device_functions", use_device_functions, 20, lambda: (x, np.zeros(20)), [1]),
        ("complex", complex_arith, 30, lambda: (z, w, np.zeros(30, complex)), [2]),
    ]


@pytest.mark.skipif(not [d for d in hetero.devices() if not d.is_host], reason="no SYCL device on this machine")
@pytest.mark.parametrize("case", range(8), ids=[c[0] for c in _sycl_cases()])
def test_host_interpreter_and_sycl_agree(case):
    import dpnp

    _, k, rng, make, outputs = _sycl_cases()[case]
    dev = [d for d in hetero.devices() if not d.is_host][0]
    results = []
    for backend in ("host", "interpret", "sycl"):
        args = make()
        if backend == "host":
            run_host(k.py_func, rng, args, name=k.__name__)
        elif backend == "interpret":
            run_interpreted(k.py_func, rng, args, name=k.__name__)
        else:
            dargs = [dpnp.asarray(a, sycl_queue=dev.sycl_queue) if isinstance(a, np.ndarray) else a for a in args]
            k[rng](*dargs)
            args = [dpnp.asnumpy(a) if i in outputs else a for i, a in enumerate(dargs)]
        results.append([np.array(args[i]) for i in outputs])
    for h, i, sy in zip(*results):
        assert_close(h, i)
        assert_close(h, sy)


# --- 5. hypothesis: shapes, strides, dtypes, work-group sizes (host, interpreter and SYCL when present) --


@kernel
def fma_item(it, a, b, out):
    out[it] = a[it] * b[it] + a[it]


def _divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def launches(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 6)) for _ in range(ndim))
    dtype = draw(st.sampled_from(["int32", "float32", "complex128"]))
    step = tuple(draw(st.sampled_from([1, 2, -1])) for _ in range(ndim))
    fortran = draw(st.booleans())
    nd = draw(st.booleans())
    local = tuple(draw(st.sampled_from(_divisors(s))) for s in shape) if nd else None
    return shape, dtype, step, fortran, local


def _strided(shape, dtype, step, fortran, seed):
    big = sample(tuple(s * abs(k) for s, k in zip(shape, step)), dtype, seed)
    if fortran:
        big = np.asfortranarray(big)
    view = big[tuple(slice(None, None, k) for k in step)]
    assert view.shape == shape
    return view


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(launches())
def test_hypothesis_shapes_strides_dtypes_groups(launch):
    shape, dtype, step, fortran, local = launch
    a = _strided(shape, dtype, step, fortran, 1)
    b = _strided(shape, dtype, step, not fortran, 2)
    rng = NdRange(shape, local) if local else Range(*shape)
    want = a * b + a

    def make():
        out = _strided(shape, dtype, step, fortran, 3)
        out[...] = 0
        return (a, b, out)

    both(fma_item, rng, make, [2], lambda o: assert_close(o, want))
    sycl = [d for d in hetero.devices() if not d.is_host]
    if sycl:  # the SYCL back end on the same layouts, as device views
        import dpnp

        q = sycl[0].sycl_queue
        big = dpnp.zeros(tuple(s * abs(k) for s, k in zip(shape, step)), dtype=dtype, sycl_queue=q)
        out = big[tuple(slice(None, None, k) for k in step)]
        fma_item[rng](dpnp.asarray(a, sycl_queue=q), dpnp.asarray(b, sycl_queue=q), out)
        assert_close(dpnp.asnumpy(out), want)


# --- atomics: real atomics on the host (work-items run on several threads at once) ----------------
from hetero import (  # noqa: E402
    atomic_add, atomic_and, atomic_compare_exchange, atomic_exchange, atomic_max, atomic_min, atomic_or,
    atomic_sub, atomic_xor,
)


@kernel
def histogram(i, data, bins, total):
    atomic_add(bins, data[i] % bins.shape[0], 1)
    atomic_add(total, 0, 1)  # every work-item hits one counter


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint32", "uint64", "float32", "float64"])
def test_atomic_add_under_contention_is_exact(dtype):
    n = 3 * host_launch.SERIAL_WORK_ITEMS  # threaded
    data = np.random.default_rng(0).integers(0, 1000, n)
    bins, total = np.zeros(7, dtype), np.zeros(1, dtype)
    run_host(histogram.py_func, n, (data, bins, total))
    np.testing.assert_array_equal(bins, np.bincount(data % 7, minlength=7))
    assert total[0] == n
    small = data[:300]
    both(histogram, 300, lambda: (small, np.zeros(7, dtype), np.zeros(1, dtype)), [1, 2],
         lambda b, t: (assert_close(b, np.bincount(small % 7, minlength=7)), assert_close(t, [300])))


@kernel
def atomic_zoo(i, x, imin, imax, fmin, fmax, bits, sub, olds):
    atomic_min(imin, 0, x[i])
    atomic_max(imax, (0, 1), x[i])
    atomic_min(fmin, 0, x[i] * 0.5)
    atomic_max(fmax, 0, x[i] * 0.5)
    atomic_or(bits, 0, 1 << (i % 60))
    atomic_and(bits, 1, ~(1 << (i % 60)))
    atomic_xor(bits, 2, 1 << (i % 3))
    atomic_sub(sub, 0, 2)
    olds[i] = atomic_exchange(sub, 1, i)


def test_atomic_min_max_bitwise_sub_exchange():
    n = host_launch.SERIAL_WORK_ITEMS * 2 + 3
    x = np.random.default_rng(1).integers(-10**6, 10**6, n).astype(np.int64)

    def make():
        return (x, np.full(1, np.iinfo(np.int64).max), np.full((1, 2), np.iinfo(np.int64).min),
                np.full(1, np.inf), np.full(1, -np.inf), np.array([0, -1, 0], np.int64),
                np.zeros(2, np.int64), np.zeros(n, np.int64))

    def check(imin, imax, fmin, fmax, bits, sub, olds):
        assert imin[0] == x.min() and imax[0, 1] == x.max()
        assert fmin[0] == x.min() * 0.5 and fmax[0] == x.max() * 0.5
        assert bits[0] == (1 << 60) - 1 and bits[1] == -1 & ~((1 << 60) - 1)
        want_xor = 0
        for k in range(n):
            want_xor ^= 1 << (k % 3)
        assert bits[2] == want_xor
        assert sub[0] == -2 * n
        # exchange hands each old value to exactly one work-item: a permutation
        assert sorted(olds.tolist() + [sub[1]]) == [0] + list(range(n))

    args = make()
    run_host(atomic_zoo.py_func, n, args)
    check(*args[1:])
    small = (x[:50],) + tuple(a[:50] if a.shape == (n,) else a for a in make()[1:])  # the interpreter: 50 items

    def check_small(imin, imax, fmin, fmax, bits, sub, olds):
        assert imin[0] == x[:50].min() and fmax[0] == x[:50].max() * 0.5 and sub[0] == -100
        assert sorted(olds.tolist() + [sub[1]]) == [0] + list(range(50))

    run_interpreted(atomic_zoo.py_func, 50, small)
    check_small(*small[1:])


@kernel
def cas_multiply(i, x, out):
    old = out[0]
    while True:
        seen = atomic_compare_exchange(out, 0, old, old * x[i])
        if seen == old:
            break
        old = seen


@pytest.mark.parametrize("dtype", ["int64", "float64"])
def test_compare_exchange_loop(dtype):
    n = host_launch.SERIAL_WORK_ITEMS * 2
    x = np.ones(n, dtype)
    x[::n // 16] = 2
    out = np.ones(1, dtype)
    run_host(cas_multiply.py_func, n, (x, out))
    assert out[0] == 2 ** 16
    both(cas_multiply, 30, lambda: (x[:30] * 0 + 3, np.ones(1, dtype)), [1], lambda o: assert_close(o, [3 ** 30]))


def test_atomics_reject_what_the_hardware_lacks():
    def float_and(i, a):
        atomic_and(a, 0, 1)

    def int8_add(i, a):
        atomic_add(a, 0, 1)

    with pytest.raises(KernelTypingError, match="atomic_and works on integer arrays"):
        run_host(float_and, 4, (np.zeros(1),))
    with pytest.raises(KernelTypingError, match="int32, int64, uint32, uint64, float32, float64"):
        run_host(int8_add, 4, (np.zeros(1, np.int8),))


from hetero import private_array  # noqa: E402


@kernel
def reverse_rows_with_scratch(i, m, out):
    tmp = private_array((8,), np.float64)
    n = m.shape[1]
    for j in range(n):
        tmp[j] = m[i, j]
    for j in range(n):
        out[i, j] = tmp[n - 1 - j] * 2


def test_private_arrays_are_per_work_item():
    m = sample((host_launch.SERIAL_WORK_ITEMS + 1, 8), "float64", 3)  # threaded
    out = np.zeros_like(m)
    run_host(reverse_rows_with_scratch.py_func, m.shape[0], (m, out))
    np.testing.assert_array_equal(out, m[:, ::-1] * 2)
    both(reverse_rows_with_scratch, 20, lambda: (m[:20], np.zeros((20, 8))), [1],
         lambda o: assert_close(o, m[:20, ::-1] * 2))


# --- 6. errors ---------------------------------------------------------------------------------


@kernel
def uses_barrier(it, a):
    a[it] = 1
    kapi.barrier()  # issue 5; the name alone tells the host back end it needs work-groups


@device_function
def helper_with_local_memory(a):
    tile = kapi.local_array((64,), np.float32)
    return tile[0] + a[0]


@kernel
def calls_local_memory(a, out):
    out[get_global_id(0)] = helper_with_local_memory(a)


def test_workgroup_features_are_refused_on_the_host_not_run_wrong():
    a = np.zeros(8)
    with pytest.raises(LaunchError, match=r"kapi\.barrier\(\).*work-groups.*interpret"):
        run_host(uses_barrier.py_func, NdRange(8, 4), (a,))
    with pytest.raises(LaunchError, match="local_array"):
        run_host(calls_local_memory.py_func, 8, (a, a))
    np.testing.assert_array_equal(a, 0)  # nothing ran
    assert uses_workgroup_features(uses_barrier.py_func) == "barrier"
    assert uses_workgroup_features(calls_local_memory.py_func) == "local_array"
    assert uses_workgroup_features(add_item.py_func) is None


@kernel
def returns_value(i, a):
    a[i] = 1
    return a[i]


@kernel
def bad_typing(i, a):
    a[i] = "text"


def test_compile_errors_name_the_kernel_and_line():
    a = np.zeros(4)
    with pytest.raises(KernelCompileError, match=r"returns_value.*test_host_backend.py:\d+.*returns nothing"):
        run_host(returns_value.py_func, 4, (a,))
    with pytest.raises(KernelTypingError, match=r"bad_typing.*test_host_backend.py") as info:
        run_host(bad_typing.py_func, 4, (a,))
    assert isinstance(info.value, TypeError)


def _make_closure_kernel(scale):
    @device_function
    def f(x):
        return x * scale + kapi.get_global_id(0)

    def k(a, out):
        i = hetero.kernel_api.get_global_id(0)  # module-attribute spelling
        out[i] = f(a[i])

    return k


@kernel
def annotated(i: OnlyKnownToATypeChecker, a: np.ndarray, out) -> None:  # noqa: F821
    """A docstring, annotations: nothing numba needs."""
    out[i] = a[i] * 2


def test_annotations_and_docstrings_are_ignored():
    a = np.arange(4.0)
    both(annotated, 4, lambda: (a, np.zeros(4)), [1], lambda o: assert_close(o, 2 * a))


def test_closure_kernels_and_module_attribute_spelling():
    a = np.arange(5.0)
    for scale in (3.0, -1.0):
        out = np.zeros(5)
        run_host(_make_closure_kernel(scale), 5, (a, out))
        np.testing.assert_array_equal(out, a * scale + np.arange(5))


def _plain(x):
    return x + 1


@device_function
def _recursive(n):
    return 1 if n <= 0 else _recursive(n - 1) + 1


def test_calling_a_plain_function_or_recursion_is_a_clear_error():
    def calls_plain(i, a):
        a[i] = _plain(a[i])

    def calls_recursive(i, a):
        a[i] = _recursive(3)

    with pytest.raises(KernelTypingError, match="(?s)_plain.*@hetero.device_function"):
        run_host(calls_plain, 4, (np.zeros(4),))
    with pytest.raises(KernelCompileError, match="_recursive.*recursion"):
        run_host(calls_recursive, 4, (np.zeros(4),))


def test_launch_errors():
    a = np.zeros(4)
    with pytest.raises(LaunchError, match="takes 4 parameter"):
        run_host(add_item.py_func, 4, (a,))
    with pytest.raises(LaunchError, match="argument 1 .*list"):
        run_host(add_item.py_func, 4, (a, [1, 2], a))
    with pytest.raises(LaunchError, match="dtype object"):
        run_host(add_item.py_func, 4, (a, np.array([None] * 4), a))
    with pytest.raises(LaunchError, match="negative"):
        run_host(add_item.py_func, -1, (a, a, a))


@kernel
def reads_past_the_end(i, a, out):
    out[i] = a[i + 1]


@kernel
def raises_inside(i, a):
    if a[i] < 0:
        raise ValueError("negative input")
    a[i] = 1


def test_boundscheck_makes_out_of_bounds_an_index_error(monkeypatch):
    monkeypatch.setenv("HETERO_BOUNDSCHECK", "1")
    n = host_launch.SERIAL_WORK_ITEMS * 2  # threaded: the error crosses threads
    with pytest.raises(hetero.KernelIndexError) as info:  # an IndexError, as on every back end
        run_host(reads_past_the_end.py_func, n, (np.ones(n), np.zeros(n)))
    assert "reads_past_the_end" in str(info.value) and "HETERO_BOUNDSCHECK=1" in str(info.value)
    monkeypatch.delenv("HETERO_BOUNDSCHECK")
    out = np.zeros(n - 1)
    run_host(reads_past_the_end.py_func, n - 1, (np.arange(n, dtype=np.float64), out))
    np.testing.assert_array_equal(out, np.arange(1, n))


def test_exception_raised_inside_a_host_kernel():
    a = np.ones(10)
    a[6] = -1
    with pytest.raises(ValueError, match="negative input") as info:
        run_host(raises_inside.py_func, 10, (a,))
    assert "interpret" in "\n".join(info.value.__notes__)
    with pytest.raises(ValueError, match="negative input") as info:
        run_interpreted(raises_inside.py_func, 10, (a,))
    assert "work-item (6,)" in "\n".join(info.value.__notes__)


def test_kernel_without_source_runs_from_its_bytecode():
    ns = {"get_global_id": get_global_id}
    exec("def nosrc(a):\n    a[get_global_id(0)] = 1\n", ns)
    out = np.zeros(4)
    run_host(ns["nosrc"], 4, (out,))  # compiled from bytecode: no source needed (tests/test_host_no_source.py)
    np.testing.assert_array_equal(out, 1)
    out = np.zeros(4)
    run_interpreted(ns["nosrc"], 4, (out,))
    np.testing.assert_array_equal(out, 1)


# --- 7. threads ----------------------------------------------------------------------------------


class _RecordingPool:
    def __init__(self):
        self.workers = 0

    def submit(self, fn, *args):
        from concurrent.futures import Future

        self.workers += 1
        f = Future()
        f.set_result(fn(*args))
        return f


@pytest.mark.parametrize("nthreads", [1, 2])
def test_one_worker_per_thread(monkeypatch, nthreads):
    import numba

    if nthreads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip("numba's thread pool has fewer threads")
    old = hetero.get_num_threads()
    pool = _RecordingPool()
    monkeypatch.setattr(host_launch, "_thread_pool", lambda: pool)
    hetero.set_num_threads(nthreads)
    try:
        n = host_launch.SERIAL_WORK_ITEMS * 2
        a = np.ones(n)
        c = np.zeros(n)
        run_host(add_item.py_func, n, (a, a, c))
    finally:
        hetero.set_num_threads(old)
    np.testing.assert_array_equal(c, 2)
    assert pool.workers == nthreads - 1  # the calling thread is one of the workers


def test_concurrent_launches_from_several_threads():
    from concurrent.futures import ThreadPoolExecutor

    n = host_launch.SERIAL_WORK_ITEMS + 5

    def one(k):
        a = np.full(n, float(k))
        c = np.zeros(n)
        run_host(add_item.py_func, n, (a, a, c))
        return bool((c == 2 * k).all())

    with ThreadPoolExecutor(4) as ex:
        assert all(ex.map(one, range(12)))


def test_hetero_num_threads_is_honoured_in_a_fresh_process(tmp_path):
    code = textwrap.dedent(
        """
        import numpy as np, hetero
        from hetero.backends import host as launch
        calls = []
        real = launch._thread_pool
        class Pool:
            def submit(self, fn, *a):
                calls.append(a[:2])
                return real().submit(fn, *a)
        launch._thread_pool = lambda: Pool()
        import kern
        n = 1 << 16
        a = np.ones(n); c = np.zeros(n)
        launch.run_host(kern.add, n, (a, a, c))
        assert (c == 2).all()
        print(hetero.get_num_threads(), len(calls))
        """
    )
    (tmp_path / "kern.py").write_text("def add(i, a, b, c):\n    c[i] = a[i] + b[i]\n")
    for value, want in (("1", ["1", "0"]), ("2", ["2", "1"])):  # threads, pool workers besides the caller
        env = dict(os.environ, HETERO_NUM_THREADS=value, PYTHONPATH=f"{tmp_path}{os.pathsep}{os.getcwd()}")
        env.pop("NUMBA_NUM_THREADS", None)
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        if value == "2" and "exceeds numba's thread pool" in r.stderr:
            continue  # a one-CPU machine
        assert r.returncode == 0, r.stderr
        assert r.stdout.split() == want


# --- 8. choosing the back end -------------------------------------------------------------------

_SYCL = [d for d in hetero.devices() if not d.is_host]


def test_choice_follows_the_data_and_says_why(monkeypatch):
    from hetero.backends.select import choose as choose_backend

    monkeypatch.delenv("HETERO_KERNEL_BACKEND", raising=False)
    a = np.zeros(4)
    with hetero.device("host"):
        c = choose_backend(add_item.py_func, (a, a, a))
    assert c == "host" and c.device is hetero.host and "default device is the host" in c.reason
    monkeypatch.setenv("HETERO_DEVICE", "host")
    c = choose_backend(add_item.py_func, (a, a, a))
    assert c.backend == "host" and "HETERO_DEVICE=host" in c.reason
    assert choose_backend(add_item.py_func, (a, a, a), forced="interpret") == "interpret"
    monkeypatch.setenv("HETERO_KERNEL_BACKEND", "interpret")
    assert "HETERO_KERNEL_BACKEND=interpret" in choose_backend(add_item.py_func, (a,)).reason
    monkeypatch.setenv("HETERO_KERNEL_BACKEND", "gpu-please")
    with pytest.raises(hetero.ConfigurationError, match="auto, sycl, host, interpret"):
        choose_backend(add_item.py_func, (a,))
    monkeypatch.setenv("HETERO_KERNEL_BACKEND", "host")
    assert choose_backend(add_item.py_func, (a,)) == "host"


def test_launches_run_on_the_chosen_back_end_and_record_why(monkeypatch):
    monkeypatch.delenv("HETERO_KERNEL_BACKEND", raising=False)
    a = np.arange(6.0)
    c = np.zeros(6)
    with hetero.device("host"):
        add_item[6](a, a, c)
    assert add_item.last_backend == "host" and "host" in add_item.last_backend.reason
    np.testing.assert_array_equal(c, 2 * a)
    c[:] = 0
    add_item.interpret[6](a, a, c)
    assert add_item.last_backend == "interpret" and "k.interpret" in add_item.last_backend.reason
    np.testing.assert_array_equal(c, 2 * a)
    c[:] = 0
    groups_opencl.interpret[(6,), (3,)](c)  # k.interpret[global, local]
    np.testing.assert_array_equal(c, _groups_reference((6,), (3,)))
    if _SYCL:
        c[:] = 0
        with hetero.device(_SYCL[0]):
            add_item[6](a, a, c)
        assert add_item.last_backend == "sycl" and add_item.last_backend.device == _SYCL[0]
        np.testing.assert_array_equal(c, 2 * a)


def test_choice_is_logged_at_debug_level(caplog):
    from hetero.backends.select import choose as choose_backend

    with hetero.device("host"), caplog.at_level("DEBUG", logger="hetero.kernel"):
        choose_backend(add_item.py_func, (np.zeros(2),) * 3, forced="interpret").log("add_item")
    assert "kernel 'add_item' ran on the interpret back end: k.interpret[...] was asked for" in caplog.text


def test_workgroup_kernels_go_to_the_sycl_cpu_device_when_there_is_one(monkeypatch):
    from hetero.backends.select import choose as choose_backend

    monkeypatch.delenv("HETERO_KERNEL_BACKEND", raising=False)
    monkeypatch.setenv("HETERO_DEVICE", "host")
    c = choose_backend(uses_barrier.py_func, (np.zeros(4),))
    cpus = [d for d in _SYCL if d.kind == "cpu"]
    if cpus:
        assert c == "sycl" and c.device == cpus[0] and "barrier" in c.reason
    else:
        assert c == "host"  # and run_host raises the LaunchError tested above


@pytest.mark.skipif(not _SYCL, reason="no SYCL device on this machine")
def test_choice_with_device_arrays_or_a_sycl_default(monkeypatch):
    from hetero.backends.select import choose as choose_backend

    monkeypatch.delenv("HETERO_KERNEL_BACKEND", raising=False)
    dev = _SYCL[0]
    x = hetero.zeros(4, device=dev)
    c = choose_backend(add_item.py_func, (x, x, x))
    assert c == "sycl" and c.device is None  # the device arrays' own queue
    with hetero.device(dev):
        c = choose_backend(add_item.py_func, (np.zeros(4),) * 3)
    assert c == "sycl" and "copied in and back" in c.reason
    monkeypatch.setenv("HETERO_KERNEL_BACKEND", "host")
    with pytest.raises(LaunchError, match="device arrays"):
        choose_backend(add_item.py_func, (x, x, x))


# --- 9. without dpctl ----------------------------------------------------------------------------


def test_host_kernels_run_when_dpctl_is_not_importable(tmp_path):
    (tmp_path / "kern.py").write_text(
        textwrap.dedent(
            """
            import math
            from hetero.kernel_api import get_global_id, device_function

            @device_function
            def f(x):
                return math.sqrt(x) + get_global_id(1)

            def k(a, out):
                i, j = get_global_id(0), get_global_id(1)
                out[i, j] = f(a[i, j])

            def k_item(it, a, out):
                out[it] = a[it] * 2
            """
        )
    )
    code = textwrap.dedent(
        """
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in ('dpctl', 'dpnp'):
                    raise ImportError('blocked for the test: ' + name)
        sys.meta_path.insert(0, Block())
        import numpy as np
        import hetero
        from hetero.backends.host import run_host
        from hetero.backends.interpret import run_interpreted
        import kern
        assert not any(m.split('.')[0] in ('dpctl', 'dpnp') for m in sys.modules)
        a = np.arange(12.0).reshape(3, 4)
        out = np.zeros((3, 4))
        run_host(kern.k, (3, 4), (a, out))
        assert np.allclose(out, np.sqrt(a) + np.arange(4)), out
        out2 = np.zeros((3, 4))
        run_host(kern.k_item, hetero.kernel_api.NdRange((3, 4), (1, 2)), (a, out2))
        assert np.allclose(out2, 2 * a)
        out3 = np.zeros((3, 4))
        run_interpreted(kern.k, (3, 4), (a, out3))
        assert np.allclose(out3, out)
        print([d.filter_string for d in hetero.devices()], 'ok')
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HETERO_")}
    env["PYTHONPATH"] = f"{tmp_path}{os.pathsep}{os.getcwd()}"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("ok"), r.stdout
