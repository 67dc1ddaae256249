"""Mirror images of skeletons: the left-right flip of flip augmentation and
of the flip test.

A mirror image swaps each left joint with its right partner
(``SkeletonLayout.flip_indices``) and negates the horizontal coordinate
about a centre: the root joint (the pelvis) where the layout has one, as
MMPose's ``RandomFlipAroundRoot`` does, else the mean of the joints.
"""
import torch
from torch import Tensor

from .layouts import SkeletonLayout

__all__ = ['flip_sequence', 'flip_pose3d']


def flip_sequence(x: Tensor, layout: SkeletonLayout) -> Tensor:
    """Mirror a pose sequence about its root, frame by frame.

    Args:
        x: (..., T, V, C) joints of ``layout`` (V of them), X first; C = 2
            or 3 (Z, the depth, is kept).
        layout: their joint layout.

    Returns:
        (..., T, V, C) mirrored copy; all-zero (absent) persons stay zero.
    """
    if x.shape[-2] != layout.num_joints:
        raise ValueError(f'flip_sequence: layout {layout.name!r} has '
                         f'{layout.num_joints} joints, the input '
                         f'{x.shape[-2]}.')
    root = layout.root_index
    horizontal = x[..., 0]
    centre = (horizontal[..., root:root + 1] if root is not None else
              horizontal.mean(-1, keepdim=True))
    out = x.clone()
    out[..., 0] = 2 * centre - horizontal
    return out[..., layout.flip_indices, :]


def flip_pose3d(pose: Tensor, layout: SkeletonLayout) -> Tensor:
    """Mirror root-relative 3D poses (..., V, 3): negate X, swap sides."""
    if pose.shape[-2] != layout.num_joints or pose.shape[-1] != 3:
        raise ValueError(f'flip_pose3d: expected (..., {layout.num_joints}, '
                         f'3) joints of layout {layout.name!r}, got '
                         f'{tuple(pose.shape)}.')
    out = pose * torch.tensor([-1., 1., 1.], dtype=pose.dtype,
                              device=pose.device)
    return out[..., layout.flip_indices, :]
