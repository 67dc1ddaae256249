"""Damaged skeleton files for property-based tests of the file readers.

Needs `hypothesis <https://hypothesis.readthedocs.io>`_ (a test
requirement, not a runtime one). The strategies here damage a valid file
the ways real files go wrong, and :func:`check_outcome` states the property
every reader and converter of user files must hold:

* **bytes** (:func:`damaged_bytes`): truncation anywhere (down to an empty
  file), flipped bytes, inserted garbage (up to 100000 nested ``[``),
  deleted spans;
* **text** (:func:`damaged_text`): a token replaced by a bad one (``nan``,
  ``1e30``, ``-1``, a huge integer, a word, nothing), lines deleted,
  repeated or swapped;
* **structure** (:func:`damaged_tree`): in the nested dicts and lists of a
  JSON or pickle file, a value replaced by one of another type or a bad
  number, an entry deleted, a value wrapped in a list, an array damaged;
* **arrays** (:func:`damaged_array`): NaN / inf / 1e30 entries, a wrong
  dtype (object, strings, bools, complex, ints), an axis dropped, added,
  emptied or resized, a 0-d value.

The property (:func:`check_outcome`): reading gives a correct result (the
test's ``validate`` checks it: finite arrays of the documented shape) or the
project's own error whose message names the file, within a time limit; any
other exception (a raw ``KeyError``, ``IndexError``, ``UnicodeDecodeError``,
pickle or zipfile error ...) fails the test, as does a hang. Converters
(:func:`check_conversion`, their ``tools/data/`` scripts end to end) also
leave every file of their output folder as it was when they fail.

Pickles: a pickle can run code when loaded. The project's readers unpickle
with an allow-list (:class:`mmups.datasets.formats.files.ArrayUnpickler`),
so damaged bytes cannot make them run code, but ``.npz`` files with object
arrays (VideoPose3D's Human3.6M files) are loaded with numpy's own
unpickling: such inputs must come from a trusted source.

Runs are reproducible (:func:`fuzz_settings`: derandomized, no example
database); ``MMUPS_FUZZ_SCALE=10`` multiplies the examples of every test
for a deeper local search.
"""
import contextlib
import copy
import faulthandler
import io
import json
import os
import os.path as osp
import pickle
import signal
import sys
import tempfile
import threading
from typing import (Any, Callable, Dict, Iterator, List, Optional, Sequence,
                    Tuple, Type, TypeVar, Union)

import numpy as np
from hypothesis import HealthCheck, currently_in_test_context, event
from hypothesis import settings
from hypothesis import strategies as st

T = TypeVar('T')
Path = Tuple[Union[str, int], ...]  # keys / indices from the root

__all__ = [
    'ReaderHang', 'fuzz_settings', 'damaged_bytes', 'damaged_text',
    'damaged_array', 'damaged_tree', 'damaged_structure', 'bad_values',
    'check_outcome', 'check_conversion', 'count_outcome', 'time_limit',
    'folder_snapshot', 'write_file', 'finite_array', 'valid_annotation',
    'seed_pose', 'kinetics_clip', 'mmaction_annotation', 'ntu_skeleton_text',
    'npy_bytes', 'npz_bytes', 'json_bytes', 'pickle_bytes'
]

#: Seconds a reader may take on one small damaged file.
TIME_LIMIT = 20.0

#: Tokens that break numeric text formats.
BAD_TOKENS = ('nan', 'NaN', 'inf', '-inf', '1e30', '-1e30', '1e400', '-1',
              '0', '3.5', '99999999999', '9' * 30, 'x', '', '\t', '1,2',
              '0x10', '\u00e9', '\x00', '[]', '{}', 'null', 'true', '"a"')

#: Floats that are not valid data (or overflow float32 when scaled).
BAD_FLOATS = (float('nan'), float('inf'), -float('inf'), 1e30, -1e30,
              3.4e38, 1e308, -1.0, 0.0, 0.5)
