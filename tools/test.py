"""Evaluate a checkpoint with an mmengine Runner.

Examples::

    python tools/test.py configs/ups/ups_demo.py work_dirs/ups_demo/iter_600.pth
    python tools/test.py CONFIG CKPT --dump predictions.pkl
    python tools/test.py CONFIG CKPT --metrics-out metrics.json
    bash tools/dist_test.sh CONFIG CKPT 8
"""
import argparse
import json
import os.path as osp

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

import mmups  # noqa: F401  (compatibility shims, registration)
from mmups.datasets.data_check import check_data_files
from mmups.datasets.demo_data import prepare_demo_data
from mmups.evaluation.functional import format_h36m_tables
from mmups.tasks import resolve_tasks
from mmups.utils import (apply_launch_options, atomic_open,
                         enable_config_text_cache, limit_heap_fragmentation,
                         parse_launch_args, register_all_modules,
                         setup_cpu_launch)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (evaluate) a model')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where the test log goes')
    parser.add_argument('--dump', help='also write every prediction (data '
                        'samples as dicts) to this .pkl file')
    parser.add_argument('--metrics-out', help='also write the metrics to '
                        'this .json file')
    return parse_launch_args(parser, argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    limit_heap_fragmentation()  # decoding in validation; see its docstring
    enable_config_text_cache()  # the Runner formats the config five times
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    apply_launch_options(cfg, args.config, args.launcher, args.work_dir,
                         args.cfg_options)
    resolve_tasks(cfg)  # the parts its task declarations define; checked
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'Checkpoint {args.checkpoint} does not '
                                'exist.')
    cfg.load_from = args.checkpoint
    if args.dump:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--dump {args.dump}: the file must end with '
                             '.pkl or .pickle')
        # Not mmengine's DumpResults: it cuts the whole set at its size,
        # which keeps duplicates and drops samples under per-task padding.
        evaluator = cfg.test_evaluator
        evaluator = list(evaluator) if isinstance(evaluator, (list, tuple)) \
            else [evaluator]
        evaluator.append(dict(type='MultiTaskDumpResults',
                              out_file_path=args.dump))
        cfg.test_evaluator = evaluator
    setup_cpu_launch(cfg)  # gloo, and mmengine's launcher, without CUDA
    if cfg.get('demo_data'):  # generated on first use
        prepare_demo_data(**cfg.demo_data)
    check_data_files(cfg)  # names a missing file and its data/README section
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    tables = format_h36m_tables(metrics)
    if tables:  # the Human3.6M protocol's per-action tables (Tables 3-4)
        print_log('\n' + tables, logger='current')
    if args.metrics_out:
        write_metrics(metrics, args.metrics_out)
    return metrics


def write_metrics(metrics: dict, path: str) -> None:
    """Write metrics as JSON (whole or not at all)."""
    with atomic_open(path) as f:
        json.dump({k: float(v) if isinstance(v, (int, float)) else v
                   for k, v in metrics.items()}, f, indent=1, sort_keys=True)


if __name__ == '__main__':
    main()
