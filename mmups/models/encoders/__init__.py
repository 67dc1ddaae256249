from .routed_encoder import RoutedEncoder, find_routed_encoders
from .sem_tem import (SEMTEMBlock, SpatialEncodingModule,
                      TemporalEncodingModule)

__all__ = [
    'RoutedEncoder', 'SEMTEMBlock', 'SpatialEncodingModule',
    'TemporalEncodingModule', 'find_routed_encoders'
]
