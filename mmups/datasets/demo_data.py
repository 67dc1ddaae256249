"""Synthetic multi-task skeleton data for the demo (no download needed).

Eight action classes are parametric, periodic motions of a 17-joint body
(Human3.6M joint order, metres, world frame with Z up); every sample varies
speed, phase, amplitude, body size, heading, position and sensor noise, so
classes are learnable but not trivially separable. From one motion the
generator makes:

* 3D sequences in the NTU RGB+D 25-joint layout (action recognition and
  early prediction), in MMAction2's skeleton annotation format;
* 2D COCO-17 projections through a virtual camera in pixels (2D action
  recognition), same format, with ``img_shape``;
* 3D joints of "subjects" in the VideoPose3D ``positions_3d`` layout plus
  camera parameters (pose estimation), converted like Human3.6M data.
"""
import os
import os.path as osp
import pickle
from typing import Dict, List, Tuple

import numpy as np

from mmups.utils.fileio import atomic_open, prepare_folder

DEMO_ACTIONS = ('wave right hand', 'wave left hand', 'squat down', 'jump up',
                'kick with right leg', 'bow', 'clap hands', 'turn around')

# Rest pose, Human3.6M order: x to the person's left, y forward, z up.
_REST = np.array([
    [0.00, 0.00, 0.95], [-0.13, 0.00, 0.92], [-0.13, 0.00, 0.50],
    [-0.13, 0.00, 0.08], [0.13, 0.00, 0.92], [0.13, 0.00, 0.50],
    [0.13, 0.00, 0.08], [0.00, 0.00, 1.20], [0.00, 0.00, 1.45],
    [0.00, 0.02, 1.55], [0.00, 0.02, 1.70], [0.18, 0.00, 1.42],
    [0.20, 0.00, 1.15], [0.21, 0.00, 0.90], [-0.18, 0.00, 1.42],
    [-0.20, 0.00, 1.15], [-0.21, 0.00, 0.90]], dtype=np.float32)
_UPPER = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16]


def _yaw(points: np.ndarray, angle) -> np.ndarray:
    """Rotate (..., 3) points about the vertical axis through the origin."""
    c, s = np.cos(angle), np.sin(angle)
    x, y = points[..., 0], points[..., 1]
    out = points.copy()
    out[..., 0], out[..., 1] = c * x - s * y, s * x + c * y
    return out


