"""UPS: the unified pose sequence model (paper section 3)."""
from collections import OrderedDict
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModel
from torch import Tensor, nn

from mmups.registry import MODELS
from mmups.tasks import (AVERAGE_CLIPS, PAPER_TASKS, get_task_kind,
                         task_index)
from ..vocabularies.task_grammar import TaskGrammar

ForwardResults = Union[Dict[str, Tensor], List, Tensor]


#: ``UPS(train_cfg=...)`` keys and their defaults (plain eq. 3).
TRAIN_CFG_DEFAULTS = dict(masked_softmax=False,
                          coord_target=dict(mode='hard'),
                          coord_input_dropout=0.0, coord_l1_weight=0.0)
#: ``UPS(test_cfg=...)`` keys and their defaults (bin centres of the
#: arg-max tokens; clips' class probabilities averaged, as MMAction2's
#: ``GCNHead`` does by default).
TEST_CFG_DEFAULTS = dict(coord_readout='argmax', readout_window=None,
                         zero_root=False, flip_test=False,
                         average_clips='prob')
#: ``UPS(start_token=...)`` choices.
START_TOKENS = ('task_embedding', 'detached', 'own')


def _checked_cfg(cfg: Optional[dict], defaults: dict, what: str) -> dict:
    """``defaults`` updated by ``cfg``; unknown keys are an error."""
    cfg = dict(cfg or {})
    unknown = set(cfg) - set(defaults)
    if unknown:
        raise KeyError(f'UPS {what}_cfg: unknown keys {sorted(unknown)}; '
                       f'known: {sorted(defaults)}')
    return {**defaults, **cfg}


