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
    a = np.random.default_rng(0).random(n, dtype=np.float32)
    b = np.random.default_rng(1).random(n, dtype=np.float32)
    for dev in hetero.devices():  # every SYCL device, then the host (NumPy arrays, native threads)
        da = hetero.asarray(a, device=dev)
        db = hetero.asarray(b, device=dev)
        dc = hetero.empty_like(da)
        t0 = time.perf_counter()
        with hetero.device(dev):  # NumPy arguments run on the default device
            add[n](da, db, dc)    # on a SYCL device: returns at once; dpnp work on dc waits for it
        c = hetero.asnumpy(dc)
        dt = time.perf_counter() - t0
        ok = np.array_equal(c, a + b)
        print(f"{dev.filter_string:<14} {add.last_backend.backend:<6} {dev.name:<30} {'ok' if ok else 'WRONG'}  "
              f"({dt * 1e3:.1f} ms incl. compile)")
        if not ok:
            return 1
    m = min(n, 2000)  # the interpreter runs the same source as plain Python, work-item by work-item
    c = np.zeros(m, np.float32)
    add.interpret[m](a[:m], b[:m], c)
    ok = np.array_equal(c, a[:m] + b[:m])
    print(f"{'interpreter':<14} {'python':<6} {'(first ' + str(m) + ' elements)':<30} {'ok' if ok else 'WRONG'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 20))
