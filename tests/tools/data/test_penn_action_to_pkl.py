"""tools/data/penn_action_to_pkl.py and its converter module."""
import os.path as osp
import pickle
import shutil
from collections import Counter

import numpy as np
import pytest
from scipy.io import loadmat, savemat

from mmups.datasets.converters.common import stratified_split
from mmups.datasets.formats import ConversionError
from mmups.datasets.converters.penn_action import (PENN_ACTIONS,
                                                   convert_penn_action,
                                                   read_penn_mat)


def load(path) -> dict:
    """Unpickle a file."""
    with open(path, 'rb') as f:
        return pickle.load(f)


def test_subset(shared_path, tmp_path, load_tool, capsys):
    src = shared_path('penn_action', 'labels')
    out = tmp_path / 'penn.pkl'
    label_map = tmp_path / 'penn_action.txt'
    tool = load_tool('penn_action_to_pkl')
    assert tool.main([src, str(out), '--limit', '40', '--no-progress',
                      '--label-map', str(label_map)]) == 0
    assert 'wrote 40 annotations' in capsys.readouterr().out
    data = load(out)
    assert len(data['annotations']) == 40
    assert label_map.read_text().splitlines() == list(PENN_ACTIONS)

    anno = data['annotations'][0]
    mat = loadmat(osp.join(src, f'{anno["frame_dir"]}.mat'))
    num_frames = mat['x'].shape[0]
    assert set(anno) == {'frame_dir', 'label', 'keypoint', 'keypoint_score',
                         'img_shape', 'original_shape', 'total_frames'}
    assert anno['keypoint'].shape == (1, num_frames, 13, 2)
    assert anno['keypoint'].dtype == np.float32
    np.testing.assert_allclose(anno['keypoint'][0, ..., 0], mat['x'],
                               rtol=1e-6)
    np.testing.assert_allclose(anno['keypoint'][0, ..., 1], mat['y'],
                               rtol=1e-6)
    np.testing.assert_array_equal(anno['keypoint_score'][0],
                                  mat['visibility'])
    assert anno['total_frames'] == num_frames
    assert anno['img_shape'] == tuple(int(v) for v in mat['dimensions'][0,
                                                                        :2])
    assert PENN_ACTIONS[anno['label']] == str(mat['action'][0])
    # every shared clip is an official training clip
    assert len(data['split']['train']) == 40 and data['split']['test'] == []


def test_full_train_split_is_stratified(shared_path, tmp_path):
    src = shared_path('penn_action', 'labels')
    out = str(tmp_path / 'penn.pkl')
    convert_penn_action(src, out, val_fraction=0.2, seed=0,
                        show_progress=False)
    data = load(out)
    annos = data['annotations']
    assert len(annos) == 1258
    assert Counter(a['label'] for a in annos).keys() == set(range(15))
    split = data['split']
    train_sub, val_sub = set(split['train_sub']), set(split['val_sub'])
    assert not train_sub & val_sub
    assert train_sub | val_sub == set(split['train'])
    label = {a['frame_dir']: a['label'] for a in annos}
    per_class = Counter(label[n] for n in split['train'])
    val_per_class = Counter(label[n] for n in val_sub)
    for c, n in per_class.items():
        assert 0 < val_per_class[c] < n  # each class in both parts
        assert val_per_class[c] == round(0.2 * n)

    # the split depends on the seed only, not on the listing order
    names = [a['frame_dir'] for a in annos]
    labels = [a['label'] for a in annos]
    again = stratified_split(names[::-1], labels[::-1], 0.2, seed=0)
    assert again == (split['train_sub'], split['val_sub'])
    other = stratified_split(names, labels, 0.2, seed=1)
    assert other[1] != split['val_sub']

    # the checker is happy with the result
    from mmups.datasets.converters.skeleton_pkl import inspect_skeleton_data
    report = inspect_skeleton_data(data)
    assert report.ok, report.problems
    assert report.layout == 'penn_action' and report.labels == (0, 14, 15)


def test_official_test_clips_and_bad_files(shared_path, tmp_path, load_tool,
                                           capsys):
    src = shared_path('penn_action', 'labels')
    work = tmp_path / 'labels'
    work.mkdir()
    for name in ('0002.mat', '0003.mat'):
        shutil.copy(osp.join(src, name), work / name)
    clip = loadmat(osp.join(src, '0002.mat'))
    clip = {k: v for k, v in clip.items() if not k.startswith('__')}
    clip['train'] = np.array([[-1]], dtype=np.int32)  # an official test clip
    savemat(str(work / '1500.mat'), clip)

    data_out = str(tmp_path / 'o.pkl')
    convert_penn_action(str(work), data_out, show_progress=False)
    split = load(data_out)['split']
    assert split['train'] == ['0002', '0003'] and split['test'] == ['1500']
    assert sorted(split['train_sub'] + split['val_sub']) == ['0002', '0003']

    # corrupt file: the error names it
    corrupt = work / '0004.mat'
    corrupt.write_bytes(b'MATLAB 5.0 MAT-file' + bytes(50))
    tool = load_tool('penn_action_to_pkl')
    assert tool.main([str(work), data_out, '--no-progress']) == 1
    err = capsys.readouterr().err
    assert str(corrupt) in err and 'cannot read MATLAB file' in err

    del clip['x']
    savemat(str(corrupt), clip)
    with pytest.raises(ConversionError, match=r"0004.mat: missing fields "
                       r"\['x'\]"):
        read_penn_mat(str(corrupt))
