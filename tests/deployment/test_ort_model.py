"""ONNXRuntimeUPS: the exported graphs of every task kind of the demo model
predict what the PyTorch model predicts, at any batch size, frame count,
person count and joint layout; export directories that do not fit are
refused with the directory and the reason."""
import copy
import json
import os.path as osp
import shutil
import sys

import numpy as np
import pytest
import torch

from mmups.apis import init_model
from mmups.deployment import ExportDirError, ONNXRuntimeUPS
from mmups.tasks import get_task_kind
from mmups.testing import random_pose_batch

#: A task of each kind of the demo model, and the joint layouts of its
#: batches (two layouts: one batch mixes them).
TASK_LAYOUTS = dict(ar3d=('nturgb+d', ), ar2d=('coco', 'openpose'),
                    eap3d=('nturgb+d', ), pe3d=('h36m', ), fp3d=('h36m', ))


@pytest.fixture(scope='module')
def model(demo_model):
    return init_model(*demo_model)


def batch_of(model, task, layouts, num, frames, seed):
    """A random batch of ``num`` samples per layout of ``task``."""
    generator = torch.Generator().manual_seed(seed)
    parts = [random_pose_batch(model, task, num, frames, layout=layout,
                               generator=generator) for layout in layouts]
    return dict(inputs=[x for p in parts for x in p['inputs']],
                data_samples=[s for p in parts for s in p['data_samples']])


def assert_same_predictions(want, got):
    """Identical tokens; scores or 3D joints within 1e-4."""
    worst = 0.
    for a, b in zip(want, got):
        assert torch.equal(a.pred_tokens, b.pred_tokens)
        if 'pred_score' in a:
            assert int(a.pred_label) == int(b.pred_label)
            diff = (a.pred_score - b.pred_score).abs().max()
        else:
            diff = np.abs(a.pred_instances.keypoints -
                          b.pred_instances.keypoints).max()
        worst = max(worst, float(diff))
    assert worst <= 1e-4
    return worst


@pytest.mark.parametrize('task', list(TASK_LAYOUTS))
def test_every_task_kind_predicts_as_pytorch(model, demo_onnx, onnxruntime,
                                             task, monkeypatch):
    """Batches of 1 and 3 samples (per layout) of 9 and 16 frames. The
    demo's pose read-out (expectation, root at 0, flip test: 2n windows
    decoded at once) and hidden coordinate inputs run as in PyTorch."""
    runner = ONNXRuntimeUPS(model, demo_onnx[task])
    batches = [batch_of(model, task, TASK_LAYOUTS[task], 1, 9, seed=0),
               batch_of(model, task, TASK_LAYOUTS[task], 3, 16, seed=1)]
    want = [model.test_step(copy.deepcopy(b)) for b in batches]

    # ONNX Runtime runs the networks: the PyTorch ones are not called.
    def refuse(*args, **kwargs):
        raise AssertionError('a PyTorch network ran')
    for module in (model.tokenizer, model.encoder, model.head):
        monkeypatch.setattr(module, 'forward', refuse)
    monkeypatch.setattr(model.head, 'run_blocks', refuse)
    # Which decoder graphs run: a pose in one pass of decoder_sequence.onnx
    # (as PyTorch's parallel decoding), an action token by token.
    runs = []
    export = runner._export(task)
    for name, session in export.sessions.items():
        monkeypatch.setattr(session, 'run', lambda *a, _n=name, _r=(
            session.run), **k: (runs.append(_n), _r(*a, **k))[1])
    for batch, expected in zip(batches, want):
        runs.clear()
        got = runner.test_step(copy.deepcopy(batch))
        assert len(got) == len(expected)
        assert_same_predictions(expected, got)
        if get_task_kind(task).emits_coordinates:
            assert runs.count('decoder_sequence') == 1, runs
            assert 'decoder_step' not in runs
        else:
            assert runs.count('decoder_step') == 2, runs


def test_one_runner_serves_several_tasks(model, demo_onnx, onnxruntime):
    runner = ONNXRuntimeUPS(model, [demo_onnx['ar3d'], demo_onnx['pe3d']])
    mixed = batch_of(model, 'ar3d', ('nturgb+d', ), 2, 12, seed=2)
    pose = batch_of(model, 'pe3d', ('h36m', ), 2, 9, seed=3)
    # Batches of one task each; persons differ between the tasks' inputs.
    for batch in (mixed, pose):
        assert_same_predictions(model.test_step(copy.deepcopy(batch)),
                                runner.test_step(copy.deepcopy(batch)))
    with pytest.raises(ExportDirError, match=r"no ONNX export of task "
                       r"'eap3d'.*--task eap3d"):
        runner.test_step(batch_of(model, 'eap3d', ('nturgb+d', ), 1, 8, 0))


def test_new_class_names_are_scored_as_in_pytorch(demo_model, demo_onnx,
                                                  onnxruntime):
    """The open vocabulary: tokens added at inference reach the exported
    decoder through its vocabulary input."""
    model = init_model(*demo_model)
    runner = ONNXRuntimeUPS(model, demo_onnx['ar3d'])
    # As UPSInferencer(labels=...) does, after the export was checked.
    model.vocabulary.add_label_set('new', ['jump up', 'juggling balls',
                                           'reading'])
    batch = batch_of(model, 'ar3d', ('nturgb+d', ), 2, 12, seed=4)
    for sample in batch['data_samples']:
        sample.set_metainfo(dict(label_set='new'))
        sample.set_gt_label(0)
    want = model.test_step(copy.deepcopy(batch))
    assert want[0].pred_score.shape == (3, )
    assert_same_predictions(want, runner.test_step(copy.deepcopy(batch)))


