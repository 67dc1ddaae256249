"""Task kinds, and the task names that refer to them.

A UPS task name starts with the *prefix* of its kind and may carry a free
suffix that tells tasks of one kind apart: ``ar3d`` and ``ar2d`` are two
recognition tasks, each with its own task embedding; ``eap3d``; ``pe3d``.

A task kind is one registered component (:data:`mmups.registry.TASKS`) in
one file. :class:`TaskKind` says what every kind provides; what differs
between kinds lives in its class, so that the grammar, the model, the
packing transform and the helpers ask the kind instead of testing names:

* its end-of-task (EOT) token: the prompt its embedding is made from, and
  its key in the vocabulary (the prefix);
* its output grammar: how many tokens precede the EOT, which tokens each of
  those steps allows, and a sample's target tokens (teacher forcing);
* how a pipeline's results become the model's inputs and ground truth;
* how decoded outputs become predictions.

A new kind is a subclass registered with ``@TASKS.register_module(name=...)``
and a prefix no other kind starts with (``tests/tasks/test_task_kinds.py``
adds one in a few lines).
"""
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from mmups.registry import TASKS

__all__ = ['TaskKind', 'get_task_kind', 'task_kind', 'task_index',
           'list_task_kinds', 'PAPER_TASKS']

#: The four tasks of the paper, in its training rotation order.
PAPER_TASKS = ('pe3d', 'ar2d', 'eap3d', 'ar3d')


