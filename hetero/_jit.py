"""The host half of ``hetero.jit`` (numba) and the host thread count.

numba is imported on first use, so ``import hetero`` stays light.
"""

from __future__ import annotations

import os
import sys
import threading

from .errors import ConfigurationError

__all__ = ["set_num_threads", "get_num_threads"]

_JIT_DEFAULTS = {"parallel": True, "cache": True, "fastmath": False}


def _numba():
    import numba

    return numba


def _env_threads() -> int | None:
    value = os.environ.get("HETERO_NUM_THREADS")
    if value is None or not value.strip():
        return None
    v = value.strip()
    if not v.isdigit() or int(v) < 1:
        raise ConfigurationError(
            f"HETERO_NUM_THREADS={value!r} is not a positive integer; set it to the number of host "
            f"threads to use (this machine has {os.cpu_count()} CPUs) or unset it."
        )
    return int(v)


def _has_source_file(f) -> bool:
    code = getattr(f, "__code__", None)
    return code is not None and os.path.isfile(code.co_filename)


# numba's thread count is per thread: apply HETERO_NUM_THREADS once in every thread that uses it.
_env_applied = threading.local()


def _checked_env_threads() -> int | None:
    """HETERO_NUM_THREADS, checked against numba's pool size; None when unset."""
    n = _env_threads()
    if n is not None:
        limit = _numba().config.NUMBA_NUM_THREADS
        if n > limit:
            raise ConfigurationError(
                f"HETERO_NUM_THREADS={n} exceeds numba's thread pool of {limit} (NUMBA_NUM_THREADS, "
                "fixed when numba was first imported). Import hetero before numba, or set "
                f"NUMBA_NUM_THREADS>={n}."
            )
    return n


def _apply_env_threads() -> None:
    if getattr(_env_applied, "done", False):
        return
    n = _checked_env_threads()
    if n is not None:
        _numba().set_num_threads(n)
    _env_applied.done = True


def _numba_njit(f, opts: dict):
    """numba's dispatcher for ``f`` on the host (``hetero.jit``'s host half)."""
    _apply_env_threads()
    o = opts
    if o.get("cache") and not _has_source_file(f):
        # numba caches next to the source file; code typed at a prompt, `python -c` or exec() has none
        o = {**o, "cache": False}
    return _numba().njit(**o)(f)


def set_num_threads(n: int) -> None:
    """Set the number of host threads used by ``hetero.jit`` loops and host kernels launched from the
    calling thread (1 .. the pool size; as in numba, each thread has its own setting)."""
    numba = _numba()
    _apply_env_threads()
    limit = numba.config.NUMBA_NUM_THREADS
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= limit:
        raise ConfigurationError(
            f"set_num_threads({n!r}): expected an integer from 1 to {limit} (numba's thread pool size, "
            "NUMBA_NUM_THREADS / HETERO_NUM_THREADS at start-up)."
        )
    numba.set_num_threads(n)


def _pool_started() -> bool:
    """Whether numba's parallel thread pool (its threading layer) is running in this process."""
    parallel = sys.modules.get("numba.np.ufunc.parallel")
    return bool(getattr(parallel, "_is_initialized", False))


# The host kernel back end has its own threads and only needs a count. Asking numba for it
# (numba.get_num_threads) would start numba's whole threading layer — TBB when the tbb package is
# installed, as it is beside dpnp — whose fork handler then prints "Unable to join threads to shut
# down before fork()" at the next subprocess (scikit-learn's KMeans runs `lscpu` through loky).
# Until a prange loop or set_num_threads has started numba's pool, the count is worked out here;
# from then on numba's per-thread setting is the one truth (numba.set_num_threads is honoured too).


def get_num_threads() -> int:
    """The number of host threads ``hetero.jit`` loops and host kernels use now (calling thread)."""
    if _pool_started():
        _apply_env_threads()
        return _numba().get_num_threads()
    n = _checked_env_threads()
    return n if n is not None else _numba().config.NUMBA_NUM_THREADS
