"""The places of a UPS config that name its tasks, checked against each
other before anything is built.

A task appears in several parts of a config: the model's ``tasks``, the
keys of each ``MultiTaskDataset``, the ``batch_sizes`` and ``task_order``
of its ``MultiTaskBatchSampler``, the ``task_metrics`` of each
``MultiTaskMetric``, and the ``PackUPSInputs`` step of every pipeline (its
``task``, ``layout`` and ``label_set``). Nothing else ties these bare
strings together: a sample packed as another task than its dataset's key
would be counted under the wrong task. :func:`check_task_config` finds such
a disagreement and names the task and the two places.
"""
from typing import Any, Iterator, List, Optional, Tuple

from mmups.skeleton import BUILTIN_LAYOUTS
from .base import PAPER_TASKS, get_task_kind

__all__ = ['check_task_config', 'TaskConfigError']

_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
_EVALUATORS = ('val_evaluator', 'test_evaluator')


class TaskConfigError(ValueError):
    """Parts of a config disagree about a task."""


def _type_is(cfg: Any, name: str) -> bool:
    """Whether a component config's ``type`` is ``name`` (any scope
    prefix)."""
    t = cfg.get('type') if isinstance(cfg, dict) else None
    if not isinstance(t, str):
        return getattr(t, '__name__', None) == name
    return t.split('.')[-1] == name


def _pack_steps(cfg: Any, where: str) -> Iterator[Tuple[str, dict]]:
    """Every ``PackUPSInputs`` step config inside a dataset config, with
    its place (e.g. ``'...pe3d.pipeline[2]'``)."""
    if isinstance(cfg, dict):
        if _type_is(cfg, 'PackUPSInputs'):
            yield where, cfg
            return
        for key, value in cfg.items():
            yield from _pack_steps(value, f'{where}.{key}')
    elif isinstance(cfg, (list, tuple)):
        for i, value in enumerate(cfg):
            yield from _pack_steps(value, f'{where}[{i}]')


def _keys(value: Any) -> Optional[List[str]]:
    return list(value) if isinstance(value, dict) else None


def check_task_config(cfg: Any) -> None:
    """Check that every part of a UPS config names the same tasks.

    Each loader's datasets must be tasks of the model (a model may have
    more: fine-tuning keeps the joint model's tasks and trains one); its
    batch sampler's ``batch_sizes`` and ``task_order`` and the evaluator of
    its split name exactly its datasets' tasks; every ``PackUPSInputs``
    packs the task it is filed under, a layout the tokenizer serves and a
    label set of the vocabulary. ``tools/train.py`` and ``tools/test.py``
    call it before building anything.

    Args:
        cfg: a config (``mmengine.Config`` or dict); configs whose model is
            not UPS are left alone.

    Raises:
        TaskConfigError: naming the task and the two places that disagree
            (an unknown task kind, layout or label set included).
    """
    model = cfg.get('model') or {}
    if not _type_is(model, 'UPS'):
        return
    tasks = list(model.get('tasks') or PAPER_TASKS)
    where_model = 'model.tasks'
    for task in tasks:
        try:
            get_task_kind(task)
        except ValueError as err:
            raise TaskConfigError(f'{where_model}: {err}') from err
    label_sets = _keys((model.get('vocabulary') or {}).get('label_sets'))
    # The tokenizer's default layouts are the built-in ones, whatever else
    # is registered.
    layouts = (model.get('tokenizer') or {}).get('layouts') or \
        BUILTIN_LAYOUTS

    def same(names: Optional[List[str]], where: str, ref: List[str],
             ref_where: str) -> None:
        """``names`` (read at ``where``) hold exactly the tasks ``ref``."""
        if names is None:
            return
        for task in names:
            if task not in ref:
                raise TaskConfigError(
                    f'task {task!r}: {where} has it, but {ref_where} {ref} '
                    'does not')
        for task in ref:
            if task not in names:
                raise TaskConfigError(
                    f'task {task!r}: {ref_where} has it, but {where} '
                    f'{names} does not')

    loader_tasks = {}
    for loader_name in _LOADERS:
        loader = cfg.get(loader_name) or {}
        dataset = loader.get('dataset') or {}
        if not _type_is(dataset, 'MultiTaskDataset'):
            continue
        datasets = dataset.get('datasets') or {}
        where = f'{loader_name}.dataset.datasets'
        # A model may have more tasks than it trains on (fine-tuning keeps
        # the joint model's), not fewer.
        for task in datasets:
            if task not in tasks:
                raise TaskConfigError(
                    f'task {task!r}: {where} has it, but {where_model} '
                    f'{tasks} does not')
        names = list(datasets)
        loader_tasks[loader_name.split('_')[0]] = (names, where)
        sampler = loader.get('batch_sampler') or {}
        if _type_is(sampler, 'MultiTaskBatchSampler'):
            same(_keys(sampler.get('batch_sizes')),
                 f'{loader_name}.batch_sampler.batch_sizes', names, where)
            order = sampler.get('task_order')
            same(None if order is None else list(order),
                 f'{loader_name}.batch_sampler.task_order', names, where)
        for task, task_dataset in datasets.items():
            _check_packs(task, task_dataset, f'{where}.{task}', label_sets,
                         layouts)
    for evaluator_name in _EVALUATORS:
        evaluators = cfg.get(evaluator_name) or {}
        if not isinstance(evaluators, (list, tuple)):
            evaluators = [evaluators]
        split = evaluator_name.split('_')[0]
        for evaluator in evaluators:
            if _type_is(evaluator, 'MultiTaskMetric') and \
                    split in loader_tasks:
                same(_keys(evaluator.get('task_metrics')),
                     f'{evaluator_name}.task_metrics', *loader_tasks[split])


def _check_packs(task: str, dataset: Any, where: str,
                 label_sets: Optional[List[str]], layouts: List[str]) -> None:
    kind = get_task_kind(task)
    for place, pack in _pack_steps(dataset, where):
        packed = pack.get('task')
        if packed != task:
            raise TaskConfigError(
                f'task {task!r}: {place} packs its samples as task '
                f'{packed!r}, but the dataset is filed under {where}')
        layout = pack.get('layout')
        if layout not in layouts:
            raise TaskConfigError(
                f'task {task!r}: {place} packs layout {layout!r}, which '
                f'model.tokenizer.layouts {list(layouts)} does not hold')
        label_set = pack.get('label_set')
        if kind.uses_label_set and label_sets is not None and \
                label_set not in label_sets:
            raise TaskConfigError(
                f'task {task!r}: {place} names label set {label_set!r}, '
                f'which model.vocabulary.label_sets {label_sets} does not '
                'hold')
