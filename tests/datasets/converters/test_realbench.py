"""mmups.datasets.converters.realbench: the realbench files from shared
data."""
import os
import os.path as osp
import pickle
from collections import Counter

import numpy as np
import pytest

from mmups.datasets.converters.h36m import H36M_ACTIONS
from mmups.datasets.converters.penn_action import PENN_ACTIONS
from mmups.datasets.converters.realbench import (OUTPUTS,
                                                 QUICK_CLIPS_PER_CLASS,
                                                 QUICK_PE_FRAMES,
                                                 prepare_realbench_data,
                                                 spread_subset)


def load(path) -> dict:
    """Unpickle a file."""
    with open(path, 'rb') as f:
        return pickle.load(f)


def test_missing_shared_data_names_the_folder(tmp_path):
    missing = tmp_path / 'nowhere'
    with pytest.raises(FileNotFoundError, match=str(missing)):
        prepare_realbench_data(str(missing), str(tmp_path / 'out'))
    (tmp_path / 'shared' / 'penn_action' / 'labels').mkdir(parents=True)
    with pytest.raises(FileNotFoundError) as info:
        prepare_realbench_data(str(tmp_path / 'shared'),
                               str(tmp_path / 'out'))
    assert str(tmp_path / 'shared' / 'h36m_mocap') in str(info.value)
    assert not (tmp_path / 'out').exists()


def test_spread_subset_keeps_classes_evenly():
    names = [f'c{k}_{i}' for k in range(2) for i in range(10)]
    data = dict(split=dict(train=names[:8] + names[10:18],
                           val=names[8:10] + names[18:], all=names),
                annotations=[dict(frame_dir=n, label=int(n[1]))
                             for n in names])
    small = spread_subset(data, dict(train=3, val=1))
    assert small['split']['train'] == ['c0_0', 'c0_4', 'c0_7', 'c1_0',
                                       'c1_4', 'c1_7']
    assert small['split']['val'] == ['c0_8', 'c1_8']
    assert small['split']['all'] == sorted(small['split']['train'] +
                                           small['split']['val'])
    assert [a['frame_dir'] for a in small['annotations']] == \
        small['split']['all']


def test_quick_files(shared_data, tmp_path):
    out = str(tmp_path / 'quick')
    paths = prepare_realbench_data(shared_data, out, quick=True)
    assert paths['out_root'] == out
    for key, rel in OUTPUTS.items():
        assert paths[key] == osp.join(out, rel) and osp.exists(paths[key])

    with open(paths['penn_label_map']) as f:
        assert f.read().splitlines() == list(PENN_ACTIONS)
    with open(paths['h36m_action_label_map']) as f:
        assert f.read().splitlines() == list(H36M_ACTIONS)
    for key, splits in (('penn_ann_file', ('train_sub', 'val_sub')),
                        ('h36m_action_ann_file', ('train', 'val'))):
        data = load(paths[key])
        labels = {a['frame_dir']: a['label'] for a in data['annotations']}
        for split, count in zip(splits, QUICK_CLIPS_PER_CLASS):
            per_class = Counter(labels[n] for n in data['split'][split])
            assert per_class == {k: count for k in range(15)}, (key, split)

    views = {}
    for split in ('train', 'val'):
        with np.load(paths[f'h36m_pe_{split}']) as f:
            imgnames = f['imgname']
        # one camera; every 5th frame of the chosen frames of each take
        first, count = QUICK_PE_FRAMES[split]
        assert {n.split('.')[1][:8] for n in imgnames} == {'54138969'}
        views[split] = {n.split('/')[0] for n in imgnames}
        assert len(imgnames) % (count // 5) == 0
    assert views == dict(train={'S1'}, val={'S8'})

    # Everything is there: a second call writes nothing.
    stamps = {k: os.stat(paths[k]).st_mtime_ns for k in OUTPUTS}
    assert prepare_realbench_data(shared_data, out, quick=True) == paths
    assert stamps == {k: os.stat(paths[k]).st_mtime_ns for k in OUTPUTS}
    # Other Human3.6M splits: the action clips are made again, Penn Action
    # is kept; nothing is left of the temporary folders (the parts' lock
    # files stay).
    prepare_realbench_data(shared_data, out, quick=True,
                           h36m_splits=[('train', ['S1', 'S5']),
                                        ('val', ['S6'])])
    data = load(paths['h36m_action_ann_file'])
    assert {n.split('_')[0] for n in data['split']['val']} == {'S6'}
    assert os.stat(paths['penn_ann_file']).st_mtime_ns == \
        stamps['penn_ann_file']
    parts = ['h36m_actions', 'h36m_mocap', 'penn_action']
    assert sorted(os.listdir(out)) == sorted(
        parts + [f'.{p}.lock' for p in parts])
