"""The CPU target (the host back end's compiler), compiling from bytecode (no source needed):
``rewrite.py`` (the kernel's numba IR with a work-item context), ``context.py`` (that context and the
numba functions reading it), ``pipeline.py`` (numba's nopython pipeline with the rewrite as a pass: a
dispatcher per kernel and device function), ``atomics.py`` (LLVM atomics as numba intrinsics),
``build.py`` (numba-compiled task runners)."""
