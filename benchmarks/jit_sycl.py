"""``@hetero.jit`` + ``prange`` on device data against hand-written kernels and dpnp, on opencl:cpu.

Medians of repeats, all in one run; the variants of each section are interleaved within each
repeat (rotating order) and the ratios are medians of per-repeat ratios, so that load drifting on
a shared machine hits all of them alike. Device work is waited for inside each timing.

(a) Black-Scholes (``kernels/black_scholes.py``: its ``make_inputs``, its ``@kernel`` and the same
    pricing as a jit function with one ``prange`` loop, ``black_scholes_prange``), the jit function
    against the hand-written kernel on the same dpnp arrays (target: jit >= 0.9x the kernel);
(b) N = 2^24 float32 ``c = a + b``, jit + prange against a ``@hetero.kernel`` add (target >= 0.9x);
(c) sum of 2^24 float32, jit ``s += a[i]`` in a prange loop against ``dpnp.sum`` (target >= 0.9x);
(d) first call (split + compile + load) of the jit functions on device data in a fresh process
    with an empty ``HETERO_CACHE_DIR``, then with that cache warm, and the warm in-process call;
(e) the same jit functions on NumPy arrays (numba ``parallel=True`` on the host), for reference.

Sections (a)-(c) also time diagnostic variants: a jit loop whose bounds do not start at 0
(``prange(1, n)``), a hand-written add that computes its index from run-time bounds
(``i = start + w * step``, what made ``prange(1, n)`` slow before small bounds were compiled in), a
float32 accumulator, and the zoo's
work-group reduction ``kernels.wg_reduce.wg_sum``.

Run: .venv/bin/python benchmarks/jit_sycl.py [--repeats N] [--n-log2 K] [--bs-log2 K]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import hetero  # noqa: E402  (first: sets up the OpenCL CPU driver)
import numpy as np  # noqa: E402
from hetero.kernel_api import kernel  # noqa: E402

from kernels.black_scholes import black_scholes, black_scholes_numpy, black_scholes_prange, make_inputs  # noqa: E402



# --- the jit functions: the same source runs on the host (numba) and on a device ---------------


@hetero.jit
def add_jit(a, b, c):
    for i in hetero.prange(a.size):
        c[i] = a[i] + b[i]


@hetero.jit
def sum_jit(a):
    s = 0.0  # a float64 accumulator, as numba's host reduction has
    for i in hetero.prange(a.size):
        s += a[i]
    return s


@hetero.jit
def sum32_jit(a):
    s = np.float32(0.0)  # a float32 accumulator
    for i in hetero.prange(a.size):
        s += a[i]
    return s


# --- hand-written kernels: the baselines, and diagnostics ---------------------------------------


@hetero.jit
def add_from_1_jit(a, b, c):
    for i in hetero.prange(1, a.size):  # bounds not starting at 0: the general loop kernel
        c[i] = a[i] + b[i]


@kernel
def add_kernel(i, a, b, c):
    c[i] = a[i] + b[i]


@kernel
def add_kernel_jit_index(w, start, step, a, b, c):
    """The add with the index a jit loop kernel computes: ``i = start + w * step``."""
    i = start + w * step
    c[i] = a[i] + b[i]



# --- timing ---------------------------------------------------------------------------------


def interleaved(variants: dict, repeats: int) -> dict:
    """Per-variant lists of seconds, run in rotating order within each repeat (after a warm-up)."""
    names = list(variants)
    for fn in variants.values():
        fn()
    times = {k: [] for k in names}
    for r in range(repeats):
        for k in names[r % len(names):] + names[: r % len(names)]:
            t0 = time.perf_counter()
            variants[k]()
            times[k].append(time.perf_counter() - t0)
    return times


def paired(samples, slow, fast) -> float:
    """Median over repeats of samples[slow] / samples[fast]."""
    return statistics.median(a / b for a, b in zip(samples[slow], samples[fast]))


def report(title, samples, baseline, nbytes=None, target=None, subject=None):
    med = {k: statistics.median(v) for k, v in samples.items()}
    print(f"\n{title}")
    head = f"    {'variant':<40} {'median':>10} {'vs ' + baseline:>22}"
    print(head + ("   bandwidth" if nbytes else ""))
    for k, t in med.items():
        ratio = paired(samples, baseline, k)
        line = f"    {k:<40} {t * 1e3:7.2f} ms {ratio:21.2f}x"
        if nbytes and k in nbytes:
            line += f"   {nbytes[k] / t / 1e9:6.1f} GB/s"
        print(line)
    if target is not None:
        r = paired(samples, baseline, subject)
        verdict = "met" if r >= target else "MISSED"
        print(f"    {subject} vs {baseline}: {r:.2f}x (target >= {target}x: {verdict})")
    return med


def synced(q, fn):
    def run():
        out = fn()
        q.wait()
        return out

    return run


# --- sections -------------------------------------------------------------------------------


def bs_section(dpnp, q, n, repeats, host_rows):
    price, strike, t, rate, vol = make_inputs(n, dtype=np.float32)
    ref_call, ref_put = black_scholes_numpy(price, strike, t, rate, vol)
    d = [dpnp.asarray(x, sycl_queue=q) for x in (price, strike, t)]
    call, put = dpnp.empty_like(d[0]), dpnp.empty_like(d[0])
    samples = interleaved({
        "@kernel black_scholes (zoo)": synced(q, lambda: black_scholes[n](*d, rate, vol, call, put)),
        "jit + prange": synced(q, lambda: black_scholes_prange(*d, rate, vol, call, put)),
    }, repeats)
    np.testing.assert_allclose(dpnp.asnumpy(call), ref_call, rtol=1e-4, atol=1e-4)
    black_scholes_prange(*d, rate, vol, call, put)
    np.testing.assert_allclose(dpnp.asnumpy(call), ref_call, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dpnp.asnumpy(put), ref_put, rtol=1e-4, atol=1e-4)
    report(f"(a) Black-Scholes, N = 2^{int(math.log2(n))} float32 options, medians of {repeats}", samples,
           "@kernel black_scholes (zoo)", target=0.9, subject="jit + prange")
    hc, hp = np.empty_like(price), np.empty_like(price)
    host_rows["Black-Scholes"] = interleaved({
        "jit on NumPy (numba)": lambda: black_scholes_prange(price, strike, t, rate, vol, hc, hp),
        "NumPy/SciPy reference": lambda: black_scholes_numpy(price, strike, t, rate, vol),
    }, max(3, repeats // 3))
    np.testing.assert_allclose(hc, ref_call, rtol=1e-4, atol=1e-4)


def add_section(dpnp, q, n, repeats, host_rows):
    rng = np.random.default_rng(0)
    ha, hb = rng.random(n, dtype=np.float32), rng.random(n, dtype=np.float32)
    a, b = dpnp.asarray(ha, sycl_queue=q), dpnp.asarray(hb, sycl_queue=q)
    c = dpnp.empty_like(a)
    samples = interleaved({
        "@kernel add": synced(q, lambda: add_kernel[n](a, b, c)),
        "jit + prange": synced(q, lambda: add_jit(a, b, c)),
        "jit + prange(1, n)": synced(q, lambda: add_from_1_jit(a, b, c)),
        "@kernel, index start+w*step": synced(q, lambda: add_kernel_jit_index[n](0, 1, a, b, c)),
        "dpnp.add(out=)": synced(q, lambda: dpnp.add(a, b, out=c)),
    }, repeats)
    add_jit(a, b, c)
    np.testing.assert_array_equal(dpnp.asnumpy(c), ha + hb)
    report(f"(b) c = a + b, N = 2^{int(math.log2(n))} float32, medians of {repeats}", samples, "@kernel add",
           nbytes={k: 12 * n for k in samples}, target=0.9, subject="jit + prange")
    hc = np.empty_like(ha)
    host_rows["add"] = interleaved({
        "jit on NumPy (numba)": lambda: add_jit(ha, hb, hc),
        "NumPy a + b (out=)": lambda: np.add(ha, hb, out=hc),
    }, repeats)
    np.testing.assert_array_equal(hc, ha + hb)


def sum_section(dpnp, q, n, repeats, host_rows):
    from kernels.wg_reduce import wg_sum

    rng = np.random.default_rng(1)
    ha = rng.random(n, dtype=np.float32)
    a = dpnp.asarray(ha, sycl_queue=q)
    expected = float(np.sum(ha, dtype=np.float64))
    samples = interleaved({
        "dpnp.sum": lambda: float(dpnp.sum(a)),
        "jit + prange s += a[i]": lambda: sum_jit(a),
        "jit, float32 accumulator": lambda: sum32_jit(a),
        "dpnp.sum(dtype=float64)": lambda: float(dpnp.sum(a, dtype=np.float64)),
        "zoo wg_sum (work-group tree)": lambda: float(wg_sum(a, 64)),
    }, repeats)
    got, got32 = sum_jit(a), sum32_jit(a)
    assert abs(got - expected) <= 1e-9 * expected, (got, expected)
    assert abs(got32 - expected) <= 1e-4 * expected, (got32, expected)
    report(f"(c) sum of N = 2^{int(math.log2(n))} float32, medians of {repeats} (result {got:.6g}, "
           f"float64 accumulator)", samples, "dpnp.sum", target=0.9, subject="jit + prange s += a[i]")
    host_rows["sum"] = interleaved({
        "jit on NumPy (numba)": lambda: sum_jit(ha),
        "np.sum": lambda: float(np.sum(ha)),
    }, repeats)
    assert abs(sum_jit(ha) - expected) <= 1e-9 * expected


def host_section(host_rows):
    print(f"\n(e) the same jit functions on NumPy arrays: numba parallel=True, {hetero.get_num_threads()} host threads")
    for what, samples in host_rows.items():
        base = [k for k in samples if not k.startswith("jit")][0]
        for k, v in samples.items():
            print(f"    {what:<14} {k:<24} {statistics.median(v) * 1e3:8.2f} ms {paired(samples, base, k):6.2f}x {base}")


# --- (d) first calls, in fresh processes --------------------------------------------------------


def _loop_kernels(jit_fn):
    """The hetero kernels a jit function's loops have made so far (for where their binaries came from)."""
    out = []
    for lp in jit_fn.device_split().loops:
        out += list(lp._kernels.values())
    return out


