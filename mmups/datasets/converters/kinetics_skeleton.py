"""ST-GCN's Kinetics-skeleton release (OpenPose-18 JSON) -> MMAction2 pkl.

The release has one JSON file per video clip in ``kinetics_train/`` and
``kinetics_val/``::

    {"data": [{"frame_index": 1,
               "skeleton": [{"pose": [x0, y0, x1, y1, ... x17, y17],
                             "score": [s0, ... s17]}, ...]}, ...],
     "label": "abseiling", "label_index": 0}

plus an index per part, ``kinetics_{train,val}_label.json``:
``{video_id: {"has_skeleton": bool, "label": str, "label_index": int}}``.
Coordinates are normalised by the frame size (x / width, y / height) of the
340 x 256 videos OpenPose ran on; undetected joints are (0, 0) with score 0.

Conversion choices
------------------
* **Coordinates**: by default multiplied back to pixels of that 340 x 256
  frame and ``img_shape = (256, 340)`` is stored, the same convention as
  MMAction2's HRNet 2D annotations, so that ``PreNormalize2D`` maps both to
  [-1, 1] the same way (as ST-GCN's own centring does). Undetected joints
  stay at (0, 0) with score 0. ``keep_normalized=True`` keeps [0, 1] values
  and stores ``img_shape = (1, 1)`` instead.
* **Persons**: the release has no identities across frames; in each frame
  the skeletons are ranked by mean joint score and the best
  ``max_persons`` fill the person slots in that order (ST-GCN's rule). M is
  the largest number of skeletons kept in any frame (at least 1).
* **Frames**: ``frame_index`` counts from 1 in the release (``auto`` also
  accepts files counting from 0); T = the last frame index, frames without
  a skeleton hold zeros.
"""
import json
import os.path as osp
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .common import ConversionError, dump_pickle, progress, write_lines

NUM_JOINTS = 18
#: (H, W) of the frames the release's OpenPose ran on.
RELEASE_IMG_SHAPE = (256, 340)
PARTS = ('train', 'val')


def load_label_index(path: str) -> Dict[str, Dict[str, Any]]:
    """Read ``kinetics_{train,val}_label.json``; errors name the file."""
    data = _load_json(path)
    if not isinstance(data, dict):
        raise ConversionError(path, 'expected a JSON object {video_id: '
                              '{"has_skeleton", "label", "label_index"}}')
    for video_id, entry in data.items():
        if not isinstance(entry, dict) or 'label_index' not in entry:
            raise ConversionError(
                path, f'entry {video_id!r} lacks "label_index" (expected '
                '{"has_skeleton": bool, "label": str, "label_index": int})')
    return data


def _load_json(path: str) -> Any:
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ConversionError(path, f'invalid JSON: {e.msg}',
                              e.lineno) from None
    except UnicodeDecodeError as e:
        raise ConversionError(path, f'not a UTF-8 text file ({e})') from None


def _frame_index_base(frames: List[Dict], base: str) -> int:
    """0 or 1: the frame_index of a clip's first frame."""
    if base in ('0', '1'):
        return int(base)
    if base != 'auto':
        raise ValueError(f"frame_index_base must be 'auto', '0' or '1', got "
                         f'{base!r}')
    indices = [f.get('frame_index') for f in frames]
    return 0 if 0 in indices else 1


def read_kinetics_json(path: str,
                       max_persons: int = 2,
                       img_shape: Optional[Tuple[int, int]] = (256, 340),
                       frame_index_base: str = 'auto') -> Dict[str, Any]:
    """Read one clip of the release.

    Args:
        path: the clip's JSON file.
        max_persons: person slots kept per frame.
        img_shape: (H, W) to scale the normalised coordinates to, or None
            to keep them in [0, 1].
        frame_index_base: 'auto', '0' or '1'.

    Returns:
        dict with ``keypoint`` float32 (M, T, 18, 2), ``keypoint_score``
        float32 (M, T, 18), ``label`` (int or None), ``label_name`` (str or
        None); M = 0 and T = 0 where the clip has no skeleton.
    """
    data = _load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get('data'), list):
        raise ConversionError(path, 'expected a JSON object with a "data" '
                              'list of frames')
    frames = data['data']
    base = _frame_index_base(frames, frame_index_base)
    per_frame: Dict[int, List[Tuple[float, np.ndarray, np.ndarray]]] = {}
    for i, frame in enumerate(frames):
        where = f'frame entry {i}'
        if not isinstance(frame, dict) or not _is_int(
                frame.get('frame_index')):
            raise ConversionError(path, f'{where}: expected an object with '
                                  'an integer "frame_index"')
        t = frame['frame_index'] - base
        if t < 0:
            raise ConversionError(path, f'{where}: frame_index '
                                  f'{frame["frame_index"]} < {base}')
        skeletons = frame.get('skeleton', [])
        if not isinstance(skeletons, list):
            raise ConversionError(path, f'{where}: "skeleton" is not a list')
        for j, skel in enumerate(skeletons):
            pose, score = _read_skeleton(skel, path, f'{where}, skeleton {j}')
            per_frame.setdefault(t, []).append(
                (float(score.mean()), pose, score))
        per_frame.setdefault(t, [])

    num_frames = max(per_frame) + 1 if per_frame else 0
    num_persons = min(max_persons,
                      max((len(s) for s in per_frame.values()), default=0))
    keypoint = np.zeros((num_persons, num_frames, NUM_JOINTS, 2), np.float32)
    keypoint_score = np.zeros((num_persons, num_frames, NUM_JOINTS),
                              np.float32)
    for t, skels in per_frame.items():
        # Stable sort: equal scores keep the file's order.
        skels = sorted(skels, key=lambda s: -s[0])[:num_persons]
        for m, (_, pose, score) in enumerate(skels):
            keypoint[m, t] = pose
            keypoint_score[m, t] = score
    if img_shape is not None:
        h, w = img_shape
        keypoint *= np.array([w, h], dtype=np.float32)
    label = data.get('label_index')
    return dict(
        keypoint=keypoint,
        keypoint_score=keypoint_score,
        label=int(label) if _is_int(label) else None,
        label_name=data.get('label'))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _read_skeleton(skel: Any, path: str,
                   where: str) -> Tuple[np.ndarray, np.ndarray]:
    if not isinstance(skel, dict) or 'pose' not in skel \
            or 'score' not in skel:
        raise ConversionError(path, f'{where}: expected an object with '
                              '"pose" and "score"')
    try:
        pose = np.asarray(skel['pose'], dtype=np.float32)
        score = np.asarray(skel['score'], dtype=np.float32)
    except (TypeError, ValueError):
        raise ConversionError(path, f'{where}: non-numeric pose or '
                              'score') from None
    if pose.shape != (2 * NUM_JOINTS, ) or score.shape != (NUM_JOINTS, ):
        raise ConversionError(
            path, f'{where}: expected {2 * NUM_JOINTS} pose values and '
            f'{NUM_JOINTS} scores, got {pose.size} and {score.size}')
    if not (np.isfinite(pose).all() and np.isfinite(score).all()):
        raise ConversionError(path, f'{where}: NaN/inf in pose or score')
    return pose.reshape(NUM_JOINTS, 2), score


