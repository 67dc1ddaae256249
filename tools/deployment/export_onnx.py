"""Export what UPS inference runs for a task as ONNX graphs.

Writes the encoder (joint tokenizer + the task's route through the routed
encoder), the decoder's once-per-batch part and one decoder step with its
key/value cache, each checked by ``onnx.checker``, with ``layouts.npz`` and
``manifest.json`` beside them (``mmups/deployment/``). The directory then
runs with ``tools/infer.py ... --backend onnxruntime --onnx-dir DIR``.

Examples::

    python tools/deployment/export_onnx.py configs/ups/ups_demo.py \\
        work_dirs/ups_demo/iter_600.pth --task ar3d --out work_dirs/onnx/ar3d
    # every task of the model, into work_dirs/onnx/<task>
    python tools/deployment/export_onnx.py CONFIG CKPT --task all \\
        --out work_dirs/onnx
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional

from mmengine.config import DictAction

from mmups.apis import CheckpointMismatchError, init_model
from mmups.deployment import DEFAULT_OPSET, export_onnx


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export the ONNX graphs of UPS inference for a task')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--task', required=True,
                        help='a task of the model (e.g. ar3d, pe3d), or '
                        '"all": every task, each into OUT/<task>')
    parser.add_argument('--out', required=True, help='export directory')
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET,
                        help=f'ONNX opset, 17..20 (default {DEFAULT_OPSET})')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> Dict[str, dict]:
    """Export; returns the manifest of each exported task."""
    args = parse_args(argv)
    model = init_model(args.config, args.checkpoint, 'cpu',
                       cfg_options=args.cfg_options)
    if args.task == 'all':
        targets = {task: osp.join(args.out, task) for task in model.tasks}
    else:
        targets = {args.task: args.out}
    manifests = {}
    for task, out_dir in targets.items():
        manifest = export_onnx(model, task, out_dir,
                               checkpoint=args.checkpoint, opset=args.opset)
        manifests[task] = manifest
        print(f'task {task} (route {manifest["route"]}, opset '
              f'{manifest["opset"]}) -> {out_dir}')
        for name, graph in manifest['graphs'].items():
            size = osp.getsize(osp.join(out_dir, graph['file']))
            print(f'  {graph["file"]:<18} {size / 2**20:7.2f} MiB  '
                  f'checked by onnx.checker')
    return manifests


if __name__ == '__main__':
    try:
        main()
    except (CheckpointMismatchError, FileNotFoundError, ValueError,
            ImportError) as err:
        print(f'error: {err}', file=sys.stderr)
        sys.exit(1)
