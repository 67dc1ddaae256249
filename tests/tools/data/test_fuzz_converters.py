"""Fuzzing of the dataset converters end to end (the ``tools/data/``
scripts on small generated inputs, one of whose files is damaged): each
run writes valid outputs, or exits with status 1 and ``error: ...`` naming
the damaged file, leaving every file of its output folder as it was
(strategies and property: :mod:`mmups.testing.file_fuzzing`)."""
import io
import os.path as osp
import sys
from typing import Any, Dict, Sequence, Tuple

import numpy as np
import pytest
from hypothesis import example, given, reject
from hypothesis import strategies as st

from mmups.datasets.converters.h36m import H36M_ACTIONS, H36M_CAMERA_IDS
from mmups.datasets.converters.penn_action import PENN_ACTIONS
from mmups.datasets.formats import ConversionError, load_pickle
from mmups.testing.file_fuzzing import (check_conversion, count_outcome,
                                        damaged_bytes, damaged_structure,
                                        damaged_text, finite_array,
                                        fuzz_settings, json_bytes,
                                        kinetics_clip, mmaction_annotation,
                                        npz_bytes, ntu_skeleton_text,
                                        pickle_bytes, seed_pose, time_limit,
                                        valid_annotation, write_file)

#: Examples per converter; each test also runs its undamaged inputs
#: (``@example``), so that the checks of valid outputs run in every run.
EXAMPLES = 200
PREVIOUS = b'an earlier conversion'


def _previous_outputs(*paths: str) -> None:
    """Outputs of an earlier run (of other inputs: unlike any this run
    writes, so that a failed run's rewrite shows)."""
    for path in paths:
        write_file(path, PREVIOUS)


def _outputs(tmp_path, pkl: str) -> Tuple[str, str, str]:
    """The output folder, annotation pkl and label map of a conversion,
    with the outputs of an earlier run in place."""
    out_dir = tmp_path / 'out'
    out, label_map = str(out_dir / pkl), str(out_dir / 'labels.txt')
    _previous_outputs(out, label_map)
    return str(out_dir), out, label_map


def _assert_lines(path: str, lines: Sequence[str]) -> None:
    with open(path) as f:
        assert f.read().splitlines() == list(lines)


def _check_annotation_file(path: str) -> Dict[str, Any]:
    """The pkl a converter wrote: valid annotations (fewer or more than
    from the valid inputs where the damage removed or lengthened a
    sequence), splits of their names."""
    data = load_pickle(path)
    assert data['annotations']
    for anno in data['annotations']:
        valid_annotation(anno)
    names = {a['frame_dir'] for a in data['annotations']}
    assert all(set(v) <= names for v in data['split'].values())
    return data


# --------------------------------------------------------------------------
# Penn Action .mat
# --------------------------------------------------------------------------
def _penn_clip(action: str, num_frames: int = 4) -> Dict[str, Any]:
    xy = seed_pose((2, num_frames, 13)) * 100
    return dict(action=np.array([action]), x=xy[0], y=xy[1],
                visibility=np.ones((num_frames, 13), np.uint8),
                dimensions=np.array([[480, 640, num_frames]]),
                train=np.array([[1]]), nframes=np.array([[num_frames]]),
                bbox=np.ones((num_frames, 4)), pose=np.array(['front']))


def _mat_bytes(content: Any, compress: bool = False) -> bytes:
    """A MATLAB 5 file of ``content`` (its arrays zlib-compressed, as in
    the Penn Action release, with ``compress``)."""
    from scipy.io import savemat
    buf = io.BytesIO()
    try:
        savemat(buf, content if isinstance(content, dict) else dict(x=content),
                do_compression=compress)
    except (TypeError, ValueError, IndexError):  # values MATLAB cannot hold
        reject()
    return buf.getvalue()


@fuzz_settings(EXAMPLES)
@given(content=st.one_of(
    damaged_structure(_penn_clip('tennis_serve'), _mat_bytes, True),
    damaged_bytes(_mat_bytes(_penn_clip('tennis_serve'), compress=True))))
