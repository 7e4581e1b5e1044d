"""The zoo's work-group kernels against dpnp / NumPy on opencl:cpu (or HETERO_DEVICE), in one run.

* reduction: ``kernels.wg_reduce.wg_sum`` vs ``dpnp.sum`` (float32, N = 2^24)
* matmul: ``kernels.tiled_matmul`` (tile 16) vs the naive kernel vs ``dpnp.matmul`` (float32, 512^2)
* histogram: ``kernels.wg_histogram`` (local then global atomics) vs ``numpy.bincount`` /
  ``numpy.histogram`` on the host and ``dpnp.histogram`` (int32 values in 256 bins, N = 2^22)
* scan: ``kernels.wg_scan.wg_cumsum`` vs ``dpnp.cumsum`` (int64, N = 2^22)

Medians of repeats; device work is waited for inside each timing.

Run: .venv/bin/python benchmarks/zoo_sycl.py [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import hetero  # noqa: E402,F401  (first: sets up the OpenCL CPU driver)
import numpy as np  # noqa: E402

from benchmarks._util import median_time, table  # noqa: E402
from kernels import tiled_matmul, wg_histogram, wg_reduce, wg_scan  # noqa: E402


def _sync(x):
    x.sycl_queue.wait()
    return x


def main():
    import dpnp

    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args()
    r = args.repeats
    rng = np.random.default_rng(0)
    print(f"device: {dpnp.empty(1).sycl_device.filter_string}")

    n = 1 << 24
    x = dpnp.asarray(rng.random(n, dtype=np.float32))
    rows = [
        ("dpnp.sum", median_time(lambda: float(dpnp.sum(x)), r)),
        ("wg_sum (group 256)", median_time(lambda: float(wg_reduce.wg_sum(x, 256)), r)),
        ("wg_sum (group 64)", median_time(lambda: float(wg_reduce.wg_sum(x, 64)), r)),
    ]
    print(f"\nreduction, float32, N = 2^24\n{table(rows, 'dpnp.sum', nbytes=4 * n)}")

    m = 512
    a = dpnp.asarray(rng.random((m, m), dtype=np.float32))
    b = dpnp.asarray(rng.random((m, m), dtype=np.float32))
    rows = [
        ("dpnp.matmul", median_time(lambda: _sync(dpnp.matmul(a, b)), r)),
        ("tiled_matmul (16x16)", median_time(lambda: _sync(tiled_matmul.matmul(a, b, 16)), r)),
        ("naive_matmul", median_time(lambda: _sync(tiled_matmul.matmul(a, b, 16, naive=True)), r)),
    ]
    print(f"\nmatmul, float32, {m}x{m}\n{table(rows, 'dpnp.matmul')}")

    n = 1 << 22
    hx = rng.integers(0, 256, n).astype(np.int32)
    dx = dpnp.asarray(hx)
    dxf = dpnp.asarray(hx.astype(np.float32))
    rows = [
        ("numpy.bincount", median_time(lambda: np.bincount(hx, minlength=256), r)),
        ("numpy.histogram", median_time(lambda: np.histogram(hx, bins=256, range=(0, 256)), r)),
        ("dpnp.histogram", median_time(lambda: _sync(dpnp.histogram(dxf, bins=256, range=(0, 256))[0]), r)),
        ("wg_histogram (group 256)", median_time(lambda: _sync(wg_histogram.histogram(dx, 256, 256)), r)),
    ]
    print(f"\nhistogram, int32 values, 256 bins, N = 2^22\n{table(rows, 'numpy.histogram')}")

    sx = dpnp.asarray(rng.integers(0, 100, n).astype(np.int64))
    rows = [
        ("dpnp.cumsum", median_time(lambda: _sync(dpnp.cumsum(sx)), r)),
        ("wg_cumsum (group 256)", median_time(lambda: _sync(wg_scan.wg_cumsum(sx, 256)), r)),
    ]
    print(f"\ninclusive scan, int64, N = 2^22\n{table(rows, 'dpnp.cumsum')}")


if __name__ == "__main__":
    main()
