"""Helpers shared by the dataset converters (the readers of the formats they
read, and their ``ConversionError``, are in :mod:`mmups.datasets.formats`)."""
import argparse
import os.path as osp
import pickle
import sys
from typing import (Any, Callable, Dict, Hashable, Iterable, Iterator, List,
                    Optional)
from typing import Sequence, Tuple, TypeVar

import numpy as np

from mmups.datasets.formats.files import ConversionError
from mmups.utils.fileio import atomic_open

T = TypeVar('T')


def progress(items: Iterable[T], total: int,
             enabled: bool = True) -> Iterator[T]:
    """Iterate over ``items`` (``total`` of them) with mmengine's progress
    bar, or silently where ``enabled`` is false."""
    if not enabled or total == 0:
        yield from items
        return
    from mmengine.utils import track_iter_progress
    yield from track_iter_progress((items, total))


def dump_pickle(obj: Any, path: str) -> None:
    """Write ``obj`` to ``path`` with pickle, creating parent folders;
    atomically (``atomic_open``): a crash keeps the previous file."""
    with atomic_open(path, 'wb') as f:
        # Protocol 4 reads on every Python 3 that mmengine supports.
        pickle.dump(obj, f, protocol=4)


def save_npz(path: str, **arrays: np.ndarray) -> None:
    """``np.savez`` to exactly ``path``, atomically."""
    with atomic_open(path, 'wb') as f:
        np.savez(f, **arrays)


def save_npy(path: str, array: np.ndarray) -> None:
    """``np.save`` to exactly ``path``, atomically."""
    with atomic_open(path, 'wb') as f:
        np.save(f, array)


def write_lines(path: str, lines: Iterable[str]) -> None:
    """Write one string a line (text files such as label maps),
    atomically."""
    with atomic_open(path, 'w') as f:
        for line in lines:
            f.write(f'{line}\n')


def read_name_list(path: str, strip_suffix: str = '') -> List[str]:
    """Read a list of names, one a line; blank lines and ``#`` comments are
    skipped and ``strip_suffix`` is removed where a name ends with it."""
    names = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            name = line.split('#', 1)[0].strip()
            if not name:
                continue
            if strip_suffix and name.endswith(strip_suffix):
                name = name[:-len(strip_suffix)]
            names.append(name)
    return names


def stratified_split(names: Sequence[str], labels: Sequence[Hashable],
                     val_fraction: float,
                     seed: int = 0) -> Tuple[List[str], List[str]]:
    """Split ``names`` into a training and a validation part, per class.

    Each class with ``n`` >= 2 samples gives ``round(val_fraction * n)`` of
    them, clipped to [1, n - 1], to the validation part, so that every such
    class is in both parts; a class with one sample stays in training. The
    choice depends only on ``seed`` and the set of (name, label) pairs, not
    on their order.

    Returns:
        (train names, validation names), each sorted.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f'val_fraction must be in (0, 1), got {val_fraction}')
    if len(names) != len(labels):
        raise ValueError('names and labels differ in length')
    by_class: Dict[Hashable, List[str]] = {}
    for name, label in zip(names, labels):
        by_class.setdefault(label, []).append(name)
    rng = np.random.default_rng(seed)
    train: List[str] = []
    val: List[str] = []
    # Sorted classes and names: the same seed gives the same split whatever
    # order the files were listed in.
    for label in sorted(by_class, key=str):
        members = sorted(by_class[label])
        n = len(members)
        n_val = 0 if n < 2 else min(n - 1, max(1, round(val_fraction * n)))
        order = rng.permutation(n)
        val.extend(members[i] for i in order[:n_val])
        train.extend(members[i] for i in order[n_val:])
    return sorted(train), sorted(val)


def sidecar_path(out: str, suffix: str) -> str:
    """A file beside ``out``: ``a/ntu60_3d.pkl`` -> ``a/ntu60_3d<suffix>``."""
    return osp.splitext(out)[0] + suffix


def add_progress_option(parser: argparse.ArgumentParser) -> None:
    """The ``--no-progress`` option every converter script has."""
    parser.add_argument('--no-progress', action='store_true',
                        help='do not show a progress bar')


def run_conversion(convert: Callable[..., T], *args: Any,
                   errors: Tuple[type, ...] = (ConversionError,
                                               FileNotFoundError),
                   **kwargs: Any) -> Optional[T]:
    """Run a converter for a command-line tool.

    Returns its result, or None after printing ``error: <message>`` (which
    names the bad file) to stderr when the input is malformed or missing,
    so that the script exits with status 1 instead of a traceback.
    """
    try:
        return convert(*args, **kwargs)
    except errors as e:
        print(f'error: {e}', file=sys.stderr)
        return None


def print_split_summary(result: Any) -> None:
    """Print what a skeleton-pkl converter wrote: annotations and splits."""
    print(f'wrote {result.num_annotations} annotations to {result.out}')
    for name, size in result.split_sizes.items():
        print(f'  {name}: {size}')
