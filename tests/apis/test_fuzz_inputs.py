"""Fuzzing of the inference input readers (:func:`load_skeletons`): every
damaged file of every format gives valid inputs or a
:class:`SkeletonInputError` naming the file, never another exception nor a
hang (strategies and property: :mod:`mmups.testing.file_fuzzing`)."""
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmups.apis.inputs import SkeletonInput, SkeletonInputError, load_skeletons
from mmups.skeleton import get_layout
from mmups.testing.file_fuzzing import (check_outcome, damaged_array,
                                        damaged_bytes, damaged_structure,
                                        damaged_text, finite_array,
                                        fuzz_settings, json_bytes,
                                        kinetics_clip, mmaction_annotation,
                                        npy_bytes, npz_bytes,
                                        ntu_skeleton_text, pickle_bytes,
                                        seed_pose, write_file)

#: Examples per format.
EXAMPLES = 400

KEYPOINT = seed_pose((2, 3, 25, 3))
SCORE = seed_pose((2, 3, 25), seed=1) / 2


def _csv_text() -> str:
    rows = ['person,frame,joint,x,y,z,score']
    for (m, t, v), _ in np.ndenumerate(KEYPOINT[..., 0]):
        rows.append(','.join(str(x) for x in (m, t, v, *KEYPOINT[m, t, v],
                                              SCORE[m, t, v])))
    return '\n'.join(rows) + '\n'


def _mmpose_frames() -> list:
    return [
        dict(frame_id=t, instances=[
            dict(keypoints=KEYPOINT[m, t].tolist(),
                 keypoint_scores=SCORE[m, t].tolist(),
                 bbox=[[0.0, 0.0, 10.0, 10.0]], bbox_score=0.9)
            for m in range(2)
        ]) for t in range(3)
    ]


#: format -> (file name, damaged contents).
CASES: Dict[str, Tuple[str, st.SearchStrategy]] = {
    'npy': ('S001C001P001R001A010.npy', st.one_of(
        damaged_bytes(npy_bytes(KEYPOINT)),
        damaged_array(KEYPOINT).map(npy_bytes))),
    'npz': ('sample.npz', damaged_structure(
        dict(keypoint=KEYPOINT, keypoint_score=SCORE), npz_bytes, True)),
    'csv': ('sample.csv', damaged_text(_csv_text())),
    'simple_json': ('sample.json', damaged_structure(
        dict(keypoints=KEYPOINT[0].tolist(),
             keypoint_scores=SCORE[0].tolist(), layout='nturgb+d',
             img_shape=[1080, 1920], label=3), json_bytes)),
    'mmpose_json': ('sample.json', damaged_structure(_mmpose_frames(),
                                                     json_bytes)),
    'kinetics_json': ('sample.json', damaged_structure(kinetics_clip(),
                                                       json_bytes)),
    'mmaction_pkl': ('sample.pkl', damaged_structure(
        dict(split=dict(val=['clip']), annotations=[mmaction_annotation()]),
        pickle_bytes, True)),
    'ntu_skeleton': ('S001C001P001R001A010.skeleton',
                     damaged_text(ntu_skeleton_text())),
}


def _validate(path: str) -> Callable[[List[SkeletonInput]], None]:
    """What a successful read must give (the documented result)."""

    def validate(samples: List[SkeletonInput]) -> None:
        assert isinstance(samples, list) and samples
        for sample in samples:
            kp = sample.keypoint
            finite_array(kp, (None, None, None, None), 'keypoint')
            assert kp.dtype == np.float32 and kp.shape[-1] in (2, 3)
            assert get_layout(sample.layout).num_joints == kp.shape[2]
            if sample.keypoint_score is not None:
                finite_array(sample.keypoint_score, kp.shape[:3],
                             'keypoint_score')
                assert sample.keypoint_score.dtype == np.float32
            if sample.img_shape is not None:
                assert len(sample.img_shape) == 2 and all(
                    isinstance(v, int) and v > 0 for v in sample.img_shape)
            assert sample.label is None or (isinstance(sample.label, int)
                                            and sample.label >= 0)
            assert isinstance(sample.name, str) and sample.source == path

    return validate