def synthesize_motion(action: int, num_frames: int,
                      rng: np.random.Generator) -> np.ndarray:
    """One random performance of an action: (T, 17, 3) world joints."""
    t = np.arange(num_frames) / num_frames
    cycles = rng.uniform(1.0, 2.0)
    phase = 2 * np.pi * cycles * t + rng.uniform(0, 0.5)
    amp = rng.uniform(0.7, 1.3)
    up = (1 - np.cos(phase)) / 2  # 0 -> 1 -> 0 per cycle
    pose = np.repeat(_REST[None], num_frames, axis=0) * rng.uniform(0.9, 1.1)
    if action in (0, 1):  # wave: forearm raised, hand swings sideways
        side = -1 if action == 0 else 1
        elbow, wrist = (15, 16) if action == 0 else (12, 13)
        pose[:, elbow] = [side * 0.35, 0.05, 1.45]
        pose[:, wrist, 0] = side * 0.35 + 0.15 * amp * np.sin(phase)
        pose[:, wrist, 1] = 0.05
        pose[:, wrist, 2] = 1.75
    elif action == 2:  # squat
        depth = 0.35 * amp * up
        pose[:, [0, 1, 4] + _UPPER, 2] -= depth[:, None]
        pose[:, [2, 5], 1] += 0.6 * depth[:, None]
        pose[:, [2, 5], 2] -= 0.4 * depth[:, None]
    elif action == 3:  # jump
        pose[..., 2] += (0.25 * amp * np.maximum(0, np.sin(phase)))[:, None]
    elif action == 4:  # kick with the right leg
        lift = amp * np.maximum(0, np.sin(phase))
        pose[:, 2, 1] += 0.3 * lift
        pose[:, 2, 2] += 0.15 * lift
        pose[:, 3, 1] += 0.6 * lift
        pose[:, 3, 2] += 0.35 * lift
    elif action == 5:  # bow: upper body pitches forward about the pelvis
        angle = 0.7 * amp * up
        rel = pose[:, _UPPER] - pose[:, :1]
        c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
        y, z = rel[..., 1], rel[..., 2]
        rel[..., 1], rel[..., 2] = c * y + s * z, -s * y + c * z
        pose[:, _UPPER] = pose[:, :1] + rel
    elif action == 6:  # clap: hands meet in front of the chest
        gap = 0.05 + 0.25 * amp * np.abs(np.cos(phase))
        for wrist, elbow, side in ((13, 12, 1), (16, 15, -1)):
            pose[:, wrist, 0] = side * gap
            pose[:, wrist, 1] = 0.35
            pose[:, wrist, 2] = 1.30
            pose[:, elbow] = [side * 0.25, 0.15, 1.20]
    elif action == 7:  # turn around the vertical axis
        pose = _yaw(pose, (1.2 * amp * np.sin(phase))[:, None])
    else:
        raise ValueError(f'Unknown demo action {action}.')
    pose = _yaw(pose, rng.uniform(-np.pi, np.pi))
    pose[..., :2] += rng.uniform(-1.0, 1.0, size=2)
    pose += rng.normal(0, 0.01, size=pose.shape)
    return pose.astype(np.float32)


def h36m_to_ntu(joints: np.ndarray) -> np.ndarray:
    """(..., 17, 3) Human3.6M joints -> (..., 25, 3) NTU RGB+D joints, the
    hand and foot joints NTU has and Human3.6M lacks extrapolated."""
    j = joints
    fore_l = j[..., 13, :] - j[..., 12, :]
    fore_r = j[..., 16, :] - j[..., 15, :]
    forward = np.zeros_like(j[..., 0, :])
    forward[..., 1] = 0.12
    ntu = [j[..., 0, :], j[..., 7, :], j[..., 9, :], j[..., 10, :],
           j[..., 11, :], j[..., 12, :], j[..., 13, :],
           j[..., 13, :] + 0.3 * fore_l,
           j[..., 14, :], j[..., 15, :], j[..., 16, :],
           j[..., 16, :] + 0.3 * fore_r,
           j[..., 4, :], j[..., 5, :], j[..., 6, :], j[..., 6, :] + forward,
           j[..., 1, :], j[..., 2, :], j[..., 3, :], j[..., 3, :] + forward,
           j[..., 8, :], j[..., 13, :] + 0.55 * fore_l,
           j[..., 13, :] + 0.4 * fore_l + 0.03,
           j[..., 16, :] + 0.55 * fore_r, j[..., 16, :] + 0.4 * fore_r - 0.03]
    return np.stack(ntu, axis=-2)


def h36m_to_coco(joints: np.ndarray) -> np.ndarray:
    """(..., 17, 3) Human3.6M joints -> (..., 17, 3) COCO-17 joints (face
    points placed around the head)."""
    j = joints
    head, neck = j[..., 10, :], j[..., 9, :]
    left = j[..., 11, :] - j[..., 14, :]
    left = left / np.linalg.norm(left, axis=-1, keepdims=True)
    nose = (head + neck) / 2
    coco = [nose, nose + 0.03 * left, nose - 0.03 * left, head + 0.07 * left,
            head - 0.07 * left, j[..., 11, :], j[..., 14, :], j[..., 12, :],
            j[..., 15, :], j[..., 13, :], j[..., 16, :], j[..., 4, :],
            j[..., 1, :], j[..., 5, :], j[..., 2, :], j[..., 6, :],
            j[..., 3, :]]
    return np.stack(coco, axis=-2)


