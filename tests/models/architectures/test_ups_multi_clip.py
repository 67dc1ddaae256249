"""Testing the action tasks on several clips per sample: each clip is
decoded, and a sample's scores are its clips' scores averaged as
MMAction2's recognizers average them (test_cfg.average_clips)."""
import copy

import numpy as np
import pytest
import torch
from mmaction.datasets.transforms import FormatGCNInput
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope

from mmups.tasks import average_clip_scores
from mmups.testing import random_pose_batch
from .test_ups import build_tiny

CLIPS = 3


def clip_batch(model, task, n=2, frames=6, seed=0):
    """A collated batch of n samples with CLIPS random clips each:
    ``inputs`` a list of (K, M, T, V, C) tensors."""
    gen = torch.Generator().manual_seed(seed)
    data = random_pose_batch(model, task, n * CLIPS, frames, generator=gen)
    inputs = [torch.stack(data['inputs'][i * CLIPS:(i + 1) * CLIPS])
              for i in range(n)]
    return dict(inputs=inputs, data_samples=data['data_samples'][::CLIPS])


def one_clip(data, i, k):
    """Sample i with only its clip k, as a batch of one."""
    return dict(inputs=[data['inputs'][i][k]],
                data_samples=[copy.deepcopy(data['data_samples'][i])])


def predict(model, data):
    return model.test_step(copy.deepcopy(data))


@pytest.mark.parametrize('task', ['ar3d', 'eap3d', 'ar2d'])
@pytest.mark.parametrize('mode', ['prob', 'score'])
def test_scores_are_the_mean_of_the_clips_scores(task, mode):
    model = build_tiny(test_cfg=dict(average_clips=mode)).eval()
    data = clip_batch(model, task)
    preds = predict(model, data)
    for i, pred in enumerate(preds):
        singles = [predict(model, one_clip(data, i, k))[0]
                   for k in range(CLIPS)]
        scores = torch.stack([s.pred_score for s in singles])  # (K, n_cls)
        # Clip k of sample i is clip k of row i: its tokens are those the
        # clip decodes to alone.
        for k, single in enumerate(singles):
            assert torch.equal(pred.pred_tokens[k], single.pred_tokens)
        torch.testing.assert_close(pred.pred_score, scores.mean(0),
                                   rtol=0, atol=1e-6)
        assert int(pred.pred_label) == int(scores.mean(0).argmax())
        if mode == 'prob':
            assert torch.isclose(pred.pred_score.sum(), torch.tensor(1.))
            # The clips disagree enough to tell the mean of probabilities
            # from the softmax of the mean logits (mean log-probabilities).
            assert not torch.allclose(pred.pred_score,
                                      scores.log().mean(0).softmax(-1),
                                      atol=1e-5)


def test_one_clip_is_todays_prediction():
    """With one clip, (N, 1, M, T, V, C) clips or (N, M, T, V, C) inputs
    give the single-clip prediction: the softmax of the first step and the
    decoded label."""
    model = build_tiny().eval()
    data = clip_batch(model, 'ar3d', n=2)
    flat = dict(inputs=[x[0] for x in data['inputs']],
                data_samples=copy.deepcopy(data['data_samples']))
    single = dict(inputs=[x[:1] for x in data['inputs']],
                  data_samples=copy.deepcopy(data['data_samples']))
    for a, b in zip(predict(model, flat), predict(model, single)):
        assert torch.equal(a.pred_score, b.pred_score)
        assert torch.equal(a.pred_tokens, b.pred_tokens)
        assert a.pred_tokens.shape == (2, )
        assert a.pred_label == b.pred_label == a.pred_score.argmax()


def test_average_clip_scores_values():
    logits = torch.tensor([[2., 0., 0.], [0., 0., 4.]])
    p = logits.softmax(-1)
    assert torch.equal(average_clip_scores(logits, 'prob'), p.mean(0))
    assert torch.equal(average_clip_scores(logits, 'score'),
                       torch.tensor([1., 0., 2.]))
    with pytest.raises(ValueError, match='average_clips'):
        average_clip_scores(logits, 'max')
    with pytest.raises(ValueError, match='test_cfg.average_clips'):
        build_tiny(test_cfg=dict(average_clips=None))


def test_several_clips_are_for_prediction_only():
    model = build_tiny()
    data = model.data_preprocessor(clip_batch(model, 'ar3d'))
    assert data['inputs'].shape[:2] == (2, CLIPS)
    with pytest.raises(ValueError, match='num_clips=1'):
        model(**data, mode='loss')
    with pytest.raises(ValueError, match='num_clips=1'):
        model(**data, mode='tensor')
    pose = random_pose_batch(model, 'pe3d', 2, 9)
    pose['inputs'] = [torch.stack([x, x]) for x in pose['inputs']]
    with pytest.raises(ValueError, match='several clips per sample'):
        model.eval().test_step(pose)


def early_prediction_pipeline(num_clips):
    """The fair early-prediction test pipeline of the 3D tiny task."""
    steps = [dict(type='mmups.ObservationRatio', ratios=0.3),
             dict(type='PreNormalize3D'),
             dict(type='mmups.UniformSampleFramesNoLoop', clip_len=8,
                  num_clips=num_clips, test_mode=True),
             dict(type='PoseDecode'),
             dict(type='mmups.PackUPSInputs', task='eap3d',
                  layout='nturgb+d', label_set='toy3d')]
    with DefaultScope.overwrite_default_scope('mmaction'):
        return Compose(steps)


def annotation(seed, frames=40, persons=2):
    rng = np.random.default_rng(seed)
    return dict(keypoint=rng.normal(size=(persons, frames, 25, 3)).astype(
        np.float32), total_frames=frames, label=1, start_index=0,
        frame_dir=f'clip{seed}')


def test_early_prediction_on_several_clips_end_to_end():
    """Annotations -> K clips of the observed part (split as MMAction2's
    FormatGCNInput splits them) -> (N, K, M, T, V, 3) -> scores averaged
    over each sample's own clips."""
    model = build_tiny().eval()
    pipe = early_prediction_pipeline(CLIPS)
    packed = [pipe(annotation(seed)) for seed in (0, 1)]
    assert packed[0]['inputs'].shape == (CLIPS, 2, 8, 25, 3)
    # The same clips as MMAction2 gives ST-GCN from the same steps.
    with DefaultScope.overwrite_default_scope('mmaction'):
        gcn = Compose(pipe.transforms[:-1] + [FormatGCNInput(num_person=2)])
    assert np.array_equal(gcn(annotation(0))['keypoint'],
                          packed[0]['inputs'].numpy())
    data = pseudo_collate(packed)
    batch = model.data_preprocessor(copy.deepcopy(data))
    assert batch['inputs'].shape == (2, CLIPS, 2, 8, 25, 3)
    for i in range(2):
        assert torch.equal(batch['inputs'][i], packed[i]['inputs'])
    preds = predict(model, data)
    for i, pred in enumerate(preds):
        assert pred.obs_ratio == 0.3
        singles = torch.stack([
            predict(model, one_clip(data, i, k))[0].pred_score
            for k in range(CLIPS)])
        torch.testing.assert_close(pred.pred_score, singles.mean(0),
                                   rtol=0, atol=1e-6)
