"""MMPose's Human3.6M lifting dataset with its samples built on demand.

MMPose's ``Human36mDataset`` stores every training window as a dict with
copies of the window's frames; :class:`LazyHuman36mDataset` stores the
frames once and a window index per sample, and builds the same dicts when
they are read.
"""
from collections.abc import Sequence
from copy import deepcopy
from typing import List

import numpy as np
from mmengine.fileio import exists, get_local_path
from mmpose.datasets.datasets.body3d import Human36mDataset

from mmups.registry import DATASETS

#: Window frame ids gathered at once when the windows are checked (bounds
#: the temporary (windows, frames) index array to about 32 MB).
_CHECK_CHUNK_FRAMES = 4_000_000


class VideoWindows(Sequence):
    """The frame ids of every window, computed from the window's video and
    anchor instead of stored: a drop-in for MMPose's ``sequence_indices``
    (a list of frame-id lists, about 1 KB per window at 27 frames).

    Window ``w`` of length L reads the positions
    ``anchor[w] + (arange(L) - left) * step`` of its video, clipped to the
    video (padding repeats the first or last frame, as MMPose pads), and
    maps them to frame rows through ``frame_order``.

    Args:
        frame_order: (F,) frame rows grouped by video, videos in sorted key
            order, frames in file order within a video.
        video_start: (V,) position in ``frame_order`` of each video's first
            frame.
        video_len: (V,) frames of each video.
        window_video: (N,) video of each window.
        window_anchor: (N,) position in its video of the window's first
            frame (unpadded) or of its target frame (padded).
        length: L, frames per window.
        step: frame step within a window.
        left: frames before the anchor (padded windows; 0 otherwise).
    """

    def __init__(self, frame_order: np.ndarray, video_start: np.ndarray,
                 video_len: np.ndarray, window_video: np.ndarray,
                 window_anchor: np.ndarray, length: int, step: int,
                 left: int) -> None:
        self.frame_order = frame_order
        self.video_start = video_start
        self.video_len = video_len
        self.window_video = window_video
        self.window_anchor = window_anchor
        self.offsets = (np.arange(length, dtype=np.int64) - left) * step

    def frame_ids(self, windows: np.ndarray) -> np.ndarray:
        """Frame rows (W, L) of the windows (W,)."""
        video = self.window_video[windows]
        pos = self.window_anchor[windows].astype(np.int64)[:, None] \
            + self.offsets
        pos = np.clip(pos, 0, (self.video_len[video] - 1)[:, None])
        return self.frame_order[self.video_start[video][:, None] + pos]

    def __len__(self) -> int:
        return len(self.window_video)

    def __getitem__(self, idx: int) -> List[int]:
        if not -len(self) <= idx < len(self):
            raise IndexError(f'window {idx} out of range ({len(self)})')
        return self.frame_ids(np.array([idx]))[0].tolist()


