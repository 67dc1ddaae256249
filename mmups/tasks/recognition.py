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

__all__ = ['ActionRecognition', 'average_clip_scores', 'AVERAGE_CLIPS']

#: How a sample's test clips' scores are averaged (MMAction2's
#: ``average_clips`` names; UPS reads it from ``test_cfg``).
AVERAGE_CLIPS = ('prob', 'score')


def average_clip_scores(logits: Tensor, mode: str = 'prob') -> Tensor:
    """A sample's class scores from those of its K test clips, as
    MMAction2's ``BaseHead.average_clip`` forms them.

    Args:
        logits: (K, n_cls) logits of each clip over the label set.
        mode: ``'prob'``: the mean of the clips' softmax; ``'score'``: the
            mean of the logits.

    Returns:
        (n_cls,) float scores.
    """
    logits = logits.float()
    if mode == 'prob':
        return logits.softmax(-1).mean(0)
    if mode == 'score':
        return logits.mean(0)
    raise ValueError(f'average_clips must be one of {AVERAGE_CLIPS}, not '
                     f'{mode!r}.')


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
        Z, paper 5.2), and ``label``. With ``num_clips`` = K > 1 (set by
        ``UniformSampleFrames``), ``keypoint`` holds the K clips one after
        the other, (M, K * T, V, C), and the sample's input is
        (K, M, T, V, C), as MMAction2's ``FormatGCNInput`` makes it."""
        if 'keypoint' not in results:
            raise KeyError(f'{source}: no keypoint array.')
        if 'label' not in results:
            raise KeyError(f'{source}: no label.')
        sample.set_gt_label(int(np.asarray(results['label']).reshape(-1)[0]))
        keypoint = np.asarray(results['keypoint'], dtype=np.float32)
        clips = int(results.get('num_clips') or 1)
        if clips == 1:
            return keypoint
        if keypoint.ndim != 4 or keypoint.shape[1] % clips:
            raise ValueError(f'{source}: a keypoint array of shape '
                             f'{keypoint.shape} does not hold {clips} clips '
                             'of equal length (M, K * T, V, C).')
        m, frames = keypoint.shape[:2]
        return keypoint.reshape(m, clips, frames // clips,
                                *keypoint.shape[2:]).transpose(1, 0, 2, 3, 4)

    def random_ground_truth(self, sample, model, num_joints: int,
                            generator=None) -> None:
        num_classes = model.vocabulary.num_classes(sample.metainfo['label_set'])
        sample.set_gt_label(torch.randint(num_classes, (1, ),
                                          generator=generator))

    def predict(self, model, inputs: Tensor, samples: List,
                task: str) -> None:
        """``inputs``: (n, M, T, V, 3), or (n, K, M, T, V, 3) for K test
        clips per sample (MMAction2's ``num_clips``). The n * K clips are
        decoded as one batch; each sample's ``pred_score`` is its clips'
        scores averaged as ``test_cfg.average_clips`` says
        (:func:`average_clip_scores`), its ``pred_label`` their arg-max
        (with one clip: the decoded action token, the same class) and its
        ``pred_tokens`` the (L,) decoded tokens, (K, L) for K > 1."""
        clips = inputs.shape[1] if inputs.dim() == 6 else 1
        if clips > 1:
            inputs = inputs.flatten(0, 1)  # sample-major: clip k of j at jK+k
            samples_of_clips = [s for s in samples for _ in range(clips)]
        else:
            samples_of_clips = samples
        out, grammar = model.generate(inputs, samples_of_clips, task)
        mode = model.test_cfg['average_clips']
        for j, sample in enumerate(samples):
            first = j * clips
            tokens = [out['tokens'][r, :out['lengths'][r]]
                      for r in range(first, first + clips)]
            ids = model.vocabulary.action_token_ids(grammar.label_sets[first])
            score = average_clip_scores(
                out['first_logits'][first:first + clips][:, ids], mode)
            sample.pred_score = score.cpu()
            if clips == 1:
                sample.pred_tokens = tokens[0].cpu()
                label = grammar.decode_label(first, tokens[0])
            else:
                sample.pred_tokens = torch.stack(tokens).cpu()
                label = int(score.argmax())
            sample.pred_label = torch.tensor([label])

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
