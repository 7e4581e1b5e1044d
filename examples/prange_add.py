"""The same element-wise add three ways: a Python loop, numba's njit, and hetero.jit with prange.

    python examples/prange_add.py [N]

Prints each version's time, its speed-up over the Python loop, and the number of host threads
(set it with HETERO_NUM_THREADS). Every result is checked against NumPy.
"""

import sys
import time

import hetero  # import first: it sets up the runtime and the host thread count
import numba
import numpy as np


def add_python(a, b, c):
    for i in range(a.size):
        c[i] = a[i] + b[i]


@numba.njit
def add_njit(a, b, c):
    for i in range(a.size):
        c[i] = a[i] + b[i]


@hetero.jit  # njit(parallel=True, cache=True): the prange loop is split across threads
def add_prange(a, b, c):
    for i in hetero.prange(a.size):
        c[i] = a[i] + b[i]


def best_of(fn, *args, repeats=5):
    fn(*args)  # the first call compiles
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best


def main(n: int) -> None:
    a = np.random.default_rng(0).random(n, dtype=np.float32)
    b = np.ones(n, dtype=np.float32)
    expected = a + b
    print(f"c = a + b for n = {n:,} float32, {hetero.get_num_threads()} host threads")

    timings = {}
    for name, fn in [("Python loop", add_python), ("numba njit", add_njit), ("hetero.jit + prange", add_prange)]:
        c = np.zeros_like(a)
        timings[name] = best_of(fn, a, b, c, repeats=1 if fn is add_python else 5)
        assert np.array_equal(c, expected), f"{name} gave a wrong result"
        speedup = timings["Python loop"] / timings[name]
        print(f"  {name:<22} {timings[name] * 1e3:10.2f} ms   {speedup:8.1f}x the Python loop")
    print(f"  prange over njit: {timings['numba njit'] / timings['hetero.jit + prange']:.2f}x; results match NumPy")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 20)
