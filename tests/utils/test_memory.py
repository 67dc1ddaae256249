"""Tests of :mod:`mmups.utils.memory`."""
import ctypes
import ctypes.util
import os.path as osp
import subprocess
import sys

import pytest

from mmups.utils import limit_heap_fragmentation

MEMORY_PY = osp.join(osp.dirname(__file__), '..', '..', 'mmups', 'utils',
                     'memory.py')

# Large temporaries, each followed by a small block that stays alive (as
# the evaluator's results between decoding steps); prints how much the
# resident memory grew, in bytes. Argument 2: 1 to call
# limit_heap_fragmentation first.
# Shared by the scenarios: memory.py loaded from its path (argument 1),
# glibc's malloc and free, and the resident memory in bytes.
PRELUDE = r'''
import ctypes, ctypes.util, importlib.util, sys
spec = importlib.util.spec_from_file_location('memory', sys.argv[1])
memory = importlib.util.module_from_spec(spec)
spec.loader.exec_module(memory)
libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
def resident():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * 4096
'''

SCENARIO = PRELUDE + r'''
if sys.argv[2] == '1':
    assert memory.limit_heap_fragmentation()
# Freeing a mapped block raises glibc's dynamic threshold to its size.
block = libc.malloc(24 << 20)
libc.free(block)
before, kept, temporaries = resident(), [], []
for mb in range(1, 9):
    block = libc.malloc(mb << 20)
    ctypes.memset(block, 1, mb << 20)
    temporaries.append(block)
    kept.append(libc.malloc(32 << 10))
for block in temporaries:
    libc.free(block)
print(resident() - before)
'''


def _is_glibc() -> bool:
    try:
        ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6').mallopt
    except (OSError, AttributeError):
        return False
    return sys.platform.startswith('linux')


needs_glibc = pytest.mark.skipif(not _is_glibc(),
                                 reason='the C library is not glibc')


@needs_glibc
def test_applies_on_glibc_and_is_repeatable():
    assert limit_heap_fragmentation() is True
    assert limit_heap_fragmentation() is True


@needs_glibc
def test_freed_temporaries_leave_the_process():
    """Without the setting the heap keeps the freed temporaries (36 MB
    here); with it they are unmapped when freed."""

    def grown(apply: bool) -> int:
        out = subprocess.run(
            [sys.executable, '-c', SCENARIO, MEMORY_PY, str(int(apply))],
            check=True, capture_output=True, text=True).stdout
        return int(out.split()[-1])

    assert grown(False) > 16 << 20  # the scenario does fragment the heap
    assert grown(True) < 4 << 20


# Many small blocks (below any mmap threshold) with one kept after each 64,
# then the others freed: prints the resident memory grown before and after
# release_free_memory, in bytes.
SMALL_BLOCKS = PRELUDE + r'''
before, kept, freed = resident(), [], []
for k in range(64 * 1024):
    block = libc.malloc(4000)
    ctypes.memset(block, 1, 4000)
    (kept if k % 64 == 0 else freed).append(block)
for block in freed:
    libc.free(block)
grown = resident() - before
memory.release_free_memory()
print(grown, resident() - before)
'''


@needs_glibc
def test_release_free_memory_returns_the_holes_of_the_heap():
    """256 MB of small blocks, 1 in 64 kept: freeing the rest leaves the
    heap resident (it cannot shrink past the kept blocks) until trimmed."""
    out = subprocess.run([sys.executable, '-c', SMALL_BLOCKS, MEMORY_PY],
                         check=True, capture_output=True, text=True).stdout
    grown, after = (int(v) for v in out.split()[-2:])
    assert grown > 200 << 20  # the freed blocks stayed resident
    assert after < 32 << 20  # trimmed: the kept 4 MB and the heap's pages
