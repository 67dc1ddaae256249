import numpy as np
import pytest
from matplotlib import animation
from PIL import Image

from mmups.skeleton import get_layout
from mmups.visualization import draw_sequence_strip, save_sequence_animation

DPI = 30


def random_sequence(layout='h36m', persons=2, frames=6, coords=2, seed=0):
    """(M, T, V, C) keypoints: a random pose of each person, drifting."""
    rng = np.random.default_rng(seed)
    num_joints = get_layout(layout).num_joints
    pose = rng.normal(size=(persons, 1, num_joints, coords)) * 50 + 200
    drift = np.arange(frames)[None, :, None, None] * 10.0
    return pose + drift


def open_image(path):
    with Image.open(path) as image:
        image.verify()  # a valid, complete file
    return Image.open(path)


@pytest.mark.parametrize(
    'layout', ['nturgb+d', 'openpose', 'coco', 'h36m', 'penn_action'])
def test_strip_every_layout(layout, tmp_path):
    for coords in (2, 3):
        out = tmp_path / 'deep' / f'{coords}d.png'  # the folder is created
        path = draw_sequence_strip(
            random_sequence(layout, coords=coords), layout, out,
            num_frames=3, title=layout, dpi=DPI)
        assert path == str(out)
        image = open_image(path)
        assert image.format == 'PNG'
        assert image.width > 2 * image.height  # three panels in a row


def test_strip_frames_nan_and_up_axis(tmp_path):
    keypoint = random_sequence(frames=4, coords=3)
    keypoint[0, :, 3] = np.nan  # joints not drawn
    keypoint[1, 2] = 0  # a padded (absent) person
    two = open_image(draw_sequence_strip(
        keypoint, get_layout('h36m'), tmp_path / 'two.png', num_frames=2,
        up_axis='-y', dpi=DPI))
    # More frames than T: all T shown.
    four = open_image(draw_sequence_strip(
        keypoint, 'h36m', tmp_path / 'four.png', num_frames=10,
        up_axis='+z', dpi=DPI))
    assert four.width == 2 * two.width


def test_strip_shape_errors(tmp_path):
    out = tmp_path / 'x.png'
    with pytest.raises(ValueError, match=r'\(M, T, V, C\) with V = 17'):
        draw_sequence_strip(random_sequence('openpose'), 'h36m', out)
    with pytest.raises(ValueError, match=r'\(M, T, V, C\)'):
        draw_sequence_strip(random_sequence()[0], 'h36m', out)
    with pytest.raises(ValueError, match='C = 2 or 3'):
        draw_sequence_strip(np.zeros((1, 2, 17, 4)), 'h36m', out)
    with pytest.raises(ValueError, match='T = 0'):
        draw_sequence_strip(np.zeros((1, 0, 17, 2)), 'h36m', out)
    with pytest.raises(ValueError, match='up_axis'):
        draw_sequence_strip(random_sequence(), 'h36m', out, up_axis='+z')
    with pytest.raises(ValueError, match='>= 1'):
        draw_sequence_strip(random_sequence(), 'h36m', out, num_frames=0)
    assert not out.exists()


@pytest.mark.parametrize('coords,frames,max_frames,expected', [
    (2, 12, 5, 5),  # subsampled evenly
    (3, 4, 100, 4),
])
def test_animation_gif(tmp_path, coords, frames, max_frames, expected):
    path = save_sequence_animation(
        random_sequence(frames=frames, coords=coords), 'h36m',
        tmp_path / 'anim' / 'seq.gif', fps=5, max_frames=max_frames,
        dpi=DPI)
    image = open_image(path)
    assert image.format == 'GIF'
    assert image.n_frames == expected
    assert image.info['duration'] == 200  # 5 frames per second


def test_animation_errors(tmp_path, monkeypatch):
    keypoint = random_sequence(frames=3)
    with pytest.raises(ValueError, match='.gif'):
        save_sequence_animation(keypoint, 'h36m', tmp_path / 'seq.avi')
    with pytest.raises(ValueError, match='fps'):
        save_sequence_animation(keypoint, 'h36m', tmp_path / 'seq.gif',
                                fps=0)
    with pytest.raises(ValueError, match=r'\(M, T, V, C\)'):
        save_sequence_animation(keypoint, 'openpose', tmp_path / 'seq.gif')
    monkeypatch.setattr(animation.writers, 'is_available',
                        lambda name: False)
    with pytest.raises(RuntimeError, match='ffmpeg.*\\.gif'):
        save_sequence_animation(keypoint, 'h36m', tmp_path / 'seq.mp4')
