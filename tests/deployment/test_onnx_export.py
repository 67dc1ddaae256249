"""export_onnx: the graphs of every task of the demo model, checked by
onnx.checker, and the manifest that describes them."""
import json
import os.path as osp
import re
import sys

import numpy as np
import pytest
import torch

from mmups.apis import init_model
from mmups.deployment import export_onnx
from mmups.deployment.manifest import (model_config_record,
                                       weights_fingerprint)
from mmups.deployment.onnx_export import layout_keys
from mmups.tasks import get_task_kind


@pytest.fixture(scope='module')
def model(demo_model):
    return init_model(*demo_model)


def test_every_task_is_exported_checked_and_described(model, demo_onnx,
                                                      onnx):
    head = model.head
    heads = head.blocks[0].self_attn.num_heads
    head_dims = head.embed_dims // heads
    memory_dims = model.encoder.embed_dims * model.encoder.num_joints
    assert sorted(demo_onnx) == sorted(model.tasks)
    for task, out_dir in demo_onnx.items():
        with open(osp.join(out_dir, 'manifest.json')) as f:
            manifest = json.load(f)
        assert manifest['task'] == task
        assert manifest['route'] == model.get_routes()[task]
        assert manifest['opset'] == 17
        graphs = manifest['graphs']
        for graph in graphs.values():
            path = osp.join(out_dir, graph['file'])
            onnx.checker.check_model(path, full_check=True)
            proto = onnx.load(path)
            assert proto.opset_import[0].version == 17
        # Dynamic batch, person, frame and joint axes; fixed channels.
        encoder = graphs['encoder']
        assert encoder['inputs'] == dict(
            joints=['N', 'M', 'T', 'V', 3], graphs=[3, 3, 'V', 'V'],
            slots=['V'])
        assert encoder['outputs'] == dict(memory=['N', 'S', memory_dims],
                                          memory_mask=['N', 'S'])
        init = graphs['decoder_init']
        assert init['inputs']['vocab_table'] == [
            'K', model.vocabulary.table_dims]
        assert init['outputs']['start_embed'] == ['N', 1, head.embed_dims]
        step = graphs['decoder_step']
        for i in range(len(head.blocks)):
            for what in ('key', 'value'):
                assert step['inputs'][f'cross_{what}_{i}'] == [
                    'N', heads, 'S', head_dims]
                assert step['inputs'][f'past_{what}_{i}'] == [
                    'N', heads, 'P', head_dims]
                assert step['outputs'][f'present_{what}_{i}'] == [
                    'N', heads, 'P + 1', head_dims]
        assert step['outputs']['logits'] == ['N', 'K']
        # The one-pass decoder, for the kinds that emit coordinates.
        emits = get_task_kind(task).emits_coordinates
        assert ('decoder_sequence' in graphs) == emits
        if emits:
            sequence = graphs['decoder_sequence']
            assert sequence['inputs']['input_embeds'] == [
                'N', 'L', head.embed_dims]
            assert sequence['outputs']['logits'] == ['N', 'L', 'K']
        assert manifest['decoder'] == dict(
            num_blocks=len(head.blocks), num_heads=heads,
            head_dims=head_dims, embed_dims=head.embed_dims,
            max_length=head.max_length)
        vocab = manifest['vocabulary']
        assert vocab['num_base_tokens'] == model.vocabulary.num_base_tokens
        assert vocab['label_sets'] == ['demo']
        assert manifest['weights']['fingerprint'] == weights_fingerprint(
            model)
        assert manifest['config']['model']['head'] == model.cfg.model.head


def test_the_encoder_graph_holds_the_tasks_route_only(model, demo_onnx,
                                                      onnx):
    """Each task's encoder graph has the weights of the block its route
    picks in each layer, and no other block's."""
    routes = model.get_routes()
    assert len({tuple(r) for r in routes.values()}) > 1  # routes differ
    for task, out_dir in demo_onnx.items():
        proto = onnx.load(osp.join(out_dir, 'encoder.onnx'))
        blocks = set()
        for init in proto.graph.initializer:
            found = re.match(r'.*encoder\.layers\.(\d+)\.(\d+)\.', init.name)
            if found:
                blocks.add((int(found.group(1)), int(found.group(2))))
        assert blocks == set(enumerate(routes[task])), task