@dataclass
class KineticsConversionResult:
    """What :func:`convert_kinetics_skeleton` wrote and skipped."""
    out: str
    num_annotations: int
    split_sizes: Dict[str, int]
    no_skeleton: List[str]  # flagged or found without any skeleton
    not_found: List[str]  # in a label index but without a JSON file
    label_map: Optional[str]


def convert_kinetics_skeleton(root: Optional[str],
                              out: str,
                              parts: Optional[Dict[str, Tuple[str,
                                                              str]]] = None,
                              max_persons: int = 2,
                              keep_normalized: bool = False,
                              img_shape: Tuple[int, int] = RELEASE_IMG_SHAPE,
                              label_map: Optional[str] = None,
                              limit: Optional[int] = None,
                              show_progress: bool = True
                              ) -> KineticsConversionResult:
    """Convert the release into one annotation pkl with splits train / val.

    Args:
        root: the release folder with ``kinetics_{train,val}/`` and
            ``kinetics_{train,val}_label.json``; used for the parts not
            given in ``parts``.
        out: the pkl to write.
        parts: split name -> (JSON folder, label index file); overrides
            ``root``.
        max_persons: person slots per frame.
        keep_normalized: keep [0, 1] coordinates (``img_shape`` (1, 1)).
        img_shape: (H, W) the normalised coordinates are scaled to.
        label_map: where to write the class names (line k = label k, from
            the label index); None writes none.
        limit: convert at most this many clips per part (quick tests).
        show_progress: show mmengine's progress bar.
    """
    if parts is None:
        if root is None:
            raise ValueError('give the release folder or the parts')
        parts = {
            p: (osp.join(root, f'kinetics_{p}'),
                osp.join(root, f'kinetics_{p}_label.json'))
            for p in PARTS
        }
    shape = (1, 1) if keep_normalized else tuple(int(v) for v in img_shape)
    annotations, split = [], {}
    no_skeleton, not_found = [], []
    names: Dict[int, str] = {}
    for part, (json_dir, index_file) in parts.items():
        index = load_label_index(index_file)
        video_ids = sorted(index)
        if limit is not None:
            video_ids = video_ids[:limit]
        split[part] = []
        for vid in progress(video_ids, len(video_ids), show_progress):
            entry = index[vid]
            label = entry['label_index']
            if not _is_int(label) or label < 0:
                raise ConversionError(index_file, f'entry {vid!r}: '
                                      f'label_index {label!r} is not an '
                                      'int >= 0')
            if isinstance(entry.get('label'), str):
                names.setdefault(label, entry['label'])
            if not entry.get('has_skeleton', True):
                no_skeleton.append(vid)
                continue
            path = osp.join(json_dir, f'{vid}.json')
            if not osp.isfile(path):
                not_found.append(vid)
                continue
            clip = read_kinetics_json(path, max_persons,
                                      None if keep_normalized else shape)
            if clip['keypoint'].shape[0] == 0:
                no_skeleton.append(vid)
                continue
            if clip['label'] is not None and clip['label'] != label:
                raise ConversionError(
                    path, f'label_index {clip["label"]} differs from '
                    f'{label} in {index_file}')
            annotations.append(
                dict(
                    frame_dir=vid,
                    label=int(label),
                    keypoint=clip['keypoint'],
                    keypoint_score=clip['keypoint_score'],
                    total_frames=int(clip['keypoint'].shape[1]),
                    img_shape=shape,
                    original_shape=shape))
            split[part].append(vid)
    dump_pickle(dict(split=split, annotations=annotations), out)
    if label_map is not None and names:
        num = max(names) + 1
        write_lines(label_map,
                    [names.get(k, f'unnamed_class_{k}') for k in range(num)])
    return KineticsConversionResult(
        out=out,
        num_annotations=len(annotations),
        split_sizes={k: len(v)
                     for k, v in split.items()},
        no_skeleton=sorted(no_skeleton),
        not_found=sorted(not_found),
        label_map=label_map if names else None)
