"""hetero's kernel compiler, SYCL back end.

The data path, one module per step:

``models.py`` / ``typing.py`` / ``lowering.py`` / ``mathlib.py``
    what the kernel language means on the SYCL target: array layout with
    address spaces (arguments in global memory, ``local_array`` /
    ``LocalAccessor`` in local memory, ``private_array`` in private memory), the
    typing and the OpenCL-builtin lowering of the in-kernel functions of
    ``hetero.kernel_api`` (ids, groups, barriers as ``__spirv_ControlBarrier``,
    atomics as ``atomicrmw`` / ``cmpxchg`` loops), ``math.*`` and NumPy scalar
    functions as OpenCL.std calls;
``target.py``
    the numba target that ties them together (typing context, target context,
    calling convention, dispatcher for ``@overload`` implementations);
``compile.py``
    Python function → numba typed IR → LLVM IR with a ``spir_kernel`` entry
    (and which array arguments the kernel writes);
``spirv.py``
    LLVM IR → linked, internalised, ``convergent``, O3, checked for what would
    abort LLVM → SPIR-V;
``cache.py``
    SPIR-V on disk (``HETERO_CACHE_DIR``), atomic writes, verified reads;
``launch.py``
    argument classification and packing, ordering with dpnp work through
    dpctl's ``SequentialOrderManager``, events, ``synchronize``, bounds-check flags;
``kernel.py``
    the ``Kernel`` object users hold: specialisations in memory, programs per
    SYCL context, launches, device capability checks (64-bit atomics, local
    memory size), ``inspect_*``.

Importing ``kernel.py``, ``launch.py`` or ``cache.py`` needs neither numba nor a
SYCL runtime: a launch whose SPIR-V is cached on disk never imports numba.
"""
