"""tools/data/h36m_to_mmpose.py and mmups.datasets.converters.h36m."""
import os.path as osp
import pickle
from typing import Any, Dict

import numpy as np
import pytest

import mmups  # noqa: F401  (compatibility shims before mmpose)
from mmups.datasets.formats import ConversionError
from mmups.datasets.converters.h36m import (H36M_ACTIONS, H36M_CAMERA_IDS,
                                            JOINTS_32_TO_17, action_class,
                                            convert_h36m, image_name)

NUM_FRAMES = 60  # per sequence of the small test file
SUBJECTS = ('S1', 'S8')
ACTIONS = ('Walking 1', 'Eating 2')
_SMALL: Dict[str, Any] = {}


@pytest.fixture
def h36m_small(shared_path, tmp_path_factory) -> Dict[str, Any]:
    """A small positions file cut from the real motion capture (S1 and S8,
    two takes, first frames), the real cameras and the loaded data; built
    once per session."""
    if not _SMALL:
        root = shared_path('h36m_mocap')
        with np.load(osp.join(root, 'data_3d_h36m_mocap.npz'),
                     allow_pickle=True) as f:
            full = f['positions_3d'].item()
        positions = {
            s: {a: full[s][a][:NUM_FRAMES]
                for a in ACTIONS}
            for s in SUBJECTS
        }
        folder = tmp_path_factory.mktemp('h36m_small')
        npz = str(folder / 'data_3d_h36m.npz')
        np.savez(npz, positions_3d=positions)
        cameras = osp.join(root, 'cameras.pkl')
        with open(cameras, 'rb') as f:
            camera_dict = pickle.load(f)
        _SMALL.update(npz=npz, cameras=cameras, positions=positions,
                      camera_dict=camera_dict)
    return _SMALL


def reference_pixels(world: np.ndarray, cam: Dict[str, Any]) -> np.ndarray:
    """Independent projection: VideoPose3D's formulation, whose tangential
    list is (p2, p1), i.e. cameras.pkl's ``p`` reversed."""
    R = np.asarray(cam['R'], np.float64)
    T = np.asarray(cam['T'], np.float64).reshape(3, 1)
    x_cam = np.linalg.solve(R, world.reshape(-1, 3).T - T).T  # R^-1 (X - T)
    f = np.asarray(cam['f'], np.float64).ravel()
    c = np.asarray(cam['c'], np.float64).ravel()
    k = np.asarray(cam['k'], np.float64).ravel()
    tangential = np.asarray(cam['p'], np.float64).ravel()[::-1]
    xx = x_cam[:, :2] / x_cam[:, 2:]
    r2 = np.sum(xx**2, axis=1, keepdims=True)
    radial = 1 + sum(k[i] * r2**(i + 1) for i in range(3))
    tan = np.sum(tangential * xx, axis=1, keepdims=True)
    xxx = xx * (radial + tan) + tangential * r2
    return (f * xxx + c).reshape(world.shape[:-1] + (2, ))


def test_projection_and_npz(h36m_small, tmp_path, load_tool, capsys):
    out = tmp_path / 'h36m'
    tool = load_tool('h36m_to_mmpose')
    assert tool.main([
        h36m_small['npz'], h36m_small['cameras'], str(out),
        '--train-subjects', 'S1', '--test-subjects', 'S8', '--split-names',
        'train', 'val', '--no-progress'
    ]) == 0
    assert 'train: 480 frames' in capsys.readouterr().out  # 2 x 4 x 60

    fps = out / 'annotation_body3d' / 'fps50'
    with np.load(fps / 'h36m_train.npz') as f:
        data = {k: f[k] for k in f.files}
    assert sorted(data) == ['S', 'center', 'imgname', 'part', 'scale']
    n = 2 * 4 * NUM_FRAMES
    assert data['part'].shape == (n, 17, 3) and data['S'].shape == (n, 17, 4)
    assert data['center'].shape == (n, 2) and data['scale'].shape == (n, )
    assert (data['part'][..., 2] == 1).all() and (data['S'][..., 3] == 1).all()
    # rows: actions sorted, then cameras in order, then frames
    assert data['imgname'][0] == image_name('S1', 'Eating 2', '54138969', 1)
    assert data['imgname'][0] == \
        'S1/S1_Eating_2.54138969/S1_Eating_2.54138969_000001.jpg'

    cams = h36m_small['camera_dict']
    for i, cam_id in enumerate(H36M_CAMERA_IDS):
        rows = slice(i * NUM_FRAMES, (i + 1) * NUM_FRAMES)
        cam = cams[('S1', cam_id)]
        world = h36m_small['positions']['S1']['Eating 2']
        ref = reference_pixels(world.astype(np.float64), cam)
        uv = data['part'][rows, :, :2]
        assert np.abs(uv - ref).max() < 1e-3
        assert (uv >= 0).all() and (uv[..., 0] <= cam['w']).all() \
            and (uv[..., 1] <= cam['h']).all()
        # 3D: the same points in that camera's frame, in metres
        R = cam['R']
        ref_cam = (world - cam['T'].reshape(3)) @ R
        np.testing.assert_allclose(data['S'][rows, :, :3], ref_cam,
                                   atol=1e-5)
        assert 2 < data['S'][rows, :, 2].min()  # metres in front of it

    assert (fps / 'h36m_val.npz').is_file()
    for name in ('joint3d_stats', 'joint2d_rel_stats'):
        with open(fps / f'{name}.pkl', 'rb') as f:
            stats = pickle.load(f)
        assert stats['mean'].shape[0] in (17, 16)
    with open(out / 'annotation_body3d' / 'cameras.pkl', 'rb') as f:
        assert set(pickle.load(f)) == set(cams)