@pytest.fixture
def copy_of(demo_onnx, tmp_path):
    """``copy_of(task, name)``: a copy of the task's export directory
    (named ``name``, default the task's)."""
    def make(task, name=None):
        return shutil.copytree(demo_onnx[task], str(tmp_path / (name or task)))
    return make


def edit_manifest(export_dir, change):
    path = osp.join(export_dir, 'manifest.json')
    with open(path) as f:
        manifest = json.load(f)
    change(manifest)
    with open(path, 'w') as f:
        json.dump(manifest, f)


def test_directories_that_do_not_fit_are_refused(model, demo_model, copy_of,
                                                 tmp_path, onnxruntime):
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(ExportDirError, match=r'nowhere does not exist'):
        ONNXRuntimeUPS(model, missing)
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ExportDirError, match=r'empty has no manifest.json'):
        ONNXRuntimeUPS(model, str(tmp_path / 'empty'))

    incomplete = copy_of('ar3d', 'incomplete')
    (tmp_path / 'incomplete' / 'decoder_step.onnx').unlink()
    with pytest.raises(ExportDirError,
                       match=r'incomplete: decoder_step.onnx, listed in its '
                       r'manifest.json, is missing'):
        ONNXRuntimeUPS(model, incomplete)

    older = copy_of('ar2d')
    edit_manifest(older, lambda m: m.update(version=0))
    with pytest.raises(ExportDirError, match='format version 0'):
        ONNXRuntimeUPS(model, older)
    foreign = copy_of('ar2d', 'foreign')
    edit_manifest(foreign, lambda m: m.update(format='other'))
    with pytest.raises(ExportDirError, match='foreign.manifest.json is not '
                       'the manifest of an mmups ONNX export'):
        ONNXRuntimeUPS(model, foreign)
    broken = copy_of('ar2d', 'broken')
    edit_manifest(broken, lambda m: m.pop('graphs'))
    with pytest.raises(ExportDirError, match='does not list the files'):
        ONNXRuntimeUPS(model, broken)

    other_config = copy_of('eap3d')
    edit_manifest(other_config, lambda m: m['config']['model']['head'].update(
        embed_dims=64))
    with pytest.raises(ExportDirError, match=r'eap3d was exported for another'
                       r' config .*differ in head.embed_dims'):
        ONNXRuntimeUPS(model, other_config)

    other_task = copy_of('pe3d')
    edit_manifest(other_task, lambda m: m.update(task='pe2d'))
    with pytest.raises(ExportDirError, match=r"exported for task 'pe2d', "
                       r"which the model of this config does not have"):
        ONNXRuntimeUPS(model, other_task)

    changed = copy.deepcopy(model)
    with torch.no_grad():
        changed.head.logit_scale += 0.1
    with pytest.raises(ExportDirError, match=r'fp3d was exported from other '
                       r'weights \(checkpoint .*random.pth\).*other.pth'):
        ONNXRuntimeUPS(changed, copy_of('fp3d'), checkpoint='other.pth')

    with pytest.raises(ExportDirError, match=r"are both exports of task "
                       r"'ar3d'"):
        ONNXRuntimeUPS(model, [copy_of('ar3d', 'one'), copy_of('ar3d')])


def test_a_layout_without_data_is_named(model, copy_of, onnxruntime):
    export_dir = copy_of('ar2d')
    runner = ONNXRuntimeUPS(model, export_dir)
    del runner.exports['ar2d'].layouts['openpose']
    batch = batch_of(model, 'ar2d', ('openpose', ), 1, 8, seed=0)
    with pytest.raises(ExportDirError, match=r"no data of joint layout "
                       r"'openpose'"):
        runner.test_step(batch)


def test_a_missing_onnxruntime_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)
    with pytest.raises(ImportError, match=r"ONNX Runtime inference needs the "
                       r"package 'onnxruntime'.*pip install onnxruntime=="
                       r".*requirements/optional.txt"):
        ONNXRuntimeUPS(None, 'any_dir')


def test_own_start_embedding_is_exported(demo_model, tmp_path, onnxruntime):
    """With ``start_token='own'`` the decoder starts from the task's own
    start embedding, not its tau: the export follows the model."""
    from mmups.deployment import export_onnx
    model = init_model(*demo_model, cfg_options={'model.start_token': 'own'})
    with torch.no_grad():
        model.start_embeddings.add_(
            torch.randn(model.start_embeddings.shape,
                        generator=torch.Generator().manual_seed(0)))
    export_onnx(model, 'ar3d', str(tmp_path), checkpoint=demo_model[1])
    runner = ONNXRuntimeUPS(model, str(tmp_path))
    batch = batch_of(model, 'ar3d', ('nturgb+d', ), 3, 12, seed=5)
    want = model.test_step(copy.deepcopy(batch))
    assert_same_predictions(want, runner.test_step(copy.deepcopy(batch)))
    # The scores do depend on the start embedding.
    tau = init_model(*demo_model).test_step(copy.deepcopy(batch))
    assert not all(torch.allclose(a.pred_score, b.pred_score)
                   for a, b in zip(want, tau))
