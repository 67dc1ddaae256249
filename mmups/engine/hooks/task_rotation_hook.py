"""Check and log the task rotation of multi-task training."""
from typing import Optional, Sequence

from mmengine.dist import all_gather_object
from mmengine.hooks import Hook

from mmups.registry import HOOKS


@HOOKS.register_module()
class TaskRotationHook(Hook):
    """Log the task of every rank's batch and check that the ranks agree.

    Dynamic routing selects encoder blocks per task, so under distributed
    training every rank must train the same task at the same iteration
    (``MultiTaskBatchSampler`` guarantees it); this hook makes that visible
    in the log (``task per rank: [...]``) and raises as soon as it breaks.

    Args:
        interval: log every ``interval`` iterations (the check runs at every
            iteration).
    """

    priority = 'NORMAL'

    def __init__(self, interval: int = 20) -> None:
        self.interval = interval

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        samples: Sequence = (data_batch or {}).get('data_samples') or []
        tasks = sorted({s.metainfo.get('task') for s in samples})
        per_rank = all_gather_object(tasks)
        if any(len(t) != 1 for t in per_rank) or len(
                {t[0] for t in per_rank}) != 1:
            raise RuntimeError(
                f'Iteration {runner.iter + 1}: batches must hold one task '
                f'and all ranks the same one, got tasks per rank {per_rank}.')
        if self.every_n_train_iters(runner, self.interval):
            runner.logger.info(f'Iter {runner.iter + 1}: task per rank: '
                               f'{[t[0] for t in per_rank]}')
