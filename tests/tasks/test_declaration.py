"""resolve_tasks: a config's tasks declared once fill the model, the
loaders, the batch sampler, the metric and the packing steps; a bad or
contradicted declaration fails naming the task and the places."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmups.tasks import TaskConfigError, resolve_tasks

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
DEMO = osp.join(ROOT, 'configs', 'ups', 'ups_demo.py')


def packs(dataset):
    """The PackUPSInputs steps of a dataset config (ConcatDataset too)."""
    parts = dataset.get('datasets', [dataset])
    return [s for d in parts for s in d['pipeline']
            if s['type'].endswith('PackUPSInputs')]


def test_the_declarations_fill_every_part():
    cfg = resolve_tasks(Config.fromfile(DEMO))
    order = ['pe3d', 'ar2d', 'eap3d', 'ar3d', 'fp3d']
    assert list(cfg.model.tasks) == order
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        assert list(loader.dataset.datasets) == order
        assert list(loader.batch_sampler.task_order) == order
        assert loader.batch_sampler.batch_sizes == {t: 16 for t in order}
    assert list(cfg.val_evaluator.task_metrics) == order
    assert cfg.val_evaluator.task_metrics.eap3d.type == \
        'EarlyPredictionMetric'
    [pack] = packs(cfg.train_dataloader.dataset.datasets.ar2d)
    assert (pack.task, pack.layout, pack.label_set, pack.dataset) == (
        'ar2d', 'coco', 'demo', 'demo')
    eap = packs(cfg.val_dataloader.dataset.datasets.eap3d)
    assert len(eap) == 10 and all(p.task == 'eap3d' for p in eap)
    [pack] = packs(cfg.val_dataloader.dataset.datasets.pe3d)
    assert (pack.task, pack.layout, pack.dataset) == (
        'pe3d', 'h36m', 'demo_h36m')
    assert 'label_set' not in pack
    [pack] = packs(cfg.val_dataloader.dataset.datasets.fp3d)
    assert (pack.task, pack.layout, pack.dataset) == (
        'fp3d', 'h36m', 'demo_h36m')
    # Resolving again changes nothing.
    again = resolve_tasks(Config(cfg.to_dict()))
    assert again.to_dict() == cfg.to_dict()


def test_a_child_config_changes_one_fact(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text(f'_base_ = [{DEMO!r}]\n'
                     'tasks = dict(ar3d=dict(batch_size=4))\n')
    cfg = resolve_tasks(Config.fromfile(str(child)))
    assert cfg.train_dataloader.batch_sampler.batch_sizes.ar3d == 4
    assert cfg.val_dataloader.batch_sampler.batch_sizes.ar3d == 4
    assert cfg.train_dataloader.batch_sampler.batch_sizes.pe3d == 16


@pytest.mark.parametrize('change,message', [
    (lambda t: t.ar3d.update(kind='pose_lifting'),
     r"^task 'ar3d': tasks.ar3d.kind is 'pose_lifting', but its name makes "
     r"it a 'recognition' task"),
    (lambda t: t.ar3d.pop('layout'), r"^tasks.ar3d: .*missing keys \['layout'"),
    (lambda t: t.ar3d.update(labels='x'), r"^tasks.ar3d: unknown keys "
     r"\['labels'\]"),
    (lambda t: t.ar3d.pop('label_set'),
     r'^tasks.ar3d: a recognition task needs a label_set'),
    (lambda t: t.pe3d.update(label_set='demo'),
     r'^tasks.pe3d: a pose_lifting task has no label_set'),
    (lambda t: t.ar3d.update(layout='kinect'), r"^tasks.ar3d.layout: Unknown "
     r"joint layout 'kinect'"),
    (lambda t: t.ar3d.pop('val'), r"^task 'ar3d': val_dataloader needs its "
     r"'val' dataset"),
    (lambda t: t.ar3d.pop('metric'), r"^task 'ar3d': val_evaluator has no "
     r'task_metrics and tasks.ar3d declares no metric'),
])
def test_bad_declarations(change, message):
    cfg = Config.fromfile(DEMO)
    change(cfg.tasks)
    with pytest.raises(TaskConfigError, match=message):
        resolve_tasks(cfg)


def test_a_pipeline_that_contradicts_its_declaration():
    cfg = Config.fromfile(DEMO)
    packs(cfg.tasks.ar2d.train)[0]['layout'] = 'openpose'
    with pytest.raises(TaskConfigError, match=(
            r"^task 'ar2d': train_dataloader.dataset.datasets.ar2d.pipeline"
            r"\[3\] has layout='openpose', but tasks.ar2d declares 'coco'")):
        resolve_tasks(cfg)
    # A config that states a part itself keeps it, checked.
    cfg = Config.fromfile(DEMO)
    cfg.model.tasks = ('pe3d', 'ar2d', 'eap3d')
    with pytest.raises(TaskConfigError, match=(
            r"^task 'ar3d': train_dataloader.dataset.datasets has it, but "
            r'model.tasks')):
        resolve_tasks(cfg)


def test_overrides_go_to_the_declaration():
    cfg = Config.fromfile(DEMO)
    cfg.merge_from_dict({'tasks.ar3d.val.split': 'train'})
    resolve_tasks(cfg)
    assert cfg.val_dataloader.dataset.datasets.ar3d.split == 'train'
    cfg = Config.fromfile(DEMO)
    cfg.merge_from_dict({'val_dataloader.dataset.datasets.ar3d.split': 'x'})
    with pytest.raises(TaskConfigError, match=(
            r'override tasks.ar3d.val instead')):
        resolve_tasks(cfg)
    # The test split falls back to val; a partial test part is refused.
    cfg = Config.fromfile(DEMO)
    cfg.merge_from_dict({'tasks.ar3d.test.indices': 2})
    with pytest.raises(TaskConfigError, match=(
            r'tasks.ar3d.test has no type: declare a whole dataset')):
        resolve_tasks(cfg)
    # A resolved config read back follows a later edit of a declaration,
    # or says that the two disagree.
    cfg = resolve_tasks(Config.fromfile(DEMO))
    cfg = Config(cfg.to_dict())
    cfg.merge_from_dict({'tasks.ar3d.val.split': 'train'})
    with pytest.raises(TaskConfigError, match=(
            r"^task 'ar3d': val_dataloader.dataset.datasets.ar3d differs "
            r"from the dataset that tasks.ar3d declares for 'val'")):
        resolve_tasks(cfg)


def test_a_task_without_batch_size_takes_the_loaders():
    cfg = Config.fromfile(DEMO)
    cfg.tasks.ar3d.pop('batch_size')
    cfg.tasks.pe3d.batch_size = 7
    cfg.train_dataloader.batch_size = 5
    cfg = resolve_tasks(cfg)
    sizes = cfg.train_dataloader.batch_sampler.batch_sizes
    assert sizes['ar3d'] == 5 and sizes['pe3d'] == 7, sizes
    # Without a loader batch_size, the task that declares none is named.
    cfg = Config.fromfile(DEMO)
    cfg.tasks.ar3d.pop('batch_size')
    cfg.train_dataloader.pop('batch_size')
    with pytest.raises(TaskConfigError, match=(
            r"^task 'ar3d': tasks.ar3d declares no batch_size and "
            r'train_dataloader has none')):
        resolve_tasks(cfg)
