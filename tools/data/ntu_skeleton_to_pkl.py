"""Convert NTU RGB+D 60 / 120 ``.skeleton`` files to an MMAction2 pkl.

The output is what MMAction2's ``PoseDataset`` reads::

    dict(split=dict(xsub_train=[...], xsub_val=[...],
                    xview_train=[...], xview_val=[...]),   # NTU60
                                       # NTU120: xset_train / xset_val
         annotations=[dict(frame_dir='S001C001P001R001A001',
                           label=0,                       # A001 -> 0
                           keypoint=float32 (M, T, 25, 3),  # metres
                           total_frames=T), ...])

Which bodies are kept when the Kinect reports several (noise filtered by
length and spread, the rest ranked by motion, bodies of one actor under
several bodyIDs merged) is described in
:mod:`mmups.datasets.formats.ntu_skeleton`; ``--min-body-frames``,
``--max-width-ratio``, ``--flat-fraction`` and ``--merge-overlap`` set its
thresholds. Clips without any body are left out and listed in
``<out without .pkl>.missing.txt``.

Example::

    python tools/data/ntu_skeleton_to_pkl.py data/ntu/nturgb+d_skeletons \\
        data/skeleton/ntu60_3d.pkl --num-classes 60 \\
        --missing-list data/ntu/ntu60_missing_skeletons.txt --nproc 8
"""
import argparse
import sys
from typing import List, Optional

from mmups.datasets.converters.common import (
    add_progress_option, print_split_summary, run_conversion)
from mmups.datasets.converters.ntu import convert_ntu
from mmups.datasets.formats.ntu_skeleton import DEFAULT_BODY_RULES, BodyRules

#: (option, BodyRules field, type, help) of the body rule's thresholds.
_RULE_OPTIONS = (
    ('--min-body-frames', 'min_frames', int,
     'drop bodies seen in fewer frames'),
    ('--max-width-ratio', 'max_width_ratio', float,
     'a body is flat in a frame where its x-span exceeds this times its '
     'y-span'),
    ('--flat-fraction', 'flat_fraction', float,
     'drop bodies flat in at least this fraction of their frames'),
    ('--merge-overlap', 'merge_overlap', int,
     'frames two bodies may share and still be merged into one actor'),
)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(
        description='Convert NTU RGB+D .skeleton files to an MMAction2 '
        'skeleton annotation pkl.')
    parser.add_argument('skeleton_dir',
                        help='folder of SsssCcccPpppRrrrAaaa.skeleton files')
    parser.add_argument('out',
                        help='output pkl, e.g. data/skeleton/ntu60_3d.pkl')
    parser.add_argument('--num-classes', type=int, choices=(60, 120),
                        default=60,
                        help='60: keep A001-A060, splits xsub / xview; '
                        '120: keep all, splits xsub / xset (default: 60)')
    parser.add_argument('--max-persons', type=int, default=2,
                        help='actors kept per clip (default: 2)')
    for option, name, kind, text in _RULE_OPTIONS:
        default = getattr(DEFAULT_BODY_RULES, name)
        parser.add_argument(option, dest=name, type=kind, default=default,
                            help=f'{text} (default: {default})')
    parser.add_argument('--missing-list',
                        help='text file of sample names to skip, one a line '
                        '(e.g. the official list of samples with missing '
                        'skeletons)')
    parser.add_argument('--skip-bad', action='store_true',
                        help='report malformed files and go on instead of '
                        'stopping at the first one')
    parser.add_argument('--nproc', type=int, default=1,
                        help='worker processes (default: 1)')
    add_progress_option(parser)
    args = parser.parse_args(argv)
    try:
        args.rules = BodyRules(
            **{name: getattr(args, name)
               for _, name, _, _ in _RULE_OPTIONS})
    except ValueError as e:  # a usage error, not a traceback
        parser.error(str(e))
    return args


def main(argv: Optional[List[str]] = None) -> int:
    """Run the conversion; returns the exit status."""
    args = parse_args(argv)
    result = run_conversion(
        convert_ntu,
        args.skeleton_dir,
        args.out,
        num_classes=args.num_classes,
        max_persons=args.max_persons,
        rules=args.rules,
        missing_list=args.missing_list,
        skip_bad=args.skip_bad,
        nproc=args.nproc,
        show_progress=not args.no_progress)
    if result is None:
        return 1
    print_split_summary(result)
    if result.skipped_listed:
        print(f'skipped {len(result.skipped_listed)} samples named in '
              f'{args.missing_list}')
    print(f'{len(result.missing)} files without any skeleton, listed in '
          f'{result.missing_file}')
    if result.bad:
        print(f'{len(result.bad)} malformed files skipped')
    return 0


if __name__ == '__main__':
    sys.exit(main())