@example(content=_mat_bytes(_penn_clip('tennis_serve'), compress=True))
def test_penn_action_to_pkl(tmp_path, load_tool, capsys, content):
    labels = tmp_path / 'labels'
    write_file(str(labels / '0001.mat'), _mat_bytes(_penn_clip('squat')))
    bad = write_file(str(labels / '0002.mat'), content)
    out_dir, out, label_map = _outputs(tmp_path, 'penn.pkl')

    def validate() -> None:
        data = _check_annotation_file(out)
        assert len(data['annotations']) == 2
        for anno in data['annotations']:
            assert anno['keypoint'].shape[2:] == (13, 2)
            assert 0 <= anno['label'] < len(PENN_ACTIONS)
        _assert_lines(label_map, PENN_ACTIONS)

    check_conversion(load_tool('penn_action_to_pkl').main, [
        str(labels), out, '--label-map', label_map, '--no-progress'
    ], bad, out_dir, capsys, validate)


# --------------------------------------------------------------------------
# Human3.6M positions npz and cameras pkl
# --------------------------------------------------------------------------
def _positions() -> Dict[str, Dict[str, np.ndarray]]:
    """Two takes of S1: joints around (0, 0, 1) metres, 6 frames."""
    return {'S1': {a: seed_pose((6, 17, 3), i) - np.float32([1.2, 1.2, 0.2])
                   for i, a in enumerate(('Walking 1', 'Eating 2'))}}


def _cameras() -> Dict[tuple, Dict[str, Any]]:
    """Cameras 5 m away on the world's -Y axis, looking along +Y."""
    camera = dict(R=np.array([[1., 0, 0], [0, 0, 1], [0, -1, 0]]),
                  T=np.array([[0.], [-5], [1]]), f=np.array([[1145.], [1144]]),
                  c=np.array([[512.], [515]]),
                  k=np.array([[-0.2], [0.24], [-0.002]]),
                  p=np.array([[-0.0001], [-0.0002]]), w=1000, h=1002)
    return {('S1', cam): dict(camera, name=cam) for cam in H36M_CAMERA_IDS}


_H36M_DAMAGE = st.one_of(
    st.tuples(st.just('positions'), damaged_structure(
        dict(positions_3d=_positions()), npz_bytes, True)),
    st.tuples(st.just('cameras'), damaged_structure(_cameras(), pickle_bytes,
                                                    True)))


def _h36m_inputs(tmp_path, damage) -> Dict[str, str]:
    """The positions and camera files, the one named by ``damage`` with
    its content; returns their paths and the damaged one's."""
    which, content = damage
    files = dict(
        positions=write_file(str(tmp_path / 'data_3d_h36m.npz'),
                             npz_bytes(dict(positions_3d=_positions()))),
        cameras=write_file(str(tmp_path / 'cameras.pkl'),
                           pickle_bytes(_cameras())))
    write_file(files[which], content)
    return dict(files, bad=files[which])


@fuzz_settings(EXAMPLES)
@given(damage=_H36M_DAMAGE)
@example(damage=('cameras', pickle_bytes(_cameras())))
def test_h36m_to_mmpose(tmp_path, load_tool, capsys, damage):
    files = _h36m_inputs(tmp_path, damage)
    out_dir = str(tmp_path / 'h36m')
    fps = osp.join(out_dir, 'annotation_body3d', 'fps50')
    outputs = dict(npz=osp.join(fps, 'h36m_train.npz'),
                   cameras=osp.join(out_dir, 'annotation_body3d',
                                    'cameras.pkl'),
                   actions=osp.join(out_dir, 'h36m_action_3d.pkl'),
                   label_map=osp.join(out_dir, 'h36m_action_label_map.txt'))
    _previous_outputs(*outputs.values())

    def validate() -> None:
        with np.load(outputs['npz']) as f:
            n = len(f['imgname'])
            assert n % 4 == 0  # each frame in the 4 cameras
            finite_array(f['part'], (n, 17, 3), 'part')
            finite_array(f['S'], (n, 17, 4), 'S')
            finite_array(f['center'], (n, 2), 'center')
            finite_array(f['scale'], (n, ), 'scale')
        assert isinstance(load_pickle(outputs['cameras']), dict)
        data = _check_annotation_file(outputs['actions'])
        assert sum(a['total_frames'] for a in data['annotations']) == n
        assert all(a['keypoint'].shape[::2] == (1, 17)
                   for a in data['annotations'])
        _assert_lines(outputs['label_map'], H36M_ACTIONS)

    check_conversion(load_tool('h36m_to_mmpose').main, [
        files['positions'], files['cameras'], out_dir, '--train-subjects',
        'S1', '--test-subjects', 'S9', '--actions-as-labels', '--no-progress'
    ], files['bad'], out_dir, capsys, validate)


