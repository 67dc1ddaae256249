import pytest
import torch

from mmups.models import JointTokenizer
from mmups.skeleton import CANONICAL_JOINTS, get_layout, list_layouts

LAYOUTS = ['nturgb+d', 'openpose', 'coco', 'h36m', 'penn_action']


def tiny_tokenizer(**kwargs):
    torch.manual_seed(0)
    return JointTokenizer(hidden_channels=8, embed_dims=6, **kwargs)


def test_builtin_layouts_registered():
    assert set(LAYOUTS) <= set(list_layouts())
    sizes = {name: get_layout(name).num_joints for name in LAYOUTS}
    assert sizes == {'nturgb+d': 25, 'openpose': 18, 'coco': 17, 'h36m': 17,
                     'penn_action': 13}
    # MMAction2's own graphs are used where MMAction2 has the layout.
    for name in ('nturgb+d', 'openpose', 'coco'):
        assert get_layout(name).graph().num_node == sizes[name]


@pytest.mark.parametrize('layout', LAYOUTS)
def test_tokens_land_in_canonical_slots(layout):
    tok = tiny_tokenizer().eval()
    lay = get_layout(layout)
    x = torch.randn(2, 2, 5, lay.num_joints, 3)
    tokens, mask = tok(x, [layout, layout])
    assert tokens.shape == (2, 2, 5, len(CANONICAL_JOINTS), 6)
    expected = torch.zeros(len(CANONICAL_JOINTS), dtype=torch.bool)
    expected[torch.as_tensor(lay.canonical_index)] = True
    assert torch.equal(mask, expected.expand(2, -1))
    assert tokens[:, :, :, ~expected].abs().sum() == 0
    assert tokens[:, :, :, expected].abs().sum() > 0
    # Tokens in the layout's own joint order match tokenize_layout.
    own = tok.tokenize_layout(x, layout) + tok.joint_embed[lay.canonical_index]
    assert torch.allclose(tokens[:, :, :, lay.canonical_index], own)


def test_mixed_layout_batch_equals_separate_batches():
    tok = tiny_tokenizer().eval()
    ntu = torch.randn(2, 2, 6, 25, 3)
    coco = torch.randn(1, 2, 6, 17, 3)
    mixed = torch.zeros(3, 2, 6, 25, 3)
    mixed[[0, 2]] = ntu
    mixed[1, :, :, :17] = coco[0]
    tokens, mask = tok(mixed, ['nturgb+d', 'coco', 'nturgb+d'])
    t_ntu, m_ntu = tok(ntu, ['nturgb+d'] * 2)
    t_coco, m_coco = tok(coco, ['coco'])
    assert torch.allclose(tokens[[0, 2]], t_ntu, atol=1e-6)
    assert torch.allclose(tokens[1:2], t_coco, atol=1e-6)
    assert torch.equal(mask[1:2], m_coco)


def test_one_instance_trains_on_a_sequence_of_layouts():
    tok = tiny_tokenizer().train()
    shared = tok.layers[1].gcn.conv.value.weight
    for layout in LAYOUTS:
        tok.zero_grad()
        v = get_layout(layout).num_joints
        tokens, _ = tok(torch.randn(2, 1, 4, v, 3), [layout] * 2)
        tokens.square().mean().backward()
        # Shared weights and this layout's own graph offsets learn ...
        assert shared.grad.abs().sum() > 0
        key = layout.replace('+', '_')
        assert tok.graph_offsets[key].grad.abs().sum() > 0
        # ... the other layouts' graph offsets do not.
        others = [k for k in tok.graph_offsets if k != key]
        assert all(tok.graph_offsets[k].grad is None
                   or tok.graph_offsets[k].grad.abs().sum() == 0
                   for k in others)


def test_errors():
    tok = tiny_tokenizer(layouts=['coco'])
    with pytest.raises(KeyError, match='not served'):
        tok(torch.randn(1, 1, 4, 25, 3), ['nturgb+d'])
    with pytest.raises(ValueError, match='V=16'):
        tok.tokenize_layout(torch.randn(1, 1, 4, 16, 3), 'coco')
    with pytest.raises(KeyError, match='Unknown joint layout'):
        get_layout('smpl24')


def test_group_norm_behaves_alike_in_training_and_evaluation():
    """GroupNorm (the UPS configs' default) keeps no batch statistics, so a
    batch is normalised the same in both modes, unlike BatchNorm."""
    x = torch.randn(2, 1, 6, 17, 3)
    for norm, same in ((dict(type='GN', num_groups=1), True),
                       (dict(type='BN2d'), False)):
        tok = tiny_tokenizer(norm_cfg=norm)
        train_out = tok.train()(x, ['coco', 'coco'])[0]
        eval_out = tok.eval()(x, ['coco', 'coco'])[0]
        assert torch.allclose(train_out, eval_out, atol=1e-5) == same


@pytest.mark.parametrize('layout', LAYOUTS)
def test_each_layout_graph_is_one_skeleton(layout):
    """The tokenizer runs on a layout's own joints and graph, so it has no
    empty slots, and every built-in layout's own graph is connected."""
    from scipy.sparse.csgraph import connected_components
    adjacency = get_layout(layout).adjacency()
    linked = (adjacency[1] + adjacency[2]) > 0
    assert connected_components(linked, directed=False)[0] == 1
    tok = tiny_tokenizer()
    assert getattr(tok, f'graph_{layout.replace("+", "_")}').shape[-1] == (
        get_layout(layout).num_joints)
