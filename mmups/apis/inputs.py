"""Reading a user's skeleton sequences for inference.

:func:`load_skeletons` turns a file, a numpy array or an annotation dict
into :class:`SkeletonInput` items: the joints as a float32 array
(M persons, T frames, V joints, C coordinates), the name of their joint
layout, and whatever else the source tells (joint scores, image size, sample
name, label). The format is taken from the file's extension, or from
``fmt``:

* ``.npy`` / ``.npz`` (``fmt='npy'`` / ``'npz'``): one array, shaped
  (M, T, V, C), (T, V, C) or (C, T, V, M) (see *Raw arrays* below). An
  ``.npz`` file holds it under the key ``keypoint`` (with an optional
  ``keypoint_score`` in the same axis order, without C) or as its only
  array. A sample name ``SsssCcccPpppRrrrAaaa`` as the file stem gives the
  NTU RGB+D label. Arrays of 18 joints with C = 3 are OpenPose-18 x, y and
  confidence (ST-GCN's Kinetics-skeleton arrays): the third channel becomes
  the joint scores, unless a layout other than ``openpose`` is given.
* ``.skeleton`` (``fmt='ntu'``): an NTU RGB+D raw Kinect text file, read with
  :mod:`mmups.datasets.formats.ntu_skeleton` (which also picks the bodies kept,
  up to ``max_persons``); 3D joints in metres, layout ``nturgb+d``, the
  label from the file name.
* ``.pkl`` / ``.pickle`` (``fmt='pkl'``): MMAction2 / PYSKL skeleton
  annotations: a dict with ``annotations`` (and ``split``), a list of
  annotation dicts, or one annotation dict. Each annotation holds
  ``keypoint`` (M, T, V, C) and optionally ``keypoint_score`` (M, T, V),
  ``img_shape`` (H, W), ``frame_dir``, ``label`` (-1 or None: unknown) and
  ``total_frames``; one :class:`SkeletonInput` is returned per annotation.
  The file is unpickled with an allow-list (numpy arrays, numpy scalars and
  dtypes, builtin containers): anything else in it is refused, as a pickle
  can run arbitrary code when loaded. The compressed form of MMAction2's
  Kinetics-400 files (``frame_inds``) is not read.
* ``.json`` (``fmt='json'``): a top-level list is read as MMPose predictions
  (``fmt='mmpose'`` insists on that), an object with ``data`` (and no
  ``keypoints``) as a clip of ST-GCN's Kinetics-skeleton release (read by
  :mod:`mmups.datasets.formats.kinetics_json`, as its converter reads it:
  OpenPose-18 pixels of the 340 x 256 frames, ``img_shape`` (256, 340),
  the joint scores and ``label_index``), any other object as the simple
  JSON format below.

  MMPose predictions are what ``MMPoseInferencer(..., pred_out_dir=...)``
  writes: for a video a list of frames
  ``[{"frame_id": 0, "instances": [{"keypoints": [[x, y], ...],
  "keypoint_scores": [s, ...], "bbox": [[x1, y1, x2, y2]],
  "bbox_score": s}, ...]}, ...]`` (frames are taken in file order), for one
  image the list of instances alone (T = 1). In each frame the
  ``max_persons`` instances with the highest mean keypoint score are kept,
  best first. There is no tracking across frames: person slot m holds the
  m-th best instance of each frame, which need not be the same actor from
  one frame to the next; frames with fewer instances hold zeros (score 0)
  in the empty slots. ``keypoint_score`` is returned where every instance
  has ``keypoint_scores``; ``img_shape`` is None (the predictions do not
  record the image size).
* ``.csv`` (``fmt='csv'``): the simple CSV format below.

Simple JSON format
------------------
An object ``{"keypoints": ..., "keypoint_scores": ..., "layout": ...,
"img_shape": [H, W], "label": ...}``; only ``keypoints`` is required.
``keypoints`` is a nested list shaped (T, V, C) or (M, T, V, C),
``keypoint_scores`` (T, V) or (M, T, V) to match; ``layout`` names the joint
layout (the ``layout`` argument overrides it)::

    {"layout": "coco", "keypoints": [[[412.0, 108.5], [418.2, 101.9], ...],
                                     ...]}

Simple CSV format
-----------------
Long format, one row per joint, with a header naming the columns (any
order): ``frame,joint,x,y`` and optionally ``z`` (3D), ``score`` and
``person``. ``frame``, ``joint`` and ``person`` are 0-based integers; T, V
and M are one more than the largest of each. Every (person, frame, joint)
must have exactly one row::

    frame,joint,x,y,z
    0,0,0.213,-0.172,3.785
    0,1,0.226,0.093,3.713
    ...

Raw arrays
----------
Numpy arrays (and ``.npy`` / ``.npz`` files) come in three axis orders,
named by ``order``: ``'MTVC'``, ``'TVC'`` (one person) and ``'CTVM'``, the
storage of ST-GCN-style tools (e.g. NTU RGB+D clips as (3, 300, 25, 2)).
Without ``order``, a 3-D array is (T, V, C) and a 4-D array is told by the
sizes of its end axes, C being 2 or 3: only the last is 2 or 3 -> MTVC;
only the first -> CTVM; first 3 and last 2 -> CTVM (3D joints of two
persons, as NTU RGB+D is stored); first 2 and last 3 -> MTVC (two persons of
3D joints); both the same -> ambiguous, pass ``order``. Such arrays are
usually zero-padded to a fixed length and person count, so trailing
all-zero frames are cut and all-zero person slots dropped.

Joint layout
------------
An explicit ``layout`` is used as given (it must have V joints). Otherwise
formats with a convention set it (NTU ``.skeleton`` -> ``nturgb+d``;
MMAction2 pkl and MMPose JSON with 17 joints -> ``coco`` in 2D, ``h36m`` in
3D), and the rest is inferred from V, C and the ``task`` hint by
:func:`infer_input_layout`.

Every problem (missing or malformed file, NaN or infinite values, an empty
sequence, C not 2 or 3, a joint count that fits no layout) raises
:class:`SkeletonInputError`, whose message names the file and the problem.
"""
import csv
import os
import os.path as osp
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np

