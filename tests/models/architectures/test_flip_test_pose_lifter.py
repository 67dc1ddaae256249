"""FlipTestPoseLifter: MMPose's TCN PoseLifter with a working flip test."""
import numpy as np
import torch
from mmengine.structures import InstanceData

from mmups.registry import MODELS
from mmups.skeleton import flip_pose3d, flip_sequence, get_layout
from mmups.utils import register_all_modules

H36M = get_layout('h36m')


def build(flip_test: bool):
    register_all_modules()
    torch.manual_seed(0)
    codec = dict(type='VideoPoseLifting', num_keypoints=17, zero_center=True,
                 root_index=0, remove_root=False)
    return MODELS.build(dict(
        type='mmups.FlipTestPoseLifter', _scope_='mmpose', layout='h36m',
        test_cfg=dict(flip_test=flip_test),
        backbone=dict(type='TCN', in_channels=34, stem_channels=16,
                      num_blocks=1, kernel_sizes=(3, 3), dropout=0.,
                      use_stride_conv=True),
        head=dict(type='TemporalRegressionHead', in_channels=16,
                  num_joints=17, loss=dict(type='MPJPELoss'),
                  decoder=codec))).eval()


def samples(n):
    from mmpose.structures import PoseDataSample
    out = []
    for i in range(n):
        s = PoseDataSample(metainfo=dict(target_root=np.full(
            (1, 3), 0.1 * i, np.float32)))
        s.gt_instances = InstanceData()
        out.append(s)
    return out


def test_flip_test_averages_the_mirrored_prediction():
    plain_model, flip_model = build(False), build(True)
    flip_model.load_state_dict(plain_model.state_dict())
    gen = torch.Generator().manual_seed(1)
    joints = torch.randn(3, 9, 17, 2, generator=gen) * 0.2  # (N, T, V, C)
    # MMPose's TCN input: (N, V * C, T)
    flat = joints.permute(0, 2, 3, 1).reshape(3, 34, 9)
    # The flattened flip is the joints' flip.
    flipped = flip_model.flip_inputs(flat)
    expected = flip_sequence(joints, H36M).permute(0, 2, 3, 1).reshape(3, 34, 9)
    assert torch.allclose(flipped, expected)
    with torch.no_grad():
        plain = plain_model.predict(flat, samples(3))
        mirror = plain_model.predict(flipped, samples(3))
        both = flip_model.predict(flat, samples(3))
    for p, m, b in zip(plain, mirror, both):
        pk, mk = p.pred_instances.keypoints, m.pred_instances.keypoints
        root = mk[..., :1, :]
        back = flip_pose3d(torch.as_tensor(mk - root), H36M).numpy() + root
        assert np.allclose(b.pred_instances.keypoints, (pk + back) / 2,
                           atol=1e-6)
        assert not np.allclose(b.pred_instances.keypoints, pk, atol=1e-4)
