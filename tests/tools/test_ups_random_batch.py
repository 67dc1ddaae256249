"""The main smoke job: build a model from a config, run each task."""
import os.path as osp
import runpy
import sys

import pytest

ROOT = osp.join(osp.dirname(__file__), '..', '..')
SCRIPT = osp.join(ROOT, 'tools', 'misc', 'ups_random_batch.py')


def run(monkeypatch, *args):
    monkeypatch.setattr(sys, 'argv', [SCRIPT, *args])
    runpy.run_path(SCRIPT, run_name='__main__')


def test_runs_every_task(monkeypatch, capsys):
    run(monkeypatch, osp.join(ROOT, 'configs/_base_/models/ups_tiny.py'),
        '--frames', '8')
    out = capsys.readouterr().out
    for task in ('pe3d', 'ar2d', 'eap3d', 'ar3d'):
        assert f'== task {task}' in out
    assert out.count('train step: loss') == 4
    assert '3D pose (1, 17, 3)' in out
    assert 'top-3:' in out
    assert 'routes (selected block per encoder layer)' in out


def test_placeholder_labels(monkeypatch, capsys, tmp_path):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(
        f"_base_ = ['{osp.abspath(ROOT)}/configs/_base_/models/ups_tiny.py']\n"
        "model = dict(vocabulary=dict(label_sets=dict("
        "toy3d='missing/toy3d.txt')))\n"
        "label_set_sizes = dict(toy3d=5)\n")
    run(monkeypatch, str(cfg), '--frames', '8', '--placeholder-labels')
    out = capsys.readouterr().out
    assert "[placeholder] missing/toy3d.txt not found" in out
    assert "toy3d class" in out
    # Without the flag a missing label map is an error naming the file.
    with pytest.raises(FileNotFoundError, match='missing/toy3d.txt'):
        run(monkeypatch, str(cfg), '--frames', '8')
