"""The kernel zoo's work-group kernels against their NumPy references (issue 5).

Sizes include ones that are not a multiple of the work-group size (the kernels
guard the extra work-items themselves), and several work-group sizes.
"""

from __future__ import annotations

import numpy as np
import pytest

from kernels import stencil2d, tiled_matmul, wg_histogram, wg_reduce, wg_scan
from tests._kernel_fixtures import back, device, to_dev  # noqa: F401

SIZES = [1, 7, 63, 64, 65, 1000, 4097, 100_003]
GROUPS = [16, 64, 256]


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("dtype", ["int64", "float32"])
def test_wg_reduce(device, group, dtype):
    rng = np.random.default_rng(group)
    for n in SIZES:
        x = (rng.integers(-100, 100, n) if dtype == "int64" else rng.random(n)).astype(dtype)
        got = wg_reduce.wg_sum(to_dev(x, device), group)
        want = wg_reduce.wg_sum_numpy(x)
        if dtype == "int64":
            assert int(got) == int(want), (n, group)
        else:
            np.testing.assert_allclose(float(got), float(want), rtol=1e-4)


@pytest.mark.parametrize("group", GROUPS)
def test_wg_scan(device, group):
    rng = np.random.default_rng(group)
    for n in SIZES:
        x = rng.integers(-1000, 1000, n).astype(np.int64)
        got = back(wg_scan.wg_cumsum(to_dev(x, device), group))
        np.testing.assert_array_equal(got, wg_scan.wg_cumsum_numpy(x), err_msg=f"n={n}")


def test_wg_scan_float(device):
    x = np.random.default_rng(1).random(5000).astype(np.float32)
    got = back(wg_scan.wg_cumsum(to_dev(x, device), 128))
    np.testing.assert_allclose(got, np.cumsum(x.astype(np.float64)), rtol=1e-4)


@pytest.mark.parametrize("group", GROUPS)
def test_histogram(device, group):
    rng = np.random.default_rng(group)
    for n, nbins in [(1, 4), (100, 10), (4097, 256), (100_003, 1000)]:
        x = rng.integers(-5, nbins + 5, n).astype(np.int32)
        got = back(wg_histogram.histogram(to_dev(x, device), nbins, group))
        np.testing.assert_array_equal(got, wg_histogram.histogram_numpy(x, nbins), err_msg=f"n={n}")


def test_histogram_heavy_contention(device):
    """Every work-item hits the same bin, locally and then globally: the count is exact."""
    n = 200_000
    got = back(wg_histogram.histogram(to_dev(np.full(n, 3, np.int32), device), 8, 256))
    np.testing.assert_array_equal(got, [0, 0, 0, n, 0, 0, 0, 0])


@pytest.mark.parametrize("tile", [4, 8, 16])
def test_tiled_matmul(device, tile):
    rng = np.random.default_rng(tile)
    for n, k, m in [(1, 1, 1), (16, 16, 16), (37, 29, 41), (64, 100, 3), (130, 70, 50)]:
        a = rng.random((n, k), dtype=np.float32)
        b = rng.random((k, m), dtype=np.float32)
        got = back(tiled_matmul.matmul(to_dev(a, device), to_dev(b, device), tile))
        np.testing.assert_allclose(got, tiled_matmul.matmul_numpy(a, b), rtol=1e-4, atol=1e-4)


def test_naive_matmul_and_float64(device):
    rng = np.random.default_rng(0)
    a = rng.random((33, 17))
    b = rng.random((17, 21))
    for naive in (True, False):
        got = back(tiled_matmul.matmul(to_dev(a, device), to_dev(b, device), 8, naive=naive))
        np.testing.assert_allclose(got, a @ b, rtol=1e-12)


@pytest.mark.parametrize("group", [(8, 8), (16, 4), (1, 32)])
def test_stencil(device, group):
    rng = np.random.default_rng(sum(group))
    for shape in [(3, 3), (17, 33), (64, 64), (100, 7)]:
        u = rng.random(shape, dtype=np.float32)
        got = back(stencil2d.stencil_step(to_dev(u, device), 0.2, 0.2, group))
        np.testing.assert_allclose(got, stencil2d.stencil_numpy(u, 0.2, 0.2), rtol=1e-6, err_msg=f"{shape}")


def test_zoo_kernels_run_in_the_interpreter():
    """The in-kernel functions' Python meaning (barrier, local_array, atomics) runs each work-group
    as threads in the interpreter back end, with the same answers as NumPy."""
    from hetero.backends.interpret import run_interpreted
    from hetero.kernel_api import NdRange

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
