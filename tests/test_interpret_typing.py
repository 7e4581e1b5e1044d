"""One integer (and float-precision) rule on every back end: numba's.

The interpreter (hetero/backends/interpret.py) runs a kernel's Python on NumPy scalars, but with
numba's typing of the arithmetic, as sycl and host have it (tests/_fuzz.py, ``NumbaModel``):
int32 + int32 is int64, a Python constant is int64 / float64, work-item ids and ``range()``
loop variables are int64, -int32 is int64, ``math.sqrt(float32)`` is float32, min/max unify
their operands' types. Each test runs one kernel on the interpreter, on host and on the SYCL
device (when there is one) and wants identical results; the inputs are chosen so that Python's
own promotion (NumPy 2, NEP 50) would give another answer.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tests._kernel_fixtures  # noqa: F401  (kernels compile into a fresh cache directory)
from tests._kernel_fixtures import BACKENDS, run

import hetero

COMPILED = [b for b in BACKENDS if not b.is_interpret]
INTERPRET = next(b for b in BACKENDS if b.is_interpret)


def agree(k, rng, *args, out=(-1,), sycl_f32_ulps=0):
    """Run ``k`` on every back end on copies of ``args``; the arrays at positions ``out`` must be
    identical (dtype and bits) everywhere — but for float32 work that OpenCL lets a device round
    less exactly (``sqrt``: 3 ulp), where a SYCL device's results must be float32 values within
    ``sycl_f32_ulps`` float32 ulps. Returns the interpreter's outputs."""
    results = {}
    for be in [INTERPRET, *COMPILED]:
        copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # no NumPy overflow warning leaks out
            run(be, k, rng, *copies)
        results[be.name] = [copies[j] for j in out]
    want = results[INTERPRET.name]
    sycl = {b.name for b in COMPILED if b.is_sycl}
    for name, got in results.items():
        for w, g in zip(want, got):
            assert w.dtype == g.dtype
            if sycl_f32_ulps and name in sycl:
                g32 = g.astype(np.float32)
                np.testing.assert_array_equal(g32.astype(g.dtype), g, err_msg=f"{name} did not compute in float32")
                np.testing.assert_array_max_ulp(g32, w.astype(np.float32), maxulp=sycl_f32_ulps)
                continue
            np.testing.assert_array_equal(g, w, err_msg=f"{name} differs from interpret")
    return want


@hetero.kernel
def sum_i32_into_i64(i, a, b, out):
    out[i] = a[i] + b[i]


def test_int32_plus_int32_is_int64():
    a = np.array([2**31 - 1, 2**31 - 10, -(2**31), 5], np.int32)
    b = np.array([1, 2**31 - 1, -1, -5], np.int32)
    (out,) = agree(sum_i32_into_i64, 4, a, b, np.zeros(4, np.int64))
    np.testing.assert_array_equal(out, a.astype(np.int64) + b)  # no int32 wrap-around


@hetero.kernel
def product_then_floordiv(i, a, b, out):
    out[i] = (a[i] * a[i]) // b[i]  # a 64-bit intermediate


@hetero.kernel
def floordiv_mod(i, a, b, q, r):
    q[i] = a[i] // b[i]
    r[i] = a[i] % b[i]


