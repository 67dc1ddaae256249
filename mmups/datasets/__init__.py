"""Datasets, samplers and transforms of mmups."""
from .transforms import *  # noqa: F401,F403
from .multi_task_dataset import MultiTaskDataset  # noqa: F401
from .samplers import MultiTaskBatchSampler  # noqa: F401
