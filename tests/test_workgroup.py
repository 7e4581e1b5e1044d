"""Work-group programming in kernels: NdRange queries, barriers, local / private memory (issue 5).

Each launching test runs on every kernel back end (``backend``: each SYCL device, host, interpret);
kernels that use work-group features are launched with ``workgroup=True``, which on the host back
end (no work-group model) checks that they go to the SYCL CPU device and skips. Tests about a SYCL
device's own limits or its SPIR-V use ``sycl_device``.

Atomics are in test_workgroup_atomics.py; the zoo's work-group kernels in test_zoo.py.
"""

from __future__ import annotations

import re
import types as pytypes

import numpy as np
import pytest

from hetero.errors import KernelCompileError, LaunchError
from hetero.kernel_api import (
    Group,
    LocalAccessor,
    MemoryScope,
    NdRange,
    barrier,
    get_group_id,
    get_local_id,
    get_local_size,
    get_num_groups,
    group_barrier,
    kernel,
    local_array,
    private_array,
)
from tests._kernel_fixtures import back, backend, run, to_dev  # noqa: F401

# --- NdRange work-group queries, both styles ------------------------------------------------------


@kernel
def queries_opencl(out):
    i = get_local_id(0) + get_local_size(0) * get_group_id(0)
    out[i, 0] = get_local_id(0)
    out[i, 1] = get_group_id(0)
    out[i, 2] = get_local_size(0)
    out[i, 3] = get_num_groups(0)


@kernel
def queries_item(it, out):
    g = it.get_group()
    i = it.get_global_id(0)
    out[i, 0] = it.get_local_id(0)
    out[i, 1] = g.get_group_id(0)
    out[i, 2] = g.get_local_range(0)
    out[i, 3] = g.get_group_range(0)
    out[i, 4] = g.get_group_linear_id()
    out[i, 5] = g.get_group_linear_range()
    out[i, 6] = g.get_local_linear_range()
    out[i, 7] = 1 if g.leader else 0
    out[i, 8] = it.get_local_linear_id()


