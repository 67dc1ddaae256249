"""Fuzzing of the format readers of :mod:`mmups.datasets.formats`: every
damaged file gives a valid result or a :class:`ConversionError` naming the
file, never another exception nor a hang; the annotation checks report
problems instead of raising (strategies and property:
:mod:`mmups.testing.file_fuzzing`)."""
import collections
import pickle
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmups.datasets.formats import ConversionError, load_json, load_pickle
from mmups.datasets.formats.kinetics_json import (MAX_FRAMES,
                                                  load_label_index,
                                                  read_kinetics_json)
from mmups.datasets.formats.mmaction_pkl import check_annotation, dense_shape
from mmups.datasets.formats.ntu_skeleton import (read_skeleton_file,
                                                 select_bodies)
from mmups.testing.file_fuzzing import (ReaderHang, check_outcome,
                                        damaged_bytes, damaged_structure,
                                        damaged_text, damaged_tree,
                                        finite_array, fuzz_settings,
                                        json_bytes, kinetics_clip,
                                        mmaction_annotation,
                                        ntu_skeleton_text, pickle_bytes,
                                        valid_annotation, write_file)

#: Examples per reader.
EXAMPLES = 500
MAX_PERSONS = 2

ANNOTATIONS = dict(split=dict(val=['a', 'b']), annotations=[
    mmaction_annotation('a'), mmaction_annotation('b', (1, 4, 25, 3))])
#: MMAction2's compressed form: x, y, score of N = 3 skeletons in 2 frames.
COMPRESSED = dict(frame_dir='c', label=1, total_frames=2,
                  keypoint=np.full((3, 17, 3), 0.5, np.float32),
                  frame_inds=np.array([0, 0, 1]),
                  box_score=np.ones(3, np.float32))
LABEL_INDEX = {
    'vid_a': dict(has_skeleton=True, label='abseiling', label_index=0),
    'vid_b': dict(has_skeleton=False, label='zumba', label_index=399)
}


_ALLOWED = (dict, list, tuple, set, frozenset, str, bytes, int, float,
            complex, bool, type(None), np.ndarray, np.generic, np.dtype)


