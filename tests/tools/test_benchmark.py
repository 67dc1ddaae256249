"""The speed benchmark runs end to end on the test-size model.

Functional only: timings on a shared test machine mean nothing, so no
assertion is made on speed.
"""
import json
import os.path as osp
import runpy

import pytest
import torch
from torch import nn

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
SCRIPT = osp.join(ROOT, 'tools', 'analysis', 'benchmark.py')


@pytest.fixture(scope='module')
def tool() -> dict:
    """The script's globals (``main`` etc.), loaded without running it."""
    return runpy.run_path(SCRIPT)


def test_tiny_model_every_task(tool, tmp_path, capsys):
    out, md = tmp_path / 'bench.json', tmp_path / 'bench.md'
    returned = tool['main']([
        osp.join(ROOT, 'configs/_base_/models/ups_tiny.py'), '--batch-size',
        '2', '--frames', '16', '--repeat', '1', '--warmup', '0', '--threads',
        '1', '--out', str(out), '--markdown', str(md)])
    results = json.loads(out.read_text())
    assert results['tasks'].keys() == returned['tasks'].keys()
    assert set(results['tasks']) == {'pe3d', 'ar2d', 'eap3d', 'ar3d'}
    for task, res in results['tasks'].items():
        assert res['ups']['samples_per_s'] > 0, task
        assert res['ups']['ms_per_sample'] > 0, task
        assert res['ups']['params'] > 0, task
        assert res['peer'] is not None, task
        assert res['peer']['samples_per_s'] > 0, task
        assert res['peer']['params'] > 0, task
        assert res['ratio'] > 0, task
        assert res['ups']['batch_size'] == res['peer']['batch_size'] == 2
    assert 'TCN' in results['tasks']['pe3d']['peer']['model']
    assert results['tasks']['pe3d']['ups']['tokens'] == 3 * 17 + 1
    for task in ('ar2d', 'eap3d', 'ar3d'):
        assert 'ST-GCN' in results['tasks'][task]['peer']['model']
    # 2D skeletons get MMAction2's (x, y, score) channels.
    assert results['tasks']['ar2d']['peer']['input_shape'][-1] == 3
    assert results['tasks']['ar2d']['peer']['input_shape'][-2] == 18
    assert set(results['decoding']) == {'pe3d', 'ar3d'}
    for res in results['decoding'].values():
        assert res['same_tokens'] is True
        for key in ('parallel', 'uncached'):
            assert isinstance(res[key]['speedup'], float)
            assert res[key]['speedup'] > 0 and res[key]['decode_speedup'] > 0
    assert results['decoding']['pe3d']['tokens'] == 52
    assert results['machine']['torch'] == torch.__version__
    text = md.read_text()
    assert '| task | model | batch |' in text
    assert '| pe3d | 52 |' in text
    printed = capsys.readouterr().out
    assert 'UPS decoding: in one pass where the inputs are known' in printed


def test_flops_failure_is_reported(tool):
    """A model mmengine cannot trace gets 'n/a' and the reason."""

    class Untraceable(nn.Module):

        def forward(self, x):
            raise RuntimeError('cannot trace this')

    res = tool['count_flops'](Untraceable(), lambda m, x: m(x),
                              torch.zeros(2, 3), 2)
    assert res['gflops'] is None
    assert res['note'] == 'n/a: RuntimeError: cannot trace this'


def test_unknown_task(tool):
    with pytest.raises(ValueError, match='not in the model'):
        tool['main']([osp.join(ROOT, 'configs/_base_/models/ups_tiny.py'),
                      '--tasks', 'ar9d', '--repeat', '1'])


