"""hetero.compat.numba_dpex.dpjit: numba-dpex 0.23's ``@dpjit`` functions run with only the import changed.

``dpjit`` is ``hetero.jit``: each ``prange`` loop over device arrays is a kernel on their queue,
scalar accumulators are reductions, and dpnp calls between loops run on the device. These tests
check the behaviours numba-dpex 0.23's own dpjit tests (reductions, prange, dpnp creation inside
a dpjit function) rely on, written here in our own words.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import hetero
import hetero.compat.numba_dpex as dpex
from hetero.compat.numba_dpex import dpjit, prange

dpnp = pytest.importorskip("dpnp", reason="dpjit works on dpnp arrays and dpnp is not installed")

pytestmark = pytest.mark.skipif(
    not [d for d in hetero.devices() if not d.is_host],
    reason="dpjit runs prange loops on a SYCL device and this machine has none",
)

INT_FLOAT = ["int32", "int64", "float32", "float64"]


def _queue(sycl_device):
    return sycl_device.sycl_queue


def _other_queue(sycl_device):
    """A queue on the same device that is not dpnp's default one."""
    import dpctl

    q = dpctl.SyclQueue(sycl_device.sycl_queue.sycl_device)
    assert q != sycl_device.sycl_queue
    return q


def _need_dtype(sycl_device, dtype):
    if np.dtype(dtype) in (np.float64, np.complex128) and not sycl_device.has_fp64:
        pytest.skip(f"{sycl_device} has no fp64")


# --- the names numba-dpex's dpjit tests import ------------------------------------------------------


def test_public_names():
    import numba

    assert dpex.prange is numba.prange
    assert dpex.dpjit is dpjit
    assert dpex.config.TESTING_SKIP_NO_DEBUGGING in (0, 1)
    for name in ("dpjit", "prange", "config"):
        assert name in dpex.__all__


# --- reductions ----------------------------------------------------------------------------------


@dpjit
def sum_and_diff(a, b):
    s = a.dtype.type(0)
    t = a.dtype.type(0)
    for i in prange(a.shape[0]):
        s += a[i] + b[i]
    for i in prange(a.shape[0]):
        t -= a[i] - b[i]
    return s + t


@dpjit
def dot(a, b):
    t = a.dtype.type(0)
    for i in prange(a.shape[0]):
        t += a[i] * b[i]
    return t


@dpjit
def product(a):
    p = a.dtype.type(1)
    for i in prange(a.shape[0]):
        p *= a[i]
    return p


@dpjit
def smallest(a):
    m = a[0]
    for i in prange(a.shape[0]):
        m = min(m, a[i])
    return m


@dpjit
def largest(a):
    m = a[0]
    for i in prange(a.shape[0]):
        m = max(a[i], m)
    return m


@dpjit
def stats(a):
    s = 0.0
    lo = a[0]
    hi = a[0]
    for i in prange(a.shape[0]):
        s += a[i]
        lo = min(lo, a[i])
        hi = max(hi, a[i])
    return s, lo, hi


@pytest.mark.parametrize("dtype", INT_FLOAT)
def test_sum_reductions(sycl_device, dtype):
    _need_dtype(sycl_device, dtype)
    q = _queue(sycl_device)
    a = dpnp.arange(10, dtype=dtype, sycl_queue=q)
    b = dpnp.ones(10, dtype=dtype, sycl_queue=q)
    # s = sum(a + b) = 55, t = -sum(a - b) = -35
    assert sum_and_diff(a, b) == 20
    assert dot(a, b) == 45


@pytest.mark.parametrize("dtype", INT_FLOAT)
def test_product_reduction(sycl_device, dtype):
    _need_dtype(sycl_device, dtype)
    a = dpnp.arange(1, 11, dtype=dtype, sycl_queue=_queue(sycl_device))
    assert product(a) == 3628800


@pytest.mark.parametrize("dtype", INT_FLOAT)
def test_min_max_reductions(sycl_device, dtype):
    _need_dtype(sycl_device, dtype)
    x = np.random.default_rng(3).permutation(1000).astype(dtype) - 500
    a = dpnp.asarray(x, sycl_queue=_queue(sycl_device))
    assert smallest(a) == x.min()
    assert largest(a) == x.max()


