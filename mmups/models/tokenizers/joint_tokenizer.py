"""Joint coordinates tokenizer (paper section 3.3)."""
import re
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmups.registry import MODELS
from mmups.skeleton import BUILTIN_LAYOUTS, CANONICAL_JOINTS, get_layout
from ..layers import TCNGCNUnit


def _key(layout: str) -> str:
    """A parameter-name-safe key for a layout name ('nturgb+d' -> 'nturgb_d')."""
    return re.sub(r'\W', '_', layout)


@MODELS.register_module()
class JointTokenizer(BaseModule):
    """Three TCN-GCN layers that turn a pose sequence into joint tokens.

    One instance serves every layout in ``layouts``: the convolution weights
    are shared, while each layout has its own skeleton graph (MMAction2's
    ``Graph`` where it has the layout) plus a learnable offset of that graph
    per layer. After the last layer the V joint tokens of a layout are
    scattered into the V_c slots of the canonical joint set
    (:mod:`mmups.skeleton.layouts`) and a learnable embedding of each slot is
    added, so the encoder sees one shape for all layouts plus a mask of the
    filled slots. Samples of different layouts may share a batch.

    Args:
        in_channels: C of the input; 2D input is padded to 3 with a zero Z
            (paper 5.2) by the data preprocessor.
        hidden_channels: channels of the first layers.
        embed_dims: d, the token size.
        num_layers: number of TCN-GCN layers (3 in the paper).
        layouts: layouts this tokenizer serves, pinned in the model config
            (each has its own parameters, so the checkpoint depends on
            them); default: the layouts that come with mmups
            (``mmups.skeleton.BUILTIN_LAYOUTS``), whatever else is
            registered, so that registering a layout never changes which
            checkpoints a config loads.
        graph_mode: MMAction2 ``Graph`` mode giving the adjacency subsets.
        norm_cfg: normalisation layer config of the TCN-GCN layers.
    """

    def __init__(self,
                 in_channels: int = 3,
                 hidden_channels: int = 64,
                 embed_dims: int = 32,
                 num_layers: int = 3,
                 layouts: Optional[Sequence[str]] = None,
                 graph_mode: str = 'spatial',
                 norm_cfg: dict = dict(type='GN', num_groups=1),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.embed_dims = embed_dims
        self.num_canonical = len(CANONICAL_JOINTS)
        self.layouts = tuple(layouts) if layouts else BUILTIN_LAYOUTS
        widths = [in_channels] + [hidden_channels] * (num_layers - 1) + [
            embed_dims]
        self.layers = nn.ModuleList(
            TCNGCNUnit(widths[i], widths[i + 1], residual=i > 0,
                       norm_cfg=norm_cfg) for i in range(num_layers))
        self.graph_offsets = nn.ParameterDict()
        for name in self.layouts:
            layout = get_layout(name)
            A = torch.from_numpy(layout.adjacency(graph_mode))
            # The graphs are derived from the layout definitions, so they are
            # not stored in checkpoints; the learned offsets are.
            self.register_buffer(f'graph_{_key(name)}', A, persistent=False)
            self.register_buffer(
                f'slots_{_key(name)}',
                torch.as_tensor(layout.canonical_index, dtype=torch.long),
                persistent=False)
            self.graph_offsets[_key(name)] = nn.Parameter(
                torch.zeros(num_layers, *A.shape))
        self.joint_embed = nn.Parameter(
            torch.zeros(self.num_canonical, embed_dims))
        nn.init.trunc_normal_(self.joint_embed, std=0.02)

    def _check_layout(self, layout: str) -> None:
        if layout not in self.layouts:
            raise KeyError(f'Joint layout {layout!r} is not served by this '
                           f'tokenizer; configured layouts: {self.layouts}.')

    def layout_graphs(self, layout: str) -> Tensor:
        """(num_layers, n_sub, V, V) the skeleton graph each layer uses for
        ``layout``: its adjacency plus that layer's learned offset."""
        self._check_layout(layout)
        key = _key(layout)
        return getattr(self, f'graph_{key}') + self.graph_offsets[key]

    def layout_slots(self, layout: str) -> Tensor:
        """(V,) long: the canonical slot of each joint of ``layout``."""
        self._check_layout(layout)
        return getattr(self, f'slots_{_key(layout)}')

    def tokenize_layout(self, x: Tensor, layout: str) -> Tensor:
        """Run the TCN-GCN layers on samples of one layout.

        Args:
            x: (N, M, T, V, C) joint coordinates, V = the layout's joints.
            layout: layout name.

        Returns:
            (N, M, T, V, d) joint tokens in the layout's joint order.
        """
        graphs = self.layout_graphs(layout)
        n, m, t, v, c = x.shape
        if v != graphs.shape[-1]:
            raise ValueError(f'Layout {layout!r} has {graphs.shape[-1]} '
                             f'joints but the input has V={v}.')
        if c != self.in_channels:
            raise ValueError(f'Expected C={self.in_channels} coordinates per '
                             f'joint, got {c}.')
        return self.tokenize_with_graphs(x, graphs)

    def tokenize_with_graphs(self, x: Tensor, graphs: Tensor) -> Tensor:
        """:meth:`tokenize_layout` with the layout given by its graphs
        (:meth:`layout_graphs`), unchecked: the form an exported graph
        takes a layout in.

        Args:
            x: (N, M, T, V, C) joint coordinates.
            graphs: (num_layers, n_sub, V, V) graph of each layer.

        Returns:
            (N, M, T, V, d) joint tokens in the layout's joint order.
        """
        n, m, t, v, c = x.shape
        feat = x.reshape(n * m, t, v, c).permute(0, 3, 1, 2).contiguous()
        for layer, graph in zip(self.layers, graphs):
            feat = layer(feat, graph)
        return feat.permute(0, 2, 3, 1).reshape(n, m, t, v, -1)

    def place_in_slots(self, joint_tokens: Tensor,
                       slots: Tensor) -> Tuple[Tensor, Tensor]:
        """Scatter joint tokens into the canonical slots and add each slot's
        embedding.

        Args:
            joint_tokens: (N, M, T, V, d) tokens in a layout's joint order.
            slots: (V,) long, the canonical slot of each joint
                (:meth:`layout_slots`).

        Returns:
            tokens: (N, M, T, V_c, d), zeros in the slots not filled.
            joint_mask: (N, V_c) bool, True for filled slots.
        """
        n, m, t = joint_tokens.shape[:3]
        tokens = joint_tokens.new_zeros(n, m, t, self.num_canonical,
                                        self.embed_dims)
        tokens[:, :, :, slots] = joint_tokens + self.joint_embed[slots]
        joint_mask = torch.zeros(n, self.num_canonical, dtype=torch.bool,
                                 device=joint_tokens.device)
        joint_mask[:, slots] = True
        return tokens, joint_mask

    def forward(self, x: Tensor,
                layouts: Sequence[str]) -> Tuple[Tensor, Tensor]:
        """Tokenize a batch whose samples may have different layouts.

        Args:
            x: (N, M, T, V_max, C) coordinates; sample n uses its first
                V(layouts[n]) joints, the rest is padding.
            layouts: N layout names.

        Returns:
            tokens: (N, M, T, V_c, d) tokens in canonical joint slots (zeros
                in slots the sample's layout does not have).
            joint_mask: (N, V_c) bool, True for filled slots.
        """
        n, m, t = x.shape[:3]
        if len(layouts) != n:
            raise ValueError(f'{len(layouts)} layouts for {n} samples.')
        tokens = x.new_zeros(n, m, t, self.num_canonical, self.embed_dims)
        joint_mask = torch.zeros(n, self.num_canonical, dtype=torch.bool,
                                 device=x.device)
        groups: Dict[str, list] = {}
        for i, name in enumerate(layouts):
            groups.setdefault(name, []).append(i)
        for name, idx in groups.items():
            slots = self.layout_slots(name)
            index = torch.as_tensor(idx, device=x.device)
            out = self.tokenize_layout(x[index, :, :, :len(slots)], name)
            tokens[index], joint_mask[index] = self.place_in_slots(out, slots)
        return tokens, joint_mask
