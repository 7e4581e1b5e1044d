"""Several processes and a killed one share the disk cache of compiled kernels safely."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.conftest import SYCL_DEVICES

pytestmark = pytest.mark.skipif(not SYCL_DEVICES, reason="no SYCL device on this machine")

_KERNELS = textwrap.dedent(
    """
    import hetero

    @hetero.kernel
    def add(i, a, b, c):
        c[i] = a[i] + b[i]

    @hetero.kernel
    def scale(i, a, s):
        a[i] = a[i] * s
    """
)

_WORKER = textwrap.dedent(
    """
    import sys
    import numpy as np
    sys.path.insert(0, {here!r})
    from cached_kernels import add, scale
    a = np.arange(1000.0); c = np.zeros(1000)
    for _ in range(3):
        add[1000](a, a, c)
        assert (c == 2 * a).all(), c
        b = a.astype(np.float32); scale[1000](b, np.float32(3)); assert (b == 3 * a).all()
    print("ok", sorted(set(add.cache_info().values()) | set(scale.cache_info().values())))
    """
)


def _env(cache_dir):
    return dict(os.environ, HETERO_CACHE_DIR=str(cache_dir))


def test_four_processes_compiling_into_one_empty_cache(tmp_path, monkeypatch):
    (tmp_path / "cached_kernels.py").write_text(_KERNELS)
    cache_dir = tmp_path / "cache"
    script = _WORKER.format(here=str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=_env(cache_dir)) for _ in range(4)]
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
        assert out.startswith("ok")
    files = sorted(glob.glob(str(cache_dir / "*.spirv")))
    assert len(files) == 2, files  # one entry per specialisation, whoever wrote it last
    assert not glob.glob(str(cache_dir / ".tmp-*"))
    from hetero.compiler import cache

    monkeypatch.setenv("HETERO_CACHE_DIR", str(cache_dir))
    for f in files:
        name, key = os.path.basename(f)[: -len(".spirv")].split("-", 1)
        assert cache.load(name, key, target="spirv") is not None  # complete and verified
    again = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=_env(cache_dir),
                           timeout=240)
    assert again.returncode == 0 and "'disk cache'" in again.stdout and "'compiled'" not in again.stdout


_KILLED_WRITER = textwrap.dedent(
    """
    import sys, time, os
    import numpy as np
    sys.path.insert(0, {here!r})
    from hetero.compiler import cache
    real_replace = os.replace
    def stuck(src, dst):  # the entry is half written (a temporary file) when the process dies
        print("WRITING", flush=True)
        time.sleep(120)
    os.replace = stuck
    from cached_kernels import add
    a = np.arange(10.0); c = np.zeros(10)
    add[10](a, a, c)
    """
)


def test_a_process_killed_while_writing_leaves_nothing_trusted(tmp_path):
    (tmp_path / "cached_kernels.py").write_text(_KERNELS)
    cache_dir = tmp_path / "cache"
    p = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER.format(here=str(tmp_path))], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=_env(cache_dir))
    deadline = time.monotonic() + 120
    line = ""
    while time.monotonic() < deadline and "WRITING" not in line:
        line = p.stdout.readline()
        if not line and p.poll() is not None:
            break
    assert "WRITING" in line, p.stderr.read()[-2000:]
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    assert glob.glob(str(cache_dir / ".tmp-*")) and not glob.glob(str(cache_dir / "*.spirv"))
    r = subprocess.run([sys.executable, "-c", _WORKER.format(here=str(tmp_path))], capture_output=True, text=True,
                       env=_env(cache_dir), timeout=240)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "'compiled'" in r.stdout  # the half-written entry was not trusted
