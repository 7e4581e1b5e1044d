"""No silent wrong answers: writes are never lost, stale binaries are never trusted."""

from __future__ import annotations

import numpy as np
import pytest

import hetero
from tests.conftest import KERNEL_BACKENDS as BACKENDS, SYCL_DEVICES, launch_numpy as _launch


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


# In a module of their own: pytest rewrites the assert statements of test modules.
from tests._raising_kernels import asserts_non_negative, raises_on_negative  # noqa: E402


@pytest.mark.parametrize("backend", BACKENDS)
def test_assert_in_a_kernel_is_a_kernel_assertion_error(backend):
    a = np.arange(6.0)
    a[3] = -1
    out = np.zeros(6)
    with pytest.raises(hetero.KernelAssertionError, match="negative input") as info:
        _launch(backend, asserts_non_negative, 6, a, out)
    assert isinstance(info.value, AssertionError) and "asserts_non_negative" in str(info.value)
    if backend != "host":  # the host back end stops its threads at the first failure: no work-item id
        assert "3" in str(info.value)
    out = np.zeros(6)
    _launch(backend, asserts_non_negative, 6, np.arange(6.0), out)  # passing: no error, right answer
    np.testing.assert_array_equal(out, 2 * np.arange(6.0))


@pytest.mark.parametrize("backend", BACKENDS)
def test_raise_in_a_kernel_raises_that_class(backend):
    a = np.arange(4.0)
    a[1] = -5
    with pytest.raises(ValueError, match="no negatives here"):
        _launch(backend, raises_on_negative, 4, a, np.zeros(4))


@pytest.mark.skipif(not SYCL_DEVICES, reason="no SYCL device on this machine")
def test_a_device_launch_reports_the_assertion_at_the_next_synchronisation():
    dev = SYCL_DEVICES[0]
    a = np.arange(8.0)
    a[5] = -1
    x = hetero.asarray(a, device=dev)
    y = hetero.zeros(8, device=dev)
    ev = asserts_non_negative.submit(8, x, y)
    with pytest.raises(hetero.KernelAssertionError, match="work-item 5"):
        ev.wait()
    asserts_non_negative[8](x, y)  # returns at once; the failure waits for a synchronisation
    with pytest.raises(hetero.KernelAssertionError, match="negative input"):
        hetero.synchronize()
    hetero.synchronize()  # reported once


def test_kernels_without_assert_or_raise_carry_no_error_flag():
    v = np.zeros(4)
    assert not write_through_a_tuple.compile(4, v, v, target="spirv").flagged
    assert asserts_non_negative.compile(4, v, v, target="spirv").flagged
    assert raises_on_negative.compile(4, v, v, target="spirv").flagged


LOOKUP = np.arange(4.0)


@hetero.kernel
def reads_a_module_array(i, a):
    a[i] = LOOKUP[i]


@hetero.kernel
def stores_an_int(i, a, n):
    a[i] = n


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_module_level_array_is_refused_with_a_clear_message(backend):
    with pytest.raises(hetero.KernelCompileError, match=r"reads the array LOOKUP .*pass it as one"):
        _launch(backend, reads_a_module_array, 4, np.zeros(4))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_python_int_beyond_64_bits_is_refused_not_cut(backend):
    with pytest.raises(hetero.LaunchError, match="argument 1 of kernel 'stores_an_int' is the Python int 184467"):
        _launch(backend, stores_an_int, 4, np.zeros(4), 2**64 + 5)
    with pytest.raises(hetero.LaunchError, match="np.uint64"):
        _launch(backend, stores_an_int, 4, np.zeros(4), 2**63)
    a = np.zeros(4, np.int64)
    _launch(backend, stores_an_int, 4, a, -(2**63))  # the edges fit
    assert (a == -(2**63)).all()