#: Numbers that are valid JSON / Python but not valid data.
BAD_NUMBERS = BAD_FLOATS + (10**30, -10**30, 10**400, -1, 0, 2**63)


class ReaderHang(BaseException):
    """A reader ran past its time limit (a BaseException, so that a
    reader's ``except Exception`` does not turn it into its own error)."""


def fuzz_settings(max_examples: int, **kwargs: Any) -> settings:
    """Settings of a fuzz test: ``max_examples`` (times
    ``$MMUPS_FUZZ_SCALE``), no deadline, derandomized (the same examples in
    every run, as CI needs), no example database, and no health check
    about function-scoped fixtures (a test's ``tmp_path`` is reused by its
    examples, each of which overwrites its files)."""
    scale = float(os.environ.get('MMUPS_FUZZ_SCALE', '1'))
    return settings(
        max_examples=max(1, int(max_examples * scale)),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
            HealthCheck.data_too_large
        ],
        **kwargs)


# --------------------------------------------------------------------------
# Bytes and text
# --------------------------------------------------------------------------
def _byte_edit(data: bytes, draw: Callable) -> bytes:
    """One random edit of ``data``: truncate, flip, insert or delete."""
    kind = draw(st.sampled_from(('truncate', 'flip', 'insert', 'delete')))
    pos = draw(st.integers(0, len(data)))
    if kind == 'truncate':
        return data[:pos]
    if kind == 'insert':
        garbage = draw(
            st.one_of(st.binary(min_size=1, max_size=16),
                      st.sampled_from([b'\x00' * 8, b'\xff\xfe', b'\n\n',
                                       b'\r', b'{', b']', b'\x80',
                                       b'[' * 100000])))
        return data[:pos] + garbage + data[pos:]
    if pos == len(data):
        return data
    if kind == 'flip':
        mask = draw(st.integers(1, 255))
        return data[:pos] + bytes([data[pos] ^ mask]) + data[pos + 1:]
    end = pos + draw(st.integers(1, max(1, len(data) - pos)))
    return data[:pos] + data[end:]


@st.composite
def damaged_bytes(draw: Callable, data: bytes,
                  max_edits: int = 3) -> bytes:
    """``data`` after 1 to ``max_edits`` byte edits (or emptied)."""
    if draw(st.integers(0, 19)) == 0:
        return b''
    for _ in range(draw(st.integers(1, max_edits))):
        data = _byte_edit(data, draw)
    return data


def _line_edit(lines: List[str], draw: Callable) -> List[str]:
    """One random edit of text lines: a token replaced, a line deleted,
    repeated or swapped with another."""
    if not lines:
        return lines
    i = draw(st.integers(0, len(lines) - 1))
    kind = draw(st.sampled_from(('token', 'token', 'delete', 'repeat',
                                 'swap')))
    lines = list(lines)
    if kind == 'delete':
        del lines[i]
    elif kind == 'repeat':
        lines.insert(i, lines[i])
    elif kind == 'swap':
        j = draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    else:
        # Tokens keep their separators: split on spaces, else on commas.
        sep = ' ' if ' ' in lines[i] else ','
        tokens = lines[i].split(sep)
        k = draw(st.integers(0, len(tokens) - 1))
        tokens[k] = draw(st.sampled_from(BAD_TOKENS))
        lines[i] = sep.join(tokens)
    return lines


@st.composite
def damaged_text(draw: Callable, text: str, max_edits: int = 3) -> bytes:
    """UTF-8 bytes of ``text`` after 1 to ``max_edits`` line or token
    edits (sometimes followed by a byte edit), or after byte edits only
    (:func:`damaged_bytes`)."""
    if draw(st.integers(0, 3)) == 0:
        return draw(damaged_bytes(text.encode('utf-8'), max_edits))
    lines = text.split('\n')
    for _ in range(draw(st.integers(1, max_edits))):
        lines = _line_edit(lines, draw)
    data = '\n'.join(lines).encode('utf-8')
    if draw(st.booleans()):
        data = draw(damaged_bytes(data, max_edits=1))
    return data


