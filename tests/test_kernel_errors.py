"""Each bad input gets its error; nothing aborts the interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import hetero
from hetero import KernelCompileError, KernelTypingError, LaunchError, UnsupportedDtypeError
from hetero.kernel_api import NdRange, Range, device_function, get_global_id, kernel
from tests._kernel_fixtures import to_dev

HERE = os.path.abspath(__file__)


@kernel
def copy(i, a, b):
    b[i] = a[i]


# --- launch errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [[1, 2, 3], "abc", {"a": 1}, None, object()],
    ids=["list", "str", "dict", "None", "object"],
)
def test_wrong_argument_kinds(sycl_device, bad):
    b = to_dev(np.zeros(3), sycl_device)
    with pytest.raises(LaunchError, match="argument 0 of kernel 'copy'"):
        copy[3](bad, b)


def test_wrong_number_of_arguments(sycl_device):
    a = to_dev(np.zeros(3), sycl_device)
    with pytest.raises(LaunchError, match="takes 3 parameter"):
        copy[3](a)
    with pytest.raises(LaunchError, match="takes 3 parameter"):
        copy[3](a, a, a, a)


@pytest.mark.parametrize(
    "key, match",
    [
        ((), "1, 2 or 3 dimensions"),
        ((1, 2, 3, 4), "1, 2 or 3 dimensions"),
        (-1, "negative"),
        ((4, -2), "negative"),
        ("ten", "cannot launch"),
        (2.5, "cannot launch"),
        ((2.0, 3), "integers"),
        (True, "cannot launch"),
    ],
)
def test_bad_ranges(key, match):
    with pytest.raises(LaunchError, match=match):
        copy[key]


def test_bad_ndranges():
    with pytest.raises(LaunchError, match="does not divide"):
        NdRange((10,), (3,))
    with pytest.raises(LaunchError, match="different numbers of dimensions"):
        NdRange((8, 8), (4,))
    with pytest.raises(LaunchError, match="negative"):
        Range(3, -1)
    with pytest.raises(LaunchError, match="1, 2 or 3"):
        Range()


def test_calling_without_a_range():
    with pytest.raises(LaunchError, match=r"copy\[n\]"):
        copy(np.zeros(2), np.zeros(2))


def test_in_kernel_functions_from_host_code():
    with pytest.raises(RuntimeError, match="only be called inside"):
        get_global_id(0)


def test_kernel_signature_and_options_checked_at_decoration():
    with pytest.raises(KernelCompileError, match="positional"):

        @kernel
        def star(*args):
            pass

    with pytest.raises(TypeError, match="unknown option"):
        kernel(lambda i: None, fast=True)
    with pytest.raises(TypeError):
        kernel(42)


def test_fp64_missing_is_unsupported_dtype_error():
    from hetero.kernel import Kernel

    class FakeDevice:
        filter_string = "level_zero:gpu:0"

    class FakeQueue:
        sycl_device = FakeDevice()

    from hetero.backends.sycl.backend import _device_sig

    sig = (("array", "<f8", 1, "C"), ("array", "<f8", 1, "C"))
    with pytest.raises(UnsupportedDtypeError, match="no fp64"):
        _device_sig("copy", sig, False, FakeQueue())
    # Python floats become float32 there
    assert _device_sig("copy", (("scalar", "float64"),), False, FakeQueue()) == (("scalar", "float32"),)


# --- compile errors ----------------------------------------------------------------------------


@kernel
def returns_value(i, a):
    a[i] = 1
    return 5


def test_kernel_returning_a_value(sycl_device):
    with pytest.raises(KernelCompileError, match="returns a value"):
        returns_value[3](to_dev(np.zeros(3), sycl_device))


@kernel
def uses_a_list(i, a):
    tmp = [1.0, 2.0]
    a[i] = tmp[0]


@kernel
def uses_a_string(i, a):
    a[i] = len("abc" + str(i))


@kernel
def allocates(i, a):
    tmp = np.empty(3)
    a[i] = tmp[0]


def plain_python_helper(x):
    return x + 1


@kernel
def calls_plain_python(i, a):
    a[i] = plain_python_helper(a[i])


@pytest.mark.parametrize(
    "k, construct",
    [
        (uses_a_list, "list"),
        (uses_a_string, "str"),
        (allocates, "empty"),
        (calls_plain_python, "plain_python_helper"),
    ],
)
def test_unsupported_constructs_name_kernel_file_line(sycl_device, k, construct):
    a = to_dev(np.zeros(3), sycl_device)
    with pytest.raises(KernelCompileError) as info:
        k[3](a)
    msg = str(info.value)
    assert repr(k.__name__) in msg
    assert os.path.basename(HERE) in msg
    line = k.py_func.__code__.co_firstlineno
    assert any(f":{n}" in msg for n in range(line, line + 4)), msg
    assert construct in msg


def test_typing_errors_are_type_errors(sycl_device):
    a = to_dev(np.zeros(3), sycl_device)
    with pytest.raises(TypeError):
        calls_plain_python[3](a)


@device_function
def recurse(n):
    if n <= 0:
        return 0
    return 1 + recurse(n - 1)


@kernel
def uses_recursion(i, a):
    a[i] = recurse(3)


def test_recursive_device_function_is_an_error_not_a_hang(sycl_device):
    with pytest.raises(KernelTypingError, match="recursion"):
        uses_recursion[3](to_dev(np.zeros(3), sycl_device))


# --- IR that would abort LLVM --------------------------------------------------------------

_ABORT_SCRIPT = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    import hetero
    from numba.core import types
    from numba.extending import intrinsic
    from hetero.kernel_api import kernel

    @intrinsic
    def bitreverse(typingctx, x):
        # llvm.bitreverse makes LLVM's SPIR-V back end call report_fatal_error
        sig = types.uint32(types.uint32)

        def codegen(context, builder, signature, args):
            fn = builder.module.declare_intrinsic("llvm.bitreverse", [args[0].type])
            return builder.call(fn, args)

        return sig, codegen

    @kernel
    def k(i, a):
        a[i] = bitreverse(a[i])

    try:
        k{launch}
    except hetero.KernelCompileError as e:
        print("RAISED:", e)
    print("SURVIVED")
    """
)


