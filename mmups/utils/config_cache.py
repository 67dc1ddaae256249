"""An opt-in speed-up of mmengine's ``Config.pretty_text``.

Not applied by ``import mmups``: ``tools/train.py`` and ``tools/test.py``
call :func:`enable_config_text_cache`, other programs may do the same.
"""
from typing import Dict

#: Distinct config contents whose text is kept (the oldest goes first).
CACHE_SIZE = 16


def _is_cached(prop: property) -> bool:
    return getattr(prop.fget, '_mmups_cached', False)


def config_text_cache_enabled() -> bool:
    """Whether :func:`enable_config_text_cache` was applied in this
    process."""
    from mmengine.config import Config
    return _is_cached(Config.pretty_text)


def enable_config_text_cache() -> bool:
    """Format each config's text once per process instead of five times.

    Why: ``mmengine.Config.pretty_text`` runs yapf over the whole config on
    every access, and a Runner reads it five times (the log,
    ``dump_config``, the visualizer's ``add_config`` and every checkpoint's
    meta). For a multi-task config with one pipeline per task that is tens
    of seconds per ``tools/train.py`` or ``tools/test.py`` call on a CPU.

    The property is replaced by one that keys a small cache on the config's
    content (so a changed config is formatted again) and on whether it is
    formatted as Python; the text is the one mmengine produces, and
    mmengine's own getter stays reachable as ``__wrapped__``. Calling this
    again changes nothing.

    Returns:
        bool: True (the cache is in place).
    """
    from mmengine.config import Config
    original = Config.pretty_text
    if _is_cached(original):
        return True
    cache: Dict[str, str] = {}

    def pretty_text(self: Config) -> str:
        key = repr((self._format_python_code, self.to_dict()))
        if key not in cache:
            if len(cache) >= CACHE_SIZE:
                cache.pop(next(iter(cache)))
            cache[key] = original.fget(self)
        return cache[key]

    pretty_text._mmups_cached = True
    pretty_text.__wrapped__ = original.fget
    pretty_text.__doc__ = original.__doc__
    Config.pretty_text = property(pretty_text)
    return True
