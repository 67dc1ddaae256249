"""Tests of :mod:`mmups.utils.machine`: the one description of the machine
that both benchmarks write."""
import os

import torch

from mmups.utils.machine import cpu_name, machine_info, machine_summary


def test_machine_info_on_the_cpu():
    info = machine_info(torch.device('cpu'))
    assert list(info)[:11] == [
        'cpu', 'cpu_count', 'platform', 'python', 'torch', 'mmengine',
        'mmaction', 'mmpose', 'threads', 'device', 'gpu']
    assert info['cpu'] == cpu_name() and info['cpu_count'] == os.cpu_count()
    assert info['device'] == 'cpu' and info['gpu'] is None
    assert info['torch'] == torch.__version__
    default = machine_info()  # the GPU where there is one
    assert default['device'] == ('cuda' if torch.cuda.is_available()
                                 else 'cpu')
    assert (default['gpu'] is None) == (not torch.cuda.is_available())


def test_machine_summary():
    info = dict(cpu='Some CPU', cpu_count=8, gpu=None, torch='2.0')
    assert machine_summary(info) == ('Some CPU, 8 logical CPUs, no GPU, '
                                     'torch 2.0')
    assert machine_summary(dict(info, gpu='Some GPU')) == (
        'Some CPU, 8 logical CPUs, Some GPU, torch 2.0')
