"""check_task_config: every shipped config passes; a config whose parts
disagree about a task fails naming the task and both places; a sample
packed as another task than its dataset's is refused."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmups.datasets import MultiTaskDataset
from mmups.structures import UPSDataSample
from mmups.tasks import TaskConfigError, check_task_config, resolve_tasks

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
DEMO = osp.join(ROOT, 'configs', 'ups', 'ups_demo.py')


@pytest.mark.parametrize('config', sorted(
    f for f in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                         recursive=True) if '_base_' not in f))
def test_shipped_configs_agree(config):
    resolve_tasks(Config.fromfile(config))


def demo():
    """The demo config, resolved as the tools read it."""
    return resolve_tasks(Config.fromfile(DEMO))


def pack_of(dataset):
    return [s for s in dataset['pipeline']
            if s['type'].endswith('PackUPSInputs')][0]


def test_a_pipeline_packing_another_task():
    cfg = demo()
    pack_of(cfg.train_dataloader.dataset.datasets.ar2d)['task'] = 'ar3d'
    with pytest.raises(TaskConfigError) as err:
        check_task_config(cfg)
    message = str(err.value)
    assert message.startswith("task 'ar2d': train_dataloader.dataset."
                              'datasets.ar2d.pipeline[3] packs its samples '
                              "as task 'ar3d'")


def test_places_that_list_tasks():
    cfg = demo()
    del cfg.train_dataloader.batch_sampler.batch_sizes['eap3d']
    with pytest.raises(TaskConfigError, match=(
            r"^task 'eap3d': train_dataloader.dataset.datasets has it, but "
            r'train_dataloader.batch_sampler.batch_sizes')):
        check_task_config(cfg)
    cfg = demo()
    cfg.val_evaluator.task_metrics['ar3d_extra'] = dict(type='AccMetric')
    with pytest.raises(TaskConfigError, match=(
            r"^task 'ar3d_extra': val_evaluator.task_metrics has it, but "
            r'val_dataloader.dataset.datasets')):
        check_task_config(cfg)
    cfg = demo()
    cfg.model.tasks = ('pe3d', 'ar2d', 'eap3d')
    with pytest.raises(TaskConfigError, match=(
            r"^task 'ar3d': train_dataloader.dataset.datasets has it, but "
            r'model.tasks')):
        check_task_config(cfg)
    cfg = demo()
    cfg.model.tasks = ('pe3d', 'ar2d', 'eap3d', 'ar3d', 'xx1')
    with pytest.raises(TaskConfigError, match="^model.tasks: Unknown task"):
        check_task_config(cfg)


def test_layouts_and_label_sets_of_the_model():
    cfg = demo()
    pack_of(cfg.val_dataloader.dataset.datasets.ar3d)['label_set'] = 'ntu60'
    with pytest.raises(TaskConfigError, match=(
            r"^task 'ar3d': val_dataloader.*names label set 'ntu60', which "
            r"model.vocabulary.label_sets \['demo'\]")):
        check_task_config(cfg)
    cfg = demo()
    cfg.model.tokenizer.layouts = ('coco', 'h36m')
    with pytest.raises(TaskConfigError, match=(
            r"^task 'eap3d': .*packs layout 'nturgb\+d'")):
        check_task_config(cfg)
    # Other models' configs are not UPS': left alone.
    check_task_config(Config.fromfile(osp.join(
        ROOT, 'configs', 'realbench', 'tcn_realbench_h36m_pe3d.py')))


class _Packed:
    """A dataset whose samples say task ``task``."""

    def __init__(self, task):
        self.task = task

    def __len__(self):
        return 2

    def __getitem__(self, i):
        return dict(inputs=torch.zeros(1),
                    data_samples=UPSDataSample(metainfo=dict(task=self.task)))


def test_a_sample_of_another_task_is_refused():
    dataset = MultiTaskDataset(dict(ar3d=_Packed('ar3d'),
                                    pe3d=_Packed('ar3d')))
    assert dataset[0]['data_samples'].task == 'ar3d'
    with pytest.raises(ValueError, match=(
            r"Sample 1 of the dataset of task 'pe3d' was packed as task "
            r"'ar3d'")):
        dataset[3]
