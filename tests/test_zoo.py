"""The kernel zoo's work-group kernels against their NumPy references (issue 5), on every back end.

Sizes include ones that are not a multiple of the work-group size (the kernels
guard the extra work-items themselves), and several work-group sizes.

On a SYCL device the zoo's own drivers run (``wg_reduce.wg_sum``, ``wg_scan.wg_cumsum``, ...: they
allocate on the input's queue). On ``host`` and ``interpret`` the drivers below make the same
launches of the same kernels on NumPy arrays. The host back end has no work-group model: kernels
with barriers / local memory are checked to go to the SYCL CPU device and the test is skipped
(``naive_matmul`` and ``stencil5`` need no work-group features and run on the host). The
interpreter runs every work-item in Python: it gets the sizes up to ``INTERPRET_MAX``.
"""

from __future__ import annotations

import numpy as np
import pytest

from hetero.kernel_api import NdRange
from kernels import stencil2d, tiled_matmul, wg_histogram, wg_reduce, wg_scan
from tests._kernel_fixtures import backend  # noqa: F401

SIZES = [1, 7, 63, 64, 65, 1000, 4097, 100_003]
GROUPS = [16, 64, 256]
INTERPRET_MAX = 1_000  # elements per test case on the interpreter (pure Python; a barrier wakes every thread)


def too_big(backend, n):
    """Whether ``n`` elements are more than the interpreter gets (never on the other back ends)."""
    return backend.is_interpret and n > INTERPRET_MAX


# --- the zoo's drivers, on any back end ---------------------------------------------------------------


