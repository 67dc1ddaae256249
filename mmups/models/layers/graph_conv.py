"""Graph and temporal convolutions of the joint tokenizer and the SEM.

They follow the TCN-GCN layer of CTR-GCN (channel-wise topology refinement,
then multi-scale temporal convolution), with one change that lets one set of
weights serve several joint layouts: the adjacency ``A`` is an argument of
``forward`` instead of a buffer fixed at construction. Every weight here is a
1x1 or temporal convolution, so its shape does not depend on V. The graph
convolution also takes an optional mask of the joints that exist, so that
the rest (empty slots of the canonical joint set) contribute nothing.

Feature maps are (N, C, T, V): N samples (persons folded in), C channels,
T frames, V joints.
"""
from typing import Optional, Sequence

import torch
from mmcv.cnn import build_norm_layer
from torch import Tensor, nn

from .masked_norm import masked_group_norm


def norm_layer(norm_cfg: dict, channels: int) -> nn.Module:
    """Build a 2D normalisation layer from an mmcv ``norm_cfg`` (``BN2d``,
    ``SyncBN``, ``GN``, ...)."""
    return build_norm_layer(norm_cfg, channels)[1]


def residual_projection(in_channels: int, out_channels: int,
                        norm_cfg: dict) -> nn.Module:
    """Identity, or a normalised 1x1 conv where the channels change."""
    if in_channels == out_channels:
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 1),
                         norm_layer(norm_cfg, out_channels))


