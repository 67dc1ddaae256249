"""MultiTaskMetric: routing, names, units, truncation, distributed runs."""
import os
import subprocess
import sys
from typing import Dict, List

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from mmups.evaluation import MultiTaskMetric
from mmups.registry import METRICS
from mmups.structures import UPSDataSample

NUM_CLASSES = 6
ACC = dict(type='AccMetric', _scope_='mmaction',
           metric_list=('top_k_accuracy', 'mean_class_accuracy'))


def action_samples(task: str, num: int, seed: int,
                   dataset=None, obs_ratios=None) -> List[dict]:
    """AR / EAP samples with random scores (some right, some wrong)."""
    rng = np.random.default_rng(seed)
    samples = []
    for i in range(num):
        sample = UPSDataSample(metainfo=dict(
            task=task, layout='nturgb+d', label_set='ntu60',
            dataset=dataset))
        if obs_ratios is not None:
            sample.set_metainfo(dict(obs_ratio=obs_ratios[i]))
        score = torch.from_numpy(rng.random(NUM_CLASSES)).float()
        sample.set_gt_label(int(rng.integers(NUM_CLASSES)))
        sample.pred_score = score
        sample.pred_label = score.argmax().reshape(1)
        samples.append(sample.to_dict())
    return samples


def pose_sample(offset_mm, action: str, dataset=None,
                task: str = 'pe3d') -> dict:
    """A PE sample (metres) whose visible joints are off by ``offset_mm``;
    the invisible joint is far off (it must be ignored)."""
    rng = np.random.default_rng(len(action))
    gt = rng.normal(size=(2, 4, 3)).astype(np.float64) * 0.3
    pred = gt + np.asarray(offset_mm, np.float64) / 1000.
    pred[:, 3] += 5.
    visible = np.ones((2, 4, 1), np.float32)
    visible[:, 3] = 0
    sample = UPSDataSample(metainfo=dict(
        task=task, layout='h36m', label_set=None, dataset=dataset,
        target_img_path=[f'S9_{action}_1.54138969_000001.jpg']))
    sample.gt_instances = InstanceData(lifting_target=gt,
                                       lifting_target_visible=visible)
    sample.pred_instances = InstanceData(keypoints=pred)
    return sample.to_dict()


def acc_reference(samples: List[dict]) -> Dict[str, float]:
    """MMAction2's AccMetric on the same samples."""
    metric = METRICS.build(ACC)
    metric.process(None, samples)
    return metric.evaluate(len(samples))


def test_action_recognition_equals_accmetric():
    samples = action_samples('ar3d', 20, seed=0)
    metric = MultiTaskMetric(dict(ar3d=ACC),
                             dataset_names=dict(ar3d='ntu60_xsub'))
    metric.process(None, samples[:7])
    metric.process(None, samples[7:])
    result = metric.evaluate(len(samples))
    reference = acc_reference(samples)  # names 'acc/top1', ...
    assert set(result) == {'ar3d/ntu60_xsub/top1', 'ar3d/ntu60_xsub/top5',
                           'ar3d/ntu60_xsub/mean1'}
    for name in ('top1', 'top5', 'mean1'):
        assert result[f'ar3d/ntu60_xsub/{name}'] == reference[f'acc/{name}']
    assert 0 < result['ar3d/ntu60_xsub/top1'] < 1  # a non-trivial case
    # Results are cleared: a second round starts afresh.
    assert all(not m.results for m in metric.task_metrics['ar3d'])


def test_pose_mpjpe_millimetres_and_per_action():
    # Walking: 5 mm (3-4-5), Directions: 13 mm (5-12-13), same frames.
    samples = [pose_sample((3, 4, 0), 'Walking', dataset='h36m_cpn'),
               pose_sample((0, 5, 12), 'Directions', dataset='h36m_cpn')]
    metric = MultiTaskMetric(dict(pe3d=dict(type='MPJPEMetric')))
    metric.process(None, samples)
    result = metric.evaluate(2)
    assert result == pytest.approx({
        'pe3d/h36m_cpn/MPJPE': 9.0,
        'pe3d/h36m_cpn/MPJPE_Walking': 5.0,
        'pe3d/h36m_cpn/MPJPE_Directions': 13.0,
        'pe3d/h36m_cpn/MPJPE_avg': 9.0,
    })


