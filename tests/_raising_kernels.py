"""Kernels with assert and raise, outside test modules (pytest rewrites asserts there)."""

import hetero


@hetero.kernel
def asserts_non_negative(i, a, out):
    assert a[i] >= 0, "negative input"
    out[i] = a[i] * 2


@hetero.kernel
def raises_on_negative(i, a, out):
    if a[i] < 0:
        raise ValueError("no negatives here")
    out[i] = a[i]


@hetero.device_function
def checked_increment(x):
    assert x < 100, "too big"
    return x + 1


@hetero.kernel
def asserts_in_a_device_function(i, a, out):
    out[i] = checked_increment(a[i])
