"""``python -m hetero demo``: hetero's main job, run on every device."""

from __future__ import annotations

import time

import numpy as np

import hetero


def _follow_the_data(dev: hetero.Device, a_host: np.ndarray, b_host: np.ndarray) -> tuple[bool, float]:
    """Move a, b to ``dev``, compute there with the namespace the data picks, check against NumPy."""
    t0 = time.perf_counter()
    a = hetero.asarray(a_host, device=dev)
    b = hetero.asarray(b_host, device=dev)
    xp = hetero.namespace(a, b)          # dpnp for device arrays, numpy for host arrays
    c = xp.sqrt(a * a + b * b)           # runs where a and b live
    total = xp.sum(c)
    assert hetero.device_of(c) == dev
    result = float(total)
    elapsed = time.perf_counter() - t0
    expected = float(np.sum(np.sqrt(a_host * a_host + b_host * b_host)))
    ok = abs(result - expected) <= 1e-3 * abs(expected)
    return ok, elapsed


@hetero.kernel
def _saxpy(i, alpha, x, y, out):
    # item style: `i` is the work-item, usable directly as an index
    out[i] = alpha * x[i] + y[i]


def _kernel_everywhere(devs: list[hetero.Device], x_host: np.ndarray, y_host: np.ndarray) -> int:
    """One kernel source on every back end: SYCL devices, the host, the interpreter.

    Returns the number of wrong results (each checked against NumPy and the others)."""
    failures = 0
    expected = np.float32(2.5) * x_host + y_host
    results = {}
    for d in devs:
        t0 = time.perf_counter()
        with hetero.device(d):  # NumPy data runs on the default device: make it d
            x, y = hetero.asarray(x_host), hetero.asarray(y_host)
            out = hetero.empty_like(x)
            _saxpy[x.shape[0]](np.float32(2.5), x, y, out)   # runs where x lives (SYCL queue, or host threads)
        results[d.filter_string] = (hetero.asnumpy(out), time.perf_counter() - t0, _saxpy.last_backend)
    m = 4096  # the interpreter runs work-item by work-item in Python: a slice is enough
    out = np.empty(m, np.float32)
    t0 = time.perf_counter()
    _saxpy.interpret[m](np.float32(2.5), x_host[:m], y_host[:m], out)
    results["interpreter"] = (out, time.perf_counter() - t0, _saxpy.last_backend)
    for where, (res, secs, backend) in results.items():
        n = res.shape[0]
        ok = np.allclose(res, expected[:n], rtol=1e-6)
        failures += not ok
        print(f"  {where:<16} {'ok' if ok else 'WRONG':<5} {secs * 1e3:8.1f} ms  {backend.backend} back end, "
              f"n={n} (first launch compiles)")
    first = [r for w, (r, _, _) in results.items() if w != "interpreter"]
    if any(not np.array_equal(first[0], r) for r in first[1:]):
        print("  back ends disagree bit for bit (allowed within rounding)")
    return failures


def _mixed_device_mistake(devs: list[hetero.Device]) -> None:
    sycl = [d for d in devs if not d.is_host]
    if not sycl:
        print("  (no SYCL device: the mixed-device check needs one)")
        return
    x = hetero.ones(4, device=sycl[0])
    y = np.ones(4)
    try:
        hetero.namespace(x, y)
    except hetero.PlacementError as exc:
        print(f"  caught as intended: PlacementError: {str(exc)[:160]}...")
    else:  # pragma: no cover - would be a bug
        raise AssertionError("mixing a device array with a NumPy array was not caught")


def run() -> int:
    devs = hetero.devices()
    default, why = hetero._device.default_device_reason()
    print("hetero demo\n\ndevices:")
    for d in devs:
        print(f"  {'*' if d == default else ' '} {d.filter_string:<16} {d.kind:<6} {d.name}")
    print(f"default: {default.filter_string} ({why})\n")

    rng = np.random.default_rng(0)
    n = 1 << 20
    a = rng.standard_normal(n, dtype=np.float32)
    b = rng.standard_normal(n, dtype=np.float32)
    print(f"follow the data: sum(sqrt(a*a + b*b)) for n={n} float32, on each device:")
    failures = 0
    for d in devs:
        ok, secs = _follow_the_data(d, a, b)
        failures += not ok
        print(f"  {d.filter_string:<16} {'ok' if ok else 'WRONG':<5} {secs * 1e3:8.1f} ms (incl. transfer)")
    print("\none @hetero.kernel (saxpy) everywhere: SPIR-V on each SYCL device, native host threads, the interpreter:")
    failures += _kernel_everywhere(devs, a, b)

    print("\nmixing devices is an error, never an implicit copy:")
    _mixed_device_mistake(devs)

    print()
    from hetero.ml._demo import run_demo

    failures += not run_demo(devs)
    print("\nall results match their references (NumPy, stock scikit-learn)" if not failures else f"\n{failures} device(s) gave wrong results")
    return 0 if not failures else 1
