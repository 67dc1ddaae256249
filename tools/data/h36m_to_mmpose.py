"""Prepare Human3.6M for MMPose's ``Human36mDataset`` (and 3D actions).

Input: VideoPose3D-style ``data_3d_h36m.npz`` (world metres), MMPose's
``cameras.pkl`` and optionally a 2D file ``data_2d_h36m_<source>.npz``.
Output, under OUT_DIR (MMPose's ``data_root``)::

    annotation_body3d/cameras.pkl
    annotation_body3d/fps50/h36m_train.npz      # imgname, center, scale,
    annotation_body3d/fps50/h36m_test.npz       # part (N,17,3) pixels,
                                                # S (N,17,4) camera metres
    annotation_body3d/fps50/joint{2,3}d{,_rel}_stats.pkl
    joint_2d_det_files/<source>_{train,test}.npy  # with --det-2d
    h36m_action_3d.pkl, h36m_action_label_map.txt  # --actions-as-labels

Without a 2D file the 2D keypoints are the 3D joints projected through each
camera with Human3.6M's distortion model. ``fps50`` becomes
``fps<50 // k>`` with ``--downsample k``: MMPose keeps a data dict with all
window frames per sample, so the full 50 Hz training split with 27-frame
windows takes roughly 20 GB of memory; ``--downsample 2`` halves that.
Details: :mod:`mmups.datasets.converters.h36m`.

Examples::

    # the usual protocol (S9, S11 as test subjects)
    python tools/data/h36m_to_mmpose.py data/h36m/data_3d_h36m.npz \\
        data/h36m/cameras.pkl data/h36m --actions-as-labels
    # a file without S9 / S11: validate on S8
    python tools/data/h36m_to_mmpose.py data_3d_h36m_mocap.npz cameras.pkl \\
        data/h36m --train-subjects S1 S5 S6 S7 --test-subjects S8
"""
import argparse
import sys
from typing import List, Optional

from mmups.datasets.converters.common import (
    add_progress_option, run_conversion)
from mmups.datasets.converters.h36m import (H36M_CAMERA_IDS,
                                            convert_h36m)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(
        description='Write the Human3.6M annotation files that MMPose\'s '
        'Human36mDataset reads, from VideoPose3D-style npz files and '
        'cameras.pkl.')
    parser.add_argument('positions_3d', help='data_3d_h36m.npz (world '
                        'metres)')
    parser.add_argument('cameras', help='cameras.pkl (MMPose format)')
    parser.add_argument('out_dir', help='dataset root, e.g. data/h36m')
    parser.add_argument('--train-subjects', nargs='+', metavar='S',
                        default=['S1', 'S5', 'S6', 'S7', 'S8'],
                        help='subjects of the first split (default: S1 S5 '
                        'S6 S7 S8)')
    parser.add_argument('--test-subjects', nargs='+', metavar='S',
                        default=['S9', 'S11'],
                        help='subjects of the second split (default: S9 '
                        'S11)')
    parser.add_argument('--split-names', nargs=2, default=['train', 'test'],
                        metavar=('TRAIN', 'TEST'),
                        help='names of the two splits, used in the file '
                        'names h36m_<name>.npz (default: train test)')
    parser.add_argument('--subjects', nargs='+', metavar='S',
                        help='only convert these subjects')
    parser.add_argument('--actions', nargs='+', metavar='ACTION',
                        help="only these action keys, e.g. 'Walking 1'")
    parser.add_argument('--camera-ids', nargs='+', metavar='ID',
                        default=list(H36M_CAMERA_IDS),
                        help='cameras to write (default: all four)')
    parser.add_argument('--downsample', type=int, default=1,
                        help='keep every k-th frame (default: 1, 50 Hz)')
    parser.add_argument('--max-frames', type=int,
                        help='only the first N frames of each sequence')
    parser.add_argument('--gt-2d', help='2D npz (positions_2d) written as '
                        'the 2D keypoints instead of projecting the 3D ones')
    parser.add_argument('--det-2d', help='2D detections npz (e.g. '
                        'data_2d_h36m_cpn_ft_h36m_dbb.npz) written to '
                        'joint_2d_det_files/')
    parser.add_argument('--actions-as-labels', action='store_true',
                        help='also write an MMAction2 3D skeleton pkl with '
                        'the 15 action classes as labels, and its label map')
    parser.add_argument('--root-relative', action='store_true',
                        help='action pkl: pelvis-relative joints')
    parser.add_argument('--action-pkl', help='path of the action pkl '
                        '(default: OUT_DIR/h36m_action_3d.pkl)')
    parser.add_argument('--label-map', help='path of the action label map '
                        '(default: OUT_DIR/h36m_action_label_map.txt)')
    add_progress_option(parser)
    args = parser.parse_args(argv)
    if args.downsample < 1:
        parser.error('--downsample must be >= 1')
    if args.split_names[0] == args.split_names[1]:
        parser.error('--split-names must differ')
    return args


def main(argv: Optional[List[str]] = None) -> int:
    """Run the conversion; returns the exit status."""
    args = parse_args(argv)
    splits = [(args.split_names[0], args.train_subjects),
              (args.split_names[1], args.test_subjects)]
    result = run_conversion(
        convert_h36m,
        args.positions_3d,
        args.cameras,
        args.out_dir,
        splits=splits,
        subjects=args.subjects,
        actions=args.actions,
        camera_ids=args.camera_ids,
        downsample=args.downsample,
        max_frames=args.max_frames,
        gt_2d_file=args.gt_2d,
        det_2d_file=args.det_2d,
        actions_as_labels=args.actions_as_labels,
        root_relative=args.root_relative,
        action_pkl=args.action_pkl,
        label_map=args.label_map,
        show_progress=not args.no_progress,
        errors=(FileNotFoundError, ValueError))
    if result is None:
        return 1
    for name, path in result.npz_files.items():
        print(f'{name}: {result.num_frames[name]} frames -> {path}')
    if result.skipped_subjects:
        print(f'subjects not in {args.positions_3d}, skipped: '
              f'{result.skipped_subjects}')
    print(f'cameras -> {result.cameras_file}')
    for name, path in result.det_files.items():
        print(f'{name} 2D detections -> {path}')
    if result.action_pkl:
        print(f'action annotations -> {result.action_pkl}, class names -> '
              f'{result.label_map}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
