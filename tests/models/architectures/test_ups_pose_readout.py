"""Pose estimation read-out of UPS: expectation decoding, root, flip test,
and the training options (masked softmax, ordinal targets, L1)."""
import pytest
import torch

from mmups.skeleton import flip_pose3d, flip_sequence, get_layout
from .test_ups import batch, build_tiny

H36M = get_layout('h36m')


def _poses(preds):
    return torch.stack([torch.as_tensor(p.pred_instances.keypoints)
                        for p in preds])


def test_flip_of_a_layout_is_an_involution():
    gen = torch.Generator().manual_seed(0)
    for name in ('h36m', 'coco', 'nturgb+d', 'openpose', 'penn_action'):
        layout = get_layout(name)
        idx = layout.flip_indices
        assert sorted(idx) == list(range(layout.num_joints))
        for i, j in enumerate(idx):
            a, b = layout.joint_names[i], layout.joint_names[j]
            assert a.replace('left', 'right') == b or \
                a.replace('right', 'left') == b
        x = torch.randn(2, 5, layout.num_joints, 2, generator=gen)
        assert torch.allclose(flip_sequence(flip_sequence(x, layout), layout),
                              x, atol=1e-6)
    # Mirrored about the pelvis: the root stays where it is.
    x = torch.randn(3, 17, 2, generator=gen)
    f = flip_sequence(x, H36M)
    assert torch.allclose(f[:, 0], x[:, 0])
    # right hip (1) <- mirrored left hip (4)
    assert torch.allclose(f[:, 1, 0], 2 * x[:, 0, 0] - x[:, 4, 0])
    assert torch.allclose(f[:, 1, 1], x[:, 4, 1])
    p = torch.randn(17, 3, generator=gen)
    assert torch.allclose(flip_pose3d(p, H36M)[1],
                          p[4] * torch.tensor([-1., 1., 1.]))


def _symmetric_input(frames=6):
    """A mirror-symmetric 2D pose sequence of the h36m layout about the
    pelvis: ``flip_sequence`` leaves it unchanged."""
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(1, frames, 17, 2, generator=gen) * 0.2
    x = (x + flip_sequence(x, H36M)) / 2
    assert torch.allclose(flip_sequence(x, H36M), x, atol=1e-6)
    return x


def test_flip_test_on_a_symmetric_input():
    """Flipping a symmetric input changes nothing, so the flip test's
    prediction is the average of the plain prediction and its mirror image:
    itself mirror-symmetric (an un-flip that forgot the joint swap or the
    sign of X fails this)."""
    plain_model = build_tiny(test_cfg={}).eval()
    flip_model = build_tiny(test_cfg=dict(flip_test=True)).eval()
    flip_model.load_state_dict(plain_model.state_dict())
    data = batch(plain_model, 'pe3d', n=1)
    data['inputs'][:] = 0
    data['inputs'][0, :1, :, :17, :2] = _symmetric_input()
    plain = _poses(plain_model.predict(data['inputs'],
                                       data['data_samples']))[0]
    flipped = _poses(flip_model.predict(data['inputs'],
                                        data['data_samples']))[0]
    expected = (plain + flip_pose3d(plain, H36M)) / 2
    assert torch.allclose(flipped, expected, atol=1e-6)
    assert torch.allclose(flip_pose3d(flipped, H36M), flipped, atol=1e-6)


def test_flip_test_differs_on_an_asymmetric_input():
    plain_model = build_tiny(test_cfg={}).eval()
    flip_model = build_tiny(test_cfg=dict(flip_test=True)).eval()
    flip_model.load_state_dict(plain_model.state_dict())
    data = batch(plain_model, 'pe3d', n=2)
    plain = _poses(plain_model.predict(data['inputs'], data['data_samples']))
    mirror = data['inputs'].clone()
    mirror[:, :, :, :17] = flip_sequence(data['inputs'][:, :, :, :17], H36M)
    of_mirror = _poses(plain_model.predict(mirror, data['data_samples']))
    flipped = _poses(flip_model.predict(data['inputs'],
                                        data['data_samples']))
    expected = (plain + flip_pose3d(of_mirror, H36M)) / 2
    assert torch.allclose(flipped, expected, atol=1e-6)


