"""One dataset per UPS task, seen as a single indexable dataset.

UPS trains a single model on several tasks at once. ``MultiTaskDataset``
places the task datasets one after the other in a global index space and
remembers which index range belongs to which task, so that
:class:`~mmups.datasets.samplers.MultiTaskBatchSampler` can draw every batch
from one task only.
"""
import bisect
import copy
from typing import Any, Dict, List, Mapping, Tuple, Union

from mmengine.dataset import BaseDataset
from torch.utils.data import Dataset

from mmups.registry import DATASETS
from mmups.tasks import task_kind
from mmups.utils import release_free_memory


@DATASETS.register_module()
class MultiTaskDataset(Dataset):
    """Concatenation of one dataset per task, keyed by task name.

    Global indices run through the task datasets in the order of
    ``datasets``: with sizes ``{'pe3d': 5, 'ar2d': 3}``, indices 0-4 are
    ``pe3d`` samples 0-4 and indices 5-7 are ``ar2d`` samples 0-2.

    Unlike mmengine's ``ConcatDataset``, the task datasets may have different
    meta information (they usually come from different libraries and label
    sets); :attr:`metainfo` keeps each of them under its task name.

    The dataset follows mmengine's lazy-init protocol: with
    ``lazy_init=True`` nothing is loaded until :meth:`full_init` is called
    (mmengine's ``Runner`` calls it when it builds a dataloader) or until
    something needs the sizes (``len``, indexing, :attr:`task_indices`,
    :attr:`metainfo`), which calls it on demand.

    Args:
        datasets (Mapping[str, dict | Dataset]): Task name -> dataset or
            dataset config. Names must start with a task kind (``ar``,
            ``eap`` or ``pe``, e.g. ``'pe3d'``, ``'ar2d'``, ``'eap3d'``,
            ``'ar3d'``). Configs are built with the mmups ``DATASETS``
            registry, so they may name mmups datasets directly or carry
            ``_scope_='mmaction'`` / ``_scope_='mmpose'`` (or a prefixed
            ``type`` such as ``'mmaction.PoseDataset'``). Instances may be
            any map-style dataset with ``__len__``.
        lazy_init (bool): Defer :meth:`full_init` of this dataset and of the
            task datasets. Defaults to False.

    Example:
        >>> dataset = dict(
        ...     type='MultiTaskDataset',
        ...     datasets=dict(
        ...         pe3d=dict(type='SomePoseLiftingDataset', _scope_='mmpose',
        ...                   ...),
        ...         ar3d=dict(type='PoseDataset', _scope_='mmaction', ...)))
    """

    def __init__(self,
                 datasets: Mapping[str, Union[dict, BaseDataset, Dataset]],
                 lazy_init: bool = False) -> None:
        if not isinstance(datasets, Mapping) or len(datasets) == 0:
            raise TypeError('`datasets` must be a non-empty mapping from task '
                            f'name to dataset (config), got {datasets!r}.')
        self.datasets: Dict[str, Any] = {}
        for task, dataset in datasets.items():
            task_kind(task)  # raises ValueError for unknown task names
            if isinstance(dataset, dict):
                dataset = DATASETS.build(dataset)
                # Loading left freed per-clip objects between live ones.
                release_free_memory()
            if not (hasattr(dataset, '__len__')
                    and hasattr(dataset, '__getitem__')):
                raise TypeError(
                    f'The dataset of task {task!r} must be a dataset config '
                    'or a map-style dataset with __len__ and __getitem__, '
                    f'got {type(dataset)}.')
            self.datasets[task] = dataset
        self.tasks: List[str] = list(self.datasets)
        self._cumulative_sizes: List[int] = []
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        """Fully initialise every task dataset and compute the index ranges.

        Does nothing when already done (mmengine's lazy-init protocol).
        """
        if self._fully_initialized:
            return
        total = 0
        cumulative = []
        for dataset in self.datasets.values():
            if hasattr(dataset, 'full_init'):
                dataset.full_init()
            total += len(dataset)
            cumulative.append(total)
        self._cumulative_sizes = cumulative
        self._fully_initialized = True

    @property
    def task_indices(self) -> Dict[str, range]:
        """Task name -> range of the global indices of its samples."""
        self.full_init()
        starts = [0] + self._cumulative_sizes[:-1]
        return {
            task: range(start, end)
            for task, start, end in zip(self.tasks, starts,
                                        self._cumulative_sizes)
        }

    @property
    def task_sizes(self) -> Dict[str, int]:
        """Task name -> number of samples of that task."""
        return {task: len(r) for task, r in self.task_indices.items()}

    @property
    def metainfo(self) -> dict:
        """Meta information: ``tasks``, ``task_sizes`` and ``datasets``.

        ``datasets`` maps each task to a copy of the meta information of its
        dataset (an empty dict for datasets without ``metainfo``). Reading
        it fully initialises the dataset, since ``task_sizes`` needs the
        annotations.
        """
        return dict(
            tasks=list(self.tasks),
            task_sizes=self.task_sizes,
            datasets={
                task: copy.deepcopy(getattr(dataset, 'metainfo', {}))
                for task, dataset in self.datasets.items()
            })

    def __len__(self) -> int:
        self.full_init()
        return self._cumulative_sizes[-1]

    def locate(self, idx: int) -> Tuple[str, int]:
        """Map a global index to ``(task, index within the task dataset)``.

        Negative indices count from the end, as for a list.

        Raises:
            IndexError: if ``idx`` is out of range.
        """
        length = len(self)
        if not -length <= idx < length:
            raise IndexError(f'Index {idx} is out of range for a '
                             f'MultiTaskDataset of length {length}.')
        if idx < 0:
            idx += length
        pos = bisect.bisect_right(self._cumulative_sizes, idx)
        start = self._cumulative_sizes[pos - 1] if pos > 0 else 0
        return self.tasks[pos], idx - start

    def task_of(self, idx: int) -> str:
        """Name of the task that the global index ``idx`` belongs to."""
        return self.locate(idx)[0]

    def get_data_info(self, idx: int) -> dict:
        """Annotation of the global index ``idx``, from its task dataset.

        Raises:
            AttributeError: if that task dataset has no ``get_data_info``.
        """
        task, local_idx = self.locate(idx)
        return self.datasets[task].get_data_info(local_idx)

    def __getitem__(self, idx: int) -> Any:
        task, local_idx = self.locate(idx)
        data = self.datasets[task][local_idx]
        sample = data.get('data_samples') if isinstance(data, dict) else None
        packed = getattr(sample, 'metainfo', {}).get('task', task)
        if packed != task:
            # The metric routes samples by their task but counts them by
            # the dataset they come from: they must agree.
            raise ValueError(
                f'Sample {local_idx} of the dataset of task {task!r} was '
                f'packed as task {packed!r} (its pipeline\'s PackUPSInputs); '
                'it would be counted under the wrong task.')
        return data

    def __repr__(self) -> str:
        if self._fully_initialized:
            sizes = ', '.join(f'{t}: {n}' for t, n in self.task_sizes.items())
        else:
            sizes = ', '.join(f'{t}: not loaded' for t in self.tasks)
        return f'{type(self).__name__}({sizes})'
