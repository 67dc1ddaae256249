"""MMAction2's uniform frame sampling, without looping short clips."""
from typing import Sequence

import numpy as np
from mmaction.datasets.transforms import UniformSampleFrames

from mmups.registry import TRANSFORMS


@TRANSFORMS.register_module()
class UniformSampleFramesNoLoop(UniformSampleFrames):
    """``UniformSampleFrames`` that stretches a clip shorter than
    ``clip_len`` instead of looping it.

    MMAction2's sampler splits a clip of T >= ``clip_len`` frames into
    ``clip_len`` segments and takes one frame from each; a clip of
    T < ``clip_len`` frames it reads from a start frame onwards, modulo T,
    so the output wraps from the last frame back to the first
    ``clip_len / T`` times. Here the short clip is split the same way,
    into ``clip_len`` segments of T / ``clip_len`` < 1 frames, and each
    output frame is the frame its segment falls in: frame index
    ``floor((k + u) * T / clip_len)`` for output frame k, with one phase
    u in [0, 1) per clip. The indices never decrease, every frame of the
    clip appears (each ``clip_len / T`` times, rounded down or up), and
    the clip spans the whole ``clip_len`` window, as a long clip does
    (whose frame rate the sampler also changes, the other way).

    Why stretch rather than pad: UPS reads a fixed T and has no mask of
    frames, nor has MMAction2's ST-GCN, so a padded frame would be read
    as a pose (zeros: one collapsed at the origin; the last frame again: a
    body at rest); stretched, the clip holds the observed motion and
    nothing else.

    Clips of T >= ``clip_len`` frames are sampled by ``UniformSampleFrames``
    itself, so the two samplers differ only where it would loop.

    Args:
        clip_len: frames of each sampled clip.
        num_clips: clips sampled per sample (test-time averaging). A short
            clip's phases are drawn at random in training and are
            (i + 0.5) / ``num_clips`` for clip i in test mode.
        test_mode: deterministic sampling, for validation and testing.
        seed: the random seed of ``UniformSampleFrames``' test sampling.
    """

    def _stretch(self, num_frames: int, clip_len: int,
                 phases: Sequence[float]) -> np.ndarray:
        """(num_clips * clip_len,) frame indices of a short clip."""
        steps = np.arange(clip_len)
        inds = [np.floor((steps + u) * num_frames / clip_len)
                for u in phases]
        # A phase just below 1 can round the last index up to num_frames,
        # which the base class' modulo would wrap to frame 0.
        return np.minimum(np.concatenate(inds), num_frames - 1).astype(
            np.int64)

    def _get_train_clips(self, num_frames: int, clip_len: int) -> np.ndarray:
        if num_frames >= clip_len:
            return super()._get_train_clips(num_frames, clip_len)
        return self._stretch(num_frames, clip_len,
                             np.random.rand(self.num_clips))

    def _get_test_clips(self, num_frames: int, clip_len: int) -> np.ndarray:
        if num_frames >= clip_len:
            return super()._get_test_clips(num_frames, clip_len)
        phases = (np.arange(self.num_clips) + 0.5) / self.num_clips
        return self._stretch(num_frames, clip_len, phases)
