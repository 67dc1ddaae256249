"""Writing files so that a crash or a concurrent writer never leaves half
a file behind."""
import contextlib
import os
import os.path as osp
from typing import IO, Iterator


@contextlib.contextmanager
def atomic_open(path: str, mode: str = 'w') -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing; it replaces
    ``path`` when the block ends without error and is removed otherwise.

    The folder of ``path`` is created where missing. Each process writes
    its own temporary file, so concurrent writers (ranks of a distributed
    launch) leave one whole file.
    """
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.{os.getpid()}.tmp'
    try:
        with open(tmp, mode) as f:
            yield f
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
