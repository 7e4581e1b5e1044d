"""hetero's kernel compiler: Python → numba typed IR → LLVM IR → a target's binary.

Shared by every target:

``analysis.py``
    which launch arguments a kernel may write (from numba's typed IR, with the
    in-kernel functions that write an argument listed in ``hetero.lang.table``),
    and whether a kernel needs work-groups (from its bytecode);
``rules.py``
    typing rules every target applies with the same messages (atomic targets,
    constant shapes, element types);
``cache.py``
    compiled binaries on disk (``HETERO_CACHE_DIR``), keyed by target, atomic
    writes, verified reads.

One folder per target under ``targets/``: ``spirv/`` (SYCL devices; also the judge
of the kernel language for the host and interpreter back ends) and ``cpu/`` (the
host back end). Nothing here imports a runtime (dpctl, dpnp) or a back end;
importing ``cache.py`` or ``targets/spirv/binary.py`` needs no numba, so a launch
whose binary is on disk never loads the compiler.
"""
