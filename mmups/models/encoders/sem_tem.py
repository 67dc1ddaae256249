"""The SEM-TEM block of the UPS encoder (paper section 3.3).

Tokens are (B, T, V, d): B sequences (samples x persons), T frames, V
canonical joint slots, d channels.
"""
from typing import Optional

import torch
from torch import Tensor, nn

from mmups.skeleton import CANONICAL_LAYOUT
from ..layers import MLP, GraphConvUnit, MultiHeadAttention


class SpatialEncodingModule(nn.Module):
    """SEM: two GCN blocks over the canonical skeleton graph.

    Slots a sample's layout does not fill are kept at zero after every block,
    so they neither leak biases into the TEM nor pretend to be joints.

    Args:
        embed_dims: d.
        norm_cfg: normalisation config of the GCN blocks.
    """

    def __init__(self, embed_dims: int,
                 norm_cfg: dict = dict(type='GN', num_groups=1)) -> None:
        super().__init__()
        A = torch.from_numpy(CANONICAL_LAYOUT.adjacency('spatial'))
        self.register_buffer('graph', A, persistent=False)
        # Learnable correction of the canonical graph, as in 2s-AGCN.
        self.graph_offset = nn.Parameter(torch.zeros(2, *A.shape))
        self.gcns = nn.ModuleList(
            GraphConvUnit(embed_dims, embed_dims, A.shape[0], norm_cfg)
            for _ in range(2))

    def forward(self, x: Tensor, joint_mask: Tensor) -> Tensor:
        """x: (B, T, V, d); joint_mask: (B, V) bool -> (B, T, V, d)."""
        keep = joint_mask[:, None, :, None].to(x.dtype)  # (B, 1, V, 1)
        feat = (x * keep).permute(0, 3, 1, 2)  # (B, d, T, V)
        keep = keep.permute(0, 3, 1, 2)  # (B, 1, 1, V)
        for gcn, offset in zip(self.gcns, self.graph_offset):
            feat = gcn(feat, self.graph + offset) * keep
        return feat.permute(0, 2, 3, 1)


class TemporalEncodingModule(nn.Module):
    """TEM: multi-head self-attention between frame-level tokens, then a
    2-layer MLP, both pre-norm with residuals.

    A frame-level token is the concatenation of a frame's V joint tokens
    (size V*d), so attention runs over T tokens instead of T*V.

    Args:
        frame_dims: V*d.
        num_heads: attention heads.
        mlp_ratio: MLP hidden size as a multiple of ``frame_dims``.
        drop: dropout of attention and MLP outputs.
    """

    def __init__(self, frame_dims: int, num_heads: int = 8,
                 mlp_ratio: float = 2.0, drop: float = 0.) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(frame_dims)
        self.attn = MultiHeadAttention(frame_dims, num_heads, proj_drop=drop)
        self.norm2 = nn.LayerNorm(frame_dims)
        self.mlp = MLP(frame_dims, int(frame_dims * mlp_ratio), drop=drop)

    def forward(self, x: Tensor,
                frame_mask: Optional[Tensor] = None) -> Tensor:
        """x: (B, T, V*d); frame_mask: (B, T) bool, True = real frame."""
        x = x + self.attn(self.norm1(x), key_padding_mask=frame_mask)
        return x + self.mlp(self.norm2(x))


class SEMTEMBlock(nn.Module):
    """One block theta_{l,h} of the routed encoder: a SEM followed by a TEM."""

    def __init__(self, embed_dims: int, num_joints: int, num_heads: int = 8,
                 mlp_ratio: float = 2.0, drop: float = 0.,
                 norm_cfg: dict = dict(type='GN', num_groups=1)) -> None:
        super().__init__()
        self.sem = SpatialEncodingModule(embed_dims, norm_cfg)
        self.tem = TemporalEncodingModule(embed_dims * num_joints, num_heads,
                                          mlp_ratio, drop)

    def forward(self, x: Tensor, joint_mask: Tensor) -> Tensor:
        """x: (B, T, V, d); joint_mask: (B, V) bool -> (B, T, V, d)."""
        b, t, v, d = x.shape
        x = self.sem(x, joint_mask)
        x = self.tem(x.reshape(b, t, v * d)).reshape(b, t, v, d)
        return x * joint_mask[:, None, :, None].to(x.dtype)