def test_root_decodes_to_zero():
    model = build_tiny(test_cfg=dict(zero_root=True)).eval()
    data = batch(model, 'pe3d', n=3)
    poses = _poses(model.predict(data['inputs'], data['data_samples']))
    assert (poses[:, :, H36M.root_index] == 0).all()
    assert (poses[:, :, 1:].abs() > 0).any()
    # Without the option the root is a bin centre, never 0 with an even
    # number of bins over a symmetric range.
    plain = build_tiny(test_cfg={}).eval()
    poses = _poses(plain.predict(data['inputs'], data['data_samples']))
    assert (poses[:, :, H36M.root_index] != 0).all()


def test_expectation_readout_keeps_tokens_and_is_the_softmax_mean():
    argmax = build_tiny(train_cfg={}, test_cfg={}).eval()
    expect = build_tiny(train_cfg={},
                        test_cfg=dict(coord_readout='expectation')).eval()
    expect.load_state_dict(argmax.state_dict())
    data = batch(argmax, 'pe3d', n=2)
    a = argmax.predict(data['inputs'], data['data_samples'])
    a_tokens = [p.pred_tokens.clone() for p in a]
    a_poses = _poses(a)
    e = expect.predict(data['inputs'], data['data_samples'])
    # The unified-vocabulary output is unchanged ...
    for t, p in zip(a_tokens, e):
        assert torch.equal(t, p.pred_tokens)
    e_poses = _poses(e)
    # ... the coordinates are continuous and within half the axis range of
    # the bin centres' spread, but not the bin centres themselves.
    assert not torch.allclose(e_poses, a_poses)
    # The read-out of the first coordinate, recomputed by hand.
    from mmups.models.vocabularies.task_grammar import TaskGrammar
    samples = data['data_samples']
    _, memory, mask = expect.encode(data['inputs'], samples, 'pe3d')
    grammar = TaskGrammar.from_samples(expect.vocabulary, samples)
    out = expect.head.generate(
        memory, mask, expect.task_embedding('pe3d', 2),
        expect.vocabulary.token_table(), grammar=grammar,
        return_logits=True)
    ids = expect.vocabulary.coord_token_ids(0)
    probs = out['logits'][0, 0, ids].softmax(-1)
    centres = expect.vocabulary.quantizer.bin_centres()[0]
    assert torch.allclose(e_poses[0, 0, 0, 0], (probs * centres).sum(),
                          atol=1e-6)


def test_training_options_change_the_loss():
    """Each train_cfg option changes the loss of the same batch as it
    should: masking removes out-of-grammar mass (smaller NLL), ordinal
    targets differ from one-hot ones, the L1 term adds its own entry."""
    def loss(**train_cfg):
        model = build_tiny(train_cfg=train_cfg)
        model.train()
        torch.manual_seed(1)
        data = batch(model, 'pe3d', n=3)
        torch.manual_seed(1)
        return model.loss(data['inputs'], data['data_samples'])

    base = loss()
    masked = loss(masked_softmax=True)
    assert masked['nll_pe3d'] < base['nll_pe3d']
    soft = loss(coord_target=dict(mode='gaussian', sigma=2.0))
    assert not torch.isclose(soft['nll_pe3d'], base['nll_pe3d'])
    l1 = loss(coord_l1_weight=2.0)
    assert torch.isclose(l1['nll_pe3d'], base['nll_pe3d'])
    assert torch.isclose(l1['loss'], base['loss'] + 2.0 * l1['l1_pe3d'],
                         atol=1e-5)
    assert 0 < l1['l1_pe3d'] < 2.4  # metres, at most the coordinate range


def test_bad_options():
    with pytest.raises(KeyError, match='flip'):
        build_tiny(test_cfg=dict(flip=True))
    with pytest.raises(ValueError, match='coord_readout'):
        build_tiny(test_cfg=dict(coord_readout='mean'))
    with pytest.raises(ValueError, match='coord_target'):
        build_tiny(train_cfg=dict(coord_target=dict(mode='soft')))