from mmups.datasets.formats import (ConversionError, is_int, load_json,
                                    load_pickle)
from mmups.datasets.formats.kinetics_json import (RELEASE_IMG_SHAPE,
                                                  read_kinetics_json)
from mmups.datasets.formats.mmaction_pkl import check_annotation
from mmups.datasets.formats.ntu_skeleton import (parse_sample_name,
                                                 read_skeleton_file,
                                                 select_bodies)
from mmups.skeleton import (get_layout, infer_layout, layouts_with_num_joints,
                            list_layouts)
from mmups.tasks import get_task_kind, list_task_kinds

#: Axis orders of raw arrays.
ORDERS = ('MTVC', 'TVC', 'CTVM')
#: Values of ``fmt``.
FORMATS = ('npy', 'npz', 'ntu', 'pkl', 'json', 'mmpose', 'csv')

_EXTENSIONS = {
    '.npy': 'npy',
    '.npz': 'npz',
    '.skeleton': 'ntu',
    '.pkl': 'pkl',
    '.pickle': 'pkl',
    '.json': 'json',
    '.csv': 'csv',
}
_FORMAT_ALIASES = {'skeleton': 'ntu', 'pickle': 'pkl'}

_CSV_REQUIRED = ('frame', 'joint', 'x', 'y')
_CSV_OPTIONAL = ('z', 'score', 'person')
_CSV_INDICES = ('frame', 'joint', 'person')
_JSON_KEYS = ('keypoints', 'keypoint_scores', 'layout', 'img_shape', 'label')

PathLike = Union[str, 'os.PathLike[str]']


class SkeletonInputError(ValueError):
    """Bad skeleton input; the message names the file (or '<array>') and the
    problem.

    Args:
        source: the file, or ``'<array>'`` / ``'<annotation>'`` for data
            passed in memory.
        problem: what is wrong with it.
    """

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f'{source}: {problem}')

    def __reduce__(self):
        # The default would call cls(message) and fail (two arguments).
        return type(self), (self.source, self.problem)


class SkeletonFileNotFoundError(SkeletonInputError, FileNotFoundError):
    """The input file does not exist (also a :class:`FileNotFoundError`)."""


@dataclass
class SkeletonInput:
    """One skeleton sequence, ready for the inference code.

    Attributes:
        keypoint: (M, T, V, C) float32 joints of M persons in T frames, V
            joints, C = 2 (x, y) or 3 (x, y, z) coordinates.
        layout: joint layout name (see :func:`mmups.skeleton.list_layouts`).
        keypoint_score: (M, T, V) float32 joint scores, or None.
        img_shape: (H, W) of the frames for 2D pixel coordinates, if known.
        name: sample name (``frame_dir``, file stem, ...).
        source: the file it came from (``'<array>'`` for arrays).
        label: ground-truth label when the source has one.
    """
    keypoint: np.ndarray
    layout: str
    keypoint_score: Optional[np.ndarray] = None
    img_shape: Optional[Tuple[int, int]] = None
    name: str = ''
    source: str = '<array>'
    label: Optional[int] = None


@dataclass(frozen=True)
class _Options:
    """The arguments of :func:`load_skeletons` that readers use."""
    layout: Optional[str]
    task: Optional[str]
    order: Optional[str]
    max_persons: int


