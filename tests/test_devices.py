"""Devices, selection, the default device and scopes."""

from __future__ import annotations

import asyncio
import pickle
import threading

import pytest

import hetero
from hetero import _bootstrap
from hetero._device import _parse_term

from .conftest import ALL_DEVICES, SYCL_DEVICES


def test_host_is_last_and_unique():
    devs = hetero.devices()
    assert devs[-1] is hetero.host
    assert [d for d in devs if d.is_host] == [hetero.host]
    assert all(not d.is_host for d in devs[:-1])


def test_device_properties(device):
    assert device.kind in ("gpu", "cpu", "accelerator", "host")
    assert isinstance(device.name, str) and device.name
    assert device.global_mem_size > 0
    assert device.max_compute_units >= 1
    assert isinstance(device.has_fp64, bool)
    info = device.info()
    assert device.filter_string in info and device.kind in info and "\n" in info
    d = device.as_dict()
    assert d["filter_string"] == device.filter_string and d["kind"] == device.kind
    if device.is_host:
        assert device.sycl_backend == "host" and device.sycl_device is None and device.sycl_queue is None
    else:
        assert device.sycl_backend == device.sycl_device.backend.name
        assert device.sycl_queue.sycl_device == device.sycl_device


def test_filter_string_round_trips(device):
    again = hetero.select_device(device.filter_string)
    assert again == device and hash(again) == hash(device)


def test_equality_and_hash():
    assert hetero.host == hetero.select_device("host")
    assert len(set(hetero.devices() + hetero.devices())) == len(hetero.devices())
    assert hetero.host != "host"  # a Device is not equal to its spec string


def test_pickle_round_trip(device):
    assert pickle.loads(pickle.dumps(device)) == device


def test_sycl_queue_is_cached_and_shared_with_dpnp(sycl_device):
    import dpnp

    assert sycl_device.sycl_queue == sycl_device.sycl_queue
    x = dpnp.ones(3, device=sycl_device.sycl_device)
    assert x.sycl_queue == sycl_device.sycl_queue


def test_sycl_queue_per_thread_context_is_usable(sycl_device):
    import dpnp

    out = []

    def work():
        q = sycl_device.sycl_queue
        out.append(float(dpnp.ones(10, sycl_queue=q).sum()))

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert out == [10.0]


def test_select_device_accepts_device_and_sycl_objects(sycl_device):
    assert hetero.select_device(sycl_device) is sycl_device
    assert hetero.select_device(sycl_device.sycl_device) == sycl_device
    assert hetero.select_device(sycl_device.sycl_queue) == sycl_device


@pytest.mark.parametrize("spec", ["cpu", "opencl:cpu", "opencl:cpu:0", "cpu:0", "opencl", "*:cpu", "OpenCL:CPU"])
def test_select_cpu_specs(spec):
    if not any(d.kind == "cpu" and d.sycl_backend == "opencl" for d in SYCL_DEVICES):
        pytest.skip("no OpenCL CPU device on this machine")
    d = hetero.select_device(spec)
    assert d.kind == "cpu" and d.sycl_backend == "opencl"


def test_fallback_list_takes_first_available():
    expected = next((d for d in SYCL_DEVICES if d.kind == "gpu"), None) or next(
        (d for d in SYCL_DEVICES if d.kind == "cpu"), hetero.host
    )
    assert hetero.select_device("gpu,cpu,host") == expected
    assert hetero.select_device("level_zero:gpu:7,host") == hetero.host


@pytest.mark.parametrize("spec", ["nonsense", "gpu:x", "cpu:0:1", "opencl::cpu", "", " , ", "gpu,,cpu"])
def test_bad_specs_raise_listing_devices(spec):
    with pytest.raises(hetero.DeviceNotFoundError) as exc:
        hetero.select_device(spec)
    msg = str(exc.value)
    assert "available devices" in msg and "host" in msg
    assert isinstance(exc.value, LookupError)


