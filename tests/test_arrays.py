"""Compute follows data: asarray, to_device, asnumpy, device_of, namespace, creation functions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import hetero
from hetero._arrays import is_device_array

from .conftest import SYCL_DEVICES

DTYPES = [np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64,
          np.float32, np.float64, np.complex64, np.complex128]


def _values(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return rng.integers(0, 2, size=shape).astype(dt)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True)
    if dt.kind == "f":
        return (rng.standard_normal(shape) * 1e3).astype(dt)
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dt)


def _supported(dev, dtype):
    return dev.has_fp64 or np.dtype(dtype) not in (np.float64, np.complex128)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("shape", [(), (0,), (7,), (3, 0, 2), (5, 4)], ids=str)
def test_round_trip_exact(device, dtype, shape):
    if not _supported(device, dtype):
        pytest.skip(f"{device} has no fp64")
    a = _values(dtype, shape)
    x = hetero.asarray(a, device=device)
    assert hetero.device_of(x) == device
    assert x.dtype == a.dtype and x.shape == a.shape
    back = hetero.asnumpy(x)
    assert type(back) is np.ndarray and back.dtype == a.dtype
    np.testing.assert_array_equal(back, a)


@pytest.mark.parametrize("dtype", [np.int32, np.float32, np.complex64, np.bool_], ids=lambda t: np.dtype(t).name)
def test_round_trip_non_contiguous(device, dtype):
    base = _values(dtype, (6, 8, 5), seed=1)
    views = [base[::2], base[:, ::-3], base.transpose(2, 0, 1), base[1:5, 2:7:2, ::-1], base[..., 3],
             np.asfortranarray(base)]
    for v in views:
        x = hetero.asarray(v, device=device)
        np.testing.assert_array_equal(hetero.asnumpy(x), v)
        # and from a non-contiguous device view back to the host
        if not device.is_host:
            sub = x[::-1]
            np.testing.assert_array_equal(hetero.asnumpy(sub), v[::-1])


@settings(max_examples=30, deadline=None)
@given(
    a=hnp.arrays(
        dtype=st.sampled_from([np.int16, np.uint32, np.int64, np.float32, np.complex64]),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
    ),
    step=st.integers(min_value=1, max_value=3),
)
def test_round_trip_property(a, step):
    for dev in SYCL_DEVICES + [hetero.host]:
        v = a[::step] if a.ndim else a
        np.testing.assert_array_equal(hetero.asnumpy(hetero.asarray(v, device=dev)), v)


def test_host_asarray_is_numpy():
    a = np.arange(4.0)
    assert hetero.asarray(a, device="host") is a
    assert hetero.asarray(a, device=hetero.host, copy=True) is not a
    assert type(hetero.asarray([1, 2], device="host")) is np.ndarray


def test_device_asarray_uses_cached_queue(sycl_device):
    x = hetero.asarray([1.0, 2.0], device=sycl_device)
    assert is_device_array(x) and x.sycl_queue == sycl_device.sycl_queue


def test_default_device_is_used(sycl_device):
    with hetero.device(sycl_device):
        x = hetero.asarray(np.ones(3))
        assert hetero.device_of(x) == sycl_device
        z = hetero.zeros(4)
        assert hetero.device_of(z) == sycl_device
    with hetero.device("host"):
        # device=None: a device array stays where it is (no implicit copy, as in the array API)...
        assert hetero.asarray(x) is x
        # ...host data goes to the default device, and device= moves explicitly
        assert type(hetero.asarray([1.0])) is np.ndarray
        assert type(hetero.asarray(x, device="host")) is np.ndarray


def test_asarray_device_array_same_device_no_copy(sycl_device):
    x = hetero.asarray(np.arange(5), device=sycl_device)
    assert hetero.asarray(x, device=sycl_device) is x
    y = hetero.asarray(x, device=sycl_device, copy=True)
    assert y is not x
    y[0] = 42
    assert int(x[0]) == 0
    assert hetero.asarray(x, device=sycl_device, dtype=np.float32).dtype == np.float32


def test_asarray_copy_false_when_impossible(sycl_device):
    with pytest.raises(ValueError, match="copy=False"):
        hetero.asarray(np.ones(3), device=sycl_device, copy=False)
    x = hetero.asarray(np.ones(3), device=sycl_device)
    with pytest.raises(ValueError, match="copy=False"):
        hetero.asarray(x, device="host", copy=False)


def test_usm_ndarray_and_dlpack_and_array_interface(sycl_device):
    import dpnp

    usm = dpnp.arange(6, device=sycl_device.sycl_device).get_array()
    x = hetero.asarray(usm, device=sycl_device)
    assert isinstance(x, dpnp.ndarray)
    np.testing.assert_array_equal(hetero.asnumpy(x), np.arange(6))
    assert hetero.device_of(usm) == sycl_device
    np.testing.assert_array_equal(hetero.asnumpy(usm), np.arange(6))

    class HostDLPack:  # a CPU DLPack producer that is not a NumPy array
        def __init__(self, a):
            self._a = a

        def __dlpack__(self, **kw):
            return self._a.__dlpack__(**kw)

        def __dlpack_device__(self):
            return self._a.__dlpack_device__()

    class ArrayLike:
        def __array__(self, dtype=None, copy=None):
            return np.array([[1, 2], [3, 4]], dtype=dtype)

    np.testing.assert_array_equal(hetero.asnumpy(hetero.asarray(HostDLPack(np.arange(3.0)), device=sycl_device)),
                                  np.arange(3.0))
    np.testing.assert_array_equal(hetero.asnumpy(hetero.asarray(ArrayLike(), device=sycl_device)),
                                  [[1, 2], [3, 4]])
    assert hetero.asarray(3.5, device=sycl_device).shape == ()
    # a oneAPI DLPack producer that is not a dpnp array stays on its device
    onedev = HostDLPack(dpnp.arange(4, device=sycl_device.sycl_device))
    y = hetero.asarray(onedev, device=sycl_device)
    assert isinstance(y, dpnp.ndarray) and hetero.device_of(y) == sycl_device
    np.testing.assert_array_equal(hetero.asnumpy(y), np.arange(4))
    # a CPU DLPack producer to the host
    h = hetero.asarray(HostDLPack(np.arange(3.0)), device="host")
    assert type(h) is np.ndarray and h.tolist() == [0.0, 1.0, 2.0]
    # asnumpy and device_of understand DLPack producers too
    assert hetero.asnumpy(HostDLPack(np.arange(3.0))).tolist() == [0.0, 1.0, 2.0]
    assert hetero.asnumpy(onedev).tolist() == [0, 1, 2, 3]
    assert hetero.device_of(onedev) == sycl_device
    assert hetero.device_of(HostDLPack(np.arange(3.0))) is hetero.host


def test_to_device_and_queue_target(sycl_device):
    import dpctl

    a = np.arange(10, dtype=np.float32)
    x = hetero.to_device(a, sycl_device)
    assert hetero.device_of(x) == sycl_device
    other_q = dpctl.SyclQueue(sycl_device.sycl_device)  # a second queue on the same device
    y = hetero.to_device(x, other_q)
    assert y.sycl_queue == other_q and y.sycl_queue != x.sycl_queue
    np.testing.assert_array_equal(hetero.asnumpy(y), a)
    assert type(hetero.to_device(x, "host")) is np.ndarray
    with pytest.raises(TypeError, match="device is required"):
        hetero.to_device(x, None)


def test_device_of():
    assert hetero.device_of(np.ones(2)) is hetero.host
    assert hetero.device_of(3.0) is hetero.host
    assert hetero.device_of([1, 2]) is hetero.host


def test_namespace_and_execution_device_host():
    a, b = np.ones(2), np.zeros(2)
    assert hetero.namespace(a, b) is np
    assert hetero.namespace(a, 2.0, np.float32(1)) is np
    assert hetero.execution_device(a, 3) is hetero.host
    assert hetero.namespace() is np
    assert hetero.execution_device(1.0) == hetero.default_device()


def test_namespace_device(sycl_device):
    import dpnp

    x = hetero.ones(3, device=sycl_device)
    y = hetero.zeros(3, device=sycl_device)
    assert hetero.namespace(x, y, 2.0) is dpnp
    assert hetero.execution_device(x, y) == sycl_device


def test_mixed_host_and_device_is_placement_error(sycl_device):
    x = hetero.ones(3, device=sycl_device)
    b = np.ones(3)
    with pytest.raises(hetero.PlacementError) as exc:
        hetero.namespace(x, b)
    msg = str(exc.value)
    assert sycl_device.filter_string in msg and "host" in msg and "hetero.to_device" in msg
    with pytest.raises(ValueError):  # PlacementError is a ValueError
        hetero.execution_device(b, x)


def test_two_queues_is_placement_error(sycl_device):
    import dpctl
    import dpnp

    x = hetero.ones(3, device=sycl_device)
    y = dpnp.ones(3, sycl_queue=dpctl.SyclQueue(sycl_device.sycl_device))
    with pytest.raises(hetero.PlacementError, match="two different queues") as exc:
        hetero.namespace(x, y)
    assert sycl_device.filter_string in str(exc.value)


def test_namespace_rejects_non_arrays():
    with pytest.raises(TypeError, match="not an array"):
        hetero.namespace(np.ones(2), [1, 2])


def test_unsupported_dtype_on_device_without_fp64(sycl_device, monkeypatch):
    monkeypatch.setattr(type(sycl_device), "has_fp64", property(lambda self: self.is_host))
    with pytest.raises(hetero.UnsupportedDtypeError, match="no fp64") as exc:
        hetero.asarray(np.ones(3), device=sycl_device)
    assert "float32" in str(exc.value)
    with pytest.raises(hetero.UnsupportedDtypeError):
        hetero.zeros(3, dtype=np.complex128, device=sycl_device)
    assert hetero.asarray(np.ones(3, np.float32), device=sycl_device).dtype == np.float32
    with pytest.raises(TypeError):  # UnsupportedDtypeError is a TypeError
        hetero.asarray(np.ones(3), device=sycl_device)


def test_object_and_string_dtypes_rejected(sycl_device):
    with pytest.raises(hetero.UnsupportedDtypeError, match="booleans, integers"):
        hetero.asarray(np.array(["a", "b"]), device=sycl_device)


def test_non_native_byte_order(device):
    a = np.arange(5, dtype=">f8")
    x = hetero.asarray(a, device=device)
    np.testing.assert_array_equal(hetero.asnumpy(x), np.arange(5.0))


def test_bad_shapes_and_prototypes(device):
    with pytest.raises(ValueError, match="negative dimensions"):
        hetero.zeros(-1, device=device)
    with pytest.raises(ValueError, match="negative dimensions"):
        hetero.full((2, -3), 1.0, device=device)
    with pytest.raises(TypeError, match="prototype"):
        hetero.zeros_like([1, 2, 3])


def test_to_device_stream_must_agree(sycl_device):
    with pytest.raises(ValueError, match="disagree"):
        hetero.to_device(np.arange(3.0), "host", stream=sycl_device.sycl_queue)
    y = hetero.to_device(np.arange(3.0), sycl_device, stream=sycl_device.sycl_queue)
    assert y.sycl_queue == sycl_device.sycl_queue


def test_bad_device_argument():
    with pytest.raises(hetero.DeviceNotFoundError, match="available devices"):
        hetero.asarray([1, 2], device="nonsense")
    with pytest.raises(hetero.DeviceNotFoundError):
        hetero.zeros(3, device="cuda:gpu:3")


@pytest.mark.parametrize("fn, args", [
    (hetero.empty, ((2, 3),)), (hetero.zeros, ((2, 3),)), (hetero.ones, ((4,),)), (hetero.full, ((2, 2), 7)),
    (hetero.arange, (5,)),
])
def test_creation(device, fn, args):
    x = fn(*args, device=device, dtype=np.int32)
    assert hetero.device_of(x) == device and x.dtype == np.int32
    ref = {hetero.empty: None, hetero.zeros: np.zeros((2, 3), np.int32), hetero.ones: np.ones(4, np.int32),
           hetero.full: np.full((2, 2), 7, np.int32), hetero.arange: np.arange(5, dtype=np.int32)}[fn]
    if ref is not None:
        np.testing.assert_array_equal(hetero.asnumpy(x), ref)


def test_arange_forms(device):
    np.testing.assert_array_equal(hetero.asnumpy(hetero.arange(2, 11, 3, device=device)), np.arange(2, 11, 3))


@pytest.mark.parametrize("fn", ["empty_like", "zeros_like", "ones_like", "full_like"])
def test_like_functions_follow_prototype(device, fn):
    proto = hetero.asarray(np.zeros((3, 2), np.int16), device=device)
    args = (5,) if fn == "full_like" else ()
    x = getattr(hetero, fn)(proto, *args)
    assert hetero.device_of(x) == device and x.shape == (3, 2) and x.dtype == np.int16
    if fn == "full_like":
        np.testing.assert_array_equal(hetero.asnumpy(x), np.full((3, 2), 5))
    y = getattr(hetero, fn)(proto, *args, device="host", dtype=np.float32)
    assert type(y) is np.ndarray and y.dtype == np.float32


def test_array_checks_do_not_import_dpnp(clean_env):
    r = clean_env(
        "import sys, numpy as np, hetero\n"
        "a = np.ones(3)\n"
        "assert hetero.device_of(a) is hetero.host\n"
        "assert hetero.namespace(a, 1.0) is np\n"
        "assert hetero.execution_device(a) is hetero.host\n"
        "with hetero.device('host'):\n"
        "    hetero.asarray([1, 2]); hetero.zeros(3)\n"
        "print('dpnp' in sys.modules)"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_device_computation_follows_data(device):
    a = np.linspace(0, 1, 1000, dtype=np.float32)
    x = hetero.asarray(a, device=device)
    xp = hetero.namespace(x)
    y = xp.sin(x) * 2 + 1
    assert hetero.device_of(y) == device
    np.testing.assert_allclose(hetero.asnumpy(y), np.sin(a) * 2 + 1, rtol=1e-6)
