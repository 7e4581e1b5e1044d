"""One lock for hetero's one-time work: importing the SYCL stack and numba, enumerating devices,
compiling kernels.

Several threads making their first launches at once used to take separate locks in different
orders around imports of dpctl and numba, and could deadlock or see half-imported modules. All
such work now runs under this single re-entrant lock; everything after it (launching a compiled
kernel, moving data) runs without it.
"""

import threading

INIT_LOCK = threading.RLock()