def test_absent_device_raises():
    with pytest.raises(hetero.DeviceNotFoundError, match="cuda:gpu:5"):
        hetero.select_device("cuda:gpu:5")


def test_bad_spec_type():
    with pytest.raises(hetero.DeviceNotFoundError, match="cannot select a device from int"):
        hetero.select_device(3)


def test_parse_term():
    assert _parse_term("opencl:cpu:0") == ("opencl", "cpu", 0)
    assert _parse_term("gpu:1") == (None, "gpu", 1)
    assert _parse_term("level_zero") == ("level_zero", None, None)
    assert _parse_term("acc") == (None, "accelerator", None)
    for bad in ("foo", "gpu:cpu", "1:gpu", "opencl:gpu:0:0"):
        with pytest.raises(ValueError):
            _parse_term(bad)


def test_score_picks_highest_and_can_reject():
    assert hetero.select_device(score=lambda d: 1 if d.is_host else 0) is hetero.host
    assert hetero.select_device(score=lambda d: None if d.is_host else 1) != hetero.host or not SYCL_DEVICES
    with pytest.raises(hetero.DeviceNotFoundError, match="rejected by score"):
        hetero.select_device("host", score=lambda d: -1)


def test_aspects_and_min_memory():
    d = hetero.select_device("host", aspects=["fp64"])
    assert d is hetero.host
    with pytest.raises(hetero.DeviceNotFoundError, match="min_memory"):
        hetero.select_device("host", min_memory=1 << 62)
    with pytest.raises(hetero.DeviceNotFoundError, match="lacks aspect"):
        hetero.select_device("host", aspects=["image"])
    if SYCL_DEVICES:
        with pytest.raises(hetero.ConfigurationError, match="unknown device aspect"):
            hetero.select_device(SYCL_DEVICES[0].filter_string, aspects=["no_such_aspect"])


def test_select_without_spec_is_default():
    assert hetero.select_device() == hetero.default_device()


def test_default_is_best_sycl_device(monkeypatch):
    monkeypatch.delenv("HETERO_DEVICE", raising=False)
    if SYCL_DEVICES:
        rank = {"gpu": 3, "accelerator": 2, "cpu": 1}
        best = max(SYCL_DEVICES, key=lambda d: (rank[d.kind], d.max_compute_units))
        assert hetero.default_device() == best
    else:
        assert hetero.default_device() is hetero.host


@pytest.mark.parametrize("value", ["host", "cpu", "opencl:cpu:0", "gpu,cpu", "gpu, host"])
def test_hetero_device_env_in_process(monkeypatch, value):
    monkeypatch.setenv("HETERO_DEVICE", value)
    try:
        expected = hetero.select_device(value)
    except hetero.DeviceNotFoundError:
        pytest.skip(f"{value!r} names no device on this machine")
    d, why = hetero._device.default_device_reason()
    assert d == expected and why == f"HETERO_DEVICE={value}"


def test_hetero_device_env_bad_value(monkeypatch):
    monkeypatch.setenv("HETERO_DEVICE", "nonsense")
    with pytest.raises(hetero.DeviceNotFoundError) as exc:
        hetero.default_device()
    assert "HETERO_DEVICE='nonsense'" in str(exc.value) and "host" in str(exc.value)


def test_scope_beats_env(monkeypatch):
    monkeypatch.setenv("HETERO_DEVICE", "nonsense")  # not even read inside a scope
    with hetero.device("host") as d:
        assert d is hetero.host and hetero.default_device() is hetero.host


def test_nested_scopes_restore():
    outer = hetero.default_device()
    with hetero.device("host"):
        assert hetero.default_device() is hetero.host
        for inner in ALL_DEVICES:
            with hetero.device(inner):
                assert hetero.default_device() == inner
            assert hetero.default_device() is hetero.host
    assert hetero.default_device() == outer


def test_scope_restored_after_exception():
    outer = hetero.default_device()
    with pytest.raises(RuntimeError):
        with hetero.device("host"):
            raise RuntimeError("boom")
    assert hetero.default_device() == outer


