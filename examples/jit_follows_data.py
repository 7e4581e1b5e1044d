"""One @hetero.jit function, run where its data lives: numba threads for NumPy data, kernels on a device.

    python examples/jit_follows_data.py [N]

`standardise` has three prange loops: two reductions (the mean, then the variance) and an element-wise
loop. Called with NumPy arrays it is numba's njit(parallel=True); called with device arrays each prange
loop runs as a kernel on their device (the reductions as device reductions) and the rest of the function
runs as Python in between. Both results are checked against NumPy.
"""

import math
import sys
import time

import numpy as np

import hetero


@hetero.jit
def standardise(x, out):
    """out = (x - mean) / std; returns (mean, std)."""
    n = x.size
    s = 0.0
    for i in hetero.prange(n):
        s += x[i]
    mean = s / n
    ss = 0.0
    for i in hetero.prange(n):
        ss += (x[i] - mean) * (x[i] - mean)
    std = math.sqrt(ss / n)
    for i in hetero.prange(n):
        out[i] = (x[i] - mean) / std
    return mean, std


def timed(fn, *args, repeats=5):
    t0 = time.perf_counter()
    result = fn(*args)  # the first call compiles (numba on the host, kernels for a device)
    first = time.perf_counter() - t0
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return result, first, best


def main(n: int) -> None:
    data = np.random.default_rng(0).normal(3.0, 2.0, n).astype(np.float32)
    expected = (data - data.mean(dtype=np.float64)) / data.std(dtype=np.float64)
    print(f"standardise {n:,} float32 values; expected mean {data.mean(dtype=np.float64):.4f}, "
          f"std {data.std(dtype=np.float64):.4f}")

    for device in sorted(hetero.devices(), key=lambda d: not d.is_host):  # the host first
        x = hetero.asarray(data, device=device)          # copy in (no copy for the host)
        out = hetero.empty_like(x)
        (mean, std), first, best = timed(standardise, x, out)
        where = hetero.device_of(out)
        ran = "numba threads" if device.is_host else "prange loops as kernels"
        ok = np.allclose(hetero.asnumpy(out), expected, atol=1e-4) and math.isclose(std, data.std(dtype=np.float64),
                                                                                     rel_tol=1e-6)
        print(f"  {device.filter_string:<14} {type(out).__module__.split('.')[0]:<6} {ran:<24} mean {mean:.4f} "
              f"std {std:.4f}  first call {first * 1e3:8.1f} ms, then {best * 1e3:7.2f} ms  "
              f"result {'ok' if ok and where == device else 'WRONG'}")

    sycl = [d for d in hetero.devices() if not d.is_host]
    if sycl:
        print("\nwhat runs on a device (standardise.inspect_device(), driver only):")
        driver = standardise.inspect_device().split("\n# prange loop")[0]
        print("\n".join("    " + line for line in driver.splitlines()[1:]))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 20)
