"""Human3.6M positions (VideoPose3D ``.npz``) + cameras -> MMPose files.

Inputs
------
* ``data_3d_h36m.npz`` (VideoPose3D layout): ``positions_3d`` =
  ``{subject: {action: float (T, 17 or 32, 3)}}``, world frame, metres,
  50 Hz. 32-joint arrays (the full motion-capture skeleton) are reduced to
  the usual 17 joints.
* optional ``data_2d_h36m_<source>.npz``: ``positions_2d`` =
  ``{subject: {action: [4 arrays (T, 17, 2)]}}``, pixels, one array per
  camera in the order of :data:`H36M_CAMERA_IDS`.
* ``cameras.pkl`` (MMPose's format): ``{(subject, camera_id): dict(R, T,
  f, c, k, p, w, h, name)}``. ``R`` is camera-to-world (its columns are the
  camera axes in world coordinates) and ``T`` the camera centre in world
  metres, so a world point X is ``R.T @ (X - T)`` in camera coordinates.
  ``k`` holds the radial coefficients k1, k2, k3 and ``p`` the tangential
  coefficients (p1, p2) in the order of Human3.6M's calibration files;
  VideoPose3D lists the same two numbers the other way round, (p2, p1).

Projection (:func:`project_to_pixels`) is Human3.6M's own distortion model,
the one VideoPose3D's data preparation uses: with (x, y) = (X/Z, Y/Z) and
r2 = x^2 + y^2,

    radial = 1 + k1 r2 + k2 r2^2 + k3 r2^3
    tan    = p1 y + p2 x
    x' = x (radial + tan) + p2 r2,   y' = y (radial + tan) + p1 r2
    u = f_x x' + c_x,   v = f_y y' + c_y

Outputs (what MMPose's ``Human36mDataset`` reads)
-------------------------------------------------
Under ``out_dir``::

    annotation_body3d/cameras.pkl          # the camera dict, as read
    annotation_body3d/fps<50 // downsample>/h36m_<split>.npz
    annotation_body3d/fps<...>/joint{2,3}d{,_rel}_stats.pkl  # first split
    joint_2d_det_files/<source>_<split>.npy   # with 2D detections only

Each npz holds one row per (subject, action, camera, kept frame):
``imgname`` (``S1/S1_Walking_1.54138969/S1_Walking_1.54138969_000001.jpg``;
MMPose groups frames into videos by its subject, action and camera, and the
frame number counts from 1 in the original 50 Hz numbering), ``center``
(N, 2) and ``scale`` (N,) of the 2D keypoints' bounding box (scale = 1.2 *
the longer side / 200, MMPose's convention), ``part`` (N, 17, 3) = 2D pixels
+ visibility 1, and ``S`` (N, 17, 4) = 3D **camera-frame metres** (what
MMPose's own preparation writes) + visibility 1. MMPose's MPJPE is therefore
in metres on these files.

Why ``downsample``: MMPose's dataset keeps one data dict with copies of all
window frames per sample; at 50 Hz with 27-frame windows the full training
split needs in the order of 20 GB of memory. Keeping every 2nd (25 Hz) or
5th frame (10 Hz, MMPose's default preparation) divides that accordingly.

Action labels
-------------
With ``actions_as_labels`` an MMAction2 3D skeleton pkl is written too: one
annotation per (subject, action take, camera), ``frame_dir`` =
``S1_Walking_1.54138969``, ``keypoint`` float32 (1, T, 17, 3) in that
camera's frame, metres, **not** root-relative by default (the body's path
tells walking from standing actions; MMAction2's ``PreNormalize3D`` or the
project's pipeline centres it) - ``root_relative`` subtracts the pelvis per
frame instead. ``label`` indexes :data:`H36M_ACTIONS` (the action name
without the take number); splits are named like the npz files. The four
views of a take are separate samples, in the same split.
"""
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmups.datasets.formats import ConversionError, load_pickle
from .common import dump_pickle, progress, save_npy, save_npz, write_lines

#: Camera ids in the order of the per-camera lists of the 2D npz files.
H36M_CAMERA_IDS = ('54138969', '55011271', '58860488', '60457274')
#: The 15 action classes in label order (sorted names).
H36M_ACTIONS = ('Directions', 'Discussion', 'Eating', 'Greeting', 'Phoning',
                'Posing', 'Purchases', 'Sitting', 'SittingDown', 'Smoking',
                'TakingPhoto', 'Waiting', 'WalkDog', 'WalkTogether',
                'Walking')
