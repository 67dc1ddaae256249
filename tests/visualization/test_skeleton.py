import numpy as np
import pytest
from matplotlib.figure import Figure

from mmups.skeleton import get_layout, list_layouts
from mmups.visualization.skeleton import (add_pose_axes, check_keypoints,
                                          draw_pose, limb_sides, limbs,
                                          resolve_up_axis, set_pose_limits,
                                          to_plot_coords)

LAYOUTS = ['nturgb+d', 'openpose', 'coco', 'h36m', 'penn_action']


def test_built_in_layouts_covered():
    assert set(LAYOUTS) <= set(list_layouts())


@pytest.mark.parametrize('name', LAYOUTS)
def test_limbs_connect_every_joint(name):
    layout = get_layout(name)
    edges = limbs(layout)
    assert len(edges) == layout.num_joints - 1 or name == 'penn_action'
    assert {j for edge in edges for j in edge} == set(
        range(layout.num_joints))


def test_limb_sides():
    layout = get_layout('h36m')
    sides = dict(zip(limbs(layout), limb_sides(layout)))
    names = layout.joint_names
    assert sides[(names.index('left_elbow'),
                  names.index('left_shoulder'))] == 'left'
    # A limb with one sided end belongs to that side.
    assert sides[(names.index('right_hip'), names.index('pelvis'))] == 'right'
    assert sides[(names.index('head'), names.index('neck'))] == 'center'
    penn = get_layout('penn_action')
    hips = (penn.joint_names.index('right_hip'),
            penn.joint_names.index('left_hip'))
    assert dict(zip(limbs(penn), limb_sides(penn)))[hips] == 'center'


def test_up_axes():
    assert resolve_up_axis(None, 2) == '-y'
    assert resolve_up_axis(None, 3) == '+y'
    with pytest.raises(ValueError, match='up_axis'):
        resolve_up_axis('x', 3)
    with pytest.raises(ValueError, match='3D'):
        resolve_up_axis('+z', 2)
    up = {'+y': [0, 1, 0], '-y': [0, -1, 0], '+z': [0, 0, 1]}
    for axis, direction in up.items():
        # The named direction is drawn upwards (plot z) ...
        np.testing.assert_allclose(
            to_plot_coords(np.array(direction, float), axis), [0, 0, 1])
        # ... by a rotation, never a mirror image.
        basis = to_plot_coords(np.eye(3), axis)
        assert np.linalg.det(basis) == pytest.approx(1)


def test_check_keypoints_names_shape():
    layout = get_layout('coco')
    assert check_keypoints(np.zeros((17, 2)), layout, '(V, C)').dtype == float
    with pytest.raises(ValueError, match=r'\(V, C\) with V = 17'):
        check_keypoints(np.zeros((18, 2)), layout, '(V, C)')
    with pytest.raises(ValueError, match=r'got shape \(17, 4\)'):
        check_keypoints(np.zeros((17, 4)), layout, '(V, C)')


@pytest.mark.parametrize('num_coords', [2, 3])
def test_draw_pose_skips_nan_and_padding(num_coords):
    layout = get_layout('h36m')
    pose = np.random.default_rng(0).normal(size=(17, num_coords))
    fig = Figure()
    ax = add_pose_axes(fig, 1, 1, 1, num_coords=num_coords)
    set_pose_limits(ax, pose, '-y')
    full, _ = draw_pose(ax, pose, layout, '-y')
    pose[0] = np.nan  # the pelvis: 3 limbs touch it
    lines, dots = draw_pose(ax, pose, layout, '-y')
    fig.draw_without_rendering()  # 3D segments exist once projected
    assert len(full.get_segments()) == len(limbs(layout))
    assert len(lines.get_segments()) == len(limbs(layout)) - 3
    assert len(dots.get_offsets()) == 16
    assert draw_pose(ax, np.zeros((17, num_coords)), layout, '-y') == []


def test_limits_equal_scale():
    fig = Figure()
    ax = add_pose_axes(fig, 1, 1, 1, num_coords=2)
    poses = np.array([[[0., 0.], [10., 100.]], [[0., 0.], [0., 0.]]])
    set_pose_limits(ax, poses, '-y')  # the all-zero pose is padding
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x1 - x0 == pytest.approx(abs(y1 - y0))
    assert y0 > y1  # image y points down
    assert x0 < 5 < x1