@fuzz_settings(EXAMPLES)
@given(content=damaged_structure(dict(positions_3d=_positions()), npz_bytes,
                                 True))
@example(content=npz_bytes(dict(positions_3d=_positions())))
def test_h36m_mocap_to_action_pkl(tmp_path, load_tool, capsys, content):
    bad = write_file(str(tmp_path / 'data_3d_h36m.npz'), content)
    out_dir, out, label_map = _outputs(tmp_path, 'clips.pkl')

    def validate() -> None:
        # 6 frames at 25 Hz: 3, in clips of 2 frames every frame.
        data = _check_annotation_file(out)
        assert all(a['keypoint'].shape[::2] == (1, 17) and a['total_frames']
                   <= 2 for a in data['annotations'])
        _assert_lines(label_map, H36M_ACTIONS)

    check_conversion(load_tool('h36m_mocap_to_action_pkl').main, [
        bad, out, '--split', 'train', 'S1', '--clip-seconds', '0.08',
        '--stride-seconds', '0.04', '--label-map', label_map, '--no-progress'
    ], bad, out_dir, capsys, validate)


# --------------------------------------------------------------------------
# Kinetics-skeleton JSON release
# --------------------------------------------------------------------------
_INDEX = {
    'vid_a': dict(has_skeleton=True, label='class_0', label_index=0),
    'vid_b': dict(has_skeleton=True, label='class_2', label_index=2)
}
#: The clips of each part; vid_a's lacks its label_index (the index's
#: counts), so that a damaged index label is not caught as a mismatch.
_CLIPS = {vid: kinetics_clip(label=entry['label_index'], seed=len(vid))
          for vid, entry in _INDEX.items()}
del _CLIPS['vid_a']['label_index']
_KINETICS_DAMAGE = st.one_of(
    # vid_b: a clip after one that converts (its per-clip file written).
    st.tuples(st.just('kinetics_train/vid_b.json'),
              damaged_structure(_CLIPS['vid_b'], json_bytes)),
    st.tuples(st.just('kinetics_train_label.json'),
              damaged_structure(_INDEX, json_bytes)))


@fuzz_settings(EXAMPLES)
@given(damage=_KINETICS_DAMAGE, per_clip=st.booleans())
@example(damage=('kinetics_train_label.json', json_bytes(_INDEX)),
         per_clip=True)
@example(damage=('kinetics_train/vid_b.json', b''), per_clip=True)  # found
def test_kinetics_skeleton_to_pkl(tmp_path, load_tool, capsys, damage,
                                  per_clip):
    root = tmp_path / 'release'
    for part in ('train', 'val'):
        write_file(str(root / f'kinetics_{part}_label.json'),
                   json_bytes(_INDEX))
        for vid, clip in _CLIPS.items():
            write_file(str(root / f'kinetics_{part}' / f'{vid}.json'),
                       json_bytes(clip))
    name, content = damage
    bad = write_file(str(root / name), content)
    out_dir, out, label_map = _outputs(tmp_path, 'k.pkl')
    clips = osp.join(out_dir, 'kpfiles')  # the joints, with per_clip
    _previous_outputs(*(osp.join(clips, f'{vid}.pkl') for vid in _CLIPS))

    def validate() -> None:
        data = load_pickle(out)
        for anno in data['annotations']:
            if per_clip:
                assert 'keypoint' not in anno
                anno.update(load_pickle(osp.join(clips,
                                                 f'{anno["frame_dir"]}.pkl')))
            valid_annotation(anno)
            assert anno['keypoint'].shape[2:] == (18, 2)
            assert anno['keypoint'].shape[0] <= 2
        with open(label_map, 'rb') as f:
            names = f.read().splitlines()
        if names != [PREVIOUS]:  # written: a name for every label
            assert max(a['label'] for a in data['annotations']) < len(names)

    check_conversion(load_tool('kinetics_skeleton_to_pkl').main, [
        str(root), out, '--label-map', label_map, '--no-progress'
    ] + (['--skeleton-dir', clips] if per_clip else []), bad, out_dir,
                     capsys, validate)