def test_the_cache_key_follows_module_attributes_and_defaults(monkeypatch):
    import types as pytypes

    from hetero.compiler import cache

    cfg = pytypes.ModuleType("cfg")
    cfg.SCALE = 2
    monkeypatch.setitem(globals(), "cfg", cfg)

    def scaled(i, a):
        a[i] = cfg.SCALE

    parts = ((("array", "<f8", 1, "C"),), ("item", 1), 1)
    k1 = cache.key(scaled, parts, target="spirv")
    cfg.SCALE = 3
    assert cache.key(scaled, parts, target="spirv") != k1  # was the same: a stale binary reused

    def with_default(x, factor=2):
        return x * factor

    k2 = cache.key(with_default, parts, target="spirv")
    with_default.__defaults__ = (5,)
    assert cache.key(with_default, parts, target="spirv") != k2


@hetero.kernel
def writes_both_views(i, lo, hi):
    lo[4] = 7.0  # the same memory as hi[2]
    hi[0] = 9.0  # the same memory as lo[2]


@hetero.kernel
def swaps(i, x, y):
    t = x[i]
    x[i] = y[i]
    y[i] = t


@pytest.mark.parametrize("backend", BACKENDS)
def test_overlapping_numpy_arguments_lose_no_write(backend):
    """a[:6] and a[2:] share memory: on SYCL they now share one device buffer (each was copied
    back whole, so the second copy-back undid the first's writes)."""
    a = np.arange(8.0)
    _launch(backend, writes_both_views, 1, a[:6], a[2:])
    np.testing.assert_array_equal(a, [0, 1, 9, 3, 7, 5, 6, 7])
    m = np.arange(12.0).reshape(3, 4)
    _launch(backend, swaps, 3, m[:, 0], m[:, 3])  # strided views of one array
    np.testing.assert_array_equal(m, np.arange(12.0).reshape(3, 4)[:, [3, 1, 2, 0]])


@pytest.mark.skipif(not SYCL_DEVICES, reason="no SYCL device on this machine")
def test_many_threads_launch_on_one_queue_without_hanging():
    """8 threads x 200 launches, NumPy and device arguments, one queue: all right, none hung
    (dpnp 0.20 can hang on concurrent copies to one queue: hetero serialises its copies)."""
    import threading

    dev = SYCL_DEVICES[0]
    errors = []

    n = 1 << 16  # dpnp's own hang needs copies of this size (see hetero/_sycl.copy_lock)

    def work(t):
        try:
            a = np.arange(float(n)) + t
            for r in range(200):
                if r % 2:
                    x = hetero.asarray(a, device=dev)
                    y = hetero.empty_like(x)
                    write_through_a_tuple[n](x, y)
                    got = hetero.asnumpy(y)
                else:
                    got = np.zeros(n)
                    with hetero.device(dev):
                        write_through_a_tuple[n](a, got)
                np.testing.assert_array_equal(got, a + 1)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=240)
    assert not any(th.is_alive() for th in threads), "a launching thread hung"
    assert errors == []


@hetero.kernel
def busy(i, out, n):
    # a dependent chain of n multiply-adds: about n nanoseconds on any CPU
    x = 0.5
    for _ in range(n):
        x = x * 0.999999 + 0.000001
    out[i] = x


@pytest.mark.skipif(not SYCL_DEVICES, reason="no SYCL device on this machine")
def test_waits_with_a_timeout_raise_naming_the_kernel():
    dev = SYCL_DEVICES[0]
    out = hetero.zeros(2, device=dev)
    busy[2](out, 10).wait()  # compiled and loaded: what follows times only the run
    ev = busy.submit(2, out, 200_000_000)  # far beyond a millisecond on any CPU
    with pytest.raises(hetero.KernelTimeoutError, match="kernel 'busy' had not finished after 0.001 s") as info:
        ev.wait(timeout=0.001)
    assert isinstance(info.value, TimeoutError)
    with pytest.raises(hetero.KernelTimeoutError, match="'busy'"):
        hetero.synchronize(timeout=0.001)
    ev.wait()  # it does finish
    hetero.synchronize(timeout=60)
    assert ev.is_complete
