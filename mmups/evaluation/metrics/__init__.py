"""Metrics of mmups."""
from .early_prediction_metric import EarlyPredictionMetric
from .mpjpe_metric import MPJPEMetric
from .multi_task_metric import MultiTaskMetric

__all__ = ['MultiTaskMetric', 'EarlyPredictionMetric', 'MPJPEMetric']
