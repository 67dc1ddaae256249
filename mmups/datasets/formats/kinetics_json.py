"""ST-GCN's Kinetics-skeleton release: one OpenPose-18 JSON file per clip.

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

How a clip is read
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
  accepts files counting from 0); T = the last frame index (at most
  :data:`MAX_FRAMES`), frames without a skeleton hold zeros.
"""
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .files import ConversionError, is_int, load_json

NUM_JOINTS = 18
#: Frames a clip may have: a larger ``frame_index`` is an error (a damaged
#: file) rather than a huge array. The release's clips have 300 frames;
#: this is an hour at 30 fps.
MAX_FRAMES = 108000
#: (H, W) of the frames the release's OpenPose ran on.
RELEASE_IMG_SHAPE = (256, 340)


def load_label_index(path: str) -> Dict[str, Dict[str, Any]]:
    """Read ``kinetics_{train,val}_label.json``; errors name the file."""
    data = load_json(path)
    if not isinstance(data, dict):
        raise ConversionError(path, 'expected a JSON object {video_id: '
                              '{"has_skeleton", "label", "label_index"}}')
    for video_id, entry in data.items():
        if not isinstance(entry, dict) or 'label_index' not in entry:
            raise ConversionError(
                path, f'entry {video_id!r} lacks "label_index" (expected '
                '{"has_skeleton": bool, "label": str, "label_index": int})')
    return data


def _frame_index_base(frames: List[Dict], base: str) -> int:
    """0 or 1: the frame_index of a clip's first frame."""
    if base in ('0', '1'):
        return int(base)
    if base != 'auto':
        raise ValueError(f"frame_index_base must be 'auto', '0' or '1', got "
                         f'{base!r}')
    indices = [f.get('frame_index') for f in frames if isinstance(f, dict)]
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
        float32 (M, T, 18), ``label`` (``label_index`` where it is an int
        >= 0, else None), ``label_name`` (str or None); M = 0 and T = 0
        where the clip has no skeleton.
    """
    data = load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get('data'), list):
        raise ConversionError(path, 'expected a JSON object with a "data" '
                              'list of frames')
    frames = data['data']
    base = _frame_index_base(frames, frame_index_base)
    per_frame: Dict[int, List[Tuple[float, np.ndarray, np.ndarray]]] = {}
    for i, frame in enumerate(frames):
        where = f'frame entry {i}'
        if not isinstance(frame, dict) or not is_int(
                frame.get('frame_index')):
            raise ConversionError(path, f'{where}: expected an object with '
                                  'an integer "frame_index"')
        t = frame['frame_index'] - base
        if not 0 <= t < MAX_FRAMES:
            raise ConversionError(
                path, f'{where}: frame_index {frame["frame_index"]} is not '
                f'in [{base}, {base + MAX_FRAMES})')
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
        with np.errstate(over='ignore'):
            keypoint *= np.array([w, h], dtype=np.float32)
        if not np.isfinite(keypoint).all():
            raise ConversionError(path, f'pose values beyond float32 once '
                                  f'scaled to the {w} x {h} frame (the '
                                  'release stores values in [0, 1])')
    label = data.get('label_index')
    return dict(
        keypoint=keypoint,
        keypoint_score=keypoint_score,
        label=int(label) if is_int(label) and label >= 0 else None,
        label_name=data['label'] if isinstance(data.get('label'), str)
        else None)


def _read_skeleton(skel: Any, path: str,
                   where: str) -> Tuple[np.ndarray, np.ndarray]:
    if not isinstance(skel, dict) or 'pose' not in skel \
            or 'score' not in skel:
        raise ConversionError(path, f'{where}: expected an object with '
                              '"pose" and "score"')
    try:
        pose = np.asarray(skel['pose'], dtype=np.float32)
        score = np.asarray(skel['score'], dtype=np.float32)
    except (TypeError, ValueError, OverflowError):
        raise ConversionError(path, f'{where}: non-numeric pose or '
                              'score') from None
    if pose.shape != (2 * NUM_JOINTS, ) or score.shape != (NUM_JOINTS, ):
        raise ConversionError(
            path, f'{where}: expected {2 * NUM_JOINTS} pose values and '
            f'{NUM_JOINTS} scores, got {pose.size} and {score.size}')
    if not (np.isfinite(pose).all() and np.isfinite(score).all()):
        raise ConversionError(path, f'{where}: NaN/inf in pose or score')
    return pose.reshape(NUM_JOINTS, 2), score
