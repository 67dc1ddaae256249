"""The SEM's graph over the canonical slots a layout fills: one connected
skeleton for every layout with bridging, degrees over filled slots only."""
import numpy as np
import pytest
import torch
from scipy.sparse.csgraph import connected_components

from mmups.models import JointTokenizer
from mmups.models.encoders import SpatialEncodingModule
from mmups.models.layers import SlotGraph
from mmups.skeleton import (BUILTIN_LAYOUTS, CANONICAL_JOINTS,
                            CANONICAL_LAYOUT, SkeletonLayout, get_layout,
                            register_layout)
from mmups.skeleton import layouts as layouts_module

V = len(CANONICAL_JOINTS)


def layout_mask(name):
    mask = torch.zeros(1, V, dtype=torch.bool)
    mask[0, torch.as_tensor(get_layout(name).canonical_index)] = True
    return mask


def components(adjacency, mask):
    """Connected components of the filled slots under (3, V, V) subsets;
    every empty slot must be isolated."""
    linked = ((adjacency[1] + adjacency[2]) > 0).numpy()
    filled = mask[0].numpy()
    assert not linked[~filled].any() and not linked[:, ~filled].any()
    sub = linked[np.ix_(filled, filled)]
    return connected_components(sub, directed=False)[0]


def sem_graph(mask, **options):
    """The (3, V, V) graph a SEM with ``options`` uses for ``mask``."""
    return SpatialEncodingModule(4, **options).slot_graph(mask)[0]


def test_canonical_graph_breaks_2d_layouts_apart():
    """Restricted to the filled slots (masking without bridging), the
    canonical skeleton falls into pieces where a layout lacks pelvis,
    spine or neck."""
    counts = {name: components(sem_graph(layout_mask(name),
                                         mask_empty_slots=True),
                               layout_mask(name))
              for name in BUILTIN_LAYOUTS}
    assert counts == {'coco': 5, 'h36m': 1, 'nturgb+d': 1, 'openpose': 4,
                      'penn_action': 5}


@pytest.mark.parametrize('name', BUILTIN_LAYOUTS)
def test_every_builtin_layout_is_one_connected_graph(name):
    mask = layout_mask(name)
    assert components(sem_graph(mask, connect_layouts=True), mask) == 1


@pytest.fixture
def sparse_layout():
    """A registered layout that keeps only ends of the limbs and the head:
    most of the canonical skeleton between its joints is missing."""
    layout = SkeletonLayout(
        'sparse6', ('nose', 'left_hand_tip', 'right_thumb', 'left_foot',
                    'right_knee', 'spine_mid'),
        inward=[(i, 5) for i in range(5)], center=5)
    register_layout(layout)
    yield layout
    layouts_module._LAYOUTS.pop('sparse6')


def test_a_registered_layout_is_one_connected_graph(sparse_layout):
    """Registering a layout is all it takes: the mask the tokenizer gives
    its samples yields one connected SEM graph."""
    tok = JointTokenizer(hidden_channels=8, embed_dims=4,
                         layouts=['sparse6'])
    _, mask = tok(torch.zeros(1, 1, 4, 6, 3), ['sparse6'])
    assert components(sem_graph(mask, mask_empty_slots=True), mask) == 6
    assert components(sem_graph(mask, connect_layouts=True), mask) == 1


def test_bridges_join_slots_across_missing_ones():
    graph = SlotGraph(CANONICAL_LAYOUT, bridge=True)
    slot = CANONICAL_JOINTS.index
    edges = graph.edges(layout_mask('coco'))[0]
    # Hips through the missing pelvis; shoulders through the thorax; the
    # nose to the shoulders through neck and thorax.
    for a, b in (('left_hip', 'right_hip'), ('left_shoulder', 'right_hip'),
                 ('left_shoulder', 'right_shoulder'),
                 ('nose', 'left_shoulder'), ('left_eye', 'nose')):
        assert edges[slot(a), slot(b)] == edges[slot(b), slot(a)] == 1
    # No bridge across a filled joint: wrist to shoulder passes the elbow.
    assert edges[slot('left_wrist'), slot('left_shoulder')] == 0
    assert edges[slot('left_eye'), slot('left_shoulder')] == 0
    adjacency = graph(layout_mask('coco'))[0]
    # A bridge that climbs to the hidden pelvis and descends again is both
    # inward and outward, in both directions; a chain is inward only
    # towards the root (the eye's parent is the nose).
    hips = slot('left_hip'), slot('right_hip')
    for k in (1, 2):
        assert adjacency[k][hips] > 0 and adjacency[k][hips[::-1]] > 0
    eye, nose = slot('left_eye'), slot('nose')
    assert adjacency[1][nose, eye] == 1 and adjacency[1][eye, nose] == 0
    assert adjacency[2][eye, nose] > 0 and adjacency[2][nose, eye] == 0


