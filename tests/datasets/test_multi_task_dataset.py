"""MultiTaskDataset: building, global indexing, task ranges, metainfo."""
import os.path as osp

import mmengine
import numpy as np
import pytest
from mmengine.dataset import BaseDataset

from mmups.datasets import MultiTaskDataset
from mmups.registry import DATASETS


@DATASETS.register_module(force=True)
class ToyTaskDataset(BaseDataset):
    """``size`` annotations ``dict(task=task, local_idx=i)``."""

    def __init__(self, task: str, size: int, **kwargs) -> None:
        self.task = task
        self.size = size
        self.loads = 0
        kwargs.setdefault('metainfo', dict(source=f'toy-{task}'))
        super().__init__(serialize_data=False, **kwargs)

    def load_data_list(self) -> list:
        self.loads += 1
        return [dict(task=self.task, local_idx=i) for i in range(self.size)]


def _pose_ann_file(tmp_path, num: int) -> str:
    """A tiny skeleton annotation file in MMAction2's PoseDataset format."""
    annos = [
        dict(frame_dir=f'clip{i}', total_frames=4, label=i % 3,
             img_shape=(10, 10), original_shape=(10, 10),
             keypoint=np.zeros((1, 4, 17, 2), np.float32),
             keypoint_score=np.ones((1, 4, 17), np.float32))
        for i in range(num)
    ]
    path = osp.join(str(tmp_path), 'poses.pkl')
    mmengine.dump(dict(split=dict(train=[a['frame_dir'] for a in annos]),
                       annotations=annos), path)
    return path


def test_build_from_configs_with_scopes(tmp_path):
    cfg = dict(
        type='MultiTaskDataset',
        datasets=dict(
            pe3d=dict(type='ToyTaskDataset', task='pe3d', size=5),
            ar2d=dict(type='PoseDataset', _scope_='mmaction',
                      ann_file=_pose_ann_file(tmp_path, 3), split='train',
                      pipeline=[]),
            ar3d=dict(type='ToyTaskDataset', task='ar3d', size=2)))
    dataset = DATASETS.build(cfg)
    assert isinstance(dataset, MultiTaskDataset)
    assert type(dataset.datasets['ar2d']).__module__.startswith('mmaction')
    assert dataset.tasks == ['pe3d', 'ar2d', 'ar3d']
    assert len(dataset) == 10
    assert dataset.task_indices == dict(
        pe3d=range(0, 5), ar2d=range(5, 8), ar3d=range(8, 10))
    assert dataset.task_sizes == dict(pe3d=5, ar2d=3, ar3d=2)
    assert [dataset.task_of(i) for i in range(10)] == (
        ['pe3d'] * 5 + ['ar2d'] * 3 + ['ar3d'] * 2)
    assert dataset.locate(6) == ('ar2d', 1)
    assert dataset.locate(-1) == ('ar3d', 1)

    # Items come from the task datasets, with their local indices.
    assert dataset[3]['task'] == 'pe3d' and dataset[3]['local_idx'] == 3
    assert dataset[6]['frame_dir'] == 'clip1'
    assert dataset[9]['task'] == 'ar3d' and dataset[9]['local_idx'] == 1
    assert dataset.get_data_info(0)['local_idx'] == 0
    with pytest.raises(IndexError):
        dataset[10]
    with pytest.raises(IndexError):
        dataset.task_of(-11)


def test_metainfo_keeps_each_task_dataset_metainfo():
    dataset = MultiTaskDataset(dict(
        pe3d=ToyTaskDataset('pe3d', 4),
        ar3d=dict(type='ToyTaskDataset', task='ar3d', size=2,
                  metainfo=dict(source='other', classes=('a', 'b'))),
        eap3d=[{'task': 'eap3d'}] * 3,  # any sized, indexable dataset
    ))
    meta = dataset.metainfo
    assert meta['tasks'] == ['pe3d', 'ar3d', 'eap3d']
    assert meta['task_sizes'] == dict(pe3d=4, ar3d=2, eap3d=3)
    # Different metainfos are fine (mmengine's ConcatDataset refuses them).
    assert meta['datasets']['pe3d'] == dict(source='toy-pe3d')
    assert meta['datasets']['ar3d'] == dict(source='other',
                                            classes=('a', 'b'))
    assert meta['datasets']['eap3d'] == {}
    # A copy: editing it leaves the dataset alone.
    meta['datasets']['pe3d']['source'] = 'changed'
    assert dataset.metainfo['datasets']['pe3d']['source'] == 'toy-pe3d'
    assert dataset[7] == {'task': 'eap3d'}
    assert 'pe3d: 4' in repr(dataset)


def test_lazy_init_follows_mmengine_protocol():
    dataset = MultiTaskDataset(
        dict(pe3d=dict(type='ToyTaskDataset', task='pe3d', size=3,
                       lazy_init=True),
             ar3d=dict(type='ToyTaskDataset', task='ar3d', size=2,
                       lazy_init=True)),
        lazy_init=True)
    assert [d.loads for d in dataset.datasets.values()] == [0, 0]
    assert 'not loaded' in repr(dataset)
    dataset.full_init()
    dataset.full_init()  # a second call does nothing
    assert [d.loads for d in dataset.datasets.values()] == [1, 1]
    assert len(dataset) == 5

    # Anything that needs the sizes initialises on demand.
    dataset = MultiTaskDataset(
        dict(pe3d=dict(type='ToyTaskDataset', task='pe3d', size=3,
                       lazy_init=True)), lazy_init=True)
    assert dataset.task_indices == dict(pe3d=range(3))


def test_runner_build_dataloader_initialises_it():
    from mmengine.runner import Runner
    loader = Runner.build_dataloader(
        dict(batch_size=2, num_workers=0,
             dataset=dict(type='mmups.MultiTaskDataset', lazy_init=True,
                          datasets=dict(ar3d=dict(type='mmups.ToyTaskDataset',
                                                  task='ar3d', size=3))),
             sampler=dict(type='DefaultSampler', shuffle=False)))
    assert loader.dataset._fully_initialized
    assert [b['local_idx'] for b in loader][0] == [0, 1]


@pytest.mark.parametrize('task', ['segmentation', 'AR3D', '', 3])
def test_unknown_task_names_are_rejected(task):
    with pytest.raises(ValueError, match='Unknown task'):
        MultiTaskDataset({task: ToyTaskDataset('ar3d', 2)})


def test_bad_arguments_are_rejected():
    with pytest.raises(TypeError, match='non-empty mapping'):
        MultiTaskDataset({})
    with pytest.raises(TypeError, match='non-empty mapping'):
        MultiTaskDataset([ToyTaskDataset('ar3d', 2)])
    with pytest.raises(TypeError, match='map-style dataset'):
        MultiTaskDataset(dict(ar3d=object()))
