"""Writing files and data folders so that a crash or a concurrent writer
never leaves half a file behind."""
import contextlib
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import IO, Any, Callable, Dict, Iterator, Sequence


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


@contextlib.contextmanager
def file_lock(path: str) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created where missing)
    for the block; other processes that ask for it wait.

    A POSIX advisory lock (``fcntl.flock``), released by the system when
    its holder dies, so a killed process never leaves it taken. Where
    ``fcntl`` does not exist the block runs unlocked (writes stay atomic).
    """
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'a') as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _jsonable(options: Dict[str, Any]) -> Any:
    # What the record holds once written and read back (tuples -> lists).
    return json.loads(json.dumps(options))


def folder_is_prepared(folder: str, files: Sequence[str],
                       options: Dict[str, Any],
                       record: str = 'prepared_with.json') -> bool:
    """Whether ``folder`` holds ``files`` (relative paths) and a ``record``
    of the same ``options``."""
    path = osp.join(folder, record)
    if not all(osp.exists(osp.join(folder, f)) for f in list(files) + [
            record]):
        return False
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f) == _jsonable(options)
    except (OSError, ValueError):  # an unreadable record: prepare again
        return False


def prepare_folder(folder: str, files: Sequence[str],
                   options: Dict[str, Any], make: Callable[[str], None],
                   record: str = 'prepared_with.json') -> bool:
    """Make ``folder`` with ``make(tmp_folder)`` unless it was made with the
    same ``options``; returns whether it was made.

    * Crash-safe: ``make`` writes into a temporary folder beside
      ``folder``, which replaces it only once ``files`` (relative paths)
      are all there and the ``options`` are recorded in ``record``; a crash
      or a kill leaves the previous folder as it was.
    * Stale data is remade: a folder whose record holds other options (or
      none) is replaced.
    * One process prepares, the others wait: the ranks of a distributed
      launch (or two runs) take a lock beside ``folder`` in turn; the first
      makes the folder, the next ones find it prepared. Temporary folders
      that a killed process left are removed under the lock.
    """
    folder = osp.abspath(folder)
    parent, name = osp.split(folder)
    files = list(files)
    if folder_is_prepared(folder, files, options, record):
        return False
    os.makedirs(parent, exist_ok=True)
    with file_lock(osp.join(parent, f'.{name}.lock')):
        if folder_is_prepared(folder, files, options, record):
            return False  # another process made it while this one waited

        def make_and_record(tmp: str) -> None:
            make(tmp)
            missing = [f for f in files if not osp.exists(osp.join(tmp, f))]
            if missing:
                raise RuntimeError(f'preparing {folder}: {missing} missing '
                                   'after it was made')
            with open(osp.join(tmp, record), 'w', encoding='utf-8') as f:
                json.dump(options, f, indent=1)

        replace_folder(folder, make_and_record)
    return True


def replace_folder(folder: str, make: Callable[[str], None]) -> None:
    """Make ``folder`` anew with ``make(tmp_folder)``: ``make`` writes into
    a temporary folder beside ``folder``, which replaces it once ``make``
    has returned; an error or a kill leaves the previous folder as it was.
    Temporary folders that a killed call left are removed first (calls
    that may run at once take a lock, as :func:`prepare_folder` does).
    """
    folder = osp.abspath(folder)
    parent, name = osp.split(folder)
    os.makedirs(parent, exist_ok=True)
    for left in os.listdir(parent):
        if left.startswith(f'.{name}.tmp'):
            shutil.rmtree(osp.join(parent, left), ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix=f'.{name}.tmp', dir=parent)
    try:
        make(tmp)
        if osp.exists(folder):
            shutil.rmtree(folder)
        os.rename(tmp, folder)
    finally:
        if osp.exists(tmp):
            shutil.rmtree(tmp)