def _only_arrays_and_builtins(value: Any) -> None:
    """What load_pickle may return: numpy arrays and scalars in builtin
    containers, nothing else (its allow-list)."""
    assert isinstance(value, _ALLOWED), type(value)
    if isinstance(value, np.ndarray) and value.dtype == object:
        value = value.ravel().tolist()
    if isinstance(value, dict):
        assert type(value) in (dict, collections.OrderedDict)
        value = list(value.keys()) + list(value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _only_arrays_and_builtins(item)


def _label_index(index: Any) -> None:
    assert isinstance(index, dict)
    assert all(isinstance(e, dict) and 'label_index' in e
               for e in index.values())


def _kinetics_clip(clip: Dict[str, Any]) -> None:
    kp, score = clip['keypoint'], clip['keypoint_score']
    assert kp.dtype == score.dtype == np.float32
    m, t = kp.shape[:2]
    assert kp.shape == (m, t, 18, 2) and score.shape == (m, t, 18)
    assert m <= MAX_PERSONS and t <= MAX_FRAMES
    assert np.isfinite(kp).all() and np.isfinite(score).all()
    assert clip['label'] is None or clip['label'] >= 0
    assert clip['label_name'] is None or isinstance(clip['label_name'], str)


def _ntu_bodies(kp: np.ndarray) -> None:
    # M = 0 (and T = 0 for a file of no frames) where no frame has a body.
    finite_array(kp, kp.shape[:2] + (25, 3), 'bodies')
    assert kp.dtype == np.float32 and kp.shape[0] <= MAX_PERSONS


#: Pickles of protocols 2 (bytes as _codecs.encode) and 4, of every kind
#: of value the allow-list admits.
_PICKLES = [
    pickle_bytes(ANNOTATIONS),
    pickle.dumps([COMPRESSED, 'x', {1, 2}, frozenset('a'), (1.5, None),
                  collections.OrderedDict(a=b'\x00'), np.float32(1),
                  np.dtype('<U3')], protocol=2)
]

#: reader -> (file name, damaged contents, read(path), validate(result)).
READERS: Dict[str, Tuple[str, st.SearchStrategy, Callable, Callable]] = {
    'load_json': ('clip.json', damaged_structure(kinetics_clip(),
                                                 json_bytes),
                  load_json, lambda content: None),
    'load_pickle': ('anno.pkl', st.sampled_from(_PICKLES).flatmap(
        damaged_bytes), load_pickle, _only_arrays_and_builtins),
    'load_label_index': ('kinetics_val_label.json', damaged_structure(
        LABEL_INDEX, json_bytes), load_label_index, _label_index),
    'read_kinetics_json': ('vid_a.json', damaged_structure(
        kinetics_clip(), json_bytes),
        lambda path: read_kinetics_json(path, MAX_PERSONS), _kinetics_clip),
    'read_skeleton_file': (
        'S001C001P001R001A001.skeleton', damaged_text(ntu_skeleton_text()),
        lambda path: select_bodies(read_skeleton_file(path), MAX_PERSONS),
        _ntu_bodies),
}


@pytest.mark.parametrize('reader', sorted(READERS))
@fuzz_settings(EXAMPLES)
@given(data=st.data())
def test_damaged_file(tmp_path, reader, data):
    name, contents, read, validate = READERS[reader]
    path = write_file(str(tmp_path / name), data.draw(contents,
                                                      label='content'))
    check_outcome(lambda: read(path), path, ConversionError, validate)


@fuzz_settings(EXAMPLES)
@given(anno=st.one_of(damaged_tree(ANNOTATIONS['annotations'][1], True),
                      damaged_tree(COMPRESSED, True)))
def test_damaged_annotation(anno):
    # No file here: the checks must report problems, not raise.
    problems = check_annotation(anno, 'annotation 0')
    assert isinstance(problems, list)
    assert all(isinstance(p, str) and p.startswith('annotation 0')
               for p in problems)
    shape = dense_shape(anno)
    if shape is not None:
        assert len(shape) == 4 and all(isinstance(n, int) and n >= 0
                                       for n in shape)
    if not problems and 'frame_inds' not in anno:
        valid_annotation(anno)
        assert shape == anno['keypoint'].shape


def test_the_property_catches_what_it_is_named_after(tmp_path):
    """check_outcome fails on leaks, unnamed files, hangs and bad
    results, and passes clear errors and good results."""
    path = write_file(str(tmp_path / 'clip.json'), b'{"data": [')
    other = write_file(str(tmp_path / 'other.json'), b'{"data": [')
    with pytest.raises(AssertionError, match='does not name the file'):
        check_outcome(lambda: load_json(other), path, ConversionError,
                      lambda r: None)
    assert check_outcome(lambda: load_json(path), path, ConversionError,
                         lambda r: None) is None
    with pytest.raises(KeyError):  # a raw error leaks through
        check_outcome(lambda: {}['keypoint'], path, ConversionError,
                      lambda r: None)

    def endless() -> None:
        while True:
            pass

    with pytest.raises(ReaderHang):
        check_outcome(endless, path, ConversionError, lambda r: None,
                      seconds=0.2)
    with pytest.raises(AssertionError, match='NaN'):
        check_outcome(lambda: np.full((1, 2, 25, 3), np.nan, np.float32),
                      path, ConversionError, _ntu_bodies)


def _clip_with(**skeleton: Any) -> Dict[str, Any]:
    """The Kinetics seed clip with fields of its first skeleton replaced."""
    clip = kinetics_clip()
    clip['data'][0]['skeleton'][0].update(skeleton)
    return clip


#: Files on which fuzzing found a reader raising a raw exception, hanging
#: or returning non-finite values, and the clear error they now give.
FOUND: List[Tuple[str, bytes, str]] = [
    ('load_json', b'[' * 100000, 'not readable JSON: nested too deeply'),
    ('load_json', b'1' * 5000, 'not readable JSON (Exceeds the limit'),
    ('read_kinetics_json', b'{"data": [1, {"frame_index": 1}]}',
     'frame entry 0: expected an object'),
    ('read_kinetics_json', json_bytes(dict(data=[dict(frame_index=10**30)])),
     'frame_index 1' + '0' * 30 + ' is not in [1, '),
    ('read_kinetics_json', json_bytes(_clip_with(pose=[3.4e38] * 36)),
     'pose values beyond float32 once scaled to the 340 x 256 frame'),
    ('read_kinetics_json', json_bytes(_clip_with(pose=[10**400] * 36)),
     'frame entry 0, skeleton 0: non-numeric pose or score'),
]


@pytest.mark.parametrize('reader,content,problem', FOUND)
def test_found_by_fuzzing(tmp_path, reader, content, problem):
    name, _, read, _ = READERS[reader]
    path = write_file(str(tmp_path / name), content)
    with pytest.raises(ConversionError) as err:
        read(path)
    assert str(err.value).startswith(path) and problem in str(err.value)


def test_kinetics_label_found_by_fuzzing(tmp_path):
    # A negative label_index (or a non-str label): none, not a bad one.
    path = write_file(str(tmp_path / 'clip.json'), json_bytes(dict(
        kinetics_clip(label=-5), label=[1])))
    clip = read_kinetics_json(path)
    assert clip['label'] is None and clip['label_name'] is None


def test_annotations_found_by_fuzzing():
    compressed_text = dict(COMPRESSED, keypoint=COMPRESSED['keypoint'].astype(
        str))
    assert check_annotation(compressed_text, 'a') == [
        "a (c): compressed keypoint must be a numeric array (N, V, 3), got "
        "shape (3, 17, 3), dtype <U32"]
    beyond = dict(COMPRESSED, frame_inds=np.array([0, 0, 10**12]))
    assert dense_shape(beyond) is None  # not a bincount of 10**12 slots
    assert any('frame_inds outside' in p
               for p in check_annotation(beyond, 'a'))
    negative = dict(COMPRESSED, total_frames=-1, frame_inds=np.zeros(
        3, int))
    assert dense_shape(negative) is None
    assert 'a (c): total_frames must be an int >= 0, got -1' in \
        check_annotation(negative, 'a')
    ragged = dict(COMPRESSED, box_score=[[1.0], [1.0, 2.0], []])
    assert check_annotation(ragged, 'a') == [
        'a (c): box_score is not of shape (N,) = (3,)']
    score_text = dict(ANNOTATIONS['annotations'][0],
                      keypoint_score=np.full((2, 3, 17), 'x'))
    assert check_annotation(score_text, 'a') == [
        'a (a): keypoint_score dtype <U1 is not numeric']
