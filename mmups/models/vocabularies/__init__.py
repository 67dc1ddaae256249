"""The unified vocabulary of UPS and the text encoder behind its tokens."""
from .text_encoder import (TextEncoder, TextModelUnavailableError,
                           describe_text_model)
from .unified_vocabulary import (UnifiedVocabulary, default_cache_dir,
                                 read_label_map)

__all__ = [
    'UnifiedVocabulary', 'TextEncoder', 'TextModelUnavailableError',
    'describe_text_model', 'default_cache_dir', 'read_label_map'
]