#: Other spellings of action names in Human3.6M file names -> the class
#: name of :data:`H36M_ACTIONS`.
H36M_ACTION_ALIASES = {'Photo': 'TakingPhoto', 'WalkingDog': 'WalkDog'}
#: The 17 kept joints of the 32-joint motion-capture skeleton.
JOINTS_32_TO_17 = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26,
                   27)
NUM_JOINTS = 17
#: bbox side -> MMPose scale: 1.2 padding, in units of 200 pixels.
BBOX_PADDING = 1.2
_CAMERA_FIELDS = {'R': (3, 3), 'T': (3, ), 'f': (2, ), 'c': (2, ),
                  'k': (3, ), 'p': (2, )}


def action_class(action: str) -> str:
    """Class name of an action key: ``'Walking 1'`` -> ``'Walking'``.

    Raises:
        ValueError: the name is not one of :data:`H36M_ACTIONS` (after
            removing the take number and mapping aliases).
    """
    name = re.sub(r'[ _]\d+$', '', action.strip())
    name = H36M_ACTION_ALIASES.get(name, name)
    if name not in H36M_ACTIONS:
        raise ValueError(f'unknown Human3.6M action {action!r}')
    return name


def image_name(subject: str, action: str, camera_id: str,
               frame: int) -> str:
    """MMPose's image name of a frame (``frame`` counts from 1)."""
    video = f'{subject}_{action.replace(" ", "_")}.{camera_id}'
    return f'{subject}/{video}/{video}_{frame:06d}.jpg'


def load_positions(path: str, key: str) -> Dict[str, Dict[str, Any]]:
    """``np.load(path)[key]`` as ``{subject: {action: data}}``.

    ``data`` is a numeric array, for ``positions_2d`` a list of them (one
    per camera), checked to hold no NaN / inf. The dict is stored as a
    pickled object array, which numpy unpickles without an allow-list:
    loading a pickle can run code, so read only files from a trusted
    source (VideoPose3D's preparation, the dataset's own files).

    Raises:
        ConversionError: the file is unreadable or its content is not so
            (the message names the file and the sequence).
    """
    try:
        with np.load(path, allow_pickle=True) as f:
            if key not in f.files:
                raise ConversionError(path, f'no array {key!r} (has '
                                      f'{f.files}); is it a VideoPose3D '
                                      'Human3.6M file?')
            data = f[key]
    except (ConversionError, FileNotFoundError):
        raise
    except Exception as e:  # zipfile, pickle and numpy raise many kinds
        raise ConversionError(
            path, f'cannot read npz file ({type(e).__name__}: {e})') from e
    data = data.item() if data.dtype == object and data.ndim == 0 else data
    if not isinstance(data, dict) or not all(
            isinstance(v, dict) for v in data.values()):
        raise ConversionError(path, f'{key!r} is not a dict {{subject: '
                              '{action: array}}')
    for subject, sequences in data.items():
        for action, value in sequences.items():
            if not (isinstance(subject, str) and isinstance(action, str)):
                raise ConversionError(path, f'{key!r}: subject and action '
                                      'names must be strings, got '
                                      f'{subject!r} / {action!r}')
            where = f'{subject} / {action}'
            if key != 'positions_2d':
                sequences[action] = _finite_array(value, path, where,
                                                  'joint positions')
            elif isinstance(value, (list, tuple)):
                sequences[action] = [
                    _finite_array(v, path, f'{where}, camera {i}',
                                  'joint positions')
                    for i, v in enumerate(value)
                ]
            else:
                raise ConversionError(path, f'{where}: expected a list of '
                                      'arrays, one per camera')
    return data


def _check_float32(values: np.ndarray, path: str, what: str) -> None:
    """Raise naming ``path`` unless all ``values`` are finite in float32,
    the dtype the files are written in."""
    if not (np.abs(values) <= np.finfo(np.float32).max).all():  # NaN too
        raise ConversionError(path, f'{what}: NaN, infinite or out-of-range '
                              'values')


