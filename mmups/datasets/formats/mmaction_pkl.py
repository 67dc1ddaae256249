"""MMAction2 skeleton annotations (``PoseDataset`` pkl files): the checks of
one annotation and its joints' shape, shared by the file checker
(:mod:`mmups.datasets.converters.skeleton_pkl`) and inference inputs.

MMAction2's ``PoseDataset`` reads a pickled
``dict(split=..., annotations=...)`` (``split`` maps a split name to the
``frame_dir`` names in it) or a plain list of annotations. Each annotation
is a dict with ``frame_dir`` (or ``filename``), ``label``, ``keypoint``
(M, T, V, C), ``total_frames`` and, for 2D data, usually ``keypoint_score``
(M, T, V) and ``img_shape`` (H, W).
A single annotation dict (as in some example files) is accepted too.

MMAction2's Kinetics-400 2D annotations use a compressed form: ``keypoint``
(N, V, 3) holds x, y and score of all N skeletons of a clip, ``frame_inds``
(N,) their frames and ``box_score`` (N,) their detection scores, and the
joints sit in one file per clip (``<frame_dir>.pkl``, read by
``PoseDataset`` through ``data_prefix=dict(skeleton=...)``); both the form
and the per-clip files are supported.
"""
from typing import Any, List, Optional, Tuple

import numpy as np

from .files import is_int

__all__ = ['check_annotation', 'dense_shape']


def check_annotation(anno: Any, where: str) -> List[str]:
    """Problems of one annotation dict; ``where`` prefixes each message."""
    if not isinstance(anno, dict):
        return [f'{where}: not a dict but {type(anno).__name__}']
    problems = []
    name = anno.get('frame_dir', anno.get('filename'))
    if name is None:
        problems.append(f'{where}: missing key frame_dir (or filename)')
    elif not isinstance(name, str):
        problems.append(f'{where}: frame_dir is {type(name).__name__}, not '
                        'str')
    else:
        where = f'{where} ({name})'

    if 'label' not in anno:
        problems.append(f'{where}: missing key label')
    elif not is_int(anno['label']) or anno['label'] < 0:
        problems.append(f'{where}: label must be an int >= 0, got '
                        f'{anno["label"]!r}')

    if 'frame_inds' in anno:
        problems += _check_compressed(anno, where)
        return problems + _check_common(anno, where, None)

    kp = anno.get('keypoint')
    shape = None
    if kp is None:
        problems.append(f'{where}: missing key keypoint')
    elif not isinstance(kp, np.ndarray):
        problems.append(f'{where}: keypoint is {type(kp).__name__}, not a '
                        'numpy array')
    elif kp.ndim != 4:
        problems.append(f'{where}: keypoint must have 4 dims (M, T, V, C), '
                        f'got shape {kp.shape}')
    elif kp.shape[-1] not in (2, 3):
        problems.append(f'{where}: keypoint must have C = 2 or 3 '
                        f'coordinates, got shape {kp.shape}')
    elif not np.issubdtype(kp.dtype, np.floating):
        problems.append(f'{where}: keypoint dtype {kp.dtype} is not float')
    else:
        shape = kp.shape
        if min(shape[:3]) == 0:
            problems.append(f'{where}: keypoint has an empty dim, shape '
                            f'{shape}')
        bad = int(np.size(kp) - np.count_nonzero(np.isfinite(kp)))
        if bad:
            problems.append(f'{where}: keypoint has {bad} NaN/inf values')
    return problems + _check_common(anno, where, shape)


def _check_common(anno: dict, where: str,
                  shape: Optional[Tuple[int, ...]]) -> List[str]:
    """Checks of total_frames, keypoint_score and img_shape; ``shape`` is
    the (M, T, V, C) keypoint shape where it is valid and dense."""
    problems = []
    if 'total_frames' not in anno:
        problems.append(f'{where}: missing key total_frames')
    elif not is_int(anno['total_frames']) or anno['total_frames'] < 0:
        problems.append(f'{where}: total_frames must be an int >= 0, got '
                        f'{anno["total_frames"]!r}')
    elif shape is not None and anno['total_frames'] != shape[1]:
        problems.append(f'{where}: total_frames {anno["total_frames"]} != '
                        f'T = {shape[1]} of keypoint {shape}')

    score = anno.get('keypoint_score')
    if score is not None:
        if not isinstance(score, np.ndarray):
            problems.append(f'{where}: keypoint_score is '
                            f'{type(score).__name__}, not a numpy array')
        elif shape is not None and score.shape != shape[:3]:
            problems.append(f'{where}: keypoint_score shape {score.shape} '
                            f'!= (M, T, V) = {shape[:3]}')
        elif score.dtype.kind not in 'fiu':
            problems.append(f'{where}: keypoint_score dtype {score.dtype} '
                            'is not numeric')
        elif not np.isfinite(score).all():
            problems.append(f'{where}: keypoint_score has NaN/inf values')

    img_shape = anno.get('img_shape')
    if img_shape is not None:
        try:
            h, w = img_shape
            valid = h > 0 and w > 0
        except (TypeError, ValueError):
            valid = False
        if not valid:
            problems.append(f'{where}: img_shape must be (H, W) > 0, got '
                            f'{img_shape!r}')
    return problems


