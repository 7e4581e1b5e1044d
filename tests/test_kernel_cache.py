"""Caching (memory and disk), inspection, and compile-only checks of the generated IR."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from hetero.compiler import cache
from hetero.kernel import Kernel
from hetero.kernel_api import get_global_id, kernel
from tests._kernel_fixtures import back, to_dev


def _add(i, a, b, c):
    c[i] = a[i] + b[i]


def _run_add(k, device, n=16):
    a = np.arange(n, dtype=np.float32)
    c = to_dev(np.zeros(n, np.float32), device)
    k[n](to_dev(a, device), to_dev(a, device), c)
    np.testing.assert_array_equal(back(c), 2 * a)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HETERO_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_memory_cache_one_compile_per_signature(sycl_device, cache_dir):
    k = Kernel(_add)
    _run_add(k, sycl_device)
    _run_add(k, sycl_device)
    assert len(k.specialisations()) == 1
    a64 = to_dev(np.zeros(4), sycl_device)
    k[4](a64, a64, a64)
    assert [s.signature for s in k.specialisations()] == [
        "item(float32[1d,C], float32[1d,C], float32[1d,C])", "item(float64[1d,C], float64[1d,C], float64[1d,C])"]


def test_disk_cache_reuse_across_kernel_objects(sycl_device, cache_dir):
    k1 = Kernel(_add)
    _run_add(k1, sycl_device)
    assert list(k1.cache_info().values()) == ["compiled"]
    files = glob.glob(os.path.join(cache_dir, "*.spirv"))
    assert len(files) == 1 and os.path.basename(files[0]).startswith("_add-")
    assert not glob.glob(os.path.join(cache_dir, ".tmp-*"))  # atomic write left nothing behind
    k2 = Kernel(_add)
    _run_add(k2, sycl_device)
    assert list(k2.cache_info().values()) == ["disk cache"]


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_corrupt_disk_entry_is_recompiled(sycl_device, cache_dir, damage):
    _run_add(Kernel(_add), sycl_device)
    (path,) = glob.glob(os.path.join(cache_dir, "*.spirv"))
    blob = open(path, "rb").read()
    if damage == "truncate":
        blob = blob[: len(blob) // 2]
    elif damage == "flip":
        blob = blob[:-10] + bytes([blob[-10] ^ 0xFF]) + blob[-9:]
    elif damage == "garbage":
        blob = b"\x00garbage" * 20
    else:
        blob = b""
    open(path, "wb").write(blob)
    k = Kernel(_add)
    _run_add(k, sycl_device)
    assert list(k.cache_info().values()) == ["compiled"]
    key = os.path.basename(path)[len("_add-") : -len(".spirv")]
    assert cache.load("_add", key, target="spirv") is not None  # rewritten, valid


def test_cache_key_depends_on_source_types_and_versions(monkeypatch):
    def f(i, a):
        a[i] = 1

    def g(i, a):
        a[i] = 2

    parts = ((("array", "<f8", 1, "C"),), None, 1)
    assert cache.key(f, parts, target="spirv") != cache.key(g, parts, target="spirv")
    assert cache.key(f, parts, target="spirv") != cache.key(f, ((("array", "<f4", 1, "C"),), None, 1), target="spirv")
    assert cache.key(f, parts, target="spirv") != cache.key(f, parts, target="nvptx")  # keyed by target
    k1 = cache.key(f, parts, target="spirv")
    monkeypatch.setattr(cache, "_versions", "hetero=0;numba=0;llvmlite=0")
    assert cache.key(f, parts, target="spirv") != k1


SCALE = 2


def test_cache_key_follows_referenced_globals_and_device_functions(monkeypatch):
    from hetero.kernel_api import device_function

    def uses_global(i, a):
        a[i] = SCALE

    parts = ((("array", "<f8", 1, "C"),), None, 1)
    k1 = cache.key(uses_global, parts, target="spirv")
    monkeypatch.setitem(globals(), "SCALE", 3)
    assert cache.key(uses_global, parts, target="spirv") != k1

    @device_function
    def helper(x):
        return x

    def uses_helper(i, a):
        a[i] = helper(a[i])

    assert cache.key(uses_helper, parts, target="spirv") is not None

    def uses_array_global(i, a):
        a[i] = LOOKUP[0]

    monkeypatch.setitem(globals(), "LOOKUP", np.zeros(3))
    assert cache.key(uses_array_global, parts, target="spirv") is None  # cannot be pinned down: not cached on disk


_FRESH = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    import hetero, dpnp
    sys.path.insert(0, {here!r})
    from kernel_for_cache_test import add
    a = dpnp.ones(8, dtype=np.float32)
    c = dpnp.zeros(8, dtype=np.float32)
    add[8](a, a, c)
    assert float(dpnp.sum(c)) == 16.0
    print(list(add.cache_info().values())[0], "numba" in sys.modules)
    """
)


