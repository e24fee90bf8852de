"""Handing freed memory back to the system (bottom floor: imports nothing of the workbench).

A process that read and dropped a large dataset keeps most of its peak: pyarrow's pool and glibc's
allocator hold freed memory for reuse. The report runner calls :func:`release_memory` after the
summary, a warm kernel before its next notebook, and every read of a whole dataset calls
:func:`release_arrow_memory`.
"""

from __future__ import annotations

import ctypes
import gc

__all__ = ["release_arrow_memory", "release_memory"]


def release_arrow_memory() -> None:
    """Hand the memory pyarrow's pool keeps after reading Parquet back to the system.

    pyarrow's allocator (mimalloc or jemalloc) keeps freed buffers for reuse: after reading a
    city of two million incidents about 280 MB stay with the process for nothing.
    """
    try:
        import pyarrow

        pyarrow.default_memory_pool().release_unused()
    except (ImportError, AttributeError):  # pragma: no cover - pyarrow without release_unused
        pass


def release_memory() -> None:
    """Collect garbage, release pyarrow's pool and hand freed heap pages back (glibc ``malloc_trim``)."""
    gc.collect()
    release_arrow_memory()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass
