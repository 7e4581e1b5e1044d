"""Kernels whose source Python cannot find run on the host back end (issue 12, item 4).

The host back end compiles a kernel from its bytecode (numba IR rewritten to take
the work-item context), so a kernel defined by ``exec`` of a string, by
``python -c`` or by ``python -`` (a script on standard input) runs there like one
in a file: plain and item-style kernels, 1-D and 2-D items indexed and unpacked,
NdRange queries, device functions, atomics, private arrays, bounds checks — each
against NumPy. An error in such a kernel still names its file and line.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import hetero
from hetero.backends.host import run_host
from hetero.backends.interpret import run_interpreted
from hetero.compiler.targets.cpu.build import host_info
from hetero.kernel_api import NdRange, Range

FILENAME = "<kernels made by exec>"

SOURCE = '''
import numpy as np
import hetero
from hetero import kernel_api as kapi
from hetero.kernel_api import device_function, get_global_id, kernel


@kernel
def add(a, b, c):
    i = get_global_id(0)
    c[i] = a[i] + b[i]


@kernel
def item_1d(i, a, out):
    out[i] = a[i[0]] * 2 + i.ndim


@kernel
def item_2d(it, a, out):
    r, c = it
    out[it[0], it[1]] = a[r, c] + it.get_id(1) * 0 + it.ndim * 0


@kernel
def ndrange_queries(out):
    i = kapi.get_global_id(0)
    out[i] = (kapi.get_local_id(0) * 10000 + kapi.get_group_id(0) * 1000 + kapi.get_local_size(0) * 100
              + kapi.get_num_groups(0) * 10 + kapi.get_global_size(0) // 8)


@kernel
def nditem_methods(it, out):
    out[it.get_global_linear_id()] = it.get_local_id(0) * 100 + it.get_group_id(0) * 10 + it.get_local_range(0)


@device_function
def square(x):
    return x * x


@device_function
def shifted_square(a):
    return square(a[get_global_id(0)]) + get_global_id(0)


@kernel
def uses_device_functions(a, out):
    out[get_global_id(0)] = shifted_square(a)


@kernel
def histogram(i, data, bins):
    kapi.atomic_add(bins, data[i] % bins.size, 1)


@kernel
def reverse_with_scratch(i, m, out):
    tmp = kapi.private_array((4,), m.dtype)
    for j in range(4):
        tmp[j] = m[i, j]
    for j in range(4):
        out[i, j] = tmp[3 - j]


@kernel
def reads_past_the_end(i, a, out):
    out[i] = a[i + 1]


@kernel
def returns_value(i, a):
    a[i] = 1
    return a[i]
'''


@pytest.fixture(scope="module")
def ns():
    """The kernels of SOURCE, made by exec: Python cannot find their source."""
    namespace = {"__name__": "exec_kernels"}
    exec(compile(SOURCE, FILENAME, "exec"), namespace)
    with pytest.raises(OSError):
        inspect.getsource(namespace["add"].py_func)
    return namespace


def on_host(k, rng, *args):
    with hetero.device("host"):
        k[rng](*args)
    assert k.last_backend.backend == "host", k.last_backend


def test_plain_kernel(ns):
    a, b = np.arange(100.0), np.linspace(0, 1, 100)
    c = np.zeros(100)
    on_host(ns["add"], 100, a, b, c)
    np.testing.assert_array_equal(c, a + b)
    c[:] = 0
    run_host(ns["add"].py_func, 100, (a, b, c))
    np.testing.assert_array_equal(c, a + b)


def test_item_1d_indexed_like_a_tuple(ns):
    a = np.arange(20, dtype=np.int64)
    out = np.zeros(20, np.int64)
    on_host(ns["item_1d"], 20, a, out)
    np.testing.assert_array_equal(out, a * 2 + 1)


def test_item_2d_indexed_and_unpacked(ns):
    a = np.arange(12.0).reshape(3, 4)
    out = np.zeros((3, 4))
    on_host(ns["item_2d"], (3, 4), a, out)
    np.testing.assert_array_equal(out, a)


def test_ndrange_queries(ns):
    g, loc = 24, 4
    gid = np.arange(g)
    out = np.zeros(g, np.int64)
    on_host(ns["ndrange_queries"], NdRange((g,), (loc,)), out)
    np.testing.assert_array_equal(out, (gid % loc) * 10000 + (gid // loc) * 1000 + loc * 100 + (g // loc) * 10 + 3)
    out[:] = 0
    on_host(ns["nditem_methods"], NdRange((g,), (loc,)), out)
    np.testing.assert_array_equal(out, (gid % loc) * 100 + (gid // loc) * 10 + loc)


def test_device_functions(ns):
    a = np.arange(10.0)
    out = np.zeros(10)
    on_host(ns["uses_device_functions"], 10, a, out)
    np.testing.assert_array_equal(out, a * a + np.arange(10))


def test_atomics(ns):
    n = 1 << 15  # threaded: the atomics are contended
    data = np.arange(n, dtype=np.int64)
    bins = np.zeros(7, np.int64)
    on_host(ns["histogram"], n, data, bins)
    np.testing.assert_array_equal(bins, np.bincount(data % 7, minlength=7))


def test_private_array(ns):
    m = np.arange(40.0).reshape(10, 4)
    out = np.zeros_like(m)
    on_host(ns["reverse_with_scratch"], 10, m, out)
    np.testing.assert_array_equal(out, m[:, ::-1])


def test_bounds_check(ns, monkeypatch):
    monkeypatch.setenv("HETERO_BOUNDSCHECK", "1")
    with pytest.raises(hetero.KernelIndexError, match=r"reads_past_the_end.*HETERO_BOUNDSCHECK=1"):
        run_host(ns["reads_past_the_end"].py_func, 8, (np.ones(8), np.zeros(8)))
    out = np.zeros(7)
    run_host(ns["reads_past_the_end"].py_func, 7, (np.arange(8.0), out))
    np.testing.assert_array_equal(out, np.arange(1.0, 8.0))


def _line_of(text: str) -> int:
    return SOURCE.splitlines().index(text) + 1


def test_errors_name_the_file_and_line(ns):
    where = f"{FILENAME}:{_line_of('    return a[i]')}"
    with pytest.raises(hetero.KernelCompileError, match=rf"returns_value.*{where}.*returns nothing"):
        run_host(ns["returns_value"].py_func, 4, (np.zeros(4),))


def test_errors_from_numba_name_the_file_and_line():
    src = "def bad_typing(i, a):\n    x = 1\n    a[i] = 'text'\n"
    namespace: dict = {}
    exec(compile(src, FILENAME, "exec"), namespace)
    with pytest.raises(hetero.KernelTypingError, match=rf"(?s)bad_typing.*{FILENAME}.*line 3"):
        run_host(namespace["bad_typing"], 4, (np.zeros(4),))


def test_workgroup_feature_refusal_names_the_line():
    src = "from hetero import kernel_api as kapi\n\ndef k(it, a):\n    a[it] = 1\n    kapi.barrier()\n"
    namespace: dict = {}
    exec(compile(src, FILENAME, "exec"), namespace)
    with pytest.raises(hetero.WorkgroupFeatureError, match=rf"{FILENAME}:5.*kapi\.barrier\(\).*work-groups"):
        run_host(namespace["k"], NdRange(8, 4), (np.zeros(8),))


def test_rewritten_ir_is_kept():
    namespace: dict = {"hetero": hetero}
    exec(compile("def k(a):\n    a[hetero.get_global_id(0)] = 1\n", FILENAME, "exec"), namespace)
    out = np.zeros(3)
    run_host(namespace["k"], 3, (out,))
    np.testing.assert_array_equal(out, 1)
    info = host_info(namespace["k"], Range(3), 1)
    assert "arg(0, name=__hetero_ctx)" in info.source and "__hetero_ctx_global_id" in info.source
    run_interpreted(namespace["k"], 3, (out,))  # the interpreter needed no source either


# --- python -c and python - -------------------------------------------------------------------

SCRIPT = textwrap.dedent(
    """
    import numpy as np
    import hetero
    from hetero import kernel_api as kapi
    from hetero.kernel_api import NdRange, device_function, get_global_id, kernel

    @device_function
    def twice(x):
        return 2 * x

    @kernel
    def add(a, b, c):
        i = get_global_id(0)
        c[i] = twice(a[i]) + b[i] - a[i]

    @kernel
    def item_2d(it, a, out):
        r, c = it
        out[it[0], c] = a[r, it[1]] + kapi.get_local_id(1) * 0

    @kernel
    def histogram(i, data, bins):
        scratch = kapi.private_array(1, bins.dtype, True)
        scratch[0] += 1
        kapi.atomic_add(bins, data[i] % bins.size, scratch[0])

    @kernel
    def reads_past_the_end(i, a, out):
        out[i] = a[i + 1]

    with hetero.device("host"):
        a, b, c = np.arange(50.0), np.ones(50), np.zeros(50)
        add[50](a, b, c)
        assert add.last_backend.backend == "host", add.last_backend
        assert (c == a + b).all()
        m, o = np.arange(24.0).reshape(4, 6), np.zeros((4, 6))
        item_2d[NdRange((4, 6), (2, 3))](m, o)
        assert item_2d.last_backend.backend == "host" and (o == m).all()
        data, bins = np.arange(1000), np.zeros(5, np.int64)
        histogram[1000](data, bins)
        assert histogram.last_backend.backend == "host" and (bins == 200).all(), bins
        try:
            reads_past_the_end[8](np.ones(8), np.zeros(8))
        except hetero.KernelIndexError as exc:
            assert reads_past_the_end.last_backend.backend == "host"
            print("index error:", exc)
        else:
            raise AssertionError("no index error with HETERO_BOUNDSCHECK=1")
    print("ok")
    """
)


def _run(args, tmp_path, stdin=None):
    env = dict(os.environ, HETERO_DEVICE="host", HETERO_BOUNDSCHECK="1", HETERO_CACHE_DIR=str(tmp_path),
               PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                           os.environ.get("PYTHONPATH", "")]))
    env.pop("HETERO_KERNEL_BACKEND", None)
    r = subprocess.run([sys.executable, *args], input=stdin, env=env, capture_output=True, text=True, timeout=300,
                       cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == "ok", r.stdout
    assert "reads_past_the_end" in r.stdout
    return r


def test_python_dash_c(tmp_path):
    r = _run(["-c", SCRIPT], tmp_path)
    assert "<string>" in r.stdout  # the kernel's file, as Python names it


def test_python_dash_stdin(tmp_path):
    r = _run(["-"], tmp_path, stdin=SCRIPT)
    assert "<stdin>" in r.stdout