@pytest.mark.parametrize("launch", [".compile(4, np.zeros(4, np.uint32), target='spirv')", "[4](np.zeros(4, np.uint32))"])
def test_ir_that_would_abort_llvm_raises_and_interpreter_survives(launch, tmp_path):
    if "np.zeros" in launch and not [d for d in hetero.devices() if not d.is_host]:
        pytest.skip("no SYCL device on this machine")
    script = _ABORT_SCRIPT.replace("{launch}", launch)
    env = dict(os.environ, HETERO_CACHE_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "SURVIVED" in proc.stdout
    assert "RAISED:" in proc.stdout and "llvm.bitreverse" in proc.stdout


def test_ir_checker_lists_each_fatal_construct():
    from llvmlite import binding as ll

    from hetero.compiler.targets.spirv import emit as spirv

    spirv.target_machine()
    text = """
    target triple = "spirv64-unknown-unknown"
    declare i32 @llvm.bitreverse.i32(i32)
    declare double @llvm.exp10.f64(double)
    declare {i32, i1} @llvm.sadd.with.overflow.i32(i32, i32)
    declare double @sin(double)
    define spir_kernel void @k(ptr addrspace(1) %p, i128 %w) {
      ret void
    }
    """
    problems = " ".join(spirv.unsupported_constructs(ll.parse_assembly(text), "k"))
    for what in ("llvm.bitreverse", "llvm.exp10", "llvm.sadd.with.overflow", "'sin'", "128-bit"):
        assert what in problems


# --- HETERO_BOUNDSCHECK=1 -----------------------------------------------------------------------


def _reads_past_end(i, a, b):
    b[i] = a[i + 1]


def _writes_out_of_bounds(it, out):
    out[it.get_id(0), it.get_id(1) + 2] = 1.0


def test_boundscheck_reports_kernel_array_and_work_item(sycl_device, monkeypatch):
    from hetero import KernelIndexError
    from hetero.kernel_api import synchronize

    monkeypatch.setenv("HETERO_BOUNDSCHECK", "1")
    k = kernel(_reads_past_end)
    a = to_dev(np.arange(10.0), sycl_device)
    b = to_dev(np.zeros(10), sycl_device)
    k[10](a, b)  # returns at once; reported at the next synchronisation
    with pytest.raises(KernelIndexError, match=r"kernel '_reads_past_end' at .*test_kernel_errors.py:\d+: "
                       r"index out of bounds for array 'a' in work-item 9") as info:
        synchronize()
    assert isinstance(info.value, IndexError)
    np.testing.assert_array_equal(b.asnumpy()[:9], np.arange(1.0, 10.0))
    k[9](a, b).wait()  # in bounds: no error, and the flag was reset

    k2 = kernel(_writes_out_of_bounds)
    out = to_dev(np.zeros((6, 8)), sycl_device)
    guard = to_dev(np.zeros((6, 8)), sycl_device)[:, :5]  # 5 columns: work-items (., 3) and (., 4) overflow
    k2.submit((3, 5), out).wait()  # columns up to 4 + 2 < 8: in bounds
    with pytest.raises(KernelIndexError, match=r"array 'out' in work-item \(\d, [34]\)"):
        k2.submit((3, 5), guard).wait()
    assert guard.asnumpy().sum() == 3 * 3  # the in-bounds writes happened, nothing else


def test_boundscheck_with_numpy_arguments(sycl_device, monkeypatch):
    monkeypatch.setenv("HETERO_BOUNDSCHECK", "1")
    k = kernel(_reads_past_end)
    with hetero.device(sycl_device):
        with pytest.raises(IndexError, match="work-item 4"):
            k[5](np.arange(5.0), np.zeros(5))


def test_without_boundscheck_no_flag_argument(sycl_device, monkeypatch):
    monkeypatch.delenv("HETERO_BOUNDSCHECK", raising=False)
    k = kernel(_reads_past_end)
    a = to_dev(np.arange(10.0), sycl_device)
    k[9](a, to_dev(np.zeros(10), sycl_device)).wait()
    (spec,) = k.specialisations()
    assert not spec.boundscheck and not spec.binary.errors


@pytest.mark.parametrize("dtype", ["float16", "object", "M8[s]", "U3"])
def test_unsupported_numpy_dtypes_are_refused(dtype):
    @hetero.kernel
    def copy(i, a, b):
        b[i] = a[i]

    a = np.zeros(2, dtype=dtype) if dtype != "object" else np.array([1, 2], dtype=object)
    with pytest.raises(hetero.UnsupportedDtypeError, match="kernels take bool, integer"):
        copy[2](a, np.zeros(2))
