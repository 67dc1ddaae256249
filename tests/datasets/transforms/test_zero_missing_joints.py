"""ZeroMissingJoints, alone and in the Kinetics configs' pipelines."""
import os.path as osp
from typing import Callable, Dict, List

import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmups.datasets.transforms import ZeroMissingJoints

DATASETS = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs',
                    '_base_', 'datasets')
CLIP_LEN = 100  # the configs' clip_len: T = CLIP_LEN samples every frame
IMG_SHAPE = (256, 340)  # H, W of the Kinetics-skeleton release


def config_pipeline(setting: str, split: str) -> Callable[[Dict], Dict]:
    """The ``split`` ('train' / 'test') pipeline of
    ``configs/_base_/datasets/<setting>.py``, built as its dataset builds
    it (MMAction2's TRANSFORMS), its PackUPSInputs given the task
    declaration's layout and label set."""
    cfg = Config.fromfile(osp.join(DATASETS, f'{setting}.py'))
    decl = cfg[setting]
    dataset = cfg[f'{setting}_{split}']
    assert dataset.pipeline[-1].type == 'mmups.PackUPSInputs'
    dataset.pipeline[-1].update(task='ar2d', layout=decl.layout,
                                label_set=decl.label_set)
    from mmaction.registry import TRANSFORMS
    assert dataset._scope_ == 'mmaction'
    with DefaultScope.overwrite_default_scope('mmaction'):
        return Compose([TRANSFORMS.build(t) for t in dataset.pipeline])


def normalized(xy: np.ndarray) -> np.ndarray:
    """Pixels of the release's frames mapped to [-1, 1] (PreNormalize2D)."""
    h, w = IMG_SHAPE
    return (xy - [w / 2, h / 2]) / [w / 2, h / 2]


def test_zero_score_joints_go_to_the_centre():
    rng = np.random.default_rng(0)
    keypoint = rng.uniform(-1, 1, (2, 5, 18, 2)).astype(np.float32)
    score = rng.uniform(0.1, 1, (2, 5, 18)).astype(np.float32)
    score[0, 1, [3, 7]] = 0
    score[1, 4] = 0  # an empty person slot
    score[1, 2, 5] = 0.05
    before_kp, before_score = keypoint.copy(), score.copy()
    out = ZeroMissingJoints()(dict(keypoint=keypoint, keypoint_score=score))
    missing = before_score == 0
    assert (out['keypoint'][missing] == 0).all()
    np.testing.assert_array_equal(out['keypoint'][~missing],
                                  before_kp[~missing])
    np.testing.assert_array_equal(out['keypoint_score'], before_score)
    assert out['keypoint'].dtype == np.float32

    # with a threshold, low scores count as missing too
    out = ZeroMissingJoints(score_thr=0.1)(
        dict(keypoint=before_kp.copy(), keypoint_score=before_score))
    assert (out['keypoint'][1, 2, 5] == 0).all()
    assert repr(ZeroMissingJoints(0.1)) == 'ZeroMissingJoints(score_thr=0.1)'

    with pytest.raises(ValueError, match='does not match'):
        ZeroMissingJoints()(dict(keypoint=before_kp,
                                 keypoint_score=before_score[:, :, :17]))


def kinetics_openpose_clip(rng: np.random.Generator) -> Dict:
    """An annotation of the converted release: pixels, 2 persons, some
    joints undetected ((0, 0) with score 0) and person 2 absent in frames
    50-99."""
    h, w = IMG_SHAPE
    keypoint = (rng.random((2, CLIP_LEN, 18, 2)) * [w, h]).astype(np.float32)
    score = rng.uniform(0.2, 1, (2, CLIP_LEN, 18)).astype(np.float32)
    score[0, 10, [4, 7]] = 0  # wrists not detected
    score[1, :, 14:] = 0  # eyes and ears never detected
    score[1, 50:] = 0
    keypoint[score == 0] = 0
    return dict(frame_dir='clip', label=3, total_frames=CLIP_LEN,
                keypoint=keypoint, keypoint_score=score, img_shape=IMG_SHAPE,
                original_shape=IMG_SHAPE)


@pytest.mark.parametrize('split', ['train', 'test'])
def test_openpose_config_pipeline(split):
    anno = kinetics_openpose_clip(np.random.default_rng(1))
    missing = anno['keypoint_score'] == 0
    expected = normalized(anno['keypoint'])
    expected[missing] = 0
    pipeline = config_pipeline('kinetics400_openpose18_2d', split)
    out = pipeline(dict(anno, keypoint=anno['keypoint'].copy()))
    inputs = out['inputs'].numpy()
    assert inputs.shape == (2, CLIP_LEN, 18, 2)
    assert (inputs[missing] == 0).all()  # exactly 0, not -1
    np.testing.assert_allclose(inputs, expected, atol=1e-6)
    assert inputs[~missing].min() > -1  # present joints: normalised pixels
    assert out['data_samples'].layout == 'openpose'


def hrnet_compressed_clip(rng: np.random.Generator) -> Dict:
    """A clip as MMAction2's kpfiles hold it: every skeleton (K, 17, 3)
    with x, y, score, and its frame index. Three people in frames 0-39,
    one in 40-99."""
    h, w = IMG_SHAPE
    frames: List[int] = []
    rows = []
    for t in range(CLIP_LEN):
        for person, mean in enumerate((0.9, 0.5, 0.7)[:3 if t < 40 else 1]):
            xy = rng.random((17, 2)) * [w, h]
            score = np.clip(rng.normal(mean, 0.02, 17), 0.05, 1)
            rows.append(np.concatenate([xy, score[:, None]], axis=1))
            frames.append(t)
    return dict(frame_dir='clip', label=3, total_frames=CLIP_LEN,
                frame_inds=np.array(frames), img_shape=IMG_SHAPE,
                keypoint=np.stack(rows).astype(np.float16))


@pytest.mark.parametrize('split', ['train', 'test'])
def test_hrnet_config_pipeline_passes_two_persons(split):
    anno = hrnet_compressed_clip(np.random.default_rng(2))
    kp = anno['keypoint'].astype(np.float32)
    pipeline = config_pipeline('kinetics400_hrnet_coco17_2d', split)
    inputs = pipeline(dict(anno))['inputs'].numpy()
    assert inputs.shape == (2, CLIP_LEN, 17, 2)
    # frames 0-39: the two best-scored of the three people (scores 0.9 and
    # 0.7, file rows 0 and 2 of each frame), normalised
    first = np.flatnonzero(anno['frame_inds'] < 40).reshape(40, 3)
    for m, row in enumerate((0, 2)):
        np.testing.assert_allclose(inputs[m, :40],
                                   normalized(kp[first[:, row], :, :2]),
                                   atol=2e-3)  # float16 joints
    # frames 40-99: one person; the empty slot is 0, not the corner -1
    np.testing.assert_allclose(
        inputs[0, 40:], normalized(kp[anno['frame_inds'] >= 40, :, :2]),
        atol=2e-3)
    assert (inputs[1, 40:] == 0).all()
