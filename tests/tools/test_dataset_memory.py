"""tools/analysis/dataset_memory.py: synthetic data of the real shapes,
measured in fresh processes and extrapolated by the slope."""
import os
import os.path as osp
import pickle

import pytest
from mmengine.config import Config

from mmups.tasks import resolve_tasks

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


@pytest.fixture
def tool(load_script):
    return load_script('tools/analysis/dataset_memory.py')


def _row(task, scale, added, peak, samples):
    return dict(task=task, loader='train', scale=scale, added_mb=added,
                peak_mb=peak, serialised_mb=added / 2, samples=samples)


def test_the_slope_drops_what_does_not_grow_with_the_data(tool):
    # 300 MB of imports on first use plus 1 GB per full dataset.
    small = [_row('ar2d', 0.01, 300 + 10.24, 300 + 20.48, 2404)]
    large = [_row('ar2d', 0.02, 300 + 20.48, 300 + 40.96, 4809)]
    [full] = tool.extrapolate(small, large)
    assert full['scale'] == 1.0
    assert full['added_mb'] == pytest.approx(1024)
    assert full['peak_mb'] == pytest.approx(2048)
    assert full['serialised_mb'] == pytest.approx(512)
    assert full['samples'] == 240500
    text = tool.report([full, dict(full, loader='val')], base_mb=512)
    # Built one after the other: the peak is the second's transient on top
    # of the first.
    assert 'All datasets: 2.0 GB per process, 3.0 GB at the peak' in text
    with pytest.raises(SystemExit, match='did not grow'):
        tool.extrapolate(large, large)


def test_synthetic_files_follow_the_config_and_the_real_sizes(
        tool, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = resolve_tasks(Config.fromfile(
        osp.join(ROOT, 'configs', 'ups', 'ups_all_ntu120_xsub.py')))
    # No Human3.6M here (its converter run is the slow part).
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.datasets.pop('pe3d')
    scale = tool.make_synthetic(cfg, 0.001)
    assert scale == {'data/skeleton/ntu120_3d.pkl': 0.001,
                     'data/kinetics400/k400_openpose18_2d.pkl': 0.001}
    with open('data/skeleton/ntu120_3d.pkl', 'rb') as f:
        ntu = pickle.load(f)
    assert len(ntu['annotations']) == 114  # 113,945 clips x 0.001
    assert set(ntu['split']) == {'xsub_train', 'xsub_val'}
    assert len(ntu['split']['xsub_val']) == 38  # every third clip
    assert {a['keypoint'].shape[1:] for a in ntu['annotations']} == {
        (70, 25, 3)}
    with open('data/kinetics400/k400_openpose18_2d.pkl', 'rb') as f:
        k400 = pickle.load(f)
    assert {k: len(v) for k, v in k400['split'].items()} == dict(
        train=240, val=20)
    assert 'keypoint' not in k400['annotations'][0]  # one file per clip
    clips = os.listdir('data/kinetics400/kpfiles_openpose18')
    assert len(clips) == 260
    with open(osp.join('data/kinetics400/kpfiles_openpose18', clips[0]),
              'rb') as f:
        assert pickle.load(f)['keypoint'].shape == (2, 300, 18, 2)
