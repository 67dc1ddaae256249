"""tools/data/h36m_mocap_to_action_pkl.py and
mmups.datasets.converters.h36m_actions."""
import pickle
from collections import Counter
from typing import Dict

import numpy as np
import pytest

from mmups.datasets.formats import ConversionError
from mmups.datasets.converters.h36m import H36M_ACTIONS, JOINTS_32_TO_17
from mmups.datasets.converters.h36m_actions import (
    clip_starts, convert_h36m_action_clips, frame_step)
from mmups.datasets.converters.skeleton_pkl import inspect_skeleton_data


def load(path) -> dict:
    """Unpickle a file."""
    with open(path, 'rb') as f:
        return pickle.load(f)


def motion(num_frames: int, seed: int, joints: int = 17) -> np.ndarray:
    """(T, joints, 3) float32 positions, distinct per seed."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(num_frames, joints, 3)).astype(np.float32)


def write_npz(path, positions: Dict[str, Dict[str, np.ndarray]]) -> str:
    """A VideoPose3D-style positions file."""
    np.savez(path, positions_3d=positions)
    return str(path)


@pytest.fixture
def small(tmp_path) -> Dict:
    """Generated motion capture: S1 (2 takes), S5 (1), S8 (1), 50 Hz."""
    positions = {
        'S1': {'Walking 1': motion(120, 0), 'Eating 2': motion(90, 1)},
        'S5': {'SittingDown 1': motion(100, 2)},
        'S8': {'Walking 2': motion(60, 3)},
    }
    return dict(npz=write_npz(tmp_path / 'data_3d.npz', positions),
                positions=positions)


def test_clips_splits_and_labels(small, tmp_path, load_tool, capsys):
    out = tmp_path / 'out' / 'clips.pkl'
    tool = load_tool('h36m_mocap_to_action_pkl')
    # 25 Hz, clips of 1 s (25 frames) every 0.5 s (12.5 -> 12 frames).
    assert tool.main([small['npz'], str(out), '--clip-seconds', '1',
                      '--stride-seconds', '0.5', '--split', 'train', 'S1',
                      'S5', '--split', 'val', 'S8', '--split', 'test', 'S9',
                      '--no-progress']) == 0
    printed = capsys.readouterr().out
    assert 'clips of 25 frames at 25 Hz, one every 12 frames' in printed
    assert "skipped: ['S9']" in printed

    data = load(out)
    # 60 / 45 / 50 / 30 frames at 25 Hz -> 3 / 2 / 3 / 1 clips.
    names = [a['frame_dir'] for a in data['annotations']]
    assert names == [
        'S1_Eating_2_000000', 'S1_Eating_2_000024', 'S1_Walking_1_000000',
        'S1_Walking_1_000024', 'S1_Walking_1_000048',
        'S5_SittingDown_1_000000', 'S5_SittingDown_1_000024',
        'S5_SittingDown_1_000048', 'S8_Walking_2_000000']
    assert data['split'] == dict(train=names[:8], val=names[8:], test=[])

    anno = data['annotations'][3]  # S1 Walking 1, from 50 Hz frame 24
    assert set(anno) == {'frame_dir', 'label', 'keypoint', 'total_frames'}
    assert anno['label'] == H36M_ACTIONS.index('Walking')
    assert anno['keypoint'].dtype == np.float32
    assert anno['keypoint'].shape == (1, 25, 17, 3)
    assert anno['total_frames'] == 25
    np.testing.assert_array_equal(
        anno['keypoint'][0], small['positions']['S1']['Walking 1'][24:74:2])
    assert data['annotations'][5]['label'] == H36M_ACTIONS.index(
        'SittingDown')

    label_map = out.parent / 'clips_label_map.txt'
    assert label_map.read_text().splitlines() == list(H36M_ACTIONS)
    assert H36M_ACTIONS == tuple(sorted(H36M_ACTIONS))
    report = inspect_skeleton_data(data)
    assert report.ok and report.layout == 'h36m'


def test_short_sequence_32_joints_and_default_splits(tmp_path):
    full = motion(30, 4, joints=32)
    npz = write_npz(tmp_path / 'p.npz', {'S9': {'Phoning': full}})
    result = convert_h36m_action_clips(
        npz, str(tmp_path / 'c.pkl'), fps=10, clip_seconds=4,
        label_map=str(tmp_path / 'names.txt'), show_progress=False)
    # 6 frames at 10 Hz: one clip shorter than 4 s; S9 is a test subject.
    assert result.split_sizes == dict(train=0, val=0, test=1)
    assert result.skipped_subjects == ['S1', 'S11', 'S5', 'S6', 'S7', 'S8']
    assert (result.fps, result.clip_frames) == (10, 40)
    anno = load(result.out)['annotations'][0]
    assert anno['total_frames'] == 6
    np.testing.assert_array_equal(anno['keypoint'][0],
                                  full[::5][:, JOINTS_32_TO_17])
    assert result.label_map == str(tmp_path / 'names.txt')


def test_frame_arithmetic():
    assert frame_step(25) == 2 and frame_step(10) == 5 and frame_step(50) == 1
    for fps in (0, 20, 30, 100):
        with pytest.raises(ValueError, match='must divide'):
            frame_step(fps)
    assert clip_starts(100, 40, 20) == [0, 20, 40, 60]
    assert clip_starts(40, 40, 20) == [0]
    assert clip_starts(10, 40, 20) == [0]
    assert clip_starts(0, 40, 20) == []


@pytest.mark.parametrize('positions,message', [
    ({'S1': {'Dancing 1': motion(50, 0)}}, "unknown Human3.6M action"),
    ({'S1': {'Walking 1': motion(50, 0, joints=16)}},
     r'S1 / Walking 1: expected \(T, 17 or 32, 3\)'),
    ({'S1': {'Walking 1': np.full((50, 17, 3), np.nan, np.float32)}},
     'S1 / Walking 1: NaN/inf joint positions'),
])
def test_malformed_input_names_the_file(positions, message, tmp_path,
                                        load_tool, capsys):
    npz = write_npz(tmp_path / 'bad.npz', positions)
    with pytest.raises(ConversionError, match=message) as info:
        convert_h36m_action_clips(npz, str(tmp_path / 'o.pkl'),
                                  show_progress=False)
    assert npz in str(info.value)
    tool = load_tool('h36m_mocap_to_action_pkl')
    assert tool.main([npz, str(tmp_path / 'o.pkl'), '--no-progress']) == 1
    err = capsys.readouterr().err
    assert err.startswith('error: ') and npz in err
    assert not (tmp_path / 'o.pkl').exists()


def test_bad_options_and_files(small, tmp_path, load_tool, capsys):
    out = str(tmp_path / 'o.pkl')
    with pytest.raises(ValueError, match='S1 is in splits'):
        convert_h36m_action_clips(small['npz'], out,
                                  splits=[('a', ['S1']), ('b', ['S1'])])
    with pytest.raises(ValueError, match='nothing to convert'):
        convert_h36m_action_clips(small['npz'], out,
                                  splits=[('train', ['S7'])])
    with pytest.raises(ValueError, match='must divide'):
        convert_h36m_action_clips(small['npz'], out, fps=30)

    tool = load_tool('h36m_mocap_to_action_pkl')
    missing = str(tmp_path / 'missing.npz')
    assert tool.main([missing, out, '--no-progress']) == 1
    assert missing in capsys.readouterr().err
    not_npz = tmp_path / 'x.npz'
    not_npz.write_text('not an npz')
    assert tool.main([str(not_npz), out, '--no-progress']) == 1
    assert str(not_npz) in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.main([small['npz'], out, '--split', 'train'])
    assert '--split needs a name and at least one subject' in \
        capsys.readouterr().err


def test_real_motion_capture(shared_path, tmp_path):
    npz = shared_path('h36m_mocap', 'data_3d_h36m_mocap.npz')
    result = convert_h36m_action_clips(npz, str(tmp_path / 'h36m.pkl'),
                                       show_progress=False)
    data = load(result.out)
    assert result.skipped_subjects == ['S11', 'S9']  # held back
    assert result.split_sizes == dict(train=2277, val=608, test=0)
    annos = {a['frame_dir']: a for a in data['annotations']}
    for split in ('train', 'val'):
        labels = Counter(annos[n]['label'] for n in data['split'][split])
        assert sorted(labels) == list(range(15))  # every class in both
    assert {n.split('_')[0] for n in data['split']['val']} == {'S8'}

    anno = annos['S8_Walking_1_000100']
    with np.load(npz, allow_pickle=True) as f:
        source = f['positions_3d'].item()['S8']['Walking 1']
    assert anno['keypoint'].shape == (1, 100, 17, 3)
    np.testing.assert_array_equal(anno['keypoint'][0], source[100:300:2])
    # metres, world frame with Z up: feet near the floor, head above them
    kp = anno['keypoint'][0]
    assert np.all(kp[:, 10, 2] - kp[:, [3, 6], 2].min(1) > 1.3)
    assert abs(np.median(kp[:, [3, 6], 2])) < 0.2
