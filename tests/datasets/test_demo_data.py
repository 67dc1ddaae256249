import pickle

import numpy as np
import pytest

from mmups.datasets.demo_data import (DEMO_ACTIONS, h36m_to_coco,
                                      h36m_to_ntu, make_mocap,
                                      prepare_demo_data, synthesize_motion)


def test_motions_are_deterministic_and_distinct():
    a = synthesize_motion(3, 40, np.random.default_rng(5))
    b = synthesize_motion(3, 40, np.random.default_rng(5))
    assert a.shape == (40, 17, 3) and np.array_equal(a, b)
    # Class structure: the mean per-joint motion energy differs by class.
    energy = []
    for label in range(len(DEMO_ACTIONS)):
        m = synthesize_motion(label, 40, np.random.default_rng(label))
        rel = m - m[:, :1]
        energy.append(np.abs(np.diff(rel, axis=0)).mean(0).sum(-1))
    energy = np.stack(energy)
    assert np.linalg.matrix_rank(energy, tol=1e-3) >= 6
    with pytest.raises(ValueError, match='Unknown demo action'):
        synthesize_motion(8, 10, np.random.default_rng(0))


def test_layout_conversions():
    m = synthesize_motion(0, 10, np.random.default_rng(0))
    ntu, coco = h36m_to_ntu(m), h36m_to_coco(m)
    assert ntu.shape == (10, 25, 3) and coco.shape == (10, 17, 3)
    assert np.allclose(ntu[:, 0], m[:, 0])  # spine base = pelvis
    assert np.allclose(coco[:, 5], m[:, 11])  # left shoulder


def test_prepare_demo_data(tmp_path):
    root = tmp_path / 'demo'
    paths = prepare_demo_data(str(root), num_train_per_class=2,
                              num_val_per_class=1, num_frames=12)
    with open(paths['ar3d'], 'rb') as f:
        data3d = pickle.load(f)
    with open(paths['ar2d'], 'rb') as f:
        data2d = pickle.load(f)
    assert len(data3d['split']['train']) == 2 * len(DEMO_ACTIONS)
    assert len(data3d['split']['val']) == len(DEMO_ACTIONS)
    anno = data3d['annotations'][0]
    assert anno['keypoint'].shape == (1, 12, 25, 3)
    anno = data2d['annotations'][0]
    assert anno['keypoint'].shape == (1, 12, 17, 2)
    h, w = anno['img_shape']
    k = np.concatenate([a['keypoint'] for a in data2d['annotations']])
    assert (k[..., 0] > 0).all() and (k[..., 0] < w).all()
    assert (k[..., 1] > 0).all() and (k[..., 1] < h).all()
    labels = open(paths['label_map']).read().splitlines()
    assert labels == list(DEMO_ACTIONS)
    # Second call: nothing is regenerated.
    mtime = (root / 'demo_3d.pkl').stat().st_mtime_ns
    prepare_demo_data(str(root), num_train_per_class=2, num_val_per_class=1,
                      num_frames=12)
    assert (root / 'demo_3d.pkl').stat().st_mtime_ns == mtime
    # Other options (a config change): the stale data is generated again.
    prepare_demo_data(str(root), num_train_per_class=2, num_val_per_class=2,
                      num_frames=12)
    with open(paths['ar3d'], 'rb') as f:
        assert len(pickle.load(f)['split']['val']) == 2 * len(DEMO_ACTIONS)


def test_mocap_layout():
    mocap = make_mocap(dict(S1=8, S8=8), num_frames=30)
    assert set(mocap) == {'S1', 'S8'}
    assert 'WaveRightHand 1' in mocap['S1']
    assert mocap['S8']['TurnAround 1'].shape == (30, 17, 3)
