"""The files of the real-data benchmark ("realbench"): Penn Action and the
Human3.6M motion capture converted for ``configs/realbench/``.

:func:`prepare_realbench_data` runs the converters of this package
(:mod:`.penn_action`, :mod:`.h36m`, :mod:`.h36m_actions`) on the real data
kept beside the project (``../shared/data``: Penn Action labels, the
Human3.6M motion capture of S1, S5, S6, S7, S8 and the real cameras) and
writes what ``configs/realbench/`` reads::

    <out_root>/
      penn_action/penn_action_2d.pkl           # 2D AR / EAP (13 joints, px)
      penn_action/penn_action_label_map.txt    # 15 classes
      h36m_mocap/annotation_body3d/cameras.pkl           # PE (MMPose)
      h36m_mocap/annotation_body3d/fps10/h36m_<split>.npz
      h36m_actions/h36m_actions_3d.pkl         # 3D AR / EAP clips
      h36m_actions/h36m_actions_label_map.txt  # 15 classes

Choices (shared with the configs; data/README.md, section "Realbench (Penn
Action, Human3.6M mocap)"):

* Penn Action: the official training clips split per class into
  ``train_sub`` / ``val_sub`` (20 %, seed 0); the shared copy has no test
  clips.
* Human3.6M, splits by subject: train S1 S5 S6 S7, val S8, test S9 S11
  (written only where the data has them).
* Pose estimation: every 5th frame (50 -> 10 Hz, MMPose's usual rate),
  all four cameras, 2D keypoints projected through the real cameras.
* Action clips: 25 Hz, 4 s clips every 2 s, world frame as given.

``quick=True`` writes small versions (a few clips per class, one subject
and camera per pose-estimation split) into ``data/realbench_quick`` for
end-to-end runs in minutes; point the configs at it with
``MMUPS_REALBENCH_ROOT=data/realbench_quick``.

Each part is written into a temporary folder beside its final place and
renamed into place when complete, so an interrupted run never leaves a
half-written part, and a part whose files and options are already there
is skipped.
"""
import os
import os.path as osp
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import numpy as np

from mmups.datasets.formats import load_pickle
from mmups.utils.fileio import prepare_folder
from .common import dump_pickle
from .h36m import H36M_CAMERA_IDS, convert_h36m, load_positions
from .h36m_actions import (DEFAULT_SPLITS, SOURCE_FPS,
                           convert_h36m_action_clips)
from .penn_action import convert_penn_action

REALBENCH_ROOT = 'data/realbench'
QUICK_ROOT = 'data/realbench_quick'
#: Where the inputs are, below ``shared_root``.
PENN_LABELS = 'penn_action/labels'
H36M_POSITIONS = 'h36m_mocap/data_3d_h36m_mocap.npz'
H36M_CAMERAS = 'h36m_mocap/cameras.pkl'
#: Outputs, below ``out_root`` (the configs use the same names).
OUTPUTS = dict(
    penn_ann_file='penn_action/penn_action_2d.pkl',
    penn_label_map='penn_action/penn_action_label_map.txt',
    h36m_pe_root='h36m_mocap',
    h36m_cameras='h36m_mocap/annotation_body3d/cameras.pkl',
    h36m_action_ann_file='h36m_actions/h36m_actions_3d.pkl',
    h36m_action_label_map='h36m_actions/h36m_actions_label_map.txt')
#: Human3.6M subjects of each split (pose estimation and action clips).
H36M_SPLITS = DEFAULT_SPLITS
PENN_VAL_FRACTION = 0.2
PENN_SEED = 0
#: Pose estimation: keep every 5th frame, 50 Hz -> 10 Hz.
PE_DOWNSAMPLE = 5
ACTION_FPS = 25
CLIP_SECONDS = 4.0
STRIDE_SECONDS = 2.0
#: quick=True: clips kept per class in the training and the validation
#: split (Penn Action's train_sub / val_sub, Human3.6M's first two splits),
#: evenly spread over the class's clips.
QUICK_CLIPS_PER_CLASS = (6, 2)
#: quick=True, pose estimation: one subject and camera per split, and
#: 50 Hz frames [first, first + count) of every take (after the T-pose
#: that starts many takes): 8 s per take to train on, 2 s to validate (the
#: 1.4 s windows of future pose prediction fit in).
QUICK_PE_SPLITS = (('train', ('S1', )), ('val', ('S8', )))
QUICK_PE_FRAMES = dict(train=(100, 400), val=(100, 100))


