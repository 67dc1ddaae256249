"""Process-level memory settings for long CPU runs."""
import ctypes
import ctypes.util
import sys
from typing import Callable, Optional

#: glibc's ``mallopt`` parameter for the mmap threshold (malloc.h).
_M_MMAP_THRESHOLD = -3

#: Blocks at least this large are mapped and unmapped on their own.
MMAP_THRESHOLD = 64 * 1024


def _glibc_function(name: str) -> Optional[Callable[..., int]]:
    """A function of glibc's malloc, or None where the C library is not
    glibc."""
    if not sys.platform.startswith('linux'):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        return getattr(libc, name)
    except (OSError, AttributeError):
        return None


def limit_heap_fragmentation(threshold: int = MMAP_THRESHOLD) -> bool:
    """Have glibc serve allocations of ``threshold`` bytes or more with their
    own memory maps, returned to the system when freed.

    Why: autoregressive decoding on a CPU allocates and frees large
    temporaries (logits, key/value caches) at every step, between the small
    long-lived results that the evaluator keeps. glibc's default threshold
    adapts upwards, after which such temporaries come from the heap, which
    cannot shrink past the small blocks on top of it: evaluating the
    realbench validation set (61.5k samples) grew the resident memory of
    ``tools/test.py`` by about 20 MB per batch, to over 12 GB, while the
    live objects stayed under 2 GB. With this setting it stays flat.

    Same effect as ``MALLOC_MMAP_THRESHOLD_=65536`` in the environment, but
    set from inside the process. Does nothing where the C library is not
    glibc.

    Returns:
        bool: whether the setting was applied.
    """
    mallopt = _glibc_function('mallopt')
    return mallopt is not None and bool(
        mallopt(_M_MMAP_THRESHOLD, int(threshold)))


def release_free_memory() -> bool:
    """Return the free pages of glibc's heap to the system (``malloc_trim``).

    Why: loading an annotation file creates many small Python objects (a
    dict and arrays per clip or window), which mmengine's datasets then
    serialise into one buffer and free. The freed blocks lie between live
    ones, so the heap cannot shrink and the process keeps them as resident
    memory: measured with ``tools/analysis/dataset_memory.py``, 2-3 times the
    serialised data of a Kinetics or Human3.6M dataset. Trimming after a
    dataset is built gives them back.

    Returns:
        bool: whether glibc released memory (False elsewhere).
    """
    trim = _glibc_function('malloc_trim')
    return trim is not None and bool(trim(0))
