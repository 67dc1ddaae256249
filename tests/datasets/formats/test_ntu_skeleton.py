"""The bodies mmups.datasets.formats.ntu_skeleton keeps of a clip, read
from ``.skeleton`` files written in the recorder's text format."""
from typing import Sequence

import numpy as np
import pytest

from mmups.datasets.formats.ntu_skeleton import (BodyRules,
                                                 read_skeleton_file,
                                                 select_bodies)
from mmups.testing.ntu_skeleton import (Track, flat_object, frames_of,
                                        standing_body, write_skeleton)


def select(tmp_path, num_frames: int, tracks: Sequence[Track],
           **kwargs) -> np.ndarray:
    """Write the tracks as a .skeleton file; the (M, T, V, C) kept."""
    path = str(tmp_path / 'S001C001P001R001A050.skeleton')
    write_skeleton(path, frames_of(num_frames, tracks))
    return select_bodies(read_skeleton_file(path), **kwargs)


def present(actor: np.ndarray) -> np.ndarray:
    """Indices of the frames in which a (T, V, C) actor has a body."""
    return np.flatnonzero(actor.any(axis=(1, 2)))


def test_id_switch_gives_one_actor(tmp_path):
    # The Kinect loses the actor at frame 30 and finds it again under a
    # new bodyID: one person of 60 frames, not two of 30.
    first = standing_body(30, sway=0.2)
    second = standing_body(30, (0.1, 0, 3.1), sway=0.2, seed=1)
    kp = select(tmp_path, 60, [('72057594037931101', 0, first),
                               ('72057594037931102', 30, second)])
    assert kp.shape == (1, 60, 25, 3) and kp.dtype == np.float32
    assert present(kp[0]).tolist() == list(range(60))
    np.testing.assert_allclose(kp[0, :30], first, atol=1e-6)
    np.testing.assert_allclose(kp[0, 30:], second, atol=1e-6)

    # MMAction2's PreNormalize3D keeps the frames of person 0 only: all 60.
    from mmaction.datasets.transforms import PreNormalize3D
    out = PreNormalize3D()(dict(keypoint=kp.copy(), total_frames=60))
    assert out['total_frames'] == 60 and out['keypoint'].shape[1] == 60
    assert np.abs(out['keypoint']).sum(axis=(0, 2, 3)).min() > 0


def test_bodies_that_share_frames_are_not_merged(tmp_path):
    # A one-frame overlap is two bodies at once (merge_overlap=0) ...
    a = standing_body(31, sway=0.3)
    b = standing_body(30, (0.1, 0, 3.1), sway=0.1, seed=1)
    tracks = [('1', 0, a), ('2', 30, b)]
    kp = select(tmp_path, 60, tracks)
    assert kp.shape[0] == 2
    assert present(kp[1]).tolist() == list(range(30, 60))
    # ... unless the rule lets them share it; the better body (more motion)
    # keeps the shared frame.
    kp = select(tmp_path, 60, tracks, rules=BodyRules(merge_overlap=1))
    assert kp.shape[0] == 1 and len(present(kp[0])) == 60
    np.testing.assert_allclose(kp[0, :31], a, atol=1e-6)
    np.testing.assert_allclose(kp[0, 31:], b[1:], atol=1e-6)


def test_flat_object_is_dropped(tmp_path):
    person = standing_body(60, sway=0.1)
    table = flat_object(60)
    tracks = [('9', 0, table), ('1', 0, person)]  # the object listed first
    kp = select(tmp_path, 60, tracks)
    assert kp.shape == (1, 60, 25, 3)
    np.testing.assert_allclose(kp[0], person, atol=1e-6)
    # the spread rule is what drops it: without it, a second person
    kp = select(tmp_path, 60, tracks, rules=BodyRules(flat_fraction=1.1))
    assert kp.shape[0] == 2
    np.testing.assert_allclose(kp[1], table, atol=1e-6)


def test_flat_frames_do_not_lift_motion(tmp_path):
    # b moves less than a, but 20 of its 60 frames are a garbled wide
    # detection whose spread would rank it first; a third of its frames
    # being flat is below flat_fraction, so it stays, ranked by its
    # upright frames.
    a = standing_body(60, sway=0.2)
    b = standing_body(60, (1, 0, 3.5), sway=0.05, seed=1)
    b[40:] = flat_object(20, (1, 0, 3.5)) * [4, 1, 1]
    kp = select(tmp_path, 60, [('2', 0, b), ('1', 0, a)])
    assert kp.shape[0] == 2
    np.testing.assert_allclose(kp[0], a, atol=1e-6)
    np.testing.assert_allclose(kp[1], b, atol=1e-6)
    flat_frames = np.ptp(b[..., 0], axis=1) > 0.8 * np.ptp(b[..., 1], axis=1)
    assert flat_frames.sum() == 20
    assert np.var(b.reshape(-1, 3), axis=0).sum() > np.var(
        a.reshape(-1, 3), axis=0).sum()