def project_to_image(joints: np.ndarray, rng: np.random.Generator,
                     img_shape: Tuple[int, int] = (480, 640)) -> np.ndarray:
    """Project (T, V, 3) world joints through a random virtual camera
    (pinhole, 3-5 m away, random heading) to (T, V, 2) pixels."""
    h, w = img_shape
    centre = joints[:, 0].mean(0)
    pts = _yaw(joints - centre, rng.uniform(-np.pi, np.pi))
    depth = rng.uniform(3.0, 5.0) - pts[..., 1]  # camera looks along +y
    focal = 0.6 * w  # keeps a 1.9 m body inside the image at 2 m
    u = w / 2 + focal * pts[..., 0] / depth
    v = h / 2 - focal * pts[..., 2] / depth
    return np.stack([u, v], axis=-1).astype(np.float32)


def _annotations(kind: str, num_per_class: int, num_frames: int,
                 rng: np.random.Generator, prefix: str) -> List[dict]:
    annos = []
    for label in range(len(DEMO_ACTIONS)):
        for k in range(num_per_class):
            motion = synthesize_motion(label, num_frames, rng)
            anno = dict(frame_dir=f'{prefix}_A{label:02d}_{k:04d}',
                        label=label, total_frames=num_frames)
            if kind == '3d':
                anno['keypoint'] = h36m_to_ntu(motion)[None]
            else:
                anno['keypoint'] = project_to_image(
                    h36m_to_coco(motion), rng)[None]
                anno['keypoint_score'] = np.ones(
                    anno['keypoint'].shape[:-1], np.float32)
                anno['img_shape'] = (480, 640)
                anno['original_shape'] = (480, 640)
            annos.append(anno)
    return annos


def make_action_pkl(path: str, kind: str, num_train_per_class: int = 40,
                    num_val_per_class: int = 10, num_frames: int = 48,
                    seed: int = 0) -> str:
    """Write a demo MMAction2 skeleton annotation file (splits train/val).

    Args:
        path: output .pkl file.
        kind: ``'3d'`` (NTU-25, metres) or ``'2d'`` (COCO-17, pixels).
    """
    rng = np.random.default_rng(seed)
    train = _annotations(kind, num_train_per_class, num_frames, rng, 'train')
    val = _annotations(kind, num_val_per_class, num_frames, rng, 'val')
    data = dict(split=dict(train=[a['frame_dir'] for a in train],
                           val=[a['frame_dir'] for a in val]),
                annotations=train + val)
    _atomic_pickle(data, path)
    return path


def _atomic_pickle(obj, path: str) -> None:
    """Write a pickle through a temporary file, so that concurrent writers
    (ranks of a distributed launch) and crashes never leave half a file."""
    with atomic_open(path, 'wb') as f:
        pickle.dump(obj, f)


def make_mocap(num_sequences: Dict[str, int], num_frames: int = 200,
               seed: int = 0) -> Dict[str, Dict[str, np.ndarray]]:
    """Demo motion capture in the VideoPose3D ``positions_3d`` layout:
    {subject: {'<Action> <k>': (T, 17, 3) world metres}}, every action
    performed by every subject."""
    rng = np.random.default_rng(seed)
    out: Dict[str, Dict[str, np.ndarray]] = {}
    for subject, count in num_sequences.items():
        out[subject] = {}
        for k in range(count):
            label = k % len(DEMO_ACTIONS)
            name = DEMO_ACTIONS[label].title().replace(' ', '')
            out[subject][f'{name} {k // len(DEMO_ACTIONS) + 1}'] = \
                synthesize_motion(label, num_frames, rng)
    return out