@DATASETS.register_module()
class LazyHuman36mDataset(Human36mDataset):
    """MMPose's ``Human36mDataset`` (same arguments, same samples) that
    keeps each frame once and builds every sample in :meth:`get_data_info`.

    Why: MMPose materialises one dict per window in ``_load_annotations``
    (the window's 2D/3D joints, T image paths, camera parameters, factors),
    and mmengine serialises them. Measured at seq_len=27: 22.7 KB per
    sample, i.e. about 35 GB for the 50 Hz training split (1.56 M windows)
    and 12 GB for the test split in every training process, plus about
    1.6 GB of ``sequence_indices`` lists. Here the data list holds
    ``dict(id=window)`` (about 30 serialised bytes per sample); the frames
    are kept once, as float32 arrays and UTF-8 image names (about 0.6 KB
    per frame), and ``sequence_indices`` is a :class:`VideoWindows`
    (8 bytes per window).

    :meth:`get_data_info` returns what MMPose's would, key for key (same
    dtypes, shapes and values): ``keypoints`` (T, K, 2),
    ``keypoints_visible`` (T, K), ``keypoints_3d`` (T, K, 3),
    ``keypoints_3d_visible`` (T, K), ``lifting_target`` (P, K, 3),
    ``lifting_target_visible`` (P, K), ``target_img_path`` (P,),
    ``img_paths`` / ``img_ids`` (T), ``factor`` (T,), ``center`` (1, 2),
    ``scale``, ``camera_param`` (with ``camera_param_file``), ``id``,
    ``category_id``, ``iscrowd``, ``num_keypoints``, ``sample_idx`` and the
    metainfo keys, with T the window's frames and P the target frames (1,
    or ``multiple_target``). MMPose's quirks are kept: ``scale`` and
    ``center`` are the rows of the window index, not of a frame of the
    window; windows whose 2D joints are all <= 0 are dropped
    (``_is_valid_instance``); ``subset_frac`` draws its start from NumPy's
    global generator.

    Supported: every option of MMPose's class but ``data_mode='bottomup'``
    (it reads every image to group the instances; raises ``ValueError``).
    Options MMPose rejects when it loads the windows (padded non-causal
    windows of even ``seq_len``, ``multiple_target`` windows shorter than
    ``multiple_target``) raise ``ValueError`` at construction.
    """

    def get_sequence_indices(self) -> VideoWindows:
        """Group the frames by (subject, action, camera) video and place
        the windows as MMPose does, without listing their frames."""
        names = self.ann_data['imgname']
        # Kept for the samples' image paths: 1 byte per ASCII character
        # instead of NumPy's 4.
        self._img_name_dtype = names.dtype
        self._img_names = np.char.encode(names, 'utf-8')

        keys = [self._parse_h36m_imgname(name) for name in names]
        rank = {key: i for i, key in enumerate(sorted(set(keys)))}
        frame_video = np.fromiter((rank[key] for key in keys), np.int64,
                                  len(keys))
        frame_order = np.argsort(frame_video, kind='stable')
        video_len = np.bincount(frame_video, minlength=len(rank))
        video_start = np.cumsum(video_len) - video_len

        length, left = self.seq_len, 0
        if self.multiple_target:
            length = self.multiple_target
        elif self.pad_video_seq:
            left = self.seq_len - 1 if self.causal else (self.seq_len - 1) // 2
        anchors = [self._window_anchors(int(n)) for n in video_len]
        window_video = np.repeat(np.arange(len(rank), dtype=np.int32),
                                 [len(a) for a in anchors])
        window_anchor = np.concatenate(
            anchors + [np.zeros(0, np.int64)]).astype(np.int32)

        # reduce the dataset as MMPose does (same draw of the generator)
        subset_size = int(len(window_video) * self.subset_frac)
        start = np.random.randint(0, len(window_video) - subset_size + 1)
        window_video = window_video[start:start + subset_size]
        window_anchor = window_anchor[start:start + subset_size]
        return VideoWindows(frame_order, video_start, video_len,
                            window_video, window_anchor, length,
                            self.seq_step, left)

    def _window_anchors(self, n: int) -> np.ndarray:
        """Anchors of the windows of a video of ``n`` frames, checked to
        give full windows (MMPose asserts it when it loads them)."""
        step, option = self.seq_step, None
        if self.multiple_target:
            mt, mt_step = self.multiple_target, self.multiple_target_step
            anchors = np.arange(0, n, mt_step)[:(n + mt_step - mt) // mt_step]
            ends = np.minimum(anchors + mt, n)
            if np.any(-(-(ends - anchors) // step) != mt):
                option = (f'multiple_target={mt} with seq_step={step}, '
                          f'multiple_target_step={mt_step} on a video of {n} '
                          'frames')
        elif self.pad_video_seq:
            anchors = np.arange(n)
            if n and not self.causal and self.seq_len % 2 == 0:
                option = (f'pad_video_seq with causal=False and an even '
                          f'seq_len={self.seq_len}')
        else:
            anchors = np.arange(n - (self.seq_len - 1) * step)
        if option is not None:
            raise ValueError(f'{type(self).__name__}: {option} gives windows '
                             'shorter than expected (MMPose fails on them '
                             'too).')
        return anchors

    def load_data_list(self) -> List[dict]:
        """Load the frames once; one ``dict(id=window)`` per valid
        window."""
        if self.data_mode != 'topdown':
            raise ValueError(
                f"{type(self).__name__} supports data_mode='topdown' only: "
                f"data_mode={self.data_mode!r} reads every image; use "
                "MMPose's Human36mDataset.")
        self._load_frames()
        windows = self.sequence_indices
        if self.camera_param_file:
            # a missing camera fails here, as in MMPose's loading
            for video in np.unique(windows.window_video):
                first = windows.frame_order[windows.video_start[[video]]]
                self.get_camera_param(self._img_name(first)[0])
        if self.multiple_target:
            self._target_index = list(range(self.multiple_target))
        else:
            self._target_index = [-1] if self.causal else [self.seq_len // 2]
        return [dict(id=int(w)) for w in np.flatnonzero(self._valid())]

    def _load_frames(self) -> None:
        """Per-frame arrays (F rows, K joints), float32 as MMPose casts
        them per window."""
        num_kpts = self.metainfo['num_keypoints']
        ann = self.ann_data
        num_frames = len(self._img_names)
        self._kpts_3d = ann['S'].astype(np.float32)  # (F, K, 4)
        if self.keypoint_2d_src == 'detection':
            det_file = getattr(self, 'keypoint_2d_det_file', None)
            if det_file is None:
                raise ValueError("keypoint_2d_src='detection' needs a "
                                 'keypoint_2d_det_file.')
            assert exists(det_file), (
                f'`keypoint_2d_det_file`: `{det_file}` does not exist.')
            kpts_2d = self._load_keypoint_2d_detection(det_file)
            assert kpts_2d.shape[0] == self._kpts_3d.shape[0], (
                f'Number of `kpts_2d` ({kpts_2d.shape[0]}) does not match '
                f'number of `kpts_3d` ({self._kpts_3d.shape[0]}).')
            assert kpts_2d.shape[2] == 3, (
                f'Expect `kpts_2d.shape[2]` == 3, but got {kpts_2d.shape[2]}.'
                f' Please check the format of {det_file}')
        elif 'part' in ann:
            kpts_2d = ann['part'].astype(np.float32)
        else:
            kpts_2d = np.zeros((num_frames, num_kpts, 3), np.float32)
        self._kpts_2d = kpts_2d  # (F, K, 3)
        self._centers = (ann['center'].astype(np.float32) if 'center' in ann
                         else np.zeros((num_frames, 2), np.float32))
        self._scales = (ann['scale'].astype(np.float32) if 'scale' in ann
                        else np.zeros(num_frames, np.float32))
        if self.factor_file:
            with get_local_path(self.factor_file) as local_path:
                factors = np.load(local_path).astype(np.float32)
        else:
            factors = np.zeros(len(self._kpts_3d), np.float32)
        assert factors.shape[0] == self._kpts_3d.shape[0], (
            f'Number of `factors` ({factors.shape[0]}) does not match '
            f'number of `kpts_3d` ({self._kpts_3d.shape[0]}).')
        self._factors = factors  # (F,)

    def _valid(self) -> np.ndarray:
        """(N,) bool: MMPose's ``_is_valid_instance`` of every window (not
        crowd, K > 0, some 2D coordinate > 0)."""
        windows = self.sequence_indices
        valid = np.zeros(len(windows), bool)
        if len(windows) == 0 or self.metainfo['num_keypoints'] == 0:
            return valid
        # max over a window = max of its frames' maxima (NaN propagates, as
        # in np.max over the window)
        frame_max = self._kpts_2d[..., :2].reshape(
            len(self._kpts_2d), -1).max(axis=1)
        chunk = max(1, _CHECK_CHUNK_FRAMES // len(windows.offsets))
        for begin in range(0, len(windows), chunk):
            ids = windows.frame_ids(
                np.arange(begin, min(begin + chunk, len(windows))))
            valid[begin:begin + len(ids)] = ~(frame_max[ids].max(axis=1) <= 0)
        return valid

    def _img_name(self, frames: np.ndarray) -> np.ndarray:
        """Image names (n,) of frame rows (n,), as MMPose's ``imgname``
        array holds them."""
        return np.char.decode(self._img_names[frames],
                              'utf-8').astype(self._img_name_dtype)

    def _window_info(self, window: int) -> dict:
        """MMPose's instance dict of a window (its keys in MMPose's
        order)."""
        frame_ids = self.sequence_indices.frame_ids(np.array([window]))[0]
        names = self._img_name(frame_ids)
        kpts_2d = self._kpts_2d[frame_ids]
        kpts_3d = self._kpts_3d[frame_ids]
        keypoints_3d = np.ascontiguousarray(kpts_3d[..., :3])
        keypoints_3d_visible = np.ascontiguousarray(kpts_3d[..., 3])
        target = self._target_index
        info = {
            'num_keypoints': self.metainfo['num_keypoints'],
            'keypoints': np.ascontiguousarray(kpts_2d[..., :2]),
            'keypoints_visible': np.ascontiguousarray(kpts_2d[..., 2]),
            'keypoints_3d': keypoints_3d,
            'keypoints_3d_visible': keypoints_3d_visible,
            'scale': self._scales[window],
            'center': self._centers[window].reshape(1, -1).copy(),
            'id': window,
            'category_id': 1,
            'iscrowd': 0,
            'img_paths': list(names),
            'img_ids': frame_ids.tolist(),
            'lifting_target': keypoints_3d[target],
            'lifting_target_visible': keypoints_3d_visible[target],
            'target_img_path': names[target],
        }
        if self.camera_param_file:
            info['camera_param'] = deepcopy(self.get_camera_param(names[0]))
        info['factor'] = self._factors[frame_ids]
        return info

    def get_data_info(self, idx: int) -> dict:
        """The ``idx``-th sample's dict, as MMPose's ``Human36mDataset``
        returns it."""
        record = super().get_data_info(idx)  # id, sample_idx, metainfo
        window = record.pop('id')
        return {**self._window_info(window), **record}