@pytest.mark.parametrize('fmt', sorted(CASES))
@fuzz_settings(EXAMPLES)
@given(data=st.data())
def test_damaged_input_file(tmp_path, fmt, data):
    name, contents = CASES[fmt]
    path = write_file(str(tmp_path / name), data.draw(contents,
                                                      label='content'))
    max_persons = data.draw(st.integers(1, 3), label='max_persons')
    check_outcome(lambda: load_skeletons(path, max_persons=max_persons),
                  path, SkeletonInputError, _validate(path))


@fuzz_settings(EXAMPLES)
@given(arr=damaged_array(KEYPOINT), order=st.sampled_from(
    [None, 'MTVC', 'TVC', 'CTVM']))
def test_damaged_array(arr, order):
    # Arrays passed in memory: the same property, the source '<array>'.
    check_outcome(lambda: load_skeletons(arr, order=order), '<array>',
                  SkeletonInputError, _validate('<array>'))


def _ntu_with(token: str) -> str:
    """The NTU seed with the x of frame 1, body 1, joint 1 (line 5) set to
    ``token``."""
    lines = ntu_skeleton_text().split('\r\n')
    lines[4] = ' '.join([token] + lines[4].split()[1:])
    return '\r\n'.join(lines)


_BIG = '1' + '0' * 400  # beyond float64: int() of it overflows
#: Files on which fuzzing found a reader raising a raw exception, hanging
#: or returning non-finite values, and the clear error they now give.
FOUND: List[Tuple[str, Any, str]] = [
    ('csv', 'frame,joint,x,y\n0,0,1,2\n' + '9' * 30 + ',1,1,2\n',
     'rows missing'),
    ('simple_json', '{"keypoints": null}', '"keypoints" is null'),
    ('simple_json', f'{{"keypoints": [[[{_BIG}, 1]]]}}',
     'keypoints is not a regular nested list of numbers'),
    ('simple_json', '{"keypoints": [[[1, 1]]], "img_shape": [Infinity, 5]}',
     'img_shape must be (H, W) > 0'),
    ('simple_json', '{"keypoints": [[[1, 1]]], "img_shape": "12"}',
     'img_shape must be (H, W) > 0'),
    ('mmpose_json', f'[{{"keypoints": [[{_BIG}, 1]]}}]',
     'keypoints / keypoint_scores are not lists of numbers'),
    ('kinetics_json', '{"data": [null]}', 'frame entry 0: expected an object'),
    ('kinetics_json', '{"data": [{"frame_index": 1' + '0' * 30 + '}]}',
     'frame entry 0: frame_index 1' + '0' * 30 + ' is not in [1, '),
    ('mmaction_pkl', pickle_bytes(dict(mmaction_annotation(),
                                       frame_dir=np.ones(2))),
     'frame_dir is ndarray, not str'),
    ('mmaction_pkl', pickle_bytes(dict(
        mmaction_annotation(), keypoint_score=np.full((2, 3, 17), 'x',
                                                      object))),
     'keypoint_score dtype object is not numeric'),
    ('mmaction_pkl', pickle_bytes(dict(mmaction_annotation(),
                                       img_shape=(np.inf, 5))),
     'img_shape must be (H, W) > 0'),
    ('ntu_skeleton', _ntu_with('nan'),
     'line 5: NaN, infinite or out-of-range joint coordinate'),
    ('ntu_skeleton', _ntu_with('1e39'), 'out-of-range joint coordinate'),
    ('simple_json', '[' * 100000, 'not readable JSON: nested too deeply'),
]


@pytest.mark.parametrize('fmt,content,problem', FOUND)
def test_found_by_fuzzing(tmp_path, fmt, content, problem):
    path = write_file(str(tmp_path / CASES[fmt][0]), content)
    with pytest.raises(SkeletonInputError) as err:
        load_skeletons(path)
    assert str(err.value).startswith(path) and problem in str(err.value)
