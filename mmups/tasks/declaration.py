"""Each task declared once in a config, and the parts read from it.

A UPS config may declare its tasks in one place::

    tasks = dict(
        ar3d=dict(kind='recognition', layout='nturgb+d', label_set='ntu60',
                  dataset_name='ntu60_xsub', batch_size=32,
                  train=<dataset config>, val=<dataset config>,
                  metric=<metric config or list>),
        pe3d=dict(kind='pose_lifting', layout='h36m', ...),
    )

in the order of the training rotation. :func:`resolve_tasks` then fills in
what the other parts would otherwise repeat: the model's ``tasks``, each
``MultiTaskDataset``'s ``datasets`` (split ``train``, ``val``, and ``test``
or else ``val``), each ``MultiTaskBatchSampler``'s ``batch_sizes`` and
``task_order``, each ``MultiTaskMetric``'s ``task_metrics``, and the
``task``, ``layout``, ``label_set`` and
``dataset`` of every ``PackUPSInputs`` in the tasks' pipelines. A part that
a config states itself is kept, and must agree (:func:`check_task_config`
runs last). ``tools/train.py``, ``tools/test.py`` and
``mmups.apis.init_model`` resolve every config they load.
"""
import copy
from typing import Any, Dict

from mmups.skeleton import get_layout
from .base import get_task_kind
from .config_check import (_LOADERS, TaskConfigError, _pack_steps, _type_is,
                           check_task_config)

__all__ = ['resolve_tasks', 'DECLARATION_KEYS']

#: Keys of a task declaration, and whether each is required.
DECLARATION_KEYS = dict(kind=True, layout=True, label_set=False,
                        dataset_name=False, batch_size=False, train=False,
                        val=False, test=False, metric=False)
#: Declaration key -> ``PackUPSInputs`` argument it fills.
_PACK_ARGS = dict(layout='layout', label_set='label_set',
                  dataset_name='dataset')


def _declarations(tasks: Any) -> Dict[str, dict]:
    """The checked task declarations of a config's ``tasks``."""
    out = {}
    for task, decl in tasks.items():
        where = f'tasks.{task}'
        if not isinstance(decl, dict):
            raise TaskConfigError(f'{where}: a task declaration is a dict '
                                  f'(kind, layout, ...), got {decl!r}')
        unknown = sorted(set(decl) - set(DECLARATION_KEYS))
        missing = [k for k, required in DECLARATION_KEYS.items()
                   if required and k not in decl]
        if unknown or missing:
            raise TaskConfigError(
                f'{where}: unknown keys {unknown}, missing keys {missing} '
                f'(a declaration has {list(DECLARATION_KEYS)})')
        try:
            kind = get_task_kind(task)
        except ValueError as err:
            raise TaskConfigError(f'{where}: {err}') from err
        if decl['kind'] != kind.name:
            raise TaskConfigError(
                f'task {task!r}: {where}.kind is {decl["kind"]!r}, but its '
                f'name makes it a {kind.name!r} task (prefix '
                f'{kind.prefix!r})')
        try:
            get_layout(decl['layout'])
        except KeyError as err:
            raise TaskConfigError(f'{where}.layout: {err.args[0]}') from err
        if kind.uses_label_set != ('label_set' in decl):
            raise TaskConfigError(
                f'{where}: a {kind.name} task ' +
                ('needs a label_set' if kind.uses_label_set else
                 'has no label_set'))
        out[task] = decl
    return out


def _fill_packs(task: str, decl: dict, dataset: Any, where: str) -> None:
    """Fill (or check) the ``PackUPSInputs`` steps of a task's dataset."""
    wanted = dict(task=task)
    wanted.update({arg: decl[key] for key, arg in _PACK_ARGS.items()
                   if key in decl})
    found = False
    for place, pack in _pack_steps(dataset, where):
        found = True
        for arg, value in wanted.items():
            if arg not in pack or pack[arg] is None:
                pack[arg] = value
            elif pack[arg] != value:
                raise TaskConfigError(
                    f'task {task!r}: {place} has {arg}={pack[arg]!r}, but '
                    f'tasks.{task} declares {value!r}')
    if not found:
        raise TaskConfigError(f'task {task!r}: the pipeline of {where} has '
                              'no PackUPSInputs step')


