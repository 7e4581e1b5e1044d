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


class MultiDimWorkItemType(WorkItemType, types.IterableType):
    """A 2-D or 3-D work-item: iterable, so ``x, y = item`` unpacks its global ids, as the tuple it
    stands for would. (A 1-D one computes like an integer instead; numba's arithmetic typing
    does not consider iterables.)"""

    @property
    def iterator_type(self):
        return WorkItemIterType(self.ndim)


def work_item_type(ndim: int, nd: bool) -> WorkItemType:
    """The numba type of the work-item of an ``ndim``-D launch (``nd``: an NdRange launch)."""
    return MultiDimWorkItemType(ndim, nd) if ndim > 1 else WorkItemType(ndim, nd)


class WorkItemIterType(types.SimpleIteratorType):
    """Iterating a work-item: its global ids, dimension by dimension."""

    def __init__(self, ndim: int):
        self.ndim = ndim
        super().__init__(f"iter(Item({ndim}))", types.intp)


class GroupType(types.Type):
    """The numba type of a ``Group`` (``NdItem.get_group()``); like a work-item it carries no data."""

    def __init__(self, ndim: int):
        self.ndim = ndim
        super().__init__(name=f"Group({ndim})")


_SPACE_NAMES = {0: "private ", 3: "local "}


class AddrSpaceArray(types.Array):
    """An array whose data lives in another address space than kernel arguments (global).

    ``local_array`` / ``LocalAccessor`` arrays are in local memory (3),
    ``private_array`` arrays in the work-item's private memory (0). numba's array
    code (indexing, ``.shape``) works on them unchanged: only the data model's
    pointer differs.
    """

    def __init__(self, dtype, ndim, layout, addrspace, readonly=False, aligned=True):
        self.addrspace = addrspace
        name = f"{_SPACE_NAMES.get(addrspace, '')}array({dtype}, {ndim}d, {layout})"
        super().__init__(dtype, ndim, layout, readonly=readonly, name=name, aligned=aligned)

    @property
    def key(self):
        return super().key + (self.addrspace,)

    def copy(self, dtype=None, ndim=None, layout=None, readonly=None, addrspace=None, aligned=None):
        return AddrSpaceArray(
            self.dtype if dtype is None else dtype,
            self.ndim if ndim is None else ndim,
            self.layout if layout is None else layout,
            self.addrspace if addrspace is None else addrspace,
            readonly=not self.mutable if readonly is None else readonly,
            aligned=self.aligned if aligned is None else aligned,
        )


class AddrSpaceArrayModel(models.StructModel):
    def __init__(self, dmm, fe_type):
        ndim = fe_type.ndim
        members = [
            ("meminfo", types.MemInfoPointer(fe_type.dtype)),
            ("parent", types.pyobject),
            ("nitems", types.intp),
            ("itemsize", types.intp),
            ("data", types.CPointer(fe_type.dtype, addrspace=fe_type.addrspace)),
            ("shape", types.UniTuple(types.intp, ndim)),
            ("strides", types.UniTuple(types.intp, ndim)),
        ]
        super().__init__(dmm, fe_type, members)


class AtomicRefType(types.Type):
    """An ``AtomicRef``: a pointer to one element; its address space, memory order (an LLVM
    ordering name) and memory scope (a SPIR-V ``Scope``: 1 device, 2 work-group, ...) in the type."""

    def __init__(self, dtype, addrspace: int, order: str, scope: int = 1):
        self.dtype = dtype
        self.addrspace = addrspace
        self.order = order
        self.scope = scope
        super().__init__(name=f"AtomicRef({dtype}, addrspace={addrspace}, {order}, scope={scope})")


class AtomicRefModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        be = dmm.lookup(fe_type.dtype).get_data_type().as_pointer(fe_type.addrspace)
        super().__init__(dmm, fe_type, be)


class WorkItemModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, llir.IntType(8))


class WorkItemIterModel(models.PrimitiveModel):
    """A pointer to the next dimension to yield (a private i64)."""

    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, llir.IntType(64).as_pointer())


# Chained, so models numba registers later (on import of its modules) stay visible.
_own = DataModelManager()
_own.register(types.CPointer, AddrSpacePointerModel)
_own.register(types.Array, GlobalArrayModel)
_own.register(WorkItemType, WorkItemModel)
_own.register(MultiDimWorkItemType, WorkItemModel)
_own.register(WorkItemIterType, WorkItemIterModel)
_own.register(GroupType, WorkItemModel)
_own.register(AddrSpaceArray, AddrSpaceArrayModel)
_own.register(AtomicRefType, AtomicRefModel)
sycl_data_model_manager = _own.chain(default_manager)
