"""Geometry of skeleton sequences: root-relative coordinates and mirror
images (the left-right flip of flip augmentation and of the flip test).

The root of a layout is its pelvis where it has one (MMPose's lifting
codecs' ``root_index``), else the mean of its joints.

A mirror image swaps each left joint with its right partner
(``SkeletonLayout.flip_indices``) and negates the horizontal coordinate
about a centre: the root joint (the pelvis) where the layout has one, as
MMPose's ``RandomFlipAroundRoot`` does, else the mean of the joints.
"""
import torch
from torch import Tensor

from .layouts import SkeletonLayout

__all__ = ['root_of', 'centre_on_root', 'flip_sequence', 'flip_pose3d']


def _check_joints(x: Tensor, layout: SkeletonLayout, what: str) -> None:
    if x.dim() < 2 or x.shape[-2] != layout.num_joints:
        raise ValueError(f'{what}: layout {layout.name!r} has '
                         f'{layout.num_joints} joints, the input '
                         f'{tuple(x.shape)} (..., V, C).')


def root_of(x: Tensor, layout: SkeletonLayout) -> Tensor:
    """(..., V, C) joints -> (..., 1, C) their root (see the module)."""
    root = layout.root_index
    return (x[..., root:root + 1, :] if root is not None else
            x.mean(-2, keepdim=True))


def centre_on_root(x: Tensor, layout: SkeletonLayout) -> Tensor:
    """Joints (..., V, C) relative to their root, frame by frame: the
    person's place in the image is removed, its pose kept. All-zero
    (absent) persons stay zero."""
    _check_joints(x, layout, 'centre_on_root')
    return x - root_of(x, layout)


def flip_sequence(x: Tensor, layout: SkeletonLayout) -> Tensor:
    """Mirror a pose sequence about its root, frame by frame.

    Args:
        x: (..., T, V, C) joints of ``layout`` (V of them), X first; C = 2
            or 3 (Z, the depth, is kept).
        layout: their joint layout.

    Returns:
        (..., T, V, C) mirrored copy; all-zero (absent) persons stay zero.
    """
    _check_joints(x, layout, 'flip_sequence')
    out = x.clone()
    out[..., 0] = 2 * root_of(x, layout)[..., 0] - x[..., 0]
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
