"""Element-wise add of N = 2^24 float32: Python loop, numba njit, hetero.jit + prange, NumPy.

Medians of repeats, measured in one run; the Python loop is timed on a slice and extrapolated.
Run: .venv/bin/python benchmarks/prange_add.py
"""

from __future__ import annotations

import math
import os
import sys


import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import hetero  # noqa: E402  (first: it sets up the runtime and thread count)
import numba  # noqa: E402
from _util import median_time, table  # noqa: E402

N = 1 << 24


def py_add(a, b, c):
    for i in range(a.size):
        c[i] = a[i] + b[i]


@numba.njit
def njit_add(a, b, c):
    for i in range(a.size):
        c[i] = a[i] + b[i]


@hetero.jit
def prange_add(a, b, c):
    for i in hetero.prange(a.size):
        c[i] = a[i] + b[i]


# The add moves 12 bytes per 1 flop: one core can nearly saturate memory bandwidth, so the
# add alone understates what threads give. The same loop with real arithmetic shows scaling.
@numba.njit(fastmath=False)
def njit_heavy(a, b, c):
    for i in range(a.size):
        c[i] = math.sqrt(a[i] * a[i] + b[i]) * math.exp(-b[i]) + math.sin(a[i])


@hetero.jit
def prange_heavy(a, b, c):
    for i in hetero.prange(a.size):
        c[i] = math.sqrt(a[i] * a[i] + b[i]) * math.exp(-b[i]) + math.sin(a[i])


def main() -> None:
    rng = np.random.default_rng(0)
    a = rng.random(N, dtype=np.float32)
    b = rng.random(N, dtype=np.float32)
    c = np.empty_like(a)
    ref = a + b

    m = 1 << 16
    t_py = median_time(lambda: py_add(a[:m], b[:m], c[:m]), repeats=3) * (N / m)
    rows = [("python loop (extrapolated)", t_py)]
    for name, fn in [("numba njit (serial)", lambda: njit_add(a, b, c)),
                     ("hetero.jit + prange", lambda: prange_add(a, b, c)),
                     ("numpy a + b", lambda: np.add(a, b, out=c))]:
        c[:] = 0
        rows.append((name, median_time(fn, repeats=15, warmup=2)))
        np.testing.assert_array_equal(c, ref)
    print(f"N = 2^24 float32 add, {hetero.get_num_threads()} host threads, {os.cpu_count()} CPUs")
    print(table(rows, "numba njit (serial)", nbytes=3 * a.nbytes))
    t = dict(rows)
    add_ratio = t["numba njit (serial)"] / t["hetero.jit + prange"]

    heavy = []
    for name, fn in [("numba njit (serial)", njit_heavy), ("hetero.jit + prange", prange_heavy)]:
        heavy.append((name, median_time(lambda: fn(a, b, c), repeats=7, warmup=1)))
    np.testing.assert_allclose(c, np.sqrt(a * a + b) * np.exp(-b) + np.sin(a), rtol=1e-5)
    print("\nsame loop with sqrt/exp/sin per element (compute-bound):")
    print(table(heavy, "numba njit (serial)"))
    h = dict(heavy)
    print(f"\nprange vs serial njit: add {add_ratio:.2f}x (memory-bound), "
          f"sqrt/exp/sin {h['numba njit (serial)'] / h['hetero.jit + prange']:.2f}x (compute-bound)")


if __name__ == "__main__":
    main()
