"""EarlyPredictionMetric: accuracy per observation ratio."""
import numpy as np
import pytest
import torch
from mmaction.evaluation import mean_class_accuracy, top_k_accuracy

from mmups.evaluation import EarlyPredictionMetric
from mmups.evaluation.metrics.early_prediction_metric import format_ratio
from mmups.structures import UPSDataSample


def sample(label: int, ranking, ratio) -> dict:
    """An EAP sample whose classes are ranked best-first as ``ranking``."""
    score = torch.zeros(6)
    for rank, cls in enumerate(ranking):
        score[cls] = 1. - 0.1 * rank
    data = UPSDataSample(metainfo=dict(task='eap3d', label_set='ntu60'))
    if ratio is not None:
        data.set_metainfo(dict(obs_ratio=ratio))
    data.set_gt_label(label)
    data.pred_score = score
    data.pred_label = score.argmax().reshape(1)
    return data.to_dict()


RANKING = [0, 1, 2, 3, 4, 5]


def test_accuracy_per_ratio_is_exact():
    samples = [
        # 0.2: top1 1/4, top2 2/4
        sample(0, RANKING, 0.2), sample(1, RANKING, 0.2),
        sample(5, RANKING, 0.2), sample(4, RANKING, 0.2),
        # 0.4 (recorded as 0.4000001: rounding groups it): top1 2/2
        sample(3, [3, 0, 1, 2, 4, 5], 0.4000001), sample(2, [2] + RANKING[:2]
                                                        + RANKING[3:], 0.4),
        # 1.0: top1 0/2, top2 1/2
        sample(1, RANKING, 1.0), sample(4, RANKING, 1.0),
    ]
    metric = EarlyPredictionMetric(topk=(1, 2), mean_class=True)
    metric.process(None, samples[:3])
    metric.process(None, samples[3:])
    result = metric.evaluate(len(samples))
    assert result['eap/top1@0.2'] == 0.25
    assert result['eap/top2@0.2'] == 0.5
    assert result['eap/top1@0.4'] == 1.0
    assert result['eap/top1@1.0'] == 0.0
    assert result['eap/top2@1.0'] == 0.5
    assert result['eap/top1_mean'] == pytest.approx((0.25 + 1.0 + 0.0) / 3)
    assert result['eap/top2_mean'] == pytest.approx((0.5 + 1.0 + 0.5) / 3)
    # Mean class accuracy per ratio is MMAction2's.
    group = samples[:4]
    preds = [s['pred_score'].numpy() for s in group]
    labels = [int(s['gt_label']) for s in group]
    assert result['eap/mean1@0.2'] == pytest.approx(
        mean_class_accuracy(preds, labels))
    assert result['eap/top1@0.2'] == top_k_accuracy(preds, labels, (1, ))[0]
    assert 'eap/mean1_mean' in result
    assert len(result) == 3 * 3 + 3


def test_default_names_and_ratio_format():
    metric = EarlyPredictionMetric(prefix='x')
    metric.process(None, [sample(0, RANKING, r) for r in (0.2, 0.25, 0.6)])
    assert sorted(metric.evaluate(3)) == [
        'x/top1@0.2', 'x/top1@0.25', 'x/top1@0.6', 'x/top1_mean']
    assert format_ratio(0.5) == '0.5' and format_ratio(1) == '1.0'
    assert format_ratio(0.333, decimals=1) == '0.3'


def test_missing_or_bad_ratio():
    metric = EarlyPredictionMetric()
    with pytest.raises(KeyError, match='obs_ratio'):
        metric.process(None, [sample(0, RANKING, None)])
    with pytest.raises(ValueError, match=r'\(0, 1\]'):
        metric.process(None, [sample(0, RANKING, 1.5)])
    with pytest.raises(ValueError, match='topk'):
        EarlyPredictionMetric(topk=(0, ))


def test_numpy_inputs():
    # Scores and labels given as arrays are accepted, too.
    data = dict(task='eap3d', obs_ratio=np.float32(0.6),
                pred_score=np.array([0.1, 0.9]), gt_label=np.array([1]))
    metric = EarlyPredictionMetric()
    metric.process(None, [data])
    assert metric.evaluate(1) == {'eap/top1@0.6': 1.0, 'eap/top1_mean': 1.0}
