"""Output heads of mmups."""
from .sequence_head import SequenceHead

__all__ = ['SequenceHead']