def _pe_npz(split: str) -> str:
    """The pose-estimation file of a split, below ``out_root``."""
    fps = SOURCE_FPS // PE_DOWNSAMPLE
    return f'{OUTPUTS["h36m_pe_root"]}/annotation_body3d/fps{fps}/' \
        f'h36m_{split}.npz'


def check_shared_data(shared_root: str) -> Dict[str, str]:
    """Paths of the inputs below ``shared_root``.

    Raises:
        FileNotFoundError: naming the first missing folder or file.
    """
    how = ('realbench needs Penn Action labels and the Human3.6M motion '
           'capture there (data/README.md, section "Realbench (Penn Action, '
           'Human3.6M mocap)")')
    if not osp.isdir(shared_root):
        raise FileNotFoundError(f'shared data folder '
                                f'{osp.abspath(shared_root)} does not exist; '
                                f'{how}')
    paths = dict(penn_labels=osp.join(shared_root, PENN_LABELS),
                 h36m_positions=osp.join(shared_root, H36M_POSITIONS),
                 h36m_cameras=osp.join(shared_root, H36M_CAMERAS))
    if not osp.isdir(paths['penn_labels']):
        raise FileNotFoundError(f'folder {osp.abspath(paths["penn_labels"])} '
                                f'does not exist; {how}')
    for path in (paths['h36m_positions'], paths['h36m_cameras']):
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'folder {osp.abspath(osp.dirname(path))} has no '
                f'{osp.basename(path)}; {how}')
    return paths


def spread_subset(data: Dict[str, Any],
                  per_class: Dict[str, int]) -> Dict[str, Any]:
    """A smaller MMAction2 annotation dict: ``per_class[split]`` samples of
    each class of each named split, evenly spread over the class's samples
    in split order; other splits keep only samples that stay.

    Args:
        data: ``dict(split=..., annotations=[dict(frame_dir, label, ...)])``.
        per_class: split name -> samples per class to keep.
    """
    labels = {a['frame_dir']: a['label'] for a in data['annotations']}
    keep = set()
    for split, count in per_class.items():
        by_class: Dict[int, list] = {}
        for name in data['split'].get(split, []):
            by_class.setdefault(labels[name], []).append(name)
        for names in by_class.values():
            picks = np.linspace(0, len(names) - 1, min(count, len(names)))
            keep.update(names[int(round(i))] for i in picks)
    return dict(
        split={k: [n for n in v if n in keep]
               for k, v in data['split'].items()},
        annotations=[a for a in data['annotations'] if a['frame_dir'] in keep])


def _shrink_pkl(path: str, per_class: Dict[str, int]) -> None:
    dump_pickle(spread_subset(load_pickle(path), per_class), path)


def _build_part(out_root: str, part: str, files: Sequence[str],
                options: Dict[str, Any], make: Callable[[str], None]) -> bool:
    """Make ``out_root/part`` with ``make(tmp_folder)`` unless it was made
    with the same options (``prepare_folder``: crash-safe, one process at
    a time, remade when the options change)."""
    return prepare_folder(osp.join(out_root, part), files, options, make,
                          record='realbench_options.json')


def _rel(key: str, part: str) -> str:
    """An output path relative to its part folder."""
    return osp.relpath(OUTPUTS[key], part)


def _make_penn(labels_dir: str, quick: bool) -> Callable[[str], None]:

    def make(folder: str) -> None:
        out = osp.join(folder, _rel('penn_ann_file', 'penn_action'))
        convert_penn_action(
            labels_dir, out, val_fraction=PENN_VAL_FRACTION, seed=PENN_SEED,
            label_map=osp.join(folder,
                               _rel('penn_label_map', 'penn_action')),
            show_progress=False)
        if quick:
            _shrink_pkl(out, dict(zip(('train_sub', 'val_sub'),
                                      QUICK_CLIPS_PER_CLASS)))

    return make


def _make_h36m_actions(positions: str, splits, quick: bool
                       ) -> Callable[[str], None]:

    def make(folder: str) -> None:
        out = osp.join(folder, _rel('h36m_action_ann_file', 'h36m_actions'))
        convert_h36m_action_clips(
            positions, out, splits=splits, fps=ACTION_FPS,
            clip_seconds=CLIP_SECONDS, stride_seconds=STRIDE_SECONDS,
            label_map=osp.join(
                folder, _rel('h36m_action_label_map', 'h36m_actions')),
            show_progress=False)
        if quick:
            names = [name for name, _ in splits[:2]]
            _shrink_pkl(out, dict(zip(names, QUICK_CLIPS_PER_CLASS)))

    return make


