"""Compilation settings shared by every Numba kernel.

Kept in one place so that no kernel hard-codes its own flags.
"""

import os

#: Cache compiled kernels on disk. On by default; set ``SEGMINT_NUMBA_CACHE=0``
#: to turn it off (Numba's cache has misbehaved under some multiprocessing
#: setups, e.g. forked Dask workers sharing one cache directory).
NUMBA_CACHE = os.environ.get("SEGMINT_NUMBA_CACHE", "1").lower() not in {
    "0",
    "false",
    "no",
    "off",
}

#: Flags for every jitted kernel. fastmath stays off: it allows the compiler
#: to assume no NaN/inf and to reassociate sums, which changes results.
JIT_KW = {"nogil": True, "cache": NUMBA_CACHE, "fastmath": False}

#: Same, for kernels that run their outer loop with ``prange``.
PARALLEL_JIT_KW = {**JIT_KW, "parallel": True}

#: Rows per work unit of every parallel kernel. Per-chunk partial results are
#: combined serially in chunk order, so results do not depend on the number of
#: threads. 256 rows x a few dozen features stay in L1/L2 while the centres are
#: swept, and there are enough chunks (n / 256) to balance two or more cores.
CHUNK_SIZE = 256