def test_several_reductions_in_one_loop(sycl_device):
    x = np.random.default_rng(4).random(5000)
    if not sycl_device.has_fp64:
        x = x.astype(np.float32)
    s, lo, hi = stats(dpnp.asarray(x, sycl_queue=_queue(sycl_device)))
    assert s == pytest.approx(x.sum(), rel=1e-5)
    assert lo == x.min() and hi == x.max()


def test_reduction_of_an_empty_range_is_the_initial_value(sycl_device):
    a = dpnp.zeros(0, dtype="int64", sycl_queue=_queue(sycl_device))
    assert dot(a, a) == 0
    assert product(a) == 1


# --- prange in 1, 2 and 3 dimensions -----------------------------------------------------------


@dpjit
def scale_1d(a, b, k):
    for i in prange(a.shape[0]):
        b[i] = a[i] * k


@dpjit
def every_other(a, b):
    for i in prange(1, a.shape[0], 2):
        b[i] = a[i] + 100


@dpjit
def add_2d(a, b, c):
    m, n = a.shape
    for i in prange(m):
        for j in prange(n):
            c[i, j] = a[i, j] + b[i, j] * 10


@dpjit
def index_3d(out):
    m, n, o = out.shape
    for i in prange(m):
        for j in prange(n):
            for k in prange(o):
                out[i, j, k] = i * 100 + j * 10 + k


@dpjit
def row_sums(a, out):
    for i in prange(a.shape[0]):
        s = 0.0
        for j in range(a.shape[1]):  # a sequential loop inside a work-item
            s += a[i, j]
        out[i] = s


@dpjit
def two_loops(a, b, c, d):
    for i in prange(a.shape[0]):
        c[i] = a[i] + b[i]
    for i in prange(a.shape[0]):
        d[i] = c[i] - b[i] * 2


def test_prange_1d(sycl_device):
    q = _queue(sycl_device)
    a = dpnp.arange(1000, dtype="float32", sycl_queue=q)
    b = dpnp.empty_like(a)
    scale_1d(a, b, np.float32(3))
    np.testing.assert_array_equal(dpnp.asnumpy(b), np.arange(1000, dtype=np.float32) * 3)


def test_prange_with_start_and_step(sycl_device):
    a = dpnp.arange(11, dtype="int64", sycl_queue=_queue(sycl_device))
    b = dpnp.zeros_like(a)
    every_other(a, b)
    want = np.zeros(11, np.int64)
    want[1::2] = np.arange(11)[1::2] + 100
    np.testing.assert_array_equal(dpnp.asnumpy(b), want)


def test_prange_2d(sycl_device):
    q = _queue(sycl_device)
    x = np.arange(35, dtype=np.int32).reshape(5, 7)
    a, b = dpnp.asarray(x, sycl_queue=q), dpnp.asarray(x * 2, sycl_queue=q)
    c = dpnp.empty_like(a)
    add_2d(a, b, c)
    np.testing.assert_array_equal(dpnp.asnumpy(c), x + x * 20)
    assert "2-D" in add_2d.inspect_device()


def test_prange_3d(sycl_device):
    out = dpnp.zeros((4, 5, 6), dtype="int64", sycl_queue=_queue(sycl_device))
    index_3d(out)
    i, j, k = np.indices((4, 5, 6))
    np.testing.assert_array_equal(dpnp.asnumpy(out), i * 100 + j * 10 + k)
    assert "3-D" in index_3d.inspect_device()


def test_prange_with_an_inner_sequential_loop(sycl_device):
    x = np.random.default_rng(5).random((50, 9)).astype(np.float32)
    out = dpnp.empty(50, dtype="float32", sycl_queue=_queue(sycl_device))
    row_sums(dpnp.asarray(x, sycl_queue=_queue(sycl_device)), out)
    np.testing.assert_allclose(dpnp.asnumpy(out), x.sum(axis=1), rtol=1e-5)


def test_consecutive_prange_loops(sycl_device):
    q = _queue(sycl_device)
    a = dpnp.ones(10, dtype="float32", sycl_queue=q)
    b = dpnp.ones(10, dtype="float32", sycl_queue=q)
    c, d = dpnp.zeros_like(a), dpnp.zeros_like(a)
    two_loops(a, b, c, d)
    np.testing.assert_array_equal(dpnp.asnumpy(c), np.full(10, 2.0))
    np.testing.assert_array_equal(dpnp.asnumpy(d), np.zeros(10))


