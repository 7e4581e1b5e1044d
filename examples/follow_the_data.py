"""Compute follows data: move arrays to each device, compute there, and catch a mixed-device mistake.

    python examples/follow_the_data.py

The code that computes never names a device: `hetero.namespace(x, y)` returns the array module that owns
the data (dpnp for device arrays, NumPy for host ones), so the same lines run on every device.
"""

import numpy as np

import hetero


def normalise_rows(x):
    """Scale each row of x to unit length, wherever x lives."""
    xp = hetero.namespace(x)
    norms = xp.sqrt(xp.sum(x * x, axis=1, keepdims=True))
    return x / norms


def main() -> None:
    data = np.random.default_rng(1).standard_normal((1000, 64)).astype(np.float32)
    expected = data / np.linalg.norm(data, axis=1, keepdims=True)

    for device in hetero.devices():
        x = hetero.asarray(data, device=device)       # copy in (no copy for the host)
        y = normalise_rows(x)                          # runs on `device`
        assert hetero.device_of(y) == device
        ok = np.allclose(hetero.asnumpy(y), expected, atol=1e-5)
        print(f"{device.filter_string:<16} {type(y).__module__.split('.')[0]:<6} result {'ok' if ok else 'WRONG'}")

    sycl = [d for d in hetero.devices() if not d.is_host]
    if sycl:
        on_device = hetero.asarray(data, device=sycl[0])
        try:
            hetero.namespace(on_device, data)      # a device array with a NumPy array: which device?
        except hetero.PlacementError as exc:       # never an implicit copy: hetero says why and how to fix it
            print(f"\nmixing devices is refused:\n  {type(exc).__name__}: {exc}")
        fixed = hetero.namespace(on_device, hetero.to_device(data, hetero.device_of(on_device)))
        print(f"after hetero.to_device(...): computing with {fixed.__name__}")

    with hetero.device("host"):                        # a scoped default device
        print(f"\ninside `with hetero.device('host')`: asarray gives {type(hetero.asarray([1, 2])).__name__}")


if __name__ == "__main__":
    main()