# --------------------------------------------------------------------------
# Arrays and nested containers
# --------------------------------------------------------------------------
_BAD_DTYPES = (object, '<U3', 'S2', bool, np.complex64, np.int64, np.uint8,
               np.float16, np.int8)


def _reshaped(arr: np.ndarray, draw: Callable) -> np.ndarray:
    """``arr`` with an axis dropped, added, emptied, resized or moved, or
    as a 0-d value."""
    kind = draw(st.sampled_from(('drop', 'add', 'empty', 'resize', 'move',
                                 'scalar', 'flat')))
    if kind == 'scalar' or arr.ndim == 0:
        return np.asarray(arr.reshape(-1)[0] if arr.size else 0.0)
    if kind == 'flat':
        return arr.reshape(-1)
    axis = draw(st.integers(0, arr.ndim - 1))
    if kind == 'drop':
        return np.take(arr, 0, axis=axis) if arr.shape[axis] else \
            arr.reshape(-1)
    if kind == 'add':
        return np.expand_dims(arr, draw(st.integers(0, arr.ndim)))
    if kind == 'empty':
        return np.take(arr, [], axis=axis)
    if kind == 'move':
        return np.moveaxis(arr, axis, draw(st.integers(0, arr.ndim - 1)))
    size = draw(st.integers(1, 7))
    index = np.arange(size) % max(arr.shape[axis], 1)
    return np.take(arr, index, axis=axis) if arr.shape[axis] else arr


@st.composite
def damaged_array(draw: Callable, arr: np.ndarray) -> np.ndarray:
    """A copy of ``arr`` with bad values, a bad dtype or a bad shape."""
    kind = draw(st.sampled_from(('values', 'values', 'dtype', 'shape')))
    if kind == 'shape':
        return _reshaped(arr, draw)
    if kind == 'dtype':
        dtype = draw(st.sampled_from(_BAD_DTYPES))
        with np.errstate(all='ignore'):
            if dtype is object:
                out = arr.astype(object)
                if out.size:  # a non-number among the numbers
                    out.reshape(-1)[0] = draw(
                        st.sampled_from(['x', None, [1.0], {}]))
                return out
            try:
                return arr.astype(dtype)
            except (TypeError, ValueError):  # strings to numbers
                return arr.astype(object)
    # Bad numbers among the values (in a float copy of a numeric array).
    out = arr.astype(np.float64 if arr.dtype.kind in 'biu' else
                     arr.dtype if arr.dtype.kind in 'fc' else object)
    if out.size:
        for _ in range(draw(st.integers(1, 3))):
            i = draw(st.integers(0, out.size - 1))
            with np.errstate(over='ignore'):
                out.reshape(-1)[i] = draw(st.sampled_from(BAD_FLOATS))
    return out


def bad_values(arrays: bool = False) -> st.SearchStrategy:
    """Values of the wrong kind for any field of a file: None, bools,
    bad numbers, strings, empty and nested containers; with ``arrays``
    (pickles) numpy arrays and scalars, tuples and bytes too."""
    leaves = [
        st.none(), st.booleans(), st.sampled_from(BAD_NUMBERS),
        st.integers(-3, 40),
        st.text(max_size=4),
        st.just([]), st.just({}),
        st.lists(st.sampled_from(BAD_NUMBERS), max_size=3),
        st.dictionaries(st.text(max_size=3), st.integers(-1, 3),
                        max_size=2)
    ]
    if arrays:
        leaves += [
            st.sampled_from([
                np.zeros(0), np.ones((2, 3)), np.array('x'),
                np.array([1, 2], dtype=object), np.float64('nan'),
                np.int64(-1), (1, 2), b'\x00', {1, 2}
            ]),
            st.builds(lambda s: np.full(s, 1e30, np.float32),
                      st.lists(st.integers(0, 3), max_size=5).map(tuple))
        ]
    return st.one_of(leaves)


