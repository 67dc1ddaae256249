"""tools/deployment/export_onnx.py, and tools/infer.py running its output
with --backend onnxruntime."""
import json
import os.path as osp

import numpy as np
import pytest
import torch

from mmups.apis import init_model
from mmups.datasets.demo_data import h36m_to_ntu, synthesize_motion
from mmups.deployment import ExportDirError

TOOL = 'tools/deployment/export_onnx.py'
TINY = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..',
                            'configs', '_base_', 'models', 'ups_tiny.py'))


def test_export_then_infer_with_onnxruntime(demo_model, load_script,
                                            tmp_path, capsys, onnxruntime):
    out_dir = tmp_path / 'ar3d'
    manifests = load_script(TOOL).main([*demo_model, '--task', 'ar3d',
                                        '--out', str(out_dir)])
    printed = capsys.readouterr().out
    assert f'task ar3d (route {manifests["ar3d"]["route"]}, opset 17) -> ' \
        f'{out_dir}' in printed
    for name in ('encoder.onnx', 'decoder_init.onnx', 'decoder_step.onnx'):
        assert f'{name}' in printed and (out_dir / name).is_file()
    with open(out_dir / 'manifest.json') as f:
        assert json.load(f)['weights']['checkpoint'] == demo_model[1]

    clip = tmp_path / 'clip.npy'
    np.save(clip, h36m_to_ntu(synthesize_motion(
        3, 40, np.random.default_rng(0))))
    infer = load_script('tools/infer.py')
    want = infer.main([*demo_model, str(clip), '--task', 'ar'])
    got = infer.main([*demo_model, str(clip), '--task', 'ar', '--backend',
                      'onnxruntime', '--onnx-dir', str(out_dir)])
    [a], [b] = want['predictions'], got['predictions']
    assert a['pred_label'] == b['pred_label'] and a['task'] == 'ar3d'
    np.testing.assert_allclose(b['scores'], a['scores'], rtol=0, atol=1e-4)
    # An export of one task does not run another.
    with pytest.raises(ExportDirError, match=r"no ONNX export of task "
                       r"'eap3d'.*--task eap3d"):
        infer.main([*demo_model, str(clip), '--task', 'eap', '--backend',
                    'onnxruntime', '--onnx-dir', str(out_dir)])


def test_every_task_into_its_own_directory(load_script, tmp_path, capsys,
                                           onnx):
    """--task all on the test-size model (its four tasks)."""
    torch.manual_seed(0)
    model = init_model(TINY)
    checkpoint = str(tmp_path / 'tiny.pth')
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    tool = load_script(TOOL)
    manifests = tool.main([TINY, checkpoint, '--task', 'all', '--out',
                           str(tmp_path / 'onnx'), '--opset', '18'])
    assert sorted(manifests) == sorted(model.tasks)
    for task, manifest in manifests.items():
        with open(tmp_path / 'onnx' / task / 'manifest.json') as f:
            assert json.load(f) == manifest
        assert manifest['task'] == task and manifest['opset'] == 18
    # Encoder, decoder init and step per task, and the one-pass decoder
    # of the pose task.
    assert capsys.readouterr().out.count('checked by onnx.checker') == \
        3 * len(model.tasks) + 1
    assert 'decoder_sequence' in manifests['pe3d']['graphs']
    with pytest.raises(ValueError, match="Unknown task 'pose'"):
        tool.main([TINY, checkpoint, '--task', 'pose', '--out',
                   str(tmp_path / 'pose')])
