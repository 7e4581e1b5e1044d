"""Data models of the SYCL target: how numba types are laid out in SPIR-V-ready LLVM IR.

Kernel arrays live in global memory, so an array's ``data`` member is a
``ptr addrspace(1)`` (SPIR-V CrossWorkgroup). numba's own ``PointerModel``
drops the address space of ``types.CPointer``; ours keeps it. Work-items
(``Item`` / ``NdItem``) carry no data: every query lowers to an OpenCL builtin.
"""

from __future__ import annotations

from llvmlite import ir as llir
from numba.core import types
from numba.core.datamodel import models
from numba.core.datamodel.manager import DataModelManager
from numba.core.datamodel.registry import default_manager

GLOBAL = 1  # SPIR-V CrossWorkgroup
LOCAL = 3  # SPIR-V Workgroup
GENERIC = 4


class AddrSpacePointerModel(models.PrimitiveModel):
    """A pointer that honours ``types.CPointer.addrspace``."""

    def __init__(self, dmm, fe_type):
        self._pointee_model = dmm.lookup(fe_type.dtype)
        self._pointee_be_type = self._pointee_model.get_data_type()
        addrspace = fe_type.addrspace or 0
        super().__init__(dmm, fe_type, self._pointee_be_type.as_pointer(addrspace))


class GlobalArrayModel(models.StructModel):
    """numba's array struct with the data pointer in global memory."""

    def __init__(self, dmm, fe_type):
        ndim = fe_type.ndim
        members = [
            ("meminfo", types.MemInfoPointer(fe_type.dtype)),
            ("parent", types.pyobject),
            ("nitems", types.intp),
            ("itemsize", types.intp),
            ("data", types.CPointer(fe_type.dtype, addrspace=GLOBAL)),
            ("shape", types.UniTuple(types.intp, ndim)),
            ("strides", types.UniTuple(types.intp, ndim)),
        ]
        super().__init__(dmm, fe_type, members)


class WorkItemType(types.Type):
    """The numba type of an ``Item`` (Range launch) or ``NdItem`` (NdRange launch)."""

    def __init__(self, ndim: int, nd: bool):
        self.ndim = ndim
        self.nd = nd
        super().__init__(name=f"{'NdItem' if nd else 'Item'}({ndim})")

    def can_convert_to(self, typingctx, other):
        """A 1-D work-item converts like an intp: ``i + 1``, ``i == 0``, ``x + i``, ``range(i)``."""
        from numba.core.typeconv import Conversion

        if self.ndim == 1 and isinstance(other, types.Number):
            conv = typingctx.can_convert(types.intp, other)
            # "promote" rather than "exact": an exact Item overload must still win
            return Conversion.promote if conv == Conversion.exact else conv
        return None


class WorkItemModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, llir.IntType(8))


# Chained, so models numba registers later (on import of its modules) stay visible.
_own = DataModelManager()
_own.register(types.CPointer, AddrSpacePointerModel)
_own.register(types.Array, GlobalArrayModel)
_own.register(WorkItemType, WorkItemModel)
sycl_data_model_manager = _own.chain(default_manager)
