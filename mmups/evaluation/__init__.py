"""Evaluation of mmups: multi-task metric, early action prediction accuracy,
MPJPE in millimetres and the Human3.6M per-action table."""
from .functional import H36M_TABLE_COLUMNS, format_h36m_table
from .metrics import (EarlyPredictionMetric, MPJPEMetric,
                      MultiTaskDumpResults, MultiTaskMetric)

__all__ = [
    'MultiTaskMetric', 'MultiTaskDumpResults', 'EarlyPredictionMetric',
    'MPJPEMetric',
    'format_h36m_table', 'H36M_TABLE_COLUMNS'
]
