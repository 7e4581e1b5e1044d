"""``@hetero.jit`` on device data: the corpus of ``tests/_jit_corpus.py`` on three paths.

(a) NumPy arguments: numba on the host, the reference; (b) dpnp copies of the arguments: each
prange loop a kernel on their queue; (c) NumPy arguments inside ``with hetero.device(X):``:
copies to X and back. Plus the errors the design promises.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import hetero

sys.path.insert(0, os.path.dirname(__file__))
import _jit_corpus as corpus  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore::numba.NumbaPerformanceWarning"),
    pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning"),
]

SYCL_DEVICES = [d for d in hetero.devices() if not d.is_host]
needs_device = pytest.mark.skipif(not SYCL_DEVICES, reason="no SYCL device on this machine (hetero.devices() "
                                                          "has only the host): the device paths cannot run")

# Bugs found by this corpus, marked until they are fixed (remove the mark when it passes).
# Key: (corpus name, path) with path "dpnp", "scoped" or "*" (both device paths).
_SPLIT_LOCALS = ("a variable local to one prange body (`acc = 0.0; acc += ...` inside the body) that is also "
                 "assigned elsewhere in the function (another prange body, or after the loop) is taken for a "
                 "driver variable: KernelCompileError 'assigned inside the prange loop and used outside it' "
                 "(offload._Splitter.assigned_outside ignores that the body assigns it before reading it)")
XFAIL: dict[tuple[str, str], str] = {}
# numba supports these on the host; on a device they are refused with a clear error (tested below)
DEVICE_REFUSES = {"array_reduction"}
# numba 0.68's parallel min over int32 data with a float initial value sometimes gives INT32_MIN
# (-2147483648) and sometimes the right answer, depending on the run: no host verdict can be stable.
# The device paths check this entry against plain Python.
NUMBA_UNRELIABLE = {"min_int_data_float_initial"}


def _dpnp():
    import dpnp

    return dpnp


def _device():
    return SYCL_DEVICES[0]


def _copy_args(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _to_dev(args, queue):
    dpnp = _dpnp()
    return tuple(dpnp.asarray(a, sycl_queue=queue) if isinstance(a, np.ndarray) else a for a in args)


def _host(x):
    """A result as NumPy (device arrays copied back), tuples element-wise."""
    if isinstance(x, tuple):
        return tuple(_host(v) for v in x)
    if hetero.device_of(x) is not hetero.host or hasattr(x, "sycl_queue"):
        return _dpnp().asnumpy(x)
    return x


def _tol(dtype, rtol):
    if rtol is not None:
        return rtol, rtol
    if dtype == np.float32:
        return 2e-4, 1e-5
    return 1e-9, 1e-12


def _compare(got, ref, rtol, what, dtypes=True):
    if isinstance(ref, tuple):
        assert isinstance(got, tuple) and len(got) == len(ref), f"{what}: got {got!r}, expected {ref!r}"
        for k, (g, r) in enumerate(zip(got, ref)):
            _compare(g, r, rtol, f"{what}[{k}]", dtypes)
        return
    if ref is None:
        assert got is None, f"{what}: got {got!r}, expected None"
        return
    g, r = np.asarray(got), np.asarray(ref)
    assert g.shape == r.shape, f"{what}: shape {g.shape}, expected {r.shape}"
    if dtypes and r.ndim:
        assert g.dtype == r.dtype, f"{what}: dtype {g.dtype}, expected {r.dtype} (numba's)"
    if dtypes:  # numba boxes scalars as Python int / float / complex: compare the kind
        assert g.dtype.kind == r.dtype.kind or {g.dtype.kind, r.dtype.kind} <= {"i", "u"}, (
            f"{what}: dtype {g.dtype}, expected {r.dtype} (numba's)")
    if r.dtype.kind in "iub" and g.dtype.kind in "iub":
        np.testing.assert_array_equal(g, r, err_msg=what)
    else:
        # the less precise of the two decides (numba returns a float32 accumulator as a Python float)
        rt, at = _tol(np.float32 if np.float32 in (g.dtype, r.dtype) or np.complex64 in (g.dtype, r.dtype)
                      else np.float64, rtol)
        np.testing.assert_allclose(g, r, rtol=rt, atol=at, err_msg=what)


def _reference(e):
    args = e.make(np.random.default_rng(1234))
    host_args = _copy_args(args)
    passed = e.view(*host_args) if e.view else host_args
    ret = (e.func if e.host else e.func.py_func)(*passed)
    return args, host_args, ret


def _params(path):
    out = []
    for e in corpus.CORPUS:
        if path != "host" and e.name in DEVICE_REFUSES:
            continue
        if path == "host" and e.name in NUMBA_UNRELIABLE:
            continue
        marks = [needs_device] if path != "host" else []
        reason = XFAIL.get((e.name, path)) or XFAIL.get((e.name, "*") if path != "host" else None)
        if reason:
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        out.append(pytest.param(e, id=e.name, marks=marks))
    return out


def test_corpus_is_big_enough():
    assert len(corpus.CORPUS) >= 30
    assert len({e.name for e in corpus.CORPUS}) == len(corpus.CORPUS)


@pytest.mark.parametrize("e", _params("host"))
def test_host_numba(e):
    """NumPy arguments outside a device scope: numba's dispatcher compiles (the reference path)."""
    if not e.host:
        # numba cannot be the reference for this entry: it refuses it (its prange takes only step 1)
        args = e.make(np.random.default_rng(1234))
        py_args = _copy_args(args)
        py_ret = e.func.py_func(*(e.view(*py_args) if e.view else py_args))
        nb_args = _copy_args(args)
        with pytest.raises(Exception, match="prange|step"):  # numba's refusal
            e.func(*(e.view(*nb_args) if e.view else nb_args))
        del py_ret
        return
    args, host_args, ret = _reference(e)
    assert e.func.signatures, "the host dispatcher did not compile: NumPy calls must go through numba"
    # and numba agrees with plain Python (the function body run without numba) on the outputs
    py_args = _copy_args(args)
    py_passed = e.view(*py_args) if e.view else py_args
    py_ret = e.func.py_func(*py_passed)
    _compare(ret, py_ret, e.rtol, f"{e.name} return (numba vs Python)")
    for k in e.outputs:
        _compare(host_args[k], py_args[k], e.rtol, f"{e.name} argument {k} (numba vs Python)")


