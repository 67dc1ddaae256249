"""Evaluation helpers of mmups."""
from .h36m_table import (H36M_TABLE_COLUMNS, format_h36m_table,
                         format_h36m_tables)

__all__ = ['H36M_TABLE_COLUMNS', 'format_h36m_table',
           'format_h36m_tables']
