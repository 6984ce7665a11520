"""Keep the C allocator from holding on to memory the app has freed (glibc only).

Why: a folder view of 100,000 messages is rebuilt from strings and arrays of about
1 MB each, many times while a first sync streams in. glibc raises its mmap
threshold each time such a block is freed, after which blocks of that size come
from the heap instead and fragment it: the process kept 3-5 MB it no longer used
(measured with the benchmark in ``bench/``). A fixed threshold returns every big
block to the system when it is freed, and two malloc arenas are plenty for an app
whose threads mostly take turns holding the GIL.
"""

from __future__ import annotations

import ctypes
import sys

#: glibc's ``mallopt`` parameters (malloc.h).
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 128 * 1024
ARENA_MAX = 2


def limit_allocator_retention() -> bool:
    """Fix glibc's mmap threshold and cap its arenas; False where that is not glibc.

    Call it before the app starts its threads (arenas are made per thread).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        # The process's own symbols include libc's; ctypes.util.find_library would
        # cost 16 ms of imports and a subprocess.
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False  # musl and others have no mallopt
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(M_ARENA_MAX, ARENA_MAX)
    )
