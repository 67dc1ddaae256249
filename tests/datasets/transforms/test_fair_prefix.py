"""The fair early-prediction pipeline: the recorded clip is cut first
(ObservationRatio), its observed frames normalised (MMAction2's
PreNormalize3D / PreNormalize2D) and sampled without looping
(UniformSampleFramesNoLoop); nothing after the cut reaches the sample.
The protocol the configs ran first (normalise, cut, UniformSampleFrames)
is the counter-example each test checks against."""
import copy
from typing import List

import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

CLIP_LEN = 100
#: The realbench's Human3.6M normalisation: centring only.
H36M_NORMALIZE = dict(type='PreNormalize3D', zaxis=[0, 8], xaxis=[14, 11],
                      align_spine=False, align_shoulder=False)


def pipeline(normalize: dict, ratio: float, fair: bool, layout: str,
             task: str = 'eap3d', label_set: str = 'ntu60') -> Compose:
    """The test pipeline of one observation ratio, built in MMAction2's
    scope as the configs' PoseDataset builds it."""
    observe = [dict(type='mmups.ObservationRatio', ratios=ratio)]
    if fair:
        steps = observe + [normalize]
        sampler = 'mmups.UniformSampleFramesNoLoop'
    else:
        steps = [normalize] + observe
        sampler = 'UniformSampleFrames'
    steps += [dict(type=sampler, clip_len=CLIP_LEN, num_clips=1,
                   test_mode=True),
              dict(type='PoseDecode'),
              dict(type='mmups.PackUPSInputs', task=task, layout=layout,
                   label_set=label_set)]
    with DefaultScope.overwrite_default_scope('mmaction'):
        return Compose(steps)


def clip(m: int, t: int, v: int, c: int = 3, seed: int = 0) -> dict:
    """An annotation as MMAction2's PoseDataset loads it."""
    rng = np.random.default_rng(seed)
    return dict(keypoint=rng.normal(size=(m, t, v, c)).astype(np.float32),
                total_frames=t, label=3, frame_dir='clip', start_index=0,
                img_shape=(480, 640))


def run(pipe: Compose, results: dict) -> torch.Tensor:
    return pipe(copy.deepcopy(results))['inputs']


def with_future(results: dict, keep: int, seed: int = 1) -> List[dict]:
    """Copies of ``results`` whose frames from ``keep`` on are changed:
    random values; then the first person absent and the second present
    (PreNormalize3D would make the second the main person and drop the
    first one's empty frames)."""
    rng = np.random.default_rng(seed)
    noisy = copy.deepcopy(results)
    future = noisy['keypoint'][:, keep:]
    noisy['keypoint'][:, keep:] = 50 * rng.normal(size=future.shape)
    swapped = copy.deepcopy(results)
    swapped['keypoint'][0, keep:] = 0
    return [noisy, swapped]


@pytest.mark.parametrize('normalize, v, m', [
    (dict(type='PreNormalize3D'), 25, 2),  # NTU RGB+D, two persons
    (H36M_NORMALIZE, 17, 1),
])
def test_fair_prefix_reads_no_frame_after_the_cut(normalize, v, m):
    layout = 'nturgb+d' if v == 25 else 'h36m'
    results = clip(m, 80, v)
    if m == 2:
        # The second person appears in the last quarter only: the first
        # is the main person of the whole clip and of its first 20%.
        results['keypoint'][1, :60] = 0
    fair = pipeline(normalize, 0.2, True, layout)
    old = pipeline(normalize, 0.2, False, layout)
    reference = run(fair, results)
    assert reference.shape == (m, CLIP_LEN, v, 3)
    for changed in with_future(results, keep=16):
        assert torch.equal(run(fair, changed), reference)
    # The first protocol does read the frames after the cut.
    assert any(not torch.equal(run(old, changed), run(old, results))
               for changed in with_future(results, keep=16))


def test_fair_prefix_2d():
    results = clip(1, 80, 13, c=2)
    results['keypoint'] = (results['keypoint'] * 100 + 300).astype(
        np.float32)
    fair = pipeline(dict(type='PreNormalize2D'), 0.2, True, 'penn_action',
                    task='eap2d', label_set='penn_action')
    reference = run(fair, results)
    for changed in with_future(results, keep=16):
        assert torch.equal(run(fair, changed), reference)
    # Pixels -> [-1, 1] by the clip's image size (640 x 480).
    first = results['keypoint'][0, 0]
    expected = (first - [320, 240]) / [320, 240]
    assert np.allclose(reference[0, 0].numpy(), expected, atol=1e-6)


def test_no_observed_frame_repeated_by_wrapping():
    """20% of an 80-frame clip, sampled to 100 frames: the fair prefix
    holds frames 0-15 in order, each 6 or 7 times; the first protocol
    jumps back from frame 15 to 0 six times."""
    results = clip(1, 80, 17)
    # Frame index in the first joint's X; the centre (the last joint,
    # PreNormalize3D's for 17-joint data) at 0 in the first frame.
    results['keypoint'][0, :, 0, 0] = np.arange(80)
    results['keypoint'][0, 0, -1] = 0
    results['keypoint'][0, :, -1, 1:] = 1  # no frame looks empty

    def frames(fair):
        out = run(pipeline(H36M_NORMALIZE, 0.2, fair, 'h36m'), results)
        return out[0, :, 0, 0].numpy().round().astype(int)

    fair, old = frames(True), frames(False)
    assert (np.diff(fair) < 0).sum() == 0
    assert set(fair) == set(range(16))
    assert set(np.bincount(fair)) <= {6, 7}
    assert (np.diff(old) < 0).sum() == 6
