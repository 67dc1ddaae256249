"""Early action prediction: the action class of a sequence from its first
frames only (paper section 5.4). The output is that of recognition, one
action token, ended by a token of its own, EOT_eap; the observed fraction
is cut by the pipeline (``mmups.ObservationRatio``)."""
from typing import Dict, List, Sequence

import numpy as np

from mmups.registry import TASKS
from .recognition import ActionRecognition

__all__ = ['EarlyActionPrediction']


@TASKS.register_module(name='early_prediction')
class EarlyActionPrediction(ActionRecognition):
    """Tasks ``eap*``: recognition of partly observed sequences."""

    name = 'early_prediction'
    prefix = 'eap'
    eot_prompt = 'action prediction ends here'
    # Top-1 averaged over the observation ratios.
    main_metric = 'top1_mean'
    main_metric_name = 'mean top-1'
    reports_per_ratio = True

    def inference_ratios(self, ratios: Sequence[float]) -> Sequence:
        return ratios

    def _scores_result(self, preds: List, scores: np.ndarray,
                       labels: List[int], names: List[str]) -> Dict:
        """At each observation ratio: ``ratios`` (R,), ``pred_labels`` /
        ``pred_names`` (R,) and ``scores`` (R, n_cls); ``topk`` and
        ``pred_label`` are those of the last ratio."""
        return dict(ratios=[float(p.metainfo['obs_ratio']) for p in preds],
                    pred_labels=labels, pred_names=[names[k] for k in labels],
                    scores=scores.tolist())

    def inference_pictures(self, sample, result: Dict,
                           stem: str) -> List[str]:
        """The early-prediction curve."""
        from mmups import visualization as vis
        return [vis.draw_early_prediction_curve(
            result['ratios'], np.asarray(result['scores']),
            result['class_names'], f'{stem}_early_prediction.png',
            title=sample.name)]

    _top_note = ' (full sequence)'

    def _curve_lines(self, result: Dict) -> List[str]:
        lines = ['  observed  prediction']
        for ratio, name, scores, label in zip(
                result['ratios'], result['pred_names'], result['scores'],
                result['pred_labels']):
            lines.append(f'  {ratio:>7.0%}   {name} ({scores[label]:.2f})')
        return lines
