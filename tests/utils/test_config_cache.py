"""Tests of :mod:`mmups.utils.config_cache` (opt-in, not applied on
import: see tests/utils/test_import.py)."""
import pytest
from mmengine.config import Config
from mmengine.config import config as config_module

from mmups.utils import config_text_cache_enabled, enable_config_text_cache


@pytest.fixture
def text_cache(monkeypatch):
    """The cache applied for one test; mmengine's property is put back
    afterwards, whatever the state before."""
    monkeypatch.setattr(Config, 'pretty_text', Config.pretty_text)
    assert enable_config_text_cache() is True
    return Config.pretty_text


def test_enable_is_idempotent(text_cache):
    assert config_text_cache_enabled()
    assert enable_config_text_cache() is True
    assert Config.pretty_text is text_cache  # not wrapped twice
    assert not getattr(text_cache.fget.__wrapped__, '_mmups_cached', False)


def test_config_text_formatted_once_and_refreshed_on_change(text_cache,
                                                           monkeypatch):
    """``Config.pretty_text`` runs yapf once per distinct config content;
    the text equals mmengine's own, and a changed config is formatted
    again."""
    calls = []
    original_format = config_module.FormatCode

    def counting_format(*args, **kwargs):
        calls.append(1)
        return original_format(*args, **kwargs)

    monkeypatch.setattr(config_module, 'FormatCode', counting_format)
    cfg = Config(dict(model=dict(type='Net', depth=3, unique=id(calls)),
                      pipeline=[dict(type='A'), dict(type='B', k=(1, 2))]))
    text = cfg.pretty_text
    assert cfg.pretty_text == text and len(calls) == 1
    uncached = Config.pretty_text.fget.__wrapped__
    assert uncached(cfg) == text  # the text mmengine itself produces
    assert Config.fromstring(text, '.py').to_dict() == cfg.to_dict()

    cfg.model.depth = 5
    assert 'depth=5' in cfg.pretty_text and 'depth=3' not in cfg.pretty_text
    assert len(calls) == 3  # the direct uncached call, then the change
    assert enable_config_text_cache() is True
    assert cfg.pretty_text.count('depth=5') == 1 and len(calls) == 3
