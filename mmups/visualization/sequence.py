"""Pictures of a pose sequence: a strip of frames and an animation."""
import os.path as osp
from typing import List, Optional

import numpy as np
from matplotlib import animation
from matplotlib.figure import Figure

from .output import PathLike, prepare_out_file, save_figure
from .skeleton import (LayoutLike, add_pose_axes, check_keypoints, draw_pose,
                       label_below, resolve_layout, resolve_up_axis,
                       set_pose_limits)

#: Inches per panel of the strip and of the animation.
_PANEL = 1.8


def _check_sequence(keypoint, layout: LayoutLike):
    layout = resolve_layout(layout)
    keypoint = check_keypoints(keypoint, layout, '(M, T, V, C)')
    if keypoint.shape[1] == 0:
        raise ValueError('keypoint (M, T, V, C) has no frames (T = 0).')
    return keypoint, layout


def _even_frames(num_total: int, num: int) -> np.ndarray:
    """Indices of ``min(num, num_total)`` evenly spaced frames, first and
    last included."""
    if num < 1:
        raise ValueError(f'The number of frames to show must be >= 1; got '
                         f'{num}.')
    return np.unique(np.linspace(0, num_total - 1, min(num, num_total))
                     .round().astype(int))


def _draw_frame(ax, keypoint: np.ndarray, t: int, layout, up_axis: str
                ) -> List:
    """Draw every person of frame ``t`` of (M, T, V, C) ``keypoint``."""
    return [artist for person in keypoint[:, t]
            for artist in draw_pose(ax, person, layout, up_axis)]


def draw_sequence_strip(keypoint, layout: LayoutLike, out_file: PathLike,
                        num_frames: int = 8, title: Optional[str] = None,
                        up_axis: Optional[str] = None,
                        dpi: float = 100) -> str:
    """Draw evenly spaced frames of a sequence side by side.

    All panels share the same axis limits, so that the motion shows; the
    frame index is written under each panel.

    Args:
        keypoint: (M, T, V, C) joint coordinates of M persons over T
            frames; C = 2 (e.g. pixels) or 3. NaN joints are not drawn, nor
            all-zero (padded) persons.
        layout: the joint layout (or its name) giving V and the limbs.
        out_file: image file to write (format from its extension).
        num_frames: number of frames shown (at most T).
        title: title above the strip.
        up_axis: data direction drawn upwards, ``'+y'``, ``'-y'`` or
            ``'+z'`` (see :mod:`mmups.visualization.skeleton`); by default
            ``'-y'`` for 2D (image y points down) and ``'+y'`` for 3D
            (NTU RGB+D's Kinect frame).
        dpi: resolution of the image.

    Returns:
        ``out_file``.

    Raises:
        ValueError: ``keypoint`` is not (M, T, V, C) with the layout's V and
            C in (2, 3), or a bad ``num_frames`` or ``up_axis``.
    """
    keypoint, layout = _check_sequence(keypoint, layout)
    up_axis = resolve_up_axis(up_axis, keypoint.shape[-1])
    frames = _even_frames(keypoint.shape[1], num_frames)
    fig = Figure(figsize=(_PANEL * len(frames),
                          _PANEL + (0.6 if title else 0.3)))
    for i, t in enumerate(frames):
        ax = add_pose_axes(fig, 1, len(frames), i + 1,
                           num_coords=keypoint.shape[-1])
        set_pose_limits(ax, keypoint, up_axis)
        _draw_frame(ax, keypoint, t, layout, up_axis)
        label_below(ax, f'frame {t}')
    if title:
        fig.suptitle(title)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.12,
                        top=0.85 if title else 0.97, wspace=0.05)
    return save_figure(fig, out_file, dpi)


def _movie_writer(out_file: str, fps: float) -> animation.AbstractMovieWriter:
    """A GIF writer (Pillow) or an MP4 writer (ffmpeg, where installed)."""
    ext = osp.splitext(out_file)[1].lower()
    if ext == '.gif':
        return animation.PillowWriter(fps=fps)
    if ext == '.mp4':
        if not animation.writers.is_available('ffmpeg'):
            raise RuntimeError(
                f'Cannot write {out_file}: MP4 needs ffmpeg, which was not '
                'found on PATH. Install ffmpeg or write a .gif instead.')
        return animation.FFMpegWriter(fps=fps)
    raise ValueError(f'Cannot write an animation to {out_file}: use a .gif '
                     '(or .mp4 where ffmpeg is installed) file.')


def save_sequence_animation(keypoint, layout: LayoutLike, out_file: PathLike,
                            fps: float = 10, max_frames: int = 100,
                            up_axis: Optional[str] = None,
                            title: Optional[str] = None,
                            dpi: float = 100) -> str:
    """Write an animation of a sequence, one frame per picture frame.

    Args:
        keypoint: (M, T, V, C) joint coordinates of M persons over T
            frames; C = 2 or 3. NaN joints are not drawn, nor all-zero
            (padded) persons.
        layout: the joint layout (or its name) giving V and the limbs.
        out_file: ``.gif`` (written with Pillow) or ``.mp4`` (needs ffmpeg).
        fps: frames per second of the animation.
        max_frames: when T is larger, this many evenly spaced frames are
            shown (the animation then plays faster than real time).
        up_axis: as in :func:`draw_sequence_strip`.
        title: title above the pose.
        dpi: resolution of the frames.

    Returns:
        ``out_file``.

    Raises:
        ValueError: bad shape, ``fps``, ``max_frames``, ``up_axis`` or file
            extension.
        RuntimeError: MP4 requested but ffmpeg is not installed.
    """
    keypoint, layout = _check_sequence(keypoint, layout)
    up_axis = resolve_up_axis(up_axis, keypoint.shape[-1])
    if not fps > 0:
        raise ValueError(f'fps must be > 0; got {fps}.')
    frames = _even_frames(keypoint.shape[1], max_frames)
    out_file = prepare_out_file(out_file)
    writer = _movie_writer(out_file, fps)

    fig = Figure(figsize=(_PANEL * 1.5, _PANEL * 1.5 + 0.3))
    ax = add_pose_axes(fig, 1, 1, 1, num_coords=keypoint.shape[-1])
    set_pose_limits(ax, keypoint, up_axis)
    if title:
        fig.suptitle(title)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.08,
                        top=0.9 if title else 0.98)
    caption = fig.text(0.5, 0.01, '', ha='center', va='bottom', fontsize=9)
    with writer.saving(fig, out_file, dpi):
        artists = []
        for t in frames:
            # Redraw the poses only; axes, limits and title stay.
            for artist in artists:
                artist.remove()
            artists = _draw_frame(ax, keypoint, t, layout, up_axis)
            caption.set_text(f'frame {t}')
            writer.grab_frame()
    return out_file