def quick_positions(positions: Dict[str, Dict[str, np.ndarray]]
                    ) -> Dict[str, Dict[str, np.ndarray]]:
    """The frames of :data:`QUICK_PE_FRAMES` of the subjects of
    :data:`QUICK_PE_SPLITS` (the motion capture of quick pose
    estimation)."""
    out = {}
    for split, subjects in QUICK_PE_SPLITS:
        first, count = QUICK_PE_FRAMES[split]
        for subject in subjects:
            out[subject] = {action: seq[first:first + count]
                            for action, seq in positions[subject].items()}
    return out


def _make_h36m_pe(positions: str, cameras: str, splits,
                  quick: bool) -> Callable[[str], None]:

    def make(folder: str) -> None:
        source, camera_ids = positions, H36M_CAMERA_IDS
        if quick:
            source = osp.join(folder, 'quick_positions.npz')
            np.savez(source, positions_3d=quick_positions(
                load_positions(positions, 'positions_3d')))
            camera_ids = H36M_CAMERA_IDS[:1]
        convert_h36m(source, cameras, folder, splits=splits,
                     camera_ids=camera_ids, downsample=PE_DOWNSAMPLE,
                     show_progress=False)
        if quick:
            os.remove(source)

    return make


def prepare_realbench_data(
        shared_root: str = '../shared/data',
        out_root: Optional[str] = None,
        quick: bool = False,
        h36m_splits: Sequence[Tuple[str, Sequence[str]]] = H36M_SPLITS
) -> Dict[str, str]:
    """Make the realbench files (module docstring) unless they are there.

    Args:
        shared_root: folder with ``penn_action/labels/`` and
            ``h36m_mocap/{data_3d_h36m_mocap.npz,cameras.pkl}``.
        out_root: where the files go (default ``data/realbench``, or
            ``data/realbench_quick`` with ``quick``).
        quick: small versions, for end-to-end runs in minutes.
        h36m_splits: (split name, subjects) of Human3.6M, for pose
            estimation and action clips alike; the first two must have
            subjects in the data (quick: fixed to train S1, val S8 for pose
            estimation).

    Returns:
        ``out_root`` and the paths of :data:`OUTPUTS`, plus
        ``h36m_pe_<split>`` (the npz of each of the first two splits).

    Raises:
        FileNotFoundError: ``shared_root`` or an input in it is missing
            (the message names the folder).
    """
    sources = check_shared_data(shared_root)
    out_root = out_root or (QUICK_ROOT if quick else REALBENCH_ROOT)
    h36m_splits = tuple((name, tuple(subjects))
                        for name, subjects in h36m_splits)
    pe_splits = QUICK_PE_SPLITS if quick else h36m_splits
    common = dict(quick=quick, shared_root=osp.abspath(shared_root))

    _build_part(out_root, 'penn_action',
                [_rel('penn_ann_file', 'penn_action'),
                 _rel('penn_label_map', 'penn_action')],
                dict(common, val_fraction=PENN_VAL_FRACTION, seed=PENN_SEED),
                _make_penn(sources['penn_labels'], quick))
    pe_files = {name: _pe_npz(name) for name, _ in pe_splits[:2]}
    _build_part(out_root, 'h36m_mocap',
                [_rel('h36m_cameras', 'h36m_mocap')] +
                [osp.relpath(p, 'h36m_mocap') for p in pe_files.values()],
                # The quick frames in the settings: a change rebuilds.
                dict(common, splits=pe_splits, downsample=PE_DOWNSAMPLE,
                     **(dict(frames=QUICK_PE_FRAMES) if quick else {})),
                _make_h36m_pe(sources['h36m_positions'],
                              sources['h36m_cameras'], pe_splits, quick))
    _build_part(out_root, 'h36m_actions',
                [_rel('h36m_action_ann_file', 'h36m_actions'),
                 _rel('h36m_action_label_map', 'h36m_actions')],
                dict(common, splits=h36m_splits, fps=ACTION_FPS,
                     clip_seconds=CLIP_SECONDS,
                     stride_seconds=STRIDE_SECONDS),
                _make_h36m_actions(sources['h36m_positions'], h36m_splits,
                                   quick))

    paths = dict(out_root=out_root)
    paths.update({k: osp.join(out_root, v) for k, v in OUTPUTS.items()})
    paths.update({f'h36m_pe_{k}': osp.join(out_root, v)
                  for k, v in pe_files.items()})
    return paths
