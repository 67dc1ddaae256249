"""One metric for a multi-task evaluation set: routes samples by task."""
import logging
import os.path as osp
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

from mmengine.dist import (all_gather_object, broadcast_object_list,
                           collect_results, get_world_size, is_main_process)
from mmengine.evaluator import BaseMetric
from mmengine.evaluator.metric import _to_cpu
from mmengine.logging import print_log

from mmups.registry import METRICS
from mmups.tasks import task_kind

MetricCfg = Union[dict, BaseMetric]


def per_task_meta(dataset_meta: Optional[dict], key: str) -> Dict[str, Any]:
    """``dataset_meta[key]`` as a dict task -> value (it may be a dict, or a
    list aligned with ``dataset_meta['tasks']``)."""
    value = (dataset_meta or {}).get(key)
    if value is None:
        return {}
    if isinstance(value, dict):
        return dict(value)
    tasks = dataset_meta.get('tasks')
    if tasks is None or len(tasks) != len(value):
        raise ValueError(
            f"dataset_meta[{key!r}] is a sequence of length {len(value)}; "
            "it then needs dataset_meta['tasks'] of the same length, got "
            f'{tasks!r}.')
    return dict(zip(tasks, value))


def task_sizes(dataset_meta: Optional[dict], tasks: Sequence[str], size: int,
               owner: str) -> Dict[str, Optional[int]]:
    """Real number of samples of each of ``tasks`` in an evaluation set.

    From ``dataset_meta['task_sizes']``; a lone task has the set's ``size``;
    otherwise None (unknown: every collected result is kept), which only a
    single process may have, since ranks' padded duplicates could not be
    dropped. ``owner`` names the caller in messages.
    """
    known = {task: int(n)
             for task, n in per_task_meta(dataset_meta, 'task_sizes').items()}
    if known and sum(known.values()) != size:
        print_log(
            f'{owner}: task_sizes {known} sum to {sum(known.values())}, but '
            f'the dataset size is {size}.',
            logger='current', level=logging.WARNING)
    sizes: Dict[str, Optional[int]] = {}
    for task in tasks:
        if task in known:
            sizes[task] = known[task]
        elif len(tasks) == 1:
            sizes[task] = size  # one task: its size is the dataset's
        else:
            sizes[task] = None
    missing = [t for t, n in sizes.items() if n is None]
    if missing and get_world_size() > 1:
        raise ValueError(
            f'{owner}: no task size for tasks {missing} in '
            "dataset_meta['task_sizes'] (dataset_meta keys: "
            f'{sorted(dataset_meta or {})}); distributed evaluation needs '
            'them to drop the samples the sampler padded.')
    return sizes


