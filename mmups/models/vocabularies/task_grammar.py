"""The output grammar of a batch over the unified vocabulary.

Each sample's output is its task kind's *body* (``mmups.tasks``: one action
token for recognition and early prediction; an X, a Y and a Z bin token per
target frame and joint for pose lifting), then its kind's EOT token.

:class:`TaskGrammar` writes target sequences for training (teacher
forcing), tells the sequence head which tokens each sample may emit at each
decoding step (constrained greedy decoding), and reads decoded sequences
back into class indices and 3D joints.
"""
import math
from typing import List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from mmups.skeleton import get_layout
from mmups.tasks import get_task_kind


class TaskGrammar:
    """Grammar of one batch (samples may differ in task, label set, joints).

    Args:
        vocabulary: the model's ``UnifiedVocabulary``.
        tasks: task name of each of the N samples.
        label_sets: label set name of each sample (None for kinds without).
        num_joints: joints V of each sample's layout.
        num_pose_frames: F, target frames per pose output.
    """

    def __init__(self, vocabulary, tasks: Sequence[str],
                 label_sets: Sequence[Optional[str]],
                 num_joints: Sequence[int], num_pose_frames: int = 1) -> None:
        self.vocabulary = vocabulary
        self.tasks = list(tasks)
        #: The ``TaskKind`` of each sample.
        self.task_kinds = [get_task_kind(t) for t in tasks]
        #: Each sample's kind prefix (its EOT token's key).
        self.kinds = [k.prefix for k in self.task_kinds]
        self.label_sets = list(label_sets)
        self.num_joints = list(num_joints)
        self.num_pose_frames = num_pose_frames
        device = vocabulary.embeddings.device
        self.eot_ids = torch.tensor(
            [vocabulary.eot_token_id(k) for k in self.kinds],
            dtype=torch.long, device=device)
        self.lengths = torch.tensor(
            [self.sequence_length(i) for i in range(len(self.kinds))],
            dtype=torch.long, device=device)
        # Masks over the vocabulary, built once so that allowed() is a few
        # batched tensor ops per decoding step: each sample's body masks
        # (P_n, K), tiled to a common period P.
        num, size = len(self.kinds), vocabulary.num_tokens
        self._has_coords = torch.tensor(
            [k.emits_coordinates for k in self.task_kinds], dtype=torch.bool,
            device=device)
        #: (3, B) coordinate-token ids of each axis, in bin order.
        self.coord_ids = torch.stack(
            [vocabulary.coord_token_ids(axis).to(device) for axis in range(3)])
        self._coord_mask = torch.zeros(size, dtype=torch.bool, device=device)
        self._coord_mask[self.coord_ids.flatten()] = True
        masks = {}
        for kind, label_set in zip(self.task_kinds, self.label_sets):
            if (kind, label_set) not in masks:
                masks[kind, label_set] = kind.body_masks(vocabulary,
                                                         label_set)
        period = math.lcm(*(len(m) for m in masks.values())) if masks else 1
        self._body_masks = torch.stack([
            masks[key].repeat(period // len(masks[key]), 1)
            for key in zip(self.task_kinds, self.label_sets)
        ]) if num else torch.zeros(0, period, size, dtype=torch.bool,
                                   device=device)  # (N, P, K)
        self._eot_masks = torch.zeros(num, size, dtype=torch.bool,
                                      device=device)
        self._eot_masks[torch.arange(num, device=device), self.eot_ids] = True

    @property
    def coord_token_mask(self) -> Tensor:
        """(K,) bool: True for the coordinate tokens of every axis."""
        return self._coord_mask

    @classmethod
    def from_samples(cls, vocabulary, data_samples: Sequence,
                     num_pose_frames: int = 1) -> 'TaskGrammar':
        """Build the grammar from the ``task`` / ``layout`` / ``label_set``
        metainfo of data samples."""
        tasks, label_sets, joints = [], [], []
        for i, sample in enumerate(data_samples):
            meta = sample.metainfo
            for key in ('task', 'layout'):
                if key not in meta:
                    raise KeyError(f'Data sample {i} has no {key!r} in its '
                                   'metainfo; every sample must say its task '
                                   'and joint layout.')
            kind = get_task_kind(meta['task'])
            if kind.uses_label_set and meta.get('label_set') is None:
                raise KeyError(f'Data sample {i} of task {meta["task"]!r} '
                               "has no 'label_set' in its metainfo.")
            tasks.append(meta['task'])
            label_sets.append(meta.get('label_set') if kind.uses_label_set
                              else None)
            joints.append(get_layout(meta['layout']).num_joints)
        return cls(vocabulary, tasks, label_sets, joints, num_pose_frames)

    def __len__(self) -> int:
        return len(self.kinds)

    def sequence_length(self, i: int) -> int:
        """Number of output tokens of sample i, EOT included."""
        return self.task_kinds[i].body_length(self.num_joints[i],
                                              self.num_pose_frames) + 1

    @property
    def max_length(self) -> int:
        return int(self.lengths.max())

    def allowed(self, step: int) -> Tensor:
        """(N, K) bool: tokens sample n may emit at output position ``step``.

        Past a sample's EOT only its EOT is allowed (the head ignores it).
        """
        body = self._body_masks[:, step % self._body_masks.shape[1]]
        done = (step >= self.lengths - 1)[:, None]
        return torch.where(done, self._eot_masks, body)

    def allowed_steps(self, length: int) -> Tensor:
        """(N, L, K) bool: :meth:`allowed` at output positions 0 .. L-1, the
        candidates of a grammar-masked training softmax."""
        return torch.stack([self.allowed(step) for step in range(length)], 1)

    def coord_axes(self, length: int) -> Tensor:
        """(N, L) long: the axis (0 X, 1 Y, 2 Z) of the coordinate token at
        each output position, -1 where the position holds no coordinate."""
        steps = torch.arange(length, device=self.eot_ids.device)
        is_coord = self._has_coords[:, None] & (steps[None] <
                                             self.lengths[:, None] - 1)
        return torch.where(is_coord, steps[None] % 3, -1)

    def axis_logits(self, logits: Tensor, axes: Tensor) -> Tensor:
        """(N, L, K) logits -> (N, L, B) logits of the bins of each
        position's axis (``axes`` from :meth:`coord_axes`; positions with
        axis -1 get axis 0's bins, to be ignored)."""
        ids = self.coord_ids[axes.clamp(min=0)]  # (N, L, B)
        return logits.gather(-1, ids)

    def expected_coords(self, logits: Tensor, axes: Tensor,
                        window: Optional[int] = None) -> Tensor:
        """(N, L) continuous coordinates read out of (N, L, K) logits: the
        softmax-weighted mean of the bin centres of each position's axis
        (see ``CoordinateQuantizer.expectation``); meaningless where
        ``axes`` is -1."""
        probs = self.axis_logits(logits, axes).float().softmax(-1)
        return self.vocabulary.quantizer.expectation(
            probs, window=window, axis=axes.clamp(min=0))

    def pose_target(self, i: int, sample) -> Tensor:
        """Sample i's pose target (F, V, 3), read by its kind and checked
        against its layout and the model's target frames."""
        kind = self.task_kinds[i]
        target = kind.target(sample).to(self.eot_ids.device)
        expected = (self.num_pose_frames, self.num_joints[i], 3)
        if target.dim() == 2:
            target = target.unsqueeze(0)
        if tuple(target.shape) != expected:
            raise ValueError(
                f'Data sample {i} ({self.tasks[i]}): its pose target has '
                f'shape {tuple(target.shape)}, expected {expected} (frames, '
                'joints, xyz).')
        return target

    def coord_targets(self, data_samples: Sequence, length: int,
                      mode: str = 'gaussian', sigma: float = 1.0
                      ) -> Tuple[Tensor, Tensor]:
        """Ordinal targets and exact values of the coordinate positions.

        Args:
            data_samples: the N samples (those of coordinate-emitting kinds
                need their pose target).
            length: L, output positions.
            mode, sigma: see ``CoordinateQuantizer.soft_encode``.

        Returns:
            weights: (N, L, B) target distribution over the bins of each
                position's axis (zero rows at non-coordinate positions).
            values: (N, L) exact coordinates (0 at non-coordinate positions).
        """
        quantizer = self.vocabulary.quantizer
        device = self.eot_ids.device
        weights = torch.zeros(len(self), length, quantizer.num_bins,
                              device=device)
        values = torch.zeros(len(self), length, device=device)
        for i, sample in enumerate(data_samples):
            if not self.task_kinds[i].emits_coordinates:
                continue
            target = self.pose_target(i, sample)
            n = target.numel()
            weights[i, :n] = quantizer.soft_encode(
                target, mode, sigma).reshape(n, -1).to(device)
            values[i, :n] = target.reshape(-1)
        return weights, values

    def encode(self, data_samples: Sequence) -> Tensor:
        """Target token sequences of the samples, (N, L) padded with -1:
        each kind's body (``TaskKind.encode_body``), then its EOT."""
        seqs: List[Tensor] = []
        for i, sample in enumerate(data_samples):
            body = self.task_kinds[i].encode_body(self, i, sample)
            seqs.append(torch.cat([body.to(self.eot_ids),
                                   self.eot_ids[i:i + 1]]))
        out = torch.full((len(seqs), max(len(s) for s in seqs)), -1,
                         dtype=torch.long, device=self.eot_ids.device)
        for i, seq in enumerate(seqs):
            out[i, :len(seq)] = seq
        return out

    def decode_pose(self, i: int, tokens: Tensor,
                    coords: Optional[Tensor] = None,
                    root_index: Optional[int] = None) -> Tensor:
        """Sample i's decoded output -> 3D joints (F, V, 3).

        Args:
            i: the sample.
            tokens: (L,) its decoded tokens; read as bin centres unless
                ``coords`` is given.
            coords: (L,) continuous coordinates of its output positions
                (:meth:`expected_coords`), read instead of the tokens.
            root_index: joint set to exactly 0: the root of root-relative
                targets (None: none).
        """
        shape = (self.num_pose_frames, self.num_joints[i], 3)
        n = 3 * self.num_joints[i] * self.num_pose_frames
        if coords is None:
            pose = self.vocabulary.decode_coords(tokens[:n].reshape(shape))
        else:
            pose = coords[:n].reshape(shape).float()
        if root_index is not None:
            pose = pose.clone()
            pose[:, root_index] = 0
        return pose

    def decode_label(self, i: int, tokens: Tensor) -> int:
        """Sample i's decoded tokens (L,) -> class index in its label set."""
        return int(self.vocabulary.labels_from_token_ids(
            self.label_sets[i], tokens[:1])[0])