def test_complex_arrays_and_scalars(sycl_device):
    _need_dtype(sycl_device, "complex64")
    a = dpnp.ones(64, dtype="complex64", sycl_queue=_queue(sycl_device))
    b = dpnp.empty_like(a)
    scale_1d(a, b, np.complex64(2 + 1j))
    np.testing.assert_allclose(dpnp.asnumpy(b), np.full(64, 2 + 1j))


def test_usm_ndarray_arguments(sycl_device):
    from dpnp import tensor as dpt

    q = _queue(sycl_device)
    a = dpt.asarray(np.arange(8, dtype=np.int64), sycl_queue=q)
    b = dpt.empty(8, dtype="i8", sycl_queue=q)
    scale_1d(a, b, 5)
    np.testing.assert_array_equal(dpt.asnumpy(b), np.arange(8) * 5)


# --- dpnp creation inside a dpjit function ----------------------------------------------------


@dpjit
def like_family(x):
    e = dpnp.empty_like(x)
    z = dpnp.zeros_like(x)
    o = dpnp.ones_like(x, dtype=dpnp.int32)
    f = dpnp.full_like(x, 7)
    for i in prange(x.shape[0]):
        e[i] = x[i] + z[i] + o[i] + f[i]
    return e, z, o, f


@dpjit
def ones_plus(x):
    y = dpnp.ones(x.shape[0], dtype=dpnp.float32)
    for i in prange(x.shape[0]):
        y[i] += x[i]
    return y


@dpjit
def allocate(n):
    e = dpnp.empty(n)
    o = dpnp.ones((n, 2), dtype=dpnp.int64)
    z = dpnp.zeros(n, dtype=dpnp.float32)
    f = dpnp.full(n, 3, dtype=dpnp.int32)
    return e, o, z, f


@dpjit
def allocate_on(n, queue):
    y = dpnp.empty(n, dtype=dpnp.int64, sycl_queue=queue)
    for i in prange(n):
        y[i] = i * i
    return y


@dpjit
def allocate_with_queue_of(a):
    return dpnp.zeros(10, dtype=a.dtype, sycl_queue=a.sycl_queue)


def test_like_functions_follow_the_input(sycl_device):
    for q in (_queue(sycl_device), _other_queue(sycl_device)):
        x = dpnp.arange(6, dtype="float32", sycl_queue=q)
        e, z, o, f = like_family(x)
        for arr in (e, z, o, f):
            assert isinstance(arr, dpnp.ndarray)
            assert arr.sycl_queue == q and arr.shape == (6,)
        assert o.dtype == np.int32 and e.dtype == z.dtype == f.dtype == np.float32
        np.testing.assert_array_equal(dpnp.asnumpy(e), np.arange(6) + 8)
        np.testing.assert_array_equal(dpnp.asnumpy(z), np.zeros(6))
        np.testing.assert_array_equal(dpnp.asnumpy(f), np.full(6, 7))


def test_creation_with_dtype_on_the_inputs_queue(sycl_device):
    q = _queue(sycl_device)
    y = ones_plus(dpnp.arange(5, dtype="float32", sycl_queue=q))
    assert isinstance(y, dpnp.ndarray) and y.dtype == np.float32 and y.sycl_queue == q
    np.testing.assert_array_equal(dpnp.asnumpy(y), np.arange(5) + 1)


def test_creation_on_a_non_default_input_queue(sycl_device):
    q = _other_queue(sycl_device)
    y = ones_plus(dpnp.arange(5, dtype="float32", sycl_queue=q))
    assert y.sycl_queue == q


def test_creation_without_array_arguments_uses_the_default_device(sycl_device):
    default = dpnp.empty(1).sycl_queue
    e, o, z, f = allocate(4)
    for arr in (e, o, z, f):
        assert isinstance(arr, dpnp.ndarray) and arr.sycl_queue == default
    assert e.dtype == dpnp.empty(1).dtype and o.shape == (4, 2) and o.dtype == np.int64
    assert z.dtype == np.float32 and f.dtype == np.int32
    np.testing.assert_array_equal(dpnp.asnumpy(o), np.ones((4, 2)))
    np.testing.assert_array_equal(dpnp.asnumpy(f), np.full(4, 3))


@pytest.mark.parametrize("usm_type", ["device", "shared", "host"])
def test_creation_keywords_pass_through(sycl_device, usm_type):
    @dpjit
    def make(shape):
        return dpnp.full(shape, 2.5, dtype=dpnp.float32, usm_type=usm_type, device=sycl_device.filter_string)

    c = make((2, 3))
    assert c.usm_type == usm_type and c.sycl_device == sycl_device.sycl_queue.sycl_device
    np.testing.assert_array_equal(dpnp.asnumpy(c), np.full((2, 3), 2.5))


