"""The skeleton graph over the joint slots a sample fills.

The routed encoder's tokens sit in the V_c slots of the canonical joint set,
of which a sample's layout fills only some. The canonical skeleton restricted
to the filled slots falls apart where a layout lacks the joints that hold it
together (COCO-17 has neither pelvis nor thorax: 5 pieces); bridging links
the filled slots across the missing ones instead.
"""
import torch
from torch import Tensor, nn

from mmups.skeleton import SkeletonLayout


class SlotGraph(nn.Module):
    """Spatial-mode adjacency (identity, inward, outward; MMAction2's
    ``Graph(mode='spatial')`` normalisation) of a tree-shaped skeleton over
    the slots each sample fills, with degrees that count filled slots only.

    Two filled slots are joined by an edge

    * ``bridge=False``: where the skeleton joins them directly;
    * ``bridge=True``: where the skeleton path between them runs through
      empty slots only (a direct edge has no slot in between). The graph
      over the filled slots is then connected for any set of filled slots,
      so a new layout needs nothing for it; where every slot of a path is
      filled this is the skeleton itself.

    An edge whose path only climbs towards the root is inward from its lower
    end. A bridge that climbs to an empty slot and descends again (COCO's
    left to right hip, through the pelvis) is both inward and outward, in
    both directions.

    All tensors here are buffers derived from ``layout``, not stored in
    checkpoints.

    Args:
        layout: a layout whose ``inward`` graph is a tree (the canonical
            layout); its joints are the slots.
        bridge: see above.
    """

    def __init__(self, layout: SkeletonLayout, bridge: bool = False) -> None:
        super().__init__()
        self.bridge = bridge
        inside, above = (torch.from_numpy(a) for a in layout.tree_paths())
        up = above.float()
        eye = torch.eye(layout.num_joints)
        link = torch.zeros_like(up)
        for child, parent in layout.inward:
            link[child, parent] = link[parent, child] = 1.
        self.register_buffer('link', link, persistent=False)
        self.register_buffer('inside', inside.float(), persistent=False)
        # direction[u, v] = 1 where an edge u-v is inward from u to v.
        self.register_buffer('direction', 1. - up.t() - eye,
                             persistent=False)
        self.register_buffer('off_diagonal', 1. - eye, persistent=False)
        self.register_buffer('eye', eye, persistent=False)

    def edges(self, joint_mask: Tensor) -> Tensor:
        """joint_mask: (B, V) bool -> (B, V, V) 0/1, symmetric: the edges
        between the filled slots."""
        filled = joint_mask.to(self.link.dtype)
        pair = filled[:, :, None] * filled[:, None, :]
        if not self.bridge:
            return pair * self.link
        blocked = torch.einsum('uvw,bw->buv', self.inside, filled)
        return pair * (blocked == 0) * self.off_diagonal

    def forward(self, joint_mask: Tensor) -> Tensor:
        """joint_mask: (B, V) bool -> (B, 3, V, V) adjacency subsets."""
        inward = self.edges(joint_mask) * self.direction  # [child, parent]
        # edge2mat puts edge (child, parent) at [parent, child]; each column
        # is divided by its sum (normalize_digraph), zero columns stay zero.
        into_parent = inward.transpose(1, 2)
        # The identity over the filled slots: eye * mask rather than
        # torch.diag_embed, which ONNX (opset 17) cannot export.
        subsets = (self.eye * joint_mask.to(inward.dtype)[:, None, :],
                   into_parent / into_parent.sum(1, keepdim=True).clamp(min=1),
                   inward / inward.sum(1, keepdim=True).clamp(min=1))
        return torch.stack(subsets, dim=1)