def test_intermediate_overflow_and_floordiv():
    a = np.array([70000, -70000, 46341, 3], np.int32)
    b = np.array([7, 3, -2, 2], np.int32)
    (out,) = agree(product_then_floordiv, 4, a, b, np.zeros(4, np.int32))
    np.testing.assert_array_equal(out, ((a.astype(np.int64) ** 2) // b).astype(np.int32))
    a = np.array([-7, 7, -(2**31), 2**31 - 1], np.int32)
    b = np.array([2, -2, -1, -1], np.int32)
    q, r = agree(floordiv_mod, 4, a, b, np.zeros(4, np.int64), np.zeros(4, np.int64), out=(-2, -1))
    np.testing.assert_array_equal(q, a.astype(np.int64) // b)  # -2**31 // -1 fits in int64
    np.testing.assert_array_equal(r, a.astype(np.int64) % b)


@hetero.kernel
def compare_sum(i, a, b, out):
    if a[i] + b[i] > 0:  # positive in int64, negative after an int32 wrap
        out[i] = 1
    else:
        out[i] = 2


def test_comparison_of_an_int32_sum():
    a = np.array([2**31 - 1, -5], np.int32)
    b = np.array([2**31 - 1, 1], np.int32)
    (out,) = agree(compare_sum, 2, a, b, np.zeros(2, np.int32))
    np.testing.assert_array_equal(out, [1, 2])


@hetero.kernel
def scale_by_constant(i, a, out):
    out[i] = a[i] * 0.1


@hetero.kernel
def compare_to_constant(i, a, out):
    out[i] = 1 if a[i] > 0.1 else 0  # float32(0.1) > 0.1 in float64, not in float32


def test_float32_times_a_python_float_is_float64():
    a = np.array([1.0, 3.3, -7.1, 1e6 + 0.5], np.float32)
    (out,) = agree(scale_by_constant, 4, a, np.zeros(4))
    np.testing.assert_array_equal(out, a.astype(np.float64) * 0.1)
    assert not np.array_equal(out, (a * np.float32(0.1)).astype(np.float64))
    (cmp,) = agree(compare_to_constant, 1, np.array([0.1], np.float32), np.zeros(1, np.int32))
    assert cmp[0] == 1


@hetero.kernel
def id_arithmetic(i, a, out):
    out[i] = (i + 2**31 - 2) + a[i]


@hetero.kernel
def loop_variable(i, a, out):
    acc = a[i]
    for k in range(3):
        acc = acc + k * a[i]  # k is an int64: int64 work, not int32
    out[i] = acc


@hetero.kernel
def loop_accumulates_float32_times_constant(i, a, out):
    acc = 0
    for k in range(3):
        acc += a[i] * 0.1 + k
    out[i] = acc


def test_ids_and_loop_variables_are_int64():
    a = np.array([5, -3, 2**30, 2**31 - 1], np.int32)
    (out,) = agree(id_arithmetic, 4, a, np.zeros(4, np.int64))
    np.testing.assert_array_equal(out, np.arange(4) + 2**31 - 2 + a.astype(np.int64))
    (out,) = agree(loop_variable, 4, a, np.zeros(4, np.int64))
    np.testing.assert_array_equal(out, a.astype(np.int64) * 4)
    f = np.array([1.0, 3.3, -7.1], np.float32)
    (out,) = agree(loop_accumulates_float32_times_constant, 3, f, np.zeros(3))
    want = np.zeros(3)
    for k in range(3):
        want = want + (f.astype(np.float64) * 0.1 + k)
    np.testing.assert_array_equal(out, want)


@hetero.kernel
def negate(i, a, out):
    out[i] = -a[i] * 3  # int64 work after the negation


@hetero.kernel
def negate_then_compare(i, a, out):
    out[i] = 1 if -a[i] > 0 else 0


def test_negating_an_int32_is_int64():
    # numba types -int32 as int64 but negates in int32 and then widens: -(-2**31) stays -2**31
    a = np.array([-(2**31), 5, -(2**30)], np.int32)
    (out,) = agree(negate, 3, a, np.zeros(3, np.int64))
    np.testing.assert_array_equal(out, [-3 * 2**31, -15, 3 * 2**30])
    (out,) = agree(negate_then_compare, 3, a, np.zeros(3, np.int32))
    np.testing.assert_array_equal(out, [0, 0, 1])  # the int32 negation wrapped


@hetero.kernel
def sqrt_then_multiply(i, a, out):
    out[i] = math.sqrt(a[i]) * a[i]  # float32 work on every back end


def test_math_sqrt_of_float32_is_float32():
    a = np.array([2.0, 3.0, 7.5, 1e-3], np.float32)
    (out,) = agree(sqrt_then_multiply, 4, a, np.zeros(4), sycl_f32_ulps=4)  # sqrt 3 ulp, the product 0.5
    np.testing.assert_array_equal(out, (np.sqrt(a) * a).astype(np.float64))


@hetero.kernel
def min_of_mixed(i, a, b, out):
    out[i] = min(a[i], b[i]) * a[i]  # min(float32, int32) is a float64 under numba


def test_min_unifies_its_operands():
    a = np.array([1.1, 3.3, -7.1], np.float32)
    b = np.array([5, 7, 0], np.int32)
    (out,) = agree(min_of_mixed, 3, a, b, np.zeros(3))
    np.testing.assert_array_equal(out, np.minimum(a.astype(np.float64), b) * a.astype(np.float64))


@hetero.kernel
def int64_wraps(i, a, out):
    out[i] = a[i] * 4 + 9223372036854775807


def test_int64_overflow_wraps_without_a_warning():
    a = np.array([2**62, -(2**62), 3], np.int64)
    (out,) = agree(int64_wraps, 3, a, np.zeros(3, np.int64))
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(out, a * 4 + np.int64(2**63 - 1))


@hetero.kernel
def unsigned_mix(i, a, b, c, out, out2):
    out[i] = a[i] + b[i]  # uint32 + int32 is int64 under numba (int64 under NumPy too)
    out2[i] = (a[i] + c[i]) * 2  # uint32 + uint64 is uint64


def test_unsigned_arithmetic():
    a = np.array([2**32 - 1, 7], np.uint32)
    b = np.array([-(2**31), 1], np.int32)
    c = np.array([2**63, 1], np.uint64)
    out, out2 = agree(unsigned_mix, 2, a, b, c, np.zeros(2, np.int64), np.zeros(2, np.uint64), out=(-2, -1))
    np.testing.assert_array_equal(out, a.astype(np.int64) + b)


@hetero.device_function
def scaled(x, y):
    return x * 0.5 + y


@hetero.kernel
def calls_a_device_function(i, a, b, out):
    out[i] = scaled(a[i], b[i])


def test_device_functions_follow_the_same_rule():
    a = np.array([2**31 - 1, -3], np.int32)
    b = np.array([2**31 - 1, 2], np.int32)
    (out,) = agree(calls_a_device_function, 2, a, b, np.zeros(2))
    np.testing.assert_array_equal(out, a * 0.5 + b.astype(np.float64))


@hetero.kernel
def python_int_argument(i, a, n, out):
    out[i] = a[i] + n


def test_python_int_arguments_are_int64_and_too_big_ones_are_refused():
    a = np.array([2**31 - 1, 1], np.int32)
    (out,) = agree(python_int_argument, 2, a, 2**31, np.zeros(2, np.int64))
    np.testing.assert_array_equal(out, a.astype(np.int64) + 2**31)
    for be in BACKENDS:
        with pytest.raises(hetero.LaunchError, match="does not fit in the int64"):
            run(be, python_int_argument, 2, a, 2**64, np.zeros(2, np.int64))


def test_the_users_function_is_left_alone():
    from hetero.backends.interpret import _with_numba_math

    f = sum_i32_into_i64.py_func
    before = (f.__code__, dict(f.__globals__).keys())
    g = _with_numba_math(f)
    assert g is not f and f.__code__ is before[0] and f.__globals__.keys() == before[1]
    assert g.__code__.co_filename == f.__code__.co_filename and g.__code__.co_firstlineno == f.__code__.co_firstlineno
    assert "_hetero_numba_add" not in f.__globals__


def test_closures_keep_their_cells():
    scale = 3

    @hetero.kernel
    def closure(i, a, out):
        out[i] = a[i] * scale + a[i]

    a = np.array([2**31 - 1, 4], np.int32)
    (out,) = agree(closure, 2, a, np.zeros(2, np.int64))
    np.testing.assert_array_equal(out, a.astype(np.int64) * 4)