def test_fresh_process_uses_disk_cache_without_the_compiler(sycl_device, cache_dir, tmp_path):
    src = tmp_path / "kernel_for_cache_test.py"
    src.write_text(
        "from hetero.kernel_api import kernel\n\n@kernel\ndef add(i, a, b, c):\n    c[i] = a[i] + b[i]\n"
    )
    script = _FRESH.format(here=str(tmp_path))
    env = dict(os.environ, HETERO_CACHE_DIR=str(cache_dir))
    outs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        outs.append(proc.stdout.split())
    assert outs[0][0] == "compiled"
    assert outs[1][0] == "disk"  # "disk cache"
    assert outs[1][2] == "False"  # a warm-cache launch never imports numba


# --- inspection and the shape of the generated code (no device needed) --------------------


@kernel
def add2d(a, b, c):
    i = get_global_id(0)
    j = get_global_id(1)
    c[i, j] = a[i, j] + b[i, j]


def test_generated_ir_shape():
    k = Kernel(add2d.py_func)
    m = np.zeros((4, 4), np.float32)
    comp = k.compile((4, 4), m, m, m, target="spirv")
    ir = comp.llvm_ir
    assert "spir_kernel" in ir and comp.entry in ir
    # SYCL dimension 0 is OpenCL dimension 1 in a 2-D launch, and ids carry !range
    assert "@_Z13get_global_idj(i32 1), !range" in ir
    assert "@_Z13get_global_idj(i32 0), !range" in ir
    assert "NumbaEnv" not in ir
    # the id query is pure: one call per dimension survives O3
    assert ir.count("call spir_func i64 @_Z13get_global_idj") == 2
    assert "addrspace(1)" in ir
    spv = comp.spirv
    assert int.from_bytes(spv[:4], "little") == 0x07230203  # SPIR-V magic
    assert comp.written == frozenset({2})


def test_id_range_metadata_follows_launch_size():
    k = Kernel(_add)
    v = np.zeros(4, np.float32)
    small = k.compile(16, v, v, v, target="spirv").llvm_ir
    big = k.compile(2**31, v, v, v, target="spirv").llvm_ir
    assert "!{i64 0, i64 2147483648}" in small  # fewer than 2**31 work-items
    assert "!{i64 0, i64 -9223372036854775808}" in big


def test_every_function_is_marked_convergent_before_optimisation():
    from llvmlite import binding as ll

    from hetero.compiler.targets.spirv import emit as spirv

    spirv.target_machine()
    mod = ll.parse_assembly(
        """
        target triple = "spirv64-unknown-unknown"
        declare spir_func void @_Z7barrierj(i32)
        declare spir_func i64 @_Z13get_global_idj(i32)
        define internal void @helper() {
          call spir_func void @_Z7barrierj(i32 1)
          ret void
        }
        define spir_kernel void @k() {
          call void @helper()
          ret void
        }
        """
    )
    spirv.mark_convergent(mod)
    marked = {fn.name for fn in mod.functions if any(b"convergent" in bytes(a) for a in fn.attributes)}
    # a barrier is convergent (and so is everything that may reach one); pure id queries need not be
    assert marked == {"_Z7barrierj", "helper", "k"}


def test_inspection_methods():
    k = Kernel(_add)
    strided = np.zeros(8)[::2]
    k.compile(4, strided, strided, strided, target="spirv")
    (label,) = k.inspect_types()
    assert "float64[1d,A]" in label
    assert "c[i] = a[i] + b[i]" in k.inspect_types()[label] or "setitem" in k.inspect_types()[label]
    assert "spir_kernel" in k.inspect_llvm()[label]
    assert isinstance(k.inspect_spirv()[label], bytes)


def test_written_arrays_analysis():
    def reads_only(i, a, b, c):
        c[i] = a[i] + b[i]

    def writes_two(i, a, b, c):
        v = a[1:]
        v[0] = b[i]
        c[i] = 1

    v = np.zeros(4)
    assert Kernel(reads_only).compile(4, v, v, v, target="spirv").written == {2}
    assert Kernel(writes_two).compile(4, v, v, v, target="spirv").written == {0, 2}