def child_first_calls(n):
    """Run in a fresh process: time each jit function's first and second call, on device then host."""
    import dpnp

    out = {}
    q = hetero.select_device(os.environ.get("HETERO_DEVICE") or "opencl:cpu").sycl_queue
    price, strike, t, rate, vol = make_inputs(n, dtype=np.float32)
    d = [dpnp.asarray(x, sycl_queue=q) for x in (price, strike, t)]
    c1, c2 = dpnp.empty_like(d[0]), dpnp.empty_like(d[0])
    q.wait()
    calls = {
        "black_scholes_prange": lambda: black_scholes_prange(*d, rate, vol, c1, c2),
        "add_jit": lambda: add_jit(d[0], d[1], c1),
        "sum_jit": lambda: sum_jit(d[0]),
    }
    for name, fn in calls.items():
        t0 = time.perf_counter()
        fn()
        q.wait()
        t1 = time.perf_counter()
        fn()
        q.wait()
        t2 = time.perf_counter()
        srcs = [src for k in _loop_kernels(globals()[name]) for src in k.cache_info().values()]
        out[f"device {name}"] = (t1 - t0, t2 - t1, ",".join(srcs))
    h = [price, strike, t]
    hc1, hc2 = np.empty_like(price), np.empty_like(price)
    host_calls = {
        "black_scholes_prange": lambda: black_scholes_prange(*h, rate, vol, hc1, hc2),
        "add_jit": lambda: add_jit(price, strike, hc1),
        "sum_jit": lambda: sum_jit(price),
    }
    for name, fn in host_calls.items():
        t0 = time.perf_counter()
        fn()
        t1 = time.perf_counter()
        fn()
        t2 = time.perf_counter()
        out[f"host {name}"] = (t1 - t0, t2 - t1, "")
    print("RESULT " + json.dumps(out))


