"""tools/analysis/coord_range.py on the quick realbench data."""
import os.path as osp

import numpy as np

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


def test_prints_the_range_of_the_training_targets(shared_data, tmp_path,
                                                   monkeypatch, capsys,
                                                   load_script):
    from mmups.datasets.converters.realbench import prepare_realbench_data
    root = str(tmp_path / 'quick')
    prepare_realbench_data(shared_data, root, quick=True)
    monkeypatch.setenv('MMUPS_REALBENCH_ROOT', root)
    tool = load_script('tools/analysis/coord_range.py')
    ranges = tool.main([
        osp.join(ROOT, 'configs', 'realbench', 'ups_realbench_all.py'),
        '--max-samples', '300', '--coverage', '0.99'])
    out = capsys.readouterr().out
    assert 'pe3d: 300 of' in out and 'coord_ranges=' in out
    # Root-relative camera-frame joints in metres: a body around its pelvis.
    assert ranges.shape == (3, 2)
    assert (ranges[:, 0] < -0.2).all() and (ranges[:, 1] > 0.2).all()
    assert (np.abs(ranges) < 1.2).all()
