"""UniformSampleFramesNoLoop: MMAction2's uniform sampling, with clips
shorter than clip_len stretched instead of looped."""
import numpy as np
import pytest
from mmaction.datasets.transforms import UniformSampleFrames

from mmups.datasets.transforms import UniformSampleFramesNoLoop


def frame_inds(sampler, num_frames: int) -> np.ndarray:
    """(num_clips, clip_len) frame indices the sampler picks."""
    results = sampler(dict(total_frames=num_frames, start_index=0))
    return results['frame_inds'].reshape(sampler.num_clips, -1)


def wraps(inds: np.ndarray) -> int:
    """Times a clip's indices jump back (a loop starting over)."""
    return int((np.diff(inds) < 0).sum())


def test_mmaction_loops_a_short_clip():
    """What the sampler avoids: 16 observed frames of an 80-frame clip
    (20%) sampled to 100 frames come back 6 times from frame 15 to 0."""
    inds = frame_inds(UniformSampleFrames(100, test_mode=True), 16)[0]
    assert wraps(inds) == 6
    assert set(inds) == set(range(16))


@pytest.mark.parametrize('test_mode', [True, False])
@pytest.mark.parametrize('num_frames, clip_len', [(16, 100), (16, 32),
                                                  (1, 8), (31, 32)])
def test_a_short_clip_is_stretched_in_order(num_frames, clip_len,
                                            test_mode):
    np.random.seed(0)
    sampler = UniformSampleFramesNoLoop(clip_len, num_clips=3,
                                        test_mode=test_mode)
    for inds in frame_inds(sampler, num_frames):
        assert len(inds) == clip_len
        assert wraps(inds) == 0
        assert np.all(np.diff(inds) <= 1)  # no frame skipped
        assert inds[0] == 0 and inds[-1] == num_frames - 1
        counts = np.bincount(inds, minlength=num_frames)
        lo = clip_len // num_frames
        assert counts.min() >= lo and counts.max() <= lo + 1


def test_test_clips_have_their_own_phases():
    sampler = UniformSampleFramesNoLoop(32, num_clips=3, test_mode=True)
    clips = frame_inds(sampler, 12)
    # Phases 1/6, 1/2, 5/6 of a segment: floor((k + u) * 12 / 32).
    k = np.arange(32)
    for clip, u in zip(clips, (1 / 6, 1 / 2, 5 / 6)):
        assert np.array_equal(clip, np.floor((k + u) * 12 / 32))
    assert not np.array_equal(clips[0], clips[2])
    # Deterministic in test mode.
    assert np.array_equal(clips, frame_inds(sampler, 12))


def test_a_phase_just_below_one_does_not_wrap(monkeypatch):
    # 6 + u rounds to 7: the last index would be 3, wrapped to frame 0.
    u = np.nextafter(1.0, 0.0)
    assert np.floor((6 + u) * 3 / 7) == 3
    monkeypatch.setattr(np.random, 'rand', lambda n: np.full(n, u))
    inds = frame_inds(UniformSampleFramesNoLoop(7), 3)[0]
    assert inds[-1] == 2 and wraps(inds) == 0


@pytest.mark.parametrize('test_mode', [True, False])
@pytest.mark.parametrize('num_frames', [32, 50, 64, 300])
def test_long_clips_are_mmactions_samples(num_frames, test_mode):
    ours = UniformSampleFramesNoLoop(32, num_clips=2, test_mode=test_mode)
    theirs = UniformSampleFrames(32, num_clips=2, test_mode=test_mode)
    np.random.seed(3)
    a = frame_inds(ours, num_frames)
    np.random.seed(3)
    b = frame_inds(theirs, num_frames)
    assert np.array_equal(a, b)