def first_call_section(repeats, n=1 << 16):
    runs = {"cold": [], "warm": []}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, HETERO_CACHE_DIR=os.path.join(tmp, "hetero"),
                       NUMBA_CACHE_DIR=os.path.join(tmp, "numba"))
            for kind in ("cold", "warm"):
                r = subprocess.run([sys.executable, os.path.abspath(__file__), "--child-first-calls", str(n)],
                                   env=env, capture_output=True, text=True)
                if r.returncode:
                    raise RuntimeError(f"first-call child failed:\n{r.stdout}\n{r.stderr}")
                line = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")][-1]
                runs[kind].append(json.loads(line[7:]))
    med = statistics.median
    print(f"\n(d) first calls in fresh processes (N = 2^{int(math.log2(n))}), medians of {repeats}; empty "
          "HETERO_CACHE_DIR and NUMBA_CACHE_DIR, then the same caches warm; in the order run")
    print(f"    {'function':<18} {'1st call, empty cache':>22} {'1st call, warm cache':>21} {'2nd call':>10}"
          "   device kernels from (cold / warm)")
    for key in runs["cold"][0]:
        cold = med(r[key][0] for r in runs["cold"])
        warm = med(r[key][0] for r in runs["warm"])
        again = med(r[key][1] for r in runs["cold"] + runs["warm"])
        src = f"{runs['cold'][0][key][2]} / {runs['warm'][0][key][2]}" if key.startswith("device") else ""
        print(f"    {key:<18} {cold * 1e3:19.1f} ms {warm * 1e3:18.1f} ms {again * 1e3:7.2f} ms   {src}")
    print("    (the first device call also pays hetero's compiler import (numba + llvmlite) and the OpenCL "
          "runtime's first program load; the host first call pays numba's parallel compile)")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--child-first-calls":
        child_first_calls(int(sys.argv[2]))
        return
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=25)
    p.add_argument("--n-log2", type=int, default=24)
    p.add_argument("--bs-log2", type=int, default=22)
    p.add_argument("--fresh-repeats", type=int, default=3)
    opts = p.parse_args()
    import dpnp

    dev = hetero.select_device(os.environ.get("HETERO_DEVICE") or "opencl:cpu")
    q = dev.sycl_queue
    print(f"device: {dev}  ({dev.max_compute_units} compute units); host: {os.cpu_count()} CPUs")
    host_rows = {}
    bs_section(dpnp, q, 1 << opts.bs_log2, opts.repeats, host_rows)
    add_section(dpnp, q, 1 << opts.n_log2, opts.repeats, host_rows)
    sum_section(dpnp, q, 1 << opts.n_log2, opts.repeats, host_rows)
    first_call_section(opts.fresh_repeats)
    host_section(host_rows)


if __name__ == "__main__":
    main()
