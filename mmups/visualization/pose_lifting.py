"""Picture of 2D-to-3D pose lifting: the input 2D pose beside the 3D pose."""
from typing import Optional

import numpy as np
from matplotlib.figure import Figure

from .output import PathLike, save_figure
from .skeleton import (LayoutLike, add_pose_axes, check_keypoints, draw_pose,
                       label_below, resolve_layout, set_pose_limits)

#: Colour of the ground-truth 3D pose drawn under the prediction.
GT_COLOR = '#9e9e9e'


def draw_pose_lifting(keypoint_2d, keypoint_3d, out_file: PathLike,
                      layout_2d: LayoutLike = 'h36m',
                      layout_3d: LayoutLike = 'h36m',
                      title: Optional[str] = None,
                      keypoint_3d_gt=None, dpi: float = 100) -> str:
    """Draw a 2D input pose and the 3D pose lifted from it, side by side.

    Args:
        keypoint_2d: (V, 2) input pose, pixels or normalised, y down.
        keypoint_3d: (V', 3) predicted pose in millimetres in the camera
            frame (x right, y down, z forward); drawn upright (up = -y) and
            seen from the camera's side (depth = z).
        out_file: image file to write (format from its extension).
        layout_2d: joint layout (or name) of the 2D pose, giving V.
        layout_3d: joint layout (or name) of the 3D poses, giving V'.
        title: title above both panels.
        keypoint_3d_gt: optional (V', 3) ground-truth pose in the same frame,
            drawn in grey under the prediction; the panel then also gives
            the MPJPE (mean joint distance, millimetres, NaN joints left out).
        dpi: resolution of the image.

    Returns:
        ``out_file``.

    Raises:
        ValueError: an input does not have the shape above.
    """
    layout_2d, layout_3d = resolve_layout(layout_2d), resolve_layout(layout_3d)
    pose_2d = check_keypoints(keypoint_2d, layout_2d, '(V, 2)', (2,),
                              name='keypoint_2d')
    pose_3d = check_keypoints(keypoint_3d, layout_3d, '(V, 3)', (3,),
                              name='keypoint_3d')
    poses_3d = pose_3d[None]
    if keypoint_3d_gt is not None:
        gt = check_keypoints(keypoint_3d_gt, layout_3d, '(V, 3)', (3,),
                             name='keypoint_3d_gt')
        poses_3d = np.stack([pose_3d, gt])

    fig = Figure(figsize=(5.6, 3.0 if title else 2.7))
    ax_2d = add_pose_axes(fig, 1, 2, 1, num_coords=2)
    set_pose_limits(ax_2d, pose_2d, '-y')
    draw_pose(ax_2d, pose_2d, layout_2d, '-y')
    label_below(ax_2d, '2D input')

    ax_3d = add_pose_axes(fig, 1, 2, 2, num_coords=3)
    set_pose_limits(ax_3d, poses_3d, '-y')
    caption = '3D prediction'
    if keypoint_3d_gt is not None:
        draw_pose(ax_3d, gt, layout_3d, '-y', color=GT_COLOR, alpha=0.8)
        caption += '\nground truth in grey'
        errors = np.linalg.norm(pose_3d - gt, axis=-1)
        if np.isfinite(errors).any():
            caption += f', MPJPE {np.nanmean(errors):.1f} mm'
    draw_pose(ax_3d, pose_3d, layout_3d, '-y')
    label_below(ax_3d, caption)
    if title:
        fig.suptitle(title)
    fig.subplots_adjust(left=0.03, right=0.97, bottom=0.14,
                        top=0.88 if title else 0.97, wspace=0.1)
    return save_figure(fig, out_file, dpi)
