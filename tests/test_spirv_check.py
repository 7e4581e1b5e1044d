"""A SPIR-V module that would crash the runtime is never handed to it.

``tests/data/duplicate_ids.spv`` is a real module LLVM 22's SPIR-V back end emitted for a fuzzer
kernel in a long-running process (ids 2, 3 and 4 each defined twice: basic-block labels reuse
type ids); Intel's OpenCL CPU runtime segfaults in its SPIR-V reader when it builds it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import hetero
from hetero.compiler.targets.spirv import emit
from hetero.compiler.targets.spirv.check import duplicate_ids
from tests.conftest import SYCL_DEVICES

BAD = (Path(__file__).parent / "data" / "duplicate_ids.spv").read_bytes()


@hetero.kernel
def add(i, a, b, c):
    c[i] = a[i] + b[i]


def _good():
    v = np.zeros(4)
    return add.compile(4, v, v, v, target="spirv").spirv


def test_the_crashing_module_is_recognised():
    problems = duplicate_ids(BAD)
    assert problems and "id 2 is defined more than once" in problems[0]


def test_modules_hetero_emits_pass():
    assert duplicate_ids(_good()) == []


@pytest.mark.parametrize("cut", [lambda s: s[:-2], lambda s: s[:17], lambda s: b"\0" * 4 + s[4:], lambda s: s + b"\1"])
def test_damaged_modules_are_recognised(cut):
    assert duplicate_ids(cut(_good()))


def test_a_bad_emission_is_emitted_again_in_a_fresh_process_then_refused(monkeypatch):
    real_child = emit._emit_in_child
    calls = []

    def bad_here(texts, entry, **kw):
        calls.append("here")
        return BAD, ""

    def child(texts, entry, **kw):
        calls.append("child")
        return real_child(texts, entry, **kw)  # a real child process: the module comes out right

    monkeypatch.setattr(emit, "_emit", bad_here)
    monkeypatch.setattr(emit, "_emit_in_child", child)
    monkeypatch.setenv("HETERO_DISABLE_CACHE", "1")  # compile, do not load
    v = np.zeros(3)
    spv = hetero.kernel(add.py_func).compile(3, v, v, v, target="spirv").spirv
    assert calls == ["here", "child"] and duplicate_ids(spv) == []

    monkeypatch.setattr(emit, "_emit_in_child", lambda texts, entry, **kw: (BAD, ""))
    with pytest.raises(hetero.KernelCompileError, match="invalid module, in this process and in a fresh one"):
        hetero.kernel(add.py_func).compile(3, v, v, v, target="spirv")


@pytest.mark.skipif(not SYCL_DEVICES, reason="no SYCL device on this machine")
def test_a_poisoned_cache_entry_is_compiled_again_not_loaded(tmp_path):
    """A cache entry holding the crashing module (with a valid header and checksum) is ignored.
    Run in child processes: were it loaded, the runtime would kill the process."""
    mod = tmp_path / "poison_mod.py"
    mod.write_text(textwrap.dedent("""\
        import numpy as np, hetero
        @hetero.kernel
        def poisoned(i, a, b):
            b[i] = a[i] * 3
        def run(device):
            a = np.arange(5.0); b = np.zeros(5)
            with hetero.device(device):
                poisoned[5](a, b)
            assert (b == 3 * a).all(), b
    """))
    env = dict(os.environ, HETERO_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(tmp_path))
    env.pop("HETERO_DISABLE_CACHE", None)
    script = f"import poison_mod, os; poison_mod.run({SYCL_DEVICES[0].filter_string!r}); print('ok', flush=True); os._exit(0)"
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0 and "ok" in first.stdout, first.stderr
    (entry,) = (tmp_path / "cache").glob("poisoned-*.spirv")
    from hetero.compiler import cache

    blob = entry.read_bytes()
    nl = blob.index(b"\n", len(cache.MAGIC))
    meta = json.loads(blob[len(cache.MAGIC):nl])
    key = meta.pop("key")
    for gone in ("size", "sha256", "target"):
        meta.pop(gone)
    store = ("from hetero.compiler import cache; import json, sys, pathlib; "
             f"cache.store('poisoned', {key!r}, pathlib.Path({str(Path(__file__).parent / 'data' / 'duplicate_ids.spv')!r})"
             f".read_bytes(), json.loads({json.dumps(meta)!r}), target='spirv')")
    subprocess.run([sys.executable, "-c", store], env=env, check=True, timeout=60)
    assert entry.read_bytes().endswith(BAD)  # the poison is in place, under the kernel's key
    second = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0 and "ok" in second.stdout, (second.returncode, second.stderr[-2000:])
