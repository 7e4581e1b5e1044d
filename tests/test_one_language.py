"""One kernel language on every back end: the same kernel is accepted or refused alike, and one
mistake raises one exception class, whether it runs on a SYCL device, the host or the interpreter."""

from __future__ import annotations

import numpy as np
import pytest

import hetero
from tests.conftest import BLOCK_SYCL, SYCL_DEVICES

BACKENDS = [d.filter_string for d in SYCL_DEVICES] + ["host", "interpret"]


def launch(backend: str, k, rng, *args):
    """Run ``k[rng](*args)`` (NumPy arguments) on ``backend`` and check it ran there."""
    if backend == "interpret":
        k.interpret[rng](*args)
    else:
        with hetero.device(backend):
            k[rng](*args)
    assert k.last_backend.backend == ("sycl" if backend not in ("host", "interpret") else backend)


@hetero.kernel
def returns_a_value(i, a):
    return a[i]


@hetero.kernel
def builds_a_string(i, a):
    a[i] = len("abc" + str(i))


@hetero.kernel
def reads_past_the_end(i, a, out):
    out[i] = a[i + 1]


@hetero.kernel
def prints(i, a):
    print(i)
    a[i] = 1.0


@hetero.kernel
def adds(i, a, b, c):
    c[i] = a[i] + b[i]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_kernel_returning_a_value_is_a_compile_error(backend):
    with pytest.raises(hetero.KernelCompileError, match="returns"):
        launch(backend, returns_a_value, 4, np.zeros(4))


@pytest.mark.parametrize("backend", BACKENDS)
def test_strings_are_refused_with_the_same_message(backend):
    """The host back end used to run this (numba's CPU target has strings); SYCL refuses it."""
    with pytest.raises(hetero.KernelTypingError) as info:
        launch(backend, builds_a_string, 4, np.zeros(4))
    first = str(info.value).splitlines()[0]
    assert first.endswith("uses something the kernel language does not support:")
    assert "builds_a_string" in first


@pytest.mark.parametrize("backend", BACKENDS)
def test_out_of_bounds_is_a_kernel_index_error(backend, monkeypatch):
    monkeypatch.setenv("HETERO_BOUNDSCHECK", "1")
    k = hetero.kernel(reads_past_the_end.py_func)  # a fresh kernel: no specialisation without checks
    with pytest.raises(hetero.KernelIndexError):
        launch(backend, k, 8, np.arange(8.0), np.zeros(8))


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_unparsable_switch_is_one_configuration_error(backend, monkeypatch):
    """HETERO_BOUNDSCHECK=2 used to mean 'on' for the host and 'off' for SYCL."""
    monkeypatch.setenv("HETERO_BOUNDSCHECK", "2")
    k = hetero.kernel(adds.py_func)
    with pytest.raises(hetero.ConfigurationError, match="HETERO_BOUNDSCHECK='2'"):
        a = np.ones(4)
        launch(backend, k, 4, a, a, np.zeros(4))


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "interpret"])
def test_print_is_for_the_interpreter_only(backend, capfd):
    with pytest.raises(hetero.KernelCompileError, match=r"print\(\) is not available.*k\.interpret"):
        launch(backend, prints, 3, np.zeros(3))
    a = np.zeros(3)
    launch("interpret", prints, 3, a)
    assert capfd.readouterr().out.split() == ["0", "1", "2"]
    np.testing.assert_array_equal(a, 1.0)


def test_env_flag_values():
    from hetero._env import flag

    for on in ("1", "true", "YES", " on "):
        assert flag("X", {"X": on})
    for off in ("", "0", "false", "No", "off"):
        assert not flag("X", {"X": off})
    assert not flag("X", {})
    with pytest.raises(hetero.ConfigurationError, match="X='maybe'"):
        flag("X", {"X": "maybe"})