def _round_up(n, m):
    return max(1, -(-n // m)) * m


def zoo_sum(backend, x, group):
    """``wg_reduce.wg_sum`` on ``backend``: the sum of the NumPy array ``x``."""
    if backend.is_sycl:
        return wg_reduce.wg_sum(backend.put(x), group)
    while True:
        n = x.shape[0]
        ngroups = min(wg_reduce.MAX_GROUPS, max(1, -(-n // group)))
        partial = np.empty(ngroups, dtype=x.dtype)
        backend.launch(wg_reduce.wg_reduce_sum, NdRange(ngroups * group, group), x, partial, workgroup=True)
        if ngroups == 1:
            return partial[0]
        x = partial


def _cumsum(backend, x, group):
    n = x.shape[0]
    ngroups = max(1, -(-n // group))
    out = np.empty(n, dtype=x.dtype)
    sums = np.empty(ngroups, dtype=x.dtype)
    rng = NdRange(ngroups * group, group)
    backend.launch(wg_scan.wg_scan_block, rng, x, out, sums, workgroup=True)
    if ngroups > 1:
        backend.launch(wg_scan.wg_add_offsets, rng, out, _cumsum(backend, sums, group), workgroup=True)
    return out


def zoo_cumsum(backend, x, group):
    """``wg_scan.wg_cumsum`` on ``backend`` (a NumPy array)."""
    if backend.is_sycl:
        return backend.get(wg_scan.wg_cumsum(backend.put(x), group))
    return _cumsum(backend, x, group)


def zoo_histogram(backend, x, nbins, group):
    """``wg_histogram.histogram`` on ``backend`` (a NumPy array)."""
    if backend.is_sycl:
        return backend.get(wg_histogram.histogram(backend.put(x), nbins, group))
    hist = np.zeros(nbins, dtype=np.int32)
    ngroups = max(1, -(-x.shape[0] // group))
    backend.launch(wg_histogram.wg_histogram, NdRange(ngroups * group, group), x, hist, workgroup=True)
    return hist


def zoo_matmul(backend, a, b, tile, naive=False):
    """``tiled_matmul.matmul`` on ``backend`` (a NumPy array)."""
    if backend.is_sycl:
        return backend.get(tiled_matmul.matmul(backend.put(a), backend.put(b), tile, naive=naive))
    n, m = a.shape[0], b.shape[1]
    c = np.empty((n, m), dtype=a.dtype)
    rng = NdRange((_round_up(n, tile), _round_up(m, tile)), (tile, tile))
    k = tiled_matmul.naive_matmul if naive else tiled_matmul.TILES[tile]
    backend.launch(k, rng, a, b, c, workgroup=not naive)  # naive: private memory only
    return c


def zoo_stencil(backend, u, c0, c1, group):
    """``stencil2d.stencil_step`` on ``backend`` (a NumPy array)."""
    if backend.is_sycl:
        return backend.get(stencil2d.stencil_step(backend.put(u), c0, c1, group))
    out = np.empty_like(u)
    g = tuple(_round_up(s, l) for s, l in zip(u.shape, group))
    backend.launch(stencil2d.stencil5, NdRange(g, group), u, out, c0, c1)  # no work-group features
    return out


# --- the tests ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("dtype", ["int64", "float32"])
def test_wg_reduce(backend, group, dtype):
    rng = np.random.default_rng(group)
    for n in SIZES:
        x = (rng.integers(-100, 100, n) if dtype == "int64" else rng.random(n)).astype(dtype)
        if too_big(backend, n):
            continue  # drawn all the same: the other sizes get the same inputs as on the other back ends
        got = zoo_sum(backend, x, group)
        want = wg_reduce.wg_sum_numpy(x)
        if dtype == "int64":
            assert int(got) == int(want), (n, group)
        else:
            np.testing.assert_allclose(float(got), float(want), rtol=1e-4)


@pytest.mark.parametrize("group", GROUPS)
def test_wg_scan(backend, group):
    rng = np.random.default_rng(group)
    for n in SIZES:
        x = rng.integers(-1000, 1000, n).astype(np.int64)
        if too_big(backend, n):
            continue
        got = zoo_cumsum(backend, x, group)
        np.testing.assert_array_equal(got, wg_scan.wg_cumsum_numpy(x), err_msg=f"n={n}")


def test_wg_scan_float(backend):
    x = np.random.default_rng(1).random(backend.pick(5000, INTERPRET_MAX)).astype(np.float32)
    got = zoo_cumsum(backend, x, 128)
    np.testing.assert_allclose(got, np.cumsum(x.astype(np.float64)), rtol=1e-4)


@pytest.mark.parametrize("group", GROUPS)
def test_histogram(backend, group):
    rng = np.random.default_rng(group)
    for n, nbins in [(1, 4), (100, 10), (4097, 256), (100_003, 1000)]:
        x = rng.integers(-5, nbins + 5, n).astype(np.int32)
        if too_big(backend, n):
            continue
        got = zoo_histogram(backend, x, nbins, group)
        np.testing.assert_array_equal(got, wg_histogram.histogram_numpy(x, nbins), err_msg=f"n={n}")


def test_histogram_heavy_contention(backend):
    """Every work-item hits the same bin, locally and then globally: the count is exact."""
    n = backend.pick(200_000, INTERPRET_MAX)
    got = zoo_histogram(backend, np.full(n, 3, np.int32), 8, 256)
    np.testing.assert_array_equal(got, [0, 0, 0, n, 0, 0, 0, 0])


@pytest.mark.parametrize("tile", [4, 8, 16])
def test_tiled_matmul(backend, tile):
    rng = np.random.default_rng(tile)
    for n, k, m in [(1, 1, 1), (16, 16, 16), (37, 29, 41), (64, 100, 3), (130, 70, 50)]:
        a = rng.random((n, k), dtype=np.float32)
        b = rng.random((k, m), dtype=np.float32)
        if too_big(backend, n * m):
            continue
        got = zoo_matmul(backend, a, b, tile)
        np.testing.assert_allclose(got, tiled_matmul.matmul_numpy(a, b), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("naive", [True, False], ids=["naive", "tiled"])
def test_naive_matmul_and_float64(backend, naive):
    rng = np.random.default_rng(0)
    a = rng.random((33, 17))
    b = rng.random((17, 21))
    got = zoo_matmul(backend, a, b, 8, naive=naive)
    np.testing.assert_allclose(got, a @ b, rtol=1e-12)


@pytest.mark.parametrize("group", [(8, 8), (16, 4), (1, 32)])
def test_stencil(backend, group):
    rng = np.random.default_rng(sum(group))
    for shape in [(3, 3), (17, 33), (64, 64), (100, 7)]:
        u = rng.random(shape, dtype=np.float32)
        got = zoo_stencil(backend, u, 0.2, 0.2, group)
        np.testing.assert_allclose(got, stencil2d.stencil_numpy(u, 0.2, 0.2), rtol=1e-6, err_msg=f"{shape}")


def test_zoo_kernels_run_in_the_interpreter():
    """The in-kernel functions' Python meaning (barrier, local_array, atomics) runs each work-group
    as threads in the interpreter back end, with the same answers as NumPy."""
    from hetero.backends.interpret import run_interpreted

    x = np.arange(100, dtype=np.int64)
    part = np.zeros(4, np.int64)
    run_interpreted(wg_reduce.wg_reduce_sum.py_func, NdRange(128, 32), (x, part))
    assert part.sum() == x.sum()
    h = np.random.default_rng(0).integers(-1, 12, 300).astype(np.int32)
    hist = np.zeros(10, np.int32)
    run_interpreted(wg_histogram.wg_histogram.py_func, NdRange(320, 32), (h, hist))
    np.testing.assert_array_equal(hist, wg_histogram.histogram_numpy(h, 10))
    a = np.random.default_rng(1).random((9, 7)).astype(np.float32)
    b = np.random.default_rng(2).random((7, 5)).astype(np.float32)
    c = np.zeros((9, 5), np.float32)
    run_interpreted(tiled_matmul.TILES[4].py_func, NdRange((12, 8), (4, 4)), (a, b, c))
    np.testing.assert_allclose(c, a @ b, rtol=1e-5)