def _node_paths(obj: Any, prefix: Path = ()) -> List[Path]:
    """The paths of every value in nested dicts / lists, root first."""
    paths = [prefix]
    if isinstance(obj, dict):
        for key, value in obj.items():
            paths += _node_paths(value, prefix + (key, ))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            paths += _node_paths(value, prefix + (i, ))
    return paths


def _get(obj: Any, path: Path) -> Any:
    for key in path:
        obj = obj[key]
    return obj


@st.composite
def damaged_tree(draw: Callable, obj: Any, arrays: bool = False,
                 max_edits: int = 3) -> Any:
    """A deep copy of nested dicts / lists (JSON or pickle content) with 1
    to ``max_edits`` values replaced (:func:`bad_values`), deleted, wrapped
    in a list or, for numpy arrays, damaged (:func:`damaged_array`); the
    root itself may be replaced."""
    obj = copy.deepcopy(obj)
    for _ in range(draw(st.integers(1, max_edits))):
        # A depth first, then a value at that depth: edits of the
        # structure are as likely as edits of the many numbers.
        paths = _node_paths(obj)
        depth = draw(st.sampled_from(sorted({len(p) for p in paths})))
        path = draw(st.sampled_from([p for p in paths if len(p) == depth]))
        value = _get(obj, path)
        kind = draw(st.sampled_from(('replace', 'replace', 'delete',
                                     'wrap')))
        if isinstance(value, np.ndarray) and draw(st.booleans()):
            new = draw(damaged_array(value))
        elif kind == 'wrap':
            new = [value]
        elif kind == 'delete' and path:
            del _get(obj, path[:-1])[path[-1]]
            continue
        else:
            new = draw(bad_values(arrays))
        if not path:
            obj = new
        else:
            _get(obj, path[:-1])[path[-1]] = new
    return obj


def damaged_structure(seed: Any, to_bytes: Callable[[Any], bytes],
                      arrays: bool = False) -> st.SearchStrategy:
    """The bytes of a file of ``seed`` (``to_bytes``, e.g.
    :func:`json_bytes`) damaged in its structure (:func:`damaged_tree`) or
    in its bytes (:func:`damaged_bytes`)."""
    return st.one_of(damaged_tree(seed, arrays=arrays).map(to_bytes),
                     damaged_bytes(to_bytes(seed)))