@pytest.mark.parametrize("e", _params("dpnp"))
def test_dpnp_arguments(e):
    """(b) dpnp copies of the arguments: the function runs on their queue, results on that queue."""
    args, host_args, ref = _reference(e)
    dev = _device()
    dargs = _to_dev(args, dev.sycl_queue)
    passed = e.view(*dargs) if e.view else dargs
    ret = e.func(*passed)
    # returned arrays live on the arguments' queue
    for r in ret if isinstance(ret, tuple) else (ret,):
        if isinstance(r, np.ndarray) and r.ndim > 0:
            pytest.fail(f"{e.name} returned a NumPy array from a device call; expected a dpnp array")
        if hasattr(r, "sycl_queue") and r.ndim > 0:
            assert isinstance(r, _dpnp().ndarray), f"{e.name}: returned {type(r)}"
            assert hetero.device_of(r) == dev
            assert r.sycl_queue == dargs[0].sycl_queue, f"{e.name}: returned array on another queue"
    _compare(_host(ret), ref, e.rtol, f"{e.name} return (dpnp vs numba)", e.host)
    for k in e.outputs:
        _compare(_dpnp().asnumpy(dargs[k]), host_args[k], e.rtol, f"{e.name} argument {k} (dpnp vs numba)")


@pytest.mark.parametrize("e", _params("scoped"))
def test_numpy_in_device_scope(e):
    """(c) NumPy arguments inside ``with hetero.device(X):``: copied to X, run there, written back."""
    args, host_args, ref = _reference(e)
    sargs = _copy_args(args)
    passed = e.view(*sargs) if e.view else sargs
    with hetero.device(_device().filter_string):
        ret = e.func(*passed)
    _compare(_host(ret), ref, e.rtol, f"{e.name} return (scoped vs numba)", e.host)
    for k in e.outputs:
        _compare(sargs[k], host_args[k], e.rtol, f"{e.name} argument {k} (scoped vs numba)")


# --- errors ------------------------------------------------------------------------------------


def test_numpy_outside_a_device_scope_goes_through_numba():
    f = corpus.shift_left
    a, b = np.zeros(8), np.arange(8.0)
    f(a, b)
    assert f.signatures, "NumPy arguments outside a device scope must compile with numba's dispatcher"
    np.testing.assert_array_equal(a, b + 1.0)
    assert f.host_dispatcher.signatures == f.signatures


