"""Registration and launch helpers of the ``tools/`` entry points, as
MMAction2 / MMPose provide them."""
import argparse
import datetime
import warnings
from typing import List, Optional

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmups module that registers components.

    Args:
        init_default_scope: also make ``mmups`` the current default scope
            (a new instance is created if another scope is current).
    """
    import mmups.codecs  # noqa: F401,F811
    import mmups.datasets  # noqa: F401,F811
    import mmups.engine  # noqa: F401,F811
    import mmups.evaluation  # noqa: F401,F811
    import mmups.models  # noqa: F401,F811

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('mmups'):
        DefaultScope.get_instance('mmups', scope_name='mmups')
    elif current.scope_name != 'mmups':
        warnings.warn(f'The current default scope "{current.scope_name}" is '
                      'not "mmups"; register_all_modules creates a new one.')
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S%f')
        DefaultScope.get_instance(f'mmups-{stamp}', scope_name='mmups')


def enable_cpu_dist_launch() -> bool:
    """Let mmengine's PyTorch launcher start processes without CUDA.

    Why: ``mmengine.dist.utils._init_dist_pytorch`` calls
    ``torch.cuda.set_device(local_rank)`` whenever no MLU/NPU/MUSA device is
    present, which fails on a machine without CUDA, so a distributed launch
    (``tools/dist_train.sh``) could not run on CPUs. Where CUDA is
    unavailable, the function is wrapped: it skips ``set_device`` and, as
    NCCL needs CUDA, initialises the process group with gloo when asked for
    nccl. With CUDA nothing is changed. Not applied by ``import mmups``:
    :func:`setup_cpu_launch` calls it; call it yourself before
    ``mmengine.dist.init_dist`` otherwise. Calling it again changes nothing.

    Returns:
        bool: whether the launcher is wrapped (CUDA is unavailable).
    """
    import torch
    if torch.cuda.is_available():
        return False
    import mmengine.dist.utils as dist_utils
    original = dist_utils._init_dist_pytorch
    if getattr(original, '_mmups_cpu_dist', False):
        return True

    def init_dist_pytorch(backend: str, init_backend: str = 'torch',
                          **kwargs) -> None:
        if init_backend != 'torch':
            return original(backend, init_backend=init_backend, **kwargs)
        import torch.distributed as torch_dist
        torch_dist.init_process_group(
            backend='gloo' if backend == 'nccl' else backend, **kwargs)

    init_dist_pytorch._mmups_cpu_dist = True
    init_dist_pytorch.__wrapped__ = original
    dist_utils._init_dist_pytorch = init_dist_pytorch
    return True


def setup_cpu_launch(cfg) -> None:
    """Adapt a config, and mmengine's launcher, for a distributed launch on
    machines without CUDA.

    NCCL needs CUDA, so the processes talk through gloo; and
    DistributedDataParallel refuses ``device_ids`` for a model on the CPU,
    which mmengine's Runner passes by default. mmengine's launcher is made
    to start without CUDA with :func:`enable_cpu_dist_launch`. Nothing
    changes when CUDA is available or the launcher is ``none``.
    """
    import torch
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return
    enable_cpu_dist_launch()
    env = cfg.setdefault('env_cfg', {})
    env.setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def parse_launch_args(parser: 'argparse.ArgumentParser',
                      argv: Optional[List[str]] = None
                      ) -> 'argparse.Namespace':
    """Add the options ``tools/train.py`` and ``tools/test.py`` share
    (``--cfg-options``, ``--launcher``, ``--local-rank``) to ``parser`` and
    parse ``argv``. ``LOCAL_RANK`` is set from ``--local-rank`` where the
    launcher did not set it (``torch.distributed.launch`` passes the flag,
    ``torchrun`` the variable)."""
    import os

    from mmengine.config import DictAction
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def apply_launch_options(cfg, config_path: str, launcher: str = 'none',
                         work_dir=None, cfg_options=None) -> None:
    """What ``tools/train.py`` and ``tools/test.py`` do alike with their
    command line: merge ``--cfg-options``, set the launcher, and choose the
    work directory (``--work-dir``, the config's, or
    ``./work_dirs/<config name>``)."""
    import os.path as osp
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.launcher = launcher
    if work_dir:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config_path))[0])