# --------------------------------------------------------------------------
# The property, and file helpers
# --------------------------------------------------------------------------
def count_outcome(what: str) -> None:
    """Count an outcome in the statistics of the running example
    (``--hypothesis-show-statistics``)."""
    if currently_in_test_context():
        event(f'outcome: {what}')


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`ReaderHang` where the block runs past ``seconds``.

    SIGALRM interrupts Python code (in the main thread of a POSIX process;
    elsewhere there is no limit). A hang inside one C call, which no signal
    handler interrupts, ends the process with the tracebacks of its threads
    (:func:`faulthandler.dump_traceback_later`) a little later, so that it
    fails a CI run instead of stalling it.
    """
    if not hasattr(signal, 'setitimer') or \
            threading.current_thread() is not threading.main_thread():
        yield
        return

    def hang(signum: int, frame: Any) -> None:
        raise ReaderHang(f'no result after {seconds} s: the reader hangs')

    previous = signal.signal(signal.SIGALRM, hang)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:  # to the process's stderr: pytest's capture has no file number
        faulthandler.dump_traceback_later(2 * seconds + 10, exit=True,
                                          file=sys.__stderr__)
    except (AttributeError, ValueError, OSError):  # no stderr to write to
        pass
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_outcome(read: Callable[[], T],
                  path: str,
                  errors: Union[Type[Exception], Tuple[Type[Exception],
                                                       ...]],
                  validate: Callable[[T], None],
                  seconds: float = TIME_LIMIT) -> Optional[T]:
    """Run ``read()``: its result must pass ``validate``, or it must raise
    one of ``errors`` whose message names ``path``; returns the result, or
    None after such an error. Other exceptions propagate (the test fails
    on them), and so does :class:`ReaderHang` past ``seconds``."""
    try:
        with time_limit(seconds):
            result = read()
    except errors as err:
        assert path in str(err), (
            f'the error does not name the file {path}: '
            f'{type(err).__name__}: {err}')
        count_outcome('clear error')
        return None
    validate(result)
    count_outcome('valid result')
    return result


def check_conversion(main: Callable[[List[str]], int], argv: List[str],
                     path: str, out_dir: str, capsys: Any,
                     validate: Callable[[], None],
                     seconds: float = TIME_LIMIT) -> bool:
    """Run a ``tools/data/`` script's ``main(argv)`` on inputs of which
    ``path`` is damaged: it must exit with status 0, and ``validate()``
    check what it wrote, or exit with status 1 after printing ``error:
    ...`` naming ``path`` to stderr, every file below ``out_dir`` as it
    was (byte-identical, nothing added nor left behind); an exception out
    of ``main`` fails the test. ``capsys`` is pytest's fixture; returns
    whether it succeeded."""
    before = folder_snapshot(out_dir)
    capsys.readouterr()
    with time_limit(seconds):
        status = main(argv)
    err = capsys.readouterr().err
    assert status in (0, 1), f'exit status {status}'
    if status == 0:
        validate()
        count_outcome('valid output')
        return True
    # A line, not all of stderr: CPython may print a note before it (a
    # MemoryError in the unpickler reports "deallocated bytearray"), and
    # the reason after the file name may span lines.
    assert any(line.startswith('error: ') and path in line
               for line in err.splitlines()), (
                   f'the error does not name the file {path}: {err!r}')
    assert folder_snapshot(out_dir) == before, (
        'a failed conversion changed the files in its output folder')
    count_outcome('clear error, outputs kept')
    return False


def folder_snapshot(folder: str) -> Dict[str, bytes]:
    """The content of every file below ``folder`` by relative path: two
    snapshots are equal where no file was written, changed, added or left
    behind (a converter that failed must leave its outputs so)."""
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = osp.join(root, name)
            with open(path, 'rb') as f:
                files[osp.relpath(path, folder)] = f.read()
    return files


def write_file(path: str, data: Union[bytes, str]) -> str:
    """Write ``data`` (text as UTF-8) to ``path``, replacing it; returns
    ``path``."""
    if isinstance(data, str):
        data = data.encode('utf-8')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)
    return path


def finite_array(arr: Any, shape: Sequence[Optional[int]],
                 what: str = 'array', kinds: str = 'f') -> None:
    """Assert that ``arr`` is a numpy array of one of the dtype ``kinds``
    (default: float) and ``shape`` (None: any size > 0 on that axis) with
    finite values only."""
    assert isinstance(arr, np.ndarray), f'{what} is {type(arr).__name__}'
    assert arr.dtype.kind in kinds, f'{what} has dtype {arr.dtype}'
    assert arr.ndim == len(shape) and all(
        n > 0 if s is None else n == s for n, s in zip(arr.shape, shape)), (
            f'{what} has shape {arr.shape}, expected {tuple(shape)}')
    assert np.isfinite(arr).all(), f'{what} has NaN / inf values'


# --------------------------------------------------------------------------
# Valid seeds (what the strategies damage) and their bytes
# --------------------------------------------------------------------------
def seed_pose(shape: Sequence[int], seed: int = 0) -> np.ndarray:
    """Non-zero float32 joints (or scores) of ``shape``, in [0.5, 2)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 2.0, tuple(shape)).astype(np.float32)


def kinetics_clip(num_frames: int = 3, persons: int = 2, label: int = 0,
                  seed: int = 0) -> Dict[str, Any]:
    """A clip of ST-GCN's Kinetics-skeleton release: normalised
    OpenPose-18 poses of ``persons`` people in each frame."""
    pose = seed_pose((num_frames, persons, 18, 2), seed) / 2
    score = seed_pose((num_frames, persons, 18), seed + 1) / 2
    frames = [
        dict(frame_index=t + 1, skeleton=[
            dict(pose=[round(float(v), 3) for v in pose[t, m].ravel()],
                 score=[round(float(v), 3) for v in score[t, m]])
            for m in range(persons)
        ]) for t in range(num_frames)
    ]
    return dict(data=frames, label=f'class_{label}', label_index=label)