def test_scope_object_reusable():
    scope = hetero.device("host")
    with scope:
        with scope:
            assert hetero.default_device() is hetero.host
        assert hetero.default_device() is hetero.host
    assert "host" in repr(scope)


def test_bad_scope_spec_raises_at_creation():
    with pytest.raises(hetero.DeviceNotFoundError):
        hetero.device("nonsense")


def test_threads_see_only_their_own_scope():
    specs = [ALL_DEVICES[i % len(ALL_DEVICES)] for i in range(8)]
    barrier = threading.Barrier(8)
    seen: dict[int, list] = {}
    outer = hetero.default_device()

    def worker(i):
        with hetero.device(specs[i]):
            barrier.wait()  # every thread is inside its scope at once
            observed = [hetero.default_device() for _ in range(50)]
            barrier.wait()
        seen[i] = observed + [hetero.default_device()]

    with hetero.device("host"):  # the main thread's scope must not leak into the workers
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for i in range(8):
        assert all(d == specs[i] for d in seen[i][:-1])
        assert seen[i][-1] == outer  # after the scope, the thread's default is the process default


def test_asyncio_tasks_see_only_their_own_scope():
    async def task(dev, ready, go):
        with hetero.device(dev):
            ready.set()
            await go.wait()
            await asyncio.sleep(0)
            return hetero.default_device()

    async def main():
        go = asyncio.Event()
        events = [asyncio.Event() for _ in ALL_DEVICES]
        tasks = [asyncio.create_task(task(d, e, go)) for d, e in zip(ALL_DEVICES, events)]
        for e in events:
            await e.wait()
        outside = hetero.default_device()
        go.set()
        return outside, await asyncio.gather(*tasks)

    before = hetero.default_device()
    outside, results = asyncio.run(main())
    assert outside == before
    assert results == ALL_DEVICES


def test_num_threads_round_trip():
    n = hetero.get_num_threads()
    assert n >= 1
    hetero.set_num_threads(1)
    try:
        assert hetero.get_num_threads() == 1
    finally:
        hetero.set_num_threads(n)


def test_reused_scope_object_across_threads_and_tasks():
    scope = hetero.device("host")
    errors = []

    def worker(delay):
        try:
            with scope:
                import time

                time.sleep(delay)
                assert hetero.default_device() is hetero.host
        except Exception as exc:  # pragma: no cover - the failure being tested for
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(d,)) for d in (0.05, 0.15)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []

    async def job(delay):
        with scope:
            await asyncio.sleep(delay)
            return hetero.default_device()

    async def main():
        return await asyncio.gather(job(0.05), job(0.1))

    assert asyncio.run(main()) == [hetero.host, hetero.host]


def test_score_and_aspect_spellings():
    import numpy as np

    with pytest.raises(hetero.DeviceNotFoundError, match="rejected by score"):
        hetero.select_device("host", score=lambda d: np.int64(-1))
    assert hetero.select_device("host", aspects="fp64") is hetero.host


@pytest.mark.parametrize("bad", [0, -1, 10**6, 1.5, "2", True])
def test_set_num_threads_rejects(bad):
    with pytest.raises(hetero.ConfigurationError, match="expected an integer"):
        hetero.set_num_threads(bad)


def test_legacy_filter_translation():
    f = _bootstrap.legacy_filter_to_selector
    assert f("opencl:cpu") == "opencl:cpu"
    assert f("gpu") == "*:gpu"
    assert f("level_zero:gpu:0") == "level_zero:gpu"
    assert f("opencl:cpu,level_zero:gpu") == "opencl:cpu;level_zero:gpu"
    assert f("cuda") == "cuda:*"
    assert f("opencl:1") == "opencl:1"
    assert f("opencl:acc") == "opencl:fpga"
    assert f("gpu:1", with_losses=True) == ("*:gpu", ["the index in 'gpu:1'"])
    sel, lost = f("host,opencl:cpu", with_losses=True)
    assert sel == "opencl:cpu" and "host" in lost[0]
