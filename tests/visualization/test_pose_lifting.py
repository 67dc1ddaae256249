import numpy as np
import pytest
from PIL import Image

from mmups.visualization import draw_pose_lifting

DPI = 30


def poses(seed=0):
    """A (17, 2) pixel pose and (17, 3) camera-frame poses in mm."""
    rng = np.random.default_rng(seed)
    gt = rng.normal(size=(17, 3)) * 300 + [0, 0, 4000]
    pred = gt + rng.normal(size=(17, 3)) * 20
    uv = gt[:, :2] / gt[:, 2:] * 1000 + 500
    return uv, pred, gt


def test_draw_pose_lifting(tmp_path):
    uv, pred, gt = poses()
    path = draw_pose_lifting(uv, pred, tmp_path / 'a' / 'lift.png',
                             title='lifting', dpi=DPI)
    with Image.open(path) as image:
        assert image.format == 'PNG' and image.width > image.height
    # With a ground truth, NaN joints and a 2D input in another layout.
    pred[3] = np.nan
    path = draw_pose_lifting(uv, pred, tmp_path / 'gt.png', layout_2d='coco',
                             keypoint_3d_gt=gt, dpi=DPI)
    with Image.open(path) as image:
        image.verify()


def test_shape_errors(tmp_path):
    uv, pred, gt = poses()
    out = tmp_path / 'x.png'
    with pytest.raises(ValueError, match=r'keypoint_2d must have shape '
                       r'\(V, 2\) with V = 17'):
        draw_pose_lifting(pred, pred, out)
    with pytest.raises(ValueError, match=r'keypoint_3d must have shape '
                       r'\(V, 3\) with V = 13'):
        draw_pose_lifting(uv, pred, out, layout_3d='penn_action')
    with pytest.raises(ValueError, match='keypoint_3d_gt'):
        draw_pose_lifting(uv, pred, out, keypoint_3d_gt=gt[None])
    assert not out.exists()
