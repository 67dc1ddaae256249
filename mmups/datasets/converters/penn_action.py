"""Penn Action ``labels/*.mat`` -> MMAction2 2D skeleton pkl.

Each clip of Penn Action has a MATLAB file ``labels/NNNN.mat`` with
``action`` (class name), ``x`` / ``y`` (T, 13) joint positions in pixels,
``visibility`` (T, 13), ``bbox`` (T, 4), ``dimensions`` (H, W, T),
``nframes``, ``train`` (1 = official training clip, -1 = test) and
``pose`` (camera view). The 13 joints are head, left / right shoulder,
elbow, wrist, hip, knee, ankle.

Labels are indices into :data:`PENN_ACTIONS` (alphabetical). The official
``train`` / ``test`` splits come from the ``train`` field; ``train_sub`` /
``val_sub`` split the official training clips per class (stratified, fixed
seed) for model selection without touching the test clips.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import numpy as np

from mmups.datasets.formats import ConversionError
from mmups.datasets.formats.matlab import load_mat
from .common import dump_pickle, progress, stratified_split, write_lines

#: The 15 classes in label order (alphabetical, as written in ``action``).
PENN_ACTIONS = ('baseball_pitch', 'baseball_swing', 'bench_press', 'bowl',
                'clean_and_jerk', 'golf_swing', 'jump_rope', 'jumping_jacks',
                'pullup', 'pushup', 'situp', 'squat', 'strum_guitar',
                'tennis_forehand', 'tennis_serve')
NUM_JOINTS = 13
_FIELDS = ('action', 'x', 'y', 'visibility', 'dimensions', 'train')


def _scalar(value: np.ndarray) -> Any:
    return np.asarray(value).ravel()[0]


def read_penn_mat(path: str) -> Dict[str, Any]:
    """Read one clip's ``.mat`` file into an annotation dict.

    Returns:
        dict with ``frame_dir`` (file stem), ``label``, ``keypoint`` float32
        (1, T, 13, 2) pixels, ``keypoint_score`` float32 (1, T, 13) (the
        visibility flags), ``img_shape`` = ``original_shape`` (H, W),
        ``total_frames`` and ``train`` (bool, the official split).

    Raises:
        ConversionError: unreadable or inconsistent file (names the file).
    """
    mat = load_mat(path)
    missing = [k for k in _FIELDS if k not in mat]
    if missing:
        raise ConversionError(path, f'missing fields {missing}')
    complex_fields = [k for k in _FIELDS if np.iscomplexobj(mat[k])]
    if complex_fields:  # numpy would drop their imaginary parts
        raise ConversionError(path, f'complex values in {complex_fields}')
    try:
        action = str(_scalar(mat['action'])).strip()
        x = np.asarray(mat['x'], dtype=np.float32)
        y = np.asarray(mat['y'], dtype=np.float32)
        vis = np.asarray(mat['visibility'], dtype=np.float32)
        dims = np.asarray(mat['dimensions']).ravel()
        train = int(_scalar(mat['train']))
    except (IndexError, TypeError, ValueError, OverflowError) as e:
        raise ConversionError(path, f'unexpected field content ({e})') from e
    if action not in PENN_ACTIONS:
        raise ConversionError(path, f'unknown action {action!r}')
    if x.ndim != 2 or x.shape[1] != NUM_JOINTS or y.shape != x.shape \
            or vis.shape != x.shape:
        raise ConversionError(
            path, f'x, y and visibility must be (T, {NUM_JOINTS}), got '
            f'{x.shape}, {y.shape}, {vis.shape}')
    if x.shape[0] == 0:
        raise ConversionError(path, 'no frames: x, y and visibility are '
                              f'{x.shape}')
    try:
        shape = tuple(int(v) for v in dims[:2])
    except (TypeError, ValueError, OverflowError):  # text, NaN, inf
        shape = ()
    if len(shape) < 2 or min(shape) <= 0:
        raise ConversionError(path, f'dimensions must be (H, W, T) > 0, got '
                              f'{dims.tolist()}')
    if train not in (1, -1):
        raise ConversionError(path, f'train must be 1 or -1, got {train}')
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ConversionError(path, 'NaN/inf joint coordinates')
    if not np.isfinite(vis).all():
        raise ConversionError(path, 'NaN/inf visibility')
    return dict(
        frame_dir=osp.splitext(osp.basename(path))[0],
        label=PENN_ACTIONS.index(action),
        keypoint=np.stack([x, y], axis=-1)[None],
        keypoint_score=vis[None],
        img_shape=shape,
        original_shape=shape,
        total_frames=int(x.shape[0]),
        train=train == 1)


@dataclass
class PennConversionResult:
    """What :func:`convert_penn_action` wrote."""
    out: str
    num_annotations: int
    split_sizes: Dict[str, int]
    label_map: Optional[str]


def list_mat_files(labels_dir: str) -> List[str]:
    """The ``.mat`` files of a folder, sorted by name."""
    if not osp.isdir(labels_dir):
        raise FileNotFoundError(f'no such folder: {labels_dir}')
    return sorted(
        osp.join(labels_dir, f) for f in os.listdir(labels_dir)
        if f.endswith('.mat'))


def convert_penn_action(labels_dir: str,
                        out: str,
                        val_fraction: float = 0.2,
                        seed: int = 0,
                        label_map: Optional[str] = None,
                        limit: Optional[int] = None,
                        show_progress: bool = True) -> PennConversionResult:
    """Convert a ``labels/`` folder into one annotation pkl.

    Splits: ``train`` / ``test`` (official) and ``train_sub`` / ``val_sub``
    (the official training clips split per class, ``val_fraction`` of each
    class to ``val_sub``, chosen with ``seed``). ``val_fraction`` 0 leaves
    the last two out.

    Args:
        labels_dir: folder of ``NNNN.mat`` files.
        out: the pkl to write.
        val_fraction: share of each class's training clips in ``val_sub``.
        seed: seed of the stratified split.
        label_map: where to write the 15 class names (None: nowhere).
        limit: convert only the first ``limit`` files (quick tests).
        show_progress: show mmengine's progress bar.
    """
    files = list_mat_files(labels_dir)
    if limit is not None:
        files = files[:limit]
    annotations = []
    for path in progress(files, len(files), show_progress):
        annotations.append(read_penn_mat(path))
    split: Dict[str, List[str]] = dict(
        train=[a['frame_dir'] for a in annotations if a['train']],
        test=[a['frame_dir'] for a in annotations if not a['train']])
    if val_fraction > 0:
        train = [a for a in annotations if a['train']]
        split['train_sub'], split['val_sub'] = stratified_split(
            [a['frame_dir'] for a in train], [a['label'] for a in train],
            val_fraction, seed)
    for anno in annotations:
        del anno['train']  # in the splits now; not an MMAction2 key
    dump_pickle(dict(split=split, annotations=annotations), out)
    if label_map is not None:
        write_lines(label_map, PENN_ACTIONS)
    return PennConversionResult(
        out=out,
        num_annotations=len(annotations),
        split_sizes={k: len(v)
                     for k, v in split.items()},
        label_map=label_map)
