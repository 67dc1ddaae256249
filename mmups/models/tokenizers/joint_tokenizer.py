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

    def tokenize_layout(self, x: Tensor, layout: str) -> Tensor:
        """Run the TCN-GCN layers on samples of one layout.

        Args:
            x: (N, M, T, V, C) joint coordinates, V = the layout's joints.
            layout: layout name.

        Returns:
            (N, M, T, V, d) joint tokens in the layout's joint order.
        """
        self._check_layout(layout)
        key = _key(layout)
        A = getattr(self, f'graph_{key}')
        n, m, t, v, c = x.shape
        if v != A.shape[-1]:
            raise ValueError(f'Layout {layout!r} has {A.shape[-1]} joints but '
                             f'the input has V={v}.')
        if c != self.in_channels:
            raise ValueError(f'Expected C={self.in_channels} coordinates per '
                             f'joint, got {c}.')
        feat = x.reshape(n * m, t, v, c).permute(0, 3, 1, 2).contiguous()
        offsets = self.graph_offsets[key]
        for i, layer in enumerate(self.layers):
            feat = layer(feat, A + offsets[i])
        return feat.permute(0, 2, 3, 1).reshape(n, m, t, v, -1)

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
            self._check_layout(name)
            slots = getattr(self, f'slots_{_key(name)}')
            index = torch.as_tensor(idx, device=x.device)
            out = self.tokenize_layout(x[index, :, :, :len(slots)], name)
            sub = tokens[index]
            sub[:, :, :, slots] = out + self.joint_embed[slots]
            tokens[index] = sub
            joint_mask[index.unsqueeze(1), slots.unsqueeze(0)] = True
        return tokens, joint_mask
