"""Future pose prediction (mmups/tasks/future_pose.py): the window split,
the packing with the zero-velocity pose, the mirrored inputs of its flip
test, its input preparation, and the kind found by its task names."""
import numpy as np
import pytest
import torch

from mmups.datasets.transforms import PackUPSInputs
from mmups.skeleton import get_layout
from mmups.structures import UPSDataSample
from mmups.tasks import (FuturePosePrediction, FuturePoseWindow,
                         get_task_kind)


def window(frames=12, joints=17, seed=0):
    """(S, V, 3) poses walking along +X by 0.1 m per frame."""
    rng = np.random.default_rng(seed)
    poses = rng.normal(0, 0.2, (frames, joints, 3)).astype(np.float32)
    walk = np.arange(frames, dtype=np.float32)[:, None, None]
    poses += np.array([0.1, 0, 0], np.float32) * walk
    return poses


def test_window_split():
    poses = window()
    out = FuturePoseWindow(horizon=4)(dict(keypoints_3d=poses.copy()))
    observed, last, future = poses[:8], poses[7], poses[11]
    # Each observed frame on its own root (the walk is not in the input).
    np.testing.assert_allclose(out['keypoints'],
                               observed - observed[:, :1], atol=1e-6)
    assert out['keypoints'].shape == (8, 17, 3)
    assert not out['keypoints'][:, 0].any()
    np.testing.assert_allclose(out['lifting_target_label'][0],
                               future - future[0])
    np.testing.assert_allclose(out['zero_velocity_pose'][0], last - last[0])
    assert out['lifting_target_visible'].shape == (1, 17)
    with pytest.raises(ValueError, match=r'S > 12 frames'):
        FuturePoseWindow(horizon=12)(dict(keypoints_3d=poses))
    with pytest.raises(ValueError, match='horizon must be >= 1'):
        FuturePoseWindow(horizon=0)


def test_kind_of_the_task_names_and_packing():
    kind = get_task_kind('fp3d')
    assert isinstance(kind, FuturePosePrediction) and kind.prefix == 'fp'
    assert kind.emits_coordinates and get_task_kind('pe3d') is not kind
    results = FuturePoseWindow(horizon=2)(dict(keypoints_3d=window(6)))
    packed = PackUPSInputs(task='fp3d', layout='h36m',
                           dataset='demo_h36m')(results)
    sample = packed['data_samples']
    assert packed['inputs'].shape == (1, 4, 17, 3)  # one person, T = 4
    np.testing.assert_allclose(sample.gt_instances.zero_velocity_pose,
                               results['zero_velocity_pose'])
    np.testing.assert_allclose(sample.gt_instances.lifting_target,
                               results['lifting_target_label'])
    with pytest.raises(KeyError, match='FuturePoseWindow'):
        PackUPSInputs(task='fp3d', layout='h36m')(
            dict(keypoints=window(4), lifting_target_label=window(1)))


def test_flip_mirrors_each_frame_about_its_root():
    layout = get_layout('h36m')
    results = FuturePoseWindow(horizon=1)(dict(keypoints_3d=window(5)))
    inputs = torch.as_tensor(results['keypoints'])[None, None]  # (1,1,T,V,3)
    sample = UPSDataSample(metainfo=dict(layout='h36m'))
    flipped = FuturePosePrediction.flip_inputs(inputs, [sample])
    # X negated (the frames are centred), left and right swapped, and
    # flipping twice restores the input.
    right, left = layout.joint_names.index('right_hip'), \
        layout.joint_names.index('left_hip')
    np.testing.assert_allclose(flipped[0, 0, :, left, 0],
                               -inputs[0, 0, :, right, 0])
    np.testing.assert_allclose(flipped[0, 0, :, left, 1:],
                               inputs[0, 0, :, right, 1:])
    np.testing.assert_allclose(
        FuturePosePrediction.flip_inputs(flipped, [sample]), inputs)


def test_inputs_are_centred_frame_by_frame_as_pose_lifting_does():
    class Model:
        root_relative_lifting = True
    inputs = torch.randn(2, 1, 4, 17, 3)
    out = get_task_kind('fp3d').prepare_inputs(Model(), inputs,
                                               ['h36m', 'h36m'])
    torch.testing.assert_close(out, inputs - inputs[..., :1, :])