@pytest.mark.parametrize("n, wg", [(64, 8), (96, 32), (12, 12)])
def test_ndrange_queries_both_styles(backend, n, wg):
    out = np.full((n, 4), -1, np.int64)
    run(backend, queries_opencl, NdRange(n, wg), out)
    ids = np.arange(n)
    want = np.stack([ids % wg, ids // wg, np.full(n, wg), np.full(n, n // wg)], axis=1)
    np.testing.assert_array_equal(out, want)

    got = np.full((n, 9), -1, np.int64)
    run(backend, queries_item, NdRange(n, wg), got, workgroup=True)  # it.get_group()
    np.testing.assert_array_equal(got[:, :4], want)
    np.testing.assert_array_equal(got[:, 4], ids // wg)
    np.testing.assert_array_equal(got[:, 5], n // wg)
    np.testing.assert_array_equal(got[:, 6], wg)
    np.testing.assert_array_equal(got[:, 7], (ids % wg == 0).astype(np.int64))
    np.testing.assert_array_equal(got[:, 8], ids % wg)


@kernel
def group_2d(it, out):
    g = it.get_group()
    i = it.get_global_id(0)
    j = it.get_global_id(1)
    out[i, j, 0] = g.get_group_id(0)
    out[i, j, 1] = g.get_group_id(1)
    out[i, j, 2] = g.get_group_linear_id()
    out[i, j, 3] = it.get_local_linear_id()


def test_group_queries_2d(backend):
    got = np.zeros((8, 12, 4), np.int64)
    run(backend, group_2d, NdRange((8, 12), (4, 3)), got, workgroup=True)
    i, j = np.meshgrid(np.arange(8), np.arange(12), indexing="ij")
    np.testing.assert_array_equal(got[..., 0], i // 4)
    np.testing.assert_array_equal(got[..., 1], j // 3)
    np.testing.assert_array_equal(got[..., 2], (i // 4) * 4 + j // 3)
    np.testing.assert_array_equal(got[..., 3], (i % 4) * 3 + j % 3)


def test_group_python_meaning():
    from hetero.lang import NdItem, WorkItemState as _WorkItemState

    it = NdItem(_WorkItemState((5, 7), (8, 12), (4, 3)))
    g = it.get_group()
    assert isinstance(g, Group)
    assert (g.get_group_id(0), g.get_group_id(1), g.get_group_linear_id()) == (1, 2, 6)
    assert (g.get_group_range(1), g.get_local_range(1), g.get_local_linear_range()) == (4, 3, 12)
    assert not g.leader


# --- local sizes the device cannot run ---------------------------------------------------------------


def test_local_size_not_dividing_is_a_launch_error():
    with pytest.raises(LaunchError, match=r"local extent 48 does not divide global extent 100"):
        NdRange(100, 48)


def test_local_size_too_large_names_the_device_limit(sycl_device):
    limit = sycl_device.sycl_queue.sycl_device.max_work_group_size
    big = limit * 2
    out = to_dev(np.zeros((big, 4), np.int64), sycl_device)
    with pytest.raises(LaunchError) as exc:
        queries_opencl[NdRange(big, big)](out)
    msg = str(exc.value)
    assert str(big) in msg and str(limit) in msg and "max_work_group_size" in msg


def test_local_size_checks_per_dimension_limits():
    from hetero.backends.sycl.submit import check_local_range

    fake = pytypes.SimpleNamespace(max_work_group_size=1024, max_work_item_sizes3d=(64, 64, 1024),
                                   filter_string="level_zero:gpu:0")
    check_local_range(fake, NdRange((64, 1024), (1, 1024)))
    with pytest.raises(LaunchError, match=r"2048 work-items per work-group.*1024.*level_zero:gpu:0"):
        check_local_range(fake, NdRange((64, 2048), (1, 2048)))
    with pytest.raises(LaunchError, match=r"local extent 128 in dimension 0.*64"):
        check_local_range(fake, NdRange((128, 8), (128, 8)))


# --- barriers ------------------------------------------------------------------------------------


@kernel
def multipass_sum(it, a, out, passes):
    """Reduce each group's slice ``passes`` times in a for loop, barriers inside (out = passes * sum)."""
    tmp = local_array(128, np.int64)
    lid = it.get_local_id(0)
    n = it.get_local_range(0)
    total = 0
    for p in range(passes):
        tmp[lid] = a[it] + p
        barrier()
        stride = n // 2
        while stride > 0:
            if lid < stride:
                tmp[lid] += tmp[lid + stride]
            barrier()
            stride //= 2
        total += tmp[0]
        barrier()  # everyone has read tmp[0] before the next pass overwrites it
    out[it] = total


@pytest.mark.parametrize("wg", [16, 128])
def test_barrier_in_for_loop_multipass_reduction(backend, wg):
    n, passes = 512, 5
    a = np.arange(n, dtype=np.int64) % 7
    out = np.zeros(n, np.int64)
    run(backend, multipass_sum, NdRange(n, wg), a, out, passes, workgroup=True)
    sums = a.reshape(-1, wg).sum(axis=1)
    want = np.repeat(sum(sums + p * wg for p in range(passes)), wg)
    np.testing.assert_array_equal(out, want)


@kernel
def uniform_branch_barrier(it, a, out, flag):
    tmp = local_array(64, np.float32)
    lid = it.get_local_id(0)
    tmp[lid] = a[it]
    if flag > 0:  # uniform: every work-item takes the same path
        barrier()
        out[it] = tmp[it.get_local_range(0) - 1 - lid]
    else:
        group_barrier(it.get_group(), MemoryScope.WORK_GROUP)
        out[it] = tmp[lid] * 2


def test_barrier_in_uniform_branches(backend):
    a = np.arange(256, dtype=np.float32)
    out = np.zeros(256, np.float32)
    run(backend, uniform_branch_barrier, NdRange(256, 64), a, out, 1, workgroup=True)
    np.testing.assert_array_equal(out, a.reshape(-1, 64)[:, ::-1].ravel())
    run(backend, uniform_branch_barrier, NdRange(256, 64), a, out, 0, workgroup=True)
    np.testing.assert_array_equal(out, a * 2)


def _barrier_calls(ir: str) -> int:
    return len(re.findall(r"call spir_func void @_Z22__spirv_ControlBarrieriii", ir))


def test_barriers_stay_convergent_and_are_neither_duplicated_nor_removed():
    """In the optimised IR: every function and the barrier declaration are `convergent`, and each
    barrier of the source is still exactly one call (LLVM's jump threading / loop unswitching may
    neither copy a barrier into divergent paths nor drop one)."""
    import numba.core.types as nbt

    from hetero.compiler.targets.spirv import emit as spirv
    from hetero.compiler.targets.spirv.compile import compile_specialisation
    from hetero.compiler.targets.spirv.models import WorkItemType

    i64 = nbt.Array(nbt.int64, 1, "C")
    spec = compile_specialisation(multipass_sum.py_func, (i64, i64, nbt.int64), WorkItemType(1, True), 1)
    _, ir = spirv.to_spirv(spec.modules, spec.entry, kernel_name="multipass_sum", where="test")
    assert _barrier_calls(ir) == 3  # the source has three barriers: none copied, none dropped
    decl = re.search(r"declare spir_func void @_Z22__spirv_ControlBarrieriii\(i32, i32, i32\)[^\n]*#(\d+)", ir)
    assert decl, ir
    attrs = re.search(rf"attributes #{decl.group(1)} = {{([^}}]*)}}", ir).group(1)
    assert "convergent" in attrs
    for m in re.finditer(r"^define [^\n]*#(\d+)", ir, re.M):
        assert "convergent" in re.search(rf"attributes #{m.group(1)} = {{([^}}]*)}}", ir).group(1)
    # the barrier is work-group wide and fences local and global memory
    assert "@_Z22__spirv_ControlBarrieriii(i32 2, i32 2, i32 784)" in ir


@kernel
def branch_barrier_branch(it, a, out):
    """The shape LLVM's jump threading likes: the same test before and after a barrier."""
    lid = it.get_local_id(0)
    if lid < 16:
        out[lid] = a[lid]
    barrier()
    if lid < 16:
        out[lid + 16] = a[lid]
    else:
        out[lid + 32] = a[lid]


def _optimised_barriers(k, argtypes, convergent: bool) -> int:
    from llvmlite import binding as ll

    from hetero.compiler.targets.spirv import emit as spirv
    from hetero.compiler.targets.spirv.compile import compile_specialisation
    from hetero.compiler.targets.spirv.models import WorkItemType

    spec = compile_specialisation(k.py_func, argtypes, WorkItemType(1, True), 1)
    mod = spirv.link(spec.modules)
    tm = spirv.target_machine()
    spirv.internalize(mod, spec.entry)
    spirv.strip_unused(mod, tm)
    if convergent:
        spirv.mark_convergent(mod)
    else:  # what the compiler would produce without its convergent handling
        mod = ll.parse_assembly(str(mod).replace(" convergent", ""))
    spirv.optimize(mod, tm)
    return _barrier_calls(str(mod))


def test_without_convergent_llvm_would_duplicate_the_barrier(sycl_device):
    """Proof that the convergent handling matters: without it, O3 copies the barrier into the two
    divergent paths (work-items of one group would wait at different barriers); with it the
    barrier stays one, and the kernel is right."""
    import numba.core.types as nbt

    f32 = nbt.Array(nbt.float32, 1, "C")
    assert _optimised_barriers(branch_barrier_branch, (f32, f32), convergent=False) == 2
    assert _optimised_barriers(branch_barrier_branch, (f32, f32), convergent=True) == 1
    a = np.arange(64, dtype=np.float32)
    out = to_dev(np.zeros(96, np.float32), sycl_device)
    branch_barrier_branch[NdRange(64, 64)](to_dev(a, sycl_device), out)
    want = np.zeros(96, np.float32)
    want[:16] = a[:16]
    want[16:32] = a[:16]
    want[48:96] = a[16:64]
    np.testing.assert_array_equal(back(out), want)


# --- local memory ---------------------------------------------------------------------------------


@kernel
def transpose_tile(it, a, out):
    tile = local_array((8, 8), a.dtype)
    i = it.get_local_id(0)
    j = it.get_local_id(1)
    tile[i, j] = a[it]
    barrier()
    gi = it.get_group().get_group_id(0) * 8
    gj = it.get_group().get_group_id(1) * 8
    out[gi + i, gj + j] = tile[j, i]


def test_local_array_2d(backend):
    a = np.arange(16 * 24, dtype=np.float64).reshape(16, 24)
    out = np.zeros_like(a)
    run(backend, transpose_tile, NdRange((16, 24), (8, 8)), a, out, workgroup=True)
    want = a.reshape(2, 8, 3, 8).transpose(0, 3, 2, 1).reshape(16, 24)
    np.testing.assert_array_equal(out, want)


@kernel
def reverse_in_group(it, a, out, tmp):
    lid = it.get_local_id(0)
    tmp[lid] = a[it]
    barrier()
    out[it] = tmp[tmp.shape[0] - 1 - lid]


@pytest.mark.parametrize("wg", [8, 32])
def test_local_accessor_sized_at_launch(backend, wg):
    a = np.arange(128, dtype=np.float32)
    out = np.zeros(128, np.float32)
    run(backend, reverse_in_group, NdRange(128, wg), a, out, LocalAccessor(wg, np.float32), workgroup=True)
    np.testing.assert_array_equal(out, a.reshape(-1, wg)[:, ::-1].ravel())


def test_local_accessor_rejects_bad_shapes():
    with pytest.raises(LaunchError, match="positive"):
        LocalAccessor((0,), np.float32)
    with pytest.raises(LaunchError, match="dtype"):
        LocalAccessor(4, np.complex64)


@kernel
def local_shape_from_argument(it, a, n):
    tmp = local_array(n, np.float32)
    tmp[0] = a[it]


def test_non_constant_local_array_shape_is_a_clear_error(backend):
    a = np.zeros(16, np.float32)
    with pytest.raises(KernelCompileError, match=r"compile-time constant.*LocalAccessor"):
        run(backend, local_shape_from_argument, NdRange(16, 16), a, 16, workgroup=True)


@kernel
def private_scratch(i, out):
    p = private_array((2, 3), np.int32)
    for r in range(2):
        for c in range(3):
            p[r, c] = i * 10 + r * 3 + c
    s = 0
    for r in range(2):
        for c in range(3):
            s += p[r, c]
    out[i] = s


@kernel
def private_zeros(i, out):
    p = private_array(4, np.float32, True)
    p[i % 4] = 1.0
    out[i] = p[0] + p[1] + p[2] + p[3]


def test_private_array(backend):
    out = np.zeros(100, np.int32)
    run(backend, private_scratch, 100, out)  # private memory: the host back end runs it too
    np.testing.assert_array_equal(out, np.arange(100) * 60 + 15)
    out = np.zeros(64, np.float32)
    run(backend, private_zeros, 64, out)
    np.testing.assert_array_equal(out, np.ones(64))


def test_workgroup_functions_refuse_host_calls():
    with pytest.raises(RuntimeError, match="inside a function decorated"):
        barrier()
    with pytest.raises(RuntimeError, match="inside a function decorated"):
        local_array(4, np.float32)


@kernel
def huge_local(it, a):
    tmp = local_array(1 << 22, np.float64)  # 32 MiB: more local memory than any device has
    tmp[it.get_local_id(0)] = a[it]
    a[it] = tmp[0]


def test_local_memory_beyond_the_device_is_a_launch_error(sycl_device):
    limit = sycl_device.sycl_queue.sycl_device.local_mem_size
    a = to_dev(np.zeros(16, np.float64), sycl_device)
    with pytest.raises(LaunchError, match=rf"{8 << 22} bytes of local memory.*has {limit} bytes"):
        huge_local[NdRange(16, 16)](a)
