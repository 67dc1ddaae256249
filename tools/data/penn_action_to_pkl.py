"""Convert Penn Action's ``labels/*.mat`` files to an MMAction2 2D pkl.

Output::

    dict(split=dict(train=[...], test=[...],          # official
                    train_sub=[...], val_sub=[...]),  # stratified, of train
         annotations=[dict(frame_dir='0001', label=int,
                           keypoint=float32 (1, T, 13, 2),   # pixels
                           keypoint_score=float32 (1, T, 13),  # visibility
                           img_shape=(H, W), original_shape=(H, W),
                           total_frames=T), ...])

Labels index the 15 classes in alphabetical order (baseball_pitch = 0 ...
tennis_serve = 14); the list is written to ``--label-map``.

Example::

    python tools/data/penn_action_to_pkl.py data/penn_action/labels \\
        data/penn_action/penn_action_2d.pkl \\
        --label-map data/label_maps/penn_action.txt
"""
import argparse
import sys
from typing import List, Optional

from mmups.datasets.converters.common import (
    add_progress_option, print_split_summary, run_conversion)
from mmups.datasets.converters.penn_action import \
    convert_penn_action


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(
        description='Convert Penn Action labels/*.mat files to an MMAction2 '
        'skeleton annotation pkl.')
    parser.add_argument('labels_dir', help='the labels/ folder of Penn Action')
    parser.add_argument('out', help='output pkl')
    parser.add_argument('--val-fraction', type=float, default=0.2,
                        help='share of each class of the official training '
                        'clips put in split val_sub (the rest: train_sub); '
                        '0 writes neither (default: 0.2)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the train_sub / val_sub split '
                        '(default: 0)')
    parser.add_argument('--label-map',
                        help='write the 15 class names here (line k = label '
                        'k)')
    parser.add_argument('--limit', type=int,
                        help='convert only the first N files (by name)')
    add_progress_option(parser)
    args = parser.parse_args(argv)
    if not 0 <= args.val_fraction < 1:
        parser.error('--val-fraction must be in [0, 1)')
    return args


def main(argv: Optional[List[str]] = None) -> int:
    """Run the conversion; returns the exit status."""
    args = parse_args(argv)
    result = run_conversion(
        convert_penn_action,
        args.labels_dir,
        args.out,
        val_fraction=args.val_fraction,
        seed=args.seed,
        label_map=args.label_map,
        limit=args.limit,
        show_progress=not args.no_progress)
    if result is None:
        return 1
    print_split_summary(result)
    if result.label_map:
        print(f'class names written to {result.label_map}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
