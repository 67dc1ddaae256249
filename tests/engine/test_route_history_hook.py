"""RouteHistoryHook on a real Runner: a tiny UPS trained four iterations."""
import json
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmups.engine import RouteHistoryHook
from mmups.registry import MODELS
from mmups.testing import random_pose_batch
from mmups.utils import register_all_modules

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TINY = osp.join(ROOT, 'configs', '_base_', 'models', 'ups_tiny.py')


def tiny_ups():
    register_all_modules()
    torch.manual_seed(0)
    return MODELS.build(Config.fromfile(TINY).model)


def dataset(model):
    """Two batches of 2: ar3d, then pe3d (not shuffled)."""
    gen = torch.Generator().manual_seed(0)
    items = []
    for task in ('ar3d', 'pe3d'):
        data = random_pose_batch(model, task, 2, 6, generator=gen)
        items += [dict(inputs=x, data_samples=s)
                  for x, s in zip(data['inputs'], data['data_samples'])]
    return items


def test_history_of_a_tiny_run(tmp_path):
    model = tiny_ups()
    initial = (model.get_routes(), model.get_route_probabilities())
    runner = Runner(
        model=model, work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=dataset(model), batch_size=2, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=1.0)),
        train_cfg=dict(by_epoch=False, max_iters=4),
        default_hooks=dict(checkpoint=None, logger=dict(
            type='LoggerHook', interval=1)),
        custom_hooks=[
            dict(type='RouteHistoryHook', interval=3),
            dict(type='RouteAnnealingHook',
                 score_scale=dict(start=0.5, end=1.0, schedule='linear'))],
        default_scope='mmups', randomness=dict(seed=0))
    runner.train()
    with open(tmp_path / 'route_history.json') as f:
        history = json.load(f)
    assert history['tasks'] == list(model.tasks)
    assert (history['num_layers'], history['num_blocks']) == (3, 2)
    records = history['records']
    # Before training, after iteration 3 (interval) and after the last.
    assert [r['iter'] for r in records] == [0, 3, 4]
    # The annealed scale in use: set before iterations 0, 2 and 3.
    assert [r['score_scale'] for r in records] == pytest.approx(
        [0.5, 0.5 + 0.5 * 2 / 4, 0.5 + 0.5 * 3 / 4])
    assert all(r['gumbel_tau'] == 1.0 for r in records)
    scale = records[0]['score_scale']
    assert records[0]['routes'] == initial[0]
    for task, probs in records[0]['probs'].items():
        # Recorded at scale 0.5, the model's own at 1: p ~ exp(s / 2).
        ref = torch.tensor(initial[1][task]).log() * scale
        assert torch.allclose(torch.tensor(probs), ref.softmax(-1),
                              atol=1e-6)
    assert records[-1]['routes'] == model.get_routes()
    last = as_tensor(records[-1]['probs'])
    assert torch.allclose(last, as_tensor(model.get_route_probabilities()))
    # The scores learnt (lr 1) and the scale grew: the records differ.
    assert (last - as_tensor(records[0]['probs'])).abs().max() > 0.01


def as_tensor(probs):
    """(M, L, H) tensor of ``{task: (L, H) lists}``, in task order."""
    return torch.tensor([probs[t] for t in sorted(probs)])


def test_resumed_run_keeps_earlier_records(tmp_path):
    model = tiny_ups()
    hook = RouteHistoryHook(interval=2, out_file='routes.json')
    old = [dict(iter=i, routes={}, probs={}) for i in (0, 2, 4, 6)]
    (tmp_path / 'routes.json').write_text(json.dumps(dict(records=old)))
    runner = SimpleNamespace(model=model, work_dir=str(tmp_path), iter=4)
    hook.before_train(runner)
    with open(tmp_path / 'routes.json') as f:
        records = json.load(f)['records']
    assert [r['iter'] for r in records] == [0, 2, 4]
    assert records[-1]['routes'] == model.get_routes()
    # A new run (iteration 0) starts a new file.
    runner.iter = 0
    hook.before_train(runner)
    with open(tmp_path / 'routes.json') as f:
        assert [r['iter'] for r in json.load(f)['records']] == [0]


def test_bad_interval_and_model(tmp_path):
    with pytest.raises(ValueError, match='interval'):
        RouteHistoryHook(interval=0)
    runner = SimpleNamespace(model=torch.nn.Linear(2, 2),
                             work_dir=str(tmp_path), iter=0)
    with pytest.raises(TypeError, match='get_routes'):
        RouteHistoryHook().before_train(runner)
