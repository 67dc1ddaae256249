"""Batch sampler that rotates over tasks, one task per batch.

UPS trains one model on several tasks by switching task at every iteration,
in a fixed order (3D pose estimation, 2D action recognition, 3D early action
prediction, 3D action recognition in the paper), each task with its own
batch size. :class:`MultiTaskBatchSampler` produces exactly that batch
stream from a :class:`~mmups.datasets.MultiTaskDataset`.
"""
import math
import zlib
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Union

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.logging import print_log
from torch.utils.data import RandomSampler, Sampler, SequentialSampler

from mmups.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class MultiTaskBatchSampler(Sampler[List[int]]):
    """Yield single-task batches, rotating over tasks at every iteration.

    Batch ``i`` of an epoch belongs to task ``task_order[i % len(task_order)]``
    and holds ``batch_sizes[task]`` indices of that task's samples (fewer
    only for the last batch of a pass when ``drop_last`` is False for the
    task). The dataset must expose ``task_indices`` (task -> range of
    global indices), as :class:`~mmups.datasets.MultiTaskDataset` does.

    Use it through mmengine's dataloader config::

        train_dataloader = dict(
            batch_size=1,  # ignored: see `batch_sizes`
            num_workers=4,
            dataset=dict(type='MultiTaskDataset', datasets=dict(...)),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_sampler=dict(
                type='MultiTaskBatchSampler',
                batch_sizes=dict(pe3d=4, ar2d=2, eap3d=2, ar3d=2),
                task_order=('pe3d', 'ar2d', 'eap3d', 'ar3d')),
            collate_fn=dict(type='pseudo_collate'))

    **What the wrapped sampler is used for.** mmengine builds ``sampler``
    first and hands it over as ``sampler=``. Its index order is *not* used
    (it mixes tasks and splits ranks without regard to tasks); only its
    dataset (``sampler.dataset`` or ``sampler.data_source``), its ``seed``,
    its ``epoch`` (mmengine's loops and ``DistSamplerSeedHook`` call
    ``dataloader.batch_sampler.sampler.set_epoch``) and its ``shuffle``
    flag. mmengine gives ``DefaultSampler`` the runner seed (or a seed
    synchronised across ranks), so every rank draws the same permutations.

    **Passes.** The samples of a task are drawn in *passes*. A pass is a
    permutation of all the task's samples (the identity when not
    shuffling) that depends only on ``(seed, epoch, task name, pass
    number)``. With ``W`` ranks and ``N`` samples in the task, the
    permutation is split over the ranks like PyTorch's
    ``DistributedSampler``, rank ``r`` taking positions ``r, r + W, ...``:

    * ``drop_last=False``: the permutation is padded to ``ceil(N / W) * W``
      by repeating it from its start, so each rank gets ``ceil(N / W)``
      samples and up to ``W - 1`` samples appear twice in a pass (on
      different ranks). A rank's samples form
      ``ceil(ceil(N / W) / B)`` batches, the last one possibly smaller.
    * ``drop_last=True``: the permutation is cut to ``floor(N / W) * W``
      and each rank keeps only full batches: ``floor(floor(N / W) / B)``
      batches, every batch of size ``B``. No sample appears twice in a
      pass.

    Within a pass the ranks never share a sample, except for the padding
    above.

    **Epoch length.** An epoch is a whole number of *rotations*; a rotation
    is one batch for each entry of ``task_order``. With
    ``rotations_per_epoch='max'`` (default) the epoch lasts until the task
    that needs the most rotations has finished one pass (for a task listed
    ``c`` times in ``task_order`` with ``n`` batches per pass, that is
    ``ceil(n / c)`` rotations). Tasks that finish their pass earlier start a
    new pass with a fresh permutation and keep cycling; a pass cut short by
    the end of the epoch is abandoned and the next epoch starts with new
    passes for every task. ``'once'`` (for evaluation) makes one pass over
    every task: the rotation skips tasks whose pass is done, so every sample
    is seen once and no task is cycled. ``'min'`` ends the epoch when the task that needs
    the fewest rotations has finished its pass (``floor(n / c)`` rotations,
    at least 1), so no task starts a second pass (unless it has fewer
    batches per pass than slots); an integer sets the number of rotations
    directly. ``len(sampler)`` is the number of batches one epoch
    yields, the same on every rank.

    **Distributed training.** Every rank computes the same schedule, so at
    iteration ``i`` all ranks train the same task and all ranks yield
    ``len(sampler)`` batches. ``batch_sizes`` are per rank: the total batch
    of a task is ``batch_sizes[task] * world_size``.

    **Determinism and resuming.** The batch sequence is a pure function of
    ``(seed, epoch, rank, world size)`` and of the arguments, and
    :meth:`__iter__` reads the epoch when it is called. Resuming
    mid-epoch by re-creating the iterator and skipping ``k`` batches (as
    mmengine's ``IterBasedTrainLoop`` does) therefore gives the same
    batches as an uninterrupted run. :meth:`iter_batches` and
    :meth:`batch_indices` reach any batch directly without loading data,
    and :meth:`resume_at` makes the next iterator start at a batch
    (``ResumableIterBasedTrainLoop`` resumes so, loading nothing twice).

    Args:
        sampler (Sampler): The sampler built by mmengine from the
            ``sampler`` config (see above for what is taken from it).
        batch_sizes (int | Mapping[str, int], optional): Batch size per rank
            of each task (keys must be exactly the dataset's tasks), or one
            size for all tasks. None uses ``batch_size``. Defaults to None.
        task_order (Sequence[str], optional): Task of each iteration within
            a rotation. Must list every task at least once; a task listed
            several times gets that many batches per rotation. Defaults to
            the dataset's task order.
        drop_last (bool | Mapping[str, bool]): Whether to drop the tail of
            each pass that does not fill a whole batch (see above), for all
            tasks or per task (tasks not listed: False). Defaults to False.
        rotations_per_epoch (str | int): ``'max'``, ``'min'``, ``'once'``
            or a positive
            number of rotations (see above). Defaults to ``'max'``.
        shuffle (bool, optional): Whether to shuffle the samples of each
            task. None follows the wrapped sampler (its ``shuffle``
            attribute; False for ``SequentialSampler``, True for
            ``RandomSampler`` and others). Defaults to None.
        seed (int, optional): Seed that overrides the wrapped sampler's.
            When neither is set, a seed synchronised across ranks is drawn.
            It must be the same on every rank. Defaults to None.
        batch_size (int, optional): Filled by mmengine from the dataloader's
            ``batch_size``. Ignored when ``batch_sizes`` is given, which is
            the usual case; note that mmengine's ``auto_scale_lr`` still
            reads the dataloader's ``batch_size``. Defaults to None.
    """

    def __init__(self,
                 sampler: Sampler,
                 batch_sizes: Union[int, Mapping[str, int], None] = None,
                 task_order: Optional[Sequence[str]] = None,
                 drop_last: Union[bool, Mapping[str, bool]] = False,
                 rotations_per_epoch: Union[str, int] = 'max',
                 shuffle: Optional[bool] = None,
                 seed: Optional[int] = None,
                 batch_size: Optional[int] = None) -> None:
        self.sampler = sampler
        dataset = getattr(sampler, 'dataset',
                          getattr(sampler, 'data_source', None))
        task_indices = getattr(dataset, 'task_indices', None)
        if not isinstance(task_indices, Mapping):
            raise TypeError(
                'MultiTaskBatchSampler needs a dataset with `task_indices` '
                '(e.g. MultiTaskDataset) behind its `sampler`, got '
                f'{type(dataset).__name__}.')
        self.dataset = dataset
        self.task_indices: Dict[str, range] = dict(task_indices)
        self.tasks: List[str] = list(self.task_indices)
        self.rank, self.world_size = get_dist_info()

        if batch_sizes is None and batch_size is None:
            raise ValueError('`batch_sizes` is required when the dataloader '
                             'gives no `batch_size`.')
        self.batch_sizes = self._per_task(
            batch_size if batch_sizes is None else batch_sizes,
            'batch_sizes', default=None)
        for task, size in self.batch_sizes.items():
            if (isinstance(size, bool) or not isinstance(size, int)
                    or size < 1):
                raise ValueError(f'The batch size of task {task!r} must be a '
                                 f'positive integer, got {size!r}.')
        self.drop_last = self._per_task(drop_last, 'drop_last', default=False)

        self.task_order: List[str] = list(
            self.tasks if task_order is None else task_order)
        unknown = set(self.task_order) - set(self.tasks)
        missing = set(self.tasks) - set(self.task_order)
        if unknown or missing:
            raise ValueError(
                f'`task_order` {self.task_order} must list each task of the '
                f'dataset {self.tasks} at least once and nothing else '
                f'(unknown: {sorted(unknown)}, missing: {sorted(missing)}).')
        # Slot s of a rotation is the occ[s]-th occurrence of its task, so
        # the task's running batch number is a closed formula of the
        # iteration (no state to replay on resume).
        self._slot_count = {t: self.task_order.count(t) for t in self.tasks}
        self._slot_occurrence = [
            self.task_order[:s].count(t)
            for s, t in enumerate(self.task_order)
        ]

        if shuffle is None:
            if isinstance(sampler, SequentialSampler):
                shuffle = False
            elif isinstance(sampler, RandomSampler):
                shuffle = True
            else:
                shuffle = bool(getattr(sampler, 'shuffle', True))
        self.shuffle = shuffle
        if seed is None and getattr(sampler, 'seed', None) is None:
            # Every rank must draw the same permutations.
            seed = sync_random_seed()
        self._seed = seed
        self._epoch = 0
        self._resume_start = 0

        self.samples_per_pass: Dict[str, int] = {}
        self.batches_per_pass: Dict[str, int] = {}
        for task in self.tasks:
            size = len(self.task_indices[task])
            bs = self.batch_sizes[task]
            if self.drop_last[task]:
                per_rank = size // self.world_size
                num_batches = per_rank // bs
            else:
                per_rank = math.ceil(size / self.world_size)
                num_batches = math.ceil(per_rank / bs)
            if num_batches == 0:
                raise ValueError(
                    f'Task {task!r} has {size} samples: too few for one '
                    f'batch of {bs} per rank on {self.world_size} rank(s)'
                    + (' with drop_last=True.' if self.drop_last[task]
                       else '.'))
            self.samples_per_pass[task] = per_rank
            self.batches_per_pass[task] = num_batches

        rotations_needed = [
            self.batches_per_pass[t] / self._slot_count[t] for t in self.tasks
        ]
        # (task, running batch number) of every batch, for 'once' only.
        self._schedule: Optional[List[tuple]] = None
        if rotations_per_epoch == 'once':
            self._schedule = self._one_pass_schedule()
            self.rotations = math.ceil(max(rotations_needed))
        elif rotations_per_epoch == 'max':
            self.rotations = max(math.ceil(r) for r in rotations_needed)
        elif rotations_per_epoch == 'min':
            self.rotations = max(1, min(math.floor(r)
                                        for r in rotations_needed))
        elif (isinstance(rotations_per_epoch, int)
              and not isinstance(rotations_per_epoch, bool)
              and rotations_per_epoch > 0):
            self.rotations = rotations_per_epoch
        else:
            raise ValueError("`rotations_per_epoch` must be 'max', 'min', "
                             "'once' or a positive integer, got "
                             f'{rotations_per_epoch!r}.')
        self.rotations_per_epoch = rotations_per_epoch

        print_log(
            f'MultiTaskBatchSampler: {len(self)} batches per epoch '
            f'(rotations of {self.task_order}) on each of '
            f'{self.world_size} rank(s); per task (batch size, batches per '
            'pass): ' + ', '.join(f'{t} ({self.batch_sizes[t]}, '
                                  f'{self.batches_per_pass[t]})'
                                  for t in self.tasks),
            logger='current')

    def _per_task(self, value, name: str, default) -> dict:
        """Expand a scalar or a task mapping into a full task -> value dict.

        ``default=None`` means every task must be given.
        """
        if not isinstance(value, Mapping):
            return {task: value for task in self.tasks}
        unknown = set(value) - set(self.tasks)
        missing = set(self.tasks) - set(value)
        if unknown or (missing and default is None):
            raise ValueError(
                f'The keys of `{name}` {sorted(value)} must be the tasks of '
                f'the dataset {self.tasks} (unknown: {sorted(unknown)}, '
                f'missing: {sorted(missing)}).')
        return {task: value.get(task, default) for task in self.tasks}

    @property
    def seed(self) -> int:
        """The seed of the permutations: this sampler's or the wrapped
        sampler's."""
        return self._seed if self._seed is not None else self.sampler.seed

    @property
    def epoch(self) -> int:
        """The current epoch, kept by the wrapped sampler when it can."""
        return getattr(self.sampler, 'epoch', self._epoch)

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch (also on the wrapped sampler, which mmengine's
        loops and hooks update directly)."""
        self._epoch = epoch
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch)

    def _one_pass_schedule(self) -> List[tuple]:
        """Rotation in ``task_order`` that skips tasks whose single pass is
        done: every sample once, no task cycled (evaluation)."""
        schedule: List[tuple] = []
        done = {task: 0 for task in self.tasks}
        total = sum(self.batches_per_pass.values())
        while len(schedule) < total:
            for task in self.task_order:
                if done[task] < self.batches_per_pass[task]:
                    schedule.append((task, done[task]))
                    done[task] += 1
        return schedule

    def __len__(self) -> int:
        """Number of batches in one epoch, the same on every rank."""
        if self._schedule is not None:
            return len(self._schedule)
        return self.rotations * len(self.task_order)

    def task_of_batch(self, i: int) -> str:
        """Task of batch ``i`` of an epoch (the same in every epoch)."""
        self._check_batch_number(i)
        return self._task_batch(i)[0]

    def _check_batch_number(self, i: int) -> None:
        if not 0 <= i < len(self):
            raise IndexError(f'Batch {i} is out of range for an epoch of '
                             f'{len(self)} batches.')

    def _task_batch(self, i: int):
        """Task of batch ``i`` and its running batch number in that task."""
        if self._schedule is not None:
            return self._schedule[i]
        num_slots = len(self.task_order)
        rotation, slot = divmod(i, num_slots)
        task = self.task_order[slot]
        return task, (rotation * self._slot_count[task] +
                      self._slot_occurrence[slot])

    def _pass_indices(self, task: str, epoch: int,
                      pass_idx: int) -> np.ndarray:
        """Global indices of this rank's samples in one pass over a task."""
        size = len(self.task_indices[task])
        if self.shuffle:
            # Keyed by the task *name* so that a task's stream does not
            # change when other tasks are added or reordered.
            rng = np.random.default_rng([
                self.seed % 2**64, epoch,
                zlib.crc32(task.encode()), pass_idx
            ])
            order = rng.permutation(size)
        else:
            order = np.arange(size)
        total = self.samples_per_pass[task] * self.world_size
        # np.resize truncates (drop_last) or repeats from the start (padding).
        order = np.resize(order, total)
        return order[self.rank::self.world_size] + self.task_indices[task][0]

    def batch_indices(self, i: int, epoch: Optional[int] = None) -> List[int]:
        """Global sample indices of batch ``i`` of an epoch on this rank.

        Args:
            i (int): Batch number within the epoch.
            epoch (int, optional): The epoch; defaults to the current one.
        """
        self._check_batch_number(i)
        task, j = self._task_batch(i)
        pass_idx, k = divmod(j, self.batches_per_pass[task])
        indices = self._pass_indices(task, self.epoch if epoch is None else
                                     epoch, pass_idx)
        bs = self.batch_sizes[task]
        return indices[k * bs:(k + 1) * bs].tolist()

    def iter_batches(self,
                     start: int = 0,
                     epoch: Optional[int] = None) -> Iterator[List[int]]:
        """Yield the batches of an epoch from batch ``start`` on.

        The batches skipped are not computed, so this is a cheap way to
        resume mid-epoch without loading data.

        Args:
            start (int): First batch to yield. Defaults to 0.
            epoch (int, optional): The epoch; defaults to the current one,
                read when this is called.
        """
        if not 0 <= start <= len(self):
            raise IndexError(f'Cannot start at batch {start} of an epoch of '
                             f'{len(self)} batches.')
        return self.generate(start, self.epoch if epoch is None else epoch)

    def generate(self, start: int, epoch: int) -> Iterator[List[int]]:
        current: Dict[str, tuple] = {}  # task -> (pass number, indices)
        for i in range(start, len(self)):
            task, j = self._task_batch(i)
            pass_idx, k = divmod(j, self.batches_per_pass[task])
            if task not in current or current[task][0] != pass_idx:
                current[task] = (pass_idx,
                                 self._pass_indices(task, epoch, pass_idx))
            bs = self.batch_sizes[task]
            yield current[task][1][k * bs:(k + 1) * bs].tolist()

    def resume_at(self, start: int) -> None:
        """Make the next iterator (the next epoch the DataLoader starts)
        begin at batch ``start`` instead of 0, once: how a resumed training
        loop skips the batches already trained without loading them."""
        self._check_batch_number(start)
        self._resume_start = start

    def __iter__(self) -> Iterator[List[int]]:
        # The epoch is read now, when the DataLoader creates its iterator,
        # not lazily at the first batch.
        start, self._resume_start = self._resume_start, 0
        return self.iter_batches(start)
