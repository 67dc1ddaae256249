"""Run a trained UPS model on skeleton files.

Prints the result of every input, and with ``--out-dir`` writes it as JSON
(``results.json``) together with pictures of each input and prediction.

Examples::

    # action recognition of an NTU RGB+D clip
    python tools/infer.py configs/ups/ups_demo.py \\
        work_dirs/ups_demo/iter_600.pth S001C001P001R001A001.skeleton --task ar
    # early action prediction over the observed fraction, with pictures
    python tools/infer.py CONFIG CKPT clip.npy --task eap --out-dir out/
    # 3D poses from MMPose 2D keypoints (JSON of MMPoseInferencer)
    python tools/infer.py CONFIG CKPT video_keypoints.json --task pe \\
        --img-shape 1080 1920 --out-dir out/
    # predict over new class names (open vocabulary)
    python tools/infer.py CONFIG CKPT clip.pkl --task ar --labels mine.txt
    # the same with the ONNX export of the task, in ONNX Runtime
    python tools/infer.py CONFIG CKPT clip.pkl --task ar \\
        --backend onnxruntime --onnx-dir work_dirs/onnx/ar3d

Input formats: NumPy ``.npy`` / ``.npz``, NTU RGB+D ``.skeleton``,
MMAction2 / PYSKL annotation ``.pkl``, MMPose prediction JSON, and simple
CSV / JSON (see ``mmups/apis/inputs.py``).
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import List, Optional

import numpy as np

from mmups.apis import CheckpointMismatchError, SkeletonInputError
from mmups.apis.ups_inferencer import (BACKENDS, DEFAULT_RATIOS,
                                       UPSInferencer)
from mmups.tasks import get_task_kind
from mmups.utils.fileio import atomic_open


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Run a trained UPS model on skeleton files')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('inputs', nargs='+', help='skeleton file(s)')
    parser.add_argument('--task', default='ar',
                        help='ar, eap or pe (or a task name of the model, '
                        'e.g. ar3d)')
    parser.add_argument('--out-dir', help='write results.json and pictures '
                        'here')
    parser.add_argument('--show', action='store_true',
                        help='draw pictures (into --out-dir, default '
                        'work_dirs/infer)')
    parser.add_argument('--labels', help='label map file (one class name '
                        'per line): predict over these classes instead of '
                        'the training ones (open vocabulary)')
    parser.add_argument('--layout', help='joint layout of the inputs '
                        '(nturgb+d, openpose, coco, h36m, penn_action); '
                        'inferred from the joint count if not given')
    parser.add_argument('--img-shape', type=int, nargs=2,
                        metavar=('H', 'W'), help='frame size of 2D pixel '
                        'inputs whose file does not say it')
    parser.add_argument('--ratios', type=float, nargs='+',
                        default=list(DEFAULT_RATIOS),
                        help='observation ratios for --task eap')
    parser.add_argument('--top-k', type=int, default=5)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--device', default=None,
                        help='cpu or cuda:0 (default: CUDA if available; '
                        'the onnxruntime backend runs on the CPU)')
    parser.add_argument('--backend', default='torch', choices=BACKENDS,
                        help='what runs the networks: the PyTorch model '
                        '(default) or its ONNX export in ONNX Runtime '
                        '(needs --onnx-dir)')
    parser.add_argument('--onnx-dir', nargs='+', metavar='DIR',
                        help='with --backend onnxruntime: the export '
                        'directory of each task to run '
                        '(tools/deployment/export_onnx.py)')
    return parser.parse_args(argv)


def to_json(value):
    """Results -> JSON-serialisable values (arrays become nested lists)."""
    if isinstance(value, np.ndarray):
        return np.round(value.astype(np.float64), 2).tolist()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def describe(pred: dict) -> str:
    """A readable summary of one prediction."""
    head = f'{pred["name"] or "input"} ({pred["source"]}, layout ' \
           f'{pred["layout"]}, task {pred["task"]})'
    lines = [head] + get_task_kind(pred['task']).summarize(pred)
    return '\n'.join(lines)


def write_json(results: dict, path: str) -> None:
    """Write results as JSON (whole or not at all)."""
    with atomic_open(path) as f:
        json.dump(to_json(results), f, indent=1)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    get_task_kind(args.task)  # an unknown task fails before the model loads
    for path in args.inputs:
        if not osp.exists(path):
            raise SkeletonInputError(path, 'no such file')
    out_dir = args.out_dir or ('work_dirs/infer' if args.show else None)
    inferencer = UPSInferencer(args.config, args.checkpoint,
                               device=args.device, labels=args.labels,
                               backend=args.backend, onnx_dir=args.onnx_dir)
    results = inferencer(args.inputs, task=args.task,
                         batch_size=args.batch_size, layout=args.layout,
                         ratios=args.ratios, img_shape=args.img_shape,
                         top_k=args.top_k, out_dir=out_dir)
    for pred in results['predictions']:
        print(describe(pred))
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        path = osp.join(out_dir, 'results.json')
        write_json(dict(config=args.config, checkpoint=args.checkpoint,
                        predictions=results['predictions'],
                        pictures=results['visualization']), path)
        print(f'results: {path}')
        for files in results['visualization']:
            for file in files:
                print(f'picture: {file}')
    return results


if __name__ == '__main__':
    try:
        main()
    except (SkeletonInputError, CheckpointMismatchError, FileNotFoundError,
            ValueError, KeyError, ImportError) as err:
        print(f'error: {err}', file=sys.stderr)
        sys.exit(1)
