"""The interpreter back end (hetero/_interpret.py): kernels run as plain Python, work-item by work-item.

What the interpreter adds over the compiled back ends: print and pdb inside
kernels, exceptions that name the kernel, the work-item and the work-group,
work-groups run as threads with a barrier that never hangs, and device arrays
copied in and back. (Its numerical agreement with NumPy and with the host back
end is in tests/test_host_backend.py, which runs its whole corpus on both.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import hetero
from hetero import kernel_api as kapi
from hetero.backends.interpret import run_interpreted
from hetero.errors import KernelRuntimeError, LaunchError
from hetero.lang.items import _state
from hetero.kernel_api import NdRange, Range, get_global_id, get_local_id, get_local_size, kernel


def current_item_state():
    return _state.item


def group():
    """The running work-item's work-group (the hook issue 5's barrier and local memory build on)."""
    return current_item_state().group


from hetero import barrier  # noqa: E402  (its Python meaning: the interpreter's group barrier)


# --- work-items ----------------------------------------------------------------------------------


_KINDS: list = []


@kernel
def record_items(it, out):
    out[it] = it.get_linear_id()
    _KINDS.append((type(it).__name__, isinstance(it, int), isinstance(it, tuple), it.ndim))


def test_items_index_as_int_in_1d_and_tuple_in_nd():
    kinds = _KINDS
    kinds.clear()
    out = np.zeros(5, np.int64)
    run_interpreted(record_items.py_func, 5, (out,))
    np.testing.assert_array_equal(out, np.arange(5))
    assert set(kinds) == {("Item", True, False, 1)}

    kinds.clear()
    out = np.zeros((2, 3), np.int64)
    run_interpreted(record_items.py_func, NdRange((2, 3), (1, 3)), (out,))
    np.testing.assert_array_equal(out, np.arange(6).reshape(2, 3))
    assert set(kinds) == {("NdItem", False, True, 2)}


@kernel
def nd_method_on_range(it, out):
    out[it] = it.get_local_id(0)


def test_nditem_methods_are_not_on_range_items():
    with pytest.raises(AttributeError, match="get_local_id"):
        run_interpreted(nd_method_on_range.py_func, 3, (np.zeros(3),))


def test_order_of_a_range_launch_is_row_major_on_the_calling_thread():
    seen = []

    def k(it):
        seen.append((tuple(it), threading.current_thread() is threading.main_thread()))

    run_interpreted(k, (2, 3), ())
    assert [s[0] for s in seen] == [(i, j) for i in range(2) for j in range(3)]
    assert all(s[1] for s in seen)


def test_state_is_cleared_after_a_launch():
    run_interpreted(lambda a: a.__setitem__(get_global_id(0), 1), 2, (np.zeros(2),))
    with pytest.raises(RuntimeError, match="can only be called inside"):
        get_global_id(0)


# --- print and pdb -------------------------------------------------------------------------------


@kernel
def chatty(i, a):
    print("work-item", i, "sees", a[i])
    a[i] += 1


def test_print_inside_a_kernel(capsys):
    a = np.array([10.0, 20.0])
    run_interpreted(chatty.py_func, 2, (a,))
    assert capsys.readouterr().out.splitlines() == ["work-item 0 sees 10.0", "work-item 1 sees 20.0"]
    np.testing.assert_array_equal(a, [11.0, 21.0])


def test_pdb_breakpoint_inside_a_kernel(tmp_path):
    (tmp_path / "kern.py").write_text(
        textwrap.dedent(
            """
            from hetero.kernel_api import get_global_id, get_local_id

            def k(i, a):
                if i == 5:
                    breakpoint()
                a[i] = i * 2
            """
        )
    )
    code = textwrap.dedent(
        """
        import numpy as np
        from hetero.backends.interpret import run_interpreted
        from hetero.kernel_api import NdRange
        import kern
        a = np.zeros(8)
        run_interpreted(kern.k, NdRange(8, 4), (a,))
        print('result', a.tolist())
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONBREAKPOINT"}
    env["PYTHONPATH"] = f"{tmp_path}{os.pathsep}{os.getcwd()}"
    r = subprocess.run(
        [sys.executable, "-c", code],
        input="p (int(i), get_global_id(0), get_local_id(0), i.get_group_id(0))\nc\n",
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "(5, 5, 1, 1)" in r.stdout
    assert "result [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0]" in r.stdout


# --- exceptions ----------------------------------------------------------------------------------


@kernel
def fails_at_7(it, a):
    if it.get_global_id(0) == 7:
        raise ValueError("bad value at " + str(int(it)))
    a[it] = 1


@pytest.mark.parametrize("threads", [False, True])
def test_exception_names_kernel_work_item_and_group(threads):
    a = np.zeros(12)
    with pytest.raises(ValueError, match="bad value at 7") as info:
        run_interpreted(fails_at_7.py_func, NdRange(12, 4), (a,), threads=threads)
    notes = "\n".join(getattr(info.value, "__notes__", [])) or str(info.value)
    assert "kernel 'fails_at_7'" in notes
    assert "work-item (7,)" in notes and "local id (3,)" in notes and "work-group (1,)" in notes
    np.testing.assert_array_equal(a[:4], 1)  # group 0 ran before group 1 failed


def test_exception_in_a_range_launch():
    def k(i, a):
        a[i] = 1 // (i - 2)

    with pytest.raises(ZeroDivisionError) as info:
        run_interpreted(k, 5, (np.zeros(5),))
    assert "work-item (2,)" in "\n".join(info.value.__notes__)


def test_kernel_returning_a_value_is_an_error():
    def k(i, a):
        return a[i]

    with pytest.raises(hetero.KernelCompileError, match="returns nothing"):
        run_interpreted(k, 2, (np.zeros(2),))


def test_argument_errors():
    def k(i, a):
        a[i] = 1

    with pytest.raises(LaunchError, match="takes 2 parameter"):
        run_interpreted(k, 2, ())
    with pytest.raises(LaunchError, match="argument 0"):
        run_interpreted(k, 2, ("text",))


# --- work-groups as threads: the barrier hook ---------------------------------------------------


@kernel
def reverse_in_group(it, a, out):
    # each work-item reads what another wrote before the barrier: wrong without a real barrier
    lid = it.get_local_id(0)
    n = it.get_local_range(0)
    tile = group().shared("tile", lambda: np.zeros(n))
    tile[lid] = a[it]
    barrier()
    out[it] = tile[n - 1 - lid]


@kernel
def tree_sum(a, out):
    # a work-group tree reduction with a barrier inside a loop
    lid = get_local_id(0)
    n = get_local_size(0)
    s = group().shared("s", lambda: np.zeros(n))
    s[lid] = a[get_global_id(0)]
    barrier()
    stride = n // 2
    while stride > 0:
        if lid < stride:
            s[lid] += s[lid + stride]
        barrier()
        stride //= 2
    if lid == 0:
        out[get_global_id(0) // n] = s[0]


def test_barrier_and_local_memory_per_group():
    a = np.arange(16.0)
    out = np.zeros(16)
    run_interpreted(reverse_in_group.py_func, NdRange(16, 8), (a, out))
    np.testing.assert_array_equal(out, np.concatenate([a[7::-1], a[:7:-1]]))


@pytest.mark.parametrize("local", [1, 2, 8, 16])
def test_tree_reduction_with_barriers_in_a_loop(local):
    a = np.random.default_rng(0).uniform(size=32)
    out = np.zeros(32 // local)
    run_interpreted(tree_sum.py_func, NdRange(32, local), (a, out))
    np.testing.assert_allclose(out, a.reshape(-1, local).sum(axis=1))


def test_groups_run_as_threads_when_the_kernel_has_a_barrier():
    names = []

    def k(it):
        names.append(threading.current_thread().name)
        barrier()

    run_interpreted(k, NdRange(6, 2), ())
    # one thread per work-item of a group, reused for each group
    assert len(names) == 6 and len(set(names)) == 2 and all("hetero-interpret" in n for n in names)
    names.clear()

    def k2(it):
        names.append(threading.current_thread().name)

    run_interpreted(k2, NdRange(4, 2), ())
    assert set(names) == {threading.current_thread().name}


@kernel
def divergent_barrier(it, out):
    if it.get_local_id(0) < 2:
        barrier()
    out[it] = 1


@kernel
def fails_while_others_wait(it, out):
    if it.get_local_id(0) == 3:
        raise KeyError("boom")
    barrier()
    out[it] = 1


def test_a_barrier_not_reached_by_the_whole_group_is_an_error_not_a_hang():
    with pytest.raises(KernelRuntimeError, match="barrier"):
        run_interpreted(divergent_barrier.py_func, NdRange(8, 4), (np.zeros(8),))


def test_an_exception_while_others_wait_at_a_barrier_is_reported_not_a_hang():
    with pytest.raises(KeyError, match="boom") as info:
        run_interpreted(fails_while_others_wait.py_func, NdRange(8, 4), (np.zeros(8),))
    assert "work-item (3,)" in "\n".join(info.value.__notes__)


def test_barrier_in_a_sequential_group_is_an_error_not_a_wrong_answer():
    def k(it, out):
        out[it] = 1
        getattr(group(), "barr" + "ier")()  # hidden from the source scan: the group runs sequentially

    with pytest.raises(KernelRuntimeError, match="one after the other"):
        run_interpreted(k, NdRange(4, 2), (np.zeros(4),))
    out = np.zeros(4)
    run_interpreted(k, NdRange(4, 2), (out,), threads=True)  # forced threads: it works
    np.testing.assert_array_equal(out, 1)


# --- device arrays --------------------------------------------------------------------------------

_SYCL = [d for d in hetero.devices() if not d.is_host]


@pytest.mark.skipif(not _SYCL, reason="no SYCL device on this machine")
def test_device_arrays_are_copied_in_and_back():
    x = hetero.asarray(np.arange(6.0), device=_SYCL[0])
    y = hetero.zeros(6, dtype=np.float64, device=_SYCL[0])

    def k(i, x, y, s):
        y[i] = x[i] * s

    run_interpreted(k, Range(6), (x, y, 3.0))
    assert hetero.device_of(y) == _SYCL[0]
    np.testing.assert_array_equal(hetero.asnumpy(y), np.arange(6.0) * 3)
