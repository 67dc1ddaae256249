"""An iteration-based training loop whose resumed runs repeat the
uninterrupted run exactly, without replaying data."""
import random
from typing import Iterator, List, Optional
from unittest import mock

import numpy as np
import torch
from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop
from mmengine.runner import loops as mmengine_loops
from torch.utils.data import DataLoader

from mmups.registry import LOOPS


def iteration_seed(seed: int, iteration: int) -> int:
    """A 32-bit seed for ``iteration`` of a run seeded with ``seed``, well
    mixed (``SeedSequence``) so that neighbouring iterations and runs draw
    unrelated numbers."""
    state = np.random.SeedSequence([seed % 2**32, iteration])
    return int(state.generate_state(1)[0])


class EpochIterator:
    """Batches of a dataloader without end: epoch after epoch, the epoch
    set on its sampler before each pass (as mmengine's infinite iterator
    does), starting at batch ``start`` of epoch ``epoch``.

    Args:
        dataloader: its batch sampler starts at ``start`` through
            ``resume_at`` (``MultiTaskBatchSampler``); with another batch
            sampler the first ``start`` batches are loaded and dropped.
        epoch: the first epoch.
        start: the first batch within it.
    """

    def __init__(self, dataloader: DataLoader, epoch: int = 0,
                 start: int = 0) -> None:
        self.dataloader = dataloader
        self.epoch = epoch
        self._set_epoch(epoch)
        batch_sampler = getattr(dataloader, 'batch_sampler', None)
        skip = start
        if start and hasattr(batch_sampler, 'resume_at'):
            batch_sampler.resume_at(start)
            skip = 0
        self._batches: Iterator = iter(dataloader)
        for _ in range(skip):
            next(self._batches)

    def _set_epoch(self, epoch: int) -> None:
        # The sampler that keeps the epoch: the dataloader's own, else the
        # one a batch sampler wraps (mmengine's DistSamplerSeedHook order).
        for sampler in (getattr(self.dataloader, 'sampler', None),
                        getattr(getattr(self.dataloader, 'batch_sampler',
                                        None), 'sampler', None)):
            if hasattr(sampler, 'set_epoch'):
                sampler.set_epoch(epoch)
                return

    def __iter__(self) -> 'EpochIterator':
        return self

    def __next__(self) -> List:
        try:
            return next(self._batches)
        except StopIteration:
            self.epoch += 1
            self._set_epoch(self.epoch)
            self._batches = iter(self.dataloader)
            return next(self._batches)


def _not_started(dataloader: DataLoader) -> None:
    """In place of mmengine's dataloader iterator while the loop is built."""
    return None


@LOOPS.register_module()
class ResumableIterBasedTrainLoop(IterBasedTrainLoop):
    """mmengine's ``IterBasedTrainLoop``, resumable without loss.

    * **Randomness per iteration.** Before iteration ``i`` loads its batch,
      Python's, NumPy's and torch's generators are seeded from the run's
      seed and ``i`` (:func:`iteration_seed`). The data augmentation of the
      batch (in the main process, ``num_workers=0``) and the model's draws
      (dropout, the routed encoder's Gumbel noise) are then a function of
      the iteration, and a run resumed from the checkpoint of iteration
      ``k`` draws what the uninterrupted run drew: it reaches the same
      weights. (With dataloader workers the sample order and the model's
      draws are still the same; the workers' augmentation draws are not.)
    * **No replay.** mmengine's loop resumes at iteration ``k`` by loading
      and dropping ``k`` batches, every one through the data pipeline.
      Here the epoch and batch of iteration ``k`` are computed and the
      batch sampler starts there (``MultiTaskBatchSampler.resume_at``),
      so no earlier batch is loaded.

    Arguments are ``IterBasedTrainLoop``'s.
    """

    def __init__(self, runner, dataloader, max_iters: int,
                 val_begin: int = 1, val_interval: int = 1000,
                 dynamic_intervals: Optional[List] = None) -> None:
        # mmengine's constructor starts iterating the dataloader (its
        # workers load the first batches of epoch 0); the iterator used is
        # made in run(), once the resumed iteration is known, so none is
        # started here.
        with mock.patch.object(mmengine_loops, '_InfiniteDataloaderIterator',
                               _not_started):
            super().__init__(runner, dataloader, max_iters, val_begin,
                             val_interval, dynamic_intervals)

    def _seed_iteration(self, iteration: int) -> None:
        seed = iteration_seed(self.runner.seed, iteration)
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)

    def run(self) -> torch.nn.Module:
        """Train from the current iteration (0, or the resumed one) to
        ``max_iters``."""
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        epoch, start = divmod(self._iter, len(self.dataloader))
        if self._iter:
            print_log(f'Resuming at iteration {self._iter}: batch {start} of '
                      f'epoch {epoch} of the training data.',
                      logger='current')
        self.dataloader_iterator = EpochIterator(self.dataloader, epoch,
                                                 start)
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            self._seed_iteration(self._iter)
            self.run_iter(next(self.dataloader_iterator))
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None
                    and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0
                         or self._iter == self._max_iters)):
                self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model
