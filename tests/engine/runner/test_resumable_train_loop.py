"""ResumableIterBasedTrainLoop's parts: the per-iteration seed and the
epoch iterator that starts mid-epoch without loading earlier batches.
(The whole loop, killed and resumed: tests/tools/test_train_test.py.)"""
from typing import List

import pytest
from mmengine.dataset import DefaultSampler
from torch.utils.data import DataLoader

from mmups.datasets import MultiTaskBatchSampler, MultiTaskDataset
from mmups.engine.runner import EpochIterator, iteration_seed


class CountingList(list):
    """A task's samples that count how often they are loaded."""

    loads = 0

    def __getitem__(self, i):
        CountingList.loads += 1
        return super().__getitem__(i)


def _loader() -> DataLoader:
    dataset = MultiTaskDataset(dict(
        pe3d=CountingList(f'pe{i}' for i in range(7)),
        ar2d=CountingList(f'ar{i}' for i in range(5))))
    batch_sampler = MultiTaskBatchSampler(
        DefaultSampler(dataset, shuffle=True, seed=3),
        batch_sizes=dict(pe3d=2, ar2d=2))
    return DataLoader(dataset, batch_sampler=batch_sampler,
                      collate_fn=lambda batch: batch)


def _take(iterator, n: int) -> List:
    return [next(iterator) for _ in range(n)]


def test_epoch_iterator_starts_mid_epoch_without_loading_earlier_batches():
    loader = _loader()
    per_epoch = len(loader)
    assert per_epoch == 8  # pe3d: 4 batches a pass, 4 rotations
    full = _take(EpochIterator(loader), 3 * per_epoch)
    # Epochs differ (the epoch reaches the shuffle) and batches are whole.
    assert full[:per_epoch] != full[per_epoch:2 * per_epoch]
    for k in (per_epoch + 3, 2 * per_epoch, 5):
        CountingList.loads = 0
        epoch, start = divmod(k, per_epoch)
        resumed = _take(EpochIterator(loader, epoch, start), 3 * per_epoch - k)
        assert resumed == full[k:]
        # Only the batches yielded were loaded, none before them.
        assert CountingList.loads == sum(map(len, resumed))


def test_epoch_iterator_replays_with_another_batch_sampler():
    # A DataLoader without resume_at (torch's BatchSampler) still starts
    # at the right batch, by loading and dropping the earlier ones.
    data = list(range(10))
    loader = DataLoader(data, batch_size=3, collate_fn=lambda b: b)
    assert _take(EpochIterator(loader, 1, 2), 3) == [[6, 7, 8], [9],
                                                     [0, 1, 2]]


def test_resume_at_applies_to_one_iterator_only():
    loader = _loader()
    sampler = loader.batch_sampler
    full = list(sampler)
    sampler.resume_at(5)
    assert list(sampler) == full[5:]
    assert list(sampler) == full
    with pytest.raises(IndexError, match='out of range'):
        sampler.resume_at(len(sampler))


def test_iteration_seed_is_a_function_of_seed_and_iteration():
    assert iteration_seed(0, 7) == iteration_seed(0, 7)
    seeds = {iteration_seed(s, i) for s in (0, 1) for i in range(100)}
    assert len(seeds) == 200
    assert all(0 <= s < 2**32 for s in seeds)


class CountingLoader(DataLoader):
    """A dataloader that counts the iterators made of it (each one, with
    workers, starts them and has them load batches ahead)."""

    iterators = 0

    def __iter__(self):
        CountingLoader.iterators += 1
        return super().__iter__()


def test_building_the_loop_starts_no_iterator():
    """mmengine's constructor starts a dataloader iterator; this loop makes
    its own in run(), once the resumed iteration is known."""
    from types import SimpleNamespace

    from mmengine.runner import IterBasedTrainLoop

    from mmups.engine.runner import ResumableIterBasedTrainLoop
    base = _loader()
    loader = CountingLoader(base.dataset, batch_sampler=base.batch_sampler,
                            collate_fn=base.collate_fn)
    runner = SimpleNamespace(visualizer=SimpleNamespace(dataset_meta=None))
    CountingLoader.iterators = 0
    loop = ResumableIterBasedTrainLoop(runner, loader, max_iters=6,
                                       val_interval=3)
    assert CountingLoader.iterators == 0
    assert loop.dataloader_iterator is None
    assert (loop.max_iters, loop.val_interval) == (6, 3)
    IterBasedTrainLoop(runner, loader, max_iters=6)  # mmengine's does
    assert CountingLoader.iterators == 1