def load_skeletons(source: Union[PathLike, np.ndarray, dict],
                   layout: Optional[str] = None,
                   fmt: Optional[str] = None,
                   task: Optional[str] = None,
                   order: Optional[str] = None,
                   max_persons: int = 2) -> List[SkeletonInput]:
    """Read skeleton sequences from a file, an array or an annotation dict.

    Args:
        source: a file path (formats: module docstring), a numpy array
            (M, T, V, C), (T, V, C) or (C, T, V, M), or an MMAction2
            annotation dict (or a dict with ``annotations``).
        layout: joint layout name; inferred where None.
        fmt: the file format (one of :data:`FORMATS`) where the extension
            does not tell it.
        task: the task the input is for (``'ar'``, ``'eap'``, ``'pe'`` or a
            full task name such as ``'ar3d'``): a hint for layout inference.
        order: axis order of raw arrays (``.npy``, ``.npz``, numpy arrays):
            ``'MTVC'``, ``'TVC'`` or ``'CTVM'``; detected where None.
        max_persons: persons kept per sequence in the formats that pick
            them (NTU ``.skeleton``, MMPose JSON).

    Returns:
        One :class:`SkeletonInput` per sequence (several for annotation
        files with several annotations, else one).

    Raises:
        SkeletonInputError: the input is missing, malformed or does not fit
            a joint layout; the message names the file and the problem.
    """
    if task is not None:
        get_task_kind(task)  # an unknown task name fails before any reading
    if order is not None and order not in ORDERS:
        raise ValueError(f'order must be one of {ORDERS}, got {order!r}')
    if max_persons < 1:
        raise ValueError(f'max_persons must be >= 1, got {max_persons}')
    opts = _Options(layout, task, order, max_persons)

    if isinstance(source, np.ndarray):
        return [_array_input(source, '<array>', opts)]
    if isinstance(source, dict):
        _refuse_order(opts, '<annotation>')
        return _annotation_inputs(source, '<annotation>', opts)
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError('source must be a file path, a numpy array or an '
                        f'annotation dict, got {type(source).__name__}')
    path = os.fspath(source)
    fmt = _format_of(path, fmt)
    if not osp.exists(path):
        raise SkeletonFileNotFoundError(path, 'no such file')
    if osp.isdir(path):
        raise SkeletonInputError(path, 'is a folder, not a skeleton file')
    if fmt not in ('npy', 'npz'):
        _refuse_order(opts, path)
    return _READERS[fmt](path, opts)


def infer_input_layout(num_joints: int,
                       num_coords: int,
                       task: Optional[str] = None,
                       source: str = '<array>') -> str:
    """The joint layout of an input with V joints and C coordinates.

    25 joints are NTU RGB+D (Kinect v2), 18 OpenPose (Kinetics-skeleton), 13
    Penn Action. 17 joints are COCO-17 or Human3.6M-17: 3D inputs are
    ``h36m``; 2D inputs are in the task kind's ``input_layout`` where it
    has one (``h36m`` for pose lifting) and ``coco`` for the action tasks
    (2D keypoints of a pose detector). Another V is the layout registered
    with that many joints, where there is exactly one.

    Args:
        num_joints: V.
        num_coords: C, 2 or 3.
        task: task name or kind (``'ar'``, ``'eap'``, ``'pe'``, ``'pe3d'``
            ...), or None where unknown.
        source: what the error messages name.

    Raises:
        SkeletonInputError: C is not 2 or 3, V fits no layout, or V = 17 in
            2D without a task.
    """
    if num_coords not in (2, 3):
        raise SkeletonInputError(
            source, f'C = {num_coords} coordinates per joint; expected 2 '
            '(x, y) or 3 (x, y, z)')
    kind = None if task is None else get_task_kind(task)
    layout = infer_layout(num_joints, num_coords,
                          preferred=kind.input_layout if kind else None)
    if layout is not None and kind is None:
        # Without a task, the default is not enough where a task kind
        # reads such inputs in another layout (17 2D joints: a detector's
        # COCO-17 for the action tasks, Human3.6M-17 for pose lifting).
        others = sorted({k.input_layout for k in list_task_kinds()} &
                        set(layouts_with_num_joints(num_joints)) - {layout})
        if others:
            what = {'coco': 'coco (COCO-17, 2D pose detectors)',
                    'h36m': 'h36m (Human3.6M-17)'}
            raise SkeletonInputError(
                source, f'{num_joints} joints could be ' + ' or '.join(
                    what.get(n, n) for n in [layout] + others) +
                '; pass layout= (or task=)')
    if layout is not None:
        return layout
    candidates = layouts_with_num_joints(num_joints)
    if candidates:
        raise SkeletonInputError(
            source, f'{num_joints} joints could be any of the layouts '
            f'{candidates}; pass layout=')
    counts: Dict[int, List[str]] = {}
    for name in list_layouts():
        counts.setdefault(get_layout(name).num_joints, []).append(name)
    supported = ', '.join(f'{v} ({", ".join(names)})'
                          for v, names in sorted(counts.items()))
    raise SkeletonInputError(
        source, f'V = {num_joints} joints fits no known joint layout; '
        f'supported joint counts: {supported} (a new layout can be added '
        'with mmups.skeleton.register_layout)')


# --------------------------------------------------------------------------
# Checks shared by all formats
# --------------------------------------------------------------------------
def _format_of(path: str, fmt: Optional[str]) -> str:
    if fmt is not None:
        name = fmt.lower().lstrip('.')
        name = _FORMAT_ALIASES.get(name, name)
        if name not in FORMATS:
            raise ValueError(f'Unknown fmt {fmt!r}; use one of {FORMATS}')
        return name
    ext = osp.splitext(path)[1].lower()
    if ext not in _EXTENSIONS:
        raise SkeletonInputError(
            path, f'unknown extension {ext!r}: expected one of '
            f'{sorted(_EXTENSIONS)}, or pass fmt= (one of {FORMATS})')
    return _EXTENSIONS[ext]


def _refuse_order(opts: _Options, source: str) -> None:
    if opts.order is not None:
        raise SkeletonInputError(
            source, 'order= applies to raw arrays (numpy arrays, .npy, .npz) '
            'only; this format fixes its own axis order')


def _stem(path: str) -> str:
    """File name without extension (and without an NTU ``.skeleton``)."""
    stem = osp.splitext(osp.basename(path))[0]
    return stem[:-len('.skeleton')] if stem.endswith('.skeleton') else stem