@pytest.mark.parametrize('bridge', [False, True])
def test_a_full_skeleton_gets_the_canonical_graph(bridge):
    """With every slot filled, both forms are MMAction2's spatial graph of
    the canonical layout, which the SEM uses by default."""
    full = torch.ones(2, V, dtype=torch.bool)
    adjacency = SlotGraph(CANONICAL_LAYOUT, bridge=bridge)(full)
    expected = torch.from_numpy(CANONICAL_LAYOUT.adjacency('spatial'))
    assert torch.equal(adjacency, expected.expand(2, -1, -1, -1))


@pytest.mark.parametrize('name', ['nturgb+d', 'h36m'])
def test_layouts_whose_paths_are_filled_get_no_bridge(name):
    mask = layout_mask(name)
    assert torch.equal(SlotGraph(CANONICAL_LAYOUT, bridge=True)(mask),
                       SlotGraph(CANONICAL_LAYOUT, bridge=False)(mask))


def test_degrees_count_filled_slots_only():
    """The canonical graph divides the neck's outward messages by its two
    children (head, nose); NTU has no nose, so its head gets all of it."""
    slot = CANONICAL_JOINTS.index
    neck, head = slot('neck'), slot('head')
    canonical = torch.from_numpy(CANONICAL_LAYOUT.adjacency('spatial'))
    assert canonical[2, head, neck] == 0.5
    masked = SlotGraph(CANONICAL_LAYOUT)(layout_mask('nturgb+d'))[0]
    assert masked[2, head, neck] == 1
    # Every column of inward and outward sums to 1 over filled slots where
    # the slot has an edge of that direction, and to 0 otherwise.
    for name in BUILTIN_LAYOUTS:
        for bridge in (False, True):
            mask = layout_mask(name)
            sums = SlotGraph(CANONICAL_LAYOUT, bridge)(mask)[0, 1:].sum(1)
            assert ((sums - 1).abs() < 1e-6).logical_or(sums == 0).all()
            assert (sums[:, ~mask[0]] == 0).all()


def test_a_mixed_batch_gets_each_sample_its_graph():
    masks = torch.cat([layout_mask(n) for n in BUILTIN_LAYOUTS])
    graph = SlotGraph(CANONICAL_LAYOUT, bridge=True)
    batched = graph(masks)
    for i, name in enumerate(BUILTIN_LAYOUTS):
        assert torch.equal(batched[i], graph(layout_mask(name))[0])


def test_tree_paths():
    slot = CANONICAL_JOINTS.index
    inside, above = CANONICAL_LAYOUT.tree_paths()
    path = inside[slot('left_hip'), slot('nose')]
    assert {CANONICAL_JOINTS[j] for j in np.flatnonzero(path)} == {
        'pelvis', 'spine_mid', 'thorax', 'neck'}
    assert not inside[slot('left_knee'), slot('left_hip')].any()
    assert above[slot('left_wrist'), slot('pelvis')]
    assert not above[slot('pelvis'), slot('left_wrist')]
    assert not above[slot('left_hip'), slot('right_hip')]
    names = ('pelvis', 'left_hip', 'right_hip')
    with pytest.raises(ValueError, match='two parents'):
        SkeletonLayout('bad', names, inward=[(1, 0), (1, 2)]).tree_paths()
    with pytest.raises(ValueError, match='not connected'):
        SkeletonLayout('bad', names, inward=[(1, 0)]).tree_paths()
    with pytest.raises(ValueError, match='cycle'):
        SkeletonLayout('bad', names,
                       inward=[(0, 1), (1, 2), (2, 0)]).tree_paths()
