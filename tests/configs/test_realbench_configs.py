"""The realbench configs (configs/realbench/): every one builds its model;
with the shared real data, every one reads the quick realbench files
through its train and val pipelines, and a few samples of each go through
the model's loss (forward and backward) and prediction."""
import glob
import os.path as osp
import pickle
from typing import Dict, List, Optional

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

from mmups.datasets.converters.realbench import prepare_realbench_data
from mmups.registry import DATASETS, MODELS, TRANSFORMS
from mmups.skeleton import get_layout
from mmups.tasks import resolve_tasks

CONFIGS = osp.abspath(
    osp.join(osp.dirname(__file__), '..', '..', 'configs', 'realbench'))
ALL = sorted(glob.glob(osp.join(CONFIGS, '*.py')))
IDS = [osp.basename(p)[:-3] for p in ALL]
TASKS = ('pe3d', 'ar2d', 'eap2d', 'eap3d', 'ar3d')
_QUICK: Dict[str, str] = {}


@pytest.fixture(scope='module')
def vocab_cache(tmp_path_factory) -> str:
    """One vocabulary cache for the module: the text model embeds each set
    of class names once."""
    return str(tmp_path_factory.mktemp('vocab_cache'))


@pytest.fixture
def load_cfg(vocab_cache, monkeypatch):
    """``load_cfg(path, root=None)``: a realbench config, its data under
    ``root`` (MMUPS_REALBENCH_ROOT); label maps that are not there are
    replaced by numbered names."""
    monkeypatch.setenv('MMUPS_CACHE_DIR', vocab_cache)

    def load(path: str, root: str = None) -> Config:
        if root is not None:
            monkeypatch.setenv('MMUPS_REALBENCH_ROOT', root)
        else:
            monkeypatch.delenv('MMUPS_REALBENCH_ROOT', raising=False)
        cfg = resolve_tasks(Config.fromfile(path))
        vocab = cfg.model.get('vocabulary')
        if vocab is not None:
            for name, labels in vocab.label_sets.items():
                if isinstance(labels, str) and not osp.exists(labels):
                    size = cfg.label_set_sizes[name]
                    vocab.label_sets[name] = [f'{name} {k}'
                                              for k in range(size)]
        return cfg

    return load


@pytest.fixture
def quick_root(shared_data, tmp_path_factory) -> str:
    """The quick realbench files, made once per session."""
    if not _QUICK:
        root = str(tmp_path_factory.mktemp('realbench_quick'))
        prepare_realbench_data(shared_data, root, quick=True)
        _QUICK['root'] = root
    return _QUICK['root']


def build_model(cfg: Config):
    with DefaultScope.overwrite_default_scope('mmups'):
        return MODELS.build(cfg.model)


