"""Building a trained UPS model for inference."""
import os.path as osp
from typing import Optional, Union

import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmups.registry import MODELS
from mmups.tasks import resolve_tasks
from mmups.utils import register_all_modules


class CheckpointMismatchError(RuntimeError):
    """A checkpoint does not fit the model its config builds."""


def _load_config(config: Union[str, Config]) -> Config:
    if isinstance(config, Config):
        return config
    if not osp.isfile(config):
        raise FileNotFoundError(f'Config file {config} does not exist.')
    return Config.fromfile(config)


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device] = 'cpu',
               cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the model of a config and load a checkpoint into it.

    Args:
        config: config file or ``Config``.
        checkpoint: checkpoint file (mmengine format) or None for the
            initial weights.
        device: where the model goes, e.g. ``'cpu'`` or ``'cuda:0'``.
        cfg_options: overrides merged into the config first.

    Returns:
        The model in evaluation mode, with ``model.cfg`` set to the config.

    Raises:
        FileNotFoundError: the config or checkpoint file is missing.
        CheckpointMismatchError: the checkpoint's weights do not match the
            model (missing or unexpected keys, or shapes that differ), e.g.
            a checkpoint of another config.
    """
    register_all_modules(init_default_scope=False)
    cfg = _load_config(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    resolve_tasks(cfg)  # the model's tasks may come from the declarations
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'Checkpoint {checkpoint} does not exist.')
        _load_strict(model, checkpoint, cfg.filename or '<config>')
    model.cfg = cfg
    return model.to(device).eval()


def _load_strict(model: torch.nn.Module, checkpoint: str,
                 config_name: str) -> None:
    """Load ``checkpoint`` into ``model``, refusing any mismatch."""
    try:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True,
                        revise_keys=[(r'^module\.', '')])
    except RuntimeError as err:
        text = str(err)
        if 'size mismatch' in text or 'key(s) in state_dict' in text:
            details = '\n'.join(line.strip() for line in text.splitlines()
                                if line.strip())
            raise CheckpointMismatchError(
                f'Checkpoint {checkpoint} does not fit the model of '
                f'{config_name}; was it trained with another config?\n'
                f'{details[:2000]}') from err
        raise RuntimeError(
            f'Could not load checkpoint {checkpoint}: {err}') from err
    except Exception as err:  # truncated or not a checkpoint at all
        raise RuntimeError(
            f'Could not read checkpoint {checkpoint} '
            f'({type(err).__name__}: {err}); is the file complete?') from err