# --------------------------------------------------------------------------
# NTU RGB+D .skeleton
# --------------------------------------------------------------------------
NTU_SEED = ntu_skeleton_text()


@fuzz_settings(EXAMPLES)
@given(content=damaged_text(NTU_SEED), skip_bad=st.booleans())
@example(content=NTU_SEED.encode(), skip_bad=False)
def test_ntu_skeleton_to_pkl(tmp_path, load_tool, capsys, content, skip_bad):
    src = tmp_path / 'skeletons'
    write_file(str(src / 'S001C001P001R001A001.skeleton'), NTU_SEED)
    bad = write_file(str(src / 'S001C002P001R001A002.skeleton'), content)
    out_dir = tmp_path / 'out'
    out = str(out_dir / 'ntu60_3d.pkl')
    _previous_outputs(out, str(out_dir / 'ntu60_3d.missing.txt'))

    def validate() -> None:
        annos = load_pickle(out)['annotations']
        assert 1 <= len(annos) <= 2
        for anno in annos:
            valid_annotation(anno)
            assert anno['keypoint'].shape[0] <= 2
            assert anno['keypoint'].shape[2:] == (25, 3)
            assert anno['label'] == int(anno['frame_dir'][-3:]) - 1

    check_conversion(load_tool('ntu_skeleton_to_pkl').main, [
        str(src), out, '--no-progress'
    ] + (['--skip-bad'] if skip_bad else []), bad, str(out_dir), capsys,
                     validate)


# --------------------------------------------------------------------------
# The skeleton pkl checker
# --------------------------------------------------------------------------
_CHECKED = dict(split=dict(train=['a'], val=['b']), annotations=[
    mmaction_annotation('a'), mmaction_annotation('b', (1, 4, 25, 3))])


@fuzz_settings(EXAMPLES)
@given(content=damaged_structure(_CHECKED, pickle_bytes, True))
@example(content=pickle_bytes(_CHECKED))
def test_check_skeleton_pkl(tmp_path, load_tool, capsys, content):
    path = write_file(str(tmp_path / 'anno.pkl'), content)
    capsys.readouterr()
    with time_limit(20):
        status = load_tool('check_skeleton_pkl').main([path])
    out, err = capsys.readouterr()
    assert status in (0, 1)
    if err:  # the file could not be read
        assert status == 1 and err.startswith('error: ') and path in err
        count_outcome('clear error')
        return
    assert out.startswith(f'{path}:')
    count_outcome(f'exit status {status} with a report')
    if status == 0:  # no problems found: an independent check agrees
        data = load_pickle(path)
        annos = data['annotations'] if isinstance(data, dict) and \
            'annotations' in data else data if isinstance(data, list) \
            else [data]
        for anno in annos:
            valid_annotation(anno)
    else:
        assert 'problem(s):' in out


