"""LazyHuman36mDataset: the samples and pipeline outputs of MMPose's
Human36mDataset, for every option the configs use, from a much smaller
serialised data list."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import BaseDataElement

from mmups.datasets import LazyHuman36mDataset
from mmups.datasets.demo_data import make_pose_lifting_data
from mmups.registry import DATASETS

CONFIG = osp.join(osp.dirname(__file__), '..', '..', 'configs', '_base_',
                  'datasets', 'h36m_cpn_pe3d.py')
ANN = 'annotation_body3d/fps10/h36m_val.npz'
EDITED = 'annotation_body3d/fps10/h36m_val_edited.npz'
DET = 'joint_2d_det_files/det_val.npy'
FACTORS = 'annotation_body3d/fps10/factors_val.npy'


def _video(names: np.ndarray, k: int) -> np.ndarray:
    """Rows (bool mask) of the k-th video (by image folder)."""
    folders = np.array([osp.dirname(n) for n in names])
    return folders == np.unique(folders)[k]


@pytest.fixture(scope='module')
def root(tmp_path_factory) -> str:
    """Demo Human3.6M (S8: 32 videos of 28 frames) plus an edited copy
    whose rows are shuffled (videos interleaved: grouping by image name
    must restore them) and whose 2D joints are <= 0 in one whole video and
    in a few single frames (windows MMPose drops); a detection file that
    differs from the ground truth, with other invalid frames; factors."""
    root = make_pose_lifting_data(str(tmp_path_factory.mktemp('h36m')),
                                  num_frames=140)
    rng = np.random.default_rng(0)
    npz = dict(np.load(osp.join(root, ANN)))
    order = rng.permutation(len(npz['imgname']))
    npz = {k: v[order] for k, v in npz.items()}
    part = npz['part']
    part[_video(npz['imgname'], 0)] = 0
    part[rng.choice(len(part), 5, replace=False)] = 0
    part[rng.choice(len(part), 3, replace=False), :, :2] = -1
    np.savez(osp.join(root, EDITED), **npz)

    det = npz['part'] + rng.normal(0, 2, part.shape).astype(np.float32)
    det[..., 2] = rng.uniform(0.1, 1, part.shape[:2])
    det[_video(npz['imgname'], 3)] = 0
    det[rng.choice(len(det), 4, replace=False), :, :2] = -2
    det_path = osp.join(root, DET)
    os.makedirs(osp.dirname(det_path))
    np.save(det_path, det)
    np.save(osp.join(root, FACTORS), rng.uniform(0.5, 2, len(part)))
    return root


def _build(root: str, lazy: bool, **kwargs):
    """The dataset as the configs build it (MMPose's scope), lazy or
    MMPose's own."""
    cfg = dict(type='mmups.LazyHuman36mDataset' if lazy else
               'Human36mDataset', _scope_='mmpose', data_root=root,
               data_prefix=dict(img='images/'), ann_file=EDITED,
               camera_param_file='annotation_body3d/cameras.pkl')
    cfg.update(kwargs)
    if cfg.get('keypoint_2d_src') == 'detection':
        cfg.setdefault('keypoint_2d_det_file', DET)
    seed = cfg.pop('seed', 0)
    np.random.seed(seed)  # subset_frac draws from the global generator
    return DATASETS.build(cfg)


def _pair(root: str, **kwargs):
    mmpose, lazy = _build(root, False, **kwargs), _build(root, True, **kwargs)
    assert type(lazy) is LazyHuman36mDataset
    assert len(lazy) == len(mmpose)
    return mmpose, lazy


def assert_same(expected, actual, where: str = 'sample') -> None:
    """Equal structure, key order, types, dtypes, shapes and values."""
    if isinstance(expected, BaseDataElement):
        assert type(actual) is type(expected), where
        assert_same(expected.to_dict(), actual.to_dict(), where)
    elif isinstance(expected, dict):
        assert list(actual) == list(expected), where
        for key, value in expected.items():
            assert_same(value, actual[key], f'{where}[{key!r}]')
    elif isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray), where
        assert (actual.dtype, actual.shape) == (expected.dtype,
                                                expected.shape), where
        np.testing.assert_array_equal(actual, expected, err_msg=where)
    elif isinstance(expected, torch.Tensor):
        assert isinstance(actual, torch.Tensor), where
        assert (actual.dtype, actual.shape) == (expected.dtype,
                                                expected.shape), where
        assert torch.equal(actual, expected), where
    elif isinstance(expected, (list, tuple)):
        assert type(actual) is type(expected), where
        assert len(actual) == len(expected), where
        for i, (e, a) in enumerate(zip(expected, actual)):
            assert_same(e, a, f'{where}[{i}]')
    else:
        assert type(actual) is type(expected), where
        assert actual == expected, f'{where}: {actual!r} != {expected!r}'


def _assert_same_samples(mmpose, lazy) -> None:
    assert len(lazy.sequence_indices) == len(mmpose.sequence_indices)
    assert [lazy.sequence_indices[i] for i in range(
        len(lazy.sequence_indices))] == mmpose.sequence_indices
    for idx in range(len(mmpose)):
        assert_same(mmpose.get_data_info(idx), lazy.get_data_info(idx),
                    f'sample {idx}')


