"""Drawing one skeleton pose on a 2D or 3D matplotlib axis.

This is the one place where limbs are drawn; the sequence, pose-lifting and
animation pictures all go through :func:`draw_pose`. Limbs and joints are
coloured by body side, read from the layout's canonical joint names: left
limbs blue, right limbs red, the trunk (and head) dark grey.

Up axes. Keypoints come in different frames, so every drawing names the
data direction that points up on the picture:

* ``'-y'``: y points down, as in image pixels and camera-frame 3D poses
  (x right, y down, z forward, e.g. Human3.6M in camera coordinates).
* ``'+y'``: y points up, z forward from the camera and x to the camera's
  left (a right-handed frame: NTU RGB+D's Kinect frame).
* ``'+z'``: z points up (world frames).

3D poses are drawn with a rotation of the data (never a mirror image) such
that the up axis is vertical and, for ``'+y'``/``'-y'``, the camera's
forward axis z points away from the viewer: the pose is seen from the
camera's side.
"""
from functools import lru_cache
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from mpl_toolkits.mplot3d import Axes3D  # noqa: F401  (registers '3d')
from mpl_toolkits.mplot3d.art3d import Line3DCollection

from mmups.skeleton import SkeletonLayout, get_layout

LayoutLike = Union[str, SkeletonLayout]

UP_AXES = ('+y', '-y', '+z')

#: Colours by body side (matplotlib's default blue and red, a dark grey).
SIDE_COLORS = {'left': '#1f77b4', 'right': '#d62728', 'center': '#444444'}

# Rows map data (x, y, z) to plot (x, y, z) with z vertical; each is a proper
# rotation (determinant 1) so that left and right are never swapped.
_PLOT_FROM_DATA = {
    '+y': np.array([[-1, 0, 0], [0, 0, 1], [0, 1, 0]], dtype=float),
    '-y': np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]], dtype=float),
    '+z': np.eye(3),
}


def resolve_layout(layout: LayoutLike) -> SkeletonLayout:
    """A layout object from a layout or its registered name."""
    return layout if isinstance(layout, SkeletonLayout) else get_layout(layout)


def resolve_up_axis(up_axis: Optional[str], num_coords: int) -> str:
    """Check ``up_axis`` or pick the default: ``'-y'`` for 2D (image pixels),
    ``'+y'`` for 3D (NTU RGB+D's Kinect frame)."""
    if up_axis is None:
        return '-y' if num_coords == 2 else '+y'
    if up_axis not in UP_AXES:
        raise ValueError(f'up_axis must be one of {UP_AXES}; got {up_axis!r}')
    if num_coords == 2 and up_axis == '+z':
        raise ValueError("up_axis '+z' needs 3D keypoints; 2D keypoints "
                         "take '-y' (image, y down) or '+y'.")
    return up_axis


def check_keypoints(keypoint, layout: SkeletonLayout, shape: str,
                    num_coords: Sequence[int] = (2, 3),
                    name: str = 'keypoint') -> np.ndarray:
    """Return ``keypoint`` as a float array after checking its shape.

    Args:
        keypoint: array-like whose last two axes are (V, C).
        layout: the layout that gives V.
        shape: the expected shape with named axes, e.g. ``'(M, T, V, C)'``;
            its number of axes is the expected number of dimensions.
        num_coords: the allowed values of C.
        name: the argument's name in error messages.

    Raises:
        ValueError: naming the expected shape when it does not match.
    """
    array = np.asarray(keypoint, dtype=float)
    ndim = len(shape.strip('()').split(','))
    if (array.ndim != ndim or array.shape[-2] != layout.num_joints
            or array.shape[-1] not in num_coords):
        coords = ' or '.join(str(c) for c in num_coords)
        raise ValueError(
            f'{name} must have shape {shape} with V = {layout.num_joints} '
            f'(layout {layout.name!r}) and C = {coords}; got shape '
            f'{tuple(array.shape)}.')
    return array


def is_padding(poses: np.ndarray) -> np.ndarray:
    """(...) bool: poses (..., V, C) whose coordinates are all zero.

    Datasets pad absent persons with zeros; such poses are not drawn and do
    not count for the axis limits.
    """
    return np.all(poses == 0, axis=(-2, -1))


def to_plot_coords(points: np.ndarray, up_axis: str) -> np.ndarray:
    """Map (..., 3) data points to plot coordinates (z vertical); 2D points
    are returned as they are (the y axis is inverted instead)."""
    if points.shape[-1] == 2:
        return points
    return points @ _PLOT_FROM_DATA[up_axis].T


def add_pose_axes(fig: Figure, *subplot_args, num_coords: int) -> Axes:
    """Add a 2D or 3D axis for poses, with tick labels hidden."""
    if num_coords == 3:
        ax = fig.add_subplot(*subplot_args, projection='3d')
        # Slightly above and in front of the camera side.
        ax.view_init(elev=15, azim=-70)
        ax.set_zticklabels([])
    else:
        ax = fig.add_subplot(*subplot_args)
    ax.set_xticklabels([])
    ax.set_yticklabels([])
    ax.tick_params(length=0)
    return ax


