"""The article's OpenCL-style kernel: c[i] = a[i] + b[i], on every SYCL device.

    python examples/kernel_add.py [N]

Each device gets its own copy of the data (compute follows data: the kernel runs
where its arrays live); every result is checked against NumPy.
"""

import sys
import time

import hetero  # import first: it points the SYCL runtime at the OpenCL CPU driver
import numpy as np


@hetero.kernel
def add(a, b, c):
    i = hetero.get_global_id(0)
    c[i] = a[i] + b[i]


def main(n: int) -> int:
    devices = [d for d in hetero.devices() if not d.is_host]
    if not devices:
        print("no SYCL device found; see `python -m hetero devices`")
        return 1
    a = np.random.default_rng(0).random(n, dtype=np.float32)
    b = np.random.default_rng(1).random(n, dtype=np.float32)
    for dev in devices:
        da = hetero.asarray(a, device=dev)
        db = hetero.asarray(b, device=dev)
        dc = hetero.empty_like(da)
        t0 = time.perf_counter()
        add[n](da, db, dc)  # returns at once; dpnp work on dc waits for it
        c = hetero.asnumpy(dc)
        dt = time.perf_counter() - t0
        ok = np.array_equal(c, a + b)
        print(f"{dev.filter_string:<22} {dev.name:<40} {'ok' if ok else 'WRONG'}  ({dt * 1e3:.1f} ms incl. compile)")
        if not ok:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 20))