@needs_device
def test_dpnp_mixed_with_numpy_is_a_placement_error():
    dpnp = _dpnp()
    with pytest.raises(hetero.PlacementError):
        corpus.vadd(dpnp.ones(4), np.ones(4), dpnp.zeros(4))
    with pytest.raises(hetero.PlacementError):
        corpus.vadd(np.ones(4), np.ones(4), dpnp.zeros(4))


@needs_device
def test_dpnp_mixed_with_numpy_inside_a_scope_is_a_placement_error():
    dpnp = _dpnp()
    with hetero.device(_device().filter_string), pytest.raises(hetero.PlacementError):
        corpus.vadd(dpnp.ones(4), np.ones(4), dpnp.zeros(4))


@needs_device
def test_dpnp_on_two_queues_is_a_placement_error():
    import dpctl

    dpnp = _dpnp()
    sd = _device().sycl_queue.sycl_device
    q1, q2 = dpctl.SyclQueue(sd), dpctl.SyclQueue(sd)
    assert q1 != q2
    a = dpnp.ones(4, sycl_queue=q1)
    b = dpnp.ones(4, sycl_queue=q2)
    c = dpnp.zeros(4, sycl_queue=q1)
    with pytest.raises(hetero.PlacementError, match="queue"):
        corpus.vadd(a, b, c)


_ERRORS = [
    ("err_break", "break", "break"),
    ("err_continue", "continue", "continue"),
    ("err_return", "return", "return"),
    ("err_read_after", "read_after", "last"),
    ("err_two_kinds", "two_kinds", "s"),
    ("err_defined_in_body_read_after", "body_only", "t"),
]


@needs_device
@pytest.mark.parametrize("name, tag, word", _ERRORS)
def test_split_refusals_name_file_and_line(name, tag, word):
    dpnp = _dpnp()
    f = getattr(corpus, name)
    args = [dpnp.asarray(np.arange(6.0) - 2.0)]
    if f.py_func.__code__.co_argcount == 2:
        args.append(dpnp.zeros(6))
    with pytest.raises(hetero.KernelCompileError) as info:
        f(*args)
    msg = str(info.value)
    assert f"{corpus.__file__}:{corpus.err_line(tag)}" in msg, msg
    assert name in msg and word in msg, msg


@needs_device
def test_function_without_source_is_refused_on_device():
    ns = {"hetero": hetero}
    exec("@hetero.jit\ndef nosrc(a, out):\n    for i in hetero.prange(a.size):\n        out[i] = a[i]\n", ns)
    f = ns["nosrc"]
    a, out = np.arange(4.0), np.zeros(4)
    f(a, out)  # the host still works: numba needs no source file
    np.testing.assert_array_equal(out, a)
    dpnp = _dpnp()
    with pytest.raises(hetero.KernelCompileError, match="source") as info:
        f(dpnp.asarray(a), dpnp.zeros(4))
    assert "nosrc" in str(info.value)


# --- copies in and back inside a device scope ---------------------------------------------------


@needs_device
def test_scoped_aliased_arguments():
    a = np.arange(5.0)
    corpus.aliasing_double(a, a)
    b = np.arange(5.0)
    with hetero.device(_device().filter_string):
        corpus.aliasing_double(b, b)
    np.testing.assert_array_equal(b, a)


@needs_device
def test_scoped_read_only_input():
    x = np.arange(5.0)
    x.flags.writeable = False
    out = np.zeros(5)
    with hetero.device(_device().filter_string):
        corpus.shift_left(out, x)
    np.testing.assert_array_equal(out, x + 1.0)


@needs_device
def test_overlapping_numpy_views_in_a_scope_are_refused():
    a = np.arange(6.0)
    with hetero.device(_device().filter_string), pytest.raises(hetero.LaunchError, match="overlap"):
        corpus.shift_left(a[1:], a[:-1])


@needs_device
def test_a_scope_returns_numpy():
    out = np.zeros(5)
    with hetero.device(_device().filter_string):
        got = corpus.shift_left(out, np.arange(5.0))
    assert got is None or isinstance(got, (np.ndarray, np.generic, float, int, tuple))


@needs_device
def test_array_reduction_is_a_clear_error_on_device():
    e = next(x for x in corpus.CORPUS if x.name == "array_reduction")
    args = _to_dev(e.make(np.random.default_rng(0)), _device().sycl_queue)
    with pytest.raises(hetero.KernelCompileError, match="accumulates arrays"):
        e.func(*args)


