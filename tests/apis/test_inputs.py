"""mmups.apis.inputs: readers of skeleton sequences for inference."""
import json
import os
import os.path as osp
import pickle
from typing import Callable, Dict, Optional

import numpy as np
import pytest

from mmups.apis.inputs import (SkeletonFileNotFoundError, SkeletonInput,
                               SkeletonInputError, infer_input_layout,
                               load_skeletons)
from mmups.testing.ntu_skeleton import (frames_of, standing_body,
                                        write_skeleton)


def _pose(shape, seed: int = 0) -> np.ndarray:
    """Non-zero joints (..., V, C) with distinct values."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 2.0, shape).astype(np.float32)


# Writers of an (M, T, V, C) array (and (M, T, V) scores) in each format.
def _write_npy(path, kp, score=None):
    np.save(path, kp)


def _write_npz(path, kp, score=None):
    arrays = dict(keypoint=kp)
    if score is not None:
        arrays['keypoint_score'] = score
    np.savez(path, **arrays)


def _write_pkl(path, kp, score=None):
    anno = dict(frame_dir='clip', label=3, keypoint=kp,
                total_frames=kp.shape[1])
    if score is not None:
        anno['keypoint_score'] = score
    with open(path, 'wb') as f:
        pickle.dump(dict(split=dict(val=['clip']), annotations=[anno]), f)


def _write_mmpose(path, kp, score=None):
    """Frames of MMPose instances: person m of frame t is instance m."""
    frames = []
    for t in range(kp.shape[1]):
        instances = []
        for m in range(kp.shape[0]):
            inst = dict(keypoints=kp[m, t].tolist(),
                        bbox=[[0.0, 0.0, 10.0, 10.0]], bbox_score=0.9)
            if score is not None:
                inst['keypoint_scores'] = score[m, t].tolist()
            instances.append(inst)
        frames.append(dict(frame_id=t, instances=instances))
    with open(path, 'w') as f:
        json.dump(frames, f)  # NaN is written as the token NaN


def _write_json(path, kp, score=None):
    data = dict(keypoints=kp.tolist())
    if score is not None:
        data['keypoint_scores'] = score.tolist()
    with open(path, 'w') as f:
        json.dump(data, f)


def _write_csv(path, kp, score=None):
    axes = 'xyz'[:kp.shape[-1]]
    lines = [','.join(['person', 'frame', 'joint', *axes] +
                      (['score'] if score is not None else []))]
    for (m, t, v), _ in np.ndenumerate(kp[..., 0]):
        values = [m, t, v, *kp[m, t, v].tolist()]
        if score is not None:
            values.append(score[m, t, v])
        lines.append(','.join(str(x) for x in values))
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


WRITERS: Dict[str, Callable] = {
    '.npy': _write_npy,
    '.npz': _write_npz,
    '.pkl': _write_pkl,
    '.mmpose.json': _write_mmpose,
    '.json': _write_json,
    '.csv': _write_csv,
}


def _write(tmp_path, ext: str, kp: np.ndarray,
           score: Optional[np.ndarray] = None) -> str:
    path = str(tmp_path / f'sample{ext}')
    WRITERS[ext](path, kp, score)
    return path


def _kwargs(ext: str) -> dict:
    """Raw arrays with M = 2 or 3 persons need their axis order told."""
    return dict(order='MTVC') if ext in ('.npy', '.npz') else {}


def _error(source, **kwargs) -> str:
    with pytest.raises(SkeletonInputError) as err:
        load_skeletons(source, **kwargs)
    return str(err.value)


# --------------------------------------------------------------------------
# Every format
# --------------------------------------------------------------------------
@pytest.mark.parametrize('ext', sorted(WRITERS))
def test_round_trip(tmp_path, ext):
    kp = _pose((2, 4, 25, 3))
    score = _pose((2, 4, 25), seed=1) / 2
    if ext == '.mmpose.json':
        score[1] = score[0] - 0.1  # person 0 stays the best in every frame
    path = _write(tmp_path, ext, kp, score)
    [sample] = load_skeletons(path)
    assert isinstance(sample, SkeletonInput)
    assert sample.layout == 'nturgb+d'
    assert sample.source == path
    assert sample.keypoint.dtype == np.float32
    np.testing.assert_allclose(sample.keypoint, kp, rtol=1e-6)
    if ext == '.npy':  # joints only
        assert sample.keypoint_score is None
    else:
        assert sample.keypoint_score.dtype == np.float32
        np.testing.assert_allclose(sample.keypoint_score, score, rtol=1e-6)
    stem = osp.splitext(osp.basename(path))[0]
    assert sample.name == ('clip' if ext == '.pkl' else stem)
    assert sample.label == (3 if ext == '.pkl' else None)


@pytest.mark.parametrize('ext', sorted(WRITERS) + ['.skeleton'])
def test_missing_file(tmp_path, ext):
    path = str(tmp_path / f'absent{ext}')
    with pytest.raises(SkeletonFileNotFoundError) as err:
        load_skeletons(path)
    assert isinstance(err.value, FileNotFoundError)
    assert str(err.value) == f'{path}: no such file'


@pytest.mark.parametrize('ext', sorted(WRITERS))
def test_nan_and_inf_are_located(tmp_path, ext):
    kp = _pose((2, 5, 18, 2))
    kp[1, 3, 7, 0] = np.nan
    kp[1, 4, 2, 1] = np.inf
    path = _write(tmp_path, ext, kp)
    msg = _error(path, **_kwargs(ext))
    assert path in msg
    assert '2 NaN or infinite coordinate values' in msg
    assert 'person 1, frame 3, joint 7' in msg


@pytest.mark.parametrize('ext', sorted(WRITERS))
def test_all_zero_sequence(tmp_path, ext):
    path = _write(tmp_path, ext, np.zeros((1, 3, 18, 2), np.float32))
    msg = _error(path)
    assert path in msg and 'empty sequence' in msg


@pytest.mark.parametrize('ext', sorted(WRITERS))
def test_no_frames(tmp_path, ext):
    path = _write(tmp_path, ext, np.zeros((1, 0, 18, 2), np.float32))
    msg = _error(path)
    assert path in msg
    assert 'empty' in msg


@pytest.mark.parametrize('ext', ['.npy', '.npz', '.pkl', '.mmpose.json',
                                 '.json'])
def test_coordinates_not_2_or_3(tmp_path, ext):
    # C = 4; the CSV format has no column for a 4th coordinate
    path = _write(tmp_path, ext, _pose((1, 3, 18, 4)))
    msg = _error(path, order='MTVC') if ext in ('.npy', '.npz') else \
        _error(path)
    assert path in msg
    assert 'C = 2 or 3' in msg or 'C = 4' in msg


@pytest.mark.parametrize('ext', sorted(WRITERS))
def test_unknown_joint_count(tmp_path, ext):
    path = _write(tmp_path, ext, _pose((1, 3, 20, 2)))
    msg = _error(path)
    assert path in msg and 'V = 20 joints fits no known joint layout' in msg
    assert '25 (nturgb+d)' in msg and '17 (coco, h36m)' in msg


@pytest.mark.parametrize('ext', sorted(WRITERS))
def test_explicit_layout_is_validated(tmp_path, ext):
    path = _write(tmp_path, ext, _pose((1, 3, 18, 2)))
    assert load_skeletons(path, layout='openpose')[0].layout == 'openpose'
    msg = _error(path, layout='coco')
    assert path in msg
    assert "layout 'coco' has 17 joints but the input has V = 18" in msg
    msg = _error(path, layout='kinect')
    assert path in msg and "unknown joint layout 'kinect'" in msg
    assert "'nturgb+d'" in msg and "'penn_action'" in msg


# --------------------------------------------------------------------------
# Raw arrays, .npy, .npz
# --------------------------------------------------------------------------
def test_real_ntu_npy(shared_data):
    path = osp.join(shared_data, 'samples',
                    'ntu60_A005_example_skeleton.npy')
    if not osp.isfile(path):
        pytest.skip(f'real data {path} is absent')
    raw = np.load(path)
    assert raw.shape == (3, 300, 25, 2)
    [sample] = load_skeletons(path)
    # (C, T, V, M) storage, padded to 300 frames and 2 persons
    assert sample.keypoint.shape == (1, 72, 25, 3)
    assert sample.layout == 'nturgb+d'
    np.testing.assert_array_equal(sample.keypoint[0],
                                  raw[:, :72, :, 0].transpose(1, 2, 0))
    assert sample.name == 'ntu60_A005_example_skeleton'
    assert sample.label is None and sample.keypoint_score is None
    # the same array in memory
    [same] = load_skeletons(raw, task='ar3d')
    np.testing.assert_array_equal(same.keypoint, sample.keypoint)
    assert same.source == '<array>' and same.name == ''


@pytest.mark.parametrize('shape,order,expected', [
    ((2, 6, 25, 3), None, 'MTVC'),
    ((6, 25, 3), None, 'TVC'),
    ((3, 6, 25, 1), None, 'CTVM'),
    ((2, 6, 25, 1), None, 'CTVM'),
    ((3, 6, 25, 2), None, 'CTVM'),  # NTU RGB+D as ST-GCN stores it
    ((2, 6, 25, 3), None, 'MTVC'),
    ((2, 6, 25, 2), 'MTVC', 'MTVC'),
    ((2, 6, 25, 2), 'CTVM', 'CTVM'),
    ((3, 6, 25, 3), 'CTVM', 'CTVM'),
])
def test_array_orders(shape, order, expected):
    arr = _pose(shape)
    [sample] = load_skeletons(arr, order=order)
    mtvc = {
        'MTVC': arr,
        'TVC': arr[None],
        'CTVM': arr.transpose(3, 1, 2, 0) if arr.ndim == 4 else None,
    }[expected]
    np.testing.assert_array_equal(sample.keypoint, mtvc)


@pytest.mark.parametrize('shape', [(2, 6, 25, 2), (3, 6, 25, 3)])
def test_ambiguous_order(tmp_path, shape):
    msg = _error(_pose(shape))
    assert msg.startswith('<array>: ')
    assert 'ambiguous' in msg and 'order=' in msg
    path = str(tmp_path / 'clip.npy')
    np.save(path, _pose(shape))
    assert path in _error(path)


@pytest.mark.parametrize('shape,problem', [
    ((1, 6, 25, 5), 'neither the first nor the last axis has size 2 or 3'),
    ((4, 3, 6, 25, 2), 'a batch of samples'),
    ((25, 3), 'expected (M, T, V, C), (T, V, C) or (C, T, V, M)'),
    ((6, 25, 4), 'C = 4 coordinates'),
])
def test_bad_array_shapes(shape, problem):
    msg = _error(_pose(shape))
    assert msg.startswith('<array>: ') and problem in msg


def test_order_must_fit_the_array():
    assert "order 'TVC' needs a 3-D array" in _error(_pose((1, 6, 25, 3)),
                                                       order='TVC')
    with pytest.raises(ValueError, match='order must be one of'):
        load_skeletons(_pose((6, 25, 3)), order='TCV')


def test_zero_padding_is_cut():
    kp = np.zeros((3, 10, 25, 3), np.float32)
    kp[0, :6] = _pose((6, 25, 3))
    kp[0, 2] = 0  # a zero frame inside the sequence is kept
    kp[2, 1:4] = _pose((3, 25, 3), seed=1)
    [sample] = load_skeletons(kp, order='MTVC')
    assert sample.keypoint.shape == (2, 6, 25, 3)
    np.testing.assert_array_equal(sample.keypoint[0], kp[0, :6])
    np.testing.assert_array_equal(sample.keypoint[1], kp[2, :6])


def test_npz_keys(tmp_path):
    kp = _pose((6, 25, 3))
    single = str(tmp_path / 'single.npz')
    np.savez(single, data=kp)
    np.testing.assert_array_equal(
        load_skeletons(single)[0].keypoint, kp[None])

    # ST-GCN storage with scores in the same axis order
    ctvm = str(tmp_path / 'ctvm.npz')
    stored = _pose((3, 6, 25, 1))
    score = _pose((6, 25, 1), seed=1)
    np.savez(ctvm, keypoint=stored, keypoint_score=score, other=score)
    [sample] = load_skeletons(ctvm)
    np.testing.assert_array_equal(sample.keypoint,
                                  stored.transpose(3, 1, 2, 0))
    np.testing.assert_array_equal(sample.keypoint_score,
                                  score.transpose(2, 0, 1))

    several = str(tmp_path / 'several.npz')
    np.savez(several, a=kp, b=kp)
    msg = _error(several)
    assert several in msg and "no key \"keypoint\" among the keys ['a', 'b']" \
        in msg


def test_npy_label_from_ntu_name(tmp_path):
    path = str(tmp_path / 'S001C002P003R001A013.skeleton.npy')
    np.save(path, _pose((1, 4, 25, 3)))
    [sample] = load_skeletons(path)
    assert sample.name == 'S001C002P003R001A013' and sample.label == 12


@pytest.mark.parametrize('content,problem', [
    (b'\x93NUMPY\x01\x00v\x00{"descr": "<f4", "fortran_order": Fa',
     'cannot read the numpy file'),
    (b'', 'cannot read the numpy file'),
    (b'not numpy at all', 'cannot read the numpy file'),
])
def test_corrupt_npy(tmp_path, content, problem):
    path = str(tmp_path / 'bad.npy')
    with open(path, 'wb') as f:
        f.write(content)
    msg = _error(path)
    assert path in msg and problem in msg


def test_truncated_npy_and_object_arrays(tmp_path):
    good = str(tmp_path / 'good.npy')
    np.save(good, _pose((1, 8, 25, 3)))
    data = open(good, 'rb').read()
    cut = str(tmp_path / 'cut.npy')
    with open(cut, 'wb') as f:
        f.write(data[:len(data) // 2])
    msg = _error(cut)
    assert cut in msg and 'cannot read the numpy file' in msg

    objects = str(tmp_path / 'objects.npy')
    np.save(objects, np.array([{'a': 1}], dtype=object), allow_pickle=True)
    assert objects in _error(objects)

    broken_zip = str(tmp_path / 'broken.npz')
    with open(broken_zip, 'wb') as f:
        f.write(b'PK\x03\x04 not really a zip')
    msg = _error(broken_zip)
    assert broken_zip in msg and 'cannot read the numpy file' in msg


def test_non_numeric_array():
    msg = _error(np.full((1, 3, 25, 3), 'a'))
    assert msg.startswith('<array>: ') and 'expected numbers' in msg


# --------------------------------------------------------------------------
# NTU RGB+D .skeleton
# --------------------------------------------------------------------------
def test_ntu_skeleton(tmp_path):
    # Two actors at once; the one that moves more comes first.
    a = standing_body(20, (0, 0, 2), sway=0.3)
    b = standing_body(14, (1, 0, 3), sway=0.05, seed=1)
    frames = frames_of(20, [('200', 3, b), ('100', 0, a)])
    path = str(tmp_path / 'S001C001P001R001A005.skeleton')
    write_skeleton(path, frames)

    [sample] = load_skeletons(path)
    assert sample.layout == 'nturgb+d' and sample.label == 4
    assert sample.name == 'S001C001P001R001A005'
    assert sample.keypoint.shape == (2, 20, 25, 3)
    np.testing.assert_allclose(sample.keypoint[0], a, atol=1e-6)
    np.testing.assert_allclose(sample.keypoint[1, 3:17], b, atol=1e-6)
    assert not sample.keypoint[1, :3].any()  # absent: zeros, not trimmed

    assert load_skeletons(path, max_persons=1)[0].keypoint.shape == (1, 20,
                                                                     25, 3)
    other = str(tmp_path / 'recording.skeleton')  # not an NTU sample name
    write_skeleton(other, frames)
    assert load_skeletons(other)[0].label is None
    msg = _error(path, layout='coco')
    assert path in msg and "layout 'coco' has 17 joints" in msg
    msg = _error(path, order='MTVC')
    assert path in msg and 'order= applies to raw arrays' in msg


def test_ntu_skeleton_errors(tmp_path):
    frames = [[('7', _pose((25, 3), seed=t) + [0, 0, 2])] for t in range(3)]
    good = str(tmp_path / 'good.skeleton')
    write_skeleton(good, frames)
    lines = open(good).read().splitlines()

    truncated = str(tmp_path / 'truncated.skeleton')
    with open(truncated, 'w') as f:
        f.write('\n'.join(lines[:40]))
    msg = _error(truncated)
    assert truncated in msg and 'line 41' in msg and 'end of file' in msg

    bad = lines.copy()
    bad[9] = 'abc ' + bad[9].split(' ', 1)[1]
    path = str(tmp_path / 'bad_value.skeleton')
    with open(path, 'w') as f:
        f.write('\n'.join(bad))
    msg = _error(path)
    assert path in msg and 'line 10: non-numeric joint coordinate' in msg

    nan = lines.copy()
    nan[5] = 'nan ' + nan[5].split(' ', 1)[1]  # frame 0, joint 1
    path = str(tmp_path / 'nan.skeleton')
    with open(path, 'w') as f:
        f.write('\n'.join(nan))
    msg = _error(path)  # frame 0, joint 1: refused by the parser
    assert path in msg
    assert 'line 6: NaN, infinite or out-of-range joint coordinate' in msg

    for text, name in (('0\n', 'no_frames'), ('3\n0\n0\n0\n', 'no_bodies')):
        path = str(tmp_path / f'{name}.skeleton')
        with open(path, 'w') as f:
            f.write(text)
        msg = _error(path)
        assert path in msg and 'empty sequence' in msg


# --------------------------------------------------------------------------
# MMAction2 / PYSKL annotation pkl
# --------------------------------------------------------------------------
def test_real_ucf101_pkl(shared_data):
    path = osp.join(shared_data, 'samples', 'ucf101_hrnet_coco17_example.pkl')
    if not osp.isfile(path):
        pytest.skip(f'real data {path} is absent')
    [sample] = load_skeletons(path)
    assert sample.layout == 'coco'  # 2D, 17 joints: the MMAction2 convention
    assert sample.keypoint.shape == (2, 163, 17, 2)
    assert sample.keypoint.dtype == np.float32  # stored as float16
    assert sample.keypoint_score.shape == (2, 163, 17)
    assert sample.img_shape == (256, 340)
    assert sample.name == 'v_ApplyEyeMakeup_g01_c01' and sample.label == 0
    # coco wins over the pose-estimation hint: the joints are COCO's
    assert load_skeletons(path, task='pe3d')[0].layout == 'coco'


def test_pkl_containers(tmp_path):
    kp2d = _pose((1, 4, 17, 2))
    kp3d = _pose((2, 5, 17, 3))
    annos = [
        dict(frame_dir='a', label=1, keypoint=kp2d, total_frames=4,
             img_shape=(480, 640), keypoint_score=_pose((1, 4, 17))),
        dict(frame_dir='b', label=-1, keypoint=kp3d, total_frames=5),
    ]
    for data in (dict(split=dict(val=['a', 'b']), annotations=annos), annos):
        path = str(tmp_path / 'annos.pkl')
        with open(path, 'wb') as f:
            pickle.dump(data, f, protocol=2)
        first, second = load_skeletons(path)
        assert (first.name, first.label, first.layout) == ('a', 1, 'coco')
        assert first.img_shape == (480, 640)
        assert (second.name, second.label, second.layout) == ('b', None,
                                                              'h36m')
        np.testing.assert_array_equal(second.keypoint, kp3d)

    # one annotation without frame_dir, label nor total_frames: named after
    # the file; also as a dict in memory
    path = str(tmp_path / 'single.pkl')
    with open(path, 'wb') as f:
        pickle.dump(dict(keypoint=kp3d, label=np.int64(7)), f, protocol=5)
    [sample] = load_skeletons(path)
    assert (sample.name, sample.label, sample.layout) == ('single', 7, 'h36m')
    [sample] = load_skeletons(dict(keypoint=kp2d, frame_dir='x'), task='ar')
    assert sample.source == '<annotation>' and sample.layout == 'coco'


def test_pkl_refuses_code(tmp_path):
    marker = tmp_path / 'ran'

    class Exploit:

        def __reduce__(self):
            return (os.mkdir, (str(marker), ))

    path = str(tmp_path / 'evil.pkl')
    with open(path, 'wb') as f:
        pickle.dump(dict(keypoint=_pose((1, 3, 25, 3)), x=Exploit()), f)
    msg = _error(path)
    assert path in msg and 'refusing to load posix.mkdir' in msg
    assert not marker.exists()


@pytest.mark.parametrize('cut', [1, 100, -1])
def test_truncated_pkl(tmp_path, cut):
    good = str(tmp_path / 'good.pkl')
    _write_pkl(good, _pose((1, 6, 25, 3)))
    data = open(good, 'rb').read()
    path = str(tmp_path / 'cut.pkl')
    with open(path, 'wb') as f:
        f.write(data[:cut])
    msg = _error(path)
    assert path in msg
    assert 'truncated' in msg or 'cannot unpickle' in msg


def test_not_a_pickle(tmp_path):
    path = str(tmp_path / 'text.pkl')
    with open(path, 'w') as f:
        f.write('frame,joint,x,y\n')
    msg = _error(path)
    assert path in msg and ('cannot unpickle' in msg
                            or 'not a readable pickle' in msg)


@pytest.mark.parametrize('data,problem', [
    (dict(foo=1), 'not a skeleton annotation file'),
    (dict(annotations=[]), 'holds no annotations'),
    (dict(annotations='x'), 'annotations is str, not a list'),
    ([3], 'annotation 0 is int, not a dict'),
    ([dict(frame_dir='a', label=0)], 'annotation 0 has no keypoint'),
    ([dict(keypoint=np.zeros((5, 17, 3)), frame_inds=np.arange(5),
           total_frames=5, label=0)], 'compressed form'),
    ([dict(frame_dir='a', keypoint=np.ones((1, 4, 25, 3)),
           keypoint_score=np.ones((1, 3, 25)))],
     'annotation 0 (a): keypoint_score shape (1, 3, 25) != (M, T, V)'),
    ([dict(frame_dir='a', keypoint=np.ones((1, 4, 25, 3)), label='x')],
     'label must be an int >= 0'),
    ([dict(frame_dir='a', keypoint=np.ones((4, 25, 3)))],
     'keypoint must have 4 dims'),
    ([dict(frame_dir='a', keypoint=np.ones((1, 4, 25, 3)),
           img_shape=(0, 10))], 'img_shape must be (H, W) > 0'),
])
def test_bad_annotations(tmp_path, data, problem):
    path = str(tmp_path / 'bad.pkl')
    with open(path, 'wb') as f:
        pickle.dump(data, f)
    msg = _error(path)
    assert path in msg and problem in msg


# --------------------------------------------------------------------------
# MMPose predictions
# --------------------------------------------------------------------------
def _instance(seed: int, score: float, num_joints: int = 17) -> dict:
    return dict(keypoints=(_pose((num_joints, 2), seed) * 100).tolist(),
                keypoint_scores=[score] * num_joints,
                bbox=[[10.0, 20.0, 200.0, 400.0]], bbox_score=0.95)


def test_mmpose_video(tmp_path):
    frames = [
        dict(frame_id=0, instances=[_instance(0, 0.3), _instance(1, 0.9),
                                    _instance(2, 0.6)]),
        dict(frame_id=1, instances=[]),
        dict(frame_id=2, instances=[_instance(3, 0.8)]),
    ]
    path = str(tmp_path / 'video.json')
    with open(path, 'w') as f:
        json.dump(frames, f)
    [sample] = load_skeletons(path)
    assert sample.layout == 'coco' and sample.name == 'video'
    assert sample.keypoint.shape == (2, 3, 17, 2)
    first = frames[0]['instances']
    # ranked by mean keypoint score, at most max_persons = 2
    np.testing.assert_allclose(sample.keypoint[0, 0], first[1]['keypoints'],
                               rtol=1e-6)
    np.testing.assert_allclose(sample.keypoint[1, 0], first[2]['keypoints'],
                               rtol=1e-6)
    assert not sample.keypoint[:, 1].any()  # no person: zeros
    assert not sample.keypoint[1, 2].any() and sample.keypoint[0, 2].any()
    np.testing.assert_allclose(sample.keypoint_score[:, :, 0],
                               [[0.9, 0, 0.8], [0.6, 0, 0]], rtol=1e-6)

    [three] = load_skeletons(path, max_persons=3, fmt='mmpose')
    assert three.keypoint.shape == (3, 3, 17, 2)
    # COCO-17 joints stay coco, whatever the task
    assert load_skeletons(path, task='pe')[0].layout == 'coco'


def test_mmpose_image(tmp_path):
    instances = [_instance(0, 0.5, 18), _instance(1, 0.7, 18)]
    for inst in instances:
        del inst['keypoint_scores']
    path = str(tmp_path / 'image.json')
    with open(path, 'w') as f:
        json.dump(instances, f)
    [sample] = load_skeletons(path)
    assert sample.keypoint.shape == (2, 1, 18, 2)  # T = 1
    assert sample.layout == 'openpose' and sample.keypoint_score is None
    # without scores the file order is kept
    np.testing.assert_allclose(sample.keypoint[1, 0],
                               instances[1]['keypoints'], rtol=1e-6)


@pytest.mark.parametrize('data,problem', [
    ([], 'empty sequence: no frames'),
    ([dict(frame_id=0, instances=[])], 'no instance in any of its 1 frames'),
    ([dict(frame_id=0, instances=[dict(bbox=[])])],
     'frame 0, instance 0 is not an object with "keypoints"'),
    ([dict(frame_id=0, instances=[dict(keypoints=[['a', 'b']])])],
     'frame 0, instance 0: keypoints / keypoint_scores are not lists of'),
    ([dict(frame_id=0, instances=[dict(keypoints=[[1.0, 2.0, 3.0, 4.0]])])],
     'keypoints shape (1, 4); expected (V, C) with C = 2 or 3'),
    ([dict(frame_id=0, instances=[dict(keypoints=[[1.0, 2.0]] * 17)]),
      dict(frame_id=1, instances=[dict(keypoints=[[1.0, 2.0]] * 16)])],
     "frame 1, instance 0: keypoints shape (16, 2) differs"),
    ([dict(frame_id=0, instances=[dict(keypoints=[[1.0, 2.0]] * 17,
                                       keypoint_scores=[1.0] * 3)])],
     'keypoint_scores shape (3,) does not match V = 17'),
    ([dict(frame_id=0, instances=[]), dict(frame_id=1)],
     'frame 1 has no "instances" list'),
])
def test_bad_mmpose(tmp_path, data, problem):
    path = str(tmp_path / 'bad.json')
    with open(path, 'w') as f:
        json.dump(data, f)
    msg = _error(path, fmt='mmpose')
    assert path in msg and problem in msg


def test_mmpose_format_insists_on_a_list(tmp_path):
    path = str(tmp_path / 'simple.json')
    _write_json(path, _pose((1, 3, 25, 3)))
    assert load_skeletons(path)[0].layout == 'nturgb+d'
    msg = _error(path, fmt='mmpose')
    assert path in msg and 'must be a list of frames' in msg


# --------------------------------------------------------------------------
# Simple JSON
# --------------------------------------------------------------------------
def test_simple_json(tmp_path):
    kp = _pose((4, 17, 2)) * 100
    path = str(tmp_path / 'poses.json')
    data = dict(keypoints=kp.tolist(), keypoint_scores=np.ones(
        (4, 17)).tolist(), img_shape=[480, 640], label=2)
    with open(path, 'w') as f:
        json.dump(data, f)
    # 17 joints in 2D: coco or h36m; the task or the layout tells
    msg = _error(path)
    assert path in msg and '17 joints could be coco' in msg
    assert 'pass layout=' in msg
    [ar] = load_skeletons(path, task='ar2d')
    assert ar.layout == 'coco' and ar.keypoint.shape == (1, 4, 17, 2)
    assert ar.keypoint_score.shape == (1, 4, 17)
    assert ar.img_shape == (480, 640) and ar.label == 2
    assert load_skeletons(path, task='pe3d')[0].layout == 'h36m'
    assert load_skeletons(path, layout='h36m')[0].layout == 'h36m'

    with open(path, 'w') as f:
        json.dump(dict(data, layout='coco'), f)
    assert load_skeletons(path)[0].layout == 'coco'
    assert load_skeletons(path, layout='h36m')[0].layout == 'h36m'


@pytest.mark.parametrize('text,problem', [
    ('{"keypoints": [[[1, 2], [3, 4]], ', 'not valid JSON'),
    ('', 'not valid JSON'),
    ('"text"', 'expected a list (MMPose predictions) or an object'),
    ('{"keypoint": []}', "unknown keys ['keypoint']"),
    ('{"layout": "coco"}', 'no "keypoints" key'),
    ('{"keypoints": []}', 'empty sequence'),
    ('{"keypoints": [[[1, 2]], [[1, 2], [3]]]}',
     'keypoints is not a regular nested list of numbers'),
    ('{"keypoints": [[["a", "b"]]]}',
     'keypoints is not a regular nested list of numbers'),
    ('{"keypoints": [[1, 2], [3, 4]]}', 'expected a nested list shaped'),
    ('{"keypoints": [[[1, 2]]], "keypoint_scores": [1]}',
     'keypoint_scores shape (1,) does not match'),
    ('{"keypoints": [[[1, 2]]], "layout": 3}', 'layout must be a string'),
    ('{"keypoints": [[[1, 2]]], "label": -2}', 'label must be an integer'),
    ('{"keypoints": [[[1, 2]]], "img_shape": [1]}',
     'img_shape must be (H, W) > 0'),
])
def test_bad_simple_json(tmp_path, text, problem):
    path = str(tmp_path / 'bad.json')
    with open(path, 'w') as f:
        f.write(text)
    msg = _error(path)
    assert path in msg and problem in msg


def test_json_not_utf8(tmp_path):
    path = str(tmp_path / 'latin.json')
    with open(path, 'wb') as f:
        f.write(b'{"layout": "\xe9"}')
    msg = _error(path)
    assert path in msg and 'UTF-8' in msg


# --------------------------------------------------------------------------
# Simple CSV
# --------------------------------------------------------------------------
def test_csv_any_column_and_row_order(tmp_path):
    kp = _pose((5, 13, 2))
    rows = [f'{v},{kp[t, v, 1]},{t},{kp[t, v, 0]}' for t in range(5)
            for v in range(13)]
    rows = rows[::-1]  # rows in any order
    path = str(tmp_path / 'penn.csv')
    with open(path, 'w') as f:
        f.write('joint, Y ,frame,x\n\n' + '\n'.join(rows) + '\n')
    [sample] = load_skeletons(path)
    assert sample.layout == 'penn_action' and sample.name == 'penn'
    np.testing.assert_allclose(sample.keypoint, kp[None], rtol=1e-6)
    assert sample.keypoint_score is None


@pytest.mark.parametrize('text,problem', [
    ('', 'empty file; expected a header line frame,joint,x,y'),
    ('frame,joint,x,y\n', 'empty sequence: no data rows'),
    ('frame,joint,x\n0,0,1\n', "missing columns ['y']"),
    ('frame,joint,x,y,w\n0,0,1,2,3\n', "unknown columns ['w']"),
    ('frame,joint,x,y\n0,0,1,two\n', "line 2: y must be a number, got 'two'"),
    ('frame,joint,x,y\n0,0,1,2\n0,1.5,1,2\n',
     "line 3: joint must be a 0-based integer, got '1.5'"),
    ('frame,joint,x,y\n-1,0,1,2\n', 'line 2: frame must be a 0-based'),
    ('frame,joint,x,y\n0,0,1,2\n0,1,1\n', 'line 3: 3 values for the 4'),
    ('frame,joint,x,y\n0,0,1,2\n0,1,1,2\n0,0,3,4\n',
     'line 4: a second row for frame 0, joint 0'),
    ('frame,joint,x,y\n0,0,1,2\n0,1,1,2\n1,1,3,4\n',
     '1 rows missing; the first: frame 1, joint 0'),
    ('frame,joint,x,y,person\n0,0,1,2,0\n0,0,1,2,1\n1,0,3,4,0\n',
     'the first: frame 1, joint 0, person 1'),
    ('frame,joint,x,y\n0,0,1,2\n0,1,1,2\n5,1,3,4\n',
     '9 rows missing; the first: frame 1, joint 0'),
])
def test_bad_csv(tmp_path, text, problem):
    path = str(tmp_path / 'bad.csv')
    with open(path, 'w') as f:
        f.write(text)
    msg = _error(path, layout=None)
    assert path in msg and problem in msg


# --------------------------------------------------------------------------
# Layout inference, formats, arguments
# --------------------------------------------------------------------------
@pytest.mark.parametrize('joints,coords,task,layout', [
    (25, 3, None, 'nturgb+d'),
    (25, 2, 'ar', 'nturgb+d'),
    (18, 2, None, 'openpose'),
    (13, 2, 'eap', 'penn_action'),
    (17, 3, None, 'h36m'),
    (17, 3, 'ar3d', 'h36m'),
    (17, 2, 'pe3d', 'h36m'),
    (17, 2, 'pe', 'h36m'),
    (17, 2, 'ar2d', 'coco'),
    (17, 2, 'eap', 'coco'),
])
def test_infer_input_layout(joints, coords, task, layout):
    assert infer_input_layout(joints, coords, task) == layout


def test_infer_input_layout_errors():
    with pytest.raises(SkeletonInputError,
                       match='^x.npy: 17 joints could be coco'):
        infer_input_layout(17, 2, source='x.npy')
    with pytest.raises(SkeletonInputError, match='V = 30 joints fits no'):
        infer_input_layout(30, 3)
    with pytest.raises(SkeletonInputError, match='C = 4 coordinates'):
        infer_input_layout(25, 4)
    with pytest.raises(ValueError, match='Unknown task'):
        infer_input_layout(17, 2, task='detection')


def test_format_by_argument_and_extension(tmp_path):
    path = str(tmp_path / 'poses.txt')
    _write_csv(path, _pose((1, 3, 25, 3)))
    msg = _error(path)
    assert path in msg and "unknown extension '.txt'" in msg
    assert 'fmt=' in msg
    assert load_skeletons(path, fmt='csv')[0].keypoint.shape == (1, 3, 25, 3)
    assert load_skeletons(tmp_path / 'poses.txt',
                          fmt='.CSV')[0].layout == 'nturgb+d'  # PathLike
    with pytest.raises(ValueError, match='Unknown fmt'):
        load_skeletons(path, fmt='xml')
    msg = _error(str(tmp_path))
    assert 'is a folder' in msg or 'unknown extension' in msg
    folder = tmp_path / 'dir.npy'
    folder.mkdir()
    assert _error(str(folder)) == f'{folder}: is a folder, not a skeleton ' \
        'file'


def test_bad_arguments():
    with pytest.raises(TypeError, match='source must be a file path'):
        load_skeletons([1, 2, 3])
    with pytest.raises(ValueError, match='Unknown task'):
        load_skeletons(_pose((4, 25, 3)), task='segmentation')
    with pytest.raises(ValueError, match='max_persons must be >= 1'):
        load_skeletons(_pose((4, 25, 3)), max_persons=0)


def test_error_pickles():
    err = pickle.loads(pickle.dumps(SkeletonInputError('a.npy', 'bad')))
    assert str(err) == 'a.npy: bad' and err.source == 'a.npy'


def test_openpose_arrays_carry_scores_not_depth():
    """ST-GCN's Kinetics-skeleton arrays: (C=3, T, V=18, M) of x, y and the
    detection confidence."""
    rng = np.random.default_rng(0)
    arr = rng.uniform(0.1, 1, size=(3, 10, 18, 2)).astype(np.float32)
    (sample, ) = load_skeletons(arr)
    assert sample.layout == 'openpose'
    assert sample.keypoint.shape == (2, 10, 18, 2)
    assert np.array_equal(sample.keypoint[1, :, :, 0], arr[0, :, :, 1])
    assert np.array_equal(sample.keypoint_score[1], arr[2, :, :, 1])


def test_kinetics_skeleton_clip(tmp_path):
    """A clip of the Kinetics-skeleton release reads as its converter reads
    it: OpenPose-18 pixels of the 340 x 256 frames, persons by score."""
    from mmups.datasets.formats.kinetics_json import read_kinetics_json
    rng = np.random.default_rng(0)
    poses = rng.uniform(0, 1, (3, 2, 18, 2)).round(3)  # (T, persons, V, 2)
    scores = np.array([0.4, 0.9])[None, :, None] * np.ones((3, 2, 18))
    frames = [dict(frame_index=t + 1, skeleton=[
        dict(pose=poses[t, m].reshape(-1).tolist(),
             score=scores[t, m].tolist()) for m in range(2)])
        for t in range(3)]
    path = tmp_path / 'clip.json'
    path.write_text(json.dumps(dict(data=frames, label='abseiling',
                                    label_index=4)))
    [item] = load_skeletons(str(path))
    assert item.layout == 'openpose' and item.img_shape == (256, 340)
    assert item.label == 4 and item.keypoint.shape == (2, 3, 18, 2)
    # The better-scored person first, in pixels.
    np.testing.assert_allclose(item.keypoint[0], poses[:, 1] * (340, 256),
                               rtol=1e-6)
    np.testing.assert_allclose(item.keypoint_score[0], 0.9)
    same = read_kinetics_json(str(path))
    np.testing.assert_array_equal(item.keypoint, same['keypoint'])
    one = load_skeletons(str(path), max_persons=1)[0]
    assert one.keypoint.shape == (1, 3, 18, 2)
    empty = tmp_path / 'empty.json'
    empty.write_text(json.dumps(dict(data=[], label_index=0)))
    with pytest.raises(SkeletonInputError, match=r'empty\.json: empty clip'):
        load_skeletons(str(empty))
    broken = tmp_path / 'broken.json'
    broken.write_text(json.dumps(dict(data=[dict(frame_index='x')])))
    with pytest.raises(SkeletonInputError,
                       match=r'broken\.json: frame entry 0'):
        load_skeletons(str(broken))
