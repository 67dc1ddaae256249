"""NTU RGB+D 60 / 120 raw ``.skeleton`` files -> MMAction2 skeleton pkl.

A ``.skeleton`` file is plain text written by the Kinect v2 SDK recorder:

* line 1: the number of frames;
* per frame: the number of bodies, then per body

  - one line of 10 values: bodyID, clipedEdges, handLeftConfidence,
    handLeftState, handRightConfidence, handRightState, isResticted, leanX,
    leanY, trackingState;
  - one line with the number of joints (25);
  - one line per joint of 12 values: x y z (camera space, metres), depthX
    depthY, colorX colorY, orientationW X Y Z, trackingState.

The sample name ``SsssCcccPpppRrrrAaaa`` (setup, camera, performer,
replication, action) carries the label and the official split keys.

Which bodies are kept
---------------------
The Kinect sometimes reports more bodies than there are actors (objects or
reflections detected as a person, or one actor re-detected under a new
bodyID). Each bodyID is followed across frames as one *track*; a track is
scored by ``coverage * spread``, where ``coverage`` is the fraction of the
clip's frames in which the body appears and ``spread`` is the sum over x, y
and z of the standard deviation of its joint coordinates (over its frames
and joints) - large for a whole human body that is seen for long and moves,
small for short-lived or compact spurious detections. The
``max_persons`` best tracks are kept, best first (ties: earliest first
appearance); frames where a kept body is absent hold zeros. A clip in
which no frame has a body is reported as missing and left out.
"""
import os
import os.path as osp
import re
from dataclasses import dataclass, field
from multiprocessing import Pool
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .common import ConversionError, dump_pickle, progress, read_name_list
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

NUM_JOINTS = 25
BODY_INFO_VALUES = 10
JOINT_VALUES = 12
SKELETON_SUFFIX = '.skeleton'

_NAME_RE = re.compile(r'^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})$')


@dataclass(frozen=True)
class NtuSampleName:
    """The fields of an NTU sample name such as ``S001C002P003R002A013``."""
    setup: int
    camera: int
    performer: int
    replication: int
    action: int

    @property
    def label(self) -> int:
        """0-based action label (A001 -> 0)."""
        return self.action - 1


def parse_sample_name(name: str) -> NtuSampleName:
    """Parse ``SsssCcccPpppRrrrAaaa`` (a ``.skeleton`` suffix is allowed)."""
    stem = name[:-len(SKELETON_SUFFIX)] if name.endswith(
        SKELETON_SUFFIX) else name
    match = _NAME_RE.match(stem)
    if match is None:
        raise ValueError(f'{name!r} is not an NTU RGB+D sample name '
                         '(expected SsssCcccPpppRrrrAaaa, e.g. '
                         'S001C001P001R001A001)')
    return NtuSampleName(*(int(g) for g in match.groups()))


@dataclass
class SkeletonSequence:
    """The parsed content of one ``.skeleton`` file.

    Attributes:
        num_frames: frame count of the file.
        bodies: per frame, a list of ``(bodyID, xyz)`` with ``xyz`` the
            (25, 3) float64 camera-space joint positions in metres.
    """
    num_frames: int
    bodies: List[List[Tuple[str, np.ndarray]]] = field(default_factory=list)

    @property
    def has_skeleton(self) -> bool:
        """Whether any frame holds a body."""
        return any(self.bodies)


class _Lines:
    """A cursor over the lines of a text file, for line-numbered errors."""

    def __init__(self, path: str) -> None:
        self.path = path
        with open(path, encoding='utf-8', errors='replace') as f:
            self.lines = f.read().splitlines()
        # Trailing blank lines are not part of the format.
        while self.lines and not self.lines[-1].strip():
            self.lines.pop()
        self.pos = 0  # index of the next line to read

    def error(self, message: str, line: Optional[int] = None
              ) -> ConversionError:
        return ConversionError(self.path, message,
                               self.pos if line is None else line)

    def next(self, what: str) -> str:
        if self.pos >= len(self.lines):
            self.pos += 1
            raise self.error(f'unexpected end of file: expected {what} '
                             '(file truncated?)')
        line = self.lines[self.pos]
        self.pos += 1
        return line

    def next_int(self, what: str) -> int:
        text = self.next(what).strip()
        try:
            value = int(text)
        except ValueError:
            raise self.error(f'expected {what} (an integer), got '
                             f'{text[:60]!r}') from None
        if value < 0:
            raise self.error(f'{what} is negative ({value})')
        return value

    def next_joints(self, count: int) -> np.ndarray:
        """Read ``count`` joint lines; returns their x, y, z (count, 3).

        Every line must hold the 12 values of a joint; only x, y, z are
        converted (the others are not used, and converting them would make
        parsing several times slower).
        """
        first = self.pos + 1
        if self.pos + count > len(self.lines):
            self.pos = len(self.lines) + 1
            raise self.error(f'unexpected end of file: expected {count} '
                             f'joint lines from line {first} (file '
                             'truncated?)')
        block = self.lines[self.pos:self.pos + count]
        self.pos += count
        xyz = []
        for i, line in enumerate(block):
            values = line.split()
            if len(values) != JOINT_VALUES:
                raise self.error(f'expected {JOINT_VALUES} values on a '
                                 f'joint line, got {len(values)}', first + i)
            try:
                xyz.append([float(v) for v in values[:3]])
            except ValueError:
                raise self.error('non-numeric joint coordinate in '
                                 f'{line.strip()[:60]!r}',
                                 first + i) from None
        return np.array(xyz, dtype=np.float64)


