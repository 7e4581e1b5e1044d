"""Rules for what a kernel takes as arguments that every back end applies alike."""

from __future__ import annotations

from ..errors import LaunchError

__all__ = ["check_python_int"]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def check_python_int(index: int, value: int, kernel_name: str) -> None:
    """A Python ``int`` argument travels as an int64: one that does not fit is refused, never cut."""
    if not _INT64_MIN <= value <= _INT64_MAX:
        hint = " pass np.uint64(value) for an unsigned 64-bit value, or" if 0 <= value < 2**64 else ""
        raise LaunchError(
            f"argument {index} of kernel {kernel_name!r} is the Python int {value}, which does not fit in the "
            f"int64 that Python ints travel as (-2**63 .. 2**63 - 1);{hint} use a float or a smaller value"
        )
