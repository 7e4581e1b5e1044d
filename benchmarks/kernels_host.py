"""Kernels on the host back end against hand-written parallel loops and the copy bandwidth.

Medians of repeats, all measured in one run. Variants run in blocks of back-to-back calls, a short
pause before each block, blocks in rotating order over three rounds (so that load drifting on a
shared machine hits all of them alike); "paired" is the median over rounds of the per-round ratio:

* N = 2^24 float32 ``c[i] = a[i] + b[i]``: the hetero kernel on the host back end (item style
  and OpenCL style) against the same loop with ``hetero.jit`` + ``prange`` (target >= 0.95x),
  and its bandwidth against the copy bandwidth of the same run — a ``prange`` copy and
  ``numpy.copyto`` (target >= 85 % of the better copy);
* Black-Scholes (kernels/black_scholes.py), float64, as a host kernel against its ``prange``
  version (target >= 0.9x).

Bandwidth counts the bytes each variant must move: 12 per element for the add, 8 for a float32
copy. Run: .venv/bin/python benchmarks/kernels_host.py [--repeats N] [--n-log2 K]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import hetero  # noqa: E402  (first: it sets up the runtime and thread count)
from hetero.backends.host import run_host  # noqa: E402
from hetero.kernel_api import NdRange, get_global_id, kernel  # noqa: E402
from kernels.black_scholes import black_scholes, black_scholes_numpy, black_scholes_prange, make_inputs  # noqa: E402



@kernel
def add_item(i, a, b, c):
    c[i] = a[i] + b[i]


@kernel
def add_opencl(a, b, c):
    i = get_global_id(0)
    c[i] = a[i] + b[i]


@hetero.jit
def prange_add(a, b, c):
    for i in hetero.prange(a.size):
        c[i] = a[i] + b[i]


@hetero.jit
def prange_copy(a, c):
    for i in hetero.prange(a.size):
        c[i] = a[i]



_RAW: dict = {}  # variant name → its median in each round, for paired ratios
PAUSE = 0.3  # seconds before each block: idle worker threads of the previous variant go to sleep


def paired(a: str, b: str) -> float:
    """Median over rounds of time(b) / time(a): how fast ``a`` is relative to ``b``, drift cancelled."""
    return statistics.median(tb / ta for ta, tb in zip(_RAW[a], _RAW[b]))


def measure(variants: dict, repeats: int, rounds: int = 3) -> dict:
    """Median seconds per variant over ``rounds`` rounds of ``repeats // rounds`` back-to-back calls.

    Each round runs every variant as a block, in rotating order, after a pause: numba's OpenMP
    workers spin for a while after a ``prange`` loop, and a variant timed right after one would
    compete with them for the cores (see ``alternating`` below for that case).
    """
    names = list(variants)
    for fn in variants.values():  # warm-up (and compile)
        fn()
    per = max(1, repeats // rounds)
    times = {n: [] for n in names}
    medians = {n: [] for n in names}
    for r in range(rounds):
        for n in names[r % len(names):] + names[: r % len(names)]:
            time.sleep(PAUSE)
            variants[n]()
            block = []
            for _ in range(per):
                t0 = time.perf_counter()
                variants[n]()
                block.append(time.perf_counter() - t0)
            times[n] += block
            medians[n].append(statistics.median(block))
    _RAW.update(medians)
    return {n: statistics.median(ts) for n, ts in times.items()}


def alternating(a_fn, b_fn, repeats: int) -> float:
    """Median over repeats of time(b) / time(a) when the two alternate call by call."""
    ratios = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        a_fn()
        t1 = time.perf_counter()
        b_fn()
        t2 = time.perf_counter()
        ratios.append((t2 - t1) / (t1 - t0))
    return statistics.median(ratios)


def zoo_section(repeats: int) -> None:
    """The reduction and matmul zoo kernels with host data (host default) against the SYCL CPU device.

    With the host as default device, kernels that use barriers or local memory (the work-group
    reduction, the tiled matmul) run on the SYCL CPU device with copies in and back — the host back
    end has no work-group model yet — while the naive matmul runs natively on host threads.
    """
    from kernels.tiled_matmul import TILES, naive_matmul
    from kernels.wg_reduce import wg_reduce_sum

    cpu = next((d for d in hetero.devices() if d.kind == "cpu" and not d.is_host), None)
    rng = np.random.default_rng(0)
    x = rng.random(1 << 22, dtype=np.float32)
    groups, group = 4096, 64
    partial = np.zeros(groups, np.float32)
    m = 512
    a, b = rng.random((m, m), dtype=np.float32), rng.random((m, m), dtype=np.float32)
    c = np.zeros((m, m), np.float32)
    red_rng, mm_rng = NdRange(groups * group, group), NdRange((m, m), (16, 16))
    tiled = TILES[16]

    def on_host(k, r, *args):
        def run():
            with hetero.device("host"):
                k[r](*args)
        return run

    cases = [  # (name, kernel, launcher)
        ("reduction, host data", wg_reduce_sum, on_host(wg_reduce_sum, red_rng, x, partial)),
        ("tiled matmul, host data", tiled, on_host(tiled, mm_rng, a, b, c)),
        ("naive matmul, host data", naive_matmul, on_host(naive_matmul, mm_rng, a, b, c)),
    ]
    if cpu is not None:
        dx, dpart = hetero.asarray(x, device=cpu), hetero.asarray(partial, device=cpu)
        da, db, dc = (hetero.asarray(v, device=cpu) for v in (a, b, c))

        def on_dev(k, r, *args):
            def run():
                k[r](*args)
                cpu.sycl_queue.wait()
            return run

        cases += [
            (f"reduction, {cpu.filter_string}", wg_reduce_sum, on_dev(wg_reduce_sum, red_rng, dx, dpart)),
            (f"tiled matmul, {cpu.filter_string}", tiled, on_dev(tiled, mm_rng, da, db, dc)),
            (f"naive matmul, {cpu.filter_string}", naive_matmul, on_dev(naive_matmul, mm_rng, da, db, dc)),
        ]
    backend = {}
    for name, k, fn in cases:
        fn()
        backend[name] = k.last_backend
    t = measure({name: fn for name, _, fn in cases}, repeats)
    np.testing.assert_allclose(partial.sum(), x.sum(dtype=np.float64), rtol=1e-3)
    np.testing.assert_allclose(c, a @ b, rtol=1e-3)
    print(f"\nzoo kernels: reduction of 2^22 float32 ({groups} groups of {group}), {m}x{m} float32 matmul")
    print(f"{'variant':<34}{'median':>11}  back end")
    for name, secs in t.items():
        bk = backend[name]
        where = bk.device.filter_string if bk.device is not None else "the arrays' queue"
        copies = ", copies in and back" if "copied in" in bk.reason else ""
        print(f"{name:<34}{secs * 1e3:>8.2f} ms  {bk.backend} on {where}{copies}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--n-log2", type=int, default=24)
    opts = ap.parse_args()
    n = 1 << opts.n_log2
    nth = hetero.get_num_threads()
    print(f"host back end, {nth} threads, {os.cpu_count()} CPUs, N = 2^{opts.n_log2}, medians of {opts.repeats}")

    # --- add -------------------------------------------------------------------------------------
    rng = np.random.default_rng(0)
    a = rng.random(n, dtype=np.float32)
    b = rng.random(n, dtype=np.float32)
    c = np.empty_like(a)
    t0 = time.perf_counter()
    run_host(add_item.py_func, n, (a, b, c))
    first = time.perf_counter() - t0
    np.testing.assert_array_equal(c, a + b)
    c[:] = 0
    run_host(add_opencl.py_func, n, (a, b, c))
    np.testing.assert_array_equal(c, a + b)
    c[:] = 0
    run_host(add_item.py_func, NdRange(n, 256), (a, b, c))
    np.testing.assert_array_equal(c, a + b)

    t = measure(
        {
            "host kernel (item)": lambda: run_host(add_item.py_func, n, (a, b, c)),
            "host kernel (opencl)": lambda: run_host(add_opencl.py_func, n, (a, b, c)),
            "host kernel (NdRange 256)": lambda: run_host(add_item.py_func, NdRange(n, 256), (a, b, c)),
            "hetero.jit + prange": lambda: prange_add(a, b, c),
            "prange copy": lambda: prange_copy(a, c),
            "numpy.copyto": lambda: np.copyto(c, a),
        },
        opts.repeats,
    )
    add_paired = {k: paired(k, "hetero.jit + prange") for k in t if "kernel" in k}
    copy_bw = max(2 * a.nbytes / t["prange copy"], 2 * a.nbytes / t["numpy.copyto"])
    print(f"\nfloat32 add (first launch, compile included: {first:.2f} s)")
    print(f"{'variant':<28}{'median':>11}{'GB/s':>9}{'vs prange':>11}{'% of copy':>11}")
    for name, secs in t.items():
        moved = (2 if "copy" in name else 3) * a.nbytes
        bw = moved / secs
        line = f"{name:<28}{secs * 1e3:>8.2f} ms{bw / 1e9:>9.1f}"
        if "kernel" in name or "jit" in name:
            line += f"{t['hetero.jit + prange'] / secs:>10.2f}x{100 * bw / copy_bw:>10.0f}%"
        print(line)

    # --- black-scholes -----------------------------------------------------------------------
    price, strike, tm, rate, vol = make_inputs(n // 4)
    call, put = np.empty_like(price), np.empty_like(price)
    run_host(black_scholes.py_func, price.size, (price, strike, tm, rate, vol, call, put))
    m = 1 << 16
    want_c, want_p = black_scholes_numpy(price[:m], strike[:m], tm[:m], rate, vol)
    np.testing.assert_allclose(call[:m], want_c, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(put[:m], want_p, rtol=1e-9, atol=1e-9)
    bs = measure(
        {
            "host kernel": lambda: run_host(
                black_scholes.py_func, price.size, (price, strike, tm, rate, vol, call, put)
            ),
            "hetero.jit + prange": lambda: black_scholes_prange(price, strike, tm, rate, vol, call, put),
        },
        max(5, opts.repeats // 2),
    )
    print(f"\nblack-scholes, {price.size} float64 options")
    for name, secs in bs.items():
        print(f"{name:<28}{secs * 1e3:>8.2f} ms  {price.size / secs / 1e6:8.1f} Moptions/s"
              f"{bs['hetero.jit + prange'] / secs:>9.2f}x")

    # --- launch overhead ------------------------------------------------------------------------
    small = [x[:16] for x in (a, b, c)]
    lo = measure(
        {
            "host kernel, 16 work-items": lambda: run_host(add_item.py_func, 16, small),
            "hetero.jit + prange, 16": lambda: prange_add(*small),
        },
        max(5, opts.repeats // 2),
    )
    print("\nlaunch overhead (tiny launch, median of single calls)")
    for name, secs in lo.items():
        print(f"{name:<28}{secs * 1e6:>8.1f} µs")

    alt = alternating(lambda: run_host(add_item.py_func, n, (a, b, c)), lambda: prange_add(a, b, c), 11)
    print(f"\nadd, host kernel and prange alternating call by call: host {alt:.2f}x prange "
          "(numba's OpenMP workers spin after each prange loop and take cores from the host back end's threads)")

    zoo_section(max(5, opts.repeats // 3))

    print("\ntargets: add >= 0.95x prange and >= 85% of copy; black-scholes >= 0.9x prange")
    print("(paired: the median over rounds of the per-round ratio, which cancels load drifting on a shared machine)")
    print(f"  add (item):    {t['hetero.jit + prange'] / t['host kernel (item)']:.2f}x prange "
          f"(paired {add_paired['host kernel (item)']:.2f}x), "
          f"{100 * 3 * a.nbytes / t['host kernel (item)'] / copy_bw:.0f}% of copy")
    print(f"  add (opencl):  {t['hetero.jit + prange'] / t['host kernel (opencl)']:.2f}x prange "
          f"(paired {add_paired['host kernel (opencl)']:.2f}x)")
    print(f"  add (NdRange): {t['hetero.jit + prange'] / t['host kernel (NdRange 256)']:.2f}x prange "
          f"(paired {add_paired['host kernel (NdRange 256)']:.2f}x)")
    print(f"  black-scholes: {bs['hetero.jit + prange'] / bs['host kernel']:.2f}x prange "
          f"(paired {paired('host kernel', 'hetero.jit + prange'):.2f}x)")


if __name__ == "__main__":
    main()