class TaskKind:
    """What one kind of task outputs, and how its samples are packed,
    supervised and read back. Kinds are stateless: one instance serves every
    task of the kind (:func:`get_task_kind`)."""

    #: Registered name, e.g. ``'recognition'``.
    name: str = ''
    #: Start of its task names, and the key of its EOT token.
    prefix: str = ''
    #: Text of its EOT token (embedded by the vocabulary's text model).
    eot_prompt: str = ''
    #: Whether its samples name a label set of the vocabulary.
    uses_label_set: bool = False
    #: Whether its output holds coordinate tokens (X, Y, Z bins).
    emits_coordinates: bool = False
    #: Whether the inferencer, asked for this kind, picks the model's task
    #: whose name ends as the input's dimensionality ('2d', '3d').
    picks_task_by_input_dims: bool = True
    #: The joint layout an input of this kind is read in where its joint
    #: count allows it and its file does not say (None: by joint count).
    input_layout: Optional[str] = None
    #: Frames of a made-up input of this kind (random batches, speed
    #: benchmarks); None: the caller's clip length.
    window_frames: Optional[int] = None
    #: Its headline metric (a key of its task's metrics), that metric's
    #: name in tables, the factor to table units (% for fractions) and
    #: whether lower is better.
    main_metric: str = ''
    main_metric_name: str = ''
    main_metric_scale: float = 1.
    lower_is_better: bool = False
    #: Whether its metrics are also given per observation ratio
    #: (``top1@0.5``), its test pipelines observing part of each clip.
    reports_per_ratio: bool = False

    # ------------------------------------------------------------- grammar
    def body_length(self, num_joints: int, num_pose_frames: int) -> int:
        """Output tokens of one sample before its EOT.

        Args:
            num_joints: V, joints of the sample's layout.
            num_pose_frames: F, the model's target frames per pose output.
        """
        raise NotImplementedError

    def body_masks(self, vocabulary, label_set) -> Tensor:
        """(P, K) bool over the vocabulary: output step s (before the EOT)
        allows the tokens of row ``s % P``."""
        raise NotImplementedError

    def encode_body(self, grammar, i: int, sample) -> Tensor:
        """Sample i's target tokens before its EOT, (body_length,) long.

        Args:
            grammar: the batch's ``TaskGrammar`` (vocabulary, label sets,
                joints of every sample).
            i: the sample's index in the batch.
            sample: its data sample, with ground truth.
        """
        raise NotImplementedError

    def target(self, sample) -> Tensor:
        """A sample's pose target, (F, V, 3) or (V, 3), for the kinds that
        emit coordinates (``TaskGrammar.pose_target`` checks its shape)."""
        raise NotImplementedError(f'{self.name} emits no coordinates')

    # ------------------------------------------------------------- packing
    def pack(self, results: Dict, sample, source: str) -> np.ndarray:
        """A pipeline's ``results`` -> the model's inputs (M, T, V, C);
        writes the ground truth into ``sample``
        (a ``UPSDataSample``). ``source`` names the sample in errors."""
        raise NotImplementedError

    def random_ground_truth(self, sample, model, num_joints: int,
                            generator=None) -> None:
        """Write random ground truth of this kind into ``sample`` (for
        tests and benchmarks: ``mmups.testing.random_pose_batch``)."""
        raise NotImplementedError

    # ----------------------------------------------------------- the model
    def prepare_inputs(self, model, inputs: Tensor,
                       layouts: Sequence[str]) -> Tensor:
        """(N, M, T, V_max, 3) inputs of a batch of this kind as the model's
        tokenizer reads them (default: unchanged)."""
        return inputs

    def loss(self, model, memory: Tensor, mask: Tensor, samples: List,
             grammar, task: str) -> Dict[str, Tensor]:
        """Teacher-forced loss of a batch of one task of this kind.

        Args:
            model: the UPS model (its head, vocabulary and ``train_cfg``).
            memory, mask: the encoder memory (n, S, d) and its (n, S) mask.
            samples: the n data samples, with ground truth.
            grammar: their ``TaskGrammar``.
            task: the batch's task name.

        Returns:
            ``loss`` (to minimise), ``loss_seq`` (the sequence NLL, eq. 3),
            ``acc_token``, ``logits`` and any further terms to log.
        """
        targets = grammar.encode(samples)
        if model.train_cfg['coord_input_dropout'] > 0:
            # The draw of the hidden coordinate inputs (PoseLifting.loss),
            # made for every kind's batch as UPS always did, so that a
            # seeded run's random stream does not depend on the task mix.
            torch.rand(targets[:, :-1].shape, device=targets.device)
        return self.sequence_loss(model, memory, mask, grammar, task, targets)

    @staticmethod
    def sequence_loss(model, memory: Tensor, mask: Tensor, grammar,
                      task: str, targets: Tensor,
                      **kwargs) -> Dict[str, Tensor]:
        """The head's NLL of (n, L) ``targets``, over the tokens the grammar
        allows at each position where ``train_cfg.masked_softmax`` is set;
        ``kwargs`` go to ``SequenceHead.loss``."""
        allowed = (grammar.allowed_steps(targets.shape[1])
                   if model.train_cfg['masked_softmax'] else None)
        out = model.head.loss(memory, mask,
                              model.task_embedding(task, len(targets)),
                              model.vocabulary.token_table(), targets,
                              allowed=allowed, **kwargs)
        return dict(out, loss=out['loss_seq'])

    def predict(self, model, inputs: Tensor, samples: List,
                task: str) -> None:
        """Decode a batch of one task of this kind with ``model`` (a UPS)
        and write the predictions into ``samples``."""
        raise NotImplementedError

    # ----------------------------------------------------------- inference
    def inference_samples(self, inferencer, sample, index: int, task: str,
                          ratios: Sequence[float],
                          img_shape: Optional[Tuple[int, int]]
                          ) -> Iterator[dict]:
        """Packed model samples of one input of ``UPSInferencer``, through
        the test pipeline of ``task`` in the model's config.

        Args:
            inferencer: the ``UPSInferencer``.
            sample: the input, a ``SkeletonInput``.
            index: its place among the call's inputs (each packed sample's
                ``input_index`` metainfo).
            task: the model task that handles it.
            ratios: observation ratios (early prediction).
            img_shape: (H, W) of 2D pixel inputs, where given.
        """
        raise NotImplementedError

    def inference_result(self, inferencer, preds: List, sample,
                         top_k: int) -> Dict:
        """What ``UPSInferencer`` returns for one input beyond its
        ``source``, ``name``, ``layout`` and ``task``, from the predicted
        data samples ``preds`` of that input."""
        raise NotImplementedError

    def inference_pictures(self, sample, result: Dict,
                           stem: str) -> List[str]:
        """Pictures of a prediction beside the input's own (files named
        ``stem`` + suffix); default: none."""
        return []

    def summarize(self, result: Dict) -> List[str]:
        """Lines that describe one input's ``inference_result`` to a reader
        (``tools/infer.py``)."""
        raise NotImplementedError

    def describe_prediction(self, sample, vocabulary) -> str:
        """One line on a predicted data sample: its tokens and what they
        decode to."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prefix={self.prefix!r})'


_INSTANCES: Dict[type, TaskKind] = {}


def list_task_kinds() -> List[TaskKind]:
    """One instance of every registered kind, longest prefix first (a
    task name is matched against them in this order)."""
    import mmups.tasks  # noqa: F401  (registers the built-in kinds)
    kinds = []
    for cls in TASKS.module_dict.values():
        if cls not in _INSTANCES:
            _INSTANCES[cls] = cls()
        kinds.append(_INSTANCES[cls])
    return sorted(kinds, key=lambda k: len(k.prefix), reverse=True)


def get_task_kind(task: str) -> TaskKind:
    """The kind of a task name (``'ar3d'`` -> the recognition kind).

    Raises:
        ValueError: if the name does not start with a kind's prefix.
    """
    kinds = list_task_kinds()
    if isinstance(task, str):
        for kind in kinds:
            if task.startswith(kind.prefix):
                return kind
    known = ', '.join(f'{k.prefix} ({k.name})' for k in kinds)
    raise ValueError(
        f'Unknown task {task!r}: a task name must start with the prefix of '
        f'a task kind: {known} (e.g. "ar3d", "ar2d", "eap3d", "pe3d").')


def task_kind(task: str) -> str:
    """The prefix of a task name's kind (``'ar'``, ``'eap'``, ``'pe'``):
    the key of its EOT token. Raises ``ValueError`` for unknown names."""
    return get_task_kind(task).prefix


def task_index(task: str, tasks: Sequence[str]) -> int:
    """Index of ``task`` in the model's configured ``tasks``, with a clear
    error."""
    get_task_kind(task)
    if task not in tasks:
        raise ValueError(f'Unknown task {task!r}: this model is configured '
                         f'for tasks {list(tasks)}.')
    return list(tasks).index(task)
