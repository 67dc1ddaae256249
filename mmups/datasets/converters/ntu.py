"""NTU RGB+D 60 / 120 raw ``.skeleton`` files -> MMAction2 skeleton pkl.

The files are read, and the bodies of each clip picked, by
:mod:`mmups.datasets.formats.ntu_skeleton` (where the format and the rule
are described); this module adds the official splits and the conversion of
a folder of files.
"""
import os
import os.path as osp
from dataclasses import dataclass
from multiprocessing import Pool
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmups.datasets.formats.ntu_skeleton import (DEFAULT_BODY_RULES,
                                                 SKELETON_SUFFIX, BodyRules,
                                                 parse_sample_name,
                                                 read_skeleton_file,
                                                 select_bodies)
from mmups.datasets.formats import ConversionError
from .common import dump_pickle, progress, read_name_list
from .common import sidecar_path, write_lines

#: NTU RGB+D 60 cross-subject training performers.
XSUB_TRAIN_SUBJECTS_60 = frozenset(
    (1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35,
     38))
#: NTU RGB+D 120 cross-subject training performers (a superset of NTU60's).
XSUB_TRAIN_SUBJECTS_120 = XSUB_TRAIN_SUBJECTS_60 | frozenset(
    (45, 46, 47, 49, 50, 52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81,
     82, 83, 84, 85, 86, 89, 91, 92, 93, 94, 95, 97, 98, 100, 103))
#: NTU RGB+D 60 cross-view training cameras.
XVIEW_TRAIN_CAMERAS = frozenset((2, 3))


def ntu_splits(names: Sequence[str], num_classes: int) -> Dict[str, List[str]]:
    """The official splits of NTU RGB+D 60 (xsub, xview) / 120 (xsub, xset).

    Args:
        names: sample names (``SsssCcccPpppRrrrAaaa``).
        num_classes: 60 or 120.
    """
    if num_classes not in (60, 120):
        raise ValueError(f'num_classes must be 60 or 120, got {num_classes}')
    subjects = (XSUB_TRAIN_SUBJECTS_60
                if num_classes == 60 else XSUB_TRAIN_SUBJECTS_120)
    second = 'xview' if num_classes == 60 else 'xset'
    split: Dict[str, List[str]] = {
        f'{b}_{p}': []
        for b in ('xsub', second) for p in ('train', 'val')
    }
    for name in sorted(names):
        info = parse_sample_name(name)
        in_xsub = info.performer in subjects
        if second == 'xview':
            in_train2 = info.camera in XVIEW_TRAIN_CAMERAS
        else:  # cross-setup: even setup numbers are training
            in_train2 = info.setup % 2 == 0
        split['xsub_train' if in_xsub else 'xsub_val'].append(name)
        split[f'{second}_train' if in_train2 else f'{second}_val'].append(
            name)
    return split


@dataclass
class NtuConversionResult:
    """What :func:`convert_ntu` wrote and skipped."""
    out: str
    num_annotations: int
    split_sizes: Dict[str, int]
    missing: List[str]  # files with no body in any frame
    missing_file: str
    skipped_listed: List[str]  # names in the user's missing list
    bad: List[str]  # error messages of malformed files (skip_bad)


_Error = Tuple[str, str, Optional[int]]  # (path, reason, line)


def _convert_file(task: Tuple[str, int, BodyRules]
                  ) -> Tuple[str, Optional[np.ndarray], Optional[_Error]]:
    """Worker: (path, max_persons, rules) -> (name, keypoint or None,
    error)."""
    path, max_persons, rules = task
    name = osp.basename(path)[:-len(SKELETON_SUFFIX)]
    try:
        seq = read_skeleton_file(path)
    except ConversionError as e:
        # The parts, not the exception: it must cross process boundaries.
        return name, None, (e.path, e.reason, e.line)
    return name, select_bodies(seq, max_persons, rules), None


def list_skeleton_files(skeleton_dir: str) -> List[str]:
    """The ``.skeleton`` files of a folder (not recursive), sorted."""
    if not osp.isdir(skeleton_dir):
        raise FileNotFoundError(f'no such folder: {skeleton_dir}')
    return sorted(
        osp.join(skeleton_dir, f) for f in os.listdir(skeleton_dir)
        if f.endswith(SKELETON_SUFFIX))


def convert_ntu(skeleton_dir: str,
                out: str,
                num_classes: int = 60,
                max_persons: int = 2,
                rules: BodyRules = DEFAULT_BODY_RULES,
                missing_list: Optional[str] = None,
                skip_bad: bool = False,
                nproc: int = 1,
                show_progress: bool = True) -> NtuConversionResult:
    """Convert a folder of ``.skeleton`` files into one annotation pkl.

    Args:
        skeleton_dir: folder holding ``SsssCcccPpppRrrrAaaa.skeleton``.
        out: the pkl to write.
        num_classes: 60 keeps A001-A060 and writes xsub / xview splits; 120
            keeps every action and writes xsub / xset splits.
        max_persons: actors kept per clip.
        rules: thresholds of the rule that filters and merges the bodies.
        missing_list: text file of sample names to skip (e.g. the official
            list of samples with missing skeletons).
        skip_bad: log malformed files and go on instead of failing.
        nproc: worker processes for parsing.
        show_progress: show mmengine's progress bar.
    """
    if num_classes not in (60, 120):
        raise ValueError(f'num_classes must be 60 or 120, got {num_classes}')
    listed = set(read_name_list(missing_list, SKELETON_SUFFIX)
                 ) if missing_list else set()
    tasks, skipped_listed = [], []
    for path in list_skeleton_files(skeleton_dir):
        name = osp.basename(path)[:-len(SKELETON_SUFFIX)]
        try:
            info = parse_sample_name(name)
        except ValueError as e:
            if not skip_bad:
                raise ConversionError(path, str(e)) from None
            print(f'skipping {path}: {e}')
            continue
        if info.action > num_classes:
            continue
        if name in listed:
            skipped_listed.append(name)
            continue
        tasks.append((path, max_persons, rules))

    annotations: List[Dict] = []
    missing: List[str] = []
    bad: List[str] = []
    pool = Pool(nproc) if nproc > 1 and len(tasks) > 1 else None
    try:
        results = (pool.imap(_convert_file, tasks, chunksize=16)
                   if pool is not None else map(_convert_file, tasks))
        # Results are handled as they come, so that a malformed file stops
        # the conversion at once (not after parsing every other file).
        for name, keypoint, error in progress(results, len(tasks),
                                              show_progress):
            if error is not None:
                exc = ConversionError(*error)
                if not skip_bad:
                    raise exc
                print(f'skipping malformed file: {exc}')
                bad.append(str(exc))
            elif keypoint.shape[0] == 0:
                missing.append(name)
            else:
                annotations.append(
                    dict(
                        frame_dir=name,
                        label=parse_sample_name(name).label,
                        keypoint=keypoint,
                        total_frames=int(keypoint.shape[1])))
    finally:
        if pool is not None:
            pool.terminate()
    annotations.sort(key=lambda a: a['frame_dir'])
    split = ntu_splits([a['frame_dir'] for a in annotations], num_classes)
    dump_pickle(dict(split=split, annotations=annotations), out)
    missing_file = sidecar_path(out, '.missing.txt')
    write_lines(missing_file, sorted(missing))
    return NtuConversionResult(
        out=out,
        num_annotations=len(annotations),
        split_sizes={k: len(v)
                     for k, v in split.items()},
        missing=sorted(missing),
        missing_file=missing_file,
        skipped_listed=sorted(skipped_listed),
        bad=bad)
