"""Tests of the launch helpers in :mod:`mmups.utils.setup_env`: the CPU
launch (opt-in, not applied on import: see tests/utils/test_import.py)."""
import socket

import pytest
import torch
from mmengine.config import Config

from mmups.utils import enable_cpu_dist_launch, setup_cpu_launch

needs_no_cuda = pytest.mark.skipif(
    torch.cuda.is_available(),
    reason='the CPU launch changes nothing where CUDA is available')


@pytest.fixture
def dist_utils(monkeypatch):
    """mmengine's launcher module; its launcher function is put back after
    the test."""
    import mmengine.dist.utils as dist_utils
    monkeypatch.setattr(dist_utils, '_init_dist_pytorch',
                        dist_utils._init_dist_pytorch)
    return dist_utils


@needs_no_cuda
def test_enable_cpu_dist_launch_is_idempotent(dist_utils):
    original = dist_utils._init_dist_pytorch
    assert enable_cpu_dist_launch() is True
    wrapped = dist_utils._init_dist_pytorch
    assert wrapped is not original and wrapped.__wrapped__ is original
    assert enable_cpu_dist_launch() is True
    assert dist_utils._init_dist_pytorch is wrapped


def test_nothing_changes_with_cuda(dist_utils, monkeypatch):
    original = dist_utils._init_dist_pytorch
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert enable_cpu_dist_launch() is False
    cfg = Config(dict(launcher='pytorch'))
    setup_cpu_launch(cfg)
    assert dist_utils._init_dist_pytorch is original
    assert 'env_cfg' not in cfg and 'model_wrapper_cfg' not in cfg


@needs_no_cuda
def test_setup_cpu_launch(dist_utils):
    original = dist_utils._init_dist_pytorch
    cfg = Config(dict(launcher='none'))
    setup_cpu_launch(cfg)  # a single process: nothing to adapt
    assert dist_utils._init_dist_pytorch is original
    assert 'env_cfg' not in cfg

    cfg = Config(dict(launcher='pytorch',
                      env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    setup_cpu_launch(cfg)
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg == dict(type='MMDistributedDataParallel',
                                         device_ids=None)
    assert dist_utils._init_dist_pytorch.__wrapped__ is original


def _init_dist_worker(rank: int, port: int, results) -> None:
    import os

    import torch.distributed as torch_dist
    from mmengine.dist import get_dist_info, init_dist

    from mmups.utils import enable_cpu_dist_launch
    assert enable_cpu_dist_launch()  # in the child process too
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE='2',
                      MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    init_dist('pytorch', backend='nccl')  # what mmengine's Runner asks for
    results[rank] = (get_dist_info(), torch_dist.get_backend())
    torch_dist.destroy_process_group()


@needs_no_cuda
def test_mmengine_pytorch_launcher_on_cpu():
    """Without CUDA, mmengine's launcher path starts gloo process groups
    instead of failing in torch.cuda.set_device."""
    import torch.multiprocessing as mp
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    with mp.Manager() as manager:
        results = manager.dict()
        mp.spawn(_init_dist_worker, args=(port, results), nprocs=2)
        results = dict(results)
    assert results == {0: ((0, 2), 'gloo'), 1: ((1, 2), 'gloo')}