class ChannelTopologyConv(nn.Module):
    """Graph convolution with channel-wise topology refinement (CTR-GC).

    For each adjacency subset k the shared topology ``A[k]`` (V, V) is refined
    per channel by a sample-dependent term built from pairwise differences of
    temporally pooled joint features, then used to aggregate joint features.

    Args:
        in_channels: C_in.
        out_channels: C_out.
        num_subsets: n_sub, number of adjacency subsets (3 for the spatial
            mode: identity, inward, outward).
        rel_reduction: channel reduction of the relation branch.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 num_subsets: int = 3, rel_reduction: int = 8) -> None:
        super().__init__()
        rel = max(in_channels // rel_reduction, 8)
        self.num_subsets = num_subsets
        self.query = nn.Conv2d(in_channels, rel * num_subsets, 1)
        self.key = nn.Conv2d(in_channels, rel * num_subsets, 1)
        self.value = nn.Conv2d(in_channels, out_channels * num_subsets, 1)
        # Grouped 1x1 conv: each subset maps its relation channels to C_out.
        self.expand = nn.Conv2d(rel * num_subsets, out_channels * num_subsets,
                                1, groups=num_subsets)
        # Starts at 0 so training begins from the plain skeleton graph.
        self.alpha = nn.Parameter(torch.zeros(1))

    def forward(self, x: Tensor, A: Tensor,
                joint_mask: Optional[Tensor] = None) -> Tensor:
        """Aggregate joint features over the refined topology.

        Args:
            x: (N, C_in, T, V) features.
            A: (n_sub, V, V) adjacency, or (N, n_sub, V, V) one per sample.
            joint_mask: (N, V) bool, True for joints that exist; the value
                (bias included) of the others is zeroed before it reaches
                ``A`` or the refinement, so they contribute nothing.

        Returns:
            (N, C_out, T, V).
        """
        n, _, t, v = x.shape
        k = self.num_subsets
        pooled = x.mean(2, keepdim=True)  # (N, C_in, 1, V)
        q = self.query(pooled).squeeze(2)  # (N, n_sub*R, V)
        kk = self.key(pooled).squeeze(2)
        # (N, n_sub*R, V, V)
        rel = torch.tanh(q.unsqueeze(-1) - kk.unsqueeze(-2))
        # (N, n_sub, C_out, V, V)
        refine = self.expand(rel).view(n, k, -1, v, v)
        topo = A.view(-1, k, 1, v, v) + self.alpha * refine
        value = self.value(x)
        if joint_mask is not None:
            value = value * joint_mask.to(value.dtype)[:, None, None, :]
        value = value.view(n, k, -1, t, v)  # (N, n_sub, C_out, T, V)
        # out[n, c, t, u] =
        #     sum_k sum_v topo[n, k, c, u, v] * value[n, k, c, t, v]
        return torch.einsum('nkcuv,nkctv->nctu', topo, value)


class GraphConvUnit(nn.Module):
    """CTR-GC graph convolution + norm + residual + ReLU."""

    def __init__(self, in_channels: int, out_channels: int,
                 num_subsets: int = 3,
                 norm_cfg: dict = dict(type='BN2d')) -> None:
        super().__init__()
        self.conv = ChannelTopologyConv(in_channels, out_channels, num_subsets)
        self.norm = norm_layer(norm_cfg, out_channels)
        self.down = residual_projection(in_channels, out_channels, norm_cfg)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: Tensor, A: Tensor,
                joint_mask: Optional[Tensor] = None) -> Tensor:
        """x: (N, C_in, T, V); A: (n_sub, V, V) or (N, n_sub, V, V);
        joint_mask: (N, V) bool or None -> (N, C_out, T, V).

        With ``joint_mask`` the joints outside it contribute nothing: their
        values are masked in the convolution and the GroupNorm statistics
        are taken over the joints in it; x must be zero outside it, and the
        output then is too.
        """
        if joint_mask is None:
            return self.act(self.norm(self.conv(x, A)) + self.down(x))
        if not isinstance(self.norm, nn.GroupNorm) or not isinstance(
                self.down, nn.Identity):
            raise ValueError('A joint mask needs GroupNorm (norm_cfg type '
                             f'"GN", not {type(self.norm).__name__}) and as '
                             'many output as input channels.')
        out = masked_group_norm(self.norm, self.conv(x, A, joint_mask),
                                joint_mask)
        return self.act(out + x)


class MultiScaleTemporalConv(nn.Module):
    """Parallel temporal convolutions with several dilations, a max-pool branch
    and a 1x1 branch, concatenated (the multi-scale TCN of CTR-GCN).

    Args:
        in_channels: C_in.
        out_channels: C_out, split evenly over the branches.
        kernel_size: temporal kernel of the dilated branches.
        dilations: one dilated branch per entry.
        stride: temporal stride.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int = 5, dilations: Sequence[int] = (1, 2),
                 stride: int = 1,
                 norm_cfg: dict = dict(type='BN2d')) -> None:
        super().__init__()
        num_branches = len(dilations) + 2
        mid = out_channels // num_branches
        widths = [mid] * num_branches
        widths[0] += out_channels - mid * num_branches

        def entry(width: int) -> list:
            return [nn.Conv2d(in_channels, width, 1),
                    norm_layer(norm_cfg, width), nn.ReLU(inplace=True)]

        branches = []
        for width, dilation in zip(widths, dilations):
            pad = (kernel_size - 1) * dilation // 2
            branches.append(nn.Sequential(
                *entry(width),
                nn.Conv2d(width, width, (kernel_size, 1), (stride, 1),
                          (pad, 0), (dilation, 1)),
                norm_layer(norm_cfg, width)))
        width = widths[len(dilations)]
        branches.append(nn.Sequential(
            *entry(width), nn.MaxPool2d((3, 1), (stride, 1), (1, 0)),
            norm_layer(norm_cfg, width)))
        width = widths[-1]
        branches.append(nn.Sequential(
            nn.Conv2d(in_channels, width, 1, (stride, 1)),
            norm_layer(norm_cfg, width)))
        self.branches = nn.ModuleList(branches)

    def forward(self, x: Tensor) -> Tensor:
        """(N, C_in, T, V) -> (N, C_out, T / stride, V)."""
        return torch.cat([branch(x) for branch in self.branches], dim=1)


class TCNGCNUnit(nn.Module):
    """One TCN-GCN layer: graph convolution, then multi-scale temporal
    convolution, with a residual connection around both.

    Args:
        in_channels: C_in.
        out_channels: C_out.
        residual: add the (projected) input to the output.
        num_subsets: n_sub adjacency subsets.
        norm_cfg: mmcv normalisation config.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 residual: bool = True, num_subsets: int = 3,
                 norm_cfg: dict = dict(type='BN2d')) -> None:
        super().__init__()
        self.gcn = GraphConvUnit(in_channels, out_channels, num_subsets,
                                 norm_cfg)
        self.tcn = MultiScaleTemporalConv(out_channels, out_channels,
                                          norm_cfg=norm_cfg)
        self.residual: Optional[nn.Module] = residual_projection(
            in_channels, out_channels, norm_cfg) if residual else None
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: Tensor, A: Tensor) -> Tensor:
        """x: (N, C_in, T, V); A: (n_sub, V, V) -> (N, C_out, T, V)."""
        y = self.tcn(self.gcn(x, A))
        if self.residual is not None:
            y = y + self.residual(x)
        return self.act(y)
