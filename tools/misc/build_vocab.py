"""Build the embedding cache of a config's unified vocabulary.

Reads ``model.vocabulary`` of an mmups config, computes the token embeddings
with its text model and writes the cache file, so that training and testing
never need the text model. Run it on a machine that can reach the text model
(e.g. the Hugging Face hub) and copy the printed cache file to the cache
folder ($MMUPS_CACHE_DIR, default ~/.cache/mmups) of an offline machine.

Example::

    python tools/misc/build_vocab.py configs/ups/CONFIG.py --cache-dir DIR
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

try:
    import mmups  # noqa: F401
except ImportError:  # running from a source checkout without installation
    sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..',
                                            '..')))

from mmengine.config import Config, DictAction  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Build the embedding cache of the unified vocabulary '
        '(cfg.model.vocabulary) of a config.')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--cache-dir',
        help='cache folder (default: $MMUPS_CACHE_DIR or ~/.cache/mmups, '
        'or cache_dir of the config)')
    parser.add_argument(
        '--text-model',
        help='text model to use instead of the config\'s: a hub id or a '
        'local model folder')
    parser.add_argument(
        '--reuse',
        action='store_true',
        help='keep a valid existing cache file instead of recomputing it')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value pairs in xxx=yyy format')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    vocab_cfg = cfg.get('model', {}).get('vocabulary')
    if vocab_cfg is None:
        print(f'{args.config} has no model.vocabulary', file=sys.stderr)
        return 1
    vocab_cfg = vocab_cfg.to_dict() if hasattr(vocab_cfg,
                                               'to_dict') else dict(vocab_cfg)
    if args.cache_dir:
        vocab_cfg['cache_dir'] = args.cache_dir
    if args.text_model:
        vocab_cfg['text_model'] = args.text_model
    # Recompute by default so that a stale or foreign file is replaced.
    vocab_cfg['rebuild_cache'] = not args.reuse

    from mmups.models.vocabularies import UnifiedVocabulary  # registers
    from mmups.registry import MODELS
    vocab_type = vocab_cfg.get('type', 'UnifiedVocabulary')
    if vocab_type not in ('UnifiedVocabulary', 'mmups.UnifiedVocabulary',
                          UnifiedVocabulary):
        print(f'model.vocabulary.type must be UnifiedVocabulary, got '
              f'{vocab_type!r}', file=sys.stderr)
        return 1
    vocab_cfg['type'] = UnifiedVocabulary
    vocab = MODELS.build(vocab_cfg)

    if not osp.isfile(vocab.cache_path):
        print(f'ERROR: the cache file {vocab.cache_path} could not be '
              'written (see the warning above)', file=sys.stderr)
        return 1
    n_coord = 3 * vocab.num_bins
    n_eot = vocab.num_tokens - vocab.num_action_tokens - n_coord
    print(f'vocabulary size: {vocab.num_tokens} tokens x {vocab.text_dims} '
          'dims')
    print(f'  action tokens:     {vocab.num_action_tokens} '
          f'(label sets: ' + ', '.join(
              f'{name}={vocab.num_classes(name)}'
              for name in vocab.label_set_names) + ')')
    print(f'  coordinate tokens: {n_coord} (3 x {vocab.num_bins} bins)')
    print(f'  EOT tokens:        {n_eot}')
    print(f'text model: {vocab.text_model_identity} '
          f'(pooling: {vocab.pooling})')
    print(f'cache: {"reused" if vocab.cache_hit else "built"}')
    print(f'cache file: {vocab.cache_path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
