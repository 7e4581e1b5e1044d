"""``numba_dpex.core.exceptions``: numba-dpex 0.23's exception classes, as raised by this compat layer.

Each keeps numba-dpex's name and constructor and also derives from the hetero error that hetero
raises for the same mistake, so ``except hetero.LaunchError`` (or ``PlacementError`` ...) still
catches it. :class:`TypingError` is a :class:`hetero.KernelTypingError` that is also numba's
``numba.core.errors.TypingError``, which numba-dpex raised for a kernel it could not type.
The classes numba-dpex defines for its own compiler's internals are here too, for code that
names them in an ``except``; the compat layer does not raise those.
"""

from __future__ import annotations

from numba.core.errors import TypingError as _NumbaTypingError

from ....errors import HeteroError, KernelCompileError, KernelTypingError, LaunchError, PlacementError

__all__ = [
    "TypingError",
    "KernelHasReturnValueError",
    "InvalidKernelLaunchArgsError",
    "UnknownGlobalRangeError",
    "IllegalRangeValueError",
    "UnsupportedNumberOfRangeDimsError",
    "UnmatchedNumberOfRangeDimsError",
    "UnsupportedWorkItemSizeError",
    "UnsupportedGroupWorkItemSizeError",
    "ExecutionQueueInferenceError",
    "UnsupportedBackendError",
    "UncompiledKernelError",
    "UnreachableError",
    "UnsupportedKernelArgumentError",
    "SUAIProtocolError",
    "UnsupportedCompilationModeError",
    "InvalidKernelSpecializationError",
    "MissingSpecializationError",
    "UnsupportedParforError",
    "IllegalIntEnumLiteralValueError",
    "InternalError",
    "InvalidRangeError",
]


class TypingError(KernelTypingError, _NumbaTypingError):
    """A kernel hetero could not type: both :class:`hetero.KernelTypingError` and numba's ``TypingError``."""

    def __init__(self, msg, loc=None, highlighting=True):
        self.msg = msg
        self.loc = loc
        Exception.__init__(self, msg)

    @classmethod
    def from_hetero(cls, exc: KernelTypingError) -> "TypingError":
        return cls(str(exc))


class InvalidRangeError(LaunchError, TypeError):
    """A ``Range`` / ``NdRange`` that is not 1 to 3 integer extents (numba-dpex: a ``TypeError``)."""


class _Message(HeteroError):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class KernelHasReturnValueError(_Message, KernelTypingError):
    def __init__(self, kernel_name, return_type, sig=None) -> None:
        super().__init__(
            f"Kernel {kernel_name} has a return value of type {return_type}"
            + (f" (signature {sig})" if sig is not None else "")
            + ". A kernel must not return a value."
        )


class InvalidKernelLaunchArgsError(_Message, LaunchError):
    def __init__(self, kernel_name) -> None:
        super().__init__(f"Invalid launch arguments for kernel {kernel_name}: give a Range or an NdRange.")


class UnknownGlobalRangeError(_Message, LaunchError):
    def __init__(self, kernel_name) -> None:
        super().__init__(f"No global range was given for kernel {kernel_name}.")


class IllegalRangeValueError(_Message, LaunchError):
    def __init__(self, kernel_name) -> None:
        super().__init__(f"Kernel {kernel_name} was given a range of values that are not positive integers.")


class UnsupportedNumberOfRangeDimsError(_Message, LaunchError):
    def __init__(self, kernel_name, ndims, max_work_item_dims) -> None:
        super().__init__(
            f"Kernel {kernel_name} was given a range of {ndims} dimensions; at most {max_work_item_dims} are allowed."
        )


class UnmatchedNumberOfRangeDimsError(_Message, LaunchError):
    def __init__(self, kernel_name, global_ndims, local_ndims) -> None:
        super().__init__(
            f"Kernel {kernel_name}: the global range has {global_ndims} dimensions, the local range {local_ndims}."
        )