def test_a_damaged_converter_run_is_caught(tmp_path, load_tool, capsys):
    """check_conversion fails where a failed run changed an output or did
    not name the file."""
    good = write_file(str(tmp_path / 'data_3d_h36m.npz'),
                      npz_bytes(dict(positions_3d=_positions())))
    out_dir = tmp_path / 'out'
    write_file(str(out_dir / 'clips.pkl'), PREVIOUS)

    def failing_run(argv) -> int:
        write_file(str(out_dir / 'clips.pkl'), b'half written')
        print(f'error: {ConversionError(good, "bad")}', file=sys.stderr)
        return 1

    with pytest.raises(AssertionError, match='changed the files'):
        check_conversion(failing_run, [], good, str(out_dir), capsys,
                         lambda: None)
    with pytest.raises(AssertionError, match='does not name the file'):
        check_conversion(load_tool('h36m_mocap_to_action_pkl').main, [
            str(tmp_path / 'missing.npz'), str(out_dir / 'clips.pkl')
        ], good, str(out_dir), capsys, lambda: None)


# --------------------------------------------------------------------------
# What fuzzing found
# --------------------------------------------------------------------------
@pytest.mark.parametrize('fields,problem', [
    (dict(dimensions=np.array([[np.nan, 640, 4]])), 'dimensions must be'),
    (dict(dimensions=np.array([[0.4, 640, 4]])), 'dimensions must be'),
    (dict(dimensions=np.array(['ab', 'cd'])), 'dimensions must be'),
    (dict(visibility=np.full((4, 13), np.nan)), 'NaN/inf visibility'),
    (dict(train=np.array([[np.inf]])), 'unexpected field content'),
    (dict(x=np.ones((4, 13)) * (1 + 2j)), "complex values in ['x']"),
    (dict(x=np.ones((0, 13)), y=np.ones((0, 13)),
          visibility=np.ones((0, 13))), 'no frames'),
])
def test_penn_mat_found_by_fuzzing(tmp_path, fields, problem):
    from mmups.datasets.converters.penn_action import read_penn_mat
    path = write_file(str(tmp_path / '0001.mat'),
                      _mat_bytes(dict(_penn_clip('squat'), **fields)))
    with pytest.raises(ConversionError) as err:
        read_penn_mat(path)
    assert str(err.value).startswith(path) and problem in str(err.value)


def test_huge_kinetics_label_found_by_fuzzing(tmp_path, load_tool, capsys):
    # A clear error, not a label map of 10**30 lines that never ends.
    root = tmp_path / 'release'
    index = str(root / 'kinetics_train_label.json')
    write_file(index, json_bytes(dict(vid_a=dict(label='class_0',
                                                 label_index=10**30))))
    write_file(str(root / 'kinetics_train' / 'vid_a.json'),
               json_bytes(_CLIPS['vid_a']))
    write_file(str(root / 'kinetics_val_label.json'), b'{}')
    kinetics = load_tool('kinetics_skeleton_to_pkl').main
    with time_limit(20):
        assert kinetics([str(root), str(tmp_path / 'k.pkl'), '--label-map',
                         str(tmp_path / 'k.txt'), '--no-progress']) == 1
    assert f'error: {index}: entry ' in capsys.readouterr().err


def test_empty_h36m_positions_found_by_fuzzing(tmp_path, load_tool, capsys):
    # No sequence to convert: the error names the file.
    npz = write_file(str(tmp_path / 'empty.npz'),
                     npz_bytes(dict(positions_3d={})))
    cameras = write_file(str(tmp_path / 'cameras.pkl'),
                         pickle_bytes(_cameras()))
    assert load_tool('h36m_to_mmpose').main(
        [npz, cameras, str(tmp_path / 'h36m'), '--no-progress']) == 1
    assert npz in capsys.readouterr().err


def test_checked_pkl_found_by_fuzzing(tmp_path, load_tool, capsys):
    # A pickle of None, or of an img_shape of text: a report of the
    # problem (the checker exited silently, or raised ValueError).
    checker = load_tool('check_skeleton_pkl').main
    for content, problem in (
            (None, 'not a skeleton annotation file'),
            ([dict(mmaction_annotation(), img_shape='x')], 'img_shape')):
        path = write_file(str(tmp_path / 'anno.pkl'), pickle_bytes(content))
        assert checker([path]) == 1
        out = capsys.readouterr().out
        assert out.startswith(f'{path}:') and problem in out
