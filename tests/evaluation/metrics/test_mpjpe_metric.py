"""MPJPEMetric: MMPose's MPJPE in millimetres."""
import numpy as np
import pytest

from mmups.evaluation import MPJPEMetric


def pose(offset_mm, path) -> dict:
    """A PE sample dict (metres) off by ``offset_mm`` at every joint."""
    gt = np.arange(2 * 3 * 3, dtype=np.float64).reshape(2, 3, 3) / 10.
    sample = dict(task='pe3d',
                  gt_instances=dict(lifting_target=gt,
                                    lifting_target_visible=np.ones(
                                        (2, 3, 1), np.float32)),
                  pred_instances=dict(keypoints=gt + np.asarray(
                      offset_mm, np.float64) / 1000.))
    if path is not None:
        sample['target_img_path'] = path
    return sample


def test_millimetres_aliases_and_missing_paths():
    metric = MPJPEMetric()
    metric.process(None, [
        pose((2, 0, 0), ['S1_TakingPhoto_1.54138969_000001.jpg']),
        pose((4, 0, 0), ['S9_Photo.54138969_000001.jpg']),
        pose((0, 6, 0), 'S9_WalkingDog.60457274_000011.jpg'),  # a str
        pose((0, 0, 8), None),  # no action: overall error only
    ])
    result = metric.evaluate(4)
    assert result == pytest.approx(
        {'MPJPE': 5.0, 'MPJPE_TakingPhoto': 3.0, 'MPJPE_WalkDog': 6.0,
         # the protocol's headline: each action weighs the same, where the
         # overall MPJPE weighs each frame (two of the three are photos)
         'MPJPE_avg': 4.5})


def test_units_and_per_action_options():
    from mmpose.evaluation.functional import keypoint_mpjpe
    samples = [pose((3, 4, 0), ['S9_Walking_1.54138969_000001.jpg'])]
    metric = MPJPEMetric(unit_scale=1., per_action=False, mode='n-mpjpe')
    metric.process(None, samples)
    pred = samples[0]['pred_instances']['keypoints']
    gt = samples[0]['gt_instances']['lifting_target']
    expected = keypoint_mpjpe(pred, gt, np.ones((2, 3), bool), 'scale')
    assert 0 < expected < 0.005  # the scale alignment reduced the error
    assert metric.evaluate(1) == pytest.approx({'N-MPJPE': expected})
    keep = MPJPEMetric(action_aliases={})
    keep.process(None, [pose((1, 0, 0), ['S1_Photo.1_0.jpg'])])
    assert set(keep.evaluate(1)) == {'MPJPE', 'MPJPE_Photo',
                                     'MPJPE_avg'}


def test_skip_list():
    metric = MPJPEMetric(skip_list=['S9_Walking'])
    metric.process(None, [pose((1, 0, 0), ['S9_Walking.1_0.jpg']),
                          pose((2, 0, 0), ['S9_Eating.1_0.jpg'])])
    assert metric.evaluate(2) == pytest.approx(
        {'MPJPE': 2.0, 'MPJPE_Eating': 2.0, 'MPJPE_avg': 2.0})


def test_p_mpjpe_of_a_constant_prediction_is_finite():
    """A pose without spread (an untrained model's output) aligns to the
    target's centroid instead of making MMPose's Procrustes divide by 0."""
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(1, 17, 3))
    sample = dict(task='pe3d',
                  gt_instances=dict(lifting_target=gt,
                                    lifting_target_visible=np.ones(
                                        (1, 17, 1), np.float32)),
                  pred_instances=dict(keypoints=np.full((1, 17, 3), 0.2)),
                  target_img_path=['S1_Walking.54138969_000001.jpg'])
    metric = MPJPEMetric(mode='p-mpjpe', unit_scale=1.)
    metric.process(None, [sample])
    result = metric.evaluate(1)
    expected = np.linalg.norm(gt[0] - gt[0].mean(0), axis=-1).mean()
    assert result['P-MPJPE'] == pytest.approx(expected)
    # Poses with spread are untouched: a perfect prediction scores 0.
    metric = MPJPEMetric(mode='p-mpjpe', unit_scale=1.)
    metric.process(None, [dict(sample, pred_instances=dict(keypoints=gt))])
    assert metric.evaluate(1)['P-MPJPE'] == pytest.approx(0, abs=1e-6)


def test_baseline_scores_a_ground_truth_entry():
    """With ``baseline``, the error of that ground-truth entry (future pose
    prediction's zero-velocity pose), not of the prediction."""
    samples = []
    for offset in (10, 30):
        sample = pose((50, 0, 0), ['S9_Walking_1.54138969_000001.jpg'])
        gt = sample['gt_instances']['lifting_target']
        sample['gt_instances']['zero_velocity_pose'] = gt + np.array(
            [0, offset, 0]) / 1000.
        samples.append(sample)
    model, baseline = MPJPEMetric(per_action=False), MPJPEMetric(
        baseline='zero_velocity_pose', per_action=False,
        prefix='zero_velocity')
    for metric in (model, baseline):
        metric.process(None, [dict(s) for s in samples])
    assert model.evaluate(2) == pytest.approx({'MPJPE': 50.})
    assert baseline.evaluate(2) == pytest.approx(
        {'zero_velocity/MPJPE': 20.})
    missing = MPJPEMetric(baseline='nothing')
    with pytest.raises(KeyError, match=r'no gt_instances\.nothing'):
        missing.process(None, [pose((0, 0, 0), None)])
