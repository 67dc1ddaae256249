"""MultiTaskDumpResults, and MultiTaskMetric, under MultiTaskBatchSampler's
per-task padding: every sample exactly once, in dataset order, for 1, 2 and
3 real (gloo) processes with uneven task sizes."""
import os
import pickle
import uuid
from typing import Dict, List

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.dataset import DefaultSampler
from mmengine.evaluator import BaseMetric, DumpResults

from mmups.datasets import MultiTaskDataset
from mmups.datasets.samplers import MultiTaskBatchSampler
from mmups.evaluation import MultiTaskDumpResults, MultiTaskMetric
from mmups.registry import METRICS

# Uneven on purpose: 7, 5 and 4 samples pad differently on 2 and 3 ranks.
SIZES = dict(pe3d=7, ar2d=5, ar3d=4)
BATCH_SIZES = dict(pe3d=2, ar2d=3, ar3d=1)


@METRICS.register_module(force=True)
class SampleIdMetric(BaseMetric):
    """Reports the ids of the samples it was given, in order."""

    def process(self, data_batch, data_samples) -> None:
        self.results.extend(s['uid'] for s in data_samples)

    def compute_metrics(self, results: list) -> dict:
        return dict(uids=list(results))


def _dataset() -> MultiTaskDataset:
    return MultiTaskDataset({t: list(range(n)) for t, n in SIZES.items()})


def _samples(dataset: MultiTaskDataset, indices: List[int]) -> List[dict]:
    """Predicted samples of global ``indices``: task, id and a prediction."""
    out = []
    for i in indices:
        task, local = dataset.locate(i)
        out.append(dict(task=task, uid=i, pred=torch.tensor([local, i])))
    return out


def _evaluate(dump_path: str, collect_dir) -> Dict[str, list]:
    """Run this process's share of a test epoch through the dump, the
    multi-task metric and mmengine's DumpResults."""
    dataset = _dataset()
    sampler = MultiTaskBatchSampler(
        DefaultSampler(dataset, shuffle=False, seed=0),
        batch_sizes=BATCH_SIZES, rotations_per_epoch='once')
    ours = MultiTaskDumpResults(dump_path, collect_dir=collect_dir)
    plain = DumpResults(dump_path + '.mmengine.pkl')
    metric = MultiTaskMetric({t: dict(type='SampleIdMetric')
                              for t in SIZES}, collect_dir=collect_dir)
    for m in (ours, plain, metric):
        m.dataset_meta = dataset.metainfo
    processed = []
    for batch in sampler:
        samples = _samples(dataset, batch)
        processed += [s['uid'] for s in samples]
        for m in (ours, plain, metric):
            m.process(None, samples)
    assert ours.evaluate(len(dataset)) == {}
    plain.evaluate(len(dataset))
    return dict(processed=processed, metrics=metric.evaluate(len(dataset)))


def _worker(rank: int, world_size: int, port: int, work_dir: str,
            results) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port),
                      RANK=str(rank), WORLD_SIZE=str(world_size))
    torch.set_num_threads(1)
    os.chdir(work_dir)  # mmengine's default collect folder goes here
    dist.init_process_group('gloo', rank=rank, world_size=world_size)
    try:
        results[rank] = _evaluate(os.path.join(work_dir, 'preds.pkl'),
                                  os.path.join(work_dir, 'collect'))
    finally:
        dist.destroy_process_group()


def _load(path: str) -> list:
    with open(path, 'rb') as f:
        return pickle.load(f)


def _check_exact(dump: list, metrics: dict) -> None:
    """Each sample once, in dataset order, in the dump and in the metric."""
    total = sum(SIZES.values())
    assert [s['uid'] for s in dump] == list(range(total))
    dataset = _dataset()
    for s in dump:
        task, local = dataset.locate(s['uid'])
        assert s['task'] == task
        assert s['pred'].tolist() == [local, s['uid']]
    start = 0
    for task, n in SIZES.items():
        assert metrics[f'{task}/uids'] == list(range(start, start + n)), task
        start += n


def test_single_process_dump_is_in_dataset_order(tmp_path):
    path = str(tmp_path / 'preds.pkl')
    out = _evaluate(path, None)
    # The rotation interleaves the tasks; the dump is in dataset order.
    assert out['processed'] != sorted(out['processed'])
    _check_exact(_load(path), out['metrics'])


@pytest.mark.parametrize('world_size', [2, 3])
def test_ranks_dump_and_evaluate_every_sample_once(tmp_path, world_size,
                                                   free_port):
    work_dir = tmp_path / f'w{world_size}_{uuid.uuid4().hex[:6]}'
    work_dir.mkdir()
    with mp.Manager() as manager:
        results = manager.dict()
        # Forked workers inherit the imported modules and the registration
        # of SampleIdMetric.
        mp.start_processes(
            _worker, args=(world_size, free_port, str(work_dir), results),
            nprocs=world_size, join=True, start_method='fork')
        results = dict(results)
    processed = [results[r]['processed'] for r in range(world_size)]
    # The sampler did pad: some samples ran on two ranks.
    flat = [i for p in processed for i in p]
    assert len(flat) > len(set(flat)) == sum(SIZES.values())
    for rank in range(world_size):
        assert results[rank]['metrics'] == results[0]['metrics']
    _check_exact(_load(str(work_dir / 'preds.pkl')), results[0]['metrics'])
    # What mmengine's DumpResults makes of the same run (the reason for
    # MultiTaskDumpResults): duplicates in, real samples out.
    plain = [s['uid'] for s in _load(str(work_dir / 'preds.pkl.mmengine.pkl'))]
    assert len(plain) == sum(SIZES.values())
    assert len(set(plain)) < len(plain)


def test_bad_path_and_unknown_task(tmp_path):
    with pytest.raises(ValueError, match='preds.txt'):
        MultiTaskDumpResults(str(tmp_path / 'preds.txt'))
    dump = MultiTaskDumpResults(str(tmp_path / 'preds.pkl'))
    dump.dataset_meta = _dataset().metainfo
    dump.process(None, [dict(task='eap3d', uid=0)])
    with pytest.raises(ValueError, match='eap3d'):
        dump.evaluate(sum(SIZES.values()))
    assert not (tmp_path / 'preds.pkl').exists()
