"""``numba_dpex.config``: the one setting numba-dpex's test helpers read.

``TESTING_SKIP_NO_DEBUGGING`` (``NUMBA_DPEX_TESTING_SKIP_NO_DEBUGGING``, default 1) tells
numba-dpex's tests to skip those that need Intel's GDB. numba-dpex's other settings
(``NUMBA_DPEX_DEBUG``, ``NUMBA_DPEX_SAVE_IR_FILES`` ...) have hetero equivalents under
``HETERO_*`` names and are not read here.
"""

import os

TESTING_SKIP_NO_DEBUGGING = int(os.environ.get("NUMBA_DPEX_TESTING_SKIP_NO_DEBUGGING", "1"))

__all__ = ["TESTING_SKIP_NO_DEBUGGING"]
