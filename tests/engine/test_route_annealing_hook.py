import math
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub

from mmups.engine import RouteAnnealingHook, annealed_value
from mmups.models import RoutedEncoder


def test_annealed_value_schedules():
    assert annealed_value(2.0, 0.5, 0.0, 'cosine') == 2.0
    assert annealed_value(2.0, 0.5, 0.5, 'cosine') == pytest.approx(1.25)
    assert annealed_value(2.0, 0.5, 0.25, 'cosine') == pytest.approx(
        0.5 + 1.5 * (1 + math.cos(math.pi / 4)) / 2)
    assert annealed_value(2.0, 0.5, 1.0, 'cosine') == pytest.approx(0.5)
    assert annealed_value(0.25, 4.0, 0.5, 'exp') == pytest.approx(1.0)
    assert annealed_value(0.25, 4.0, 0.25, 'exp') == pytest.approx(0.5)
    assert annealed_value(0.0, 1.0, 0.3, 'linear') == pytest.approx(0.3)
    # Outside the schedule the end values hold.
    assert annealed_value(0.0, 1.0, 1.7, 'linear') == 1.0
    assert annealed_value(0.0, 1.0, -1.0, 'linear') == 0.0
    with pytest.raises(ValueError, match='schedule'):
        annealed_value(0.0, 1.0, 0.5, 'step')
    with pytest.raises(ValueError, match='positive'):
        annealed_value(0.0, 1.0, 0.5, 'exp')


def make_runner(max_iters=100):
    torch.manual_seed(0)
    encoder = RoutedEncoder(embed_dims=4, num_layers=2, num_blocks=2,
                            num_tasks=2, task_dims=8, num_heads=2)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), encoder)
    hub = MessageHub.get_instance('test_route_annealing_hook')
    return SimpleNamespace(model=model, iter=0, max_iters=max_iters,
                           message_hub=hub), encoder


def test_hook_sets_the_values_of_each_iteration():
    runner, encoder = make_runner(max_iters=100)
    hook = RouteAnnealingHook(
        gumbel_tau=dict(start=2.0, end=0.5),  # cosine by default
        score_scale=dict(start=0.25, end=1.0, schedule='exp'))
    hook.before_train(runner)
    assert (encoder.gumbel_tau, encoder.score_scale) == (2.0, 0.25)
    expected = {50: (1.25, 0.5), 75: (0.5 + 1.5 * (1 - 2**-0.5) / 2,
                                      0.25 * 4**0.75),
                99: (None, None), 100: (0.5, 1.0)}
    for it, (tau, scale) in expected.items():
        runner.iter = it
        hook.before_train_iter(runner, it)
        if tau is not None:
            assert encoder.gumbel_tau == pytest.approx(tau)
            assert encoder.score_scale == pytest.approx(scale)
    assert runner.message_hub.get_scalar('train/score_scale').current() == \
        pytest.approx(1.0)


def test_hook_range_and_single_values():
    runner, encoder = make_runner(max_iters=100)
    hook = RouteAnnealingHook(score_scale=dict(start=0.0, end=1.0,
                                               schedule='linear'),
                              begin_iter=20, end_iter=60)
    for it, scale in ((0, 0.0), (20, 0.0), (30, 0.25), (60, 1.0), (90, 1.0)):
        runner.iter = it
        hook.before_train_iter(runner, it)
        assert encoder.score_scale == pytest.approx(scale)
    assert encoder.gumbel_tau == 1.0  # not scheduled: left as it was


@pytest.mark.parametrize('kwargs, match', [
    (dict(), 'gumbel_tau and/or score_scale'),
    (dict(gumbel_tau=dict(start=1.0)), 'expected dict'),
    (dict(gumbel_tau=dict(start=1.0, end=0.0, schedule='linear')),
     'positive'),
    (dict(score_scale=dict(start=0.0, end=1.0, schedule='exp')), 'positive'),
    (dict(score_scale=dict(start=0.5, end=1.0, shape='cos')), 'expected'),
    (dict(score_scale=dict(start=0.5, end=1.0), begin_iter=5, end_iter=5),
     'end_iter'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RouteAnnealingHook(**kwargs)


def test_model_without_routed_encoder():
    runner, _ = make_runner()
    runner.model = torch.nn.Linear(2, 2)
    hook = RouteAnnealingHook(gumbel_tau=dict(start=2.0, end=1.0))
    with pytest.raises(TypeError, match='no RoutedEncoder'):
        hook.before_train(runner)