def num_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize('path', ALL, ids=IDS)
def test_model_builds(path, load_cfg, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no data here
    cfg = load_cfg(path)
    model = build_model(cfg)
    name = osp.basename(path)
    if name.startswith('ups_'):
        assert model.tasks == tuple(cfg.model.tasks)
        # The tasks of the data: a fine-tuning model keeps all the joint
        # model's tasks (its checkpoint loads as it is) and sees one.
        tasks = tuple(cfg.train_dataloader.dataset.datasets)
        if 'finetune' in name:
            assert model.tasks == TASKS and len(tasks) == 1
            assert cfg.load_from.endswith('ups/iter_5000.pth')
            assert cfg.optim_wrapper.optimizer.lr < 1e-3
        else:
            assert model.tasks == tasks
        assert list(cfg.val_evaluator.task_metrics) == list(tasks)
        assert tuple(cfg.train_dataloader.batch_sampler.task_order) == tasks
        assert set(model.vocabulary.label_set_names) == {'penn_action',
                                                         'h36m_actions'}
        blocks = 1 if name == 'ups_realbench_h1.py' else 2
        assert model.encoder.num_blocks == blocks
        if 'separate' in name or 'finetune' in name:
            assert tasks == (name.split('_')[-1][:-3], )
        elif name == 'ups_realbench_all_fp3d.py':
            assert tasks == TASKS + ('fp3d', )
        else:
            assert tasks == TASKS
        assert 2e6 < num_params(model) < 12e6  # a CPU budget
    else:
        assert cfg.train_cfg.type == 'IterBasedTrainLoop'
        assert 2e6 < num_params(model) < 6e6


@pytest.mark.parametrize('config,layout', [
    ('stgcn_realbench_penn_ar2d.py', 'penn_action'),
    ('stgcn_realbench_h36m_ar3d.py', 'h36m')])
def test_stgcn_graphs_are_the_layouts(config, layout, load_cfg):
    cfg = load_cfg(osp.join(CONFIGS, config))
    graph = cfg.model.backbone.graph_cfg.layout
    lay = get_layout(layout)
    assert graph.num_node == lay.num_joints
    assert graph.center == lay.center
    assert sorted(tuple(e) for e in graph.inward) == sorted(
        tuple(int(i) for i in e) for e in lay.inward)


def _datasets(cfg_ds) -> List[dict]:
    """Leaf dataset configs through MultiTaskDataset / ConcatDataset."""
    inner = cfg_ds.get('datasets')
    if inner is None:
        return [cfg_ds]
    inner = inner.values() if isinstance(inner, dict) else inner
    return [leaf for sub in inner for leaf in _datasets(sub)]


def test_root_and_splits_come_from_the_environment(load_cfg, monkeypatch):
    monkeypatch.setenv('MMUPS_REALBENCH_PENN_VAL_SPLIT', 'test')
    monkeypatch.setenv('MMUPS_REALBENCH_H36M_TRAIN_SPLIT', 'trainval')
    cfg = load_cfg(osp.join(CONFIGS, 'ups_realbench_all.py'), '/some/where')
    leaves = _datasets(cfg.train_dataloader.dataset) + _datasets(
        cfg.val_dataloader.dataset)
    assert len(leaves) == 5 + 23  # EAP validation: 10 ratios each
    for ds in leaves:
        path = ds.get('data_root') or ds.ann_file
        assert path.startswith('/some/where/'), path
    val = cfg.val_dataloader.dataset.datasets
    assert val.ar2d.split == 'test'
    assert {d.split for d in val.eap2d.datasets} == {'test'}
    train = cfg.train_dataloader.dataset.datasets
    assert train.pe3d.ann_file.endswith('h36m_trainval.npz')
    assert train.ar3d.split == train.eap3d.split == 'trainval'
    assert train.ar2d.split == 'train_sub'
    assert cfg.penn_label_map.startswith('/some/where/')
    assert cfg.h36m_action_label_map.startswith('/some/where/')


def test_h36m_normalisation_is_upright_and_centred(quick_root, load_cfg):
    cfg = load_cfg(osp.join(CONFIGS, 'ups_realbench_all.py'), quick_root)
    with DefaultScope.overwrite_default_scope('mmaction'):
        normalize = TRANSFORMS.build(cfg.h36m_normalize)
    with open(cfg.h36m_action_ann_file, 'rb') as f:
        annos = pickle.load(f)['annotations']
    pelvis = []
    for anno in annos:
        kp = normalize(dict(keypoint=anno['keypoint'].copy(),
                            total_frames=anno['total_frames']))['keypoint']
        # Moved, not turned: the world's Z stays up.
        np.testing.assert_allclose(kp - kp[:, :1, :1],
                                   anno['keypoint'] - anno['keypoint'][:, :1,
                                                                       :1],
                                   atol=1e-5)
        pelvis.append(np.linalg.norm(kp[0, 0, 0]))
    # Centred on the first frame's right wrist: the pelvis within reach.
    assert max(pelvis) < 1.0
    torso = np.stack([a['keypoint'][0, 0, 8] - a['keypoint'][0, 0, 0]
                      for a in annos])  # pelvis -> thorax
    tilt = np.degrees(np.arccos(torso[:, 2] / np.linalg.norm(torso, axis=1)))
    assert np.median(tilt) < 15 and np.percentile(tilt, 90) < 45


def _through_model(model, samples: List[dict],
                   val_samples: Optional[List[dict]] = None) -> None:
    """Loss and backward of a few samples, and prediction of them (or of
    ``val_samples``, whose action clips may hold several test clips)."""
    model.train()
    data = model.data_preprocessor(pseudo_collate(samples), True)
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k or 'nll' in k)
    assert torch.isfinite(total)
    total.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.parameters())
    model.zero_grad()
    model.eval()
    val_samples = val_samples or samples
    with torch.no_grad():
        outputs = model.val_step(pseudo_collate(val_samples))
    assert len(outputs) == len(val_samples)


@pytest.mark.parametrize('path', ALL, ids=IDS)
def test_data_through_the_model(path, quick_root, load_cfg):
    cfg = load_cfg(path, quick_root)
    model = build_model(cfg)
    with DefaultScope.overwrite_default_scope('mmups'):
        train = DATASETS.build(cfg.train_dataloader.dataset)
        val = DATASETS.build(cfg.val_dataloader.dataset)
    if cfg.model.type == 'UPS':
        for task in cfg.train_dataloader.batch_sampler.task_order:
            assert len(val.datasets[task]) > 0
            ends = [[subset[0], subset[len(subset) - 1]]
                    for subset in (train.datasets[task], val.datasets[task])]
            _through_model(model, *ends)
    else:
        assert len(train) > 0 and len(val) > 0
        _through_model(model, [train[0], train[1], train[2]])
        model.eval()
        with torch.no_grad():
            assert len(model.val_step(pseudo_collate([val[0], val[1]]))) == 2