def set_pose_limits(ax: Axes, keypoint: np.ndarray, up_axis: str,
                    margin: float = 0.1) -> None:
    """Give ``ax`` the same scale on every axis, around all the poses.

    Args:
        ax: a 2D or 3D axis from :func:`add_pose_axes`.
        keypoint: (..., V, C) every pose the axis will show, e.g. all frames
            of a sequence, so that the limits are shared and motion shows.
        up_axis: see the module docstring.
        margin: fraction of the extent added on each side.
    """
    poses = keypoint.reshape(-1, *keypoint.shape[-2:])
    points = to_plot_coords(poses[~is_padding(poses)], up_axis)
    points = points.reshape(-1, keypoint.shape[-1])
    points = points[np.all(np.isfinite(points), axis=-1)]
    if len(points) == 0:
        center, half = np.zeros(points.shape[-1]), 1.0
    else:
        low, high = points.min(0), points.max(0)
        center = (low + high) / 2
        half = max((high - low).max() / 2, 1e-6) * (1 + 2 * margin)
    # One half-width on every axis keeps the body's proportions.
    ax.set_xlim(center[0] - half, center[0] + half)
    ax.set_ylim(center[1] - half, center[1] + half)
    if len(center) == 3:
        ax.set_zlim(center[2] - half, center[2] + half)
        ax.set_box_aspect((1, 1, 1), zoom=1.2)  # 3D axes pad a lot
    else:
        ax.set_aspect('equal', adjustable='box')
        if up_axis == '-y':
            ax.invert_yaxis()
    ax.autoscale(False)


@lru_cache(maxsize=None)
def limbs(layout: SkeletonLayout) -> Tuple[Tuple[int, int], ...]:
    """(child, parent) joint index pairs of the layout's skeleton.

    Layouts taken from MMAction2 keep their edges in MMAction2's ``Graph``
    rather than in ``layout.inward``.
    """
    if layout.inward:
        return tuple(layout.inward)
    return tuple((int(c), int(p)) for c, p in layout.graph().inward)


def joint_sides(layout: SkeletonLayout) -> List[str]:
    """'left', 'right' or 'center' for each joint, from its canonical name."""
    return ['left' if n.startswith('left_') else
            'right' if n.startswith('right_') else 'center'
            for n in layout.joint_names]


def limb_sides(layout: SkeletonLayout) -> List[str]:
    """The side of each limb of :func:`limbs`: a limb with one sided
    end (e.g. shoulder to thorax) belongs to that side; one joining the two
    sides (e.g. hip to hip) to the trunk."""
    joints = joint_sides(layout)
    sides = []
    for child, parent in limbs(layout):
        ends = {joints[child], joints[parent]} - {'center'}
        sides.append(ends.pop() if len(ends) == 1 else 'center')
    return sides


def draw_pose(ax: Axes, pose, layout: LayoutLike, up_axis: str,
              color: Optional[str] = None, linewidth: float = 2.0,
              markersize: float = 6.0, alpha: float = 1.0) -> List:
    """Draw one pose: its limbs as lines and its joints as dots.

    Args:
        ax: a 2D axis for C = 2 or a 3D axis for C = 3.
        pose: (V, C) joint coordinates. Joints with a NaN coordinate and
            the limbs that touch them are not drawn; an all-zero pose
            (a padded, absent person) is not drawn at all.
        layout: the pose's joint layout or its name.
        up_axis: see the module docstring.
        color: one colour for the whole pose, e.g. grey for a ground truth;
            by default limbs and joints are coloured by body side.
        linewidth: limb width in points.
        markersize: joint dot area in points^2.
        alpha: opacity.

    Returns:
        The artists drawn (empty for a padded pose), e.g. to remove them
        before the next animation frame.
    """
    layout = resolve_layout(layout)
    pose = check_keypoints(pose, layout, '(V, C)', name='pose')
    if is_padding(pose):
        return []
    points = to_plot_coords(pose, up_axis)
    finite = np.all(np.isfinite(points), axis=-1)
    drawn = [(limb, side) for limb, side in zip(limbs(layout),
                                                limb_sides(layout))
             if finite[limb[0]] and finite[limb[1]]]
    if color is None:
        limb_colors = [SIDE_COLORS[side] for _, side in drawn]
        joint_colors = [SIDE_COLORS[s] for s, ok in
                        zip(joint_sides(layout), finite) if ok]
    else:
        # Lists, so that an RGB tuple is never read as data for a colormap.
        limb_colors = [color] * len(drawn)
        joint_colors = [color] * int(finite.sum())
    segments = [points[list(limb)] for limb, _ in drawn]
    kwargs = dict(colors=limb_colors, linewidths=linewidth, alpha=alpha)
    if points.shape[-1] == 3:
        lines = ax.add_collection3d(Line3DCollection(segments, **kwargs),
                                   autolim=False)
        dots = ax.scatter(*points[finite].T, c=joint_colors, s=markersize,
                          alpha=alpha, depthshade=False)
    else:
        lines = ax.add_collection(LineCollection(segments, **kwargs),
                                  autolim=False)
        dots = ax.scatter(*points[finite].T, c=joint_colors, s=markersize,
                          alpha=alpha, zorder=3)
    return [lines, dots]


def label_below(ax: Axes, text: str, fontsize: float = 8) -> None:
    """Write ``text`` centred under ``ax`` (2D or 3D)."""
    write = getattr(ax, 'text2D', ax.text)  # 3D axes place 2D text apart
    write(0.5, -0.02, text, transform=ax.transAxes, ha='center', va='top',
          fontsize=fontsize)

