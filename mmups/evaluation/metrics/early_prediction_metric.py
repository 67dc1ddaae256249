"""Early action prediction accuracy per observation ratio."""
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmaction.evaluation import mean_class_accuracy, top_k_accuracy
from mmengine.evaluator import BaseMetric

from mmups.registry import METRICS


def format_ratio(ratio: float, decimals: int = 2) -> str:
    """Name of an observation ratio in metric names: 0.2 -> ``'0.2'``,
    0.25 -> ``'0.25'``, 1 -> ``'1.0'``."""
    text = f'{ratio:.{decimals}f}'.rstrip('0')
    return text + '0' if text.endswith('.') else text


@METRICS.register_module()
class EarlyPredictionMetric(BaseMetric):
    """Accuracy of early action prediction, per observation ratio.

    Every sample must carry ``obs_ratio`` (the observed fraction of its
    sequence, in (0, 1]) besides ``pred_score`` and ``gt_label``. Samples are
    grouped by the ratio rounded to ``decimals``; in each group the accuracy
    is computed with MMAction2's ``top_k_accuracy`` (and
    ``mean_class_accuracy``).

    Output names (fractions in [0, 1], as MMAction2's ``AccMetric``):

    * ``top{k}@{ratio}``, e.g. ``top1@0.2``, ``top1@0.4``, ...;
    * ``mean1@{ratio}`` with ``mean_class=True``;
    * ``top{k}_mean`` (and ``mean1_mean``): the mean over the observed
      ratios, every ratio weighted equally (the area-under-curve style
      summary of early prediction).

    Args:
        topk: k values of the top-k accuracy.
        mean_class: also report the mean class accuracy.
        decimals: decimals the ratios are rounded to before grouping.
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: prefix of the output names.
    """

    default_prefix: Optional[str] = 'eap'

    def __init__(self,
                 topk: Union[int, Sequence[int]] = (1, ),
                 mean_class: bool = False,
                 decimals: int = 2,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk: Tuple[int, ...] = (topk, ) if isinstance(topk, int) \
            else tuple(topk)
        if not self.topk or any(k < 1 for k in self.topk):
            raise ValueError(f'topk must be positive integers, got {topk}.')
        self.mean_class = mean_class
        self.decimals = decimals

    def process(self, data_batch: Optional[Sequence[dict]],
                data_samples: Sequence[dict]) -> None:
        """Store score, label and rounded observation ratio of each sample.

        Raises:
            KeyError: a sample has no ``obs_ratio``.
            ValueError: ``obs_ratio`` is outside (0, 1] or the label is not a
                single class.
        """
        for sample in data_samples:
            ratio = sample.get('obs_ratio')
            if ratio is None:
                where = sample.get('frame_dir', sample.get('sample_idx'))
                raise KeyError(
                    f'EarlyPredictionMetric: a sample (task '
                    f'{sample.get("task")!r}, id {where!r}) has no '
                    '"obs_ratio" metainfo; early action prediction samples '
                    'must record the observed fraction of the sequence.')
            ratio = float(ratio)
            if not 0. < ratio <= 1.:
                raise ValueError(f'obs_ratio must be in (0, 1], got {ratio}.')
            label = torch.as_tensor(sample['gt_label']).reshape(-1)
            if label.numel() != 1:
                raise ValueError('EarlyPredictionMetric needs single-label '
                                 f'samples, got gt_label {label.tolist()}.')
            score = torch.as_tensor(sample['pred_score'])
            self.results.append(dict(
                pred=score.detach().cpu().numpy(),
                label=int(label.item()),
                ratio=round(ratio, self.decimals)))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Accuracies per observation ratio and their means."""
        groups: Dict[float, List[dict]] = defaultdict(list)
        for result in results:
            groups[result['ratio']].append(result)
        metrics: Dict[str, float] = {}
        summary: Dict[str, List[float]] = defaultdict(list)
        for ratio in sorted(groups):
            preds = [r['pred'] for r in groups[ratio]]
            labels = [r['label'] for r in groups[ratio]]
            name = format_ratio(ratio, self.decimals)
            values = dict(zip((f'top{k}' for k in self.topk),
                              top_k_accuracy(preds, labels, self.topk)))
            if self.mean_class:
                values['mean1'] = mean_class_accuracy(preds, labels)
            for key, value in values.items():
                metrics[f'{key}@{name}'] = float(value)
                summary[key].append(float(value))
        for key, values in summary.items():
            metrics[f'{key}_mean'] = float(np.mean(values))
        return metrics
