"""Describing the machine that figures were measured on.

:func:`machine_info` gathers the description; the speed benchmark
(``tools/analysis/benchmark.py``) stores it whole, the real-data comparison
(``tools/benchmarks/realbench.py``) as the line of :func:`machine_summary`.
"""
import os
import platform


def cpu_name() -> str:
    """The processor's model name (from /proc/cpuinfo where there is one)."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(device=None) -> dict:
    """What measured figures depend on: processor, threads, library
    versions, the device and the machine's load.

    Args:
        device (torch.device, optional): the device that is measured
            (default: the GPU where CUDA is available, else the CPU).

    Returns:
        dict: ``cpu``, ``cpu_count``, ``platform``, ``python``, ``torch``,
        ``mmengine``, ``mmaction``, ``mmpose``, ``threads`` (torch's),
        ``device``, ``gpu`` (its name, None on the CPU) and, where the
        system tells it, ``load_avg_1min``.
    """
    import mmaction
    import mmengine
    import mmpose
    import torch
    if device is None:
        device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    cpu = cpu_name()
    info = dict(
        cpu=cpu, cpu_count=os.cpu_count(), platform=platform.platform(),
        python=platform.python_version(), torch=torch.__version__,
        mmengine=mmengine.__version__, mmaction=mmaction.__version__,
        mmpose=mmpose.__version__, threads=torch.get_num_threads(),
        device=str(device), gpu=None)
    if device.type == 'cuda':
        info['gpu'] = torch.cuda.get_device_name(device)
    if hasattr(os, 'getloadavg'):
        # Other jobs on the machine slow down what is measured: keep the
        # load beside the figures.
        info['load_avg_1min'] = round(os.getloadavg()[0], 2)
    return info


def machine_summary(info: dict) -> str:
    """One line of :func:`machine_info`: processor, logical CPUs, GPU (or
    "no GPU") and torch version."""
    gpu = info['gpu'] or 'no GPU'
    return (f"{info['cpu']}, {info['cpu_count']} logical CPUs, {gpu}, "
            f"torch {info['torch']}")
