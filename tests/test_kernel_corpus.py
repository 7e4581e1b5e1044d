"""A corpus of kernels, each checked against NumPy on every kernel back end (each SYCL device, host, interpret).

Both kernel styles (OpenCL style with get_global_id, item style with the
work-item first), every dtype, 1-3 D ranges, C / F / strided / offset views,
device functions, math, loops, branches, tuples, scalars.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from tests._kernel_fixtures import assert_close, backend, run  # noqa: F401

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

ALL_DTYPES = [
    "bool",
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "float32",
    "float64",
    "complex64",
    "complex128",
]


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


# --- 1. element-wise, both styles, every dtype ---------------------------------------------


@kernel
def add_opencl(a, b, c):
    i = get_global_id(0)
    c[i] = a[i] + b[i]


@kernel
def add_item(i, a, b, c):
    c[i] = a[i] + b[i]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("k", [add_opencl, add_item], ids=["opencl", "item"])
def test_add_every_dtype(backend, k, dtype):
    n = 37
    a, b = sample(n, dtype, 1), sample(n, dtype, 2)
    c = np.zeros(n, dtype)
    run(backend, k, n, a, b, c)
    want = a | b if dtype == "bool" else (a + b).astype(dtype)
    assert_close(c, want)


@kernel
def affine(i, a, out, alpha, beta):
    out[i] = alpha * a[i] + beta


@pytest.mark.parametrize("dtype", ["int32", "uint64", "float32", "float64", "complex64", "complex128"])
def test_scalar_arguments(backend, dtype):
    a = sample(20, dtype)
    out = np.zeros(20, dtype)
    alpha = np.dtype(dtype).type(3)
    run(backend, affine, 20, a, out, alpha, 2)
    assert_close(out, (alpha * a + 2).astype(dtype))


@kernel
def bool_scalar(i, a, flag, out):
    if flag:
        out[i] = a[i]
    else:
        out[i] = -a[i]


def test_bool_scalar_argument(backend):
    a = sample(8, "float64")
    out = np.zeros(8)
    run(backend, bool_scalar, 8, a, True, out)
    assert_close(out, a)
    run(backend, bool_scalar, 8, a, False, out)
    assert_close(out, -a)


@kernel
def big_uint(i, out, v):
    out[i] = v + np.uint64(i.get_id(0))


def test_uint64_large_values(backend):
    v = np.uint64(2**63 + 5)
    out = np.zeros(4, np.uint64)
    run(backend, big_uint, 4, out, v)
    np.testing.assert_array_equal(out, v + np.arange(4, dtype=np.uint64))


# --- 2. multi-dimensional ranges ----------------------------------------------------------


@kernel
def add2d_opencl(a, b, c):
    i = get_global_id(0)
    j = get_global_id(1)
    c[i, j] = a[i, j] + 10 * b[i, j]


@kernel
def add2d_item(it, a, b, c):
    c[it] = a[it] + 10 * b[it]


@kernel
def add3d_opencl(a, c):
    i = get_global_id(0)
    j = get_global_id(1)
    k = get_global_id(2)
    c[i, j, k] = a[i, j, k] * 2 + i * 100 + j * 10 + k


@kernel
def add3d_item(it, a, c):
    c[it] = a[it] * 2 + it.get_id(0) * 100 + it.get_id(1) * 10 + it.get_id(2)


@pytest.mark.parametrize("k", [add2d_opencl, add2d_item], ids=["opencl", "item"])
def test_2d_non_square(backend, k):
    a, b = sample((5, 7), "float64", 1), sample((5, 7), "float64", 2)
    c = np.zeros((5, 7))
    run(backend, k, (5, 7), a, b, c)
    assert_close(c, a + 10 * b)


@pytest.mark.parametrize("k", [add3d_opencl, add3d_item], ids=["opencl", "item"])
def test_3d(backend, k):
    a = sample((3, 4, 5), "int64")
    c = np.zeros((3, 4, 5), np.int64)
    run(backend, k, Range(3, 4, 5), a, c)
    i, j, kk = np.indices((3, 4, 5))
    assert_close(c, a * 2 + i * 100 + j * 10 + kk)


@kernel
def ids_2d(it, out):
    out[it.get_id(0), it.get_id(1), 0] = it.get_linear_id()
    out[it.get_id(0), it.get_id(1), 1] = it.get_range(0) * 1000 + it.get_range(1)
    out[it.get_id(0), it.get_id(1), 2] = get_global_size(0) * 1000 + get_global_size(1)
    out[it.get_id(0), it.get_id(1), 3] = get_work_dim() + it.ndim * 10


def test_item_queries(backend):
    got = np.zeros((4, 6, 4), np.int64)
    run(backend, ids_2d, (4, 6), got)
    np.testing.assert_array_equal(got[:, :, 0], np.arange(24).reshape(4, 6))
    assert (got[:, :, 1] == 4006).all() and (got[:, :, 2] == 4006).all()
    assert (got[:, :, 3] == 22).all()


@kernel
def nd_queries(it, out):
    g0 = it.get_global_id(0)
    g1 = it.get_global_id(1)
    out[g0, g1, 0] = it.get_local_id(0) * 10 + it.get_local_id(1)
    out[g0, g1, 1] = it.get_group_id(0) * 10 + it.get_group_id(1)
    out[g0, g1, 2] = it.get_local_range(0) * 10 + it.get_local_range(1)
    out[g0, g1, 3] = it.get_group_range(0) * 10 + it.get_group_range(1)
    out[g0, g1, 4] = it.get_local_linear_id()
    out[g0, g1, 5] = it.get_global_linear_id()


@kernel
def nd_queries_opencl(out):
    g0 = get_global_id(0)
    g1 = get_global_id(1)
    out[g0, g1, 0] = get_local_id(0) * 10 + get_local_id(1)
    out[g0, g1, 1] = get_group_id(0) * 10 + get_group_id(1)
    out[g0, g1, 2] = get_local_size(0) * 10 + get_local_size(1)
    out[g0, g1, 3] = get_num_groups(0) * 10 + get_num_groups(1)
    out[g0, g1, 4] = get_local_id(0) * get_local_size(1) + get_local_id(1)
    out[g0, g1, 5] = g0 * get_global_size(1) + g1


@pytest.mark.parametrize("k", [nd_queries, nd_queries_opencl], ids=["nditem", "opencl"])
@pytest.mark.parametrize("how", ["NdRange", "global,local"])
def test_ndrange_queries(backend, k, how):
    got = np.zeros((4, 6, 6), np.int64)
    rng = NdRange((4, 6), (2, 3)) if how == "NdRange" else ((4, 6), (2, 3))
    run(backend, k, rng, got)
    i, j = np.indices((4, 6))
    np.testing.assert_array_equal(got[:, :, 0], (i % 2) * 10 + j % 3)
    np.testing.assert_array_equal(got[:, :, 1], (i // 2) * 10 + j // 3)
    assert (got[:, :, 2] == 23).all() and (got[:, :, 3] == 22).all()
    np.testing.assert_array_equal(got[:, :, 4], (i % 2) * 3 + j % 3)
    np.testing.assert_array_equal(got[:, :, 5], i * 6 + j)


# --- 3. layouts: F order, strided, offset, negative strides -------------------------------


@kernel
def scale2d(it, a, out):
    out[it] = a[it] * 3 + 1


@pytest.mark.parametrize(
    "view",
    ["C", "F", "strided", "offset", "negative", "transposed"],
)
def test_layouts(backend, view):
    base = sample((8, 12), "float32")
    dbase = backend.put(base)
    if view == "C":
        a, ref = dbase, base
    elif view == "F":
        ref = np.asfortranarray(base)
        a = backend.put(ref, order="F")
        assert a.flags.f_contiguous
    elif view == "strided":
        a, ref = dbase[::2, ::3], base[::2, ::3]
    elif view == "offset":
        a, ref = dbase[3:, 5:], base[3:, 5:]
    elif view == "negative":
        a, ref = dbase[::-1, 10:1:-2], base[::-1, 10:1:-2]
    else:
        a, ref = dbase.T, base.T
    outbase = backend.zeros((20, 40), np.float32)
    out = outbase[1 : 1 + ref.shape[0], 2 : 2 + 2 * ref.shape[1] : 2]
    backend.launch(scale2d, ref.shape, a, out)
    want = np.zeros((20, 40), np.float32)
    want[1 : 1 + ref.shape[0], 2 : 2 + 2 * ref.shape[1] : 2] = ref * 3 + 1
    assert_close(backend.get(outbase), want)


@kernel
def copy1d(i, a, b):
    b[i] = a[i]


def test_1d_offset_and_step(backend):
    a = sample(50, "int16")
    da = backend.put(a)
    db = backend.zeros(50, np.int16)
    backend.launch(copy1d, 10, da[7:47:4], db[::-5])
    want = np.zeros(50, np.int16)
    want[::-5] = a[7:47:4]
    assert_close(backend.get(db), want)


# --- 4. zero-size ranges ---------------------------------------------------------------------


def test_zero_size_ranges(backend):
    a = backend.zeros(0, np.float32)
    backend.launch(add_item, 0, a, a, a)
    backend.launch(add_opencl, Range(0), a, a, a)
    z = backend.zeros((0, 3), np.float32)
    backend.launch(add2d_item, (0, 3), z, z, z)
    ev = backend.submit(add_item, 0, a, a, a)
    ev.wait()
    assert ev.is_complete


# --- 5. device functions, loops, branches, tuples, while ------------------------------------


@device_function
def square(x):
    return x * x


@device_function
def sum_of_squares(x, y):
    return square(x) + square(y)


@device_function
def minmax(x, y):
    if x < y:
        return x, y
    return y, x


@device_function
def my_id():
    return get_global_id(0)


@kernel
def uses_device_functions(a, b, out, lo, hi):
    i = my_id()
    out[i] = sum_of_squares(a[i], b[i])
    m, mm = minmax(a[i], b[i])
    lo[i] = m
    hi[i] = mm


def test_device_functions(backend):
    a, b = sample(16, "float64", 1), sample(16, "float64", 2)
    out, lo, hi = (np.zeros(16) for _ in range(3))
    run(backend, uses_device_functions, 16, a, b, out, lo, hi)
    assert_close(out, a * a + b * b)
    assert_close(lo, np.minimum(a, b))
    assert_close(hi, np.maximum(a, b))
    assert square(3) == 9  # plain Python from host code


@kernel
def row_sums(i, m, out):
    s = 0
    for j in range(m.shape[1]):
        if m[i, j] % 2 == 0:
            s += m[i, j]
        elif m[i, j] > 40:
            continue
        else:
            s -= 1
    out[i] = s


def test_loops_and_branches(backend):
    m = sample((9, 13), "int32")
    out = np.zeros(9, np.int64)
    run(backend, row_sums, 9, m, out)
    want = np.array([sum(v if v % 2 == 0 else (0 if v > 40 else -1) for v in row) for row in m])
    assert_close(out, want)


@kernel
def collatz_steps(i, start, out):
    x = start[i]
    n = 0
    while x != 1 and n < 1000:
        if x % 2 == 0:
            x = x // 2
        else:
            x = 3 * x + 1
        n += 1
    out[i] = n


def test_while_loop(backend):
    start = np.arange(1, 33, dtype=np.int64)
    out = np.zeros(32, np.int64)
    run(backend, collatz_steps, 32, start, out)

    def steps(x):
        n = 0
        while x != 1:
            x = x // 2 if x % 2 == 0 else 3 * x + 1
            n += 1
        return n

    assert_close(out, [steps(int(s)) for s in start])


@kernel
def tuples_and_shape(i, a, out):
    shape = a.shape
    pair = (a[i, 0], a[i, shape[1] - 1])
    first, last = pair
    out[i, 0] = first + last
    out[i, 1] = a.size + a.ndim * 1000
    out[i, 2] = len(a)


def test_tuples_shape_size_ndim(backend):
    a = sample((6, 5), "float64")
    got = np.zeros((6, 3))
    run(backend, tuples_and_shape, 6, a, got)
    assert_close(got[:, 0], a[:, 0] + a[:, -1])
    assert (got[:, 1] == 30 + 2000).all() and (got[:, 2] == 6).all()


@kernel
def stencil(i, a, out):
    n = a.shape[0]
    if i == 0 or i == n - 1:
        out[i] = a[i]
    else:
        out[i] = (a[i - 1] + a[i] + a[i + 1]) / 3


def test_stencil_with_neighbours(backend):
    a = sample(40, "float32")
    out = np.zeros(40, np.float32)
    run(backend, stencil, 40, a, out)
    want = a.copy()
    want[1:-1] = (a[:-2] + a[1:-1] + a[2:]) / 3
    assert_close(out, want)


@kernel
def matmul(it, a, b, c):
    i = it.get_id(0)
    j = it.get_id(1)
    acc = 0.0
    for k in range(a.shape[1]):
        acc += a[i, k] * b[k, j]
    c[i, j] = acc


def test_matmul(backend):
    a, b = sample((7, 9), "float64", 1), sample((9, 5), "float64", 2)
    c = np.zeros((7, 5))
    run(backend, matmul, (7, 5), a, b, c)
    assert_close(c, a @ b)


@kernel
def int_ops(i, a, b, out):
    x = a[i]
    y = b[i]
    out[i, 0] = x // y
    out[i, 1] = x % y
    out[i, 2] = (x << 2) ^ (y >> 1)
    out[i, 3] = (x & y) | (~x & 7)
    out[i, 4] = min(x, y) - max(x, y)
    out[i, 5] = abs(x - 25)
    out[i, 6] = x ** 2


def test_integer_operators(backend):
    a = sample(30, "int64", 1)
    b = sample(30, "int64", 2) + 1
    out = np.zeros((30, 7), np.int64)
    run(backend, int_ops, 30, a, b, out)
    want = np.stack(
        [a // b, a % b, (a << 2) ^ (b >> 1), (a & b) | (~a & 7), np.minimum(a, b) - np.maximum(a, b), abs(a - 25), a**2],
        axis=1,
    )
    assert_close(out, want)


@kernel
def compare_ops(i, a, b, out):
    out[i, 0] = a[i] < b[i]
    out[i, 1] = a[i] >= b[i]
    out[i, 2] = a[i] == b[i] or a[i] > 1.0
    out[i, 3] = not (a[i] != b[i])


def test_comparisons_to_bool_array(backend):
    a, b = sample(25, "float32", 1), sample(25, "float32", 2)
    b[:5] = a[:5]
    out = np.zeros((25, 4), bool)
    run(backend, compare_ops, 25, a, b, out)
    want = np.stack([a < b, a >= b, (a == b) | (a > 1.0), a == b], axis=1)
    assert_close(out, want)


@kernel
def complex_ops(i, z, w, out):
    out[i, 0] = z[i] * w[i]
    out[i, 1] = z[i] / w[i]
    out[i, 2] = z[i].conjugate() + z[i].real - 1j * w[i].imag
    out[i, 3] = abs(z[i])


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_arithmetic(backend, dtype):
    z, w = sample(12, dtype, 1), sample(12, dtype, 2)
    out = np.zeros((12, 4), dtype)
    run(backend, complex_ops, 12, z, w, out)
    want = np.stack([z * w, z / w, z.conj() + z.real - 1j * w.imag, abs(z)], axis=1).astype(dtype)
    assert_close(out, want)


@kernel
def mixed_types(i, a8, b32, c, out):
    out[i] = a8[i] + b32[i] * c[i] + 0.5


def test_mixed_dtype_promotion(backend):
    a8, b32, c = sample(10, "int8"), sample(10, "int32"), sample(10, "float32")
    out = np.zeros(10)
    run(backend, mixed_types, 10, a8, b32, c, out)
    assert_close(out, a8.astype(np.float64) + b32 * c.astype(np.float64) + 0.5)


# --- 6. math ----------------------------------------------------------------------------------


@kernel
def math_unary(i, x, out):
    v = x[i]
    out[i, 0] = math.sin(v) + math.cos(v) + math.tan(v)
    out[i, 1] = math.exp(v) + math.log(v) + math.log2(v) + math.log10(v)
    out[i, 2] = math.sqrt(v) + math.atan(v) + math.asin(v / 4) + math.acos(v / 4)
    out[i, 3] = math.sinh(v) + math.cosh(v) + math.tanh(v)
    out[i, 4] = math.expm1(v) + math.log1p(v) + math.erf(v) + math.erfc(v)
    out[i, 5] = math.gamma(v) + math.lgamma(v)
    out[i, 6] = math.floor(v * 3) + math.ceil(v * 3) + math.trunc(-v * 3) + math.fabs(-v)
    out[i, 7] = math.pow(v, 1.5) + math.atan2(v, 2.0) + math.hypot(v, 2.0) + math.copysign(v, -1.0)
    out[i, 8] = v**2 + v**0.5 + v**-1 + np.fmod(v * 7, 2.5)
    out[i, 9] = math.isnan(v) + 2 * math.isinf(v / 0.0) + 4 * math.isfinite(v)


def _math_ref(x):
    import scipy.special as sp

    return np.stack(
        [
            np.sin(x) + np.cos(x) + np.tan(x),
            np.exp(x) + np.log(x) + np.log2(x) + np.log10(x),
            np.sqrt(x) + np.arctan(x) + np.arcsin(x / 4) + np.arccos(x / 4),
            np.sinh(x) + np.cosh(x) + np.tanh(x),
            np.expm1(x) + np.log1p(x) + sp.erf(x) + sp.erfc(x),
            sp.gamma(x) + sp.gammaln(x),
            np.floor(x * 3) + np.ceil(x * 3) + np.trunc(-x * 3) + np.abs(x),
            np.power(x, 1.5) + np.arctan2(x, 2.0) + np.hypot(x, 2.0) - x,
            x**2 + x**0.5 + 1 / x + np.fmod(x * 7, 2.5),
            np.full_like(x, 2 + 4),
        ],
        axis=1,
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_math_functions(backend, dtype):
    x = np.linspace(0.1, 3.5, 24).astype(dtype)
    got = np.zeros((24, 10), dtype)
    with np.errstate(divide="ignore"):
        run(backend, math_unary, 24, x, got)
    want = _math_ref(x.astype(np.float64))
    tol = 2e-4 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@kernel
def numpy_scalar_funcs(i, x, out):
    v = x[i]
    out[i, 0] = np.sin(v) + np.cos(v) + np.exp(v) + np.log(v)
    out[i, 1] = np.sqrt(v) + np.arctan2(v, 1.5) + np.hypot(v, 1.0) + np.cbrt(v)
    out[i, 2] = np.maximum(v, 1.0) + np.minimum(v, 1.0) + np.floor(v) + np.exp2(v)
    out[i, 3] = np.abs(-v) + np.fabs(-v) + np.tanh(v) + np.arcsinh(v)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numpy_scalar_functions(backend, dtype):
    x = np.linspace(0.1, 3.0, 16).astype(dtype)
    out = np.zeros((16, 4), dtype)
    run(backend, numpy_scalar_funcs, 16, x, out)
    v = x.astype(np.float64)
    want = np.stack(
        [
            np.sin(v) + np.cos(v) + np.exp(v) + np.log(v),
            np.sqrt(v) + np.arctan2(v, 1.5) + np.hypot(v, 1.0) + np.cbrt(v),
            np.maximum(v, 1.0) + np.minimum(v, 1.0) + np.floor(v) + np.exp2(v),
            2 * v + np.tanh(v) + np.arcsinh(v),
        ],
        axis=1,
    )
    tol = 2e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(out, want, rtol=tol, atol=tol)


@kernel
def math_on_ints(i, a, out):
    out[i] = math.sqrt(a[i]) + math.exp(a[i] % 3)


def test_math_on_integer_arguments(backend):
    a = np.arange(10, dtype=np.int32)
    out = np.zeros(10)
    run(backend, math_on_ints, 10, a, out)
    assert_close(out, np.sqrt(a) + np.exp(a % 3))


@kernel
def saxpy(i, a, x, y):
    y[i] = a * x[i] + y[i]


def test_saxpy_in_place(backend):
    x, y = sample(100, "float32", 1), sample(100, "float32", 2)
    dy = y.copy()
    run(backend, saxpy, 100, np.float32(2.5), x, dy)
    assert_close(dy, np.float32(2.5) * x + y)


@kernel
def reverse_rows(it, a, out):
    i = it.get_id(0)
    j = it.get_id(1)
    out[i, a.shape[1] - 1 - j] = a[i, j]


def test_reverse_rows(backend):
    a = sample((5, 8), "uint16")
    out = np.zeros((5, 8), np.uint16)
    run(backend, reverse_rows, (5, 8), a, out)
    assert_close(out, a[:, ::-1])


@kernel
def where_kernel(i, cond, a, b, out):
    out[i] = a[i] if cond[i] else b[i]


def test_conditional_expression_with_bool_array(backend):
    cond = sample(30, "bool")
    a, b = sample(30, "float64", 1), sample(30, "float64", 2)
    out = np.zeros(30)
    run(backend, where_kernel, 30, cond, a, b, out)
    assert_close(out, np.where(cond, a, b))


@kernel
def zero_d_and_index_arith(i, scalar_box, out):
    out[i * 2] = scalar_box[0] + i
    out[i * 2 + 1] = -scalar_box[0]


def test_index_arithmetic(backend):
    box = np.array([7.5])
    out = np.zeros(10)
    run(backend, zero_d_and_index_arith, 5, box, out)
    want = np.zeros(10)
    want[0::2] = 7.5 + np.arange(5)
    want[1::2] = -7.5
    assert_close(out, want)


# --- 7. numba extensions: a generic @overload compiles for every target ---------------------------


def clamp(x, lo, hi):
    return min(max(x, lo), hi)


def _register_clamp_overload():
    from numba.extending import overload

    @overload(clamp)
    def _ol_clamp(x, lo, hi):
        def impl(x, lo, hi):
            return min(max(x, lo), hi)

        return impl


_register_clamp_overload()


@kernel
def truthiness_and_overload(i, a, out):
    v = a[i]
    if v:
        out[i] = clamp(v, -1.0, 1.0)
    else:
        out[i] = 42.0


def test_user_overload_and_float_truthiness(backend):
    a = np.array([0.0, 3.0, -5.0, 0.5])
    out = np.zeros(4)
    run(backend, truthiness_and_overload, 4, a, out)
    assert_close(out, [42.0, 1.0, -1.0, 0.5])