def mmaction_annotation(name: str = 'clip', shape: Sequence[int] = (
        2, 3, 17, 2), label: int = 3, seed: int = 0) -> Dict[str, Any]:
    """One MMAction2 2D skeleton annotation with scores and image size."""
    kp = seed_pose(shape, seed)
    return dict(frame_dir=name, label=label, keypoint=kp,
                keypoint_score=seed_pose(shape[:3], seed + 1) / 2,
                img_shape=(1080, 1920), total_frames=int(shape[1]))


def ntu_skeleton_text(num_frames: int = 3, bodies: int = 2) -> str:
    """The text of an NTU RGB+D ``.skeleton`` file of ``bodies`` bodies
    in each of ``num_frames`` frames."""
    from .ntu_skeleton import write_skeleton
    xyz = seed_pose((num_frames, bodies, 25, 3)) + np.float32([0, 0, 2])
    with tempfile.TemporaryDirectory() as folder:
        path = osp.join(folder, 'seed.skeleton')
        write_skeleton(path, [[(f'7205759403793{b}', xyz[t, b])
                               for b in range(bodies)]
                              for t in range(num_frames)])
        with open(path, encoding='utf-8', newline='') as f:
            return f.read()


def _saveable(value: Any) -> np.ndarray:
    """``value`` as numpy saves it, or in a 0-d object array where numpy
    cannot make an array of it (ragged nested lists)."""
    try:
        return np.asanyarray(value)
    except ValueError:
        arr = np.empty((), dtype=object)
        arr[()] = value
        return arr


def npy_bytes(value: Any) -> bytes:
    """The ``.npy`` file of ``value`` (object arrays pickled)."""
    buf = io.BytesIO()
    np.save(buf, _saveable(value), allow_pickle=True)
    return buf.getvalue()


def npz_bytes(content: Any) -> bytes:
    """The ``.npz`` file of a dict of arrays (other content: as its only
    array ``arr_0``)."""
    if not isinstance(content, dict):
        content = dict(arr_0=content)
    buf = io.BytesIO()
    np.savez(buf, **{str(k): _saveable(v) for k, v in content.items()})
    return buf.getvalue()


def json_bytes(content: Any) -> bytes:
    """JSON text of ``content`` (NaN and inf as the tokens Python's json
    module writes)."""
    return json.dumps(content).encode('utf-8')


def pickle_bytes(content: Any) -> bytes:
    """A protocol 4 pickle of ``content``."""
    return pickle.dumps(content, protocol=4)


def valid_annotation(anno: Any) -> None:
    """Assert that ``anno`` is a dense MMAction2 annotation as documented
    (:mod:`mmups.datasets.formats.mmaction_pkl`), checked independently of
    the project's own checks: a str name, an int label >= 0, finite float
    ``keypoint`` (M, T, V, C = 2 or 3), ``total_frames`` = T, finite
    numeric ``keypoint_score`` (M, T, V) and positive ``img_shape`` where
    given."""
    assert isinstance(anno, dict), type(anno)
    kp = anno['keypoint']
    finite_array(kp, (None, None, None, kp.shape[-1]), 'keypoint')
    assert kp.shape[-1] in (2, 3), kp.shape
    assert isinstance(anno.get('frame_dir', anno.get('filename')), str)
    assert anno['total_frames'] == kp.shape[1] and anno['label'] >= 0
    if anno.get('keypoint_score') is not None:  # any numbers
        finite_array(anno['keypoint_score'], kp.shape[:3], 'keypoint_score',
                     kinds='fiu')
    if anno.get('img_shape') is not None:
        h, w = anno['img_shape']
        assert h > 0 and w > 0, anno['img_shape']
