"""An item-style 2-D kernel on strided views: blend every other row of one image into another.

    python examples/kernel_2d.py

The kernel's first parameter is the work-item; it indexes the 2-D arrays
directly (``out[it]``) and answers ``it.get_id(d)``. The arrays are views with
steps, an offset and a transpose: no copies are made, the kernel reads and
writes them in place. Runs on every SYCL device and checks against NumPy.
"""

import sys

import hetero  # import first
import numpy as np



@hetero.kernel
def blend(it, src, dst, alpha):
    i = it.get_id(0)
    j = it.get_id(1)
    edge = i == 0 or j == 0
    dst[it] = dst[it] if edge else alpha * src[it] + (1 - alpha) * dst[it]


def main() -> int:
    rng = np.random.default_rng(0)
    src = rng.random((400, 300))
    dst = rng.random((300, 500))
    alpha = 0.25
    want = dst.copy()
    s, d = src[1::2, ::-1].T, want[:, 100:300]  # (300, 200) views: stepped, reversed, transposed, offset
    inner = (slice(1, None), slice(1, None))
    d[inner] = alpha * s[inner] + (1 - alpha) * d[inner]
    # every device (the host too: NumPy arrays, the host back end), then the interpreter
    for dev in hetero.devices() + ["interpreter"]:
        if dev == "interpreter":
            out = dst.copy()
            sv, dv = src[1::2, ::-1].T, out[:, 100:300]
            blend.interpret[sv.shape](sv, dv, alpha)
            name = "interpreter"
        else:
            with hetero.device(dev):
                dsrc, out = hetero.asarray(src), hetero.asarray(dst, copy=True)  # keep dst for the next run
                sv, dv = dsrc[1::2, ::-1].T, out[:, 100:300]
                blend[sv.shape](sv, dv, alpha)
            name = dev.filter_string
        ok = np.allclose(hetero.asnumpy(out), want)
        print(f"{name:<16} {blend.last_backend.backend:<9} blend on views {sv.shape}: {'ok' if ok else 'WRONG'}")
        if not ok:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