def test_backends_side_by_side(tool, tmp_path, capsys):
    """--backend torch onnxruntime: UPS exported and timed in ONNX Runtime
    next to PyTorch on the same batch, emitting the same tokens."""
    pytest.importorskip('onnxruntime')
    md = tmp_path / 'bench.md'
    results = tool['main']([
        osp.join(ROOT, 'configs/_base_/models/ups_tiny.py'), '--batch-size',
        '2', '--frames', '16', '--repeat', '1', '--warmup', '0', '--threads',
        '1', '--tasks', 'pe3d', 'ar3d', '--backend', 'torch', 'onnxruntime',
        '--markdown', str(md)])
    assert set(results['backends']) == {'pe3d', 'ar3d'}
    for task, res in results['backends'].items():
        assert res['same_tokens'] is True, task
        assert res['speedup'] == pytest.approx(
            res['torch']['ms_per_sample'] /
            res['onnxruntime']['ms_per_sample']), task
        assert res['torch']['batch_size'] == 2
    # ST-GCN exported as MMAction2 exports it, beside UPS.
    gcn = results['backends']['ar3d']
    assert gcn['peer_same_scores'] is True and 'ST-GCN' in gcn['peer']
    assert gcn['ratio_onnxruntime'] == pytest.approx(
        gcn['peer_onnxruntime']['ms_per_sample'] /
        gcn['onnxruntime']['ms_per_sample'])
    assert 'peer_onnxruntime' not in results['backends']['pe3d']
    assert '| task | ms/sample PyTorch | ms/sample ONNX Runtime |' in (
        md.read_text())
    assert 'UPS in PyTorch and in ONNX Runtime' in capsys.readouterr().out
    # Without the option nothing is exported.
    results = tool['main']([
        osp.join(ROOT, 'configs/_base_/models/ups_tiny.py'), '--batch-size',
        '1', '--frames', '16', '--repeat', '1', '--warmup', '0', '--tasks',
        'ar3d'])
    assert results['backends'] == {}


def test_streaming_updates(tool, tmp_path, monkeypatch):
    """--streaming: each early-prediction task's update of one sample of
    --frames frames, timed for UPS, its peer and (with onnxruntime) UPS in
    ONNX Runtime; the budget column follows the measured latency."""
    pytest.importorskip('onnxruntime')
    md = tmp_path / 'bench.md'
    results = tool['main']([
        osp.join(ROOT, 'configs/_base_/models/ups_tiny.py'), '--frames',
        '12', '--repeat', '2', '--warmup', '0', '--threads', '1', '--tasks',
        'eap3d', 'ar3d', '--streaming', '--backend', 'torch', 'onnxruntime',
        '--markdown', str(md)])
    assert set(results['streaming']) == {'eap3d'}  # early prediction only
    res = results['streaming']['eap3d']
    assert res['frames'] == 12 and 'ST-GCN' in res['peer_model']
    for key in ('ups', 'peer', 'onnxruntime'):
        assert res[key]['batch_size'] == 1
        assert res[key]['ms_per_sample'] > 0
    assert res['within_budget'] == (
        res['ups']['ms_per_sample'] <= tool['STREAM_BUDGET_MS'])
    assert '| eap3d | 12 |' in md.read_text()

    # Every update runs UPS on one sample of the stream's frames.
    shapes = []
    model_cls = type(tool['build_ups'](osp.join(
        ROOT, 'configs/_base_/models/ups_tiny.py'))[0])
    predict = model_cls.predict
    monkeypatch.setattr(model_cls, 'predict', lambda self, x, s: (
        shapes.append(tuple(x.shape)), predict(self, x, s))[1])
    results = tool['main']([
        osp.join(ROOT, 'configs/_base_/models/ups_tiny.py'), '--frames',
        '12', '--repeat', '2', '--warmup', '1', '--tasks', 'eap3d',
        '--streaming'])
    stream = [s for s in shapes if s[0] == 1]
    assert len(stream) == 3 and all(s[2] == 12 for s in stream)
    assert 'onnxruntime' not in results['streaming']['eap3d']


def test_baseline_options_side_by_side(tool, monkeypatch):
    """--baseline-options: a second UPS with those settings timed against
    UPS on the same batch, per task; it is built with them (here: decoding
    step by step, so its pe3d decoder runs once per token)."""
    passes = []
    from mmups.models.heads import SequenceHead
    decode = SequenceHead._decode
    monkeypatch.setattr(SequenceHead, '_decode', lambda self, x, *a, **k: (
        passes.append(x.shape[1]), decode(self, x, *a, **k))[1])
    results = tool['main']([
        osp.join(ROOT, 'configs/_base_/models/ups_tiny.py'), '--batch-size',
        '2', '--repeat', '1', '--warmup', '0', '--threads', '1', '--tasks',
        'pe3d', '--baseline-options', 'model.parallel_decoding=False'])
    res = results['baseline']['tasks']['pe3d']
    assert results['baseline']['options'] == {
        'model.parallel_decoding': False}
    assert res['speedup'] == pytest.approx(
        res['baseline']['ms_per_sample'] / res['ups']['ms_per_sample'])
    # UPS decodes in one pass of 52 positions, the baseline 52 passes of 1.
    assert passes.count(52) >= 1 and passes.count(1) >= 52