def test_pose_p_mpjpe_mode():
    from mmpose.evaluation.functional import keypoint_mpjpe
    rng = np.random.default_rng(3)
    gt = rng.normal(size=(2, 5, 3)) * 0.3
    # A similarity transform of the target: P-MPJPE removes it entirely.
    angle = 0.4
    rot = np.array([[np.cos(angle), -np.sin(angle), 0],
                    [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    similar = 1.3 * gt @ rot.T + np.array([0.1, -0.2, 0.05])
    noisy = gt + rng.normal(size=gt.shape) * 0.02
    samples = []
    for pred, action in ((similar, 'Eating'), (noisy, 'Posing')):
        sample = UPSDataSample(metainfo=dict(
            task='pe3d', target_img_path=[f'S11_{action}.55011271_000.jpg']))
        sample.gt_instances = InstanceData(
            lifting_target=gt, lifting_target_visible=np.ones((2, 5, 1)))
        sample.pred_instances = InstanceData(keypoints=pred)
        samples.append(sample.to_dict())
    metric = MultiTaskMetric(dict(pe3d=[
        dict(type='MPJPEMetric', mode='mpjpe'),
        dict(type='MPJPEMetric', mode='p-mpjpe')]),
        dataset_names=dict(pe3d='h36m'))
    metric.process(None, samples)
    result = metric.evaluate(2)
    assert result['pe3d/h36m/P-MPJPE_Eating'] == pytest.approx(0, abs=1e-6)
    assert result['pe3d/h36m/MPJPE_Eating'] > 100
    mask = np.ones((2, 5), bool)
    expected = keypoint_mpjpe(noisy, gt, mask, 'procrustes') * 1000
    assert result['pe3d/h36m/P-MPJPE_Posing'] == pytest.approx(expected)
    assert result['pe3d/h36m/P-MPJPE'] == pytest.approx(expected / 2)


def test_mmpose_mpjpe_reports_input_units():
    # MMPose's own MPJPE keeps the units of the coordinates (metres here).
    samples = [pose_sample((3, 4, 0), 'Walking')]
    metric = MultiTaskMetric(
        dict(pe3d=dict(type='MPJPE', mode='mpjpe', _scope_='mmpose')))
    metric.process(None, samples)
    assert metric.evaluate(1) == pytest.approx(
        {'pe3d/MPJPE': 0.005, 'pe3d/MPJPE_Walking': 0.005})


def test_early_prediction_through_multi_task():
    ratios = [0.2, 0.4, 0.2, 0.4]
    samples = action_samples('eap3d', 4, seed=1, dataset='ntu60_xsub',
                             obs_ratios=ratios)
    metric = MultiTaskMetric(dict(eap3d=dict(type='EarlyPredictionMetric')))
    metric.process(None, samples)
    result = metric.evaluate(4)
    assert set(result) == {'eap3d/ntu60_xsub/top1@0.2',
                           'eap3d/ntu60_xsub/top1@0.4',
                           'eap3d/ntu60_xsub/top1_mean'}
    hits = [int(np.argmax(s['pred_score'])) == int(s['gt_label'])
            for s in samples]
    at_02 = (hits[0] + hits[2]) / 2
    at_04 = (hits[1] + hits[3]) / 2
    assert result['eap3d/ntu60_xsub/top1@0.2'] == at_02
    assert result['eap3d/ntu60_xsub/top1@0.4'] == at_04
    assert result['eap3d/ntu60_xsub/top1_mean'] == (at_02 + at_04) / 2


def test_names_carry_task_and_dataset():
    metric = MultiTaskMetric(
        dict(ar3d=ACC, ar2d=ACC, pe3d=dict(type='MPJPEMetric',
                                           per_action=False)),
        dataset_names=dict(ar3d='ntu60_xsub'), prefix='val')
    metric.process(None, action_samples('ar3d', 3, 0, dataset='ignored'))
    metric.process(None, action_samples('ar2d', 3, 1, dataset='k400'))
    metric.process(None, [pose_sample((0, 0, 1), 'Walking')])
    names = set(metric.evaluate(7))
    assert names == {
        # from dataset_names (wins over the samples' metainfo)
        'val/ar3d/ntu60_xsub/top1', 'val/ar3d/ntu60_xsub/top5',
        'val/ar3d/ntu60_xsub/mean1',
        # from the samples' dataset metainfo
        'val/ar2d/k400/top1', 'val/ar2d/k400/top5', 'val/ar2d/k400/mean1',
        # no dataset anywhere: left out
        'val/pe3d/MPJPE'}


def test_sub_metric_prefix_and_name_clash():
    two_acc = [ACC, dict(ACC, prefix='acc')]
    metric = MultiTaskMetric(dict(ar3d=two_acc))
    metric.process(None, action_samples('ar3d', 3, 0))
    names = set(metric.evaluate(3))
    assert 'ar3d/top1' in names and 'ar3d/acc/top1' in names

    clash = MultiTaskMetric(dict(ar3d=[ACC, ACC]))
    clash.process(None, action_samples('ar3d', 3, 0))
    with pytest.raises(ValueError, match='ar3d/top1'):
        clash.evaluate(3)
    assert not clash.task_metrics['ar3d'][0].results  # still cleared


def test_unknown_task_error():
    metric = MultiTaskMetric(dict(ar3d=ACC, pe3d=dict(type='MPJPEMetric')))
    with pytest.raises(ValueError, match=r"'eap3d'.*\['ar3d', 'pe3d'\]"):
        metric.process(None, action_samples('eap3d', 1, 0,
                                            obs_ratios=[0.5]))
    with pytest.raises(ValueError, match='task name must start'):
        MultiTaskMetric(dict(foo=ACC))
    with pytest.raises(ValueError, match='without metrics'):
        MultiTaskMetric(dict(ar3d=ACC), dataset_names=dict(pe3d='h36m'))


def padded_meta() -> dict:
    return dict(tasks=['ar3d', 'pe3d'], task_sizes=[6, 2],
                datasets=[dict(dataset_name='ntu'), dict(dataset_name='h')])


def test_truncates_each_task_to_its_size():
    ar = action_samples('ar3d', 6, seed=4)
    # Make the first sample wrong, so that a duplicate of it would count.
    ar[0]['pred_score'] = torch.eye(NUM_CLASSES)[
        (int(ar[0]['gt_label']) + 1) % NUM_CLASSES]
    pe = [pose_sample((3, 4, 0), 'Walking'),
          pose_sample((0, 5, 12), 'Sitting')]
    metric = MultiTaskMetric(dict(ar3d=ACC, pe3d=dict(type='MPJPEMetric')))
    metric.dataset_meta = padded_meta()
    # Sub-metrics get their task's sub-dataset metainfo.
    assert metric.task_metrics['pe3d'][0].dataset_meta == dict(
        dataset_name='h')
    # What a padding sampler appends at the end: copies of early samples.
    metric.process(None, ar + pe + ar[:2] + pe[1:])
    result = metric.evaluate(8)
    reference = acc_reference(ar)
    assert result['ar3d/top1'] == reference['acc/top1']
    assert result['pe3d/MPJPE'] == pytest.approx(9.0)
    assert result['pe3d/MPJPE_Sitting'] == pytest.approx(13.0)


def test_task_sizes_as_dict_and_single_task_fallback():
    metric = MultiTaskMetric(dict(ar3d=ACC))
    samples = action_samples('ar3d', 5, seed=5)
    metric.process(None, samples + samples[:1])
    # No task_sizes: with one task, the dataset size is the task's size.
    assert metric.evaluate(5)['ar3d/top1'] == acc_reference(samples)[
        'acc/top1']
    metric.dataset_meta = dict(task_sizes=dict(ar3d=5))
    metric.process(None, samples + samples[:1])
    assert metric.evaluate(5)['ar3d/top1'] == acc_reference(samples)[
        'acc/top1']


def test_evaluator_end_to_end():
    cfg = dict(type='MultiTaskMetric',
               task_metrics=dict(ar3d=ACC,
                            eap3d=dict(type='EarlyPredictionMetric',
                                       topk=(1, 5)),
                            pe3d=dict(type='MPJPEMetric')),
               dataset_names=dict(pe3d='h36m_cpn'))
    with DefaultScope.overwrite_default_scope('mmups'):
        evaluator = Evaluator([cfg])
    meta = dict(tasks=['ar3d', 'eap3d', 'pe3d'], task_sizes=[4, 2, 1],
                datasets=[dict(name='ntu'), dict(name='ntu_eap'),
                          dict(name='h36m')])
    evaluator.dataset_meta = meta
    metric = evaluator.metrics[0]
    assert isinstance(metric, MultiTaskMetric)
    assert metric.dataset_meta is meta
    assert metric.task_metrics['eap3d'][0].dataset_meta == dict(
        name='ntu_eap')

    def to_sample(d: dict) -> UPSDataSample:
        """Rebuild a data sample (the Evaluator converts it to a dict)."""
        sample = UPSDataSample(metainfo={
            k: d[k] for k in d
            if k not in ('gt_label', 'pred_score', 'pred_label',
                         'gt_instances', 'pred_instances')})
        for key in ('gt_label', 'pred_score', 'pred_label'):
            if key in d:
                sample.set_field(d[key], key)
        for key in ('gt_instances', 'pred_instances'):
            if key in d:
                setattr(sample, key, InstanceData(**d[key]))
        return sample

    ar = action_samples('ar3d', 4, 6, dataset='ntu60_xsub')
    eap = action_samples('eap3d', 2, 7, dataset='ntu60_xsub',
                         obs_ratios=[0.2, 0.4])
    pe = [pose_sample((3, 4, 0), 'Walking')]
    batch = [to_sample(d) for d in ar + eap + pe]
    evaluator.process(batch[:3])
    evaluator.process(batch[3:])
    result = evaluator.evaluate(7)
    assert result['pe3d/h36m_cpn/MPJPE'] == pytest.approx(5.0)
    reference = acc_reference(ar)
    for name in ('top1', 'top5', 'mean1'):
        assert result[f'ar3d/ntu60_xsub/{name}'] == reference[f'acc/{name}']
    assert {'eap3d/ntu60_xsub/top1@0.2', 'eap3d/ntu60_xsub/top5@0.4',
            'eap3d/ntu60_xsub/top5_mean'} <= set(result)


def test_built_from_registry_location_in_fresh_process():
    # mmengine imports the METRICS locations when building in the scope.
    code = ('import mmups\n'
            'from mmengine.registry import METRICS, DefaultScope\n'
            "with DefaultScope.overwrite_default_scope('mmups'):\n"
            "    m = METRICS.build(dict(type='MultiTaskMetric', task_metrics=dict("
            "pe3d=dict(type='MPJPEMetric'))))\n"
            'print(type(m).__module__)\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert 'mmups.evaluation' in out.stdout


# --------------------------------------------------------------------------
# A real distributed evaluation: 2 processes, gloo
# --------------------------------------------------------------------------
def dist_dataset() -> List[dict]:
    """11 samples in task blocks: ar3d 5, eap3d 4, pe3d 2. Odd on purpose:
    the sampler pads one copy of sample 0 (made wrong, so it would count)."""
    ar = action_samples('ar3d', 5, seed=8, dataset='ntu60_xsub')
    ar[0]['pred_score'] = torch.eye(NUM_CLASSES)[
        (int(ar[0]['gt_label']) + 1) % NUM_CLASSES]
    eap = action_samples('eap3d', 4, seed=9, dataset='ntu60_xsub',
                         obs_ratios=[0.2, 0.4, 0.6, 0.2])
    pe = [pose_sample((3, 4, 0), 'Walking', dataset='h36m_cpn'),
          pose_sample((0, 5, 12), 'Directions', dataset='h36m_cpn')]
    return ar + eap + pe


DIST_META = dict(tasks=['ar3d', 'eap3d', 'pe3d'], task_sizes=[5, 4, 2],
                 datasets=[{}, {}, {}])


def dist_metric(collect_dir=None) -> MultiTaskMetric:
    return MultiTaskMetric(
        dict(ar3d=ACC, eap3d=dict(type='EarlyPredictionMetric'),
             pe3d=[dict(type='MPJPEMetric'),
                   dict(type='MPJPEMetric', mode='p-mpjpe')]),
        collect_dir=collect_dir)


def _dist_worker(rank: int, port: int, workdir: str, results) -> None:
    from mmengine.dataset import DefaultSampler
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(1)
    os.chdir(workdir)  # mmengine's default collect folder goes here
    dist.init_process_group('gloo', rank=rank, world_size=2)
    try:
        data = dist_dataset()
        indices = list(DefaultSampler(data, shuffle=False))  # padded share
        for collect_dir in (None, os.path.join(workdir, 'collect')):
            metric = dist_metric(collect_dir)
            metric.dataset_meta = DIST_META
            for start in range(0, len(indices), 2):
                metric.process(None,
                               [data[i] for i in indices[start:start + 2]])
            results[(rank, collect_dir is None)] = (
                indices, metric.evaluate(len(data)))
    finally:
        dist.destroy_process_group()


def test_distributed_gloo_two_processes(tmp_path, free_port):
    data = dist_dataset()
    single = dist_metric()
    single.dataset_meta = DIST_META
    single.process(None, data)
    expected = single.evaluate(len(data))
    assert 'pe3d/h36m_cpn/P-MPJPE' in expected

    with mp.Manager() as manager:
        results = manager.dict()
        mp.spawn(_dist_worker, args=(free_port, str(tmp_path), results),
                 nprocs=2, join=True)
        results = dict(results)
    (idx0, _), (idx1, _) = results[(0, True)], results[(1, True)]
    assert idx0 == [0, 2, 4, 6, 8, 10] and idx1 == [1, 3, 5, 7, 9, 0]
    for key, (_, metrics) in results.items():
        assert metrics.keys() == expected.keys(), key
        for name, value in expected.items():
            assert metrics[name] == pytest.approx(value), (key, name)
