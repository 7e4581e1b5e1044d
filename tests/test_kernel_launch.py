"""Launching kernels: range forms, events, ordering with dpnp, NumPy arguments, placement."""

from __future__ import annotations

import numpy as np
import pytest

import hetero
from hetero.kernel_api import Event, NdRange, Range, get_global_id, kernel, synchronize
from tests._kernel_fixtures import back, to_dev


@kernel
def fill_linear(it, out):
    out[it] = it.get_linear_id()


@kernel
def twice(i, x, y):
    y[i] = x[i] * 2


@kernel
def twice_opencl(x, y):
    i = get_global_id(0)
    y[i] = x[i] * 2


@pytest.mark.parametrize(
    "key, shape",
    [
        (5, (5,)),
        ((5,), (5,)),
        ([5], (5,)),
        ((4, 6), (4, 6)),
        (Range(4, 6), (4, 6)),
        (Range((2, 3, 4)), (2, 3, 4)),
        (np.int64(7), (7,)),
    ],
)
def test_range_forms(sycl_device, key, shape):
    out = to_dev(np.zeros(shape, np.int64), sycl_device)
    fill_linear[key](out)
    np.testing.assert_array_equal(back(out), np.arange(np.prod(shape)).reshape(shape))


@pytest.mark.parametrize(
    "key",
    [NdRange((8, 6), (4, 3)), ((8, 6), (4, 3)), (Range(8, 6), Range(4, 3)), ((48,), (8,))],
)
def test_ndrange_forms(sycl_device, key):
    rng = key if isinstance(key, NdRange) else NdRange(*key)
    shape = rng.global_range.dims
    out = to_dev(np.zeros(shape, np.int64), sycl_device)
    fill_linear[key](out)
    np.testing.assert_array_equal(back(out), np.arange(np.prod(shape)).reshape(shape))


def test_submit_returns_event_and_depends_on(sycl_device):
    import dpnp

    n = 1 << 16
    x = dpnp.ones(n, dtype=np.float32, sycl_queue=sycl_device.sycl_queue)
    y = dpnp.empty_like(x)
    z = dpnp.empty_like(x)
    ev1 = twice.submit(n, x, y)
    assert isinstance(ev1, Event)
    ev2 = twice.submit(Range(n), y, z, depends_on=[ev1])
    ev2.wait()
    assert ev2.is_complete and ev1.is_complete
    assert float(dpnp.sum(z)) == 4 * n
    assert "complete" in repr(ev2)
    with pytest.raises(hetero.LaunchError, match="depends_on"):
        twice.submit(n, x, y, depends_on=["not an event"])


def test_launch_returns_without_waiting_and_synchronize(sycl_device):
    import dpnp

    n = 1 << 18
    x = dpnp.ones(n, dtype=np.float32, sycl_queue=sycl_device.sycl_queue)
    y = dpnp.empty_like(x)
    for _ in range(5):
        ev = twice[n](x, y)
    assert isinstance(ev, Event)
    synchronize()
    assert ev.is_complete
    synchronize(sycl_device)
    synchronize(sycl_device.sycl_queue)
    assert float(dpnp.sum(y)) == 2 * n


def _ordering_round(n, k, queue):
    import dpnp

    x = dpnp.ones(n, dtype=np.float32, sycl_queue=queue)
    y = dpnp.empty(n, dtype=np.float32, sycl_queue=queue)
    k[n](x, y)
    return float(dpnp.sum(y))


@pytest.mark.parametrize("k", [twice, twice_opencl], ids=["item", "opencl"])
def test_ordering_with_dpnp_100_times(sycl_device, k):
    """x = dpnp.ones(n); k[n](x, y); s = dpnp.sum(y) — right 100 times, no manual waits."""
    n = 1 << 20
    sums = [_ordering_round(n, k, sycl_device.sycl_queue) for _ in range(100)]
    assert sums == [2.0 * n] * 100


@pytest.mark.slow
def test_ordering_with_dpnp_2_pow_24(sycl_device):
    n = 1 << 24
    sums = [_ordering_round(n, twice, sycl_device.sycl_queue) for _ in range(5)]
    assert sums == [2.0 * n] * 5


def test_chain_of_kernels_and_dpnp_ops(sycl_device):
    import dpnp

    n = 100_000
    x = dpnp.arange(n, dtype=np.float64, sycl_queue=sycl_device.sycl_queue)
    y = dpnp.empty_like(x)
    for _ in range(10):
        twice[n](x, y)
        x = y + 1  # dpnp reads what the kernel wrote, then the next kernel reads dpnp's result
        y = dpnp.empty_like(x)
    want = np.arange(n, dtype=np.float64)
    for _ in range(10):
        want = want * 2 + 1
    np.testing.assert_array_equal(back(x), want)


