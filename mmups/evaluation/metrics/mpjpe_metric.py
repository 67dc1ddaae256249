"""MMPose's MPJPE reported in millimetres."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmpose.evaluation.metrics import MPJPE

from mmups.datasets.converters.h36m import H36M_ACTION_ALIASES
from mmups.registry import METRICS

#: Suffix of the action-averaged error (``MPJPE_avg``).
ACTION_MEAN = 'avg'

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
    ``MPJPE_Walking``), one per action, and ``MPJPE_avg``, the mean of the
    per-action errors: the Human3.6M protocol's headline (every action
    weighted equally, as in the "Avg" column of the paper's Tables 3-4),
    where ``MPJPE`` weights every frame equally.

    Args:
        mode: ``'mpjpe'`` (no alignment), ``'p-mpjpe'`` (Procrustes:
            scale, rotation and translation) or ``'n-mpjpe'`` (scale).
        unit_scale: factor applied to the reported errors; 1000 turns metres
            into millimetres, 1 keeps the input units.
        per_action: also report one error per action.
        action_aliases: action name -> the name it is reported under; by
            default the Human3.6M class names of the converters
            (``H36M_ACTION_ALIASES``: ``Photo`` -> ``TakingPhoto``,
            ``WalkingDog`` -> ``WalkDog``), so that each action has one
            exact (frame-weighted) entry. ``{}`` keeps MMPose's names.
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: prefix of the output names.
        skip_list: ``'<subject>_<action>'`` entries to skip (MMPose's).
        baseline: score the ground-truth entry ``gt_instances.<baseline>``
            of every sample instead of its prediction, e.g.
            ``'zero_velocity_pose'`` (future pose prediction's "repeat the
            last pose"): a baseline's error beside the model's (give it a
            ``prefix``, e.g. ``'zero_velocity'``, so that the two differ).

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
                 skip_list: Sequence[str] = (),
                 baseline: Optional[str] = None) -> None:
        super().__init__(mode=mode, collect_device=collect_device,
                         prefix=prefix, skip_list=list(skip_list))
        self.baseline = baseline
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
            if self.baseline is not None:
                gt = sample['gt_instances']
                if self.baseline not in gt:
                    raise KeyError(
                        f'MPJPEMetric(baseline={self.baseline!r}): the '
                        f'samples of task {sample.get("task")!r} have no '
                        f'gt_instances.{self.baseline} (they have '
                        f'{sorted(gt)})')
                sample = dict(sample, pred_instances=dict(
                    sample['pred_instances'], keypoints=gt[self.baseline]))
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
        flat_errors = None
        if self.mode == 'p-mpjpe':
            results, flat_errors = _set_aside_degenerate(results)
        metrics = super().compute_metrics(results)
        if flat_errors is not None:
            _add_degenerate_errors(metrics, results, flat_errors,
                                   self.mode.upper())
        error_name = self.mode.upper()
        metrics.pop(f'{error_name}_{_NO_ACTION}', None)
        if not self.per_action:
            metrics = {error_name: metrics[error_name]}
        else:
            per_action = [v for k, v in metrics.items()
                          if k.startswith(error_name + '_')]
            if per_action:
                metrics[f'{error_name}_{ACTION_MEAN}'] = float(
                    np.mean(per_action))
        return {k: float(v) * self.unit_scale for k, v in metrics.items()}


# A predicted pose whose joints all coincide (an untrained model's constant
# output) has no rotation or scale for Procrustes alignment to estimate, and
# MMPose's alignment divides by its zero spread (NaN). Its best similarity
# transform has scale 0 and puts every joint on the target's centroid, so its
# P-MPJPE is the target joints' mean distance from their centroid. Such
# frames are evaluated here and given to MMPose as exact predictions (error
# 0), and their errors are added back to its joint-weighted means.


def _set_aside_degenerate(results: List[dict], eps: float = 1e-12):
    """Replace predictions without spread by their targets.

    Returns:
        (results, errors): results with those frames' predictions replaced,
        and per result the (F, V) Procrustes errors of the replaced frames
        (zeros elsewhere), or None where no frame was replaced.
    """
    out, errors = [], []
    for result in results:
        pred, gt = result['pred_coords'], result['gt_coords']
        mask = result['mask']
        spread = ((pred - pred.mean(axis=-2, keepdims=True))**2).sum((-2, -1))
        flat = spread <= eps  # (F,)
        if not flat.any():
            out.append(result)
            errors.append(None)
            continue
        error = np.zeros(mask.shape, np.float64)
        for f in np.flatnonzero(flat):
            visible = gt[f][mask[f]]
            if len(visible):
                error[f] = np.linalg.norm(gt[f] - visible.mean(0), axis=-1)
        pred = np.where(flat[:, None, None], gt, pred)
        out.append(dict(result, pred_coords=pred))
        errors.append(error * mask)
    return out, errors


def _add_degenerate_errors(metrics: Dict[str, float], results: List[dict],
                           errors: List[Optional[np.ndarray]],
                           name: str) -> None:
    """Add the set-aside frames' errors to MMPose's means, which average
    over visible joints (overall and per action category)."""
    mask = np.concatenate([r['mask'] for r in results])
    error = np.concatenate([
        np.zeros(r['mask'].shape) if e is None else e
        for r, e in zip(results, errors)])
    categories = np.array([
        a.split('_')[0] for r in results for a in r['actions']])
    metrics[name] += error.sum() / max(mask.sum(), 1)
    for category in np.unique(categories):
        rows = categories == category
        metrics[f'{name}_{category}'] += \
            error[rows].sum() / max(mask[rows].sum(), 1)