@pytest.mark.parametrize('pad', [True, False], ids=['pad', 'nopad'])
@pytest.mark.parametrize('causal', [True, False], ids=['causal', 'centre'])
@pytest.mark.parametrize('seq_len', [27, 1])
@pytest.mark.parametrize('src', ['gt', 'detection'])
def test_same_samples(root, src, seq_len, causal, pad):
    mmpose, lazy = _pair(root, keypoint_2d_src=src, seq_len=seq_len,
                         causal=causal, pad_video_seq=pad)
    # the invalid windows are dropped, and not all windows are
    assert 0 < len(lazy) < len(lazy.sequence_indices)
    _assert_same_samples(mmpose, lazy)


@pytest.mark.parametrize('options', [
    dict(seq_len=9, seq_step=2, causal=False, pad_video_seq=True),
    dict(seq_len=5, seq_step=3, causal=True, pad_video_seq=True),
    dict(seq_len=9, seq_step=2, pad_video_seq=False),
    dict(seq_len=1, multiple_target=4),
    dict(seq_len=1, multiple_target=5, multiple_target_step=2,
         keypoint_2d_src='detection'),
    dict(seq_len=27, causal=False, pad_video_seq=True, subset_frac=0.3,
         seed=7),
    dict(seq_len=27, causal=False, pad_video_seq=True, factor_file=FACTORS,
         keypoint_2d_src='pipeline', test_mode=True),
    dict(seq_len=3, camera_param_file=None, serialize_data=False),
    dict(seq_len=3, indices=[4, 0, 9, 2]),
], ids=['step-pad-centre', 'step-pad-causal', 'step-nopad', 'multi-target',
        'multi-target-step', 'subset', 'factors', 'no-camera', 'indices'])
def test_same_samples_with_options(root, options):
    mmpose, lazy = _pair(root, **options)
    assert len(lazy) > 0
    _assert_same_samples(mmpose, lazy)


def test_lazy_init_loads_on_first_use(root):
    options = dict(seq_len=27, causal=False, pad_video_seq=True,
                   lazy_init=True)
    lazy = _build(root, True, **options)
    assert not lazy._fully_initialized and not hasattr(lazy, '_kpts_2d')
    assert_same(_build(root, False, **options).get_data_info(3),
                lazy.get_data_info(3))


def _pipelines():
    """h36m_cpn_pe3d's train and test pipelines, the packing filled as
    the task declaration fills it."""
    cfg = Config.fromfile(CONFIG)
    decl = cfg.h36m_cpn_pe3d
    pipelines = []
    for pipeline in (cfg.h36m_cpn_pe3d_train_pipeline,
                     cfg.h36m_cpn_pe3d_pipeline):
        pipeline[-1].update(task='pe3d', layout=decl.layout,
                            dataset=decl.dataset_name)
        pipelines.append(pipeline)
    return pipelines


@pytest.mark.parametrize('seq_len', [27, 1])
@pytest.mark.parametrize('test_mode', [False, True], ids=['train', 'test'])
@pytest.mark.parametrize('src', ['gt', 'detection'])
def test_same_pipeline_outputs(root, src, test_mode, seq_len):
    train, test = _pipelines()
    mmpose, lazy = _pair(root, keypoint_2d_src=src, seq_len=seq_len,
                         causal=False, pad_video_seq=True,
                         test_mode=test_mode,
                         pipeline=test if test_mode else train)
    for idx in range(len(mmpose)):
        np.random.seed(idx)  # the same random flips
        expected = mmpose[idx]
        np.random.seed(idx)
        assert_same(expected, lazy[idx], f'item {idx}')
    assert tuple(expected['inputs'].shape) == (1, seq_len, 17, 2)


def test_serialised_data_is_small(root):
    mmpose, lazy = _pair(root, keypoint_2d_src='detection', seq_len=27,
                         causal=False, pad_video_seq=True,
                         serialize_data=True)
    full = mmpose.data_bytes.nbytes
    small = lazy.data_bytes.nbytes
    assert small * 10 <= full, (small, full)
    # a window index per sample, not its frames
    assert small / len(lazy) < 64, small / len(lazy)


def test_bottomup_is_refused(root):
    with pytest.raises(ValueError, match='bottomup'):
        _build(root, True, data_mode='bottomup')


@pytest.mark.parametrize('options', [
    dict(seq_len=4, causal=False, pad_video_seq=True),
    dict(seq_len=1, multiple_target=3, seq_step=2),
])
def test_windows_mmpose_rejects_are_refused(root, options):
    with pytest.raises(AssertionError):
        _build(root, False, **options)
    with pytest.raises(ValueError, match='shorter than expected'):
        _build(root, True, **options)


def test_detection_needs_its_file(root):
    with pytest.raises(ValueError, match='keypoint_2d_det_file'):
        _build(root, True, keypoint_2d_src='detection',
               keypoint_2d_det_file=None)
