"""Dump every prediction of a multi-task evaluation, each sample once."""
import os.path as osp
import pickle
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence

from mmengine.dist import collect_results, get_world_size, is_main_process
from mmengine.evaluator import BaseMetric
from mmengine.evaluator.metric import _to_cpu

from mmups.registry import METRICS
from mmups.utils import atomic_open
from .multi_task_metric import task_sizes


@METRICS.register_module()
class MultiTaskDumpResults(BaseMetric):
    """Write the predicted data samples of a multi-task set to a pickle.

    mmengine's ``DumpResults`` gathers all samples at once, interleaving the
    ranks and cutting at the dataset size; that is right only when the
    sampler pads at the end of the whole dataset. :class:`~mmups.datasets.
    MultiTaskBatchSampler` pads each *task* (up to ``world_size - 1``
    repeats of the task's first samples, on the last ranks), so on several
    ranks the whole-set cut keeps padded duplicates and drops real samples.
    This metric collects each task on its own, as :class:`MultiTaskMetric`
    does: rank ``r``'s share of a task is positions ``r, r + W, ...`` of the
    task's order, so interleaving the ranks' shares restores that order and
    cutting at the task's size drops exactly the padding. The tasks are then
    concatenated in ``dataset_meta['tasks']`` order, the dataset's block
    order.

    The file holds a list of data samples as dicts, one per sample of the
    evaluation set; in dataset order when the sampler does not shuffle (as
    evaluation loaders do), else in the sampler's order. Rank 0 writes it
    whole or not at all (a temporary file, then a rename).

    Args:
        out_file_path: the ``.pkl`` / ``.pickle`` file to write.
        collect_device: ``'cpu'`` or ``'gpu'``, used to collect the results.
        collect_dir: directory to collect through with ``collect_device=
            'cpu'`` (one sub-folder per task).
    """

    default_prefix: Optional[str] = ''

    def __init__(self,
                 out_file_path: str,
                 collect_device: str = 'cpu',
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device,
                         collect_dir=collect_dir)
        if not str(out_file_path).endswith(('.pkl', '.pickle')):
            raise ValueError(f'MultiTaskDumpResults: {out_file_path}: the '
                             'file must end with .pkl or .pickle.')
        self.out_file_path = str(out_file_path)
        # task -> this rank's samples of it, in the order processed.
        self._task_results: Dict[str, List[dict]] = OrderedDict()

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Keep each sample (on the CPU) under its ``task``."""
        for sample in data_samples:
            self._task_results.setdefault(sample.get('task'), []).append(
                _to_cpu(sample))

    def compute_metrics(self, results: list) -> dict:
        """Not used: :meth:`evaluate` collects per task and dumps."""
        raise NotImplementedError(
            'MultiTaskDumpResults collects and dumps in evaluate().')

    def _tasks(self) -> List[str]:
        tasks = (self.dataset_meta or {}).get('tasks')
        if tasks is not None:
            unknown = sorted(set(self._task_results) - set(tasks))
            if unknown:
                raise ValueError(
                    f'MultiTaskDumpResults got samples of tasks {unknown}, '
                    f"which dataset_meta['tasks'] {list(tasks)} lacks.")
            return list(tasks)
        if get_world_size() > 1:
            raise ValueError(
                "MultiTaskDumpResults needs dataset_meta['tasks'] (and "
                "'task_sizes') in a distributed evaluation: every rank must "
                'collect the same tasks in the same order.')
        return list(self._task_results)

    def _collect(self, task: str, size: Optional[int]) -> Optional[list]:
        results = self._task_results.get(task, [])
        if size is None:  # single process: nothing is padded
            size = len(results)
        if self.collect_device != 'cpu':
            return collect_results(results, size, self.collect_device)
        # mmengine deletes the folder after each collection.
        tmpdir = None if self.collect_dir is None else osp.join(
            self.collect_dir, f'dump_{task}')
        return collect_results(results, size, 'cpu', tmpdir=tmpdir)

    def evaluate(self, size: int) -> dict:
        """Collect every task's samples and write them (rank 0).

        Args:
            size: length of the whole (multi-task) evaluation dataset.

        Returns:
            dict: empty; this metric reports nothing.
        """
        try:
            tasks = self._tasks()
            sizes = task_sizes(self.dataset_meta, tasks, size,
                               type(self).__name__)
            # Every rank takes part in every collection, in the same order.
            collected = [self._collect(task, sizes[task]) for task in tasks]
            if is_main_process():
                samples = [s for part in collected for s in part]
                with atomic_open(self.out_file_path, 'wb') as f:
                    pickle.dump(samples, f, protocol=pickle.HIGHEST_PROTOCOL)
        finally:
            self._task_results.clear()
        return {}
