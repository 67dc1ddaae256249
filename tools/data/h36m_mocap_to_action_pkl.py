"""Cut Human3.6M motion capture into labelled 3D action clips (MMAction2).

Input: a VideoPose3D-style ``data_3d_h36m.npz`` (``positions_3d``: subject
-> ``'<Action> <take>'`` -> (T, 17 or 32, 3), world frame with Z up,
metres, 50 Hz), e.g. ``../shared/data/h36m_mocap/data_3d_h36m_mocap.npz``.
Output::

    dict(split=dict(train=[...], val=[...], test=[...]),   # by subject
         annotations=[dict(frame_dir='S1_Walking_1_000250', label=int,
                           keypoint=float32 (1, T, 17, 3),  # world metres
                           total_frames=T), ...])

plus the 15 class names (line k = label k, sorted: Directions ...
Walking) in ``--label-map`` (default ``<OUT stem>_label_map.txt``). Details:
:mod:`mmups.datasets.converters.h36m_actions`.

Example (25 Hz, 4 s clips every 2 s; train S1 S5 S6 S7, val S8, test S9
S11 where present)::

    python tools/data/h36m_mocap_to_action_pkl.py \\
        ../shared/data/h36m_mocap/data_3d_h36m_mocap.npz \\
        data/h36m_actions/h36m_actions_3d.pkl
    # other splits: repeat --split NAME SUBJECT...
    python tools/data/h36m_mocap_to_action_pkl.py IN.npz OUT.pkl \\
        --split train S1 S5 S6 S7 S8 --split test S9 S11
"""
import argparse
import pickle
import sys
from typing import List, Optional

from mmups.datasets.converters.common import (
    add_progress_option, print_split_summary, run_conversion)
from mmups.datasets.converters.h36m_actions import (
    DEFAULT_SPLITS, convert_h36m_action_clips)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(
        description='Cut Human3.6M motion capture (VideoPose3D positions_3d '
        'npz) into labelled 3D clips in the MMAction2 skeleton format.')
    parser.add_argument('positions_3d', help='data_3d_h36m.npz (world '
                        'metres, 50 Hz)')
    parser.add_argument('out', help='output pkl')
    parser.add_argument('--fps', type=int, default=25,
                        help='frame rate of the clips, a divisor of 50 '
                        '(default: 25)')
    parser.add_argument('--clip-seconds', type=float, default=4.0,
                        help='clip length in seconds (default: 4)')
    parser.add_argument('--stride-seconds', type=float, default=2.0,
                        help='time between clip starts in seconds '
                        '(default: 2, half a clip)')
    default = '; '.join(f'{n} {" ".join(s)}' for n, s in DEFAULT_SPLITS)
    parser.add_argument('--split', action='append', nargs='+',
                        metavar='NAME_AND_SUBJECTS', dest='splits',
                        help='a split: its name, then its subjects, e.g. '
                        '--split train S1 S5; repeat for each split '
                        f'(default: {default})')
    parser.add_argument('--actions', nargs='+', metavar='ACTION',
                        help="only these action keys, e.g. 'Walking 1'")
    parser.add_argument('--label-map',
                        help='where the 15 class names go (default: '
                        '<OUT stem>_label_map.txt)')
    add_progress_option(parser)
    args = parser.parse_args(argv)
    if args.splits is None:
        args.splits = DEFAULT_SPLITS
    else:
        short = [s for s in args.splits if len(s) < 2]
        if short:
            parser.error(f'--split needs a name and at least one subject, '
                         f'got {short[0]}')
        args.splits = tuple((s[0], tuple(s[1:])) for s in args.splits)
    if args.clip_seconds <= 0 or args.stride_seconds <= 0:
        parser.error('--clip-seconds and --stride-seconds must be > 0')
    return args


def main(argv: Optional[List[str]] = None) -> int:
    """Run the conversion; returns the exit status."""
    args = parse_args(argv)
    result = run_conversion(
        convert_h36m_action_clips,
        args.positions_3d,
        args.out,
        splits=args.splits,
        fps=args.fps,
        clip_seconds=args.clip_seconds,
        stride_seconds=args.stride_seconds,
        actions=args.actions,
        label_map=args.label_map,
        show_progress=not args.no_progress,
        # np.load reads a file that is no npz as a pickle, and fails so.
        errors=(FileNotFoundError, ValueError, pickle.UnpicklingError))
    if result is None:
        return 1
    print_split_summary(result)
    print(f'clips of {result.clip_frames} frames at {result.fps:g} Hz, one '
          f'every {result.stride_frames} frames')
    if result.skipped_subjects:
        print(f'subjects not in {args.positions_3d}, skipped: '
              f'{result.skipped_subjects}')
    print(f'class names written to {result.label_map}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
