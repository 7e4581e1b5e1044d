"""Typing rules of the kernel language that every target shares (numba types in, TypingError out).

One rule, one message: the SPIR-V target's templates and the CPU target's atomics call
these, so a kernel is refused for the same reason, in the same words, on every back end.
"""

from __future__ import annotations

import numpy as np
from numba.core import types
from numba.core.errors import TypingError
from numba.core.typing.npydecl import parse_dtype

from ..lang import table

__all__ = ["atomic_target", "constant_shape", "element_dtype"]


def atomic_target(name: str, ary, idx, *, item_ok: bool = False):
    """Check ``ary[idx]`` as the target of the atomic ``name``; returns ``idx``.

    ``idx`` is an integer or a tuple of integers (work-items already replaced by what they
    stand for); ``name`` is the user's spelling (``atomic_add``, ``AtomicRef``).
    """
    if not isinstance(ary, types.Array):
        raise TypingError(f"{name}: the first argument must be an array, got {ary}")
    if str(ary.dtype) not in table.ATOMIC_DTYPES:
        raise TypingError(f"{name} works on arrays of {', '.join(table.ATOMIC_DTYPES)}, not {ary.dtype}")
    op = name[len("atomic_"):] if name.startswith("atomic_") else None
    if op in table.ATOMIC_OPS and table.ATOMIC_OPS[op][0] and not isinstance(ary.dtype, types.Integer):
        raise TypingError(f"{name} works on integer arrays, not {ary.dtype}")
    if not ary.mutable:
        raise TypingError(f"{name} on a read-only array")
    if isinstance(idx, types.Integer):
        n = 1
    elif isinstance(idx, types.BaseTuple) and all(isinstance(t, types.Integer) for t in idx.types):
        n = len(idx.types)
    else:
        what = "an integer, a tuple of integers or a work-item" if item_ok else "an integer or a tuple of integers"
        raise TypingError(f"{name}: the index must be {what}, got {idx}")
    if n != ary.ndim:
        raise TypingError(f"{name}: a {ary.ndim}-D array needs {ary.ndim} indices, got {n}")
    return idx


def constant_shape(shape, what: str) -> tuple:
    """The literal shape of ``local_array`` / ``private_array`` (a TypingError when not constant)."""
    if isinstance(shape, types.IntegerLiteral):
        dims = (shape.literal_value,)
    elif isinstance(shape, types.BaseTuple) and shape.types and all(
        isinstance(t, types.IntegerLiteral) for t in shape.types
    ):
        dims = tuple(t.literal_value for t in shape.types)
    else:
        raise TypingError(
            f"{what}(shape, dtype): the shape must be a compile-time constant (an int literal, a tuple of "
            f"int literals, or a module-level int constant), got {shape}; for a size chosen at launch time "
            "pass a hetero.LocalAccessor argument (local memory) instead"
        )
    if not 1 <= len(dims) <= 3 or any(d < 1 for d in dims):
        raise TypingError(f"{what}(shape, dtype): shape must be 1 to 3 positive extents, got {dims}")
    return dims


def element_dtype(dtype, what: str):
    """The numba element type of a ``dtype`` argument (``np.float32``, ``"float32"``, a numba type)."""
    try:
        dt = parse_dtype(dtype)
    except Exception:
        dt = None
    if dt is None and isinstance(dtype, types.StringLiteral):
        from numba.np import numpy_support

        dt = numpy_support.from_dtype(np.dtype(dtype.literal_value))
    if not isinstance(dt, (types.Integer, types.Float, types.Boolean, types.Complex)):
        raise TypingError(f"{what}(shape, dtype): dtype must be a NumPy number type such as np.float32, got {dtype}")
    return dt
