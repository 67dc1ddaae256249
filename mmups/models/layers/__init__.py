from .attention import MLP, MultiHeadAttention
from .graph_conv import (ChannelTopologyConv, GraphConvUnit,
                         MultiScaleTemporalConv, TCNGCNUnit)
from .masked_norm import masked_group_norm, masked_layer_norm
from .slot_graph import SlotGraph

__all__ = [
    'MultiHeadAttention', 'MLP', 'ChannelTopologyConv', 'GraphConvUnit',
    'MultiScaleTemporalConv', 'TCNGCNUnit', 'SlotGraph', 'masked_group_norm',
    'masked_layer_norm'
]
