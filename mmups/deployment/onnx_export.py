"""Export what UPS inference runs for one task as ONNX graphs.

``export_onnx`` writes into one directory per task:

* ``encoder.onnx``, ``decoder_init.onnx``, ``decoder_step.onnx``: the
  graphs of :mod:`mmups.deployment.graphs`, with dynamic batch, person,
  frame and joint axes (and memory, vocabulary and cache lengths);
* ``layouts.npz``: each tokenizer layout's graphs and canonical slots, the
  encoder's layout inputs;
* ``manifest.json`` (:mod:`mmups.deployment.manifest`).

Exporter: PyTorch's TorchScript-based exporter (``torch.onnx.export(...,
dynamo=False)``). With torch 2.13 and onnxscript 0.7.2 the torch.export-based
exporter took 41-55 s for the demo encoder (the TorchScript one 2.5 s), and
ONNX Runtime 1.32 refused the encoder graph it made at the example's own
shapes (an Add and an Expand with mismatched dimensions); the graphs
traced here match PyTorch to about 1e-5 at other shapes than the example's.
"""
import json
import os
import os.path as osp
import warnings
from typing import Any, Dict, Optional, Tuple

import numpy as np
import torch
from torch import Tensor, nn

from mmups.tasks import get_task_kind
from .graphs import (DecoderInitGraph, DecoderSequenceGraph,
                     DecoderStepGraph, EncoderGraph,
                     decoder_cache_names)
from .manifest import (MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_VERSION,
                       model_config_record, weights_fingerprint)
from .optional import import_optional

#: Default ONNX opset (LayerNormalization is an operator from 17 on); the
#: TorchScript exporter writes opsets up to 20.
DEFAULT_OPSET = 17
OPSET_RANGE = (17, 20)
#: File names in an export directory.
GRAPH_FILES = dict(encoder='encoder.onnx', decoder_init='decoder_init.onnx',
                   decoder_step='decoder_step.onnx',
                   decoder_sequence='decoder_sequence.onnx')
LAYOUTS_FILE = 'layouts.npz'
#: Sizes of the made-up example the graphs are traced with: every dynamic
#: axis larger than 1, so that the tracer keeps none of them fixed.
_EXAMPLE = dict(batch=2, persons=2, frames=8, positions=2)


def layout_keys(layout: str) -> Tuple[str, str]:
    """Keys of a layout's graphs and slots in ``layouts.npz``."""
    return f'graphs:{layout}', f'slots:{layout}'


def _dims(value_info) -> list:
    """An ONNX value's shape: ints, and names for the dynamic axes."""
    return [d.dim_param or d.dim_value
            for d in value_info.type.tensor_type.shape.dim]


def _export_graph(module: nn.Module, args: Tuple[Tensor, ...], path: str,
                  axes: Dict[str, Dict[int, str]], opset: int) -> dict:
    """Trace ``module`` on ``args`` into ``path``, check it with
    ``onnx.checker`` and return its inputs' and outputs' shapes.

    The tracer cannot tell which sizes are the example's: each output axis
    not named in ``axes`` is written with the example's (fixed) size, in
    place of the name it makes up for a computed size.
    """
    onnx = import_optional('onnx', 'ONNX export')
    names_in, names_out = list(module.input_names), list(module.output_names)
    with torch.no_grad():
        outputs = module(*args)
    with warnings.catch_warnings():
        # The tracer warns where it iterates over fixed-size tensors (the
        # layers' graphs, the SEM's two offsets) and on the deprecation of
        # this exporter; the dynamic axes are checked by the tests.
        warnings.filterwarnings('ignore', category=torch.jit.TracerWarning)
        warnings.filterwarnings('ignore', category=DeprecationWarning)
        torch.onnx.export(module, args, path, input_names=names_in,
                          output_names=names_out, dynamic_axes=axes,
                          opset_version=opset, do_constant_folding=True,
                          dynamo=False)
    graph = onnx.load(path)
    for value, tensor in zip(graph.graph.output, outputs):
        named = axes.get(value.name, {})
        for i, dim in enumerate(value.type.tensor_type.shape.dim):
            if i not in named:
                dim.dim_value = tensor.shape[i]
    onnx.save(graph, path)
    onnx.checker.check_model(path, full_check=True)
    return dict(
        file=osp.basename(path),
        inputs={v.name: _dims(v) for v in graph.graph.input},
        outputs={v.name: _dims(v) for v in graph.graph.output})


