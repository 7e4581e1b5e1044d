"""Forward progress between work-items: spin-waits on an atomic flag, and what hetero guarantees.

What hetero guarantees on SYCL devices
--------------------------------------
Neither SYCL 2020 nor OpenCL promises that one work-item makes progress while another waits
for it: a kernel in which a work-item spins until another work-item sets a flag relies on the
device running both at once. hetero guarantees what the device gives, and nothing that would
make such a kernel portable:

* **Atomics are atomics.** ``AtomicRef.load()`` / ``.store()`` compile to ``OpAtomicLoad`` /
  ``OpAtomicStore`` (scope and memory semantics from the ``AtomicRef``), and ``atomic_fence``
  to ``OpMemoryBarrier`` over global and local memory, so a load in a loop is re-read on every
  iteration and a store becomes visible to the other work-items.
* **Different work-groups** may or may not run at the same time; that is up to the device.
  On Intel's OpenCL CPU device (``opencl:cpu``) work-groups run on TBB worker threads, one
  fewer than the logical cores (**one** on a 2-core machine), plus every host thread that is
  blocked waiting for the launch. hetero's timed waits (``Event.wait(timeout=)``,
  ``synchronize(timeout=)``) block a helper thread too, so they give a launch the same threads
  as an untimed ``wait()``. Measured on 2 cores: with nobody waiting one work-group runs at a
  time; while a host thread waits, two. A spin-wait across work-groups completes when the
  groups involved are no more than the threads the device has; a kernel that needs more (or
  code that polls ``Event.is_complete`` without ever waiting, on a 2-core machine) never ends.
* **Work-items of one work-group** on the CPU device run on one thread: in chunks of SIMD
  lanes (16 were measured), one chunk after another in order of local id, and within a chunk
  in whatever order the device compiler linearises the branches. A work-item spinning on a
  flag that a sibling in the *same* work-group sets completes only if the runtime happens to
  run the sibling first: measured, a group of two completes when work-item 1 waits for
  work-item 0 and never when work-item 0 waits for work-item 1 (timed or untimed wait, with
  hetero's and with numba-dpex 0.23's SPIR-V); in a group of 16, "0 waits for 15" hung with
  one order of the branches in the source and completed with the other. hetero guarantees
  nothing here: wait for work-items of the same group with a barrier (``group_barrier``).
* **Range launches** leave the work-group size to hetero and the runtime: ``Range(2)`` on the
  CPU device runs as two groups of one (so numba-dpex's ``test_atomic_fence`` completes), but
  ``Range(4)`` as groups of two, ``Range(16)`` as one group, and hetero picks groups of 64 for
  1-D ranges that are a multiple of 64. Only an ``NdRange`` says which work-items share a group.

A hung kernel cannot be stopped and may keep its process from exiting, so every launch here
runs in a child process, waits with a timeout and ends with ``os._exit``.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from hetero.kernel_api import (AtomicRef, MemoryOrder, MemoryScope, atomic_fence, get_global_id,
                               get_local_size, kernel)

WAIT_S = 10  # per launch, in the child (a launch that completes takes milliseconds)
CHILD_S = 90  # the whole child process

# Kernels for the child processes: flag ``b[0]``, data ``a``. ``later_sets`` is numba-dpex's
# test_atomic_fence kernel as it is (work-item 1 sets the flag work-item 0 waits for).
KERNELS = '''
import os, sys, json
import numpy as np
import hetero, dpnp
from hetero import AtomicRef, MemoryOrder, MemoryScope, atomic_fence

@hetero.kernel
def later_sets(item, a, b):
    i = item.get_id(0)
    bref = AtomicRef(b, index=0)
    if i == 1:
        a[i] += 1
        atomic_fence(MemoryOrder.RELEASE, MemoryScope.DEVICE)
        bref.store(1)
    elif i == 0:
        while not bref.load():
            continue
        atomic_fence(MemoryOrder.ACQUIRE, MemoryScope.DEVICE)
        for idx in range(1, a.size):
            a[0] += a[idx]

@hetero.kernel
def waiter_first(item, a, b):
    i = item.get_id(0)
    bref = AtomicRef(b, index=0)
    if i == 0:
        while not bref.load():
            continue
        a[0] += a[1]
    else:
        a[i] += 1
        bref.store(1)

@hetero.kernel
def earlier_sets(item, a, b):
    i = item.get_id(0)
    bref = AtomicRef(b, index=0, memory_order=MemoryOrder.ACQ_REL)
    if i == 0:
        a[0] += 1
        bref.store(1)
    else:
        while bref.load() == 0:
            pass
        atomic_fence(MemoryOrder.ACQUIRE, MemoryScope.DEVICE)
        a[1] += a[0]

EXPECTED = {"later_sets": (0, 3), "waiter_first": (0, 3), "earlier_sets": (1, 3)}
'''

LAUNCH = '''
device, how, wait, variants = json.loads(sys.argv[1])
for name, dtype, rng_kind in variants:  # one after another; the first that times out ends the child
    k = globals()[name]
    a = dpnp.ones(2, dtype=dtype, device=device)
    b = dpnp.zeros(1, dtype=dtype, device=device)
    rng = {"range": hetero.Range(2), "nd1": hetero.NdRange(2, 1), "nd2": hetero.NdRange(2, 2)}[rng_kind]
    ev = k.submit(rng, a, b)
    try:
        if how == "synchronize":
            hetero.synchronize(timeout=wait)
        else:
            ev.wait(timeout=wait)
    except hetero.KernelTimeoutError:
        print("RESULT", name, dtype, rng_kind, "timed out", flush=True)
        os._exit(0)  # a worker thread still spins: exit without waiting for it
    idx, want = EXPECTED[name]
    print("RESULT", name, dtype, rng_kind, "completed", int(a[idx]), want, flush=True)
os._exit(0)
'''


def _child(code: str, params) -> list[str]:
    """Run ``code`` in a fresh interpreter; its ``RESULT ...`` lines (a hang past CHILD_S fails)."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, json.dumps(params)], capture_output=True, text=True, timeout=CHILD_S
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{params}: the child process hung for {CHILD_S} s (the kernel never finished)")
    lines = [ln[len("RESULT "):] for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"{params}: no result (rc {proc.returncode})\n{proc.stdout}\n{proc.stderr[-3000:]}"
    return lines


def _launch(variants, device, how="wait", wait=WAIT_S) -> list[str]:
    return _child(KERNELS + LAUNCH, [device.filter_string, how, wait, variants])


@kernel
def _local_size_probe(out):
    out[get_global_id(0)] = get_local_size(0)


def _guaranteed(sycl_device, rng_kind) -> bool:
    """Whether hetero's progress guarantee covers a spin between the two work-items of a launch
    of two: they must be in different work-groups (an NdRange(2, 1), or a Range(2) the runtime
    splits into groups of one — asked of the runtime, not assumed) and the device must run two
    groups at once (on the CPU device: two compute units, one worker thread plus the waiter)."""
    if int(sycl_device.sycl_device.max_compute_units) < 2:
        return False
    if rng_kind == "nd1":
        return True
    import dpnp

    out = dpnp.zeros(2, dtype=np.int64, sycl_queue=sycl_device.sycl_queue)
    _local_size_probe[2](out)
    return bool((dpnp.asnumpy(out) == 1).all())


def _check(lines, variants, sycl_device):
    """Every launch the guarantee covers completed with the right answer; the others completed
    with the right answer or timed out (the child stops at the first time-out)."""
    assert lines and len(lines) <= len(variants), lines
    for ln, (name, dtype, rng_kind) in zip(lines, variants):
        if ln.endswith("timed out"):
            assert not _guaranteed(sycl_device, rng_kind), f"a spin-wait across work-groups timed out: {ln}"
            assert ln is lines[-1], lines
            continue
        assert " completed " in ln, ln
        got, want = ln.split()[-2:]
        assert got == want, ln
    assert len(lines) == len(variants) or lines[-1].endswith("timed out"), lines


@pytest.mark.parametrize("name", ["later_sets", "waiter_first", "earlier_sets"])
def test_spin_wait_on_a_flag_from_another_work_group_completes(sycl_device, name):
    """A work-item spins on an AtomicRef flag another work-item sets, int64 and int32, under an
    NdRange(2, 1) and a Range(2); each launch the progress guarantee covers completes under a timed
    wait (``later_sets`` is numba-dpex's test_atomic_fence kernel)."""
    variants = [[name, dt, r] for dt in ("int64", "int32") for r in ("nd1", "range")]
    _check(_launch(variants, sycl_device), variants, sycl_device)


def test_spin_wait_completes_under_synchronize_with_timeout(sycl_device):
    variants = [["later_sets", "int64", "nd1"]]
    _check(_launch(variants, sycl_device, how="synchronize"), variants, sycl_device)


def test_numba_dpex_test_atomic_fence_through_the_compat_layer(sycl_device):
    """numba-dpex's test_atomic_fence, word for word but for the import (call_kernel waits untimed)."""
    code = textwrap.dedent('''
        import os, sys, json, dpnp
        import hetero.compat.numba_dpex as dpex
        from hetero.compat.numba_dpex.kernel_api import AtomicRef, Item, MemoryOrder, MemoryScope, atomic_fence

        @dpex.kernel
        def _kernel(item: Item, a, b):
            i = item.get_id(0)
            bref = AtomicRef(b, index=0)
            if i == 1:
                a[i] += 1
                atomic_fence(MemoryOrder.RELEASE, MemoryScope.DEVICE)
                bref.store(1)
            elif i == 0:
                while not bref.load():
                    continue
                atomic_fence(MemoryOrder.ACQUIRE, MemoryScope.DEVICE)
                for idx in range(1, a.size):
                    a[0] += a[idx]

        N = 2
        device = json.loads(sys.argv[1])
        a = dpnp.ones(N, dtype=dpnp.int64, device=device)
        b = dpnp.zeros(1, dtype=dpnp.int64, device=device)
        import threading
        def give_up():
            print("RESULT timed out", flush=True)
            os._exit(0)
        threading.Timer(%d, give_up).start()  # call_kernel waits untimed: a spinning kernel never returns
        dpex.call_kernel(_kernel, dpex.Range(N), a, b)
        print("RESULT", int(a[0]), flush=True)
        os._exit(0)
    ''' % WAIT_S)
    got = _child(code, sycl_device.filter_string)
    assert got == ["3"] or (got == ["timed out"] and not _guaranteed(sycl_device, "range")), got


def test_spin_wait_inside_one_work_group_is_bounded_by_the_timeout(sycl_device):
    """Both work-items in ONE work-group (NdRange(2, 2)): hetero promises nothing about progress
    here (see the module docstring for what was measured on the CPU device: a work-item waiting for a
    later sibling spun for ever there). Whatever the device and its SIMD width do, a timed wait
    returns: completed with the right answer, or a KernelTimeoutError — never a hang."""
    for name in ("later_sets", "waiter_first", "earlier_sets"):  # a timed-out launch spins on: a child each
        (out,) = _launch([[name, "int64", "nd2"]], sycl_device, wait=3)
        assert out.endswith("timed out") or " completed " in out, out
        if " completed " in out:
            assert out.split()[-2] == out.split()[-1], out


# --- the SPIR-V itself (no device needed) ----------------------------------------------------

OP_CONSTANT, OP_CONSTANT_NULL = 43, 46
OP_LOAD, OP_MEMORY_BARRIER, OP_ATOMIC_LOAD, OP_ATOMIC_STORE = 61, 225, 227, 228


def _instructions(spv: bytes):
    """(opcode, operand words) of every instruction of a SPIR-V module, and its integer constants."""
    words = struct.unpack(f"<{len(spv) // 4}I", spv)
    assert words[0] == 0x07230203, "not SPIR-V"
    insts, consts, i = [], {}, 5
    while i < len(words):
        op, n = words[i] & 0xFFFF, words[i] >> 16
        operands = words[i + 1 : i + n]
        insts.append((op, operands))
        if op == OP_CONSTANT:
            consts[operands[1]] = operands[2]
        elif op == OP_CONSTANT_NULL:
            consts[operands[1]] = 0
        i += n
    return insts, consts


@kernel
def spin_until_set(item, flag, out):
    r = AtomicRef(flag, index=0)
    n = 0
    while r.load() == 0:
        n += 1
    atomic_fence(MemoryOrder.ACQUIRE, MemoryScope.DEVICE)
    out[item.get_id(0)] = n
    atomic_fence(MemoryOrder.RELEASE, MemoryScope.WORK_GROUP)
    r.store(2)


@pytest.mark.parametrize("dtype", ["int32", "int64", "float32", "float64"])
def test_atomic_ref_load_in_a_loop_is_an_atomic_load_in_the_spirv(dtype):
    flag = np.zeros(1, dtype=dtype)
    b = spin_until_set.compile(__import__("hetero").Range(4), flag, np.zeros(4, np.int64), target="spirv")
    insts, consts = _instructions(b.spirv)
    loads = [ops for op, ops in insts if op == OP_ATOMIC_LOAD]
    stores = [ops for op, ops in insts if op == OP_ATOMIC_STORE]
    assert loads, "AtomicRef.load() became a plain OpLoad (the device compiler may hoist it out of the loop)"
    assert stores, "AtomicRef.store() became a plain OpStore"
    # OpAtomicLoad: result type, result, pointer, scope, semantics; OpAtomicStore: pointer, scope, semantics, value
    for scope_id, sem_id in [ops[3:5] for ops in loads] + [ops[1:3] for ops in stores]:
        assert consts[scope_id] == 1, "AtomicRef's default memory scope is the device (SPIR-V Scope 1)"
        assert consts[sem_id] & 0x200, "the semantics must name global (CrossWorkgroup) memory"
    fences = [(consts[ops[0]], consts[ops[1]]) for op, ops in insts if op == OP_MEMORY_BARRIER]
    # acquire at device scope; release at work-group scope; both over local and global memory
    assert sorted(fences) == [(1, 0x2 | 0x300), (2, 0x4 | 0x300)], fences


def test_the_fence_of_a_spin_wait_is_not_seq_cst_without_storage_classes():
    """LLVM's ``fence`` became OpMemoryBarrier(CrossDevice, SequentiallyConsistent) naming no memory."""
    b = spin_until_set.compile(__import__("hetero").Range(4), np.zeros(1, np.int64), np.zeros(4, np.int64),
                               target="spirv")
    insts, consts = _instructions(b.spirv)
    for op, ops in insts:
        if op == OP_MEMORY_BARRIER:
            assert consts[ops[1]] & 0x300 == 0x300
