"""The CPU target (the host back end's compiler): ``rewrite.py`` (kernel source with a work-item
context), ``atomics.py`` (LLVM atomics as numba intrinsics), ``build.py`` (numba-compiled task
runners)."""
