"""MultiTaskBatchSampler: schedule, determinism, simulated ranks, Runner."""
import itertools
import uuid
from collections import Counter
from typing import Dict, List

import pytest
import torch
from mmengine.dataset import DefaultSampler
from mmengine.model import BaseModel
from torch import nn
from torch.utils.data import DataLoader, SequentialSampler

from mmups.datasets import MultiTaskBatchSampler, MultiTaskDataset
from mmups.datasets.samplers import multi_task_batch_sampler as mtbs_module
from mmups.registry import DATASETS
from mmups.structures import UPSDataSample

SIZES = dict(pe3d=10, ar2d=7, eap3d=5, ar3d=3)
BATCH_SIZES = dict(pe3d=4, ar2d=2, eap3d=2, ar3d=1)


def _dataset(sizes: Dict[str, int] = SIZES) -> MultiTaskDataset:
    # Plain lists are enough: the sampler only needs `task_indices`.
    return MultiTaskDataset({t: [t] * n for t, n in sizes.items()})


def _sampler(monkeypatch=None, rank: int = 0, world_size: int = 1,
             sizes: Dict[str, int] = SIZES, seed: int = 0,
             shuffle: bool = True, **kwargs) -> MultiTaskBatchSampler:
    """A batch sampler as ``rank`` of ``world_size`` (simulated)."""
    if world_size > 1:
        # Both samplers read the rank when built.
        monkeypatch.setattr(mtbs_module, 'get_dist_info',
                            lambda: (rank, world_size))
        monkeypatch.setattr('mmengine.dataset.sampler.get_dist_info',
                            lambda: (rank, world_size))
    sampler = DefaultSampler(_dataset(sizes), shuffle=shuffle, seed=seed)
    kwargs.setdefault('batch_sizes', BATCH_SIZES)
    return MultiTaskBatchSampler(sampler, **kwargs)


def _pass_batches(sampler: MultiTaskBatchSampler,
                  batches: List[List[int]], task: str) -> List[List[int]]:
    """The batches of the first pass over ``task`` in an epoch's batches."""
    mine = [b for i, b in enumerate(batches)
            if sampler.task_of_batch(i) == task]
    return mine[:sampler.batches_per_pass[task]]


def test_one_task_per_batch_rotation_and_batch_sizes():
    sampler = _sampler(task_order=('pe3d', 'ar2d', 'eap3d', 'ar3d'))
    ranges = sampler.task_indices
    batches = list(sampler)
    # Batches per pass: pe3d 3, ar2d 4, eap3d 3, ar3d 3 -> 4 rotations.
    assert sampler.batches_per_pass == dict(pe3d=3, ar2d=4, eap3d=3, ar3d=3)
    assert len(batches) == len(sampler) == 16
    for i, batch in enumerate(batches):
        task = ('pe3d', 'ar2d', 'eap3d', 'ar3d')[i % 4]
        assert sampler.task_of_batch(i) == task
        assert all(idx in ranges[task] for idx in batch)
        assert len(batch) <= BATCH_SIZES[task]
    sizes = {t: [len(b) for i, b in enumerate(batches)
                 if sampler.task_of_batch(i) == t] for t in SIZES}
    # Short batches only at the end of a pass; passes restart for the
    # tasks that finish first.
    assert sizes == dict(pe3d=[4, 4, 2, 4], ar2d=[2, 2, 2, 1],
                         eap3d=[2, 2, 1, 2], ar3d=[1, 1, 1, 1])
    # The longest task (ar2d, 4 batches) covers every sample once.
    assert sorted(sum(_pass_batches(sampler, batches, 'ar2d'), [])) == list(
        ranges['ar2d'])
    for task in SIZES:  # ... and so does each first pass of every task
        assert sorted(sum(_pass_batches(sampler, batches, task), [])) == \
            list(ranges[task])
    with pytest.raises(IndexError):
        sampler.task_of_batch(16)


