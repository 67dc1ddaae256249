"""Tests of the compatibility shims in :mod:`mmups.utils.compat`."""
import importlib.util
import os
import pickle
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn

from mmups.utils import compat

needs_safe_globals = pytest.mark.skipif(
    not hasattr(torch.serialization, 'add_safe_globals'),
    reason='this torch has no weights-only allow-list (torch < 2.4)')


def _applied(name: str) -> None:
    if not compat.APPLIED.get(name):
        pytest.skip(f'shim {name!r} was not needed on this installation')


def test_apply_all_is_idempotent():
    finders = [f for f in sys.meta_path
               if getattr(f, 'is_mmups_placeholder_finder', False)]
    safe = list(torch.serialization.get_safe_globals())
    before = dict(compat.APPLIED)

    assert compat.apply_all() == before
    assert [f for f in sys.meta_path
            if getattr(f, 'is_mmups_placeholder_finder', False)] == finders
    assert len(finders) <= 1
    assert list(torch.serialization.get_safe_globals()) == safe


@pytest.mark.parametrize('shim, patch', [
    (compat.shim_mmcv_ops, ('_has_module', lambda root, name: True)),
    (compat.shim_mmaction_drn, ('_has_module', lambda root, name: True)),
])
def test_shims_detect_their_problem(shim, patch, monkeypatch):
    """Where the upstream problem is absent, a shim changes nothing."""
    finder = compat._placeholder_finder()
    served = (dict(finder.exact), dict(finder.prefixes))
    monkeypatch.setattr(compat, *patch)
    assert shim() is False
    assert (finder.exact, finder.prefixes) == served


def test_multimodal_flag_kept_where_importable(monkeypatch):
    from mmaction.utils import dependency

    monkeypatch.setattr(dependency, 'WITH_MULTIMODAL', True)
    monkeypatch.setattr(compat, '_multimodal_importable', lambda: True)
    assert compat.shim_mmaction_multimodal() is False
    assert dependency.WITH_MULTIMODAL is True


def test_simcc_shim_not_needed_with_torchvision(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        compat.importlib.util, 'find_spec',
        lambda name, *a: (object() if name == 'torchvision' else
                          real_find_spec(name, *a)))
    assert compat.shim_mmpose_simcc_vis() is False


def test_upstream_packages_import():
    import mmaction.datasets  # noqa: F401
    import mmaction.evaluation  # noqa: F401
    import mmaction.models  # noqa: F401
    import mmpose.codecs  # noqa: F401
    import mmpose.datasets  # noqa: F401
    import mmpose.evaluation  # noqa: F401
    import mmpose.models  # noqa: F401
    import mmpose.visualization  # noqa: F401
    from mmaction.registry import MODELS as ACTION_MODELS
    from mmpose.registry import MODELS as POSE_MODELS

    assert ACTION_MODELS.get('RecognizerGCN') is not None
    assert POSE_MODELS.get('PoseLifter') is not None


def test_mmdet_imports():
    # MMPose imports mmdet.utils at module level (RTMO head).
    import mmdet.utils  # noqa: F401
    if any(importlib.util.find_spec(m) is None
           for m in ('pycocotools', 'shapely', 'terminaltables')):
        pytest.skip('mmdet.models needs pycocotools, shapely and '
                    'terminaltables, which mmups does not require')
    import mmdet.models  # noqa: F401


def test_drn_placeholder():
    _applied('mmaction_drn')
    from mmaction.models.localizers import DRN
    from mmaction.registry import MODELS

    with pytest.raises(ImportError, match='DRN'):
        DRN()
    with pytest.raises(ImportError, match='DRN'):
        MODELS.build(dict(type='DRN', _scope_='mmaction'))


def test_multimodal_disabled():
    _applied('mmaction_multimodal')
    from mmaction.registry import MODELS
    from mmaction.utils import dependency

    assert dependency.WITH_MULTIMODAL is False
    assert not compat._multimodal_importable()
    # MMAction2's own placeholder names the missing extras.
    with pytest.raises(ImportError, match='multi-modal'):
        MODELS.build(dict(type='VindLUVQA', _scope_='mmaction'))


