"""Timing helpers shared by the benchmarks: medians of repeats, printed as tables."""

from __future__ import annotations

import statistics
import time
from typing import Callable


def median_time(fn: Callable[[], object], repeats: int = 7, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeats`` runs, after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def table(rows: list[tuple[str, float]], baseline: str, nbytes: int | None = None) -> str:
    """Rows of (name, seconds) with the speed-up against the row named ``baseline``."""
    base = dict(rows)[baseline]
    out = [f"{'variant':<28} {'median':>12} {'vs ' + baseline:>16}" + ("  bandwidth" if nbytes else "")]
    for name, t in rows:
        line = f"{name:<28} {t * 1e3:>9.3f} ms {base / t:>15.2f}x"
        if nbytes:
            line += f"  {nbytes / t / 1e9:6.1f} GB/s"
        out.append(line)
    return "\n".join(out)
