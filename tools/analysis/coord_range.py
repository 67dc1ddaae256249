"""Print the coordinate range that covers a share of a pose task's training
targets, per axis, to choose ``model.vocabulary.coord_ranges``.

The bins of each axis are spread evenly over its range: a range wider than
the data wastes bins, a narrower one clips values to the outermost bins.

Example::

    python tools/analysis/coord_range.py configs/realbench/ups_realbench_all.py
    python tools/analysis/coord_range.py CONFIG --task pe3d --coverage 0.999
"""
import argparse
from typing import List, Optional

import numpy as np
from mmengine.config import Config, DictAction

import mmups  # noqa: F401  (compatibility shims, registration)
from mmups.codecs import CoordinateQuantizer
from mmups.registry import DATASETS
from mmups.tasks import get_task_kind, resolve_tasks
from mmups.utils import register_all_modules


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('--task', help='pose estimation task of the '
                        'training datasets (default: the first one)')
    parser.add_argument('--coverage', type=float, default=0.999,
                        help='share of each axis\'s values inside its range')
    parser.add_argument('--max-samples', type=int, default=20000,
                        help='read at most this many training samples '
                        '(evenly spread over the dataset)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> np.ndarray:
    args = parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    resolve_tasks(cfg)
    datasets = cfg.train_dataloader.dataset.datasets
    tasks = [t for t in datasets if get_task_kind(t).emits_coordinates]
    task = args.task or (tasks[0] if tasks else None)
    if task not in tasks:
        raise SystemExit(f'{args.config}: no pose estimation task '
                         f'{args.task!r} among the training datasets '
                         f'{list(datasets)}')
    dataset = DATASETS.build(datasets[task])
    picks = np.unique(np.linspace(0, len(dataset) - 1,
                                  min(args.max_samples, len(dataset)))
                      .round().astype(int))
    targets = np.stack([
        np.asarray(dataset[int(i)]['data_samples'].gt_instances.
                   lifting_target) for i in picks])
    ranges = CoordinateQuantizer.covering_ranges(targets, args.coverage)
    current = cfg.model.vocabulary.get('coord_ranges')
    print(f'{task}: {len(picks)} of {len(dataset)} training samples, '
          f'{args.coverage:.1%} of the values of each axis within')
    for axis, (lo, hi) in zip('XYZ', ranges):
        print(f'  {axis}: [{lo:+.3f}, {hi:+.3f}]')
    print('model.vocabulary.coord_ranges=' + repr(tuple(
        (round(float(lo), 3), round(float(hi), 3)) for lo, hi in ranges)) +
        f'  (config: {current!r})')
    return ranges


if __name__ == '__main__':
    main()