def export_onnx(model: nn.Module, task: str, out_dir: str,
                checkpoint: Optional[str] = None,
                opset: int = DEFAULT_OPSET,
                cfg: Optional[Any] = None) -> Dict[str, Any]:
    """Export the graphs UPS inference runs for ``task`` into ``out_dir``.

    Args:
        model: a UPS model; put in evaluation mode and exported on its
            device.
        task: one of ``model.tasks``.
        out_dir: the export directory (created; its files are replaced).
        checkpoint: the checkpoint the model was loaded from, recorded in
            the manifest.
        opset: ONNX opset, in :data:`OPSET_RANGE`.
        cfg: the config the model was built from, recorded in the
            manifest; default ``model.cfg`` (set by
            ``mmups.apis.init_model``).

    Returns:
        The manifest (also written to ``out_dir/manifest.json``).
    """
    onnx = import_optional('onnx', 'ONNX export')
    kind = get_task_kind(task)
    if task not in model.tasks:
        raise ValueError(f'Unknown task {task!r}: this model is configured '
                         f'for tasks {list(model.tasks)}.')
    cfg = cfg if cfg is not None else getattr(model, 'cfg', None)
    if cfg is None:
        raise ValueError('export_onnx needs the config of the model for '
                         'the manifest: pass cfg, or build the model with '
                         'mmups.apis.init_model (which sets model.cfg)')
    if not OPSET_RANGE[0] <= opset <= OPSET_RANGE[1]:
        raise ValueError(f'opset {opset} is outside the range the exporter '
                         f'writes, {OPSET_RANGE[0]}..{OPSET_RANGE[1]}')
    model.eval()
    os.makedirs(out_dir, exist_ok=True)
    tokenizer, head = model.tokenizer, model.head
    device = head.pos_embed.device
    layout = tokenizer.layouts[0]
    graphs = tokenizer.layout_graphs(layout).detach()
    slots = tokenizer.layout_slots(layout)
    ex = _EXAMPLE
    generator = torch.Generator().manual_seed(0)
    joints = torch.randn(ex['batch'], ex['persons'], ex['frames'],
                         len(slots), tokenizer.in_channels,
                         generator=generator).to(device)
    joints[-1, -1] = 0  # an absent person: the memory mask depends on it

    encoder = EncoderGraph(model, task).eval()
    with torch.no_grad():
        memory, memory_mask = encoder(joints, graphs, slots)
    batch_memory = {0: 'N', 1: 'S'}
    records = {}
    records['encoder'] = _export_graph(
        encoder, (joints, graphs, slots),
        osp.join(out_dir, GRAPH_FILES['encoder']),
        dict(joints={0: 'N', 1: 'M', 2: 'T', 3: 'V'},
             graphs={2: 'V', 3: 'V'}, slots={0: 'V'},
             memory=batch_memory, memory_mask=batch_memory), opset)

    init = DecoderInitGraph(model, task).eval()
    table = model.vocabulary.token_table()
    with torch.no_grad():
        start, vocab_embed, *cross = init(memory, table)
    num_blocks = len(head.blocks)
    cross_names = decoder_cache_names(num_blocks, 'cross')
    cache_axes = {name: {0: 'N', 2: 'S'} for name in cross_names}
    records['decoder_init'] = _export_graph(
        init, (memory, table), osp.join(out_dir, GRAPH_FILES['decoder_init']),
        dict(memory=batch_memory, vocab_table={0: 'K'}, start_embed={0: 'N'},
             vocab_embed={0: 'K'}, **cache_axes), opset)

    step = DecoderStepGraph(head).eval()
    past = [torch.randn(ex['batch'], *k.shape[1:2], ex['positions'],
                        *k.shape[3:], generator=generator).to(device)
            for k in cross]
    position = torch.tensor([ex['positions']], device=device)
    step_axes = dict(input_embed={0: 'N'}, memory_mask=batch_memory,
                     vocab_embed={0: 'K'}, logits={0: 'N', 1: 'K'},
                     **cache_axes)
    step_axes.update({name: {0: 'N', 2: 'P'}
                      for name in decoder_cache_names(num_blocks, 'past')})
    step_axes.update({name: {0: 'N', 2: 'P + 1'}
                      for name in decoder_cache_names(num_blocks, 'present')})
    records['decoder_step'] = _export_graph(
        step, (start, position, memory_mask, vocab_embed, *cross, *past),
        osp.join(out_dir, GRAPH_FILES['decoder_step']), step_axes, opset)

    # The decoder in one pass over inputs known in advance (UPS'
    # parallel_decoding), for the kinds whose sequences may be decoded so.
    if kind.emits_coordinates:
        sequence = DecoderSequenceGraph(head).eval()
        embeds = torch.randn(ex['batch'], ex['positions'], start.shape[-1],
                             generator=generator).to(device)
        records['decoder_sequence'] = _export_graph(
            sequence, (embeds, memory_mask, vocab_embed, *cross),
            osp.join(out_dir, GRAPH_FILES['decoder_sequence']),
            dict(input_embeds={0: 'N', 1: 'L'}, memory_mask=batch_memory,
                 vocab_embed={0: 'K'}, logits={0: 'N', 1: 'L', 2: 'K'},
                 **cache_axes), opset)

    layouts = {}
    for name in tokenizer.layouts:
        graph_key, slot_key = layout_keys(name)
        layouts[graph_key] = tokenizer.layout_graphs(name).detach().cpu(
        ).numpy().astype(np.float32)
        layouts[slot_key] = tokenizer.layout_slots(name).cpu().numpy()
    np.savez(osp.join(out_dir, LAYOUTS_FILE), **layouts)

    attention = head.blocks[0].self_attn
    vocabulary = model.vocabulary
    manifest = dict(
        format=MANIFEST_FORMAT, version=MANIFEST_VERSION,
        task=task, task_kind=kind.name, route=encoder.route,
        opset=opset, exporter='torch.onnx.export (TorchScript, dynamo=False)',
        versions=dict(torch=torch.__version__, onnx=onnx.__version__),
        graphs=records,
        layouts=dict(file=LAYOUTS_FILE, names=list(tokenizer.layouts),
                     num_joints={n: int(len(layouts[layout_keys(n)[1]]))
                                 for n in tokenizer.layouts},
                     keys='graphs:<layout> (num_layers, n_sub, V, V) float32,'
                     ' slots:<layout> (V,) int64'),
        decoder=dict(num_blocks=num_blocks, num_heads=attention.num_heads,
                     head_dims=attention.head_dims,
                     embed_dims=head.embed_dims, max_length=head.max_length),
        inputs=dict(coord_dims=tokenizer.in_channels,
                    memory_tokens=model.memory_tokens,
                    prepared_by=f'{type(kind).__name__}.prepare_inputs '
                    '(in PyTorch, before the encoder graph)'),
        vocabulary=dict(
            num_tokens=vocabulary.num_tokens,
            num_base_tokens=vocabulary.num_base_tokens,
            table_dims=vocabulary.table_dims,
            label_sets=vocabulary.label_set_names,
            read_from='the vocabulary and TaskGrammar of the model built '
            'from the config and checkpoint (UnifiedVocabulary: token '
            'table, label sets, coordinate bins, EOT tokens), as in '
            'PyTorch inference'),
        config=dict(file=cfg.filename,
                    model=model_config_record(cfg.model)),
        weights=dict(checkpoint=checkpoint,
                     fingerprint=weights_fingerprint(model)))
    with open(osp.join(out_dir, MANIFEST_FILE), 'w', encoding='utf-8') as f:
        json.dump(manifest, f, indent=1)
    return manifest
