"""Black-Scholes European option pricing: a hetero kernel, the same as a jit prange loop, and a NumPy reference.

One work-item prices one option (call and put) from its spot price, strike and
time to maturity, at a common risk-free rate and volatility. Element-wise and
compute-heavy (log, sqrt, exp, erf per option): the kernel every back end should
run at the speed of a hand-written parallel loop.
"""

from __future__ import annotations

import math

import numpy as np

import hetero
from hetero.kernel_api import kernel

__all__ = ["black_scholes", "black_scholes_prange", "black_scholes_numpy", "make_inputs"]

_INV_SQRT2 = 1.0 / math.sqrt(2.0)


@kernel
def black_scholes(i, price, strike, t, rate, vol, call, put):
    """Price option ``i``: writes ``call[i]`` and ``put[i]`` (item style, 1-D range)."""
    p = price[i]
    k = strike[i]
    tt = t[i]
    sqrt_t = math.sqrt(tt)
    d1 = (math.log(p / k) + (rate + 0.5 * vol * vol) * tt) / (vol * sqrt_t)
    d2 = d1 - vol * sqrt_t
    n1 = 0.5 + 0.5 * math.erf(d1 * _INV_SQRT2)
    n2 = 0.5 + 0.5 * math.erf(d2 * _INV_SQRT2)
    disc = k * math.exp(-rate * tt)
    call[i] = p * n1 - disc * n2
    put[i] = disc * (1.0 - n2) - p * (1.0 - n1)


@hetero.jit
def black_scholes_prange(price, strike, t, rate, vol, call, put):
    """The same pricing written as people write numba: a ``hetero.jit`` prange loop (numba's threads
    on NumPy data, one kernel on device data)."""
    for i in hetero.prange(price.size):
        p = price[i]
        k = strike[i]
        tt = t[i]
        sqrt_t = math.sqrt(tt)
        d1 = (math.log(p / k) + (rate + 0.5 * vol * vol) * tt) / (vol * sqrt_t)
        d2 = d1 - vol * sqrt_t
        n1 = 0.5 + 0.5 * math.erf(d1 * _INV_SQRT2)
        n2 = 0.5 + 0.5 * math.erf(d2 * _INV_SQRT2)
        disc = k * math.exp(-rate * tt)
        call[i] = p * n1 - disc * n2
        put[i] = disc * (1.0 - n2) - p * (1.0 - n1)


def _erf(x: np.ndarray) -> np.ndarray:
    try:
        from scipy.special import erf
    except ImportError:  # pragma: no cover - scipy is a dependency of the ML extra only
        return np.vectorize(math.erf, otypes=[x.dtype])(x)
    return erf(x)


def black_scholes_numpy(price, strike, t, rate, vol):
    """The reference: (call, put) prices computed with NumPy."""
    sqrt_t = np.sqrt(t)
    d1 = (np.log(price / strike) + (rate + 0.5 * vol * vol) * t) / (vol * sqrt_t)
    d2 = d1 - vol * sqrt_t
    n1 = 0.5 + 0.5 * _erf(d1 * _INV_SQRT2)
    n2 = 0.5 + 0.5 * _erf(d2 * _INV_SQRT2)
    disc = strike * np.exp(-rate * t)
    call = price * n1 - disc * n2
    put = disc * (1.0 - n2) - price * (1.0 - n1)
    return call, put


def make_inputs(n: int, dtype=np.float64, seed: int = 0):
    """Random options: (price, strike, t) arrays of ``n`` and the scalars (rate, vol)."""
    rng = np.random.default_rng(seed)
    price = rng.uniform(10.0, 50.0, n).astype(dtype)
    strike = rng.uniform(10.0, 50.0, n).astype(dtype)
    t = rng.uniform(1.0, 2.0, n).astype(dtype)
    return price, strike, t, 0.1, 0.2
