"""mmups registries: scope, parents, and building MMAction2 / MMPose parts."""
import numpy as np
import pytest
import torch
from mmengine import registry as mmengine_registry
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmups import registry

#: Registries that mmups builds through mmengine's Runner machinery.
# KEYPOINT_CODECS is MMPose's child; TASKS (task kinds) has no mmengine
# counterpart.
CHILDREN = [name for name in registry.__all__
            if name not in ('KEYPOINT_CODECS', 'TASKS')]

CONFIG = """
default_scope = 'mmups'
model = dict(
    _scope_='mmaction',
    type='RecognizerGCN',
    backbone=dict(
        type='STGCN',
        graph_cfg=dict(layout='coco', mode='stgcn_spatial'),
        base_channels=16, num_stages=2, inflate_stages=[], down_stages=[],
        num_person=1),
    cls_head=dict(type='GCNHead', num_classes=5, in_channels=16))
transform = dict(_scope_='mmaction', type='PoseDecode')
codec = dict(_scope_='mmpose', type='VideoPoseLifting', num_keypoints=17,
             zero_center=True, root_index=0)
metric = dict(_scope_='mmpose', type='MPJPE', mode='p-mpjpe')
"""


@pytest.fixture
def cfg():
    """The config above, with ``mmups`` as the current default scope."""
    config = Config.fromstring(CONFIG, file_format='.py')
    with DefaultScope.overwrite_default_scope(config.default_scope):
        yield config


@pytest.mark.parametrize('name', CHILDREN)
def test_children_of_mmengine(name):
    child = getattr(registry, name)
    assert child.scope == 'mmups'
    assert child.parent is getattr(mmengine_registry, name)
    assert child.parent.scope == 'mmengine'
    assert child.parent.children['mmups'] is child


def test_task_kinds_registry():
    assert registry.TASKS.scope == 'mmups' and registry.TASKS.parent is None
    assert {'recognition', 'early_prediction', 'pose_lifting'} <= set(
        registry.TASKS.module_dict)


def test_keypoint_codecs_scope():
    from mmpose.registry import KEYPOINT_CODECS as MMPOSE_CODECS
    assert registry.KEYPOINT_CODECS.scope == 'mmups'
    assert registry.KEYPOINT_CODECS.parent is MMPOSE_CODECS


def test_build_mmaction_recognizer(cfg):
    from mmaction.models import STGCN, GCNHead, RecognizerGCN

    model = registry.MODELS.build(cfg.model)
    assert isinstance(model, RecognizerGCN)
    assert isinstance(model.backbone, STGCN)
    assert isinstance(model.cls_head, GCNHead)
    # The sub-configs were built in MMAction2's scope, then it is restored.
    assert DefaultScope.get_current_instance().scope_name == 'mmups'

    # inputs: (N, num_clips, M, T, V, C)
    feats = model(torch.randn(2, 1, 1, 8, 17, 3), mode='tensor')
    assert feats.shape == (2, 1, 16, 8, 17)


def test_build_mmaction_transform(cfg):
    from mmaction.datasets.transforms import PoseDecode

    transform = registry.TRANSFORMS.build(cfg.transform)
    assert isinstance(transform, PoseDecode)
    keypoint = np.random.rand(1, 10, 17, 2).astype(np.float32)
    results = transform(dict(keypoint=keypoint,
                             frame_inds=np.array([0, 2, 4])))
    np.testing.assert_array_equal(results['keypoint'], keypoint[:, 0:6:2])


def test_build_mmpose_codec_and_metric(cfg):
    from mmpose.codecs import VideoPoseLifting
    from mmpose.evaluation.metrics import MPJPE
    from mmups.codecs import CoordinateQuantizer

    # mmups' KEYPOINT_CODECS is a child of MMPose's: both kinds of codec
    # are built from it.
    codec = registry.KEYPOINT_CODECS.build(cfg.codec)
    assert isinstance(codec, VideoPoseLifting)
    assert codec.num_keypoints == 17
    assert isinstance(
        registry.KEYPOINT_CODECS.build(dict(type='CoordinateQuantizer')),
        CoordinateQuantizer)

    metric = registry.METRICS.build(cfg.metric)
    assert isinstance(metric, MPJPE)
    assert metric.mode == 'p-mpjpe'