def test_short_body_is_dropped(tmp_path):
    person = standing_body(60, sway=0.1)
    flicker = standing_body(5, (1, 0, 3), sway=0.5, seed=2)
    tracks = [('1', 0, person), ('2', 20, flicker)]
    kp = select(tmp_path, 60, tracks)
    assert kp.shape == (1, 60, 25, 3)
    np.testing.assert_allclose(kp[0], person, atol=1e-6)
    # without the length rule the flicker, moving more, would even be first
    kp = select(tmp_path, 60, tracks, rules=BodyRules(min_frames=5))
    assert kp.shape[0] == 2 and present(kp[0]).tolist() == list(range(20, 25))
    np.testing.assert_allclose(kp[1], person, atol=1e-6)
    # the bound: min_frames frames are enough
    twelve = standing_body(12, (1, 0, 3), sway=0, seed=2)
    mover = standing_body(60, sway=0.5)
    kp = select(tmp_path, 60, [('1', 0, mover), ('2', 20, twelve)])
    assert kp.shape[0] == 2
    np.testing.assert_allclose(kp[1, 20:32], twelve, atol=1e-6)


def test_two_actors_ordered_by_motion(tmp_path):
    calm = standing_body(60, (-0.5, 0, 3), sway=0.05)
    # the lively actor is re-identified at frame 25 and appears second
    lively = standing_body(56, (0.5, 0, 3), sway=0.4, seed=1)
    tracks = [('1', 0, calm), ('2', 2, lively[:23]), ('3', 25, lively[23:]),
              ('4', 30, standing_body(6, (1, 0, 3), seed=3))]  # a flicker
    kp = select(tmp_path, 60, tracks)
    assert kp.shape == (2, 60, 25, 3)
    np.testing.assert_allclose(kp[0, 2:58], lively, atol=1e-6)
    assert present(kp[0]).tolist() == list(range(2, 58))
    np.testing.assert_allclose(kp[1], calm, atol=1e-6)
    # one slot: the lively actor, both of its bodyIDs
    kp = select(tmp_path, 60, tracks, max_persons=1)
    assert kp.shape == (1, 60, 25, 3)
    np.testing.assert_allclose(kp[0, 2:58], lively, atol=1e-6)


def test_third_body_takes_the_first_actor_it_fits(tmp_path):
    a = standing_body(40, sway=0.4)
    b = standing_body(60, (1, 0, 3), sway=0.2, seed=1)
    c = standing_body(20, (0.2, 0, 3), sway=0.1, seed=2)  # after a ends
    d = standing_body(60, (-1, 0, 3), sway=0.05, seed=3)  # overlaps both
    tracks = [('1', 0, a), ('2', 0, b), ('3', 40, c), ('4', 0, d)]
    kp = select(tmp_path, 60, tracks)
    assert kp.shape == (2, 60, 25, 3)
    np.testing.assert_allclose(kp[0], np.concatenate([a, c]), atol=1e-6)
    np.testing.assert_allclose(kp[1], b, atol=1e-6)
    kp = select(tmp_path, 60, tracks, max_persons=3)
    np.testing.assert_allclose(kp[2], d, atol=1e-6)


@pytest.mark.parametrize('body', ['short', 'flat'])
def test_a_clip_keeps_a_body_the_filters_would_drop(tmp_path, body):
    # A rule step that would drop every body of the clip is skipped.
    xyz = standing_body(8) if body == 'short' else flat_object(40)
    kp = select(tmp_path, 40, [('1', 3, xyz[:37])])
    assert kp.shape == (1, 40, 25, 3)
    np.testing.assert_allclose(kp[0, 3:3 + len(xyz[:37])], xyz[:37],
                               atol=1e-6)
    # two such bodies at once: both kept, by motion
    other = xyz * [1, 1, 1.1] + [0, 0, 0.5]
    kp = select(tmp_path, 40, [('1', 0, xyz[:37]), ('2', 1, other[:37])])
    assert kp.shape[0] == 2
    np.testing.assert_allclose(kp[0, 1:1 + len(other[:37])], other[:37],
                               atol=1e-6)


def test_no_body(tmp_path):
    assert select(tmp_path, 4, []).shape == (0, 4, 25, 3)


def test_rules_are_checked():
    for kwargs, what in ((dict(min_frames=0), 'min_frames'),
                         (dict(max_width_ratio=0), 'max_width_ratio'),
                         (dict(flat_fraction=0), 'flat_fraction'),
                         (dict(merge_overlap=-1), 'merge_overlap')):
        with pytest.raises(ValueError, match=what):
            BodyRules(**kwargs)
    assert BodyRules() == BodyRules(12, 0.8, 0.69754, 0)
