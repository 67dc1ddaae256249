"""tools/benchmarks/peers.py: UPS' inputs in the layouts of its peers (the
peers themselves run in tests/tools/test_benchmark.py)."""
import os.path as osp

import torch

from peers import STGCN_CONFIG, stgcn_inputs, tcn_inputs


def test_stgcn_inputs():
    poses = torch.randn(2, 1, 5, 4, 2)  # (N, M, T, V, C)
    x = stgcn_inputs(poses)
    assert x.shape == (2, 1, 1, 5, 4, 3)
    assert torch.equal(x[:, 0, ..., :2], poses)
    assert torch.equal(x[..., 2], torch.ones(2, 1, 1, 5, 4))  # the score
    poses = torch.randn(2, 2, 5, 4, 3)
    assert torch.equal(stgcn_inputs(poses)[:, 0], poses)


def test_tcn_inputs():
    poses = torch.randn(2, 1, 5, 4, 2)
    x = tcn_inputs(poses)
    assert x.shape == (2, 4 * 2, 5)
    # channel v * 2 + c, frame t: joint v's coordinate c at frame t
    assert x[1, 3 * 2 + 1, 4] == poses[1, 0, 4, 3, 1]


def test_stgcn_config_is_in_the_repository():
    assert osp.isfile(STGCN_CONFIG)