def test_usm_ndarray_arguments(sycl_device):
    import dpnp

    x = dpnp.arange(10, dtype=np.int32, sycl_queue=sycl_device.sycl_queue)
    y = dpnp.zeros(10, dtype=np.int32, sycl_queue=sycl_device.sycl_queue)
    twice[10](x.get_array(), y.get_array())
    np.testing.assert_array_equal(back(y), np.arange(10) * 2)


# --- NumPy arguments --------------------------------------------------------------------------


@kernel
def axpy(i, a, x, y, out):
    out[i] = a * x[i] + y[i]


def test_numpy_arguments_copy_back_only_written(sycl_device):
    with hetero.device(sycl_device):
        x = np.arange(10, dtype=np.float64)
        y = np.ones(10)
        x.flags.writeable = False  # copying back into x would raise
        y.flags.writeable = False
        out = np.zeros(10)
        res = axpy[10](2.0, x, y, out)
        np.testing.assert_array_equal(out, 2 * np.arange(10) + 1)
        assert isinstance(res, Event) and res.is_complete


@kernel
def copy2d(it, a, b):
    b[it] = a[it]


def test_numpy_arguments_noncontiguous_output(sycl_device):
    with hetero.device(sycl_device):
        big = np.zeros((6, 8))
        src = np.arange(12.0).reshape(3, 4)
        copy2d[3, 4](src, big[::2, ::2])
        np.testing.assert_array_equal(big[::2, ::2], src)
        assert big[1::2].sum() == 0


@kernel
def written_through_view(i, a, b):
    v = b[1:]
    v[i] = a[i]


def test_numpy_write_through_a_view_is_copied_back(sycl_device):
    with hetero.device(sycl_device):
        a = np.arange(4.0)
        b = np.zeros(5)
        written_through_view[4](a, b)
        np.testing.assert_array_equal(b, [0, 0, 1, 2, 3])


def test_numpy_and_device_arrays_mixed_is_placement_error(sycl_device):
    x = to_dev(np.zeros(4), sycl_device)
    with pytest.raises(hetero.PlacementError):
        twice[4](np.zeros(4), x)


def test_arrays_on_different_queues_is_placement_error(sycl_device):
    import dpctl
    import dpnp

    other = dpctl.SyclQueue(sycl_device.sycl_device)
    x = dpnp.zeros(4, sycl_queue=sycl_device.sycl_queue)
    y = dpnp.zeros(4, sycl_queue=other)
    with pytest.raises(hetero.PlacementError):
        twice[4](x, y)


def test_kernel_runs_on_the_queue_of_its_arrays(sycl_device):
    import dpctl
    import dpnp

    q = dpctl.SyclQueue(sycl_device.sycl_device)
    x = dpnp.arange(8, dtype=np.int64, sycl_queue=q)
    y = dpnp.zeros(8, dtype=np.int64, sycl_queue=q)
    twice[8](x, y)
    np.testing.assert_array_equal(back(y), np.arange(8) * 2)


def test_kernel_decorator_with_options_and_launcher_cache(sycl_device):
    @kernel(fastmath=True)
    def fast(i, x, y):
        y[i] = x[i] * 0.5

    x = to_dev(np.arange(6.0), sycl_device)
    y = to_dev(np.zeros(6), sycl_device)
    fast[6](x, y)
    np.testing.assert_array_equal(back(y), np.arange(6.0) * 0.5)
    assert fast[6] is fast[6]
    fast[1](x, y)
    with pytest.raises(hetero.LaunchError):
        fast[True]  # not the cached launcher of fast[1]


def test_argument_memo_follows_array_lifetime(sycl_device):
    """Launches memoise what they need from each usm_ndarray; the memo must not keep arrays alive
    and must not mix up views of one buffer."""
    import gc

    import dpnp

    from hetero.backends.sycl import submit as launch

    q = sycl_device.sycl_queue
    x = dpnp.arange(12, dtype=np.float32, sycl_queue=q)
    y = dpnp.empty(12, dtype=np.float32, sycl_queue=q)
    twice[12](x, y)
    u = x.get_array()
    key = id(u)
    assert key in launch._usm_memo
    # a view of the same buffer has other strides and offset: its own entry, right answer
    ys = dpnp.zeros(6, dtype=np.float32, sycl_queue=q)
    twice[6](x[1::2], ys)
    np.testing.assert_array_equal(dpnp.asnumpy(ys), np.arange(1, 12, 2) * 2)
    del x, u
    gc.collect()
    assert key not in launch._usm_memo
