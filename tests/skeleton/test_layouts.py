"""The one rule from joint counts to layouts, extended by register_layout;
a registered layout changes no model's checkpoint."""
import os.path as osp

import numpy as np
import pytest
import torch

from mmups.apis import infer_input_layout
from mmups.datasets.converters.skeleton_pkl import \
    infer_layout as converter_layout
from mmups.models import JointTokenizer
from mmups.skeleton import (BUILTIN_LAYOUTS, CANONICAL_JOINTS, SkeletonLayout,
                            infer_layout, list_layouts, register_layout)
from mmups.skeleton import layouts as layouts_module


@pytest.fixture
def hand_layout():
    """A 21-joint layout (of canonical joints) registered for one test."""
    names = CANONICAL_JOINTS[:21]
    layout = SkeletonLayout('hand21', names,
                            inward=[(i, 0) for i in range(1, 21)], center=0)
    register_layout(layout)
    yield layout
    layouts_module._LAYOUTS.pop('hand21')


def test_builtin_rule():
    assert infer_layout(25, 3) == 'nturgb+d'
    assert infer_layout(13, 2) == 'penn_action'
    assert infer_layout(17, 2) == 'coco'
    assert infer_layout(17, 3) == 'h36m'
    assert infer_layout(17, 2, preferred='h36m') == 'h36m'
    assert infer_layout(17, 2, use_defaults=False) is None
    assert infer_layout(17) is None  # 17 joints of unknown C: ambiguous
    assert infer_layout(21, 2) is None
    assert BUILTIN_LAYOUTS == tuple(sorted(
        ['nturgb+d', 'openpose', 'coco', 'h36m', 'penn_action']))


def test_register_layout_extends_every_reader(hand_layout):
    assert 'hand21' in list_layouts()
    assert infer_layout(21, 2) == 'hand21'
    assert converter_layout(21, 2) == 'hand21'
    assert infer_input_layout(21, 2) == 'hand21'
    assert infer_input_layout(21, 3, task='ar') == 'hand21'


def test_a_second_layout_of_a_joint_count_keeps_the_default():
    names = CANONICAL_JOINTS[-25:]
    register_layout(SkeletonLayout('other25', names,
                                   inward=[(i, 0) for i in range(1, 25)],
                                   center=0))
    try:
        assert infer_layout(25, 3) == 'nturgb+d'
        register_layout(SkeletonLayout(
            'other25', names, inward=[(i, 0) for i in range(1, 25)],
            center=0), force=True, default_for=(3, ))
        assert infer_layout(25, 3) == 'other25'
        assert infer_layout(25, 2) == 'nturgb+d'
    finally:
        layouts_module._LAYOUTS.pop('other25')
        layouts_module._DEFAULTS[25, 3] = 'nturgb+d'


def test_registering_a_layout_changes_no_checkpoint(hand_layout, tmp_path):
    """A tokenizer built without ``layouts`` serves the built-in layouts,
    whatever else is registered: a checkpoint saved before a layout was
    registered loads strictly after."""
    layouts_module._LAYOUTS.pop('hand21')
    torch.manual_seed(0)
    before = JointTokenizer(hidden_channels=8, embed_dims=4).state_dict()
    register_layout(hand_layout)
    after = JointTokenizer(hidden_channels=8, embed_dims=4)
    assert after.layouts == BUILTIN_LAYOUTS
    after.load_state_dict(before, strict=True)
    # Named in the config, the new layout gets its parameters.
    hand = JointTokenizer(hidden_channels=8, embed_dims=4,
                          layouts=list(BUILTIN_LAYOUTS) + ['hand21'])
    assert set(hand.state_dict()) > set(before)
    x = torch.from_numpy(np.random.default_rng(0).normal(
        size=(1, 1, 4, 21, 3)).astype(np.float32))
    assert hand.tokenize_layout(x, 'hand21').shape == (1, 1, 4, 21, 4)


def test_the_layout_guide_runs():
    """docs/adding_a_layout.md: its code registers a working layout."""
    import re
    root = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
    with open(osp.join(root, 'docs', 'adding_a_layout.md')) as f:
        blocks = re.findall(r'```python\n(.*?)```', f.read(), re.S)
    namespace = {}
    try:
        for block in blocks[:3]:  # name, connect, register
            exec(block, namespace)
        layout = namespace['mpii']
        assert infer_layout(16, 2) == 'mpii'
        assert layout.root_index == 6
        assert [layout.joint_names[i] for i in layout.flip_indices][:3] == [
            'left_ankle', 'left_knee', 'left_hip']
        tok = JointTokenizer(hidden_channels=8, embed_dims=4,
                             layouts=list(BUILTIN_LAYOUTS) + ['mpii'])
        x = torch.zeros(1, 1, 4, 16, 2)
        assert tok.tokenize_layout(
            torch.nn.functional.pad(x, (0, 1)), 'mpii').shape == (
                1, 1, 4, 16, 4)
    finally:
        layouts_module._LAYOUTS.pop('mpii', None)