def _check_compressed(anno: dict, where: str) -> List[str]:
    """Checks of the compressed form (MMAction2's Kinetics-400 files):
    ``keypoint`` (N, V, 3) = x, y, score of N skeletons, ``frame_inds`` (N,)
    their frames, optional ``box_score`` (N,)."""
    problems = []
    kp, inds = anno.get('keypoint'), anno['frame_inds']
    if kp is None:
        return [f'{where}: missing key keypoint (compressed annotations '
                'keep it in per-clip files: pass their folder)']
    if not _is_compressed_keypoint(kp):
        got = (f'shape {kp.shape}, dtype {kp.dtype}' if isinstance(
            kp, np.ndarray) else type(kp).__name__)
        return [f'{where}: compressed keypoint must be a numeric array (N, '
                f'V, 3), got {got}']
    inds = _as_array(inds)
    if inds is None or inds.shape != (kp.shape[0], ) or not np.issubdtype(
            inds.dtype, np.integer):
        got = 'a ragged list' if inds is None else \
            f'shape {inds.shape}, dtype {inds.dtype}'
        return [f'{where}: frame_inds must be N = {kp.shape[0]} ints, got '
                f'{got}']
    total = anno.get('total_frames')
    if inds.size and (inds.min() < 0 or (is_int(total)
                                         and inds.max() >= total)):
        problems.append(f'{where}: frame_inds outside [0, total_frames = '
                        f'{total})')
    if np.any(np.diff(inds) < 0):
        problems.append(f'{where}: frame_inds are not sorted')
    if not np.isfinite(kp).all():
        problems.append(f'{where}: keypoint has NaN/inf values')
    box = anno.get('box_score')
    if box is not None and getattr(_as_array(box), 'shape', None) != (
            kp.shape[0], ):
        problems.append(f'{where}: box_score is not of shape (N,) = '
                        f'({kp.shape[0]},)')
    return problems


def _as_array(value: Any) -> Optional[np.ndarray]:
    """``np.asarray(value)``, or None where it makes no array (ragged
    nested lists)."""
    try:
        return np.asarray(value)
    except ValueError:
        return None


def _is_compressed_keypoint(kp: Any) -> bool:
    """Whether ``kp`` is the (N, V, 3) numeric array of the compressed
    form."""
    return (isinstance(kp, np.ndarray) and kp.ndim == 3 and kp.shape[-1] == 3
            and kp.dtype.kind in 'fiu')


def dense_shape(anno: Any) -> Optional[Tuple[int, int, int, int]]:
    """(M, T, V, C) of an annotation's joints, or None where invalid.

    For the compressed form M is the largest number of skeletons in a frame
    and C = 2 (the third value of each joint is its score).
    """
    if not isinstance(anno, dict):
        return None
    kp = anno.get('keypoint')
    if not isinstance(kp, np.ndarray):
        return None
    if 'frame_inds' in anno:
        inds, total = _as_array(anno['frame_inds']), anno.get('total_frames')
        if (not _is_compressed_keypoint(kp) or inds is None or inds.shape
                != (kp.shape[0], ) or not is_int(total) or total < 0
                or not np.issubdtype(inds.dtype, np.integer)
                or (inds.size and (inds.min() < 0 or inds.max() >= total))):
            return None
        m = int(np.bincount(inds).max()) if inds.size else 0
        return m, int(total), kp.shape[1], 2
    if (kp.ndim == 4 and kp.shape[-1] in (2, 3) and min(kp.shape[:3]) > 0
            and kp.dtype.kind in 'fiu'):
        return tuple(int(v) for v in kp.shape)
    return None
