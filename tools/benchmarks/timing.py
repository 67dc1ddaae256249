"""Timing helpers of the speed benchmark (``tools/analysis/benchmark.py``):
models timed in turns, the time UPS spends decoding, and throughput from
batch times."""
import statistics
import time
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List

import torch
from torch import nn


def sync(device: torch.device) -> None:
    """Wait for the device's queued work (CUDA); nothing on the CPU."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_alternating(runs: Dict[str, Callable[[], object]], warmup: int,
                     repeat: int, device: torch.device
                     ) -> Dict[str, List[float]]:
    """Run several callables in turns and time each run.

    The order rotates every round so that no callable always runs first
    (right after another model has evicted its weights from the caches).

    Returns:
        name -> ``repeat`` durations in seconds (warmup runs excluded).
    """
    names = list(runs)
    times: Dict[str, List[float]] = {name: [] for name in names}
    for i in range(warmup + repeat):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            sync(device)
            start = time.perf_counter()
            runs[name]()
            sync(device)
            if i >= warmup:
                times[name].append(time.perf_counter() - start)
    return times


class DecodeTimer:
    """Measures the time UPS spends in ``head.generate`` during a predict.

    While active (``with timer.patch(model):``) the head's ``generate`` is
    wrapped; ``seconds`` sums its durations since the last ``reset()``.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.seconds = 0.

    def reset(self) -> None:
        self.seconds = 0.

    @contextmanager
    def patch(self, model: nn.Module) -> Iterator['DecodeTimer']:
        head = model.head
        original = head.generate

        def timed(*args, **kwargs):
            sync(self.device)
            start = time.perf_counter()
            out = original(*args, **kwargs)
            sync(self.device)
            self.seconds += time.perf_counter() - start
            return out

        head.generate = timed
        try:
            yield self
        finally:
            del head.generate  # the instance attribute; the method is back


def speed(times: List[float], batch_size: int) -> dict:
    """Median batch time -> throughput and per-sample latency."""
    median = statistics.median(times)
    return dict(batch_size=batch_size,
                samples_per_s=batch_size / median,
                ms_per_sample=median / batch_size * 1e3,
                batch_times_s=[round(t, 6) for t in times])
