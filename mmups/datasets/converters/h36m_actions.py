"""Human3.6M motion capture (VideoPose3D ``.npz``) -> 3D action clips.

Every sequence of ``positions_3d`` (``{subject: {'<Action> <take>': float
(T, 17 or 32, 3)}}``, world frame with Z up, metres, 50 Hz) is downsampled
to ``fps`` and cut into clips of ``clip_seconds``, one every
``stride_seconds``; each clip is one MMAction2 skeleton annotation::

    dict(split=dict(train=[...], val=[...], test=[...]),
         annotations=[dict(frame_dir='S1_Walking_1_000250', label=int,
                           keypoint=float32 (1, T, 17, 3),  # M = 1 person
                           total_frames=T), ...])

``frame_dir`` is ``<subject>_<action key, spaces as _>_<first frame>``, the
first frame counted from 0 in the 50 Hz numbering of the source. The joints
stay in the world frame as given (not root-relative, not rotated): the
body's path and posture over the clip is the signal, and a pipeline's
``PreNormalize3D`` chooses the normalisation. A tail shorter than a clip is
dropped; a whole sequence shorter than one clip becomes one shorter clip.

Labels index :data:`~.h36m.H36M_ACTIONS` (the 15 action names in sorted
order; the take number is dropped). Splits are by subject (default: train
S1 S5 S6 S7, val S8, test S9 S11); subjects missing from the file are
skipped, so a split may be empty.
"""
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmups.datasets.formats import ConversionError
from .common import dump_pickle, progress, sidecar_path, write_lines
from .h36m import (H36M_ACTIONS, _action_class, _to_17_joints,
                   load_positions)

#: Frame rate of the Human3.6M motion capture.
SOURCE_FPS = 50
#: (split name, subjects): the usual training subjects with S8 held out for
#: validation, and the usual test subjects.
DEFAULT_SPLITS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ('train', ('S1', 'S5', 'S6', 'S7')), ('val', ('S8', )),
    ('test', ('S9', 'S11')))


def frame_step(fps: float, source_fps: int = SOURCE_FPS) -> int:
    """Source frames per kept frame: 50 Hz -> 25 Hz is 2.

    Raises:
        ValueError: ``fps`` does not divide ``source_fps``.
    """
    step = source_fps / fps if fps > 0 else 0
    if step < 1 or step != int(step):
        raise ValueError(f'fps must divide the source rate {source_fps} Hz '
                         f'(e.g. 50, 25, 10, 5), got {fps}')
    return int(step)


def clip_starts(num_frames: int, clip_len: int, stride: int) -> List[int]:
    """First frames of the clips of a sequence of ``num_frames`` frames.

    Clips of ``clip_len`` frames start every ``stride`` frames while they
    fit; a sequence shorter than one clip gives one clip from frame 0.
    """
    if clip_len < 1 or stride < 1:
        raise ValueError(f'clip length and stride must be >= 1 frame, got '
                         f'{clip_len} and {stride}')
    if num_frames <= clip_len:
        return [0] if num_frames > 0 else []
    return list(range(0, num_frames - clip_len + 1, stride))


@dataclass
class H36mActionClipsResult:
    """What :func:`convert_h36m_action_clips` wrote."""
    out: str
    num_annotations: int
    split_sizes: Dict[str, int]
    label_map: str
    fps: float
    clip_frames: int
    stride_frames: int
    skipped_subjects: List[str] = field(default_factory=list)


def _check_splits(splits: Sequence[Tuple[str, Sequence[str]]]) -> None:
    names = [name for name, _ in splits]
    if not names or len(set(names)) != len(names):
        raise ValueError(f'split names must be given and differ: {names}')
    seen: Dict[str, str] = {}
    for name, subjects in splits:
        for subject in subjects:
            if subject in seen:
                raise ValueError(f'subject {subject} is in splits '
                                 f'{seen[subject]!r} and {name!r}')
            seen[subject] = name


