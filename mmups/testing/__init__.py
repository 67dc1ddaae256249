"""Helpers that build inputs for tests, demos and benchmarks."""
from .random_inputs import TASK_INPUTS, random_pose_batch

__all__ = ['TASK_INPUTS', 'random_pose_batch']
