"""SEM-TEM blocks: the default is the computation existing checkpoints were
trained with; with ``mask_empty_slots`` the empty canonical slots contribute
nothing to the filled ones, without it they measurably do."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmups.models import RoutedEncoder
from mmups.models.encoders import SEMTEMBlock, SpatialEncodingModule
from mmups.skeleton import CANONICAL_JOINTS, CANONICAL_LAYOUT, get_layout

V = len(CANONICAL_JOINTS)
D = 4
OPTIONS = [dict(), dict(connect_layouts=True), dict(mask_empty_slots=True),
           dict(connect_layouts=True, mask_empty_slots=True)]


def layout_masks(*names):
    mask = torch.zeros(len(names), V, dtype=torch.bool)
    for i, name in enumerate(names):
        mask[i, torch.as_tensor(get_layout(name).canonical_index)] = True
    return mask


def randomise(module, seed=0):
    """Every parameter random, so the refinement (alpha) and the graph
    offsets are active, as after training."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.3)
    return module


def inputs(mask, t=5, seed=1):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(mask.shape[0], t, V, D, generator=gen)
    return x * mask[:, None, :, None]


class EmptySlotNoise:
    """Forward hooks that add noise to every slot-indexed intermediate
    output at the empty slots only: the value, query and key convolutions
    and the relation expansion of the graph convolutions (what their biases
    put there), and the attention and MLP outputs of the TEM."""

    def __init__(self, module, mask, scale=3.0):
        self.empty = (~mask).float()  # (B, V)
        self.scale = scale
        self.gen = torch.Generator().manual_seed(7)
        self.handles = []
        for name, sub in module.named_modules():
            last = name.rsplit('.', 1)[-1]
            if last in ('query', 'key', 'value'):
                self.handles.append(sub.register_forward_hook(self.per_slot))
            elif last == 'expand':
                self.handles.append(sub.register_forward_hook(self.per_pair))
            elif last in ('proj', 'mlp'):
                self.handles.append(sub.register_forward_hook(self.per_entry))

    def noise(self, like):
        return torch.randn(like.shape, generator=self.gen) * self.scale

    def per_slot(self, module, args, out):  # (B, C, T, V)
        return out + self.noise(out) * self.empty[:, None, None, :]

    def per_pair(self, module, args, out):  # (B, C, V, V)
        either = 1 - (1 - self.empty[:, :, None]) * (1 - self.empty[:, None])
        return out + self.noise(out) * either[:, None]

    def per_entry(self, module, args, out):  # (B, T, V*d)
        entries = self.empty.repeat_interleave(out.shape[-1] // V, dim=1)
        return out + self.noise(out) * entries[:, None, :]

    def remove(self):
        for handle in self.handles:
            handle.remove()


def valid_change(module, x, mask, *extra):
    """Largest change of the filled slots' outputs when the empty slots'
    inputs are replaced by noise and noise is added at the empty slots of
    every intermediate output."""
    # x: (B, [M,] T, V, d); the mask broadcast to it.
    keep = mask.view(mask.shape[0], *[1] * (x.dim() - 3), V, 1)
    with torch.no_grad():
        clean = module(x, mask, *extra)
        noisy_x = x + torch.randn(x.shape, generator=torch.Generator(
        ).manual_seed(3)) * 5 * ~keep
        hooks = EmptySlotNoise(module, mask)
        try:
            noisy = module(noisy_x, mask, *extra)
        finally:
            hooks.remove()
    assert noisy[~keep.expand_as(noisy)].abs().max() == 0
    return (clean - noisy).abs().mul(keep).max().item()


@pytest.mark.parametrize('connect', [False, True])
def test_empty_slots_contribute_nothing_when_masked(connect):
    mask = layout_masks('coco', 'penn_action', 'openpose')
    x = inputs(mask)
    block = randomise(SEMTEMBlock(D, V, num_heads=2, mlp_ratio=1.0,
                                  connect_layouts=connect,
                                  mask_empty_slots=True)).eval()
    assert valid_change(block, x, mask) == 0
    assert valid_change(block.sem, x, mask) == 0
    enc = randomise(RoutedEncoder(embed_dims=D, num_layers=2, num_tasks=1,
                                  task_dims=8, num_heads=2, mlp_ratio=1.0,
                                  connect_layouts=connect,
                                  mask_empty_slots=True)).eval()
    assert valid_change(enc, x[:, None], mask, 0) == 0


@pytest.mark.parametrize('connect', [False, True])
def test_empty_slots_leak_without_masking(connect):
    """The leak the option removes is measurable: noise of std 3 at the
    empty slots moves filled-slot outputs by O(1), in the SEM alone and in
    the TEM alone."""
    mask = layout_masks('coco', 'penn_action', 'openpose')
    x = inputs(mask)
    block = randomise(SEMTEMBlock(D, V, num_heads=2, mlp_ratio=1.0,
                                  connect_layouts=connect)).eval()
    assert valid_change(block.sem, x, mask) > 0.1
    with torch.no_grad():
        tokens = block.sem(x, mask).reshape(3, 5, V * D)
        clean = block.tem(tokens)
        hooks = EmptySlotNoise(block.tem, mask)
        try:
            noisy = block.tem(tokens)
        finally:
            hooks.remove()
    keep = mask.repeat_interleave(D, 1)[:, None, :]
    assert (clean - noisy).abs().mul(keep).max() > 0.1


def test_masked_tem_ignores_empty_entries():
    """With the option the TEM reads a frame token as the filled slots
    alone: the result equals running it on the filled entries only, with
    LayerNorm statistics over them."""
    mask = layout_masks('penn_action')
    block = randomise(SEMTEMBlock(D, V, num_heads=2, mlp_ratio=1.0,
                                  mask_empty_slots=True)).eval()
    tem = block.tem
    x = inputs(mask).reshape(1, 5, V * D)
    entries = mask.repeat_interleave(D, 1)[0]
    with torch.no_grad():
        out = tem(x, joint_mask=mask)[0][:, entries]
        h = x[0][:, entries]

        def norm(layer, z):
            return F.layer_norm(z, z.shape[-1:], layer.weight[entries],
                                layer.bias[entries], layer.eps)

        def restricted(linear, z, rows=slice(None), cols=slice(None)):
            return F.linear(z, linear.weight[rows][:, cols],
                            linear.bias[rows])

        # Attention restricted to the filled entries: q, k, v read them
        # only, the output projection writes them only.
        attn = tem.attn
        q = restricted(attn.q, norm(tem.norm1, h), cols=entries)
        kv = restricted(attn.kv, norm(tem.norm1, h), cols=entries)
        k, v = kv.chunk(2, dim=-1)
        heads = attn.num_heads

        def split(z):
            return z.view(5, heads, -1).transpose(0, 1)

        mixed = F.scaled_dot_product_attention(split(q), split(k), split(v))
        mixed = mixed.transpose(0, 1).reshape(5, -1)
        h = h + restricted(attn.proj, mixed, rows=entries)
        fc1, fc2 = tem.mlp[0], tem.mlp[3]
        hidden = F.gelu(restricted(fc1, norm(tem.norm2, h), cols=entries))
        h = h + restricted(fc2, hidden, rows=entries)
    assert torch.allclose(out, h, atol=1e-5)
    with pytest.raises(ValueError, match='needs the joint_mask'):
        tem(x)


def test_filled_entries_path_equals_the_masked_computation(monkeypatch):
    """A batch of one layout runs the masked TEM on the filled entries
    alone; its outputs and gradients are those of the masked computation
    over every entry (what a batch of mixed layouts runs), and the weights
    it keeps for inference follow a change of the parameters."""
    tem = randomise(SEMTEMBlock(D, V, num_heads=2, mlp_ratio=1.5,
                                mask_empty_slots=True)).tem
    mask = layout_masks('coco', 'coco', 'coco')
    x = inputs(mask).reshape(3, 5, V * D)
    frames = torch.ones(3, 5, dtype=torch.bool)
    frames[1, 3:] = False
    calls = []
    filled = tem._forward_filled
    monkeypatch.setattr(tem, '_forward_filled',
                        lambda *a: (calls.append(1), filled(*a))[1])

    def masked(z):
        """The masked path over all entries, forced by a mixed batch: a
        sample of another layout appended, then dropped."""
        extra = layout_masks('nturgb+d')
        out = tem(torch.cat([z, inputs(extra).reshape(1, 5, V * D)]),
                  torch.cat([frames, frames[:1]]),
                  torch.cat([mask, extra]))
        return out[:3]

    for train in (True, False):
        tem.train(train)
        a = x.clone().requires_grad_()
        fast = tem(a, frames, mask)
        assert calls == [1]
        b = x.clone().requires_grad_()
        slow = masked(b)
        assert calls == [1]
        assert torch.allclose(fast, slow, atol=1e-5)
        fast.square().sum().backward()
        grads = [p.grad.clone() for p in tem.parameters()]
        tem.zero_grad()
        slow.square().sum().backward()
        assert torch.allclose(a.grad, b.grad, rtol=1e-4, atol=1e-3)
        for g, p in zip(grads, tem.parameters()):
            assert torch.allclose(g, p.grad, rtol=1e-4, atol=1e-3)
        tem.zero_grad()
        calls.clear()
    with torch.no_grad():
        before = tem(x, frames, mask)
        tem.mlp[3].weight.mul_(2)  # the kept weights must follow
        after = tem(x, frames, mask)
        assert not torch.allclose(before, after)
        assert torch.allclose(after, masked(x), atol=1e-5)


@pytest.mark.parametrize('name', ['coco', 'nturgb+d'])
def test_masked_sem_is_the_sem_of_the_filled_slots_alone(name):
    """With the option the SEM of a layout computes what the plain SEM
    computes on the filled slots alone, with MMAction2's spatial graph of
    the canonical edges between them (degrees over filled slots) and the
    graph offsets' entries among them."""
    from mmaction.models.utils import Graph
    mask = layout_masks(name)
    sem = randomise(SpatialEncodingModule(D, mask_empty_slots=True)).eval()
    filled = torch.nonzero(mask[0]).flatten()
    local = {int(s): i for i, s in enumerate(filled)}
    edges = [(local[c], local[p]) for c, p in CANONICAL_LAYOUT.inward
             if c in local and p in local]
    sub_graph = torch.from_numpy(Graph(
        layout=dict(num_node=len(filled), inward=edges, center=0),
        mode='spatial').A).float()
    x = inputs(mask)
    with torch.no_grad():
        out = sem(x, mask)[:, :, filled]
        feat = x[:, :, filled].permute(0, 3, 1, 2)
        for gcn, offset in zip(sem.gcns, sem.graph_offset):
            feat = gcn(feat, sub_graph + offset[:, filled][:, :, filled])
        assert torch.allclose(out, feat.permute(0, 2, 3, 1), atol=1e-5)


def previous_block(block, x, mask):
    """The SEM-TEM block as computed before the options existed, written
    out with functional operations on the block's parameters."""
    graph = torch.from_numpy(CANONICAL_LAYOUT.adjacency('spatial'))
    b, t, v, d = x.shape
    keep = mask[:, None, None, :].float()
    feat = x.permute(0, 3, 1, 2) * keep
    for gcn, offset in zip(block.sem.gcns, block.sem.graph_offset):
        conv, n = gcn.conv, gcn.norm
        pooled = feat.mean(2, keepdim=True)
        rel = torch.tanh(conv.query(pooled).squeeze(2)[..., None] -
                         conv.key(pooled).squeeze(2)[..., None, :])
        topo = (graph + offset)[None, :, None] + conv.alpha * conv.expand(
            rel).view(b, 3, d, v, v)
        agg = torch.einsum('nkcuv,nkctv->nctu', topo,
                           conv.value(feat).view(b, 3, d, t, v))
        agg = F.group_norm(agg, n.num_groups, n.weight, n.bias, n.eps)
        feat = F.relu(agg + feat) * keep
    tokens = feat.permute(0, 2, 3, 1).reshape(b, t, v * d)
    tem = block.tem
    tokens = tokens + tem.attn(F.layer_norm(
        tokens, (v * d, ), tem.norm1.weight, tem.norm1.bias, tem.norm1.eps))
    tokens = tokens + tem.mlp(F.layer_norm(
        tokens, (v * d, ), tem.norm2.weight, tem.norm2.bias, tem.norm2.eps))
    return tokens.reshape(b, t, v, d) * mask[:, None, :, None]


def test_default_is_the_previous_computation():
    mask = layout_masks('coco', 'nturgb+d', 'h36m')
    x = inputs(mask)
    block = randomise(SEMTEMBlock(D, V, num_heads=2, mlp_ratio=1.0)).eval()
    with torch.no_grad():
        assert torch.allclose(block(x, mask), previous_block(block, x, mask),
                              atol=1e-6)
        # The options change the computation (masking already for NTU and
        # H36M, whose canonical degrees count their empty slots).
        other = SEMTEMBlock(D, V, num_heads=2, mlp_ratio=1.0,
                            connect_layouts=True, mask_empty_slots=True)
        other.load_state_dict(block.state_dict(), strict=True)
        changed = (other.eval()(x, mask) - block(x, mask)).abs()
        assert (changed.flatten(1).max(1).values > 1e-3).all()


def test_options_add_no_checkpoint_entries():
    """Checkpoints load strictly across every setting of the options."""
    def state(**options):
        torch.manual_seed(0)
        return RoutedEncoder(embed_dims=D, num_layers=2, task_dims=8,
                             num_heads=2, **options).state_dict()

    default = state()
    for options in OPTIONS[1:]:
        torch.manual_seed(0)
        enc = RoutedEncoder(embed_dims=D, num_layers=2, task_dims=8,
                            num_heads=2, **options)
        assert list(enc.state_dict()) == list(default)
        enc.load_state_dict(default, strict=True)


def test_masking_needs_group_norm():
    with pytest.raises(ValueError, match='norm_cfg'):
        SpatialEncodingModule(D, norm_cfg=dict(type='BN2d'),
                              mask_empty_slots=True)
    sem = SpatialEncodingModule(D, norm_cfg=dict(type='BN2d'),
                                connect_layouts=True)
    assert isinstance(sem.gcns[0].norm, nn.BatchNorm2d)