def test_mmpose_loads_it(h36m_small, tmp_path):
    out = tmp_path / 'h36m'
    convert_h36m(h36m_small['npz'], h36m_small['cameras'], str(out),
                 splits=[('train', ['S1']), ('test', ['S8'])],
                 actions=['Walking 1'], show_progress=False)

    from mmpose.registry import DATASETS
    codec = dict(type='VideoPoseLifting', num_keypoints=17, zero_center=True,
                 root_index=0, remove_root=False)
    dataset = DATASETS.build(
        dict(type='Human36mDataset', _scope_='mmpose',
             ann_file='annotation_body3d/fps50/h36m_train.npz', seq_len=27,
             causal=False, pad_video_seq=True,
             camera_param_file='annotation_body3d/cameras.pkl',
             data_root=str(out), data_prefix=dict(img='images/'),
             pipeline=[
                 dict(type='GenerateTarget', encoder=codec),
                 dict(type='PackPoseInputs',
                      meta_keys=('id', 'category_id', 'target_img_path',
                                 'flip_indices', 'target_root'))
             ]))
    # one window per frame: 4 cameras x 60 frames of one take
    assert len(dataset) == 4 * NUM_FRAMES
    info = dataset.get_data_info(30)
    assert info['keypoints'].shape == (27, 17, 2)
    assert info['lifting_target'].shape == (1, 17, 3)
    assert info['camera_param']['w'] == 1000
    sample = dataset[30]
    assert sample['inputs'].shape == (2 * 17, 27)  # (K * 2, frames)
    labels = sample['data_samples'].gt_instance_labels
    target = labels.lifting_target_label
    assert target.shape == (1, 17, 3)
    assert float(target[0, 0].abs().max()) == 0  # root-relative
    assert str(sample['data_samples'].target_img_path[0]).endswith(
        '_000031.jpg')  # the middle frame of the window (causal=False)


