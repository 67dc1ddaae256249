"""Train a model with an mmengine Runner.

Examples::

    python tools/train.py configs/ups/ups_demo.py
    python tools/train.py CONFIG --resume            # from the latest checkpoint
    python tools/train.py CONFIG --amp --cfg-options train_cfg.max_iters=100
    bash tools/dist_train.sh CONFIG 8                 # 8 processes
"""
import argparse

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner, find_latest_checkpoint

import mmups  # noqa: F401  (compatibility shims, registration)
from mmups.datasets.data_check import check_data_files
from mmups.datasets.demo_data import prepare_demo_data
from mmups.tasks import resolve_tasks
from mmups.utils import (apply_launch_options, enable_config_text_cache,
                         limit_heap_fragmentation, parse_launch_args,
                         register_all_modules, setup_cpu_launch)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint, or, without a value, from the '
        'latest checkpoint in the work dir (none yet: start as the config '
        'says, from its load_from if any)')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the actual total '
                        'batch size (config auto_scale_lr.base_batch_size)')
    parser.add_argument('--no-validate', action='store_true',
                        help='skip validation during training')
    parser.add_argument('--seed', type=int, help='random seed')
    parser.add_argument('--deterministic', action='store_true')
    return parse_launch_args(parser, argv)


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line options to the config."""
    apply_launch_options(cfg, args.config, args.launcher, args.work_dir,
                         args.cfg_options)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        latest = find_latest_checkpoint(cfg.work_dir)
        if latest is not None:
            cfg.resume, cfg.load_from = True, latest
        else:
            # Nothing to resume yet: start as the config says, from its
            # load_from where it has one (a fine-tune config). mmengine
            # would otherwise resume from load_from, or drop it.
            cfg.resume = False
            print_log(f'--resume: no checkpoint in {cfg.work_dir} yet; '
                      'starting from ' + (cfg.get('load_from') or 'scratch'),
                      logger='current')
    elif args.resume:
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        cfg.setdefault('auto_scale_lr', {})['enable'] = True
    if args.no_validate:
        for key in ('val_cfg', 'val_dataloader', 'val_evaluator'):
            cfg[key] = None
    if args.seed is not None or args.deterministic:
        randomness = cfg.setdefault('randomness', {})
        if args.seed is not None:
            randomness['seed'] = args.seed
        if args.deterministic:
            randomness['deterministic'] = True
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    limit_heap_fragmentation()  # decoding in validation; see its docstring
    enable_config_text_cache()  # the Runner formats the config five times
    register_all_modules(init_default_scope=False)
    cfg = merge_args(Config.fromfile(args.config), args)
    setup_cpu_launch(cfg)  # gloo, and mmengine's launcher, without CUDA
    if cfg.get('demo_data'):  # generated on first use
        prepare_demo_data(**cfg.demo_data)
    resolve_tasks(cfg)  # the parts its task declarations define; checked
    check_data_files(cfg)  # names a missing file and its data/README section
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
