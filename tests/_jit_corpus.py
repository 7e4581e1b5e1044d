"""A corpus of ``@hetero.jit`` functions written the way people write numba ``prange`` code.

Used by ``tests/test_jit_device.py``: every entry runs on NumPy (numba on the host: the
reference), on dpnp copies of its inputs, and with NumPy inputs inside ``with hetero.device(X):``.

The functions live in this non-test module so that they have source (the device split reads it)
and pytest's assertion rewriting leaves them alone.

Each entry is registered with :func:`entry`:

* ``make(rng)`` returns the NumPy arguments (arrays and scalars);
* ``outputs`` the positions of the arguments the function writes (compared after the call, like
  the return value);
* ``view(args)`` (optional) turns the arguments into what is passed: strided views, transposes.
  It is applied after the arrays are moved to the device, so the kernel gets a real strided
  device view;
* ``rtol`` (optional) the relative tolerance for floating-point results (default by dtype);
* ``host=False`` where numba itself refuses the function (its prange takes only step 1) or gets
  it wrong: the reference is then the function run as plain Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

import hetero
from hetero import prange


@dataclass
class Entry:
    name: str
    func: object
    make: object
    outputs: tuple = ()
    view: object = None
    rtol: float | None = None
    host: bool = True
    marks: list = field(default_factory=list)


CORPUS: list[Entry] = []


def entry(make, outputs=(), view=None, rtol=None, host=True):
    def register(f):
        CORPUS.append(Entry(f.__name__, f, make, tuple(outputs), view, rtol, host))
        return f

    return register


N = 1000
F64 = np.float64
F32 = np.float32


def _f(rng, *shape, dtype=F64, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape).astype(dtype)


def _i(rng, *shape, dtype=np.int64, lo=-50, hi=50):
    return rng.integers(lo, hi, size=shape).astype(dtype)


# --- elementwise ---------------------------------------------------------------------------


@entry(lambda r: (_f(r, N), _f(r, N), np.zeros(N)), outputs=(2,))
@hetero.jit
def vadd(a, b, c):
    for i in prange(a.shape[0]):
        c[i] = a[i] + b[i]


@entry(lambda r: (F32(2.5), _f(r, N, dtype=F32), _f(r, N, dtype=F32), np.zeros(N, F32)), outputs=(3,))
@hetero.jit
def saxpy(alpha, x, y, out):
    for i in prange(x.size):
        out[i] = alpha * x[i] + y[i]


@entry(lambda r: (_f(r, 20, 30), _f(r, 20, 30), np.zeros((20, 30))), outputs=(2,))
@hetero.jit
def elementwise_2d(a, b, c):
    for i in prange(a.shape[0]):
        for j in prange(a.shape[1]):
            c[i, j] = 2.0 * a[i, j] - b[i, j]


@entry(lambda r: (_i(r, 6, 7, 8, dtype=np.int32), np.zeros((6, 7, 8), np.int32)), outputs=(1,))
@hetero.jit
def elementwise_3d_int(a, out):
    for i in prange(a.shape[0]):
        for j in prange(a.shape[1]):
            for k in prange(a.shape[2]):
                out[i, j, k] = a[i, j, k] * 3 + i - j * k


@entry(lambda r: (_f(r, N, lo=0.1, hi=4.0), np.zeros(N)), outputs=(1,))
@hetero.jit
def math_body(x, out):
    for i in prange(x.size):
        v = x[i]
        out[i] = math.sin(v) * math.exp(-v) + math.sqrt(v) + math.log(v) + math.tanh(v) - math.cos(v) ** 2


@entry(lambda r: (_f(r, N, dtype=F32, lo=0.1, hi=4.0), np.zeros(N, F32)), outputs=(1,))
@hetero.jit
def numpy_ufuncs_in_body(x, out):
    for i in prange(x.size):
        out[i] = np.sqrt(x[i]) + np.exp(-x[i]) * np.float32(0.5) + np.abs(x[i] - np.float32(2))


@entry(lambda r: (_f(r, N, lo=-3, hi=3), np.zeros(N), np.zeros(N, np.int64)), outputs=(1, 2))
@hetero.jit
def branches(x, out, cls):
    for i in prange(x.size):
        v = x[i]
        if v < -1.0:
            out[i] = -v
            cls[i] = -1
        elif v < 1.0:
            out[i] = v * v
            cls[i] = 0
        else:
            out[i] = math.sqrt(v)
            cls[i] = 1


@entry(lambda r: (_f(r, N), np.zeros(N)), outputs=(1,))
@hetero.jit
def stencil_1d(a, out):
    n = a.shape[0]
    out[0] = a[0]
    out[n - 1] = a[n - 1]
    for i in prange(1, n - 1):
        out[i] = (a[i - 1] + a[i] + a[i + 1]) / 3.0


@entry(lambda r: (_f(r, 24, 31), np.zeros((24, 31))), outputs=(1,))
@hetero.jit
def stencil_2d(a, out):
    for i in prange(1, a.shape[0] - 1):
        for j in prange(1, a.shape[1] - 1):
            out[i, j] = 0.25 * (a[i - 1, j] + a[i + 1, j] + a[i, j - 1] + a[i, j + 1]) - a[i, j]


@entry(lambda r: (_f(r, N), np.zeros(N)), outputs=(1,), host=False)
@hetero.jit
def prange_step(a, out):
    for i in prange(3, a.size - 1, 7):
        out[i] = a[i] * 10.0 + i


@entry(lambda r: (_i(r, N), np.zeros(N, np.int64)), outputs=(1,), host=False)
@hetero.jit
def prange_negative_step(a, out):
    for i in prange(a.size - 1, 0, -3):
        out[i] = a[i] - i


# --- strided views and transposes as inputs ------------------------------------------------


@entry(lambda r: (_f(r, 2 * N), np.zeros(N)), outputs=(1,), view=lambda a, out: (a[::2], out))
@hetero.jit
def strided_input(a, out):
    for i in prange(a.size):
        out[i] = a[i] * a[i]


@entry(lambda r: (_f(r, 20, 30), np.zeros((30, 20))), outputs=(1,), view=lambda a, out: (a.T, out))
@hetero.jit
def transposed_input(at, out):
    for i in prange(at.shape[0]):
        for j in prange(at.shape[1]):
            out[i, j] = at[i, j] + 1.0


@entry(lambda r: (_f(r, 40, 30), np.zeros((40, 30))), outputs=(1,),
       view=lambda a, out: (a[::2, ::3], out[1::2, ::3]))
@hetero.jit
def strided_output(a, out):
    for i in prange(a.shape[0]):
        for j in prange(a.shape[1]):
            out[i, j] = a[i, j] * 2.0


# --- reductions ----------------------------------------------------------------------------


@entry(lambda r: (_f(r, N),))
@hetero.jit
def sum_f64(a):
    s = 0.0
    for i in prange(a.size):
        s += a[i]
    return s


@entry(lambda r: (_f(r, N, dtype=F32),))
@hetero.jit
def sum_f32_int_init(a):
    s = 0
    for i in prange(a.size):
        s += a[i]
    return s


@entry(lambda r: (_i(r, N, dtype=np.int32),))
@hetero.jit
def sum_i32(a):
    s = 0
    for i in prange(a.size):
        s += a[i]
    return s


@entry(lambda r: (_i(r, N, dtype=np.int64, lo=-10**12, hi=10**12),))
@hetero.jit
def sub_i64(a):
    s = 7
    for i in prange(a.size):
        s -= a[i]
    return s


@entry(lambda r: (_f(r, N, dtype=F32),))
@hetero.jit
def sub_f32_float_init(a):
    s = 1.5
    for i in prange(a.size):
        s -= a[i] * 2
    return s


@entry(lambda r: (_f(r, 200, lo=0.97, hi=1.03),))
@hetero.jit
def prod_f64(a):
    p = 1.0
    for i in prange(a.size):
        p *= a[i]
    return p


@entry(lambda r: (_i(r, 40, dtype=np.int32, lo=1, hi=3),))
@hetero.jit
def prod_i32(a):
    p = 1
    for i in prange(a.size):
        p *= a[i]
    return p


@entry(lambda r: (_i(r, 300, dtype=np.int64, lo=-3, hi=4),))
@hetero.jit
def prod_i64_wraps(a):
    # int64 overflow wraps; the product is still exact modulo 2**64 in any order
    p = 3
    for i in prange(a.size):
        if a[i] != 0:
            p *= a[i]
    return p


@entry(lambda r: (_f(r, N, dtype=F32),))
@hetero.jit
def min_f32_inf(a):
    m = np.inf
    for i in prange(a.size):
        m = min(m, a[i])
    return m


@entry(lambda r: (_f(r, N),))
@hetero.jit
def max_f64_reversed_args(a):
    m = -1e300
    for i in prange(a.size):
        m = max(a[i] * 2.0, m)
    return m


@entry(lambda r: (_i(r, N, dtype=np.int32, lo=-1000, hi=1000),))
@hetero.jit
def min_max_i32(a):
    lo = 10**6
    hi = -(10**6)
    for i in prange(a.size):
        lo = min(lo, a[i])
        hi = max(hi, a[i])
    return lo, hi


@entry(lambda r: (_i(r, N, dtype=np.int64, lo=0, hi=10**9),))
@hetero.jit
def max_i64_initial_wins(a):
    m = 2 * 10**9  # larger than every element: the initial value is the answer
    for i in prange(a.size):
        m = max(m, a[i])
    return m


@entry(lambda r: (_f(r, N),))
@hetero.jit
def several_reductions(a):
    s = 0.0
    s2 = 0.0
    lo = np.inf
    hi = -np.inf
    n = 0
    for i in prange(a.size):
        v = a[i]
        s += v
        s2 += v * v
        lo = min(lo, v)
        hi = max(hi, v)
        n += 1
    return s, s2, lo, hi, n


@entry(lambda r: (_f(r, N), F64(0.25)))
@hetero.jit
def conditional_accumulation(a, threshold):
    total = 0.0
    count = 0
    for i in prange(a.size):
        if a[i] > threshold:
            total += a[i]
            count += 1
    return total, count


@entry(lambda r: (_f(r, 30, 40),))
@hetero.jit
def reduction_2d_nest(a):
    s = 0.0
    for i in prange(a.shape[0]):
        for j in prange(a.shape[1]):
            s += a[i, j] * (i + 1)
    return s


@entry(lambda r: (_i(r, 10, 11, 12, dtype=np.int32),))
@hetero.jit
def reduction_3d_nest_int(a):
    s = 0
    for i in prange(a.shape[0]):
        for j in prange(a.shape[1]):
            for k in prange(a.shape[2]):
                s += a[i, j, k]
    return s


@entry(lambda r: (_f(r, 50, 60), _f(r, 60)))
@hetero.jit
def reduction_inner_sequential(a, b):
    s = 0.0
    for i in prange(a.shape[0]):
        row = 0.0
        for j in range(a.shape[1]):
            row += a[i, j] * b[j]
        s += row * row
    return s


@entry(lambda r: (_f(r, N), _f(r, N)))
@hetero.jit
def l2_distance(a, b):
    acc = 0.0
    for i in prange(a.shape[0]):
        d = a[i] - b[i]
        acc += d * d
    return math.sqrt(acc)


@entry(lambda r: (_f(r, N),))
@hetero.jit
def variance_two_loops(a):
    # a scalar computed before, a reduction, a scalar computed between loops, a second reduction
    n = a.size
    s = 0.0
    for i in prange(n):
        s += a[i]
    mean = s / n
    ss = 0.0
    for i in prange(n):
        ss += (a[i] - mean) ** 2
    return mean, ss / (n - 1)


@entry(lambda r: (_f(r, N), np.zeros(N)), outputs=(1,))
@hetero.jit
def normalize_between_loops(a, out):
    # loop 1 a reduction, then a scalar from it used by loop 2's kernel, which writes an array
    m = 0.0
    for i in prange(a.size):
        m = max(m, abs(a[i]))
    scale = 1.0 / m
    for i in prange(a.size):
        out[i] = a[i] * scale
    return scale


# --- allocation inside, returned arrays ----------------------------------------------------


@entry(lambda r: (_f(r, N),))
@hetero.jit
def alloc_empty_like(a):
    out = np.empty_like(a)
    for i in prange(a.size):
        out[i] = a[i] * 3.0 - 1.0
    return out


@entry(lambda r: (_i(r, N, dtype=np.int32),))
@hetero.jit
def alloc_zeros_n(a):
    n = a.shape[0]
    out = np.zeros(n)
    for i in prange(1, n):
        out[i] = a[i] + a[i - 1]
    return out


@entry(lambda r: (_f(r, 17, dtype=F32), _f(r, 23, dtype=F32)))
@hetero.jit
def alloc_empty_2d_f32(x, y):
    n = x.shape[0]
    m = y.shape[0]
    out = np.empty((n, m), dtype=np.float32)
    for i in prange(n):
        for j in prange(m):
            out[i, j] = x[i] * y[j]
    return out


@entry(lambda r: (_f(r, N),))
@hetero.jit
def return_array_and_scalar(a):
    out = np.zeros_like(a)
    s = 0.0
    for i in prange(a.size):
        out[i] = a[i] * a[i]
        s += a[i]
    return out, s


# --- array expressions in the driver -------------------------------------------------------


@entry(lambda r: (_f(r, N), _f(r, N)))
@hetero.jit
def array_expression_add(a, b):
    c = a + b
    return c


@entry(lambda r: (_f(r, N, lo=0.0, hi=9.0),))
@hetero.jit
def array_expression_sqrt_sum_mean(x):
    y = np.sqrt(x)
    return y, y.sum(), x.mean()


@entry(lambda r: (_f(r, N),))
@hetero.jit
def array_expression_then_loop(a):
    mean = a.mean()
    centered = a - mean
    out = np.empty_like(a)
    for i in prange(a.size):
        out[i] = centered[i] * centered[i]
    return out


@entry(lambda r: (_f(r, N),))
@hetero.jit
def array_sum_into_loop(a):
    total = a.sum()
    out = np.empty_like(a)
    for i in prange(a.size):
        out[i] = a[i] / total
    return out


# --- calls between jit functions -----------------------------------------------------------


@hetero.jit
def square(v):
    return v * v


@hetero.jit
def sum_of_squares(x):
    s = 0.0
    for i in prange(x.size):
        s += x[i] * x[i]
    return s


@entry(lambda r: (_f(r, N), np.zeros(N)), outputs=(1,))
@hetero.jit
def call_jit_top_level(x, out):
    norm = math.sqrt(sum_of_squares(x))
    for i in prange(x.size):
        out[i] = x[i] / norm
    return norm


@entry(lambda r: (_f(r, N), np.zeros(N)), outputs=(1,))
@hetero.jit
def call_jit_in_body(x, out):
    for i in prange(x.size):
        out[i] = square(x[i]) + 1.0


@entry(lambda r: (_f(r, N),))
@hetero.jit
def call_jit_in_reduction(x):
    s = 0.0
    for i in prange(x.size):
        s += square(x[i] - 0.5)
    return s


# --- classic programs (numba docs, numba-dpex training) ------------------------------------


def _black_scholes_inputs(r):
    n = 512
    price = r.uniform(10.0, 50.0, n)
    strike = r.uniform(10.0, 50.0, n)
    t = r.uniform(1.0, 2.0, n)
    return price, strike, t, 0.1, 0.2, np.zeros(n), np.zeros(n)


@entry(_black_scholes_inputs, outputs=(5, 6), rtol=1e-9)
@hetero.jit
def black_scholes(price, strike, t, rate, vol, call, put):
    for i in prange(price.shape[0]):
        p = price[i]
        s = strike[i]
        tt = t[i]
        sig_sqrt = vol * math.sqrt(tt)
        d1 = (math.log(p / s) + (rate + 0.5 * vol * vol) * tt) / sig_sqrt
        d2 = d1 - sig_sqrt
        n1 = 0.5 + 0.5 * math.erf(d1 / math.sqrt(2.0))
        n2 = 0.5 + 0.5 * math.erf(d2 / math.sqrt(2.0))
        e = math.exp(-rate * tt)
        call[i] = p * n1 - e * s * n2
        put[i] = call[i] - p + e * s


@entry(lambda r: (_f(r, 64, 3), np.zeros((64, 64))), outputs=(1,))
@hetero.jit
def pairwise_distance(x, d):
    n = x.shape[0]
    for i in prange(n):
        for j in prange(n):
            acc = 0.0
            for k in range(x.shape[1]):
                t = x[i, k] - x[j, k]
                acc += t * t
            d[i, j] = math.sqrt(acc)


@entry(lambda r: (_f(r, 32, 24), _f(r, 24, 16)))
@hetero.jit
def matmul(a, b):
    n, k = a.shape
    m = b.shape[1]
    c = np.zeros((n, m))
    for i in prange(n):
        for j in prange(m):
            acc = 0.0
            for p in range(k):
                acc += a[i, p] * b[p, j]
            c[i, j] = acc
    return c


def _kmeans_inputs(r):
    x = np.concatenate([r.normal(c, 0.3, size=(100, 2)) for c in (-2.0, 0.0, 2.0)])
    centroids = np.array([[-1.5, 0.1], [0.2, -0.2], [1.7, 0.3]])
    return x, centroids, np.zeros(x.shape[0], np.int64), np.zeros_like(centroids)


@entry(_kmeans_inputs, outputs=(2, 3))
@hetero.jit
def kmeans_step(x, centroids, labels, new_centroids):
    n = x.shape[0]
    k = centroids.shape[0]
    d = x.shape[1]
    for i in prange(n):
        best = 0
        best_d = np.inf
        for c in range(k):
            acc = 0.0
            for f in range(d):
                t = x[i, f] - centroids[c, f]
                acc += t * t
            if acc < best_d:
                best_d = acc
                best = c
        labels[i] = best
    inertia = 0.0
    for i in prange(n):
        acc = 0.0
        for f in range(d):
            t = x[i, f] - centroids[labels[i], f]
            acc += t * t
        inertia += acc
    for c in prange(k):
        count = 0
        for f in range(d):
            new_centroids[c, f] = 0.0
        for i in range(n):
            if labels[i] == c:
                count += 1
                for f in range(d):
                    new_centroids[c, f] += x[i, f]
        for f in range(d):
            new_centroids[c, f] /= max(count, 1)
    return inertia


@entry(lambda r: (_f(r, 200, 3), _f(r, 40, 3), np.zeros(40, np.int64), np.zeros(40)), outputs=(2, 3))
@hetero.jit
def knn1(train, query, nearest, dist):
    for q in prange(query.shape[0]):
        best = -1
        best_d = 1e300
        for t in range(train.shape[0]):
            acc = 0.0
            for f in range(train.shape[1]):
                dd = train[t, f] - query[q, f]
                acc += dd * dd
            if acc < best_d:
                best_d = acc
                best = t
        nearest[q] = best
        dist[q] = math.sqrt(best_d)


@entry(lambda r: (_f(r, N, lo=0.0, hi=1.0), np.zeros(10, np.int64)), outputs=(1,))
@hetero.jit
def histogram_sequential_inner(x, hist):
    nbins = hist.shape[0]
    for b in prange(nbins):
        count = 0
        for i in range(x.shape[0]):
            k = int(x[i] * nbins)
            if k >= nbins:
                k = nbins - 1
            if k == b:
                count += 1
        hist[b] = count


@entry(lambda r: (_f(r, 3 * N),))
@hetero.jit
def monte_carlo_pi(u):
    # numba's docs example, with the random numbers passed in
    n = u.shape[0] // 2
    acc = 0
    for i in prange(n):
        x = u[2 * i]
        y = u[2 * i + 1]
        if x * x + y * y < 1.0:
            acc += 1
    return 4.0 * acc / n


@entry(lambda r: (_f(r, 40, 50),))
@hetero.jit
def row_sums(a):
    out = np.empty(a.shape[0])
    for i in prange(a.shape[0]):
        s = 0.0
        for j in range(a.shape[1]):
            s += a[i, j]
        out[i] = s
    return out


# --- harder cases: what numba accepts and users write ----------------------------------------

SCALE = 2.5  # a module global read in a body (numba freezes it)


@entry(lambda r: (_f(r, N), np.zeros(N)), outputs=(1,))
@hetero.jit
def global_constant_in_body(a, out):
    for i in prange(a.size):
        out[i] = a[i] * SCALE


@entry(lambda r: (_f(r, N),))
@hetero.jit
def reduction_binop_form(a):
    # numba infers a reduction from `s = s + e` too (its docs: "+=, +, -=, -, *=, *, /=, /, max(), min()")
    s = 0.0
    for i in prange(a.size):
        s = s + a[i]
    return s


@entry(lambda r: (_f(r, 50, lo=1.0, hi=1.1),))
@hetero.jit
def reduction_div(a):
    # numba: `/=` is a reduction (the product of the divisors)
    s = 1000.0
    for i in prange(a.size):
        s /= a[i]
    return s


@entry(lambda r: (_f(r, 100, 8),))
@hetero.jit
def array_reduction(a):
    # numba reduces into a whole array: each thread a private copy, summed at the end
    acc = np.zeros(a.shape[1])
    for i in prange(a.shape[0]):
        acc += a[i, :]
    return acc


@entry(lambda r: (_f(r, N), F64(0.5)))
@hetero.jit
def reduction_initial_from_argument(a, s):
    for i in prange(a.size):
        s += a[i]
    return s


@entry(lambda r: (_f(r, N), _f(r, N)))
@hetero.jit
def reduction_in_both_branches(a, b):
    s = 0.0
    for i in prange(a.size):
        if a[i] > b[i]:
            s += a[i]
        else:
            s += -b[i] * 0.5  # numba refuses `+=` and `-=` on one variable
    return s


@entry(lambda r: (_f(r, 30, 40),))
@hetero.jit
def reduction_in_inner_range_loop(a):
    s = 0.0
    for i in prange(a.shape[0]):
        for j in range(a.shape[1]):
            s += a[i, j] * j
    return s


@entry(lambda r: (_i(r, N, dtype=np.int32),), host=False)
@hetero.jit
def min_int_data_float_initial(a):
    # numba 0.68 itself gets this wrong on the host (it returns -2147483648, np.inf cast to int32 as
    # the identity), so the reference is plain Python
    m = np.inf
    for i in prange(a.size):
        m = min(m, a[i])
    return m


@entry(lambda r: (_f(r, N, dtype=F32),))
@hetero.jit
def sum_f32_accumulator(a):
    s = np.float32(0)
    for i in prange(a.size):
        s += a[i]
    return s


@entry(lambda r: (_i(r, N, dtype=np.uint32, lo=0, hi=1000), _i(r, N, dtype=np.int16, lo=-100, hi=100)))
@hetero.jit
def sum_small_int_types(a, b):
    s = 0
    t = 0
    for i in prange(a.size):
        s += a[i]
        t += b[i]
    return s, t


@entry(lambda r: (np.zeros(0),))
@hetero.jit
def empty_range(a):
    s = 0.0
    m = 5.0
    for i in prange(a.size):
        s += a[i]
        m = min(m, a[i])
    return s, m


@entry(lambda r: (_f(r, 3 * N),))
@hetero.jit
def reductions_in_driver_loop(a):
    # a prange loop inside a sequential driver loop, its reduction consumed each time
    total = 0.0
    for rep in range(3):
        s = 0.0
        for i in prange(rep * N, (rep + 1) * N):
            s += a[i] * (rep + 1)
        total += s
    return total


def _jacobi_inputs(r):
    a = np.zeros((16, 16))
    a[0, :] = 1.0
    return a, np.zeros((16, 16))


@entry(_jacobi_inputs, outputs=(0,))
@hetero.jit
def jacobi_until_converged(u, tmp):
    # a while loop in the driver around a stencil kernel and a max reduction
    err = 1.0
    it = 0
    while err > 1e-3 and it < 200:
        err = 0.0
        for i in prange(1, u.shape[0] - 1):
            for j in prange(1, u.shape[1] - 1):
                v = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1])
                tmp[i, j] = v
                err = max(err, abs(v - u[i, j]))
        for i in prange(1, u.shape[0] - 1):
            for j in prange(1, u.shape[1] - 1):
                u[i, j] = tmp[i, j]
        it += 1
    return it, err


@entry(lambda r: (_f(r, N), True, np.zeros(N)), outputs=(2,))
@hetero.jit
def prange_under_if(a, flag, out):
    if flag:
        for i in prange(a.size):
            out[i] = a[i] + 1.0
    else:
        for i in prange(a.size):
            out[i] = a[i] - 1.0


@entry(lambda r: (_f(r, N), np.zeros(N)), outputs=(1,))
@hetero.jit
def keyword_default(a, out, scale=3.0):
    for i in prange(a.size):
        out[i] = a[i] * scale


@entry(lambda r: (_f(r, N), np.zeros(N, np.bool_)), outputs=(1,))
@hetero.jit
def bool_output(a, mask):
    for i in prange(a.size):
        mask[i] = a[i] > 0.0


@entry(lambda r: ((_f(r, N) + 1j * _f(r, N)), np.zeros(N, np.complex128)), outputs=(1,))
@hetero.jit
def complex_elementwise(z, out):
    for i in prange(z.size):
        out[i] = z[i] * z[i].conjugate() + 1j * z[i]


@entry(lambda r: ((_f(r, N) + 1j * _f(r, N)),))
@hetero.jit
def complex_sum(z):
    s = 0j
    for i in prange(z.size):
        s += z[i] * z[i]
    return s


@entry(lambda r: (_f(r, 40, 2), np.zeros(40)), outputs=(1,))
@hetero.jit
def tuple_unpack_in_body(p, out):
    for i in prange(p.shape[0]):
        x, y = p[i, 0], p[i, 1]
        r2 = x * x + y * y
        out[i] = math.atan2(y, x) + r2


@entry(lambda r: (_i(r, N, dtype=np.int64, lo=0, hi=100), np.zeros(N)), outputs=(1,))
@hetero.jit
def int_math_and_cast(a, out):
    for i in prange(a.size):
        out[i] = math.sqrt(a[i]) + float(i % 7) + (a[i] // 3) * 0.5


@hetero.jit
def dot_row(a, b, i):
    s = 0.0
    for j in range(a.shape[1]):
        s += a[i, j] * b[j]
    return s


@entry(lambda r: (_f(r, 30, 20), _f(r, 20), np.zeros(30)), outputs=(2,))
@hetero.jit
def call_jit_with_arrays_in_body(a, b, out):
    for i in prange(a.shape[0]):
        out[i] = dot_row(a, b, i)


@entry(lambda r: (_f(r, N),))
@hetero.jit
def call_jit_returning_array(a):
    b = alloc_empty_like(a)  # another corpus function, run on the same device
    s = 0.0
    for i in prange(b.size):
        s += b[i]
    return b, s


@entry(lambda r: (_f(r, N),))
@hetero.jit
def driver_creators(a):
    n = a.size
    idx = np.arange(n)
    w = np.full(n, 0.5)
    out = np.empty(n, dtype=np.int32)
    for i in prange(n):
        out[i] = np.int32(idx[i] * w[i] + a[i])
    return out


@entry(lambda r: (_f(r, 20, 30),))
@hetero.jit
def nested_prange_not_perfect(a):
    # numba accepts a prange inside a prange body (the inner one runs sequentially)
    out = np.zeros(a.shape[0])
    for i in prange(a.shape[0]):
        t = 0.0
        for j in prange(a.shape[1]):
            t += a[i, j]
        out[i] = t
    return out



import numba  # noqa: E402  (numba.prange written as an attribute, as numba's docs do)


@entry(lambda r: (_f(r, N), _f(r, N)))
@hetero.jit
def numba_prange_attribute_and_bool_count(a, b):
    n_pos = 0
    best = -np.inf
    for i in numba.prange(a.size):
        n_pos += a[i] > b[i]
        best = max(best, a[i] - b[i])
    return n_pos, best


@entry(lambda r: (_i(r, 12, 13, dtype=np.int64, lo=-10**6, hi=10**6),))
@hetero.jit
def argmin_by_2d_min(a):
    # min over a 2-D nest of a value that encodes its position (exact for integers)
    m = 10**15
    for i in prange(a.shape[0]):
        for j in prange(a.shape[1]):
            m = min(m, a[i, j] * 1000 + i * 13 + j)
    return m


# --- functions the device split must refuse (not in CORPUS) ----------------------------------


@hetero.jit
def err_break(a, out):
    for i in prange(a.size):
        if a[i] < 0:
            break  # ERR-LINE break
        out[i] = a[i]


@hetero.jit
def err_continue(a, out):
    for i in prange(a.size):
        if a[i] < 0:
            continue  # ERR-LINE continue
        out[i] = a[i]


@hetero.jit
def err_return(a, out):
    for i in prange(a.size):
        if a[i] < 0:
            return i  # ERR-LINE return
        out[i] = a[i]
    return -1


@hetero.jit
def err_read_after(a):
    last = 0.0
    for i in prange(a.size):
        last = a[i] * 2.0  # ERR-LINE read_after
    return last


@hetero.jit
def err_defined_in_body_read_after(a, out):
    for i in prange(a.size):
        t = a[i] * 2.0  # ERR-LINE body_only
        out[i] = t
    return t


@hetero.jit
def err_two_kinds(a):
    s = 0.0
    for i in prange(a.size):  # ERR-LINE two_kinds (the loop is named: no one statement is wrong)
        s += a[i]
        s = max(s, a[i])
    return s


@hetero.jit
def aliasing_double(out, x):
    for i in prange(x.size):
        out[i] = x[i] * 2.0


@hetero.jit
def shift_left(dst, src):
    for i in prange(dst.size):
        dst[i] = src[i] + 1.0


def err_line(tag: str) -> int:
    """The line in this file marked ``# ERR-LINE <tag>``."""
    with open(__file__) as f:
        for k, line in enumerate(f, 1):
            if f"# ERR-LINE {tag}" in line:
                return k
    raise LookupError(tag)