def test_action_labels_downsample_and_2d_files(h36m_small, tmp_path):
    positions = h36m_small['positions']
    # 32-joint input (the full mocap skeleton), plus 2D files
    rng = np.random.default_rng(0)
    full32, gt_2d, det_2d = {}, {}, {}
    for s, acts in positions.items():
        full32[s], gt_2d[s], det_2d[s] = {}, {}, {}
        for a, pos in acts.items():
            big = rng.normal(size=(len(pos) + 3, 32, 3))  # 2D runs longer
            big[:len(pos), list(JOINTS_32_TO_17)] = pos
            full32[s][a] = big[:len(pos)]
            gt_2d[s][a] = [rng.uniform(100, 900, (len(pos) + 3, 17, 2))
                           for _ in H36M_CAMERA_IDS]
            det_2d[s][a] = [v + 1 for v in gt_2d[s][a]]
    files = {}
    for name, key, value in (('data_3d_h36m.npz', 'positions_3d', full32),
                             ('data_2d_h36m_gt.npz', 'positions_2d', gt_2d),
                             ('data_2d_h36m_cpn_ft_h36m_dbb.npz',
                              'positions_2d', det_2d)):
        files[name] = str(tmp_path / name)
        np.savez(files[name], **{key: value})

    out = tmp_path / 'h36m'
    result = convert_h36m(
        files['data_3d_h36m.npz'], h36m_small['cameras'], str(out),
        splits=[('train', ['S1']), ('test', ['S8', 'S9'])],
        camera_ids=['55011271'], downsample=2,
        gt_2d_file=files['data_2d_h36m_gt.npz'],
        det_2d_file=files['data_2d_h36m_cpn_ft_h36m_dbb.npz'],
        actions_as_labels=True, show_progress=False)
    assert result.skipped_subjects == ['S9']  # not in the file
    fps = out / 'annotation_body3d' / 'fps25'
    with np.load(fps / 'h36m_test.npz') as f:
        imgname, part, S = f['imgname'], f['part'], f['S']
    assert len(imgname) == 2 * NUM_FRAMES // 2
    assert [str(n)[-10:-4] for n in imgname[:3]] == [
        '000001', '000003', '000005'
    ]
    # 'part' is the given 2D (camera index 1), trimmed and downsampled
    np.testing.assert_allclose(part[:30, :, :2],
                               gt_2d['S8']['Eating 2'][1][:60:2], rtol=1e-6)
    cam = h36m_small['camera_dict'][('S8', '55011271')]
    world = positions['S8']['Eating 2'][::2]
    np.testing.assert_allclose(S[:30, :, :3],
                               (world - cam['T'].reshape(3)) @ cam['R'],
                               atol=1e-5)
    det = np.load(out / 'joint_2d_det_files' /
                  'cpn_ft_h36m_dbb_test.npy')
    assert det.shape == (60, 17, 3)
    np.testing.assert_allclose(det[..., :2], part[..., :2] + 1, rtol=1e-6)

    with open(result.action_pkl, 'rb') as f:
        actions = pickle.load(f)
    names = [a['frame_dir'] for a in actions['annotations']]
    assert names == ['S1_Eating_2.55011271', 'S1_Walking_1.55011271',
                     'S8_Eating_2.55011271', 'S8_Walking_1.55011271']
    assert actions['split'] == dict(train=names[:2], test=names[2:])
    anno = actions['annotations'][3]
    assert anno['label'] == H36M_ACTIONS.index('Walking') == 14
    assert anno['keypoint'].shape == (1, 30, 17, 3)
    assert anno['total_frames'] == 30
    np.testing.assert_allclose(anno['keypoint'][0],
                               S[30:60, :, :3], atol=1e-6)
    with open(result.label_map) as f:
        assert f.read().splitlines() == list(H36M_ACTIONS)

    from mmups.datasets.converters.skeleton_pkl import inspect_skeleton_data
    report = inspect_skeleton_data(actions)
    assert report.ok and report.layout == 'h36m'


def test_missing_camera_is_a_clear_error(h36m_small, tmp_path, load_tool,
                                         capsys):
    cams = dict(h36m_small['camera_dict'])
    del cams[('S8', '58860488')]
    bad = str(tmp_path / 'cameras.pkl')
    with open(bad, 'wb') as f:
        pickle.dump(cams, f)
    with pytest.raises(ConversionError) as e:
        convert_h36m(h36m_small['npz'], bad, str(tmp_path / 'o'),
                     splits=[('train', ['S1']), ('test', ['S8'])],
                     show_progress=False)
    assert bad in str(e.value) and "('S8', '58860488')" in str(e.value)
    assert not (tmp_path / 'o').exists()  # checked before writing

    cams = dict(h36m_small['camera_dict'])
    cams[('S1', '54138969')] = {
        k: v for k, v in cams[('S1', '54138969')].items() if k != 'p'
    }
    with open(bad, 'wb') as f:
        pickle.dump(cams, f)
    tool = load_tool('h36m_to_mmpose')
    assert tool.main([h36m_small['npz'], bad, str(tmp_path / 'o'),
                      '--no-progress']) == 1
    err = capsys.readouterr().err
    assert bad in err and "lacks field 'p'" in err


def test_action_names():
    assert action_class('Walking 1') == 'Walking'
    assert action_class('WalkDog') == 'WalkDog'
    assert action_class('WalkingDog 1') == 'WalkDog'
    assert action_class('Photo 2') == 'TakingPhoto'
    assert action_class('SittingDown') == 'SittingDown'
    with pytest.raises(ValueError, match='unknown Human3.6M action'):
        action_class('Dancing 1')
    assert len(H36M_ACTIONS) == 15 and sorted(H36M_ACTIONS) == list(
        H36M_ACTIONS)


@pytest.mark.parametrize('content', [b'hello', b'PK\x03\x04' + b'x' * 100],
                         ids=['not-npz', 'broken-zip'])
def test_malformed_positions_file_is_a_clear_error(tmp_path, content):
    from mmups.datasets.converters.h36m import load_positions
    good = str(tmp_path / 'good.npz')
    np.savez(good, positions_3d=np.array(
        {'S1': {'Walking 1': np.zeros((3, 17, 3))}}, dtype=object))
    with open(good, 'rb') as f:
        truncated = f.read()[:200]
    for i, data in enumerate([content, truncated]):
        bad = str(tmp_path / f'bad{i}.npz')
        with open(bad, 'wb') as f:
            f.write(data)
        with pytest.raises(ConversionError, match='cannot read npz') as e:
            load_positions(bad, 'positions_3d')
        assert bad in str(e.value)
    assert list(load_positions(good, 'positions_3d')) == ['S1']