@needs_device
def test_keyword_arguments_on_device():
    dpnp = _dpnp()
    a = np.arange(6.0)
    ref = np.zeros(6)
    corpus.keyword_default(a, out=ref, scale=4.0)
    out = dpnp.zeros(6)
    corpus.keyword_default(dpnp.asarray(a), out=out, scale=4.0)
    np.testing.assert_array_equal(dpnp.asnumpy(out), ref)
    hout = np.zeros(6)
    with hetero.device(_device().filter_string):
        corpus.keyword_default(a, out=hout, scale=4.0)
    np.testing.assert_array_equal(hout, ref)


# --- found by numba-dpex's dpjit tests (through hetero.compat.numba_dpex) ------------------------


@hetero.jit
def _dpnp_in_driver_and_body(a):
    import dpnp

    c = dpnp.empty(a.shape[0], dtype=a.dtype)  # on the call's queue, not dpnp's default one
    for i in hetero.prange(a.shape[0]):
        c[i] = dpnp.sqrt(a[i]) + 1  # dpnp's scalar function in a kernel: NumPy's
    return c


def _make_scaler(k):
    @hetero.jit
    def scale(a, out):
        for i in hetero.prange(a.shape[0]):
            out[i] = a[i] * k  # a variable of the enclosing function
    return scale


@hetero.jit
def _temporary_in_two_loops(a, b, c):
    for i in hetero.prange(a.shape[0]):
        t = a[i] * 2
        b[i] = t
    for i in hetero.prange(a.shape[0]):
        t = b[i] + 1
        c[i] = t


@needs_device
def test_dpnp_calls_follow_the_call_queue_and_work_in_bodies():
    import dpctl

    dpnp = _dpnp()
    q = dpctl.SyclQueue(_device().filter_string)  # not dpnp's default queue
    a = dpnp.arange(5, dtype=np.float32, sycl_queue=q)
    c = _dpnp_in_driver_and_body(a)
    assert c.sycl_queue == q
    np.testing.assert_allclose(dpnp.asnumpy(c), np.sqrt(np.arange(5, dtype=np.float32)) + 1, rtol=1e-6)


@needs_device
def test_closures_and_temporaries_reused_across_loops():
    dpnp = _dpnp()
    f = _make_scaler(3.0)
    out = dpnp.zeros(4)
    f(dpnp.arange(4.0), out)
    np.testing.assert_array_equal(dpnp.asnumpy(out), 3.0 * np.arange(4.0))
    a, b, c = dpnp.arange(4.0), dpnp.zeros(4), dpnp.zeros(4)
    _temporary_in_two_loops(a, b, c)
    np.testing.assert_array_equal(dpnp.asnumpy(c), 2 * np.arange(4.0) + 1)


@hetero.jit
def _array_expression_in_a_body(a, c):
    for i in hetero.prange(a.shape[0]):
        c[i, :] = a[i, :] + 1  # needs a temporary array: not in a kernel


@needs_device
def test_an_array_expression_in_a_body_names_the_users_line():
    import inspect

    dpnp = _dpnp()
    src, start = inspect.getsourcelines(_array_expression_in_a_body.py_func)
    line = start + next(k for k, text in enumerate(src) if "c[i, :] =" in text)
    with pytest.raises(hetero.KernelCompileError) as info:
        _array_expression_in_a_body(dpnp.ones((3, 3)), dpnp.empty((3, 3)))
    assert f"{__file__}:{line}" in str(info.value) and "cannot allocate" in str(info.value)


@hetero.jit
def _scaled_sum(a, k):
    s = 0.0
    for i in hetero.prange(a.shape[0]):
        s += a[i] * k
    return s


@needs_device
def test_threads_calling_one_jit_function_on_device_and_in_scopes():
    import threading

    dpnp = _dpnp()
    dev = _device().filter_string
    x = np.arange(1000.0)
    errors, results = [], {}

    def work(t):
        try:
            for r in range(10):
                if t % 2:
                    got = _scaled_sum(dpnp.asarray(x), float(t))
                else:
                    with hetero.device(dev):  # a scope is per thread
                        got = _scaled_sum(x, float(t))
                results.setdefault(t, []).append(got)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not errors, errors
    assert all(not th.is_alive() for th in threads)
    for t, got in results.items():
        assert len(got) == 10 and all(g == pytest.approx(x.sum() * t) for g in got)