@MODELS.register_module()
class UPS(BaseModel):
    """One model, no task-specific heads: joint tokenizer -> task-routed
    encoder -> sequence head decoding tokens of the unified vocabulary.

    The task of each sample is read from its data sample (``task``
    metainfo), as are its joint ``layout`` and, for action tasks, its
    ``label_set``. Samples of different tasks may share a batch: they are
    encoded per task, because the encoder's route depends on the task.

    Predictions are written where MMAction2's ``AccMetric`` and MMPose's
    ``MPJPE`` read them: ``pred_score`` (softmax of the first decoding step
    over the sample's label set, averaged over its test clips) and
    ``pred_label`` for AR/EAP; ``pred_instances.keypoints`` (F, V, 3) for
    PE. ``pred_tokens`` holds the decoded sequence (one row per clip where
    a sample has several).

    Args:
        tokenizer: ``JointTokenizer`` config.
        encoder: ``RoutedEncoder`` config (``num_tasks`` is filled in).
        vocabulary: ``UnifiedVocabulary`` config.
        head: ``SequenceHead`` config (``text_dims``, ``memory_dims`` and
            ``task_dims`` are filled in).
        tasks: task names; their order fixes the task embedding indices.
        num_pose_frames: F, target frames per pose estimation sample (1:
            the centre frame of the input window).
        memory_tokens: which encoder tokens the decoder cross-attends to:
            ``'frame'`` (default) the frame-level tokens the TEM works on,
            one (V_c * d)-channel token per person and frame; ``'joint'``
            every joint token, (d) channels each, V_c times as many. The
            paper says only that the decoder reads "the tokens corresponding
            to the input"; frame tokens carry a whole pose each, so the
            decoder's few cross-attention layers need not assemble poses
            from single joints. Measured on the demo (300 iterations, all
            tasks): 3D recognition top-1 77.5% with frame tokens, 25% (two
            classes of eight) with joint tokens, whose cross-attention
            over M*T*V_c tokens also made iterations several times slower.
        use_kv_cache: decode with the key/value cache at inference.
        parallel_decoding: where every decoder input is known before the
            decoding runs (pose sequences with their coordinate inputs
            hidden, ``train_cfg.coord_input_dropout=1``), run the decoder
            once over all positions instead of once per token: the same
            tokens (``SequenceHead.generate``, ``parallel``).
        start_token: what the decoder's start token reads for a task:

            * ``'task_embedding'`` (default): tau, the routing embedding,
              so that the decoder's loss moves the routing scores too,
              for reasons that have nothing to do with the choice of
              blocks (on the tiny UPS of the tests, medians over 20
              batches of the four tasks: the gradient of tau through the
              decoder alone had the norm of the whole gradient, that
              through the encoder 0.06 of it);
            * ``'detached'``: tau without gradient: the decoder reads the
              task from the routing embedding but cannot move it;
            * ``'own'``: a start embedding per task of its own,
              ``start_embeddings`` (num_tasks, q), which starts as a copy
              of tau (no random draw, so the initial model is the
              default's) and learns with the decoder alone. Only this
              setting has the parameter; a checkpoint without it (trained
              with either other setting) loads with it copied from the
              checkpoint's tau.

            Routing learns from the encoder's loss alone in the last two.
        root_relative_lifting: pose estimation inputs are moved to their
            root (the layout's pelvis) frame by frame before the tokenizer,
            so that the person's place in the image, which dominates
            image-normalised 2D joints, is not mistaken for its pose. A
            linear read-out of the untrained encoder's centre-frame token
            fitted on 2,048 realbench training windows (ridge regression)
            gave 118 mm MPJPE on validation windows from image-normalised
            input and 85 mm from root-relative input.
        train_cfg: how the sequence loss is formed (every key optional;
            the defaults are plain eq. 3):

            * ``masked_softmax`` (False): the training softmax of every
              position runs over the tokens the task's grammar allows there,
              as constrained decoding does, not over the whole vocabulary;
            * ``coord_target`` (``dict(mode='hard')``): the target of each
              coordinate token, ``dict(mode='gaussian', sigma=...)`` or
              ``dict(mode='two_bin')`` for ordinal targets over the axis's
              bins (``CoordinateQuantizer.soft_encode``); action tokens
              keep one-hot targets;
            * ``coord_input_dropout`` (0): in teacher forcing, each
              coordinate token fed back to the decoder is hidden (zero
              embedding) with this probability, so that each coordinate is
              learnt from the encoder memory rather than copied from the
              previous joints' true coordinates (which greedy decoding does
              not have); at 1 every coordinate input is hidden, in
              decoding too, so that training and decoding see the same
              inputs (each coordinate then depends on the memory and its
              place in the sequence only);
            * ``coord_l1_weight`` (0): weight of an auxiliary L1 loss
              between the expectation read-out of each coordinate (see
              ``test_cfg``) and its exact value (integral regression), in
              the coordinates' units (metres), averaged over the PE
              samples' coordinates.
        test_cfg: how predictions are read out (every key optional). Of
            pose estimation:

            * ``coord_readout`` (``'argmax'``): ``'argmax'`` decodes each
              coordinate token to its bin centre; ``'expectation'`` to the
              softmax-weighted mean of its axis's bin centres, continuous
              (the emitted tokens stay the arg-max in both);
            * ``readout_window`` (None): with ``'expectation'``, only the
              bins within this many of the arg-max count;
            * ``zero_root`` (False): the root joint (the layout's pelvis)
              decodes to exactly 0, as root-relative targets have it
              (lifting codecs with ``zero_center=True``);
            * ``flip_test`` (False): average the pose predicted from the
              input and the mirror image of the pose predicted from the
              mirrored input (left and right joints swapped, X mirrored
              about the root), as MMPose's ``PoseLifter`` ``flip_test``.

            Of the action tasks (recognition, early prediction), whose test
            pipelines may sample K > 1 clips per sample (MMAction2's
            ``num_clips``; inputs (N, K, M, T, V, 3)): each clip is decoded
            on its own and the sample's ``pred_score`` is

            * ``average_clips`` (``'prob'``): ``'prob'`` the mean over the
              clips of the softmax of the first step's logits over the
              label set; ``'score'`` the mean of those logits (then
              ``pred_score`` holds logits), as MMAction2's
              ``BaseHead.average_clip``; ``pred_label`` is the arg-max of
              the mean. With K = 1, ``'prob'`` is the softmax of the one
              clip and the label the decoded token's.
        data_preprocessor: defaults to ``UPSDataPreprocessor``.
    """

    def __init__(self,
                 tokenizer: dict,
                 encoder: dict,
                 vocabulary: dict,
                 head: dict,
                 tasks: Sequence[str] = PAPER_TASKS,
                 num_pose_frames: int = 1,
                 use_kv_cache: bool = True,
                 parallel_decoding: bool = True,
                 start_token: str = 'task_embedding',
                 memory_tokens: str = 'frame',
                 root_relative_lifting: bool = False,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='UPSDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            # Built here from the mmups registry: mmengine's BaseModel would
            # look it up in the current default scope, which need not be
            # mmups.
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.tasks = tuple(tasks)
        for task in self.tasks:
            get_task_kind(task)  # validates the name
        self.num_pose_frames = num_pose_frames
        self.use_kv_cache = use_kv_cache
        self.parallel_decoding = parallel_decoding
        if memory_tokens not in ('frame', 'joint'):
            raise ValueError(f'memory_tokens must be "frame" or "joint", '
                             f'not {memory_tokens!r}')
        self.memory_tokens = memory_tokens
        self.root_relative_lifting = root_relative_lifting
        self.train_cfg = _checked_cfg(train_cfg, TRAIN_CFG_DEFAULTS, 'train')
        self.test_cfg = _checked_cfg(test_cfg, TEST_CFG_DEFAULTS, 'test')
        if self.train_cfg['coord_target'].get('mode', 'hard') not in (
                'hard', 'gaussian', 'two_bin'):
            raise ValueError(f'train_cfg.coord_target.mode must be "hard", '
                             f'"gaussian" or "two_bin", not '
                             f'{self.train_cfg["coord_target"]!r}')
        if self.test_cfg['average_clips'] not in AVERAGE_CLIPS:
            raise ValueError(f'test_cfg.average_clips must be one of '
                             f'{AVERAGE_CLIPS}, not '
                             f'{self.test_cfg["average_clips"]!r}')
        if self.test_cfg['coord_readout'] not in ('argmax', 'expectation'):
            raise ValueError(f'test_cfg.coord_readout must be "argmax" or '
                             f'"expectation", not '
                             f'{self.test_cfg["coord_readout"]!r}')
        self.tokenizer = MODELS.build(tokenizer)
        encoder = dict(encoder, num_tasks=len(self.tasks))
        self.encoder = MODELS.build(encoder)
        self.vocabulary = MODELS.build(vocabulary)
        head = dict(head)
        head.setdefault('text_dims', self.vocabulary.table_dims)
        memory_dims = self.encoder.embed_dims
        if memory_tokens == 'frame':
            memory_dims *= self.encoder.num_joints
        head.setdefault('memory_dims', memory_dims)
        head.setdefault('task_dims', self.encoder.task_embeddings.shape[-1])
        self.head = MODELS.build(head)
        if start_token not in START_TOKENS:
            raise ValueError(f'start_token must be one of {START_TOKENS}, '
                             f'not {start_token!r}')
        self.start_token = start_token
        if start_token == 'own':
            self.start_embeddings = nn.Parameter(
                self.encoder.task_embeddings.detach().clone())

    def _load_from_state_dict(self, state_dict: dict, prefix: str,
                              *args, **kwargs) -> None:
        """With ``start_token='own'``, a checkpoint without start embeddings
        gets them from its task embeddings (see ``start_token``)."""
        own, tau = prefix + 'start_embeddings', \
            prefix + 'encoder.task_embeddings'
        if self.start_token == 'own' and own not in state_dict and \
                tau in state_dict:
            # torch's and mmengine's load_state_dict pass a copy of the
            # checkpoint's dict: this adds nothing to the caller's.
            state_dict[own] = state_dict[tau].detach().clone()
            print_log('UPS: start_embeddings not in the checkpoint, copied '
                      'from its encoder.task_embeddings', logger='current')
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    # ------------------------------------------------------------------ utils
    def _task_groups(self, data_samples: Sequence) -> 'OrderedDict[str, Tensor]':
        """Sample indices of each task present in the batch."""
        groups: 'OrderedDict[str, list]' = OrderedDict()
        for i, sample in enumerate(data_samples):
            task = sample.metainfo.get('task')
            if task is None:
                raise KeyError(f'Data sample {i} has no task in its metainfo.')
            task_index(task, self.tasks)
            groups.setdefault(task, []).append(i)
        return OrderedDict((t, torch.as_tensor(idx)) for t, idx in groups.items())

    def encode(self, inputs: Tensor, data_samples: Sequence,
               task: str) -> Tuple[Tensor, Tensor, Tensor]:
        """Tokenize and encode a batch of one task.

        Args:
            inputs: (N, M, T, V_max, 3) coordinates.
            data_samples: N samples (their ``layout`` metainfo is read).
            task: the batch's task name.

        Returns:
            tokens: (N, M, T, V_c, d) encoded tokens S_EN.
            memory: the decoder's memory: (N, M*T, V_c*d) frame tokens, or
                (N, M*T*V_c, d) joint tokens (see ``memory_tokens``).
            memory_mask: (N, M*T) or (N, M*T*V_c) bool, True for tokens of
                present persons (and, for joint tokens, real joints).
        """
        if inputs.dim() != 5:
            raise ValueError(
                f'UPS encodes (N, M, T, V, 3) inputs, got shape '
                f'{tuple(inputs.shape)}: several clips per sample '
                '(N, K, M, T, V, 3) are for testing the action tasks, whose '
                'kinds decode every clip (train with num_clips=1).')
        layouts = [s.metainfo['layout'] for s in data_samples]
        inputs = get_task_kind(task).prepare_inputs(self, inputs, layouts)
        tokens, joint_mask = self.tokenizer(inputs, layouts)
        tokens = self.encoder(tokens, joint_mask,
                              task_index(task, self.tasks))
        return (tokens, ) + self.memory_of(inputs, tokens, joint_mask)

    def memory_of(self, inputs: Tensor, tokens: Tensor,
                  joint_mask: Tensor) -> Tuple[Tensor, Tensor]:
        """The decoder's memory and its mask from encoded tokens.

        Args:
            inputs: (N, M, T, V, 3) the tokenizer's input (any V: only
                which persons are all zeros is read).
            tokens: (N, M, T, V_c, d) encoded tokens.
            joint_mask: (N, V_c) bool, the filled canonical slots.

        Returns:
            memory and memory_mask as :meth:`encode` returns them.
        """
        n, m, t, v, d = tokens.shape
        # A person slot that is all zeros is padding (absent person); the
        # first person is always kept so every sample has memory to attend.
        present = inputs.flatten(2).abs().sum(-1) > 0  # (N, M)
        present[:, 0] = True
        if self.memory_tokens == 'frame':
            mask = present[:, :, None].expand(n, m, t).reshape(n, m * t)
            return tokens.reshape(n, m * t, v * d), mask
        mask = present[:, :, None, None] & joint_mask[:, None, None, :]
        mask = mask.expand(n, m, t, v).reshape(n, m * t * v)
        return tokens.reshape(n, m * t * v, d), mask

    def _encode_by_task(self, inputs: Tensor, data_samples: Sequence
                        ) -> Iterator[Tuple[str, List, Tensor, Tensor,
                                            TaskGrammar]]:
        """Encode the batch task by task.

        Yields:
            (task, its samples, memory (n, S, d), memory_mask (n, S), the
            samples' TaskGrammar) for each task present in the batch.
        """
        for task, idx in self._task_groups(data_samples).items():
            samples = [data_samples[i] for i in idx]
            _, memory, mask = self.encode(inputs[idx], samples, task)
            yield task, samples, memory, mask, self._grammar(samples)

    def _grammar(self, samples: Sequence) -> TaskGrammar:
        """The output grammar of samples of one task."""
        return TaskGrammar.from_samples(self.vocabulary, samples,
                                        self.num_pose_frames)

    def task_embedding(self, task: str, n: int) -> Tensor:
        """(n, q) decoder start token input of ``task``: its tau, detached
        or not, or its own start embedding (see ``start_token``)."""
        index = task_index(task, self.tasks)
        if self.start_token == 'own':
            start = self.start_embeddings[index]
        else:
            start = self.encoder.task_embeddings[index]
            if self.start_token == 'detached':
                start = start.detach()
        return start.unsqueeze(0).expand(n, -1)

    # ---------------------------------------------------------------- forward
    def forward(self, inputs: Tensor, data_samples: Optional[List] = None,
                mode: str = 'tensor') -> ForwardResults:
        """``mode``: 'loss' -> dict of losses; 'predict' -> data samples with
        predictions; 'tensor' -> (N, M, T, V_c, d) encoded tokens."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'Invalid mode {mode!r}: use "loss", "predict" or '
                           '"tensor".')

    def _forward(self, inputs: Tensor, data_samples: List) -> Tensor:
        out = None
        for task, idx in self._task_groups(data_samples).items():
            tokens, _, _ = self.encode(inputs[idx],
                                       [data_samples[i] for i in idx], task)
            if out is None:
                out = tokens.new_zeros(inputs.shape[0], *tokens.shape[1:])
            out[idx] = tokens
        return out

    def loss(self, inputs: Tensor, data_samples: List) -> Dict[str, Tensor]:
        """Sequence NLL (eq. 3) with teacher forcing, averaged over samples;
        each task's kind forms its loss (``TaskKind.loss``).

        Also logs the per-task NLL (``nll_<task>``), the kind's further
        terms (e.g. ``l1_<task>``) and the teacher-forced token accuracy
        (``acc_token``).
        """
        losses: Dict[str, Tensor] = {}
        total = inputs.new_zeros(())
        acc = inputs.new_zeros(())
        for task, samples, memory, mask, grammar in self._encode_by_task(
                inputs, data_samples):
            out = get_task_kind(task).loss(self, memory, mask, samples,
                                           grammar, task)
            weight = len(samples) / inputs.shape[0]
            losses[f'nll_{task}'] = out['loss_seq'].detach()
            for key, value in out.items():
                if key not in ('loss', 'loss_seq', 'acc_token', 'logits'):
                    losses[f'{key}_{task}'] = value
            total = total + out['loss'] * weight
            acc = acc + out['acc_token'].detach() * weight
        losses['loss'] = total
        losses['acc_token'] = acc
        return losses

    @torch.no_grad()
    def predict(self, inputs: Tensor, data_samples: List) -> List:
        """Greedy, grammar-constrained decoding; each task's kind fills the
        predictions into its ``data_samples`` (``TaskKind.predict``; the
        pose read-out and the averaging of an action sample's clips follow
        ``test_cfg``). ``inputs``: (N, M, T, V, 3), or (N, K, M, T, V, 3)
        for K clips per sample. Returns ``data_samples``."""
        for task, idx in self._task_groups(data_samples).items():
            get_task_kind(task).predict(
                self, inputs[idx], [data_samples[i] for i in idx], task)
        return data_samples

    def generate(self, inputs: Tensor, samples: Sequence,
                  task: str) -> Tuple[Dict[str, Tensor], TaskGrammar]:
        """Encode and decode samples of one task: the head's ``generate``
        output (with every step's logits where the read-out needs them) and
        the samples' grammar."""
        _, memory, mask = self.encode(inputs, samples, task)
        grammar = self._grammar(samples)
        out = self.head.generate(
            memory, mask, self.task_embedding(task, len(samples)),
            self.vocabulary.token_table(), use_cache=self.use_kv_cache,
            num_reference_tokens=self.vocabulary.num_base_tokens,
            parallel=self.parallel_decoding,
            **self.decoding_options(grammar))
        return out, grammar

    def decoding_options(self, grammar: TaskGrammar) -> dict:
        """What the read-out and the training ask of greedy decoding
        (keywords of ``SequenceHead.greedy_decode``): every step's logits
        for the expectation read-out; the coordinate inputs hidden where
        training hid them all."""
        return dict(
            grammar=grammar,
            return_logits=self.test_cfg['coord_readout'] == 'expectation',
            hidden_ids=(grammar.coord_token_mask
                        if self.train_cfg['coord_input_dropout'] >= 1 else
                        None))

    def get_routes(self) -> Dict[str, List[int]]:
        """Selected encoder block per layer for every task (at evaluation)."""
        routes = self.encoder.get_routes()
        return {task: routes[i].tolist() for i, task in enumerate(self.tasks)}

    def get_route_probabilities(self) -> Dict[str, List[List[float]]]:
        """Per task, (L, H) probability that a training draw selects each
        encoder block (``RoutedEncoder.route_probabilities``)."""
        probs = self.encoder.route_probabilities()
        return {task: probs[i].tolist() for i, task in enumerate(self.tasks)}