def test_task_order_defaults_to_dataset_order_and_may_repeat():
    sampler = _sampler()
    assert sampler.task_order == list(SIZES)
    sampler = _sampler(task_order=('pe3d', 'ar3d', 'pe3d', 'ar2d', 'eap3d'))
    # pe3d takes two slots: ceil(3 / 2) = 2 rotations for it, ar2d needs 4.
    assert len(sampler) == 4 * 5
    tasks = [sampler.task_of_batch(i) for i in range(len(sampler))]
    assert tasks[:5] == ['pe3d', 'ar3d', 'pe3d', 'ar2d', 'eap3d']
    assert Counter(tasks) == dict(pe3d=8, ar3d=4, ar2d=4, eap3d=4)
    batches = list(sampler)
    pe3d = [b for b, t in zip(batches, tasks) if t == 'pe3d']
    # Consecutive pe3d slots continue the same pass.
    assert sorted(sum(pe3d[:3], [])) == list(range(10))


@pytest.mark.parametrize('world_size', [1, 2, 3])
@pytest.mark.parametrize('drop_last', [False, True, dict(pe3d=True)])
@pytest.mark.parametrize('rotations', ['max', 'min', 5])
def test_len_matches_iteration_on_every_rank(monkeypatch, world_size,
                                             drop_last, rotations):
    lengths, task_seqs = set(), set()
    for rank in range(world_size):
        sampler = _sampler(monkeypatch, rank, world_size,
                           batch_sizes=dict(pe3d=2, ar2d=1, eap3d=1, ar3d=1),
                           drop_last=drop_last,
                           rotations_per_epoch=rotations)
        batches = list(sampler)
        assert len(batches) == len(sampler)
        lengths.add(len(batches))
        task_seqs.add(tuple(sampler.task_of_batch(i)
                            for i in range(len(batches))))
        if drop_last is True:
            assert all(len(b) == sampler.batch_sizes[sampler.task_of_batch(i)]
                       for i, b in enumerate(batches))
    assert len(lengths) == 1 and len(task_seqs) == 1
    if drop_last is True:
        # Full batches only: floor(floor(N / W) / B) batches per pass.
        bs = dict(pe3d=2, ar2d=1, eap3d=1, ar3d=1)
        per_pass = [n // world_size // bs[t] for t, n in SIZES.items()]
        if rotations == 'max':
            assert lengths == {4 * max(per_pass)}
        elif rotations == 'min':
            assert lengths == {4 * max(1, min(per_pass))}
    if rotations == 5:
        assert lengths == {20}


def test_epoch_length_rules():
    assert len(_sampler(rotations_per_epoch='max')) == 4 * 4
    assert len(_sampler(rotations_per_epoch='min')) == 4 * 3
    assert len(_sampler(rotations_per_epoch=7)) == 4 * 7
    big = _sampler(rotations_per_epoch=7)
    assert len(list(big)) == 28  # tasks cycle through several passes


def test_determinism_seed_and_epoch():
    first = list(_sampler(seed=3))
    assert list(_sampler(seed=3)) == first
    assert list(_sampler(seed=4)) != first

    sampler = _sampler(seed=3)
    # mmengine's loops and hooks set the epoch on the wrapped sampler.
    sampler.sampler.set_epoch(1)
    second = list(sampler)
    assert second != first
    assert [len(b) for b in second] == [len(b) for b in first]
    sampler.set_epoch(0)  # the sampler's own set_epoch forwards it
    assert sampler.sampler.epoch == 0 and list(sampler) == first
    assert list(sampler.iter_batches(epoch=1)) == second


def test_epoch_is_read_when_the_iterator_is_created():
    sampler = _sampler(seed=3)
    it = iter(sampler)
    sampler.set_epoch(5)
    assert list(it) == list(sampler.iter_batches(epoch=0))


def test_shuffle_follows_the_wrapped_sampler():
    sampler = _sampler(shuffle=False)
    assert not sampler.shuffle
    assert list(sampler)[:4] == [[0, 1, 2, 3], [10, 11], [17, 18], [22]]
    plain = MultiTaskBatchSampler(SequentialSampler(_dataset()),
                                  batch_sizes=BATCH_SIZES, seed=0)
    assert not plain.shuffle and list(plain) == list(sampler)
    assert _sampler().shuffle


def test_seed_comes_from_the_wrapped_sampler_unless_given():
    sampler = _sampler(seed=11)
    assert sampler.seed == 11
    dataset = _dataset()
    given = MultiTaskBatchSampler(DefaultSampler(dataset, seed=0),
                                  batch_sizes=BATCH_SIZES, seed=11)
    assert given.seed == 11 and list(given) == list(sampler)


def test_ranks_share_the_schedule_and_split_each_pass(monkeypatch):
    # Sizes chosen so that some tasks need padding (odd sizes).
    samplers = [_sampler(monkeypatch, rank, 2, seed=5) for rank in (0, 1)]
    runs = [list(s) for s in samplers]
    assert len(runs[0]) == len(runs[1]) == len(samplers[0]) == len(
        samplers[1])
    for i in range(len(runs[0])):
        assert samplers[0].task_of_batch(i) == samplers[1].task_of_batch(i)
    for task, size in SIZES.items():
        passes = [sum(_pass_batches(s, r, task), [])
                  for s, r in zip(samplers, runs)]
        assert len(passes[0]) == len(passes[1]) == -(-size // 2)
        # Every sample is seen; only the padding sample is seen twice.
        assert set(passes[0]) | set(passes[1]) == set(
            samplers[0].task_indices[task])
        overlap = set(passes[0]) & set(passes[1])
        assert len(overlap) == (2 - size % 2) % 2
        assert len(set(passes[0])) == len(passes[0])  # no repeat on a rank


def test_ranks_are_disjoint_with_drop_last(monkeypatch):
    samplers = [
        _sampler(monkeypatch, rank, 3, drop_last=True,
                 batch_sizes=dict(pe3d=1, ar2d=1, eap3d=1, ar3d=1))
        for rank in range(3)
    ]
    runs = [list(s) for s in samplers]
    for task, size in SIZES.items():
        passes = [set(sum(_pass_batches(s, r, task), []))
                  for s, r in zip(samplers, runs)]
        assert sum(len(p) for p in passes) == size // 3 * 3
        assert len(set.union(*passes)) == size // 3 * 3


def test_resume_gives_the_same_following_batches():
    full = list(_sampler(seed=9))
    for k in (0, 1, 5, 11, 16):
        # What IterBasedTrainLoop does: a fresh iterator advanced k steps.
        fresh = iter(_sampler(seed=9))
        for _ in range(k):
            next(fresh)
        assert list(fresh) == full[k:]
        # The cheap way, without computing (or loading) the skipped ones.
        assert list(_sampler(seed=9).iter_batches(k)) == full[k:]
    sampler = _sampler(seed=9)
    assert [sampler.batch_indices(i) for i in range(len(sampler))] == full
    with pytest.raises(IndexError):
        sampler.iter_batches(17)


def test_batch_size_fallback_and_validation():
    sampler = _sampler(batch_sizes=None, batch_size=2)
    assert sampler.batch_sizes == dict(pe3d=2, ar2d=2, eap3d=2, ar3d=2)
    assert _sampler(batch_sizes=3).batch_sizes['ar3d'] == 3
    with pytest.raises(ValueError, match='required'):
        _sampler(batch_sizes=None)
    with pytest.raises(ValueError, match='missing'):
        _sampler(batch_sizes=dict(pe3d=1, ar2d=1, eap3d=1))
    with pytest.raises(ValueError, match='unknown'):
        _sampler(batch_sizes=dict(BATCH_SIZES, ar4d=1))
    with pytest.raises(ValueError, match='positive integer'):
        _sampler(batch_sizes=dict(BATCH_SIZES, ar3d=0))
    with pytest.raises(ValueError, match='task_order'):
        _sampler(task_order=('pe3d', 'ar2d', 'eap3d'))
    with pytest.raises(ValueError, match='task_order'):
        _sampler(task_order=('pe3d', 'ar2d', 'eap3d', 'ar3d', 'ar4d'))
    with pytest.raises(ValueError, match='unknown'):
        _sampler(drop_last=dict(ar4d=True))
    with pytest.raises(ValueError, match='too few'):
        _sampler(drop_last=dict(ar3d=True),
                 batch_sizes=dict(BATCH_SIZES, ar3d=4))
    with pytest.raises(ValueError, match='rotations_per_epoch'):
        _sampler(rotations_per_epoch=0)
    with pytest.raises(ValueError, match='rotations_per_epoch'):
        _sampler(rotations_per_epoch='all')
    with pytest.raises(TypeError, match='task_indices'):
        MultiTaskBatchSampler(DefaultSampler(list(range(4)), seed=0),
                              batch_sizes=1)


def test_torch_dataloader_with_workers():
    dataset = MultiTaskDataset(
        {t: [dict(task=t)] * n for t, n in SIZES.items()})
    batch_sampler = MultiTaskBatchSampler(
        DefaultSampler(dataset, seed=0), batch_sizes=BATCH_SIZES)
    loader = DataLoader(dataset, batch_sampler=batch_sampler, num_workers=2,
                        collate_fn=lambda batch: batch)
    batches = list(loader)
    assert len(batches) == len(loader) == 16
    for i, batch in enumerate(batches):
        assert {s['task'] for s in batch} == {batch_sampler.task_of_batch(i)}


# ---------------------------------------------------------------------------
# A real mmengine Runner.


@DATASETS.register_module(force=True)
class ToySamplerTaskDataset(torch.utils.data.Dataset):
    """Items in the format of mmengine's data pipelines."""

    def __init__(self, task: str, size: int) -> None:
        self.task = task
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, idx: int) -> dict:
        sample = UPSDataSample(metainfo=dict(task=self.task, local_idx=idx))
        return dict(inputs=torch.zeros(1), data_samples=sample)


class RecordingModel(BaseModel):
    """Records ``(task, local_idx)`` of every sample it trains on."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.seen: List[List[tuple]] = []

    def forward(self, inputs, data_samples=None, mode='tensor'):
        self.seen.append([(s.task, s.local_idx) for s in data_samples])
        return dict(loss=self.weight.sum() * 0.0)


RUNNER_SIZES = dict(pe3d=6, ar2d=3, ar3d=4)
RUNNER_BATCH_SIZES = dict(pe3d=2, ar2d=2, ar3d=1)
RUNNER_ORDER = ('pe3d', 'ar2d', 'ar3d')


def runner_dataloader() -> dict:
    return dict(
        batch_size=1,
        num_workers=0,
        dataset=dict(
            type='MultiTaskDataset',
            datasets={
                t: dict(type='ToySamplerTaskDataset', task=t, size=n)
                for t, n in RUNNER_SIZES.items()
            }),
        sampler=dict(type='DefaultSampler', shuffle=True),
        batch_sampler=dict(type='MultiTaskBatchSampler',
                           batch_sizes=RUNNER_BATCH_SIZES,
                           task_order=RUNNER_ORDER),
        collate_fn=dict(type='pseudo_collate'))


def expected_batches(seed: int, epochs: int, rank: int = 0,
                     world_size: int = 1) -> List[List[tuple]]:
    """What the Runner should train on, from a stand-alone sampler.

    Call it with ``get_dist_info`` patched to (rank, world_size) when
    simulating a rank of a distributed run.
    """
    dataset = MultiTaskDataset({
        t: ToySamplerTaskDataset(t, n) for t, n in RUNNER_SIZES.items()})
    sampler = MultiTaskBatchSampler(
        DefaultSampler(dataset, seed=seed), batch_sizes=RUNNER_BATCH_SIZES,
        task_order=RUNNER_ORDER)
    out = []
    for epoch in range(epochs):
        for batch in sampler.iter_batches(epoch=epoch):
            out.append([dataset.locate(i) for i in batch])
    return out


def _runner(tmp_path, train_cfg: dict, **kwargs):
    from mmengine.runner import Runner
    return Runner(
        model=RecordingModel(),
        work_dir=str(tmp_path),
        experiment_name=f'mtbs_{uuid.uuid4().hex}',
        default_scope='mmups',
        train_dataloader=runner_dataloader(),
        train_cfg=train_cfg,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        randomness=dict(seed=123),
        log_level='WARNING',
        **kwargs)


def test_runner_iter_based_uses_the_batch_sampler(tmp_path, monkeypatch):
    import mmengine.runner.loops as loops

    # The loop sleeps 2 s when it restarts the finite dataloader.
    monkeypatch.setattr(loops.time, 'sleep', lambda seconds: None)
    # pe3d 3, ar2d 2, ar3d 4 batches per pass -> 12 batches per epoch; 14
    # iterations cross into the second epoch, where set_epoch(1) applies.
    runner = _runner(
        tmp_path, dict(by_epoch=False, max_iters=14),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=5,
                                           by_epoch=False)))
    loader = runner.train_dataloader
    assert isinstance(loader.batch_sampler, MultiTaskBatchSampler)
    assert len(loader) == 12
    runner.train()
    seen = runner.model.seen
    expected = expected_batches(seed=123, epochs=2)
    assert seen == expected[:14]
    tasks = [b[0][0] for b in seen]
    assert tasks == list(RUNNER_ORDER) * 4 + ['pe3d', 'ar2d']
    assert loader.batch_sampler.sampler.epoch == 1
    assert expected[12:14] != expected[:2]  # epoch 1 is reshuffled

    # Resume from iteration 5 (mid-epoch): the same batches follow.
    resumed = _runner(tmp_path / 'resumed',
                      dict(by_epoch=False, max_iters=14),
                      default_hooks=dict(checkpoint=None),
                      load_from=str(tmp_path / 'iter_5.pth'), resume=True)
    resumed.train()
    assert resumed.model.seen == expected[5:14]


def test_runner_epoch_based_sets_the_epoch(tmp_path):
    runner = _runner(tmp_path, dict(by_epoch=True, max_epochs=2),
                     default_hooks=dict(checkpoint=None))
    assert runner.train_loop.max_iters == 2 * 12
    runner.train()
    seen = runner.model.seen
    assert seen == expected_batches(seed=123, epochs=2)
    assert seen[:12] != seen[12:]
    for i, batch in enumerate(seen):
        assert {task for task, _ in batch} == {RUNNER_ORDER[i % 3]}
        assert len(batch) <= RUNNER_BATCH_SIZES[RUNNER_ORDER[i % 3]]
    for epoch in range(2):
        batches = seen[12 * epoch:12 * (epoch + 1)]
        # The longest task, ar3d (4 batches), is seen once per epoch ...
        ar3d = [j for b in batches for t, j in b if t == 'ar3d']
        assert sorted(ar3d) == list(range(4))
        # ... pe3d (3 batches) once and then one batch of a new pass.
        pe3d = [[j for t, j in b] for b in batches if b[0][0] == 'pe3d']
        assert sorted(sum(pe3d[:3], [])) == list(range(6))
        assert len(pe3d) == 4


def test_resume_of_a_cycled_task_in_simulated_ranks(monkeypatch):
    # Skipping from any batch, on any rank, matches the uninterrupted run.
    for rank in (0, 1):
        s = _sampler(monkeypatch, rank, 2, seed=2, rotations_per_epoch=9)
        full = list(s)
        for k in itertools.chain(range(0, len(full), 7), [len(full)]):
            assert list(s.iter_batches(k)) == full[k:]


def test_once_mode_visits_every_sample_once_without_cycling():
    """Evaluation: one pass per task, finished tasks drop out of the
    rotation, and simulated ranks still agree on the task of each batch."""
    from mmengine.dataset import DefaultSampler

    from mmups.datasets import MultiTaskDataset
    from mmups.datasets.samplers import multi_task_batch_sampler as module
    datasets = dict(ar3d=list(range(10)), eap3d=list(range(31)),
                    pe3d=list(range(3)))
    dataset = MultiTaskDataset(datasets)
    schedules = []
    seen = []
    for rank in (0, 1):
        original = module.get_dist_info
        module.get_dist_info = lambda: (rank, 2)
        try:
            sampler = module.MultiTaskBatchSampler(
                DefaultSampler(dataset, shuffle=False, seed=0),
                batch_sizes=4, rotations_per_epoch='once')
        finally:
            module.get_dist_info = original
        batches = list(sampler)
        assert len(batches) == len(sampler)
        schedules.append([sampler.task_of_batch(i)
                          for i in range(len(sampler))])
        seen += [i for b in batches for i in b]
    assert schedules[0] == schedules[1]
    # ar3d: 5 per rank -> 2 batches; eap3d: 16 -> 4; pe3d: 2 -> 1.
    assert schedules[0] == ['ar3d', 'eap3d', 'pe3d', 'ar3d', 'eap3d',
                            'eap3d', 'eap3d']
    # Every sample at least once; only distributed padding repeats.
    assert set(seen) == set(range(len(dataset)))
    assert len(seen) == 10 + 32 + 4