@METRICS.register_module()
class MultiTaskMetric(BaseMetric):
    """Evaluate each task of a multi-task set with its own metrics.

    Every data sample is routed by its ``task`` metainfo to the sub-metrics
    configured for that task (e.g. MMAction2's ``AccMetric`` for action
    recognition, :class:`MPJPEMetric` for pose estimation,
    :class:`EarlyPredictionMetric` for early action prediction). The
    sub-metrics' own ``process`` and ``compute_metrics`` do the work.

    Output names are ``'{task}/{dataset}/{name}'``, e.g.
    ``'ar3d/ntu60_xsub/top1'``, ``'pe3d/h36m_cpn/MPJPE'``,
    ``'pe3d/h36m_cpn/MPJPE_Walking'``, ``'eap3d/ntu60_xsub/top1@0.2'``. The
    dataset is ``dataset_names[task]``, else the ``dataset`` metainfo of the
    task's samples, else it is left out (``'ar3d/top1'``). A sub-metric
    configured with an explicit ``prefix`` adds it after the dataset
    (``'pe3d/h36m_cpn/{prefix}/MPJPE'``), which tells apart two sub-metrics
    of one task that report the same names; a ``prefix`` of this metric is
    put in front of everything.

    Distributed evaluation follows mmengine's :class:`BaseMetric`: in
    :meth:`evaluate`, the results of every sub-metric are gathered from all
    ranks with :func:`mmengine.dist.collect_results` and truncated to the
    task's real size, dropping the samples the sampler padded; only rank 0
    computes, the metrics are broadcast to all ranks, and the stored results
    are cleared. The per-task sizes come from ``dataset_meta['task_sizes']``
    (a dict task -> size, or a list aligned with ``dataset_meta['tasks']``),
    which the multi-task dataset's metainfo provides. This assumes one
    stored result per sample and that rank ``r``'s share of a task is
    positions ``r, r + W, ...`` of the task's order, padded at its end: so
    does :class:`~mmups.datasets.MultiTaskBatchSampler` (per task) and
    ``DefaultSampler(shuffle=False)`` over a dataset whose tasks are
    contiguous blocks. Collected that way, each sample counts exactly once
    (tested on 2 and 3 processes).

    Each sub-metric's ``dataset_meta`` is its task's sub-dataset metainfo:
    ``dataset_meta['datasets'][task]`` (a dict keyed by task, or a list
    aligned with ``tasks``), else the whole ``dataset_meta``.

    The argument is ``task_metrics``, not ``metrics``: mmengine's Runner
    reads an evaluator config with a ``metrics`` key as an ``Evaluator``.

    Args:
        task_metrics: task name -> one sub-metric config (or built metric) or a
            list of them. Configs are built with ``METRICS.build`` in the
            current scope; MMAction2 / MMPose metrics need ``_scope_``, e.g.
            ``dict(type='AccMetric', _scope_='mmaction')``.
        dataset_names: task name -> dataset name used in the output names.
        collect_device: ``'cpu'`` or ``'gpu'``, used to collect every
            sub-metric's results.
        prefix: optional prefix in front of every output name.
        collect_dir: directory to collect results through with
            ``collect_device='cpu'`` (one sub-folder per sub-metric).

    Example:
        >>> metric = dict(
        ...     type='MultiTaskMetric',
        ...     task_metrics=dict(
        ...         ar3d=dict(type='AccMetric', _scope_='mmaction'),
        ...         eap3d=dict(type='EarlyPredictionMetric'),
        ...         pe3d=[dict(type='MPJPEMetric', mode='mpjpe'),
        ...               dict(type='MPJPEMetric', mode='p-mpjpe')]),
        ...     dataset_names=dict(ar3d='ntu60_xsub', pe3d='h36m_cpn'))
    """

    # Output names start with the task already; a non-None default avoids
    # mmengine's "prefix is not set" warning.
    default_prefix: Optional[str] = ''

    def __init__(self,
                 task_metrics: Dict[str, Union[MetricCfg,
                                               Sequence[MetricCfg]]],
                 dataset_names: Optional[Dict[str, str]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix,
                         collect_dir=collect_dir)
        if not task_metrics:
            raise ValueError('MultiTaskMetric needs metrics for at least '
                             'one task.')
        self.task_metrics: 'OrderedDict[str, List[BaseMetric]]' = \
            OrderedDict()
        # Explicit prefixes of the sub-metrics (None: not configured).
        self._sub_prefixes: Dict[str, List[Optional[str]]] = {}
        for task, cfgs in task_metrics.items():
            task_kind(task)  # a clear error for a malformed task name
            if isinstance(cfgs, (dict, BaseMetric)):
                cfgs = [cfgs]
            if not cfgs:
                raise ValueError(f'No metric configured for task {task!r}.')
            self.task_metrics[task], self._sub_prefixes[task] = [], []
            for cfg in cfgs:
                metric, sub_prefix = self._build(cfg)
                self.task_metrics[task].append(metric)
                self._sub_prefixes[task].append(sub_prefix)
        self.dataset_names = dict(dataset_names or {})
        unknown = sorted(set(self.dataset_names) - set(self.task_metrics))
        if unknown:
            raise ValueError(f'dataset_names has tasks {unknown} without '
                             f'metrics; configured tasks: {self.tasks}.')
        # Dataset names read from the samples, per task (this rank).
        self._seen_datasets: Dict[str, Set[str]] = {}

    @staticmethod
    def _build(cfg: MetricCfg) -> Tuple[BaseMetric, Optional[str]]:
        """Build one sub-metric; return it and its explicit prefix."""
        if isinstance(cfg, BaseMetric):
            explicit = cfg.prefix if cfg.prefix != cfg.default_prefix \
                else None
            return cfg, explicit or None
        if not isinstance(cfg, dict):
            raise TypeError('A sub-metric must be a config dict or a '
                            f'BaseMetric, got {type(cfg)}.')
        return METRICS.build(cfg), cfg.get('prefix') or None

    @property
    def tasks(self) -> List[str]:
        """The configured task names."""
        return list(self.task_metrics)

    @property
    def dataset_meta(self) -> Optional[dict]:
        """Meta info of the multi-task dataset."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: Optional[dict]) -> None:
        """Set the meta info, and each task's sub-dataset meta info on its
        sub-metrics."""
        self._dataset_meta = dataset_meta
        for task, metrics in self.task_metrics.items():
            task_meta = per_task_meta(dataset_meta, 'datasets').get(
                task, dataset_meta)
            for metric in metrics:
                metric.dataset_meta = task_meta

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Route each sample to the sub-metrics of its ``task``.

        Each sub-metric gets the batch's samples of its task, and the whole
        ``data_batch`` (MMAction2's and MMPose's metrics do not read it).

        Raises:
            ValueError: a sample's task has no configured metrics.
        """
        groups: 'OrderedDict[str, List[dict]]' = OrderedDict()
        for sample in data_samples:
            task = sample.get('task')
            if task not in self.task_metrics:
                raise ValueError(
                    f'MultiTaskMetric got a sample of task {task!r}, which '
                    f'has no metrics; configured tasks: {self.tasks}.')
            groups.setdefault(task, []).append(sample)
            dataset = sample.get('dataset')
            if dataset:
                self._seen_datasets.setdefault(task, set()).add(str(dataset))
        for task, samples in groups.items():
            for metric in self.task_metrics[task]:
                metric.process(data_batch, samples)

    def compute_metrics(self, results: list) -> dict:
        """Not used: :meth:`evaluate` collects and computes per sub-metric."""
        raise NotImplementedError(
            'MultiTaskMetric computes in evaluate(), per sub-metric.')

    def _task_sizes(self, size: int) -> Dict[str, Optional[int]]:
        """Real number of samples of each configured task."""
        return task_sizes(self._dataset_meta, self.tasks, size,
                          type(self).__name__)

    def _dataset_name(self, task: str,
                      seen: List[Dict[str, List[str]]]) -> Optional[str]:
        """Dataset name of a task for the output names."""
        if self.dataset_names.get(task):
            return self.dataset_names[task]
        names = sorted({n for part in seen for n in part.get(task, ())})
        if len(names) > 1:
            print_log(
                f'MultiTaskMetric: task {task!r} has samples of datasets '
                f'{names}; they are evaluated together.',
                logger='current', level=logging.WARNING)
        return '+'.join(names) or None

    def _collect(self, task: str, index: int, metric: BaseMetric,
                 size: Optional[int]) -> Optional[list]:
        """Gather one sub-metric's results on rank 0 (None elsewhere)."""
        if size is None:  # single process: nothing is padded
            size = len(metric.results)
        if self.collect_device != 'cpu':
            return collect_results(metric.results, size, self.collect_device)
        # mmengine deletes the folder after each collection: one per
        # sub-metric, so that no rank writes into a folder being deleted.
        tmpdir = None if self.collect_dir is None else osp.join(
            self.collect_dir, f'{task}_{index}')
        return collect_results(metric.results, size, 'cpu', tmpdir=tmpdir)

    def evaluate(self, size: int) -> dict:
        """Collect every sub-metric's results and compute them.

        Args:
            size: length of the whole (multi-task) evaluation dataset.

        Returns:
            dict: ``'{task}/{dataset}/{name}'`` -> value, the same on every
            rank.
        """
        try:
            task_sizes = self._task_sizes(size)
            # Every rank takes part in every collection, in the same order.
            seen = all_gather_object(
                {t: sorted(n) for t, n in self._seen_datasets.items()})
            collected = [(task, i, self._collect(task, i, metric,
                                                 task_sizes[task]))
                         for task, metrics in self.task_metrics.items()
                         for i, metric in enumerate(metrics)]
            if is_main_process():
                try:
                    payload = [(True, self._compute(collected, seen))]
                except Exception as error:  # tell the other ranks, too
                    payload = [(False, f'{type(error).__name__}: {error}')]
                    broadcast_object_list(payload)
                    raise
            else:
                payload = [None]
            broadcast_object_list(payload)
            ok, metrics = payload[0]
            if not ok:
                raise RuntimeError(
                    f'MultiTaskMetric failed on rank 0: {metrics}')
            return metrics
        finally:
            for metrics in self.task_metrics.values():
                for metric in metrics:
                    metric.results.clear()
            self._seen_datasets.clear()

    def _compute(self, collected: List[Tuple[str, int, list]],
                 seen: List[Dict[str, List[str]]]) -> Dict[str, Any]:
        """Compute the sub-metrics on rank 0 and name their results."""
        out: Dict[str, Any] = OrderedDict()
        for task, index, results in collected:
            metric = self.task_metrics[task][index]
            if not results:
                print_log(
                    f'MultiTaskMetric: no results for task {task!r} '
                    f'({type(metric).__name__}); it is not reported.',
                    logger='current', level=logging.WARNING)
                continue
            values = metric.compute_metrics(_to_cpu(results))
            parts = [self.prefix, task, self._dataset_name(task, seen),
                     self._sub_prefixes[task][index]]
            head = '/'.join(p for p in parts if p)
            for key, value in values.items():
                name = f'{head}/{key}'
                if name in out:
                    raise ValueError(
                        f'Two metrics of task {task!r} report {name!r}; give '
                        'them different prefixes.')
                out[name] = value
        return out
