from .attention import MLP, MultiHeadAttention
from .graph_conv import (ChannelTopologyConv, GraphConvUnit,
                         MultiScaleTemporalConv, TCNGCNUnit)

__all__ = [
    'MultiHeadAttention', 'MLP', 'ChannelTopologyConv', 'GraphConvUnit',
    'MultiScaleTemporalConv', 'TCNGCNUnit'
]
