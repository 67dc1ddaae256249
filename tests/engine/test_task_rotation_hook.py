from types import SimpleNamespace

import pytest

from mmups.engine import TaskRotationHook
from mmups.structures import UPSDataSample


class Logger:

    def __init__(self):
        self.lines = []

    def info(self, msg):
        self.lines.append(msg)


def batch(*tasks):
    return dict(data_samples=[UPSDataSample(metainfo=dict(task=t))
                              for t in tasks])


def test_logs_the_task_and_checks_one_task_per_batch():
    hook = TaskRotationHook(interval=2)
    runner = SimpleNamespace(iter=1, logger=Logger())
    hook.after_train_iter(runner, 1, batch('ar3d', 'ar3d'))
    assert runner.logger.lines == ["Iter 2: task per rank: ['ar3d']"]
    runner.iter = 2
    hook.after_train_iter(runner, 2, batch('pe3d'))
    assert len(runner.logger.lines) == 1  # not a logging iteration
    with pytest.raises(RuntimeError, match='one task'):
        hook.after_train_iter(runner, 3, batch('ar3d', 'pe3d'))