def read_skeleton_file(path: str) -> SkeletonSequence:
    """Parse one NTU RGB+D ``.skeleton`` file.

    Raises:
        ConversionError: the file is malformed; the message names the file
            and the line.
    """
    reader = _Lines(path)
    num_frames = reader.next_int('the frame count')
    seq = SkeletonSequence(num_frames)
    for t in range(num_frames):
        num_bodies = reader.next_int(f'the body count of frame {t + 1}')
        frame = []
        for b in range(num_bodies):
            info = reader.next(f'the body info line of body {b + 1}').split()
            if len(info) != BODY_INFO_VALUES:
                raise reader.error(
                    f'expected {BODY_INFO_VALUES} values on the body info '
                    f'line (bodyID ... trackingState), got {len(info)}')
            num_joints = reader.next_int('the joint count')
            if num_joints != NUM_JOINTS:
                raise reader.error(f'expected {NUM_JOINTS} joints, got '
                                   f'{num_joints}')
            frame.append((info[0], reader.next_joints(num_joints)))
        seq.bodies.append(frame)
    if reader.pos < len(reader.lines):
        raise ConversionError(
            path, f'unexpected content after the {num_frames} frames the '
            'file declares', reader.pos + 1)
    return seq


def select_bodies(seq: SkeletonSequence, max_persons: int = 2) -> np.ndarray:
    """Pick up to ``max_persons`` bodies of a clip (rule: module docstring).

    Returns:
        float32 array (M, T, 25, 3) of x, y, z in metres, M <= max_persons
        (M = 0 where no frame has a body).
    """
    if max_persons < 1:
        raise ValueError(f'max_persons must be >= 1, got {max_persons}')
    num_frames = seq.num_frames
    # (bodyID, k): the k-th body with that ID in a frame, so that a repeated
    # ID inside one frame (rare recorder glitch) never overwrites a body.
    frames: Dict[Tuple[str, int], List[int]] = {}
    coords: Dict[Tuple[str, int], List[np.ndarray]] = {}
    for t, bodies in enumerate(seq.bodies):
        seen: Dict[str, int] = {}
        for body_id, joints in bodies:
            k = seen.get(body_id, 0)
            seen[body_id] = k + 1
            key = (body_id, k)
            frames.setdefault(key, []).append(t)
            coords.setdefault(key, []).append(joints)
    scored = []
    for order, key in enumerate(frames):  # dicts keep first-seen order
        xyz = np.stack(coords[key])  # (n, 25, 3)
        spread = float(xyz.reshape(-1, 3).std(axis=0).sum())
        coverage = len(frames[key]) / max(num_frames, 1)
        scored.append((-coverage * spread, order, key))
    scored.sort()
    kept = [key for _, _, key in scored[:max_persons]]
    out = np.zeros((len(kept), num_frames, NUM_JOINTS, 3), dtype=np.float32)
    for m, key in enumerate(kept):
        out[m, frames[key]] = np.stack(coords[key])
    return out


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


def _convert_file(task: Tuple[str, int]
                  ) -> Tuple[str, Optional[np.ndarray], Optional[_Error]]:
    """Worker: (path, max_persons) -> (name, keypoint or None, error)."""
    path, max_persons = task
    name = osp.basename(path)[:-len(SKELETON_SUFFIX)]
    try:
        seq = read_skeleton_file(path)
    except ConversionError as e:
        # The parts, not the exception: it must cross process boundaries.
        return name, None, (e.path, e.reason, e.line)
    return name, select_bodies(seq, max_persons), None


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
        max_persons: bodies kept per clip.
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
        tasks.append((path, max_persons))

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
