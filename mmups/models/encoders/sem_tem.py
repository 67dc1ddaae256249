"""The SEM-TEM block of the UPS encoder (paper section 3.3).

Tokens are (B, T, V, d): B sequences (samples x persons), T frames, V
canonical joint slots, d channels.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmups.skeleton import CANONICAL_LAYOUT
from ..layers import (MLP, GraphConvUnit, MultiHeadAttention, SlotGraph,
                      masked_layer_norm)


class SpatialEncodingModule(nn.Module):
    """SEM: two GCN blocks over the canonical skeleton graph.

    Slots a sample's layout does not fill are kept at zero after every block.
    With the defaults (the encoder existing checkpoints were trained with)
    they still take part inside a block: the canonical graph is normalised
    with degrees that count them, their value-conv bias reaches filled slots
    through the graph and its refinement (at initialisation, d = 16: 3%
    (NTU) to 8% (Penn Action) of the filled outputs' norm), and the
    GroupNorm statistics include them; and the canonical graph over a
    layout's filled slots may fall apart (COCO-17: 5 pieces, Penn Action:
    5, OpenPose-18: 4; NTU and Human3.6M: 1). The two options remove this;
    neither adds a checkpoint entry, so a checkpoint loads with any setting.

    Args:
        embed_dims: d.
        norm_cfg: normalisation config of the GCN blocks.
        connect_layouts: join two filled slots wherever the canonical
            skeleton path between them runs only through empty slots
            (:class:`~mmups.models.layers.SlotGraph` with ``bridge=True``), so
            that every layout, registered ones too, is one connected graph;
            its degrees count filled slots only. Where a layout fills every
            slot of a path (NTU, Human3.6M), its graph is the canonical one.
        mask_empty_slots: empty slots contribute nothing to filled ones: the
            canonical graph (unless ``connect_layouts``) is restricted to the
            filled slots and normalised over them, the GCN values (biases
            included) of empty slots are zeroed before the graph and the
            refinement, and the GroupNorm statistics cover filled slots only
            (needs ``norm_cfg`` of type ``'GN'``).
    """

    def __init__(self, embed_dims: int,
                 norm_cfg: dict = dict(type='GN', num_groups=1),
                 connect_layouts: bool = False,
                 mask_empty_slots: bool = False) -> None:
        super().__init__()
        A = torch.from_numpy(CANONICAL_LAYOUT.adjacency('spatial'))
        self.register_buffer('graph', A, persistent=False)
        # Learnable correction of the canonical graph, as in 2s-AGCN.
        self.graph_offset = nn.Parameter(torch.zeros(2, *A.shape))
        self.gcns = nn.ModuleList(
            GraphConvUnit(embed_dims, embed_dims, A.shape[0], norm_cfg)
            for _ in range(2))
        self.connect_layouts = connect_layouts
        self.mask_empty_slots = mask_empty_slots
        self.slot_graph: Optional[SlotGraph] = None
        if connect_layouts or mask_empty_slots:
            self.slot_graph = SlotGraph(CANONICAL_LAYOUT,
                                        bridge=connect_layouts)
        if mask_empty_slots and not isinstance(self.gcns[0].norm,
                                               nn.GroupNorm):
            raise ValueError(f'mask_empty_slots needs GroupNorm in the SEM '
                             f'(norm_cfg type "GN"), got norm_cfg={norm_cfg}.')

    def forward(self, x: Tensor, joint_mask: Tensor) -> Tensor:
        """x: (B, T, V, d); joint_mask: (B, V) bool -> (B, T, V, d)."""
        keep = joint_mask[:, None, :, None].to(x.dtype)  # (B, 1, V, 1)
        feat = (x * keep).permute(0, 3, 1, 2)  # (B, d, T, V)
        keep = keep.permute(0, 3, 1, 2)  # (B, 1, 1, V)
        graph = self.graph  # (n_sub, V, V), or (B, n_sub, V, V) per sample
        if self.slot_graph is not None:
            graph = self.slot_graph(joint_mask).to(x.dtype)
        mask = joint_mask if self.mask_empty_slots else None
        for gcn, offset in zip(self.gcns, self.graph_offset):
            feat = gcn(feat, graph + offset, mask) * keep
        return feat.permute(0, 2, 3, 1)

    def forward_filled(self, x: Tensor, joint_mask: Tensor,
                       filled: Tensor) -> Tensor:
        """The masked forward of a batch of one layout on its filled slots
        alone: x (B, T, E, d), the (E,) slots ``filled`` of ``joint_mask``
        (B, V) -> (B, T, E, d). Over the filled slots the masked graph and
        the GroupNorm statistics are the plain ones, and the convolutions
        act per slot or per pair of slots: the outputs of :meth:`forward`
        at those slots, from E / V of the slots."""
        if not self.mask_empty_slots:
            raise ValueError('forward_filled is the computation of '
                             'mask_empty_slots=True')
        graph = self.slot_graph(joint_mask[:1])[0].to(x.dtype)
        graph = graph.index_select(1, filled).index_select(2, filled)
        offsets = self.graph_offset.index_select(2, filled).index_select(
            3, filled)
        feat = x.permute(0, 3, 1, 2)  # (B, d, T, E)
        for gcn, offset in zip(self.gcns, offsets):
            feat = gcn(feat, graph + offset)
        return feat.permute(0, 2, 3, 1)


class TemporalEncodingModule(nn.Module):
    """TEM: multi-head self-attention between frame-level tokens, then a
    2-layer MLP, both pre-norm with residuals.

    A frame-level token is the concatenation of a frame's V joint tokens
    (size V*d), so attention runs over T tokens instead of T*V.

    Args:
        frame_dims: V*d.
        num_heads: attention heads.
        mlp_ratio: MLP hidden size as a multiple of ``frame_dims``.
        drop: dropout of attention and MLP outputs.
        mask_empty_slots: the entries of empty slots take no part: the
            LayerNorm statistics are taken over the entries of filled slots,
            and the normalised token, the attention and the MLP outputs are
            zero in the empty ones, so a frame token is read as its filled
            slots alone. Without it (the default, the encoder existing
            checkpoints were trained with) empty entries enter the first
            LayerNorm's statistics as zeros, so the same joints are scaled
            differently per layout, its shift reaches attention and MLP
            through them, and after the first residual they hold the
            attention's output, which enters the second LayerNorm and the
            MLP. Masked with the SEM's option because it is the same leak:
            at initialisation (d = 16) masking the TEM alone moves its
            filled outputs by 9% (NTU) to 15% (COCO, Penn Action) of their
            norm.
    """

    def __init__(self, frame_dims: int, num_heads: int = 8,
                 mlp_ratio: float = 2.0, drop: float = 0.,
                 mask_empty_slots: bool = False) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(frame_dims)
        self.attn = MultiHeadAttention(frame_dims, num_heads, proj_drop=drop)
        self.norm2 = nn.LayerNorm(frame_dims)
        self.mlp = MLP(frame_dims, int(frame_dims * mlp_ratio), drop=drop)
        self.mask_empty_slots = mask_empty_slots

    def forward(self, x: Tensor, frame_mask: Optional[Tensor] = None,
                joint_mask: Optional[Tensor] = None) -> Tensor:
        """Attend between the frames of each sequence.

        Args:
            x: (B, T, V*d) frame tokens, zero in empty slots.
            frame_mask: (B, T) bool, True = real frame.
            joint_mask: (B, V) bool, True for filled slots; needed with
                ``mask_empty_slots``, ignored without.

        Returns:
            (B, T, V*d).
        """
        if not self.mask_empty_slots:
            x = x + self.attn(self.norm1(x), key_padding_mask=frame_mask)
            return x + self.mlp(self.norm2(x))
        if joint_mask is None:
            raise ValueError('TemporalEncodingModule(mask_empty_slots=True) '
                             'needs the joint_mask of the tokens.')
        entries = joint_mask.repeat_interleave(
            x.shape[-1] // joint_mask.shape[1], dim=1)  # (B, V*d)
        if (torch.onnx.is_in_onnx_export()
                or bool((entries == entries[:1]).all())):
            # One layout (a batch of one task; an export holds one task):
            # the filled entries alone, ~filled/V_c of the compute.
            return self._forward_filled(x, entries[0].nonzero()[:, 0],
                                        frame_mask)
        keep = entries[:, None, :].to(x.dtype)
        x = x + keep * self.attn(masked_layer_norm(self.norm1, x, entries),
                                 key_padding_mask=frame_mask)
        return x + keep * self.mlp(masked_layer_norm(self.norm2, x, entries))

    def _forward_filled(self, x: Tensor, filled: Tensor,
                        frame_mask: Optional[Tensor]) -> Tensor:
        """The masked forward of a batch whose samples fill the same (E,)
        entries ``filled`` of the frame tokens: :meth:`forward_entries` on
        them, the other entries passed through as they came (the masked
        form adds zeros to them)."""
        return x.index_copy(-1, filled, self.forward_entries(
            x.index_select(-1, filled), filled, frame_mask))

    def forward_entries(self, h: Tensor, filled: Tensor,
                        frame_mask: Optional[Tensor] = None) -> Tensor:
        """The masked forward on the filled entries alone: h (B, T, E), the
        entries ``filled`` (E,) long of the (B, T, V*d) frame tokens of
        every sample -> (B, T, E), those entries of :meth:`forward`'s
        output. The LayerNorms over them are the masked ones, and the
        attention and MLP read and write only them: ~E / (V*d) of the
        compute, the same outputs to float rounding."""
        norm1, norm2, attn, mlp = self._filled_weights(filled)

        def norm(layer: nn.LayerNorm, z: Tensor, affine: tuple) -> Tensor:
            full = z.float()
            if torch.onnx.is_in_onnx_export():
                # E is a graph value there, and layer_norm needs a
                # constant shape.
                mean = full.mean(-1, keepdim=True)
                var = (full - mean).square().mean(-1, keepdim=True)
                out = ((full - mean) * torch.rsqrt(var + layer.eps) *
                       affine[0] + affine[1])
            else:
                out = F.layer_norm(full, z.shape[-1:], *affine, layer.eps)
            return out.to(z.dtype)

        h = h + self.attn.forward_entries(norm(self.norm1, h, norm1), attn,
                                          key_padding_mask=frame_mask)
        return h + self.mlp.forward_entries(norm(self.norm2, h, norm2), mlp)

    def _filled_weights(self, filled: Tensor) -> tuple:
        """The parameters of :meth:`_forward_filled` for the entries
        ``filled``: the norms' affine entries and the attention's and MLP's
        ``entry_weights``. Without autograd (inference) they are kept per
        entry set until a parameter changes: gathering the weight columns
        anew cost more than the compute it saves at small batches."""
        def gather() -> tuple:
            return ((self.norm1.weight[filled], self.norm1.bias[filled]),
                    (self.norm2.weight[filled], self.norm2.bias[filled]),
                    self.attn.entry_weights(filled),
                    self.mlp.entry_weights(filled))

        if (torch.is_grad_enabled() or torch.jit.is_tracing()
                or torch.onnx.is_in_onnx_export()):
            return gather()
        key = (tuple(filled.tolist()), filled.device,
               tuple((p._version, p.data_ptr(), p.dtype)
                     for p in self.parameters()))
        cache = self.__dict__.setdefault('_filled_cache', {})
        if key not in cache:
            cache.clear()
            cache[key] = gather()
        return cache[key]


class SEMTEMBlock(nn.Module):
    """One block theta_{l,h} of the routed encoder: a SEM followed by a TEM.

    ``connect_layouts`` is the SEM's option, ``mask_empty_slots`` that of
    both modules (see :class:`SpatialEncodingModule` and
    :class:`TemporalEncodingModule`); both default to the model as first
    trained.
    """

    def __init__(self, embed_dims: int, num_joints: int, num_heads: int = 8,
                 mlp_ratio: float = 2.0, drop: float = 0.,
                 norm_cfg: dict = dict(type='GN', num_groups=1),
                 connect_layouts: bool = False,
                 mask_empty_slots: bool = False) -> None:
        super().__init__()
        self.sem = SpatialEncodingModule(embed_dims, norm_cfg,
                                         connect_layouts, mask_empty_slots)
        self.tem = TemporalEncodingModule(embed_dims * num_joints, num_heads,
                                          mlp_ratio, drop, mask_empty_slots)

    def forward(self, x: Tensor, joint_mask: Tensor,
                filled: Optional[Tensor] = None) -> Tensor:
        """x: (B, T, V, d); joint_mask: (B, V) bool -> (B, T, V, d).

        With ``filled`` (E,) long, the slots every sample fills (needs
        ``mask_empty_slots``): x is (B, T, E, d), those slots alone, and so
        is the output, the masked computation's at those slots
        (``forward_filled`` of the SEM and TEM)."""
        if filled is not None:
            b, t, e, d = x.shape
            x = self.sem.forward_filled(x, joint_mask, filled)
            entries = (filled[:, None] * d + torch.arange(
                d, device=filled.device)).flatten()
            return self.tem.forward_entries(
                x.reshape(b, t, e * d), entries).reshape(b, t, e, d)
        b, t, v, d = x.shape
        x = self.sem(x, joint_mask)
        x = self.tem(x.reshape(b, t, v * d),
                     joint_mask=joint_mask).reshape(b, t, v, d)
        return x * joint_mask[:, None, :, None].to(x.dtype)
