"""No silent wrong answers: writes are never lost, stale binaries are never trusted."""

from __future__ import annotations

import numpy as np
import pytest

import hetero
from tests.conftest import SYCL_DEVICES

BACKENDS = [d.filter_string for d in SYCL_DEVICES] + ["host", "interpret"]


def _launch(backend, k, rng, *args):
    if backend == "interpret":
        k.interpret[rng](*args)
    else:
        with hetero.device(backend):
            k[rng](*args)


@hetero.kernel
def write_through_a_tuple(i, a, c):
    t = (a, c)
    t[1][i] = a[i] + 1


@hetero.kernel
def write_through_an_unpacked_tuple(i, a, b, c):
    x, y = (b, c)
    y[i] = a[i] * 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_write_through_a_tuple_reaches_the_numpy_argument(backend):
    a = np.arange(5.0)
    c = np.zeros(5)
    _launch(backend, write_through_a_tuple, 5, a, c)
    np.testing.assert_array_equal(c, a + 1)
    b = np.zeros(5)
    c = np.zeros(5)
    _launch(backend, write_through_an_unpacked_tuple, 5, a, b, c)
    np.testing.assert_array_equal(c, 2 * a)
    np.testing.assert_array_equal(b, 0)


def test_the_analysis_counts_arrays_held_in_tuples():
    v = np.zeros(4)
    assert write_through_a_tuple.compile(4, v, v, target="spirv").written == {0, 1}  # unsure: both
    assert write_through_an_unpacked_tuple.compile(4, v, v, v, target="spirv").written == {2}


def test_the_cache_key_covers_the_compiler_source(monkeypatch):
    from hetero.compiler import cache

    def f(i, a):
        a[i] = 1

    parts = ((("array", "<f8", 1, "C"),), ("item", 1), 1)
    before = cache.key(f, parts, target="spirv")
    monkeypatch.setattr(cache, "_versions", None)
    monkeypatch.setattr(cache, "_compiler_digest", lambda: "an-edited-compiler")
    assert cache.key(f, parts, target="spirv") != before
