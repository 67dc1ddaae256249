"""Codecs turning pose targets into discrete tokens and back."""
from .coordinate_quantizer import CoordinateQuantizer

__all__ = ['CoordinateQuantizer']