def test_layout_data_is_the_tokenizers(model, demo_onnx):
    tokenizer = model.tokenizer
    with np.load(osp.join(demo_onnx['ar3d'], 'layouts.npz')) as data:
        for name in tokenizer.layouts:
            graphs, slots = (data[k] for k in layout_keys(name))
            np.testing.assert_array_equal(
                graphs, tokenizer.layout_graphs(name).detach().numpy())
            np.testing.assert_array_equal(
                slots, tokenizer.layout_slots(name).numpy())


def test_bad_arguments_are_refused(model, tmp_path, onnx):
    with pytest.raises(ValueError, match=r"Unknown task 'ar9d'.*ar3d"):
        export_onnx(model, 'ar9d', str(tmp_path))
    with pytest.raises(ValueError, match='opset 12 is outside'):
        export_onnx(model, 'ar3d', str(tmp_path), opset=12)
    bare = init_model(model.cfg)
    cfg = bare.cfg
    del bare.cfg
    with pytest.raises(ValueError, match='needs the config of the model'):
        export_onnx(bare, 'ar3d', str(tmp_path))
    manifest = export_onnx(bare, 'ar3d', str(tmp_path), cfg=cfg)
    assert manifest['config']['model'] == model_config_record(cfg.model)


def test_a_missing_onnx_package_is_named(model, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'onnx', None)  # import onnx fails
    with pytest.raises(ImportError, match=r"ONNX export needs the package "
                       r"'onnx'.*pip install onnx==.*requirements/optional"):
        export_onnx(model, 'ar3d', str(tmp_path))


def test_the_exported_graphs_compute_what_the_model_does(model, demo_onnx,
                                                         onnxruntime):
    """Each graph on its own, at other sizes than the export's example
    (batch, persons, frames, joints, memory, vocabulary, cache)."""
    from mmups.deployment.graphs import (DecoderInitGraph, DecoderStepGraph,
                                         EncoderGraph)
    out_dir = demo_onnx['eap3d']

    def run(name, *args):
        session = onnxruntime.InferenceSession(
            osp.join(out_dir, f'{name}.onnx'),
            providers=['CPUExecutionProvider'])
        names = [i.name for i in session.get_inputs()]
        return session.run(None, {n: a.numpy() for n, a in zip(names, args)})

    tokenizer = model.tokenizer
    generator = torch.Generator().manual_seed(1)
    joints = torch.randn(3, 1, 11, 13, 3, generator=generator)
    joints[1] = 0  # an empty sample
    args = (joints, tokenizer.layout_graphs('penn_action').detach(),
            tokenizer.layout_slots('penn_action'))
    with torch.no_grad():
        memory, mask = EncoderGraph(model, 'eap3d')(*args)
        got_memory, got_mask = run('encoder', *args)
        np.testing.assert_allclose(got_memory, memory.numpy(), atol=1e-4)
        np.testing.assert_array_equal(got_mask, mask.numpy())

        table = torch.cat([model.vocabulary.token_table(),
                           torch.randn(2, model.vocabulary.table_dims,
                                       generator=generator)])
        want = DecoderInitGraph(model, 'eap3d')(memory, table)
        got = run('decoder_init', memory, table)
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b.numpy(), atol=1e-4)

        start, vocab_embed, *cross = want
        past = [torch.randn(3, k.shape[1], 5, k.shape[3],
                            generator=generator) for k in cross]
        args = (start, torch.tensor([5]), mask, vocab_embed, *cross, *past)
        want = DecoderStepGraph(model.head)(*args)
        got = run('decoder_step', *args)
        assert got[1].shape == (3, cross[0].shape[1], 6, cross[0].shape[3])
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b.numpy(), atol=1e-4)