def test_a_queue_argument_places_a_scalar_only_call(sycl_device):
    q = _other_queue(sycl_device)
    y = allocate_on(6, q)
    assert y.sycl_queue == q
    np.testing.assert_array_equal(dpnp.asnumpy(y), np.arange(6) ** 2)


def test_queue_of_an_argument(sycl_device):
    a = dpnp.ones(3, dtype="int32", sycl_queue=_other_queue(sycl_device))
    b = allocate_with_queue_of(a)
    assert b.sycl_queue == a.sycl_queue and b.dtype == np.int32


def test_returned_slices_and_in_place_writes(sycl_device):
    @dpjit
    def middle(a):
        return a[1:5]

    @dpjit
    def copy_block(a, b):
        b[:, :, 0] = a

    a = dpnp.arange(10, sycl_queue=_queue(sycl_device))
    m = middle(a)
    assert isinstance(m, dpnp.ndarray)
    np.testing.assert_array_equal(dpnp.asnumpy(m), np.arange(1, 5))
    x = dpnp.arange(64, dtype="int64", sycl_queue=_queue(sycl_device)).reshape(4, 16)
    y = dpnp.zeros((4, 16, 4), dtype="int64", sycl_queue=_queue(sycl_device))
    copy_block(x, y)
    np.testing.assert_array_equal(dpnp.asnumpy(y)[:, :, 0], np.arange(64).reshape(4, 16))


def test_numpy_arguments_run_on_the_host():
    a = np.arange(10.0)
    b = np.empty_like(a)
    scale_1d(a, b, 2.0)
    np.testing.assert_array_equal(b, np.arange(10.0) * 2)
    assert dot(a, a) == (np.arange(10.0) ** 2).sum()

    @dpjit
    def ones_like(x):
        return dpnp.ones_like(x)

    with pytest.raises(Exception):  # dpnp does not exist on the host (as in numba-dpex)
        ones_like(np.ones(3))


# --- nested functions, nested calls and options -------------------------------------------------


def test_nested_function_reads_enclosing_variables(sycl_device):
    factor = 3
    dtype = dpnp.int64

    @dpjit
    def fill(n):
        out = dpnp.empty(n, dtype=dtype)
        for i in prange(n):
            out[i] = i * factor + m
        return out

    m = 1  # assigned after the def, before the call: read when first run
    got = fill(5)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(dpnp.asnumpy(got), np.arange(5) * 3 + 1)


def test_dpjit_calling_dpjit(sycl_device):
    @dpjit
    def inner(a, b):
        for i in prange(4):
            b[i, 0] = a[i, 0] * 10

    @dpjit
    def outer(a, b):
        return inner(a, b)

    a = dpnp.ones((8, 8), sycl_queue=_queue(sycl_device))
    b = dpnp.ones((8, 8), sycl_queue=_queue(sycl_device))
    outer(a, b)
    got = dpnp.asnumpy(b)
    np.testing.assert_array_equal(got[:4, 0], 10)
    np.testing.assert_array_equal(got[4:, 0], 1)


def test_options_as_numba_dpex():
    def f(a):
        return a

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = dpjit(nopython=True, parallel=False, cache=False)(f)
    assert g.options["parallel"] is True and "nopython" not in g.options and g.options["cache"] is False
    with pytest.warns(RuntimeWarning, match="nopython is set for dpjit and is ignored"):
        dpjit(nopython=False)(f)
    with pytest.warns(RuntimeWarning, match="forceobj is set for dpjit and is ignored"):
        g = dpjit(f, forceobj=True)
    assert "forceobj" not in g.options
    with pytest.raises(TypeError, match="signatures"):
        dpjit("int64(int64)")
    from hetero.offload import JitFunction

    assert isinstance(dpjit(f), JitFunction)


@dpjit
def triangle(n):
    s = 0
    for i in prange(n):
        s += i
    return s


def test_scalar_only_calls_follow_a_device_scope(sycl_device):
    with hetero.device("host"):
        assert triangle(100) == 4950  # numba on the host
        assert triangle.signatures  # the host dispatcher compiled it
    with hetero.device(sycl_device):
        assert triangle(101) == 5050
    assert "reduction" in triangle.inspect_device()
