"""tools/benchmarks/timing.py: the timing helpers of the speed benchmark."""
import pytest
import torch
from torch import nn

from timing import DecodeTimer, speed, time_alternating

CPU = torch.device('cpu')


def test_time_alternating_rotates_the_order():
    calls = []
    runs = {name: (lambda name=name: calls.append(name)) for name in 'abc'}
    times = time_alternating(runs, warmup=1, repeat=2, device=CPU)
    assert calls == list('abc' 'bca' 'cab')
    assert {k: len(v) for k, v in times.items()} == dict(a=2, b=2, c=2)
    assert all(t >= 0 for v in times.values() for t in v)


def test_speed_from_the_median():
    res = speed([0.2, 0.1, 0.4], batch_size=4)
    assert res['samples_per_s'] == pytest.approx(4 / 0.2)
    assert res['ms_per_sample'] == pytest.approx(50.)
    assert res['batch_times_s'] == [0.2, 0.1, 0.4]


class _Head(nn.Module):

    def generate(self, x):
        return x + 1


class _Model(nn.Module):

    def __init__(self):
        super().__init__()
        self.head = _Head()

    def forward(self, x):
        return self.head.generate(x)


def test_decode_timer_wraps_generate_while_active():
    model, timer = _Model(), DecodeTimer(CPU)
    with timer.patch(model):
        assert 'generate' in vars(model.head)
        assert model(torch.zeros(1)).item() == 1
        assert timer.seconds > 0
        timer.reset()
        assert timer.seconds == 0
    assert 'generate' not in vars(model.head)  # the method is back
    assert model(torch.zeros(1)).item() == 1 and timer.seconds == 0