def _finite_array(value: Any, path: str, where: str,
                  what: str = 'values') -> np.ndarray:
    """``value`` as a numeric array without NaN / inf (unchanged where it
    is one); errors name ``path``, ``where`` and ``what`` it holds."""
    try:
        arr = np.asarray(value)
    except ValueError:  # ragged nested lists
        arr = None
    if arr is None or arr.dtype.kind not in 'fiu':
        raise ConversionError(path, f'{where}: {what} are not an array of '
                              'numbers')
    if not np.isfinite(arr).all():
        raise ConversionError(path, f'{where}: NaN/inf {what}')
    return arr


def load_cameras(path: str) -> Dict[Tuple[str, str], Dict[str, Any]]:
    """Read MMPose's ``cameras.pkl`` (``{(subject, camera_id): params}``)."""
    cameras = load_pickle(path)
    if not isinstance(cameras, dict):
        raise ConversionError(path, 'expected a dict {(subject, camera_id): '
                              'parameters}')
    return cameras


def camera_params(cameras: Dict, subject: str, camera_id: str,
                  path: str = 'cameras.pkl') -> Dict[str, np.ndarray]:
    """Validated float64 parameters of one camera (flattened vectors).

    Raises:
        ConversionError: the key or a field is missing, not numeric, not
            finite or has a wrong shape.
    """
    key = (subject, camera_id)
    if key not in cameras:
        raise ConversionError(path, f'no camera {key!r}; the file has '
                              f'{len(cameras)} entries, e.g. '
                              f'{list(cameras)[:2]}')
    raw = cameras[key]
    if not isinstance(raw, dict):
        raise ConversionError(path, f'camera {key!r} is not a dict')
    out: Dict[str, np.ndarray] = {}
    for name, shape in _CAMERA_FIELDS.items():
        if name not in raw:
            raise ConversionError(path, f'camera {key!r} lacks field '
                                  f'{name!r}')
        value = _finite_array(raw[name], path, f'camera {key!r}: {name}')
        given = value.shape
        value = value.astype(np.float64)
        value = value if len(shape) == 2 else value.reshape(-1)
        if value.shape != shape:
            raise ConversionError(path, f'camera {key!r}: {name} has shape '
                                  f'{given}, expected {shape}')
        out[name] = value
    for name in ('w', 'h'):
        if name not in raw:
            raise ConversionError(path, f'camera {key!r} lacks field '
                                  f'{name!r} (image size)')
        size = _finite_array(raw[name], path,
                             f'camera {key!r}: {name}').reshape(-1)
        if size.shape != (1, ) or size[0] <= 0:
            raise ConversionError(path, f'camera {key!r}: {name} must be one '
                                  f'number > 0, got {raw[name]!r}')
        out[name] = size[0]
    return out


def world_to_camera(points: np.ndarray, R: np.ndarray,
                    T: np.ndarray) -> np.ndarray:
    """World points (..., 3) -> camera frame: ``R.T @ (X - T)`` per point."""
    # Row vectors: (X - T) @ R is R.T @ (X - T) for each point.
    return (points - T.reshape(3)) @ R


