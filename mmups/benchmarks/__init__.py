"""Benchmarks of mmups on real data: the data preparation of the realbench
configs (``configs/realbench/``)."""
from .realbench_data import prepare_realbench_data

__all__ = ['prepare_realbench_data']
