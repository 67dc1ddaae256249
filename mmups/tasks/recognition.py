"""Action recognition: the output is one action token, then EOT_ar.

The action token is one of the sample's label set (paper section 3.3: a
class is the text embedding of its name); decoding picks the most likely
one, and the scores over the label set come from the same first step.
"""
import copy
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from mmups.registry import TASKS
from .base import TaskKind

__all__ = ['ActionRecognition']


@TASKS.register_module(name='recognition')
class ActionRecognition(TaskKind):
    """Tasks ``ar*``: the action class of a whole sequence. Samples carry
    ``gt_label`` (an index into their label set) and get ``pred_label`` and
    ``pred_score`` (softmax over the label set)."""

    name = 'recognition'
    prefix = 'ar'
    eot_prompt = 'action recognition ends here'
    uses_label_set = True
    main_metric = 'top1'
    main_metric_name = 'top-1'
    main_metric_scale = 100.

    def body_length(self, num_joints: int, num_pose_frames: int) -> int:
        return 1

    def body_masks(self, vocabulary, label_set) -> Tensor:
        mask = torch.zeros(1, vocabulary.num_tokens, dtype=torch.bool,
                           device=vocabulary.embeddings.device)
        mask[0, vocabulary.action_token_ids(label_set)] = True
        return mask

    def encode_body(self, grammar, i: int, sample) -> Tensor:
        label = int(sample.gt_label.reshape(-1)[0])
        ids = grammar.vocabulary.action_token_ids(grammar.label_sets[i])
        if not 0 <= label < len(ids):
            raise ValueError(
                f'Data sample {i}: label {label} is outside label set '
                f'{grammar.label_sets[i]!r} of {len(ids)} classes.')
        return ids[label:label + 1]

    def pack(self, results: Dict, sample, source: str) -> np.ndarray:
        """MMAction2's keys after ``PoseDecode``: ``keypoint`` (M, T, V, C),
        C = 2 or 3 (a ``keypoint_score`` is not read: 2D input gets a zero
        Z, paper 5.2), and ``label``."""
        if 'keypoint' not in results:
            raise KeyError(f'{source}: no keypoint array.')
        if 'label' not in results:
            raise KeyError(f'{source}: no label.')
        sample.set_gt_label(int(np.asarray(results['label']).reshape(-1)[0]))
        return np.asarray(results['keypoint'], dtype=np.float32)

    def random_ground_truth(self, sample, model, num_joints: int,
                            generator=None) -> None:
        num_classes = model.vocabulary.num_classes(sample.metainfo['label_set'])
        sample.set_gt_label(torch.randint(num_classes, (1, ),
                                          generator=generator))

    def predict(self, model, inputs: Tensor, samples: List,
                task: str) -> None:
        out, grammar = model.generate(inputs, samples, task)
        for j, sample in enumerate(samples):
            tokens = out['tokens'][j, :out['lengths'][j]]
            sample.pred_tokens = tokens.cpu()
            ids = model.vocabulary.action_token_ids(grammar.label_sets[j])
            score = out['first_logits'][j, ids].float().softmax(-1)
            sample.pred_score = score.cpu()
            sample.pred_label = torch.tensor([grammar.decode_label(j, tokens)])

    # ----------------------------------------------------------- inference
    def inference_ratios(self, ratios: Sequence[float]) -> Sequence:
        """The observation ratios an input is predicted at (None: whole)."""
        return (None, )

    def inference_samples(self, inferencer, sample, index: int, task: str,
                          ratios: Sequence[float],
                          img_shape: Optional[Tuple[int, int]]
                          ) -> Iterator[dict]:
        results = inferencer.annotation(sample, index, img_shape)
        for ratio in self.inference_ratios(ratios):
            pipeline = inferencer.test_pipeline(task, sample.layout, ratio)
            packed = pipeline(copy.deepcopy(results))
            packed['data_samples'].set_metainfo(dict(task=task))
            yield packed

    def inference_result(self, inferencer, preds: List, sample,
                         top_k: int) -> Dict:
        """``label_set``, ``class_names``, ``topk`` (list of ``label``,
        ``name``, ``score``), ``pred_label``, ``pred_name`` and ``scores``
        (n_cls,) over the label set."""
        label_set = preds[0].metainfo['label_set']
        names = inferencer.model.vocabulary.label_names(label_set)
        preds = sorted(preds, key=lambda p: p.metainfo.get('obs_ratio', 1.0))
        scores = np.stack([p.pred_score.numpy() for p in preds])
        labels = [int(p.pred_label) for p in preds]
        order = np.argsort(-scores[-1])[:top_k]
        result = dict(
            label_set=label_set,
            topk=[dict(label=int(k), name=names[k],
                       score=float(scores[-1, k])) for k in order],
            pred_label=labels[-1], pred_name=names[labels[-1]],
            class_names=names)
        result.update(self._scores_result(preds, scores, labels, names))
        return result

    def _scores_result(self, preds: List, scores: np.ndarray,
                       labels: List[int], names: List[str]) -> Dict:
        return dict(scores=scores[-1].tolist())

    def summarize(self, result: Dict) -> List[str]:
        lines = self._curve_lines(result)
        lines.append('  top classes' + self._top_note + ':')
        for rank, item in enumerate(result['topk'], 1):
            lines.append(f'  {rank}. {item["name"]:<30} {item["score"]:.3f}')
        return lines

    #: What the top classes of :meth:`summarize` are of.
    _top_note = ''

    def _curve_lines(self, result: Dict) -> List[str]:
        return []

    def describe_prediction(self, sample, vocabulary) -> str:
        names = vocabulary.label_names(sample.label_set)
        top = sample.pred_score.topk(min(3, len(names)))
        best = ', '.join(f'{names[k]} ({s:.3f})' for s, k in zip(
            top.values.tolist(), top.indices.tolist()))
        return (f'tokens {sample.pred_tokens.tolist()} -> '
                f'{names[int(sample.pred_label)]!r}; top-3: {best}')
