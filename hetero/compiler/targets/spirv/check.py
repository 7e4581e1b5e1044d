"""A structural check of a SPIR-V module before a runtime sees it.

LLVM 22's SPIR-V back end was seen to emit, about once in 1500 kernels and only
in a process that had compiled many before (the same kernel compiled afresh
came out right), a module that defines one id twice — e.g. a basic block's
label and a type share id 2. Intel's OpenCL CPU runtime does not validate
what it is given: its SPIR-V reader segfaults on such a module, killing the
Python process. A module from the disk cache is read back from a file that
anything may have written.

``duplicate_ids`` walks the instruction stream and reports ids that are
defined twice, or a stream that does not parse (a bad header, an instruction
running past the end). It knows which instructions define an id from the
SPIR-V specification's opcode numbers; an opcode it does not list is taken to
define nothing, so the check can miss a duplicate but never invents one.
"""

from __future__ import annotations

import struct

MAGIC = 0x07230203

# Opcodes whose instruction is ``opcode <result type> <result id> ...``
_TYPED = frozenset(
    [1, 12, 41, 42, 43, 44, 45, 46, 48, 49, 50, 51, 52, 54, 55, 57, 59, 60, 61, 65, 66, 67, 68, 69, 70]
    + list(range(77, 85))  # vector / composite: extract, insert, shuffle, construct, copy, transpose
    + list(range(86, 108))  # image and sampler instructions
    + list(range(109, 125))  # conversions, pointer casts, bitcast
    + list(range(126, 153))  # arithmetic
    + list(range(154, 192))  # relational and logical
    + list(range(194, 206))  # bit instructions
    + list(range(227, 228)) + list(range(229, 243))  # atomics (OpAtomicStore, 228, defines nothing)
    + [245]  # OpPhi
    + [259] + list(range(261, 271))  # group instructions
    + [5614, 5615, 6035]  # OpAtomicFMinEXT, OpAtomicFMaxEXT, OpAtomicFAddEXT
)
# Opcodes whose instruction is ``opcode <result id> ...``
_UNTYPED = frozenset([7, 11, 73, 248] + list(range(19, 39)))  # string, ext-inst import, group, label, types


def duplicate_ids(spv: bytes) -> list[str]:
    """Problems that make ``spv`` unsafe to hand to a runtime (empty when none were found)."""
    if len(spv) < 20 or len(spv) % 4:
        return [f"a SPIR-V module of {len(spv)} bytes (not a whole header of 5 words and whole words)"]
    n = len(spv) // 4
    words = struct.unpack(f"<{n}I", spv)
    if words[0] != MAGIC:
        return ["no SPIR-V magic number"]
    bound = words[3]
    seen: set = set()
    problems: list[str] = []
    i = 5
    while i < n:
        count, opcode = words[i] >> 16, words[i] & 0xFFFF
        if count == 0 or i + count > n:
            return problems + [f"an instruction at word {i} (opcode {opcode}, {count} words) runs past the end"]
        rid = None
        if opcode in _TYPED and count >= 3:
            rid = words[i + 2]
        elif opcode in _UNTYPED and count >= 2:
            rid = words[i + 1]
        if rid is not None:
            if rid in seen:
                problems.append(f"id {rid} is defined more than once (opcode {opcode} at word {i})")
            elif not 0 < rid < bound:
                problems.append(f"id {rid} (opcode {opcode} at word {i}) is outside the module's bound {bound}")
            seen.add(rid)
        i += count
    return problems