def project_to_pixels(points_cam: np.ndarray, f: np.ndarray, c: np.ndarray,
                      k: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Camera-frame points (..., 3) -> pixels (..., 2), with distortion.

    Human3.6M's model (module docstring); ``p`` = (p1, p2) as stored in
    ``cameras.pkl``.
    """
    xy = points_cam[..., :2] / points_cam[..., 2:3]
    r2 = (xy**2).sum(-1, keepdims=True)
    radial = 1 + k[0] * r2 + k[1] * r2**2 + k[2] * r2**3
    tan = p[0] * xy[..., 1:2] + p[1] * xy[..., 0:1]
    distorted = xy * (radial + tan) + r2 * np.array([p[1], p[0]])
    return distorted * f.reshape(2) + c.reshape(2)


def bbox_center_scale(kp2d: np.ndarray,
                      padding: float = BBOX_PADDING
                      ) -> Tuple[np.ndarray, np.ndarray]:
    """Centre (N, 2) and MMPose scale (N,) of the keypoints' bounding box."""
    lo, hi = kp2d.min(axis=1), kp2d.max(axis=1)
    center = (lo + hi) / 2
    scale = padding * (hi - lo).max(axis=1) / 200
    return center, scale


def _to_17_joints(pos: np.ndarray, path: str, where: str) -> np.ndarray:
    if pos.ndim != 3 or pos.shape[-1] != 3 or pos.shape[1] not in (17, 32):
        raise ConversionError(path, f'{where}: expected (T, 17 or 32, 3), '
                              f'got {pos.shape}')
    return pos[:, JOINTS_32_TO_17] if pos.shape[1] == 32 else pos


def _camera_2d(positions_2d: Dict, subject: str, action: str, cam_index: int,
               num_frames: int, path: str) -> np.ndarray:
    """The (num_frames, 17, 2) 2D array of one camera view from a 2D file."""
    where = f'{subject} / {action}'
    try:
        views = positions_2d[subject][action]  # a list (load_positions)
    except KeyError:
        raise ConversionError(path, f'no 2D keypoints for {where}') from None
    if len(views) != len(H36M_CAMERA_IDS):
        raise ConversionError(path, f'{where}: expected one array per camera '
                              f'({len(H36M_CAMERA_IDS)}), got {len(views)}')
    kp = np.asarray(views[cam_index], dtype=np.float64)
    if kp.ndim != 3 or kp.shape[1:] != (NUM_JOINTS, 2):
        raise ConversionError(path, f'{where}, camera {cam_index}: expected '
                              f'(T, 17, 2), got {kp.shape}')
    if kp.shape[0] < num_frames:
        raise ConversionError(path, f'{where}, camera {cam_index}: '
                              f'{kp.shape[0]} frames, fewer than the '
                              f'{num_frames} of the 3D positions')
    # Some 2D sequences run a few frames past the motion capture: trim.
    return kp[:num_frames]


@dataclass
class _SplitArrays:
    """Rows of one npz file being collected."""
    imgname: List[np.ndarray] = field(default_factory=list)
    part: List[np.ndarray] = field(default_factory=list)
    S: List[np.ndarray] = field(default_factory=list)
    det: List[np.ndarray] = field(default_factory=list)


@dataclass
class H36mConversionResult:
    """What :func:`convert_h36m` wrote."""
    npz_files: Dict[str, str]  # split -> path
    num_frames: Dict[str, int]  # split -> rows
    cameras_file: str
    stats_files: List[str]
    det_files: Dict[str, str]
    action_pkl: Optional[str] = None
    label_map: Optional[str] = None
    skipped_subjects: List[str] = field(default_factory=list)


def convert_h36m(positions_3d_file: str,
                 cameras_file: str,
                 out_dir: str,
                 splits: Sequence[Tuple[str, Sequence[str]]] = (
                     ('train', ('S1', 'S5', 'S6', 'S7', 'S8')),
                     ('test', ('S9', 'S11'))),
                 subjects: Optional[Sequence[str]] = None,
                 actions: Optional[Sequence[str]] = None,
                 camera_ids: Sequence[str] = H36M_CAMERA_IDS,
                 downsample: int = 1,
                 max_frames: Optional[int] = None,
                 gt_2d_file: Optional[str] = None,
                 det_2d_file: Optional[str] = None,
                 actions_as_labels: bool = False,
                 root_relative: bool = False,
                 action_pkl: Optional[str] = None,
                 label_map: Optional[str] = None,
                 show_progress: bool = True) -> H36mConversionResult:
    """Write MMPose's Human3.6M annotation files (layout: module docstring).

    Args:
        positions_3d_file: VideoPose3D-style ``data_3d_h36m.npz``.
        cameras_file: MMPose's ``cameras.pkl``.
        out_dir: the dataset root MMPose's configs point at (``data_root``).
        splits: (split name, subjects) pairs; the first one is the one the
            normalisation statistics are computed on.
        subjects: only convert these subjects (None: all of the splits').
        actions: only these action keys, e.g. ``['Walking 1']`` (None: all).
        camera_ids: the cameras to write (default: all four).
        downsample: keep every ``downsample``-th frame (1: 50 Hz).
        max_frames: only the first frames of each sequence (quick tests).
        gt_2d_file: 2D npz written to ``part`` instead of projecting the 3D
            positions.
        det_2d_file: 2D detections (e.g. CPN) written to
            ``joint_2d_det_files/<file stem>_<split>.npy`` (N, 17, 3), for
            MMPose's ``keypoint_2d_src='detection'``.
        actions_as_labels: also write the action-recognition pkl.
        root_relative: make the action pkl's joints pelvis-relative.
        action_pkl: its path (default ``<out_dir>/h36m_action_3d.pkl``).
        label_map: where the 15 class names go (default
            ``<out_dir>/h36m_action_label_map.txt``).
        show_progress: show mmengine's progress bar.
    """
    if downsample < 1:
        raise ValueError(f'downsample must be >= 1, got {downsample}')
    unknown = [c for c in camera_ids if c not in H36M_CAMERA_IDS]
    if unknown:
        raise ValueError(f'unknown camera ids {unknown}; Human3.6M has '
                         f'{list(H36M_CAMERA_IDS)}')
    names = [name for name, _ in splits]
    if len(set(names)) != len(names):
        raise ValueError(f'split names repeat: {names}')

    positions = load_positions(positions_3d_file, 'positions_3d')
    cameras = load_cameras(cameras_file)
    gt_2d = load_positions(gt_2d_file, 'positions_2d') if gt_2d_file \
        else None
    det_2d = load_positions(det_2d_file, 'positions_2d') if det_2d_file \
        else None

    keep = set(subjects) if subjects is not None else None
    skipped = []
    jobs = []  # (split, subject, action)
    for split, split_subjects in splits:
        for subject in split_subjects:
            if keep is not None and subject not in keep:
                continue
            if subject not in positions:
                skipped.append(subject)
                continue
            for action in sorted(positions[subject]):
                if actions is not None and action not in actions:
                    continue
                if '.' in action or '/' in action:
                    # MMPose parses subject, action and camera from the
                    # image name; a dot or slash would break that.
                    raise ConversionError(positions_3d_file, f'action name '
                                          f'{action!r} contains "." or "/"')
                jobs.append((split, subject, action))
    if not jobs:
        raise ValueError(f'nothing to convert: no sequence of '
                         f'{positions_3d_file} matches the subjects / '
                         'actions given')
    # Fail on a missing camera before any work is done.
    params = {(s, c): camera_params(cameras, s, c, cameras_file)
              for s in sorted({j[1] for j in jobs}) for c in camera_ids}

    collected = {name: _SplitArrays() for name in names}
    action_annos: List[Dict[str, Any]] = []
    action_split: Dict[str, List[str]] = {name: [] for name in names}
    for split, subject, action in progress(jobs, len(jobs), show_progress):
        where = f'{subject} / {action}'
        world = _to_17_joints(
            np.asarray(positions[subject][action], dtype=np.float64),
            positions_3d_file, where)
        if max_frames is not None:
            world = world[:max_frames]
        num_frames = world.shape[0]
        if num_frames == 0:
            raise ConversionError(positions_3d_file, f'{where}: no frames')
        frames = np.arange(0, num_frames, downsample)
        if actions_as_labels:
            label = H36M_ACTIONS.index(_action_class(action,
                                                     positions_3d_file))
        for cam in camera_ids:
            cam_index = H36M_CAMERA_IDS.index(cam)
            par = params[(subject, cam)]
            seq = f'{where}, camera {cam}'
            # Overflow and a joint in the camera plane (Z = 0) give inf or
            # NaN, which the checks below report.
            with np.errstate(all='ignore'):
                xyz = world_to_camera(world[frames], par['R'], par['T'])
                _check_float32(xyz, positions_3d_file, f'{seq}: 3D joints '
                               f'in the camera frame (cameras: '
                               f'{cameras_file})')
                if gt_2d is not None:
                    uv = _camera_2d(gt_2d, subject, action, cam_index,
                                    num_frames, gt_2d_file)[frames]
                    _check_float32(uv, gt_2d_file, f'{seq}: 2D keypoints')
                else:
                    uv = project_to_pixels(xyz, par['f'], par['c'],
                                           par['k'], par['p'])
                    _check_float32(uv, positions_3d_file, f'{seq}: 2D '
                                   f'projections (cameras: {cameras_file}; '
                                   'a joint in the camera plane?)')
            ones = np.ones((len(frames), NUM_JOINTS, 1))
            rows = collected[split]
            rows.imgname.append(
                np.array([
                    image_name(subject, action, cam, int(t) + 1)
                    for t in frames
                ]))
            rows.part.append(np.concatenate([uv, ones], -1))
            rows.S.append(np.concatenate([xyz, ones], -1))
            if det_2d is not None:
                det = _camera_2d(det_2d, subject, action, cam_index,
                                 num_frames, det_2d_file)[frames]
                _check_float32(det, det_2d_file, f'{seq}: 2D detections')
                rows.det.append(np.concatenate([det, ones], -1))
            if actions_as_labels:
                kp = xyz
                if root_relative:
                    with np.errstate(over='ignore'):
                        kp = xyz - xyz[:, :1]
                    _check_float32(kp, positions_3d_file, f'{seq}: joints '
                                   'relative to the pelvis')
                name = osp.basename(osp.dirname(rows.imgname[-1][0]))
                action_annos.append(
                    dict(
                        frame_dir=name,
                        label=label,
                        keypoint=kp[None].astype(np.float32),
                        total_frames=int(len(frames))))
                action_split[split].append(name)

    fps_dir = osp.join(out_dir, 'annotation_body3d', f'fps{50 // downsample}')
    result = H36mConversionResult(
        npz_files={},
        num_frames={},
        cameras_file=osp.join(out_dir, 'annotation_body3d', 'cameras.pkl'),
        stats_files=[],
        det_files={},
        skipped_subjects=sorted(set(skipped)))
    for name in names:
        rows = collected[name]
        if not rows.imgname:
            continue
        part = np.concatenate(rows.part)
        # In float64: the box of float32 values may be beyond float32.
        center, scale = bbox_center_scale(part[..., :2])
        part = part.astype(np.float32)
        path = osp.join(fps_dir, f'h36m_{name}.npz')
        save_npz(
            path,
            imgname=np.concatenate(rows.imgname),
            center=center.astype(np.float32),
            scale=scale.astype(np.float32),
            part=part,
            S=np.concatenate(rows.S).astype(np.float32))
        result.npz_files[name] = path
        result.num_frames[name] = len(part)
        if rows.det:
            stem = osp.splitext(osp.basename(det_2d_file))[0]
            stem = stem[len('data_2d_h36m_'):] if stem.startswith(
                'data_2d_h36m_') else stem
            det_path = osp.join(out_dir, 'joint_2d_det_files',
                                f'{stem}_{name}.npy')
            save_npy(det_path, np.concatenate(rows.det).astype(np.float32))
            result.det_files[name] = det_path
    first = collected[names[0]]
    if first.imgname:
        result.stats_files = _write_stats(
            fps_dir, np.concatenate(first.S)[..., :3],
            np.concatenate(first.part)[..., :2])
    dump_pickle(cameras, result.cameras_file)

    if actions_as_labels:
        action_annos.sort(key=lambda a: a['frame_dir'])
        result.action_pkl = action_pkl or osp.join(out_dir,
                                                   'h36m_action_3d.pkl')
        dump_pickle(
            dict(
                split={k: sorted(v)
                       for k, v in action_split.items()},
                annotations=action_annos), result.action_pkl)
        result.label_map = label_map or osp.join(
            out_dir, 'h36m_action_label_map.txt')
        write_lines(result.label_map, H36M_ACTIONS)
    return result


def _action_class(action: str, path: str) -> str:
    try:
        return action_class(action)
    except ValueError as e:
        raise ConversionError(path, str(e)) from None


def _write_stats(fps_dir: str, kp3d: np.ndarray,
                 kp2d: np.ndarray) -> List[str]:
    """Mean / std of joints (absolute and root-relative), as MMPose's
    ``joint{2,3}d{,_rel}_stats.pkl`` files (some of its configs use them)."""
    def stats(x: np.ndarray) -> Dict[str, np.ndarray]:
        return dict(mean=x.mean(axis=0), std=x.std(axis=0))

    files = []
    for name, data in (('joint3d_stats', kp3d), ('joint2d_stats', kp2d),
                       ('joint3d_rel_stats', kp3d[:, 1:] - kp3d[:, :1]),
                       ('joint2d_rel_stats', kp2d[:, 1:] - kp2d[:, :1])):
        path = osp.join(fps_dir, f'{name}.pkl')
        dump_pickle(stats(data), path)
        files.append(path)
    return files
