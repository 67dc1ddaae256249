"""The task-routed UPS encoder (paper sections 3.3 and 3.4)."""
import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmups.registry import MODELS
from mmups.skeleton import CANONICAL_JOINTS
from .sem_tem import SEMTEMBlock


def sinusoidal_positions(length: int, dims: int,
                         device: Optional[torch.device] = None) -> Tensor:
    """(length, dims) fixed sinusoidal position codes.

    Fixed rather than learned so that any number of frames works, which
    matters for early action prediction where T varies with the observation.
    """
    pos = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dims, 2, device=device).float() *
                     (-math.log(10000.0) / dims))
    codes = torch.zeros(length, dims, device=device)
    codes[:, 0::2] = torch.sin(pos * freq)
    codes[:, 1::2] = torch.cos(pos * freq)[:, :dims // 2]
    return codes


@MODELS.register_module()
class RoutedEncoder(BaseModule):
    """L layers of H parallel SEM-TEM blocks, one block per layer chosen per
    task by dynamic routing.

    Each block theta_{l,h} has an embedding B_{l,h} in R^q and each task m an
    embedding tau_m in R^q. The score of block h in layer l for task m is
    s_{l,h} = B_{l,h} . tau_m (eq. 1). In training the block is drawn with
    Gumbel-Softmax (eq. 2) in its hard form: the forward pass uses a one-hot
    choice, the backward pass the gradient of the soft sample
    (straight-through), so tau and B learn. In evaluation the choice is the
    deterministic argmax of the scores. All samples of a batch share the
    route of the batch's task.

    The scores enter the draw as ``score_scale * s`` at temperature
    ``gumbel_tau``: a training draw picks block h with probability
    ``softmax(score_scale * s)_h`` (the Gumbel-max property, whatever the
    temperature), which :meth:`route_probabilities` gives; the temperature
    sets how soft the sample whose gradient the backward pass takes is.
    Both are plain attributes, which
    :class:`~mmups.engine.RouteAnnealingHook` anneals over training; the
    evaluation route, the argmax, depends on neither.

    What a training iteration computes, per layer (H blocks, block h
    selected; w the straight-through weights, exactly one-hot in the
    forward pass; the gradient of the scores takes, for every block j,
    the term <dL/d out, y_j> of its output y_j):

    * ``compute_unselected=False, full_straight_through=False`` (default):
      only block h runs, forward and backward. The scores' gradient has
      block h's term only, the full estimator's others missing (on the
      tiny UPS of the tests, medians over 20 batches of the four tasks:
      the full estimator's gradient of B is 1.9 times as large, at a
      cosine of 0.34 to this one). The unselected blocks are outside the
      graph: DDP needs
      ``model_wrapper_cfg=dict(type='MMDistributedDataParallel',
      find_unused_parameters=True)``.
    * ``compute_unselected=False, full_straight_through=True``: block h
      runs with autograd; every other block runs forward only, without a
      graph (``torch.no_grad``), and its output enters with its exactly
      zero weight, so the scores' gradient is the full estimator's while
      the outputs and block h's parameter gradients are the default's.
      H block forward passes, one backward; the memory of one more
      output per unselected block and layer (kept for its weight's
      gradient); with dropout, the random draws of
      ``compute_unselected=True``. The unselected blocks' parameters are
      still outside the graph: DDP still needs
      ``find_unused_parameters=True``.
    * ``compute_unselected=True``: every block runs with autograd and the
      unselected outputs are multiplied by an exact zero: the same full
      estimator and outputs, but every parameter takes part in the graph
      (its gradient an exact zero), so ``find_unused_parameters`` can stay
      False, at H times the encoder's forward and backward compute.

    Args:
        embed_dims: d, channels of a joint token.
        num_layers: L.
        num_blocks: H, parallel blocks per layer (H = 1 disables routing).
        num_tasks: number of task embeddings.
        task_dims: q, size of task and block embeddings.
        num_heads: heads of the TEM attention.
        mlp_ratio: TEM MLP hidden size / (V_c * d).
        drop: dropout in the TEM.
        gumbel_tau: Gumbel-Softmax temperature (see above).
        score_scale: factor of the scores in training draws (see above); 1
            draws from the scores of eq. 1 as they are.
        hard: hard (one-hot, straight-through) Gumbel-Softmax samples in
            training; False mixes the outputs of all blocks of a layer with
            the soft sample's weights (implies ``compute_unselected``).
        score_std: standard deviation of the initial routing scores.
        compute_unselected: see above.
        full_straight_through: see above; no effect where every block is
            computed anyway (``compute_unselected`` or ``hard=False``).
        norm_cfg: normalisation config of the SEM GCN blocks.
        connect_layouts: every layout's SEM graph is connected, its filled
            slots linked across the canonical slots it lacks
            (:class:`~mmups.models.encoders.SpatialEncodingModule`).
        mask_empty_slots: empty slots contribute nothing to filled ones in
            the SEM graph convolutions and normalisations and in the TEM
            (:class:`~mmups.models.encoders.SpatialEncodingModule`,
            :class:`~mmups.models.encoders.TemporalEncodingModule`).
            Both options default to False, the encoder existing checkpoints
            were trained with; neither adds a checkpoint entry.

    ``score_scale`` 1 and ``full_straight_through`` False train as the
    encoder always did, bit for bit; neither adds a checkpoint entry.
    """

    def __init__(self,
                 embed_dims: int = 32,
                 num_layers: int = 3,
                 num_blocks: int = 2,
                 num_tasks: int = 4,
                 task_dims: int = 256,
                 num_heads: int = 8,
                 mlp_ratio: float = 2.0,
                 drop: float = 0.,
                 gumbel_tau: float = 1.0,
                 hard: bool = True,
                 score_std: float = 1.0,
                 compute_unselected: bool = False,
                 full_straight_through: bool = False,
                 score_scale: float = 1.0,
                 norm_cfg: dict = dict(type='GN', num_groups=1),
                 connect_layouts: bool = False,
                 mask_empty_slots: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.num_joints = len(CANONICAL_JOINTS)
        self.num_layers = num_layers
        self.num_blocks = num_blocks
        self.num_tasks = num_tasks
        self.gumbel_tau = gumbel_tau
        self.score_scale = score_scale
        self.hard = hard
        self.compute_unselected = compute_unselected or not hard
        self.full_straight_through = full_straight_through
        self.mask_empty_slots = mask_empty_slots
        self.layers = nn.ModuleList(
            nn.ModuleList(
                SEMTEMBlock(embed_dims, self.num_joints, num_heads, mlp_ratio,
                            drop, norm_cfg, connect_layouts,
                            mask_empty_slots) for _ in range(num_blocks))
            for _ in range(num_layers))
        # std (score_std / sqrt(q))**0.5 for both makes the scores B . tau
        # start with standard deviation score_std.
        std = (score_std / task_dims**0.5)**0.5
        self.block_embeddings = nn.Parameter(
            torch.randn(num_layers, num_blocks, task_dims) * std)
        self.task_embeddings = nn.Parameter(
            torch.randn(num_tasks, task_dims) * std)

    def route_scores(self, task: int) -> Tensor:
        """(L, H) scores s_{l,h} = B_{l,h} . tau_task (eq. 1)."""
        return self.block_embeddings @ self.task_embeddings[task]

    def select_blocks(self, task: int) -> Tensor:
        """(L, H) one-hot block choice of a task for this forward pass.

        Training: hard Gumbel-Softmax with straight-through gradients.
        Evaluation: argmax, deterministic.
        """
        scores = self.route_scores(task)
        if self.training:
            return F.gumbel_softmax(scores * self.score_scale,
                                    tau=self.gumbel_tau, hard=self.hard)
        return F.one_hot(scores.argmax(-1), self.num_blocks).to(scores.dtype)

    def _all_scores(self) -> Tensor:
        """(num_tasks, L, H) scores of eq. 1 of every task."""
        return torch.einsum('lhq,mq->mlh', self.block_embeddings,
                            self.task_embeddings)

    @torch.no_grad()
    def get_routes(self) -> Tensor:
        """(num_tasks, L) index of the block each task selects in each layer
        at evaluation (for the routing figure)."""
        return self._all_scores().argmax(-1)

    @torch.no_grad()
    def route_probabilities(self) -> Tensor:
        """(num_tasks, L, H) probability that a training draw selects each
        block: ``softmax(score_scale * s)`` over the H blocks."""
        return (self._all_scores() * self.score_scale).softmax(-1)

    def _layer(self, blocks: nn.ModuleList, weights: Tensor, feat: Tensor,
               mask: Tensor, filled: Optional[Tensor] = None) -> Tensor:
        """One encoder layer: its blocks' outputs weighted by the (H,)
        route ``weights`` (see the class docstring for what runs); with
        ``filled``, on those slots alone (:meth:`_filled_slots`)."""
        if self.compute_unselected:
            return sum(w * blk(feat, mask, filled)
                       for w, blk in zip(weights, blocks))
        h = int(weights.argmax())
        if not (self.full_straight_through and weights.requires_grad):
            # weights[h] is exactly 1 in the forward pass; multiplying by
            # it carries the straight-through gradient to tau and B.
            return weights[h] * blocks[h](feat, mask, filled)
        # Blocks in index order and the same sum as above, so that values
        # (and any dropout draws) are those of compute_unselected=True.
        out = 0
        for j, (w, blk) in enumerate(zip(weights, blocks)):
            if j == h:
                out = out + w * blk(feat, mask, filled)
            else:
                # w is an exact 0: only its own gradient, <dL/d out, y_j>,
                # needs y_j, and that needs no graph through the block.
                with torch.no_grad():
                    y = blk(feat, mask, filled)
                out = out + w * y
        return out

    def _frame_input(self, x: Tensor,
                     joint_mask: Tensor) -> Tuple[Tensor, Tensor]:
        """(N, M, T, V_c, d) tokens -> the (N*M, T, V_c, d) input of the
        first layer (with the frame positions in the filled slots) and its
        (N*M, V_c) slot mask."""
        n, m, t, v, d = x.shape
        feat = x.reshape(n * m, t, v, d)
        mask = joint_mask.repeat_interleave(m, dim=0)  # (N*M, V_c)
        pos = sinusoidal_positions(t, v * d, x.device).to(x.dtype)
        return feat + pos.view(1, t, v, d) * mask[:, None, :, None], mask

    def forward(self, x: Tensor, joint_mask: Tensor, task: int) -> Tensor:
        """Encode the joint tokens of a batch of one task.

        Args:
            x: (N, M, T, V_c, d) joint tokens from the tokenizer.
            joint_mask: (N, V_c) bool, True for filled canonical slots.
            task: index of the batch's task.

        Returns:
            (N, M, T, V_c, d) encoded tokens S_EN (zeros in empty slots).
        """
        if not 0 <= task < self.num_tasks:
            raise ValueError(f'Task index {task} is out of range for '
                             f'{self.num_tasks} task embeddings.')
        feat, mask = self._frame_input(x, joint_mask)
        feat, filled = self._filled_slots(feat, mask)
        choice = self.select_blocks(task)  # (L, H)
        for blocks, weights in zip(self.layers, choice):
            feat = self._layer(blocks, weights, feat, mask, filled)
        return self._all_slots(feat, filled).reshape(x.shape)

    def forward_route(self, x: Tensor, joint_mask: Tensor,
                      route: Sequence[int]) -> Tensor:
        """Encode along a fixed route: what :meth:`forward` computes in
        evaluation, where the selected block's weight is exactly 1 (and the
        others' exactly 0), without the routing scores; an exported graph
        holds one task's route (a row of :meth:`get_routes`).

        Args:
            x, joint_mask: as in :meth:`forward`.
            route: the block of each of the L layers.

        Returns:
            (N, M, T, V_c, d) encoded tokens S_EN.
        """
        if len(route) != self.num_layers or not all(
                0 <= h < self.num_blocks for h in route):
            raise ValueError(f'route {list(route)} must name one of '
                             f'{self.num_blocks} blocks in each of '
                             f'{self.num_layers} layers')
        feat, mask = self._frame_input(x, joint_mask)
        feat, filled = self._filled_slots(feat, mask)
        for blocks, h in zip(self.layers, route):
            feat = blocks[h](feat, mask, filled)
        return self._all_slots(feat, filled).reshape(x.shape)

    def _filled_slots(self, feat: Tensor, mask: Tensor
                      ) -> Tuple[Tensor, Optional[Tensor]]:
        """With ``mask_empty_slots``, where every sample fills the same
        slots (a batch of one task; an exported graph holds one task): the
        (B, T, E, d) tokens of those slots and their (E,) indices, on which
        the blocks then run (``SEMTEMBlock.forward``'s ``filled``); the
        tokens as they are and None otherwise. The empty slots take no part
        in the masked computation, so leaving them out changes no output;
        they were 12 of the 30 slots for OpenPose-18, 13 for Human3.6M."""
        if not self.mask_empty_slots:
            return feat, None
        if not (torch.onnx.is_in_onnx_export()
                or bool((mask == mask[:1]).all())):
            return feat, None
        filled = mask[0].nonzero()[:, 0]
        return feat.index_select(2, filled), filled

    def _all_slots(self, feat: Tensor, filled: Optional[Tensor]) -> Tensor:
        """The (B, T, V_c, d) tokens of every slot, zero in the empty
        ones, from those of :meth:`_filled_slots`."""
        if filled is None:
            return feat
        b, t, _, d = feat.shape
        return feat.new_zeros(b, t, self.num_joints, d).index_copy(
            2, filled, feat)


def find_routed_encoders(model: nn.Module) -> List[RoutedEncoder]:
    """The :class:`RoutedEncoder` modules of ``model`` (a model wrapper's
    too).

    Raises:
        TypeError: ``model`` has none.
    """
    found = [m for m in model.modules() if isinstance(m, RoutedEncoder)]
    if not found:
        raise TypeError(f'{type(model).__name__} has no RoutedEncoder: '
                        'routing hooks need a UPS-like model.')
    return found