def convert_h36m_action_clips(
        positions_3d_file: str,
        out: str,
        splits: Sequence[Tuple[str, Sequence[str]]] = DEFAULT_SPLITS,
        fps: float = 25,
        clip_seconds: float = 4.0,
        stride_seconds: float = 2.0,
        actions: Optional[Sequence[str]] = None,
        label_map: Optional[str] = None,
        show_progress: bool = True) -> H36mActionClipsResult:
    """Cut the sequences of a positions file into labelled 3D clips.

    Args:
        positions_3d_file: VideoPose3D-style ``data_3d_h36m.npz`` (world
            metres, 50 Hz).
        out: the annotation pkl to write (layout: module docstring).
        splits: (split name, subjects) pairs; a subject in two splits is an
            error.
        fps: frame rate of the clips; it must divide 50 (50, 25, 10, ...).
        clip_seconds: clip length; ``round(clip_seconds * fps)`` frames.
        stride_seconds: time between the starts of consecutive clips.
        actions: only these action keys, e.g. ``['Walking 1']`` (None: all).
        label_map: where the 15 class names go (default: beside ``out``,
            ``<out stem>_label_map.txt``).
        show_progress: show mmengine's progress bar.

    Raises:
        ConversionError: the positions file is unreadable, has an unknown
            action or a sequence that is not (T, 17 or 32, 3) finite values
            (the message names the file and the sequence).
        ValueError: invalid options, or nothing matches them.
    """
    _check_splits(splits)
    step = frame_step(fps)
    clip_len = int(round(clip_seconds * fps))
    stride = int(round(stride_seconds * fps))
    if clip_len < 1 or stride < 1:
        raise ValueError(f'clip_seconds and stride_seconds must give at '
                         f'least one frame at {fps} Hz, got {clip_seconds} '
                         f'and {stride_seconds}')
    positions = load_positions(positions_3d_file, 'positions_3d')

    jobs, skipped = [], []  # (split, subject, action)
    for split, subjects in splits:
        for subject in subjects:
            if subject not in positions:
                skipped.append(subject)
                continue
            jobs.extend((split, subject, action)
                        for action in sorted(positions[subject])
                        if actions is None or action in actions)
    if not jobs:
        raise ValueError(f'nothing to convert: no sequence of '
                         f'{positions_3d_file} matches the splits / actions '
                         'given')

    annotations: List[Dict[str, Any]] = []
    split: Dict[str, List[str]] = {name: [] for name, _ in splits}
    for name, subject, action in progress(jobs, len(jobs), show_progress):
        where = f'{subject} / {action}'
        label = H36M_ACTIONS.index(_action_class(action, positions_3d_file))
        world = _to_17_joints(np.asarray(positions[subject][action]),
                              positions_3d_file, where)[::step]
        if not np.isfinite(world).all():
            raise ConversionError(positions_3d_file,
                                  f'{where}: NaN/inf joint positions')
        prefix = f'{subject}_{action.strip().replace(" ", "_")}'
        for start in clip_starts(len(world), clip_len, stride):
            clip = world[start:start + clip_len]
            frame_dir = f'{prefix}_{start * step:06d}'
            annotations.append(
                dict(frame_dir=frame_dir,
                     label=label,
                     keypoint=clip[None].astype(np.float32),
                     total_frames=int(len(clip))))
            split[name].append(frame_dir)

    dump_pickle(dict(split=split, annotations=annotations), out)
    label_map = label_map or sidecar_path(out, '_label_map.txt')
    write_lines(label_map, H36M_ACTIONS)
    return H36mActionClipsResult(
        out=out,
        num_annotations=len(annotations),
        split_sizes={k: len(v)
                     for k, v in split.items()},
        label_map=label_map,
        fps=SOURCE_FPS / step,
        clip_frames=clip_len,
        stride_frames=stride,
        skipped_subjects=sorted(set(skipped)))