def resolve_tasks(cfg: Any) -> Any:
    """Fill the parts of ``cfg`` that its ``tasks`` declarations define, in
    place, then check the whole config (:func:`check_task_config`).

    A config without declarations (``tasks`` absent or a list of names) is
    only checked. Returns ``cfg``.

    Raises:
        TaskConfigError: a malformed declaration, or a part of the config
            that disagrees with one (naming the task and both places).
    """
    tasks = cfg.get('tasks')
    if not isinstance(tasks, dict) or not _type_is(cfg.get('model') or {},
                                                   'UPS'):
        check_task_config(cfg)
        return cfg
    decls = _declarations(tasks)
    names = tuple(decls)
    model = cfg['model']
    if model.get('tasks') is None:
        model['tasks'] = names
    if cfg.get('test_dataloader') is not None and \
            cfg.get('test_dataloader') is cfg.get('val_dataloader'):
        # One object for both (a config built in memory): each split gets
        # its own datasets.
        cfg['test_dataloader'] = copy.deepcopy(cfg['test_dataloader'])
    for loader_name in _LOADERS:
        loader = cfg.get(loader_name)
        if not loader or not _type_is(loader.get('dataset') or {},
                                      'MultiTaskDataset'):
            continue
        split = loader_name.split('_')[0]
        dataset = loader['dataset']
        fill = dataset.get('datasets') is None
        if fill:
            dataset['datasets'] = {}
        for task, decl in decls.items():
            if not fill and task not in dataset['datasets']:
                continue
            where = f'{loader_name}.dataset.datasets.{task}'
            declared = _split_part(task, decl, split, loader_name)
            if fill:
                dataset['datasets'][task] = declared
                continue
            stated = dataset['datasets'][task]
            if isinstance(stated, dict) and 'type' not in stated:
                raise TaskConfigError(
                    f'task {task!r}: {where} has no type (a partial '
                    'override?): with task declarations, override '
                    f'tasks.{task}.{split if split in decl else "val"} '
                    'instead, e.g. --cfg-options '
                    f'tasks.{task}.{split if split in decl else "val"}'
                    '.indices=100')
            # A stated dataset (e.g. of a resolved config read back) must
            # be the declared one: an edit of the declaration would
            # otherwise be lost.
            _fill_packs(task, decl, declared, where)
            if _plain(declared) != _plain(stated):
                raise TaskConfigError(
                    f'task {task!r}: {where} differs from the dataset that '
                    f'tasks.{task} declares for {split!r}; state one of '
                    'them')
        for task, part in dataset['datasets'].items():
            if task in decls:
                _fill_packs(task, decls[task], part,
                            f'{loader_name}.dataset.datasets.{task}')
        sampler = loader.get('batch_sampler')
        if sampler and _type_is(sampler, 'MultiTaskBatchSampler'):
            loaded = list(dataset['datasets'])
            # Without declared batch sizes the sampler takes the loader's
            # batch_size for every task; a task that declares none takes
            # it where others declare theirs.
            if sampler.get('batch_sizes') is None and any(
                    'batch_size' in decls.get(t, {}) for t in loaded):
                sampler['batch_sizes'] = _batch_sizes(
                    decls, loaded, loader.get('batch_size'), loader_name)
            if sampler.get('task_order') is None:
                sampler['task_order'] = loaded
    for evaluator_name in ('val_evaluator', 'test_evaluator'):
        evaluators = cfg.get(evaluator_name)
        if not isinstance(evaluators, (list, tuple)):
            evaluators = [evaluators]
        loader = cfg.get(evaluator_name.replace('evaluator', 'dataloader'))
        loaded = list(((loader or {}).get('dataset') or {}).get('datasets')
                      or decls)
        for evaluator in evaluators:
            if evaluator and _type_is(evaluator, 'MultiTaskMetric'):
                _fill_metrics(evaluator, evaluator_name, decls, loaded)
    check_task_config(cfg)
    return cfg


def _split_part(task: str, decl: dict, split: str, loader_name: str) -> Any:
    """A copy of the dataset a declaration gives a split (the test split
    falls back to ``val``)."""
    part = decl.get(split)
    if part is None and split == 'test':
        part = decl.get('val')
    if part is None:
        raise TaskConfigError(
            f'task {task!r}: {loader_name} needs its {split!r} dataset, '
            f'which tasks.{task} does not declare')
    if isinstance(part, dict) and 'type' not in part:
        raise TaskConfigError(
            f'tasks.{task}.{split} has no type: declare a whole dataset '
            '(the test split falls back to val where it has none)')
    return copy.deepcopy(part)


def _plain(cfg: Any) -> Any:
    """A config value as plain dicts and lists, to compare."""
    if isinstance(cfg, dict):
        return {k: _plain(v) for k, v in cfg.items()}
    if isinstance(cfg, (list, tuple)):
        return [_plain(v) for v in cfg]
    return cfg


def _fill_metrics(evaluator: dict, where: str, decls: Dict[str, dict],
                  loaded: list) -> None:
    """``task_metrics`` of a ``MultiTaskMetric`` from the declarations."""
    if evaluator.get('task_metrics') is None:
        evaluator['task_metrics'] = _declared(
            decls, loaded, 'metric', f'{where} has no task_metrics')


def _batch_sizes(decls: Dict[str, dict], tasks: list,
                 loader_batch_size: Any, loader_name: str) -> dict:
    """Task -> its declared ``batch_size``, else the loader's; an error
    naming the task where neither is set."""
    sizes = {}
    for task in tasks:
        size = decls.get(task, {}).get('batch_size', loader_batch_size)
        if size is None:
            raise TaskConfigError(
                f'task {task!r}: tasks.{task} declares no batch_size and '
                f'{loader_name} has none (declare one, or set '
                f'{loader_name}.batch_size for the tasks that declare none)')
        sizes[task] = size
    return sizes


def _declared(decls: Dict[str, dict], tasks: list, key: str,
              lacking: str) -> dict:
    """Task -> a copy of its declaration's ``key``, for each of ``tasks``;
    an error naming ``lacking`` (the part that needs it) where one has
    none."""
    for task in tasks:
        if decls.get(task, {}).get(key) is None:
            raise TaskConfigError(
                f'task {task!r}: {lacking} and tasks.{task} declares no '
                f'{key}')
    return {task: copy.deepcopy(decls[task][key]) for task in tasks}
