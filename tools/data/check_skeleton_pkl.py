"""Check and summarise an MMAction2 skeleton annotation pkl.

Works on the outputs of the converters in ``tools/data/`` and on pkl files
made elsewhere in the same format (e.g. MMAction2's HRNet COCO-17 2D
annotations of Kinetics-400, NTU RGB+D, UCF101 or HMDB51). Prints the
splits, counts, shapes, value ranges and the joint layout inferred from the
number of joints V (17 -> coco in 2D / h36m in 3D, 18 -> openpose,
25 -> nturgb+d, 13 -> penn_action), then every problem found (missing keys,
wrong dims, NaN, total_frames != T, split names without annotation ...).
Exits with status 1 if there is a problem. MMAction2's compressed
Kinetics-400 form (joints in one file per clip) is checked with
``--skeleton-dir``.

Examples::

    python tools/data/check_skeleton_pkl.py data/skeleton/ntu60_3d.pkl
    python tools/data/check_skeleton_pkl.py data/skeleton/k400_2d.pkl \
        --skeleton-dir data/skeleton/kpfiles --limit 1000
"""
import argparse
import sys
from typing import List, Optional

from mmups.datasets.converters.common import run_conversion
from mmups.datasets.formats import load_pickle
from mmups.datasets.converters.skeleton_pkl import \
    inspect_skeleton_data


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(
        description='Check the structure of an MMAction2 skeleton '
        'annotation pkl and print a summary.')
    parser.add_argument('pkl', help='annotation file (.pkl)')
    parser.add_argument('--skeleton-dir',
                        help='folder of per-clip <frame_dir>.pkl files with '
                        'the joints of annotations that lack "keypoint" '
                        "(MMAction2's Kinetics-400 kpfiles)")
    parser.add_argument('--limit', type=int,
                        help='only check the first N annotations')
    parser.add_argument('--max-problems', type=int, default=20,
                        help='problems printed at most (default: 20)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Check the file; returns 0 if it is fine, 1 otherwise."""
    args = parse_args(argv)
    # In a list: a file that holds None is not a file that failed to load.
    loaded = run_conversion(lambda path: [load_pickle(path)], args.pkl)
    if loaded is None:
        return 1
    report = inspect_skeleton_data(loaded[0], args.skeleton_dir, args.limit)
    print(f'{args.pkl}:')
    print(report.format(args.max_problems))
    return 0 if report.ok else 1


if __name__ == '__main__':
    sys.exit(main())