def test_mmcv_ops_placeholder():
    _applied('mmcv_ops')
    import mmcv.ops
    from mmcv.ops import MultiScaleDeformableAttention, nms
    from mmcv.ops.multi_scale_deform_attn import \
        MultiScaleDeformableAttention as MSDA
    from mmengine.utils.dl_utils import mmcv_full_available

    assert MSDA is MultiScaleDeformableAttention
    assert not mmcv_full_available()
    assert not isinstance(nn.Linear(1, 1), MultiScaleDeformableAttention)
    for use in (lambda: nms(torch.zeros(1, 4), torch.zeros(1), 0.5),
                lambda: MultiScaleDeformableAttention(embed_dims=8),
                lambda: mmcv.ops.roi_align()):
        with pytest.raises(compat.MMCVOpsUnavailableError,
                           match='requirements/optional.txt'):
            use()
    with pytest.raises(AttributeError):
        mmcv.ops.__wrapped__  # noqa: B018  (private names stay missing)

    # The EDPose head module, the reason for the shim, imports.
    from mmpose.models.heads.transformer_heads import edpose_head
    assert edpose_head.MultiScaleDeformableAttention is MSDA


@pytest.fixture
def restore_default_scope():
    """Drop the default scopes a Runner creates, so later tests keep theirs.

    mmengine has no public way to drop an instance; its own
    ``DefaultScope.overwrite_default_scope`` pops ``_instance_dict`` too.
    """
    from mmengine.registry import DefaultScope
    before = set(DefaultScope._instance_dict)
    yield
    for name in set(DefaultScope._instance_dict) - before:
        DefaultScope._instance_dict.pop(name)


def test_simcc_vis_placeholder_and_pose_runner(tmp_path,
                                               restore_default_scope):
    _applied('mmpose_simcc_vis')
    from mmengine.runner import Runner
    from mmpose.visualization import PoseLocalVisualizer
    from mmpose.visualization.simcc_vis import SimCCVisualizer

    with pytest.raises(ImportError, match='torchvision'):
        SimCCVisualizer()

    # A Runner in MMPose's scope builds its visualizer from MMPose.
    runner = Runner(
        model=_ToyModel(),
        work_dir=str(tmp_path),
        experiment_name='compat_pose_runner',
        default_scope='mmpose',
        visualizer=dict(type='PoseLocalVisualizer', name='compat_test'),
        train_dataloader=_dataloader(),
        train_cfg=dict(by_epoch=False, max_iters=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=None, logger=None))
    runner.train()
    assert isinstance(runner.visualizer, PoseLocalVisualizer)


# --------------------------------------------------------------------------
# torch.load(weights_only=True) of mmengine checkpoints
# --------------------------------------------------------------------------
class _ToyModel(nn.Module):
    """A tiny mmengine-style model: ``forward(x, y, mode)``."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x, y=None, mode='tensor'):
        out = self.fc(x)
        if mode == 'loss':
            return dict(loss=((out - y)**2).mean())
        if mode == 'predict':
            return [dict(err=float(((out - y)**2).mean()))]
        return out

    def train_step(self, data, optim_wrapper):
        losses = self(**data, mode='loss')
        optim_wrapper.update_params(losses['loss'])
        return losses

    def val_step(self, data):
        return self(**data, mode='predict')

    test_step = val_step


class _ToyDataset(torch.utils.data.Dataset):

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> dict:
        gen = torch.Generator().manual_seed(index)
        return dict(x=torch.randn(4, generator=gen),
                    y=torch.randn(2, generator=gen))


def _dataloader() -> dict:
    return dict(
        dataset=_ToyDataset(), batch_size=4, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=True),
        collate_fn=dict(type='default_collate'))


def _float32_metric():
    from mmengine.evaluator import BaseMetric

    class Float32Error(BaseMetric):
        """Returns a numpy float32, as e.g. MMPose's MPJPE does."""

        def process(self, data_batch, data_samples):
            self.results.extend(s['err'] for s in data_samples)

        def compute_metrics(self, results):
            return dict(err=np.mean(np.asarray(results, dtype=np.float32)))

    return Float32Error()


@pytest.fixture(scope='module')
def runner_checkpoints(tmp_path_factory):
    """Checkpoints of a real Runner: latest (with optimizer) and best."""
    from mmengine.runner import Runner

    work_dir = tmp_path_factory.mktemp('ckpt')
    runner = Runner(
        model=_ToyModel(), work_dir=str(work_dir),
        experiment_name='compat_ckpt', default_scope=None,
        train_dataloader=_dataloader(), val_dataloader=_dataloader(),
        val_evaluator=[_float32_metric()], val_cfg=dict(),
        train_cfg=dict(by_epoch=False, max_iters=2, val_interval=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01,
                                          momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[1],
                             by_epoch=False),
        default_hooks=dict(checkpoint=dict(
            type='CheckpointHook', interval=1, by_epoch=False,
            save_best='err', rule='less')))
    runner.train()
    best = [p for p in os.listdir(work_dir) if p.startswith('best_')]
    assert len(best) == 1
    return dict(latest=str(work_dir / 'iter_2.pth'),
                best=str(work_dir / best[0]))


