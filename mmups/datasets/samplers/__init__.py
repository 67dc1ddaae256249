"""Data samplers of mmups."""
from .multi_task_batch_sampler import MultiTaskBatchSampler

__all__ = ['MultiTaskBatchSampler']
