"""Datasets, samplers and transforms of mmups."""
from .transforms import *  # noqa: F401,F403
from .lazy_human36m_dataset import LazyHuman36mDataset  # noqa: F401
from .multi_task_dataset import MultiTaskDataset  # noqa: F401
from .samplers import MultiTaskBatchSampler  # noqa: F401