@needs_safe_globals
def test_checkpoint_loads_weights_only(runner_checkpoints, tmp_path):
    from mmengine.logging import HistoryBuffer
    from mmengine.runner import Runner, load_checkpoint

    for path in runner_checkpoints.values():
        # torch's default (weights_only=True since torch 2.6) and explicit.
        for kwargs in (dict(), dict(weights_only=True)):
            ckpt = torch.load(path, map_location='cpu', **kwargs)
            buffers = ckpt['message_hub']['log_scalars']
            assert isinstance(buffers['train/loss'], HistoryBuffer)
            assert np.isfinite(buffers['train/loss'].mean())
        model = _ToyModel()
        load_checkpoint(model, path, map_location='cpu', strict=True)
        assert torch.equal(model.fc.weight,
                           ckpt['state_dict']['fc.weight'])

    # Resuming restores the message hub, optimizer and schedulers.
    runner = Runner(
        model=_ToyModel(), work_dir=str(tmp_path),
        experiment_name='compat_resume', default_scope=None,
        train_dataloader=_dataloader(),
        train_cfg=dict(by_epoch=False, max_iters=3),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01,
                                          momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[1],
                             by_epoch=False),
        default_hooks=dict(checkpoint=None))
    runner.resume(runner_checkpoints['latest'])
    assert runner.iter == 2
    runner.load_checkpoint(runner_checkpoints['best'])


class _RunsShell:
    """Unpickling this would run a shell command."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


class _ReadsAttribute:
    """Unpickling this would call ``getattr(obj, name)``."""

    def __init__(self, obj, name: str) -> None:
        self.obj, self.name = obj, name

    def __reduce__(self):
        return getattr, (self.obj, self.name)


def test_malicious_pickle_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'x': _RunsShell(str(marker))}, path)

    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)
    assert not marker.exists()


@needs_safe_globals
def test_getattr_is_restricted(tmp_path):
    from mmengine.logging import HistoryBuffer

    allowed = tmp_path / 'allowed.pth'
    torch.save({'m': _ReadsAttribute(HistoryBuffer, 'mean')}, allowed)
    assert torch.load(allowed)['m'] is HistoryBuffer.mean

    for obj, name in ((HistoryBuffer, '__init__'), (np.ndarray, 'tofile'),
                      (HistoryBuffer, 'update')):
        path = tmp_path / 'attr.pth'
        torch.save({'m': _ReadsAttribute(obj, name)}, path)
        with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
            torch.load(path)


def test_pkg_resources_check(monkeypatch):
    assert compat.check_pkg_resources() is False  # pinned setuptools<81

    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        if name == 'pkg_resources':
            return None
        return real_find_spec(name, *args, **kwargs)

    # APPLIED records this process's real state: restored after the test.
    monkeypatch.setitem(compat.APPLIED, 'pkg_resources_missing', False)
    monkeypatch.setattr(compat.importlib.util, 'find_spec', find_spec)
    with pytest.warns(compat.CompatWarning, match='setuptools<81'):
        assert compat.check_pkg_resources() is True


def test_checkpoint_with_numpy_arrays_of_any_dtype_loads(tmp_path):
    """mmengine stores the dataset metainfo in checkpoints; MMPose's holds
    uint8 (and other) arrays, which must load with weights_only=True."""
    import numpy as np
    meta = {str(t): np.zeros(3, dtype=t)
            for t in (np.uint8, np.int32, np.float16, np.bool_, np.int8)}
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(meta=dict(dataset_meta=meta)), path)
    loaded = torch.load(path)  # weights_only=True by default
    for key, value in meta.items():
        assert np.array_equal(loaded['meta']['dataset_meta'][key], value)
    # Object arrays still need an explicit, unsafe opt-in.
    torch.save(dict(a=np.array([{'x': 1}], dtype=object)), path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)


def test_only_the_documented_shims_are_applied():
    """``import mmups`` applies exactly the shims that compat's docstring
    lists; behaviour and speed changes are not among them."""
    shims = [name for name in compat.__all__
             if name.startswith(('shim_', 'check_'))]
    assert set(compat.APPLIED) == {
        'mmcv_ops', 'mmaction_drn', 'mmpose_simcc_vis',
        'mmaction_multimodal', 'torch_load_safe_globals',
        'pkg_resources_missing'}
    assert len(shims) == len(compat.APPLIED)
    for name in shims:
        assert f':func:`{name}`' in compat.__doc__, name
