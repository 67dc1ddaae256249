"""Metrics of mmups."""
from .early_prediction_metric import EarlyPredictionMetric
from .mpjpe_metric import MPJPEMetric
from .multi_task_dump_results import MultiTaskDumpResults
from .multi_task_metric import MultiTaskMetric

__all__ = [
    'MultiTaskMetric', 'MultiTaskDumpResults', 'EarlyPredictionMetric',
    'MPJPEMetric'
]
