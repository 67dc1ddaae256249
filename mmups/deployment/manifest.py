"""The manifest of an ONNX export directory, and the checks that an export
fits the model it is run with.

An export directory (``mmups.deployment.export_onnx``) holds one task's
graphs, the layouts' data (``layouts.npz``) and ``manifest.json``, which
records what the runtime needs to know: the task, the files with the names
and shapes of their inputs and outputs, the opset, the decoder's sizes, the
vocabulary it was exported with and where the runtime reads the vocabulary
and grammar from, and the model config and weights it was exported from.
"""
import hashlib
import json
import os.path as osp
from typing import Any, Dict, List, Optional

import torch
from torch import nn

#: File name of the manifest in an export directory.
MANIFEST_FILE = 'manifest.json'
#: What ``manifest['format']`` says, and the version this mmups reads.
MANIFEST_FORMAT = 'mmups-onnx-export'
MANIFEST_VERSION = 1
#: Model config keys the runtime reads from the inference config itself
#: (they run in PyTorch around the graphs), so they may differ from the
#: export's; and the vocabulary's keys that say where its cache lives.
HOST_SIDE_KEYS = ('test_cfg', 'use_kv_cache', 'data_preprocessor')
VOCABULARY_CACHE_KEYS = ('cache_dir', 'rebuild_cache')


class ExportDirError(ValueError):
    """An ONNX export directory is missing, incomplete, or was made for
    another task, config or checkpoint than it is used with."""


def weights_fingerprint(model: nn.Module) -> str:
    """SHA-256 of a model's state dict (names, dtypes, shapes and values):
    the same for the same weights, wherever the checkpoint file lies."""
    digest = hashlib.sha256()
    for key, value in sorted(model.state_dict().items()):
        tensor = value.detach().cpu().contiguous()
        digest.update(f'{key} {tensor.dtype} {tuple(tensor.shape)}'.encode())
        if tensor.dtype == torch.bool:
            tensor = tensor.to(torch.uint8)
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def model_config_record(model_cfg: Any) -> Dict[str, Any]:
    """The part of a config's ``model`` that an export depends on, as JSON
    values: all of it but :data:`HOST_SIDE_KEYS` and the vocabulary's
    cache location."""
    cfg = model_cfg.to_dict() if hasattr(model_cfg, 'to_dict') else dict(
        model_cfg)
    cfg = {k: v for k, v in cfg.items() if k not in HOST_SIDE_KEYS}
    if isinstance(cfg.get('vocabulary'), dict):
        cfg['vocabulary'] = {k: v for k, v in cfg['vocabulary'].items()
                             if k not in VOCABULARY_CACHE_KEYS}
    return json.loads(json.dumps(cfg, sort_keys=True, default=str))


def config_differences(exported: Any, current: Any,
                       prefix: str = '') -> List[str]:
    """Dotted keys whose values differ between two config records."""
    if isinstance(exported, dict) and isinstance(current, dict):
        out = []
        for key in sorted(set(exported) | set(current)):
            out += config_differences(exported.get(key), current.get(key),
                                      f'{prefix}{key}.')
        return out
    return [] if exported == current else [prefix.rstrip('.')]


def read_manifest(export_dir: str) -> Dict[str, Any]:
    """The manifest of ``export_dir``, checked for format and files.

    Raises:
        ExportDirError: the directory or its manifest is missing or
            unreadable, of another format version, or a file it lists is
            missing.
    """
    if not osp.isdir(export_dir):
        raise ExportDirError(f'ONNX export directory {export_dir} does not '
                             'exist')
    path = osp.join(export_dir, MANIFEST_FILE)
    if not osp.isfile(path):
        raise ExportDirError(
            f'{export_dir} has no {MANIFEST_FILE}: it is not a directory '
            'written by tools/deployment/export_onnx.py')
    try:
        with open(path, encoding='utf-8') as f:
            manifest = json.load(f)
    except (OSError, ValueError) as err:
        raise ExportDirError(f'{path} cannot be read: {err}') from err
    if not isinstance(manifest, dict) or \
            manifest.get('format') != MANIFEST_FORMAT:
        raise ExportDirError(f'{path} is not the manifest of an mmups ONNX '
                             'export')
    if manifest.get('version') != MANIFEST_VERSION:
        raise ExportDirError(
            f'{path} has format version {manifest.get("version")!r}; this '
            f'mmups reads version {MANIFEST_VERSION}: export the model '
            'again')
    try:
        files = [g['file'] for g in manifest['graphs'].values()]
        files.append(manifest['layouts']['file'])
    except (KeyError, TypeError, AttributeError) as err:
        raise ExportDirError(f'{path} does not list the files of an export '
                             f'({type(err).__name__}: {err})') from err
    for name in files:
        if not osp.isfile(osp.join(export_dir, name)):
            raise ExportDirError(f'{export_dir}: {name}, listed in its '
                                 f'{MANIFEST_FILE}, is missing')
    return manifest


def check_export_fits(manifest: Dict[str, Any], export_dir: str,
                      model: nn.Module,
                      checkpoint: Optional[str] = None) -> None:
    """Check that the export in ``export_dir`` was made from ``model``: its
    task is one of the model's, the model configs agree (but for
    :data:`HOST_SIDE_KEYS`) and so do the weights.

    Args:
        manifest: the directory's manifest (:func:`read_manifest`).
        export_dir: the directory, for the messages.
        model: the UPS model built from the inference config and
            checkpoint (``model.cfg`` set, as ``init_model`` does).
        checkpoint: the checkpoint the model was loaded from, for the
            messages.

    Raises:
        ExportDirError: saying what differs.
    """
    task = manifest['task']
    if task not in model.tasks:
        raise ExportDirError(
            f'{export_dir} was exported for task {task!r}, which the model '
            f'of this config does not have (its tasks: {list(model.tasks)})')
    exported = manifest['config']
    cfg = getattr(model, 'cfg', None)
    if cfg is not None:
        differ = config_differences(exported['model'],
                                    model_config_record(cfg.model))
        if differ:
            shown = ', '.join(differ[:8]) + (', ...' if len(differ) > 8
                                             else '')
            raise ExportDirError(
                f'{export_dir} was exported for another config '
                f'({exported["file"]}, not {cfg.filename}): their models '
                f'differ in {shown}; export it again with this config')
    weights = manifest['weights']
    if weights['fingerprint'] != weights_fingerprint(model):
        raise ExportDirError(
            f'{export_dir} was exported from other weights '
            f'(checkpoint {weights["checkpoint"]}) than this model\'s '
            f'(checkpoint {checkpoint}); export it again from this '
            'checkpoint')
