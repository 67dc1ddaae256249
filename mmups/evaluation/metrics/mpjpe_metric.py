"""MMPose's MPJPE reported in millimetres."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmpose.evaluation.metrics import MPJPE

from mmups.registry import METRICS
from ..functional.h36m_table import H36M_ACTION_ALIASES

# Stands in for ``target_img_path`` of samples that have none, so that
# MMPose's action parsing works; its per-action entry is dropped.
_NO_ACTION = 'NoAction'
_NO_ACTION_PATH = f'S0_{_NO_ACTION}.jpg'


@METRICS.register_module()
class MPJPEMetric(MPJPE):
    """MMPose's :class:`~mmpose.evaluation.metrics.MPJPE`, with units.

    MMPose reports the error in the units of the coordinates. UPS predicts
    metres, and Human3.6M results are given in millimetres, so every value is
    multiplied by ``unit_scale`` (default 1000: metres in, **millimetres**
    out). The error itself is MMPose's (the same alignment modes and the same
    per-action grouping, read from ``target_img_path``).

    Output names (as MMPose's): ``MPJPE`` / ``P-MPJPE`` / ``N-MPJPE`` (all
    frames) and, with ``per_action``, ``MPJPE_<Action>`` (e.g.
    ``MPJPE_Walking``), one per action.

    Args:
        mode: ``'mpjpe'`` (no alignment), ``'p-mpjpe'`` (Procrustes:
            scale, rotation and translation) or ``'n-mpjpe'`` (scale).
        unit_scale: factor applied to the reported errors; 1000 turns metres
            into millimetres, 1 keeps the input units.
        per_action: also report one error per action.
        action_aliases: action name -> the name it is reported under; by
            default Human3.6M's ``TakingPhoto`` -> ``Photo`` and
            ``WalkingDog`` -> ``WalkDog``, so that each action has one exact
            (frame-weighted) entry. None keeps MMPose's names.
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: prefix of the output names.
        skip_list: ``'<subject>_<action>'`` entries to skip (MMPose's).

    Samples without ``target_img_path`` are evaluated in the overall error
    only (they have no action).
    """

    def __init__(self,
                 mode: str = 'mpjpe',
                 unit_scale: float = 1000.,
                 per_action: bool = True,
                 action_aliases: Optional[Dict[str, str]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 skip_list: Sequence[str] = ()) -> None:
        super().__init__(mode=mode, collect_device=collect_device,
                         prefix=prefix, skip_list=list(skip_list))
        self.unit_scale = float(unit_scale)
        self.per_action = per_action
        self.action_aliases = dict(H36M_ACTION_ALIASES if action_aliases
                                   is None else action_aliases)

    def process(self, data_batch: Optional[Sequence[dict]],
                data_samples: Sequence[dict]) -> None:
        """Store predictions and targets of a batch (see MMPose's MPJPE).

        ``target_img_path`` may be missing or a plain string; both are
        normalised to what MMPose's metric expects.
        """
        samples = []
        for sample in data_samples:
            path = sample.get('target_img_path')
            if not path:
                sample = dict(sample, target_img_path=[_NO_ACTION_PATH])
            elif isinstance(path, str):
                sample = dict(sample, target_img_path=[path])
            samples.append(sample)
        start = len(self.results)
        super().process(data_batch, samples)
        if self.action_aliases:
            for result in self.results[start:]:
                result['actions'] = np.array([
                    self._canonical(a) for a in result['actions']])

    def _canonical(self, action: str) -> str:
        # MMPose groups by the part before the first '_' ('Walking_1').
        category, sep, rest = action.partition('_')
        return self.action_aliases.get(category, category) + sep + rest

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """MMPose's errors, scaled by ``unit_scale``."""
        metrics = super().compute_metrics(results)
        error_name = self.mode.upper()
        metrics.pop(f'{error_name}_{_NO_ACTION}', None)
        if not self.per_action:
            metrics = {error_name: metrics[error_name]}
        return {k: float(v) * self.unit_scale for k, v in metrics.items()}