def _ntu_label(name: str) -> Optional[int]:
    """The label of an NTU RGB+D sample name, None for other names."""
    try:
        return parse_sample_name(name).label
    except ValueError:
        return None


def _check_finite(values: np.ndarray, source: str, what: str,
                  where: str = '') -> None:
    """Raise naming the count and the first (person, frame, joint) of the
    NaN / infinite entries of an (M, T, V[, C]) array; ``where`` prefixes
    the message."""
    finite = np.isfinite(values)
    if finite.all():
        return
    count = int(finite.size - np.count_nonzero(finite))
    m, t, v = (int(i) for i in np.argwhere(~finite)[0][:3])
    raise SkeletonInputError(
        source, f'{where}{count} NaN or infinite {what} values; the first '
        f'at person {m}, frame {t}, joint {v}')


def _as_float32(values: Any, source: str, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind not in 'fiu':  # float, signed or unsigned int
        raise SkeletonInputError(
            source, f'{what} has dtype {arr.dtype}; expected numbers')
    # Values beyond float32 become inf; the finiteness check reports them.
    with np.errstate(over='ignore'):
        return arr.astype(np.float32)


def _make_input(keypoint: Any,
                source: str,
                opts: _Options,
                convention: Optional[str] = None,
                score: Any = None,
                img_shape: Any = None,
                name: str = '',
                label: Optional[int] = None,
                trim: bool = False) -> SkeletonInput:
    """Check (M, T, V, C) joints and build the :class:`SkeletonInput`.

    Args:
        convention: the format's layout for these V and C, used where
            ``opts.layout`` is None.
        score: (M, T, V) joint scores or None.
        trim: cut trailing all-zero frames and drop all-zero persons (zero
            padding of raw arrays).
    """
    kp = _as_float32(keypoint, source, 'keypoint')
    if kp.ndim != 4:
        raise SkeletonInputError(
            source, f'keypoint shape {kp.shape}; expected (M, T, V, C)')
    if kp.shape[-1] not in (2, 3):
        raise SkeletonInputError(
            source, f'C = {kp.shape[-1]} coordinates per joint (shape '
            f'{kp.shape}); expected 2 (x, y) or 3 (x, y, z)')
    if 0 in kp.shape:
        raise SkeletonInputError(
            source, f'empty sequence: keypoint shape (M, T, V, C) = '
            f'{kp.shape}')
    _check_finite(kp, source, 'coordinate')
    if not kp.any():
        raise SkeletonInputError(
            source, f'empty sequence: all {kp.shape[1]} frames are all '
            'zeros (no skeleton)')
    if score is not None:
        score = _as_float32(score, source, 'keypoint_score')
        if score.shape != kp.shape[:3]:
            raise SkeletonInputError(
                source, f'keypoint_score shape {score.shape} does not match '
                f'(M, T, V) = {kp.shape[:3]} of keypoint')
        _check_finite(score, source, 'keypoint_score')
    img_shape = _image_shape(img_shape, source)
    if trim:
        kp, score = _trim_padding(kp, score)
    return SkeletonInput(
        keypoint=kp,
        layout=_resolve_layout(kp.shape[2], kp.shape[3], source, opts,
                               convention),
        keypoint_score=score,
        img_shape=img_shape,
        name=name,
        source=source,
        label=label)


def _trim_padding(kp: np.ndarray, score: Optional[np.ndarray]
                  ) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Cut trailing all-zero frames, drop all-zero persons (kp not all 0)."""
    num_frames = int(np.flatnonzero(kp.any(axis=(0, 2, 3)))[-1]) + 1
    persons = np.flatnonzero(kp.any(axis=(1, 2, 3)))
    kp = kp[persons, :num_frames]
    if score is not None:
        score = score[persons, :num_frames]
    return kp, score


def _resolve_layout(num_joints: int, num_coords: int, source: str,
                    opts: _Options, convention: Optional[str]) -> str:
    if opts.layout is None:
        if convention is not None:
            return convention
        return infer_input_layout(num_joints, num_coords, opts.task, source)
    try:
        layout = get_layout(opts.layout)
    except KeyError:
        raise SkeletonInputError(
            source, f'unknown joint layout {opts.layout!r}; known layouts: '
            f'{list_layouts()}') from None
    if layout.num_joints != num_joints:
        raise SkeletonInputError(
            source, f'layout {opts.layout!r} has {layout.num_joints} joints '
            f'but the input has V = {num_joints}')
    return opts.layout


def _image_shape(img_shape: Any, source: str) -> Optional[Tuple[int, int]]:
    if img_shape is None:
        return None
    valid = False
    if not isinstance(img_shape, (str, bytes)):  # "12" is not (1, 2)
        try:
            h, w = (int(v) for v in img_shape)
            valid = h > 0 and w > 0
        except (TypeError, ValueError, OverflowError):  # int(inf) overflows
            pass
    if not valid:
        raise SkeletonInputError(
            source, f'img_shape must be (H, W) > 0, got {img_shape!r}')
    return h, w


# --------------------------------------------------------------------------
# Raw arrays: numpy, .npy, .npz
# --------------------------------------------------------------------------
def _detect_order(shape: Tuple[int, ...], source: str) -> str:
    """The axis order of a raw array (rules: module docstring)."""
    if len(shape) == 3:
        return 'TVC'
    if len(shape) == 5:
        raise SkeletonInputError(
            source, f'shape {shape} has 5 axes: a batch of samples (as '
            'ST-GCN-style tools store a whole split, (N, C, T, V, M)); pass '
            'one sample, e.g. array[0]')
    if len(shape) != 4:
        raise SkeletonInputError(
            source, f'shape {shape}: expected (M, T, V, C), (T, V, C) or '
            '(C, T, V, M)')
    first, last = shape[0], shape[-1]
    first_c, last_c = first in (2, 3), last in (2, 3)
    if first_c and last_c:
        if first == last:
            raise SkeletonInputError(
                source, f'shape {shape} is ambiguous: the first and the last '
                f'axis both have size {first}, so it could be (M, T, V, C) '
                'or (C, T, V, M); pass order="MTVC" or order="CTVM"')
        # (3, T, V, 2): 3D joints of two persons, as NTU RGB+D is stored.
        return 'CTVM' if first == 3 else 'MTVC'
    if last_c:
        return 'MTVC'
    if first_c:
        return 'CTVM'
    raise SkeletonInputError(
        source, f'shape {shape}: neither the first nor the last axis has '
        'size 2 or 3, so none can be the C = 2 or 3 coordinates; expected '
        '(M, T, V, C), (T, V, C) or (C, T, V, M)')


def _to_mtvc(arr: np.ndarray, order: str) -> np.ndarray:
    """Transpose an array with axes ``order`` (a subset of M, T, V, C, in
    any order) to (M, T, V[, C]); a missing M axis becomes M = 1."""
    target = [a for a in 'MTVC' if a in order]
    arr = np.transpose(arr, [order.index(a) for a in target])
    return arr if 'M' in order else arr[None]


def _array_input(arr: np.ndarray,
                 source: str,
                 opts: _Options,
                 score: Optional[np.ndarray] = None,
                 name: str = '',
                 label: Optional[int] = None) -> SkeletonInput:
    """A raw array (and its scores, without the C axis) to an input."""
    order = opts.order or _detect_order(arr.shape, source)
    if arr.ndim != len(order):
        raise SkeletonInputError(
            source, f'order {order!r} needs a {len(order)}-D array, got '
            f'shape {arr.shape}')
    keypoint = _to_mtvc(arr, order)
    if (keypoint.shape[-1] == 3 and keypoint.shape[2] == 18
            and opts.layout in (None, 'openpose') and score is None):
        # OpenPose-18 joints are 2D: ST-GCN's Kinetics-skeleton arrays
        # (3, T, 18, M) hold x, y and the detection confidence.
        keypoint, score = keypoint[..., :2], keypoint[..., 2]
        return _make_input(keypoint, source, opts, score=score, name=name,
                           label=label, trim=True)
    if score is not None:
        score_order = order.replace('C', '')
        if np.ndim(score) != len(score_order):
            raise SkeletonInputError(
                source, f'keypoint_score shape {np.shape(score)} does not '
                f'match keypoint shape {arr.shape} ({order})')
        score = _to_mtvc(np.asarray(score), score_order)
    return _make_input(keypoint, source, opts, score=score, name=name,
                       label=label, trim=True)


def _read_numpy(path: str, opts: _Options) -> List[SkeletonInput]:
    """``.npy`` or ``.npz`` (np.load tells them by content)."""
    score = None
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                keys = list(loaded.keys())
                if 'keypoint' in keys:
                    arr = loaded['keypoint']
                    if 'keypoint_score' in keys:
                        score = loaded['keypoint_score']
                elif len(keys) == 1:
                    arr = loaded[keys[0]]
                else:
                    raise SkeletonInputError(
                        path, 'cannot tell which array holds the joints: no '
                        f'key "keypoint" among the keys {keys}')
        else:
            arr = loaded
    except SkeletonInputError:
        raise
    except Exception as err:  # corrupt files raise many kinds of errors
        raise SkeletonInputError(
            path, f'cannot read the numpy file ({type(err).__name__}: '
            f'{err})') from err
    name = _stem(path)
    return [
        _array_input(arr, path, opts, score=score, name=name,
                     label=_ntu_label(name))
    ]


# --------------------------------------------------------------------------
# NTU RGB+D .skeleton
# --------------------------------------------------------------------------
def _read_ntu(path: str, opts: _Options) -> List[SkeletonInput]:
    seq = _reading(read_skeleton_file, path)
    keypoint = select_bodies(seq, opts.max_persons)  # (M, T, 25, 3)
    if keypoint.shape[0] == 0:
        raise SkeletonInputError(
            path, f'empty sequence: none of its {seq.num_frames} frames '
            'holds a body')
    name = _stem(path)
    return [
        _make_input(keypoint, path, opts, convention='nturgb+d', name=name,
                    label=_ntu_label(name))
    ]


# --------------------------------------------------------------------------
# MMAction2 / PYSKL annotations (.pkl)
# --------------------------------------------------------------------------
def _read_pkl(path: str, opts: _Options) -> List[SkeletonInput]:
    return _annotation_inputs(_reading(load_pickle, path), path, opts)


def _reading(read: Callable[[str], Any], path: str) -> Any:
    """``read(path)`` with its errors as :class:`SkeletonInputError`."""
    try:
        return read(path)
    except ConversionError as err:
        where = f'line {err.line}: ' if err.line is not None else ''
        raise SkeletonInputError(path, where + err.reason) from err
    except (OSError, UnicodeError) as err:
        raise SkeletonInputError(path, f'cannot read the file ({err})') \
            from err


def _annotation_inputs(data: Any, source: str,
                       opts: _Options) -> List[SkeletonInput]:
    """Inputs of an annotation container (forms: module docstring)."""
    if isinstance(data, dict) and 'annotations' in data:
        annos = data['annotations']
    elif isinstance(data, dict) and ('keypoint' in data
                                     or 'frame_inds' in data):
        annos = [data]
    elif isinstance(data, list):
        annos = data
    else:
        got = (f'a dict with keys {list(data)[:10]}' if isinstance(
            data, dict) else type(data).__name__)
        raise SkeletonInputError(
            source, 'not a skeleton annotation file: expected a dict with '
            '"annotations", a list of annotations or one annotation dict '
            f'with "keypoint"; got {got}')
    if not isinstance(annos, list):
        raise SkeletonInputError(
            source, f'annotations is {type(annos).__name__}, not a list')
    if not annos:
        raise SkeletonInputError(source, 'empty: holds no annotations')
    stem = _stem(source) if source != '<annotation>' else ''
    return [
        _annotation_input(anno, i, source, opts,
                          stem if len(annos) == 1 or not stem else
                          f'{stem}_{i}') for i, anno in enumerate(annos)
    ]


def _annotation_input(anno: Any, index: int, source: str, opts: _Options,
                      default_name: str) -> SkeletonInput:
    """One annotation dict; ``default_name`` names it where it has no
    ``frame_dir`` (nor ``filename``)."""
    where = f'annotation {index}'
    if not isinstance(anno, dict):
        raise SkeletonInputError(
            source, f'{where} is {type(anno).__name__}, not a dict')
    if 'frame_inds' in anno:
        raise SkeletonInputError(
            source, f'{where} is in the compressed form (frame_inds, '
            'keypoint (N, V, 3)) of MMAction2 Kinetics files, which is not '
            'read; store keypoint (M, T, V, C) instead')
    if 'keypoint' not in anno:
        raise SkeletonInputError(
            source, f'{where} has no keypoint (keys: {sorted(anno)})')
    kp = anno['keypoint']
    if isinstance(kp, np.ndarray) and kp.ndim == 4 and kp.dtype.kind == 'f':
        # Before check_annotation, whose message has no location.
        _check_finite(kp, source, 'coordinate', f'{where}: ')

    # Inference inputs need no label nor frame count: an unknown label
    # (missing, None or MMAction2's -1) gets a placeholder for the check.
    label = anno.get('label')
    if label is None or (is_int(label) and label < 0):
        label = None
    name = anno.get('frame_dir', anno.get('filename'))
    filled = dict(anno, label=0 if label is None else label)
    if name is None:
        name = default_name
        filled.setdefault('frame_dir', name or 'unnamed')
    if isinstance(kp, np.ndarray) and kp.ndim == 4:
        filled['total_frames'] = kp.shape[1]  # T is taken from keypoint
    problems = check_annotation(filled, where)
    if problems:
        raise SkeletonInputError(source, '; '.join(problems))

    return _make_input(
        kp,
        source,
        opts,
        convention=infer_layout(kp.shape[2], kp.shape[3]),
        score=anno.get('keypoint_score'),
        img_shape=anno.get('img_shape'),
        name=name if isinstance(name, str) else '',
        label=None if label is None else int(label))


# --------------------------------------------------------------------------
# JSON: MMPose predictions and the simple format
# --------------------------------------------------------------------------
def _read_json(path: str, opts: _Options) -> List[SkeletonInput]:
    data = _reading(load_json, path)
    if isinstance(data, list):
        return [_mmpose_input(data, path, opts)]
    if isinstance(data, dict) and 'keypoints' not in data and 'data' in data:
        return [_kinetics_input(path, opts)]
    if isinstance(data, dict):
        return [_simple_json_input(data, path, opts)]
    raise SkeletonInputError(
        path, 'expected a list (MMPose predictions) or an object with '
        f'"keypoints" (or a Kinetics-skeleton clip\'s "data"), got '
        f'{type(data).__name__}')


def _kinetics_input(path: str, opts: _Options) -> SkeletonInput:
    """A clip of ST-GCN's Kinetics-skeleton release, read as the converter
    reads it: OpenPose-18 pixels of the 340 x 256 frames, with scores."""
    clip = _reading(
        lambda p: read_kinetics_json(p, max_persons=opts.max_persons), path)
    if clip['keypoint'].shape[0] == 0:
        raise SkeletonInputError(path, 'empty clip: no frame holds a '
                                 'skeleton')
    return _make_input(clip['keypoint'], path, opts, convention='openpose',
                       score=clip['keypoint_score'],
                       img_shape=RELEASE_IMG_SHAPE, name=_stem(path),
                       label=clip['label'])


def _read_mmpose_json(path: str, opts: _Options) -> List[SkeletonInput]:
    return [_mmpose_input(_reading(load_json, path), path, opts)]


def _mmpose_instance(inst: Any, where: str, path: str
                     ) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """(V, C) joints and (V,) scores (or None) of one MMPose instance."""
    if not isinstance(inst, dict) or 'keypoints' not in inst:
        raise SkeletonInputError(
            path, f'{where} is not an object with "keypoints"')
    try:
        kp = np.asarray(inst['keypoints'], dtype=np.float64)
        score = inst.get('keypoint_scores')
        if score is not None:
            score = np.asarray(score, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as err:
        raise SkeletonInputError(
            path, f'{where}: keypoints / keypoint_scores are not lists of '
            f'numbers ({err})') from err
    if kp.ndim != 2 or kp.shape[1] not in (2, 3):
        raise SkeletonInputError(
            path, f'{where}: keypoints shape {kp.shape}; expected (V, C) '
            'with C = 2 or 3')
    if score is not None and score.shape != kp.shape[:1]:
        raise SkeletonInputError(
            path, f'{where}: keypoint_scores shape {score.shape} does not '
            f'match V = {kp.shape[0]}')
    return kp, score


def _mmpose_input(data: Any, path: str, opts: _Options) -> SkeletonInput:
    """MMPose predictions (module docstring) -> up to max_persons per
    frame, ranked by mean keypoint score."""
    if not isinstance(data, list):
        raise SkeletonInputError(
            path, 'MMPose predictions must be a list of frames or of '
            f'instances, got {type(data).__name__}')
    if not data:
        raise SkeletonInputError(path, 'empty sequence: no frames')
    if isinstance(data[0], dict) and 'instances' in data[0]:
        frames = []
        for t, frame in enumerate(data):
            if not isinstance(frame, dict) or not isinstance(
                    frame.get('instances'), list):
                raise SkeletonInputError(
                    path, f'frame {t} has no "instances" list')
            frames.append(frame['instances'])
    else:
        frames = [data]  # the instances of one image

    persons: List[List[Tuple[np.ndarray, Optional[np.ndarray]]]] = []
    shape = None
    for t, instances in enumerate(frames):
        found = []
        for i, inst in enumerate(instances):
            where = f'frame {t}, instance {i}'
            kp, score = _mmpose_instance(inst, where, path)
            if shape is None:
                shape = kp.shape
            elif kp.shape != shape:
                raise SkeletonInputError(
                    path, f'{where}: keypoints shape {kp.shape} differs from '
                    f'the first instance\'s {shape}')
            found.append((kp, score))
        # Best mean score first; sorted() is stable, so ties (and
        # instances without scores) keep the file order.
        found.sort(key=lambda p: 0.0 if p[1] is None else -float(
            np.mean(p[1])))
        persons.append(found[:opts.max_persons])

    num_persons = max(len(p) for p in persons)
    if num_persons == 0:
        raise SkeletonInputError(
            path, f'empty sequence: no instance in any of its {len(frames)} '
            'frames')
    num_joints, num_coords = shape
    keypoint = np.zeros((num_persons, len(frames), num_joints, num_coords))
    scores = np.zeros(keypoint.shape[:3])
    has_scores = True
    for t, found in enumerate(persons):
        for m, (kp, score) in enumerate(found):
            keypoint[m, t] = kp
            if score is None:
                has_scores = False
            else:
                scores[m, t] = score
    return _make_input(
        keypoint,
        path,
        opts,
        convention=infer_layout(num_joints, num_coords),
        score=scores if has_scores else None,
        name=_stem(path))


def _simple_json_input(data: dict, path: str,
                       opts: _Options) -> SkeletonInput:
    """The simple JSON format (module docstring)."""
    unknown = sorted(set(data) - set(_JSON_KEYS))
    if unknown:
        raise SkeletonInputError(
            path, f'unknown keys {unknown}; the simple JSON format has '
            f'{list(_JSON_KEYS)}')
    if data.get('keypoints') is None:
        raise SkeletonInputError(path, 'no "keypoints" key' if 'keypoints'
                                 not in data else '"keypoints" is null')
    arrays = {}
    for key in ('keypoints', 'keypoint_scores'):
        if data.get(key) is None:
            continue
        try:
            arrays[key] = np.asarray(data[key], dtype=np.float64)
        except (TypeError, ValueError, OverflowError) as err:
            raise SkeletonInputError(
                path, f'{key} is not a regular nested list of numbers '
                f'({err})') from err
    kp = arrays['keypoints']
    if kp.size == 0:
        raise SkeletonInputError(
            path, f'empty sequence: keypoints has shape {kp.shape}')
    if kp.ndim not in (3, 4):
        raise SkeletonInputError(
            path, f'keypoints has shape {kp.shape}; expected a nested list '
            'shaped (T, V, C) or (M, T, V, C)')
    score = arrays.get('keypoint_scores')
    if score is not None:
        if score.ndim != kp.ndim - 1:
            raise SkeletonInputError(
                path, f'keypoint_scores shape {score.shape} does not match '
                f'keypoints shape {kp.shape}')
        score = score[None] if kp.ndim == 3 else score
    kp = kp[None] if kp.ndim == 3 else kp

    layout = data.get('layout')
    if layout is not None and not isinstance(layout, str):
        raise SkeletonInputError(
            path, f'layout must be a string, got {layout!r}')
    label = data.get('label')
    if label is not None and not (is_int(label) and label >= 0):
        raise SkeletonInputError(
            path, f'label must be an integer >= 0, got {label!r}')
    if opts.layout is None and layout is not None:
        opts = _Options(layout, opts.task, opts.order, opts.max_persons)
    return _make_input(kp, path, opts, score=score,
                       img_shape=data.get('img_shape'), name=_stem(path),
                       label=label)


# --------------------------------------------------------------------------
# Simple CSV
# --------------------------------------------------------------------------
def _csv_value(text: str, column: str, line: int, path: str) -> float:
    """One CSV cell: a 0-based integer index or a float coordinate."""
    try:
        if column in _CSV_INDICES:
            value = int(text)
            if value < 0:
                raise ValueError
            return value
        return float(text)
    except ValueError:
        kind = 'a 0-based integer' if column in _CSV_INDICES else 'a number'
        raise SkeletonInputError(
            path, f'line {line}: {column} must be {kind}, got '
            f'{text.strip()[:40]!r}') from None


def _read_csv(path: str, opts: _Options) -> List[SkeletonInput]:
    """The simple CSV format (module docstring)."""
    try:
        with open(path, newline='', encoding='utf-8') as f:
            reader = csv.reader(f)
            header = next(reader, None)
            rows = [(reader.line_num, row) for row in reader if row]
    except (csv.Error, OSError, UnicodeError) as err:
        raise SkeletonInputError(
            path, f'cannot read the file as CSV ({err})') from err
    expected = 'frame,joint,x,y[,z][,score][,person]'
    if not header:
        raise SkeletonInputError(
            path, f'empty file; expected a header line {expected}')
    columns = [c.strip().lower() for c in header]
    unknown = [c for c in columns if c not in _CSV_REQUIRED + _CSV_OPTIONAL]
    missing = [c for c in _CSV_REQUIRED if c not in columns]
    if unknown or missing or len(set(columns)) != len(columns):
        raise SkeletonInputError(
            path, f'header {",".join(columns)!r} does not fit the format '
            f'{expected}' + (f' (unknown columns {unknown})' if unknown
                             else '') +
            (f' (missing columns {missing})' if missing else ''))
    if not rows:
        raise SkeletonInputError(path, 'empty sequence: no data rows')

    values = np.empty((len(rows), len(columns)))
    for r, (line, row) in enumerate(rows):
        if len(row) != len(columns):
            raise SkeletonInputError(
                path, f'line {line}: {len(row)} values for the '
                f'{len(columns)} columns {",".join(columns)}')
        for c, (column, text) in enumerate(zip(columns, row)):
            values[r, c] = _csv_value(text, column, line, path)
    col = {c: values[:, i] for i, c in enumerate(columns)}
    # (M, T, V) in Python ints: a huge index (1e30) must not wrap in int64.
    shape = tuple(
        int(col[c].max()) + 1 if c in col else 1
        for c in ('person', 'frame', 'joint'))
    total = shape[0] * shape[1] * shape[2]
    need = ('every frame needs a row for every joint' +
            (' of every person' if 'person' in col else ''))
    if total > np.iinfo(np.int64).max:  # beyond the flat indices below
        raise SkeletonInputError(
            path, f'{total - len(rows)} rows missing ({need})')
    frame, joint = col['frame'].astype(np.int64), col['joint'].astype(
        np.int64)
    person = col['person'].astype(np.int64) if 'person' in col else \
        np.zeros(len(rows), np.int64)

    def cell(m: int, t: int, v: int) -> str:
        return f'frame {t}, joint {v}' + (f', person {m}'
                                          if 'person' in col else '')

    # Row indices in (person, frame, joint) order; sorted, a complete
    # table is exactly 0, 1, ..., M * T * V - 1 (checked before an
    # (M, T, V) grid is made, so that a stray huge index costs no memory).
    flat = (person * shape[1] + frame) * shape[2] + joint
    order = np.argsort(flat, kind='stable')
    flat_sorted = flat[order]
    repeated = order[1:][np.diff(flat_sorted) == 0]
    if repeated.size:
        r = int(repeated.min())
        raise SkeletonInputError(
            path, f'line {rows[r][0]}: a second row for '
            f'{cell(person[r], frame[r], joint[r])}')
    if len(rows) < total:
        gaps = np.flatnonzero(flat_sorted != np.arange(len(rows)))
        first = int(gaps[0]) if gaps.size else len(rows)
        m, t, v = np.unravel_index(first, shape)
        raise SkeletonInputError(
            path, f'{total - len(rows)} rows missing; the first: '
            f'{cell(m, t, v)} ({need})')

    coords = [col[c] for c in ('x', 'y', 'z') if c in col]
    keypoint = np.zeros(shape + (len(coords), ))
    keypoint.reshape(-1, len(coords))[flat] = np.stack(coords, axis=1)
    score = None
    if 'score' in col:
        score = np.zeros(shape)
        score.reshape(-1)[flat] = col['score']
    return [
        _make_input(keypoint, path, opts, score=score, name=_stem(path))
    ]


_READERS: Dict[str, Callable[[str, _Options], List[SkeletonInput]]] = {
    'npy': _read_numpy,
    'npz': _read_numpy,
    'ntu': _read_ntu,
    'pkl': _read_pkl,
    'json': _read_json,
    'mmpose': _read_mmpose_json,
    'csv': _read_csv,
}
