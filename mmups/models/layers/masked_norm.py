"""GroupNorm and LayerNorm whose statistics skip the empty joint slots.

Each function applies the affine parameters of an existing ``nn.GroupNorm``
or ``nn.LayerNorm`` (so the same checkpoint serves the masked and the plain
form) to statistics taken over the entries of filled slots only, and returns
exact zeros in the empty ones. The statistics are taken in float32, as
autocast does for the plain norms, and the result has the input's dtype.
"""
from typing import Sequence, Tuple

import torch
from torch import Tensor, nn


def _masked_moments(x: Tensor, weight: Tensor,
                    dims: Sequence[int]) -> Tuple[Tensor, Tensor]:
    """Mean and biased variance of ``x`` over ``dims``, counting only the
    entries where the 0/1 ``weight`` (broadcast to ``x``) is 1."""
    count = weight.expand_as(x).sum(dims, keepdim=True).clamp(min=1)
    mean = (x * weight).sum(dims, keepdim=True) / count
    var = ((x - mean) * weight).square().sum(dims, keepdim=True) / count
    return mean, var


def masked_group_norm(norm: nn.GroupNorm, x: Tensor,
                      joint_mask: Tensor) -> Tensor:
    """x: (N, C, T, V); joint_mask: (N, V) bool -> (N, C, T, V)."""
    n, c, t, v = x.shape
    weight = joint_mask.float().view(n, 1, 1, 1, v)
    groups = x.float().view(n, norm.num_groups, c // norm.num_groups, t, v)
    mean, var = _masked_moments(groups, weight, (2, 3, 4))
    out = ((groups - mean) * torch.rsqrt(var + norm.eps)).view(n, c, t, v)
    if norm.affine:
        out = out * norm.weight.view(1, c, 1, 1) + norm.bias.view(1, c, 1, 1)
    return (out * weight.view(n, 1, 1, v)).to(x.dtype)


def masked_layer_norm(norm: nn.LayerNorm, x: Tensor,
                      entry_mask: Tensor) -> Tensor:
    """x: (B, T, F) frame tokens; entry_mask: (B, F) bool, True for the
    entries of filled slots -> (B, T, F)."""
    if len(norm.normalized_shape) != 1:
        raise ValueError('masked_layer_norm normalises the last axis only, '
                         f'not {tuple(norm.normalized_shape)}.')
    weight = entry_mask.float()[:, None, :]
    full = x.float()
    mean, var = _masked_moments(full, weight, (-1, ))
    out = (full - mean) * torch.rsqrt(var + norm.eps)
    if norm.weight is not None:
        out = out * norm.weight
    if norm.bias is not None:
        out = out + norm.bias
    return (out * weight).to(x.dtype)
