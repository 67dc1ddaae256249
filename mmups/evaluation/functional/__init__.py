"""Evaluation helpers of mmups."""
from .h36m_table import (H36M_ACTION_ALIASES, H36M_ACTIONS, format_h36m_table,
                         format_h36m_tables)

__all__ = ['H36M_ACTIONS', 'H36M_ACTION_ALIASES', 'format_h36m_table',
           'format_h36m_tables']
