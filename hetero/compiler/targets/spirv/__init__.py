"""The SPIR-V target (SYCL devices): Python → numba typed IR → LLVM IR → SPIR-V.

``models.py`` / ``templates.py`` / ``lowering.py`` / ``mathlib.py`` say what the kernel language
means here; ``target.py`` ties them into a numba target; ``compile.py`` types and lowers one
specialisation and writes its ``spir_kernel`` entry; ``emit.py`` turns LLVM IR into SPIR-V;
``binary.py`` keeps the result (in memory and in the disk cache); ``inline.py`` compiles device
functions into their kernels.
"""