def test_an_alias_of_barrier_is_seen_by_every_back_end():
    """`SYNC = hetero.barrier` in the kernel's globals: the host back end routes it off the host (or
    refuses it), the interpreter runs the group's work-items as threads."""
    from hetero.compiler.analysis import workgroup_feature

    def only_the_alias(it, x):
        SYNC()

    assert workgroup_feature(only_the_alias) == "barrier"
    assert workgroup_feature(_reverse_in_groups.py_func) in ("barrier", "local_array")
    x = np.arange(8.0)
    out = np.zeros(8)
    _reverse_in_groups.interpret[hetero.NdRange(8, 4)](x, out)
    np.testing.assert_array_equal(out, [3, 2, 1, 0, 7, 6, 5, 4])


SYNC = hetero.barrier


@hetero.kernel
def _reverse_in_groups(it, x, out):
    tmp = hetero.local_array(4, np.float64)
    lid = it.get_local_id(0)
    tmp[lid] = x[it.get_global_id(0)]
    SYNC()
    out[it.get_global_id(0)] = tmp[3 - lid]


def test_interpreter_with_local_accessor_needs_no_sycl_runtime(clean_env, tmp_path):
    """HETERO_KERNEL_BACKEND=interpret with a LocalAccessor argument and dpctl absent: the SYCL
    argument classifier is not consulted (it was, and raised SyclUnavailableError)."""
    prog = tmp_path / "prog.py"
    prog.write_text(
        BLOCK_SYCL
        + "import numpy as np, hetero\n"
        "@hetero.kernel\n"
        "def k(it, x, tmp, out):\n"
        "    lid = it.get_local_id(0)\n"
        "    tmp[lid] = x[it.get_global_id(0)]\n"
        "    hetero.barrier()\n"
        "    out[it.get_global_id(0)] = tmp[3 - lid]\n"
        "x = np.arange(4.0); out = np.zeros(4)\n"
        "k[hetero.NdRange(4, 4)](x, hetero.LocalAccessor(4, np.float64), out)\n"
        "print(out.tolist(), k.last_backend.backend)\n"
    )
    r = clean_env(f"exec(open({str(prog)!r}).read())", env={"HETERO_KERNEL_BACKEND": "interpret"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("]")[0] + "]" == "[3.0, 2.0, 1.0, 0.0]" and r.stdout.split()[-1] == "interpret"


@hetero.kernel
def item_indexed_3d(i, a):
    x, y, z = i[0], i[1], i[2]
    a[x, y, z] = x * 100 + y * 10 + z


@hetero.kernel
def item_unpacked_2d(it, a):
    x, y = it
    a[x, y] = x * 10 + y


@hetero.kernel
def item_indexed_1d(i, a):
    a[i] = i[0] + i + i[-1]  # a 1-D item is an integer that also indexes like the 1-tuple of its id


@pytest.mark.parametrize("backend", BACKENDS)
def test_items_index_and_unpack_as_tuples(backend):
    a = np.zeros((2, 3, 4))
    launch(backend, item_indexed_3d, (2, 3, 4), a)
    g = np.indices((2, 3, 4))
    np.testing.assert_array_equal(a, g[0] * 100 + g[1] * 10 + g[2])
    b = np.zeros((3, 4))
    launch(backend, item_unpacked_2d, (3, 4), b)
    g = np.indices((3, 4))
    np.testing.assert_array_equal(b, g[0] * 10 + g[1])
    c = np.zeros(5)
    launch(backend, item_indexed_1d, 5, c)
    np.testing.assert_array_equal(c, 3 * np.arange(5))


@hetero.kernel
def item_unpacked_wrongly(it, a):
    x, y, z = it
    a[x, y] = z


@pytest.mark.parametrize("backend", BACKENDS)
def test_unpacking_an_item_into_too_many_names_is_an_error(backend):
    with pytest.raises((ValueError, hetero.KernelTypingError)):
        launch(backend, item_unpacked_wrongly, (2, 2), np.zeros((2, 2)))