class UnsupportedWorkItemSizeError(_Message, LaunchError):
    def __init__(self, kernel_name, dim, requested_work_items, supported_work_items) -> None:
        super().__init__(
            f"Kernel {kernel_name}: {requested_work_items} work-items requested in dimension {dim}; "
            f"the device supports {supported_work_items}."
        )


class UnsupportedGroupWorkItemSizeError(_Message, LaunchError):
    def __init__(self, kernel_name, dim, work_groups, work_items) -> None:
        super().__init__(
            f"Kernel {kernel_name}: {work_items} work-items in dimension {dim} cannot be split into "
            f"{work_groups} work-groups."
        )


class ExecutionQueueInferenceError(_Message, PlacementError):
    """The kernel's arrays are not all on one queue, or it has no array argument (compute follows data)."""

    def __init__(self, kernel_name, *, usmarray_argnum_list) -> None:
        if usmarray_argnum_list is not None:
            args = ",".join(str(i) for i in usmarray_argnum_list)
            msg = (
                f'Execution queue for kernel "{kernel_name}" could not be deduced using the compute follows '
                f"data programming model. The usm_ndarray arguments {args} were not allocated on the same queue."
            )
        else:
            msg = (
                f'Execution queue for kernel "{kernel_name}" could not be deduced using the compute follows '
                "data programming model. The kernel has no USMNdArray argument."
            )
        super().__init__(msg)


class UnsupportedBackendError(_Message, LaunchError):
    def __init__(self, kernel_name, backend, supported_backends) -> None:
        super().__init__(
            f"Kernel {kernel_name}: backend {backend} is not supported; supported: {', '.join(supported_backends)}."
        )


class UncompiledKernelError(_Message, KernelCompileError):
    def __init__(self, kernel_name) -> None:
        super().__init__(f"No compiled kernel {kernel_name}.")


class UnreachableError(_Message, RuntimeError):
    def __init__(self) -> None:
        super().__init__("Unreachable code was reached.")


class UnsupportedKernelArgumentError(_Message, TypeError):
    """An argument a kernel cannot take (a NumPy array: numba-dpex kernels take device arrays)."""

    def __init__(self, type, value, kernel_name="") -> None:
        super().__init__(
            f"Argument {value} passed to kernel {kernel_name} is of an unsupported type ({type})."
        )


class SUAIProtocolError(_Message, TypeError):
    def __init__(self, kernel_name, arg) -> None:
        super().__init__(f"Kernel {kernel_name}: argument {arg} does not implement __sycl_usm_array_interface__.")


class UnsupportedCompilationModeError(_Message, KernelCompileError):
    def __init__(self) -> None:
        super().__init__("Kernels compile in nopython mode only.")


class InvalidKernelSpecializationError(_Message, KernelTypingError):
    def __init__(self, kernel_name, invalid_sig, unsupported_argnum_list) -> None:
        super().__init__(
            f"Kernel {kernel_name} cannot be specialized for {invalid_sig} "
            f"(arguments {unsupported_argnum_list})."
        )


class MissingSpecializationError(_Message, KernelTypingError):
    def __init__(self, kernel_name, argtypes) -> None:
        super().__init__(f"Kernel {kernel_name} has no specialization for {argtypes}.")


class UnsupportedParforError(_Message, KernelCompileError):
    def __init__(self, extra_msg=None) -> None:
        super().__init__("Expression cannot be offloaded" + (f": {extra_msg}" if extra_msg else "."))


class IllegalIntEnumLiteralValueError(_Message, TypeError):
    def __init__(self) -> None:
        super().__init__("An IntEnumLiteral can only hold an IntEnum member.")


class InternalError(_Message, RuntimeError):
    def __init__(self, extra_msg=None) -> None:
        super().__init__("An internal error occurred" + (f": {extra_msg}" if extra_msg else "."))
