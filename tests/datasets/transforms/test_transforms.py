import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

from mmups.datasets.transforms import ObservationRatio, PackUPSInputs
from mmups.registry import TRANSFORMS


def action_results(m=2, t=10, v=25, c=3):
    return dict(keypoint=np.random.rand(m, t, v, c).astype(np.float32),
                label=4, frame_dir='S001C001P001R001A005', total_frames=t)


def test_pack_action_sample():
    out = PackUPSInputs('ar3d', 'nturgb+d', 'ntu60', dataset='ntu60_xsub')(
        action_results())
    sample = out['data_samples']
    assert out['inputs'].shape == (2, 10, 25, 3)
    assert sample.task == 'ar3d' and sample.layout == 'nturgb+d'
    assert sample.label_set == 'ntu60' and sample.dataset == 'ntu60_xsub'
    assert sample.frame_dir == 'S001C001P001R001A005'
    assert torch.equal(sample.gt_label, torch.tensor([4]))


def test_pack_pose_lifting_sample():
    results = dict(keypoint_labels=np.random.rand(27, 17, 2),
                   lifting_target_label=np.random.rand(17, 3),
                   lifting_target_visible=np.ones((1, 17)),
                   target_img_path=['S9_Walking_1.54138969_000013.jpg'])
    out = PackUPSInputs('pe3d', 'h36m', dataset='h36m')(results)
    sample = out['data_samples']
    assert out['inputs'].shape == (1, 27, 17, 2)
    assert sample.gt_instances.lifting_target.shape == (1, 17, 3)
    assert sample.gt_instances.lifting_target_visible.shape == (1, 17, 1)
    assert sample.target_img_path == ['S9_Walking_1.54138969_000013.jpg']


def test_pack_errors():
    with pytest.raises(ValueError, match='label_set'):
        PackUPSInputs('ar3d', 'nturgb+d')
    with pytest.raises(ValueError, match='Unknown task'):
        PackUPSInputs('seg', 'coco', 'x')
    with pytest.raises(KeyError, match='Unknown joint layout'):
        PackUPSInputs('ar2d', 'smpl', 'x')
    with pytest.raises(KeyError, match="frame_dir='a'.*no label"):
        PackUPSInputs('ar2d', 'coco', 'k400')(
            dict(keypoint=np.zeros((1, 3, 17, 2)), frame_dir='a'))


def test_observation_ratio_fixed_and_random():
    results = action_results(t=10)
    results['keypoint_score'] = np.ones((2, 10, 25))
    out = ObservationRatio(0.25)(results)
    assert out['total_frames'] == 3 and out['obs_ratio'] == 0.25
    assert out['keypoint'].shape[1] == 3 and out['keypoint_score'].shape[1] == 3
    assert ObservationRatio(1.0)(action_results(t=7))['total_frames'] == 7
    assert ObservationRatio(0.01)(action_results(t=7))['total_frames'] == 1
    seen = {ObservationRatio([0.2, 0.6])(action_results())['obs_ratio']
            for _ in range(50)}
    assert seen == {0.2, 0.6}
    with pytest.raises(ValueError, match='in \\(0, 1\\]'):
        ObservationRatio([0.0, 0.5])


def test_in_mmaction_pipeline():
    """Before MMAction2's frame sampling, the clip comes from the observed
    part only."""
    with DefaultScope.overwrite_default_scope('mmups'):
        pipeline = [TRANSFORMS.build(c) for c in (
            dict(type='ObservationRatio', ratios=0.5),
            dict(type='UniformSampleFrames', clip_len=4, test_mode=True,
                 _scope_='mmaction'),
            dict(type='PoseDecode', _scope_='mmaction'),
            dict(type='PackUPSInputs', task='eap3d', layout='nturgb+d',
                 label_set='ntu60'))]
    results = action_results(m=1, t=20)
    results['keypoint'][0, :, 0, 0] = np.arange(20)  # frame index as value
    results['start_index'] = 0
    for t in pipeline:
        results = t(results)
    frames = results['inputs'][0, :, 0, 0]
    assert results['inputs'].shape == (1, 4, 25, 3)
    assert frames.max() < 10
    assert results['data_samples'].obs_ratio == 0.5


def test_pack_several_clips():
    """K clips read one after the other, (M, K * T, V, C) -> (K, M, T, V,
    C): clip k is frames kT to (k + 1)T."""
    results = action_results(m=2, t=12)
    results['num_clips'] = 3
    keypoint = torch.from_numpy(results['keypoint'])
    inputs = PackUPSInputs('ar3d', 'nturgb+d', 'ntu60')(results)['inputs']
    assert inputs.shape == (3, 2, 4, 25, 3)
    for k in range(3):
        assert torch.equal(inputs[k], keypoint[:, 4 * k:4 * k + 4])
    results = action_results(m=2, t=12)
    results['num_clips'] = 5
    with pytest.raises(ValueError, match='does not hold 5 clips'):
        PackUPSInputs('eap3d', 'nturgb+d', 'ntu60')(results)
