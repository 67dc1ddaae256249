"""Convert ST-GCN's Kinetics-skeleton release to an MMAction2 2D pkl.

Input: the release folder with ``kinetics_train/``, ``kinetics_val/`` (one
JSON file per clip) and ``kinetics_{train,val}_label.json``. Output::

    dict(split=dict(train=[...], val=[...]),
         annotations=[dict(frame_dir=video_id, label=int,
                           keypoint=float32 (M, T, 18, 2),  # pixels
                           keypoint_score=float32 (M, T, 18),
                           total_frames=T, img_shape=(256, 340),
                           original_shape=(256, 340)), ...])

Coordinates are scaled from the release's [0, 1] to pixels of the 340 x 256
frames OpenPose ran on (``--keep-normalized`` keeps [0, 1] with
``img_shape`` (1, 1)). Per frame the ``--max-persons`` skeletons with the
highest mean score are kept. Details: :mod:`mmups.datasets.converters.
kinetics_skeleton`. The class names (line k = label k) are written to
``--label-map``. With ``--skeleton-dir DIR`` each clip's ``keypoint`` and
``keypoint_score`` go to ``DIR/<video_id>.pkl`` instead, and the output pkl
keeps the rest (MMAction2's layout of its Kinetics-400 HRNet skeletons, read
one clip at a time): the configs read this layout, because the whole release
in one pkl costs about 31 GB of memory in every training process.

Example::

    python tools/data/kinetics_skeleton_to_pkl.py \\
        data/kinetics400/kinetics-skeleton \\
        data/kinetics400/k400_openpose18_2d.pkl \\
        --skeleton-dir data/kinetics400/kpfiles_openpose18 \\
        --label-map data/label_maps/kinetics400_openpose18.txt
"""
import argparse
import sys
from typing import List, Optional

from mmups.datasets.converters.common import (
    add_progress_option, print_split_summary, run_conversion)
from mmups.datasets.converters.kinetics_skeleton import \
    convert_kinetics_skeleton


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(
        description='Convert the Kinetics-skeleton JSON release (OpenPose '
        '18 joints) to an MMAction2 skeleton annotation pkl.')
    parser.add_argument('root', help='release folder with kinetics_train/, '
                        'kinetics_val/ and kinetics_{train,val}_label.json')
    parser.add_argument('out', help='output pkl')
    parser.add_argument('--max-persons', type=int, default=2,
                        help='skeletons kept per frame (default: 2)')
    parser.add_argument('--keep-normalized', action='store_true',
                        help='keep the [0, 1] coordinates of the release '
                        '(img_shape (1, 1)) instead of pixels')
    parser.add_argument('--img-shape', type=int, nargs=2, default=(256, 340),
                        metavar=('H', 'W'),
                        help='frame size the coordinates are scaled to '
                        '(default: 256 340, the size OpenPose ran on)')
    parser.add_argument('--label-map',
                        help='write the class names here (line k = label k)')
    parser.add_argument('--skeleton-dir',
                        help='write the joints of each clip to '
                        'SKELETON_DIR/<video_id>.pkl (read one clip at a '
                        'time) instead of into the output pkl')
    parser.add_argument('--limit', type=int,
                        help='convert at most this many clips per split')
    add_progress_option(parser)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the conversion; returns the exit status."""
    args = parse_args(argv)
    result = run_conversion(
        convert_kinetics_skeleton,
        args.root,
        args.out,
        max_persons=args.max_persons,
        keep_normalized=args.keep_normalized,
        img_shape=tuple(args.img_shape),
        label_map=args.label_map,
        skeleton_dir=args.skeleton_dir,
        limit=args.limit,
        show_progress=not args.no_progress)
    if result is None:
        return 1
    print_split_summary(result)
    print(f'{len(result.no_skeleton)} clips without skeleton left out')
    if result.not_found:
        print(f'{len(result.not_found)} clips of the label index have no '
              f'JSON file, e.g. {result.not_found[:3]}')
    if result.label_map:
        print(f'class names written to {result.label_map}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