def make_cameras(subjects, distance: float = 4.5, height: float = 1.4,
                 img_size: int = 1000) -> Dict[Tuple[str, str], dict]:
    """Four cameras around the origin per subject, in MMPose's
    ``cameras.pkl`` format (``R`` camera-to-world, ``T`` the camera centre
    in world metres, no lens distortion), under Human3.6M's four camera ids
    (which the Human3.6M tools expect)."""
    from .converters.h36m import H36M_CAMERA_IDS
    cameras = {}
    for index, camera_id in enumerate(H36M_CAMERA_IDS):
        angle = np.pi / 4 + index * np.pi / 2
        centre = np.array([distance * np.cos(angle),
                           distance * np.sin(angle), height])
        forward = np.array([0.0, 0.0, 0.9]) - centre
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        for subject in subjects:
            cameras[(subject, camera_id)] = dict(
                R=np.stack([right, down, forward], axis=1),
                T=centre[:, None], f=np.full((2, 1), 1.2 * img_size),
                c=np.full((2, 1), img_size / 2), k=np.zeros((3, 1)),
                p=np.zeros((2, 1)), w=img_size, h=img_size,
                name=camera_id, id=camera_id)
    return cameras


def make_pose_lifting_data(root: str, seed: int = 0,
                           num_frames: int = 120) -> str:
    """Demo 2D-to-3D lifting data in MMPose's Human3.6M layout under
    ``root`` (subjects S1, S5: split ``train``; S8: split ``val``), written
    by the project's Human3.6M converter from synthetic motion capture and
    cameras, every 5th frame (``annotation_body3d/fps10``). Returns the
    dataset root."""
    from .converters.h36m import convert_h36m
    mocap = make_mocap(dict(S1=8, S5=8, S8=8), num_frames=num_frames,
                       seed=seed)
    source = osp.join(root, 'source')
    os.makedirs(source, exist_ok=True)
    positions = osp.join(source, 'data_3d_demo.npz')
    np.savez_compressed(positions, positions_3d=mocap)
    cameras = osp.join(source, 'cameras.pkl')
    _atomic_pickle(make_cameras(list(mocap)), cameras)
    convert_h36m(positions, cameras, root,
                 splits=(('train', ('S1', 'S5')), ('val', ('S8', ))),
                 downsample=5, show_progress=False)
    return root


#: Recorded with the demo data: data generated by another version of this
#: module (or with other options) is generated again.
DEMO_DATA_VERSION = 2


def prepare_demo_data(root: str = 'data/ups_demo', seed: int = 0,
                      num_train_per_class: int = 40,
                      num_val_per_class: int = 10,
                      num_frames: int = 48) -> Dict[str, str]:
    """Generate the demo dataset under ``root`` unless it is there, made by
    this version with the same options (``prepare_folder``: written to a
    temporary folder and renamed, so a kill leaves no half dataset; the
    ranks of a distributed launch generate it once, the others wait).

    Returns:
        dict: file name -> path, plus ``label_map``.
    """
    files = dict(ar3d='demo_3d.pkl', ar2d='demo_2d.pkl',
                 pe3d=osp.join('h36m_demo', 'annotation_body3d', 'fps10',
                               'h36m_val.npz'),
                 label_map='label_map.txt')
    common = dict(num_train_per_class=num_train_per_class,
                  num_val_per_class=num_val_per_class, num_frames=num_frames)

    def make(folder: str) -> None:
        print(f'Generating the demo dataset in {root} (seed {seed}) ...')
        make_action_pkl(osp.join(folder, files['ar3d']), '3d', seed=seed,
                        **common)
        make_action_pkl(osp.join(folder, files['ar2d']), '2d',
                        seed=seed + 1, **common)
        make_pose_lifting_data(osp.join(folder, 'h36m_demo'), seed=seed + 2)
        with atomic_open(osp.join(folder, files['label_map'])) as f:
            f.write('\n'.join(DEMO_ACTIONS) + '\n')

    prepare_folder(root, list(files.values()),
                   dict(common, seed=seed, version=DEMO_DATA_VERSION), make)
    return {k: osp.join(root, v) for k, v in files.items()}
