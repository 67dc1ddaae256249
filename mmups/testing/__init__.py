"""Helpers that build models and inputs for tests, demos and benchmarks."""
from .model_builder import (add_model_args, build_ups, load_ups_config,
                            placeholder_label_sets)
from .random_inputs import TASK_INPUTS, random_pose_batch

__all__ = [
    'TASK_INPUTS', 'random_pose_batch', 'add_model_args', 'build_ups',
    'load_ups_config', 'placeholder_label_sets'
]
