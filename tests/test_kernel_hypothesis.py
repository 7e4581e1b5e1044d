"""Random shapes, strides, offsets and dtypes: an item-style kernel against NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hetero.kernel_api import get_global_id, kernel
from tests._kernel_fixtures import _DEVICES, back

DTYPES = ["bool", "int8", "uint16", "int32", "uint64", "float32", "float64", "complex64", "complex128"]


@kernel
def combine(it, a, b, out):
    out[it] = a[it] * 2 + b[it]


@kernel
def combine_opencl(a, b, out):
    i = get_global_id(0)
    out[i] = a[i] * 2 + b[i]


@st.composite
def views(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(0, 6)) for _ in range(ndim))
    steps = tuple(draw(st.sampled_from([1, 2, -1, 3])) for _ in range(ndim))
    offsets = tuple(draw(st.integers(0, 2)) for _ in range(ndim))
    dtype = draw(st.sampled_from(DTYPES))
    transpose = draw(st.booleans())
    fortran = draw(st.booleans())
    return shape, steps, offsets, dtype, transpose, fortran


def _make(shape, steps, offsets, dtype, transpose, fortran, seed):
    """A view of the given shape cut out of a bigger base array, and that base."""
    base_shape = tuple(o + abs(s) * max(n, 1) + 1 for n, s, o in zip(shape, steps, offsets))
    rng = np.random.default_rng(seed)
    base = (rng.integers(0, 7, size=base_shape)).astype(dtype)
    if fortran:
        base = np.asfortranarray(base)
    idx = []
    for n, s, o in zip(shape, steps, offsets):
        if s > 0:
            idx.append(slice(o, o + s * n, s))
        else:
            start = o + abs(s) * n
            idx.append(slice(start, start - abs(s) * n if start - abs(s) * n >= 0 else None, s))
    view = base[tuple(idx)]
    if transpose:
        view = view.transpose()
    return base, tuple(idx), view


@pytest.mark.skipif(not _DEVICES, reason="no SYCL device on this machine")
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(views(), st.booleans())
def test_random_views_against_numpy(spec, use_item):
    import dpnp

    device = _DEVICES[0]
    shape, steps, offsets, dtype, transpose, fortran = spec
    base_a, idx, va = _make(shape, steps, offsets, dtype, transpose, fortran, 1)
    base_b, _, vb = _make(shape, steps, offsets, dtype, transpose, fortran, 2)
    base_o = np.zeros_like(base_a)
    vo = base_o[idx].transpose() if transpose else base_o[idx]
    q = device.sycl_queue
    da = dpnp.asarray(base_a, sycl_queue=q)
    db = dpnp.asarray(base_b, sycl_queue=q)
    do = dpnp.asarray(base_o, sycl_queue=q)
    sel = (lambda x: x[idx].transpose()) if transpose else (lambda x: x[idx])
    dva, dvb, dvo = sel(da), sel(db), sel(do)
    assert dva.shape == va.shape
    if use_item or va.ndim != 1:
        combine[va.shape](dva, dvb, dvo)
    else:
        combine_opencl[va.shape](dva, dvb, dvo)
    want = base_o.copy()
    (want[idx].transpose() if transpose else want[idx])[...] = (va * 2 + vb).astype(dtype)
    got = back(do)
    if np.dtype(dtype).kind in "fc":
        np.testing.assert_allclose(got, want, rtol=1e-6)
    else:
        np.testing.assert_array_equal(got, want)
