from .routed_encoder import RoutedEncoder
from .sem_tem import (SEMTEMBlock, SpatialEncodingModule,
                      TemporalEncodingModule)

__all__ = [
    'RoutedEncoder', 'SEMTEMBlock', 'SpatialEncodingModule',
    'TemporalEncodingModule'
]
