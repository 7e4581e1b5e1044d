"""Host parallel loops: ``hetero.jit``, ``hetero.prange`` and the thread count.

numba is imported on first use, so ``import hetero`` stays light.
"""

from __future__ import annotations

import os

from .errors import ConfigurationError

__all__ = ["jit", "set_num_threads", "get_num_threads"]

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


_env_applied = False


def _apply_env_threads() -> None:
    global _env_applied
    if _env_applied:
        return
    n = _env_threads()
    if n is not None:
        numba = _numba()
        limit = numba.config.NUMBA_NUM_THREADS
        if n > limit:
            raise ConfigurationError(
                f"HETERO_NUM_THREADS={n} exceeds numba's thread pool of {limit} (NUMBA_NUM_THREADS, "
                "fixed when numba was first imported). Import hetero before numba, or set "
                f"NUMBA_NUM_THREADS>={n}."
            )
        numba.set_num_threads(n)
    _env_applied = True


def jit(fn=None, /, **options):
    """Compile a function for the host with numba, parallel by default.

    ``@hetero.jit`` is ``numba.njit(parallel=True, cache=True, fastmath=False)``;
    any option can be overridden (``@hetero.jit(parallel=False)``). Use
    :data:`hetero.prange` for loops whose iterations run across threads.

    Examples
    --------
    >>> @hetero.jit
    ... def add(a, b, c):
    ...     for i in hetero.prange(a.size):
    ...         c[i] = a[i] + b[i]
    """
    opts = {**_JIT_DEFAULTS, **options}

    def wrap(f):
        _apply_env_threads()
        return _numba().njit(**opts)(f)

    if fn is None:
        return wrap
    if not callable(fn):
        raise TypeError(f"hetero.jit expects a function, got {type(fn).__name__}; use @hetero.jit or @hetero.jit(...)")
    return wrap(fn)


def set_num_threads(n: int) -> None:
    """Set the number of host threads used by ``hetero.jit`` loops (1 .. the pool size)."""
    numba = _numba()
    _apply_env_threads()
    limit = numba.config.NUMBA_NUM_THREADS
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= limit:
        raise ConfigurationError(
            f"set_num_threads({n!r}): expected an integer from 1 to {limit} (numba's thread pool size, "
            "NUMBA_NUM_THREADS / HETERO_NUM_THREADS at start-up)."
        )
    numba.set_num_threads(n)


def get_num_threads() -> int:
    """The number of host threads ``hetero.jit`` loops use now."""
    numba = _numba()
    _apply_env_threads()
    return numba.get_num_threads()
