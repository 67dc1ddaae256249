"""tools/data/ntu_skeleton_to_pkl.py and mmups.datasets.converters.ntu."""
import pickle
from typing import List, Sequence

import numpy as np
import pytest

from mmups.datasets.formats import ConversionError
from mmups.datasets.converters.ntu import convert_ntu, ntu_splits
from mmups.datasets.formats.ntu_skeleton import (BodyRules,
                                                 parse_sample_name,
                                                 read_skeleton_file)
from mmups.testing.ntu_skeleton import (flat_object, frames_of,
                                        standing_body, write_skeleton)


def real_clip(path: str) -> np.ndarray:
    """The real NTU clip as (T, 25, 3), its valid frames only."""
    clip = np.load(path)
    assert clip.shape == (3, 300, 25, 2)
    assert not clip[..., 1].any(), 'the sample has one actor'
    valid = np.flatnonzero(clip[..., 0].any(axis=(0, 2)))
    assert len(valid) == 72 and valid[-1] == 71
    return clip[:, :72, :, 0].transpose(1, 2, 0)


def pose(offset: Sequence[float], scale: float = 1.0,
         seed: int = 0) -> np.ndarray:
    """A plausible (25, 3) body: joints spread around ``offset``."""
    rng = np.random.default_rng(seed)
    xyz = rng.uniform(-0.4, 0.4, (25, 3)) * scale
    xyz[:, 1] *= 2  # taller than wide
    return (xyz + np.asarray(offset)).astype(np.float32)


def test_real_clip(shared_path, tmp_path, load_tool, capsys):
    body = real_clip(
        shared_path('samples', 'ntu60_A005_example_skeleton.npy'))
    src = tmp_path / 'skeletons'
    src.mkdir()
    train_name, val_name = 'S001C002P001R001A005', 'S002C001P003R002A005'
    write_skeleton(str(src / f'{train_name}.skeleton'),
                   [[('72057594037931101', xyz)] for xyz in body])
    # the Kinect re-identifies the actor at frame 36: still one person
    write_skeleton(str(src / f'{val_name}.skeleton'),
                   [[(str(72057594037931101 + (t >= 36)), xyz)]
                    for t, xyz in enumerate(body)])
    out = tmp_path / 'out' / 'ntu60_3d.pkl'

    tool = load_tool('ntu_skeleton_to_pkl')
    assert tool.main([str(src), str(out), '--no-progress']) == 0
    with open(out, 'rb') as f:
        data = pickle.load(f)
    annos = {a['frame_dir']: a for a in data['annotations']}
    assert sorted(annos) == [train_name, val_name]
    for anno in annos.values():
        assert anno['label'] == 4  # A005 "drop", 0-based
        assert anno['total_frames'] == 72
        assert anno['keypoint'].dtype == np.float32
        assert anno['keypoint'].shape == (1, 72, 25, 3)
        np.testing.assert_allclose(anno['keypoint'][0], body, atol=1e-6)
    assert data['split'] == dict(
        xsub_train=[train_name], xsub_val=[val_name],
        xview_train=[train_name], xview_val=[val_name])
    assert (tmp_path / 'out' / 'ntu60_3d.missing.txt').read_text() == ''
    assert 'wrote 2 annotations' in capsys.readouterr().out

    # MMAction2's PoseDataset reads the file and its splits.
    from mmaction.datasets import PoseDataset
    dataset = PoseDataset(str(out), pipeline=[], split='xsub_val')
    assert len(dataset) == 1
    assert dataset[0]['frame_dir'] == val_name
    assert dataset[0]['keypoint'].shape == (1, 72, 25, 3)

    # and the checker finds nothing wrong
    checker = load_tool('check_skeleton_pkl')
    assert checker.main([str(out)]) == 0
    assert 'layout: nturgb+d' in capsys.readouterr().out


def test_noise_is_dropped_and_id_switches_merged(tmp_path, load_tool,
                                                 capsys):
    # An actor re-identified at frame 30, a second actor, a wide object and
    # a flicker of 5 frames, all through the tool.
    lively = standing_body(60, sway=0.3)
    calm = standing_body(50, (1, 0, 3.5), sway=0.05, seed=1)
    flicker = standing_body(5, (-1, 0, 3), sway=0.5, seed=2)
    src = tmp_path / 'src'
    src.mkdir()
    write_skeleton(str(src / 'S001C001P001R001A050.skeleton'), frames_of(
        60, [('7', 0, flat_object(60)), ('1', 0, lively[:30]),
             ('2', 30, lively[30:]), ('3', 10, calm),
             ('4', 20, flicker)]))
    out = str(tmp_path / 'o.pkl')
    tool = load_tool('ntu_skeleton_to_pkl')

    def convert(*options: str) -> np.ndarray:
        assert tool.main([str(src), out, '--no-progress', *options]) == 0
        with open(out, 'rb') as f:
            [anno] = pickle.load(f)['annotations']
        assert anno['label'] == 49 and anno['total_frames'] == 60
        return anno['keypoint']

    kp = convert()
    assert kp.shape == (2, 60, 25, 3) and kp.dtype == np.float32
    np.testing.assert_allclose(kp[0], lively, atol=1e-6)  # one person
    np.testing.assert_allclose(kp[1, 10:], calm, atol=1e-6)
    assert not kp[1, :10].any()
    assert convert('--max-persons', '1').shape == (1, 60, 25, 3)

    # The options reach the rule: the flicker (which moves most) is kept
    # with --min-body-frames 5, the object with --flat-fraction above 1.
    kp = convert('--min-body-frames', '5')
    np.testing.assert_allclose(kp[0, 20:25], flicker, atol=1e-6)
    kp = convert('--flat-fraction', '1.5', '--max-persons', '3')
    np.testing.assert_allclose(kp[2], flat_object(60), atol=1e-6)
    args = tool.parse_args(['in', 'out.pkl', '--max-width-ratio', '0.5',
                            '--merge-overlap', '2'])
    assert args.rules == BodyRules(max_width_ratio=0.5, merge_overlap=2)
    with pytest.raises(SystemExit):
        tool.main([str(src), out, '--min-body-frames', '0'])
    assert 'min_frames must be >= 1' in capsys.readouterr().err

    # MMAction2's PreNormalize3D keeps the frames of person 0: all 60.
    from mmaction.datasets import PoseDataset
    from mmaction.datasets.transforms import PreNormalize3D
    convert()
    dataset = PoseDataset(out, pipeline=[PreNormalize3D()],
                          split='xsub_train')
    assert dataset[0]['total_frames'] == 60
    assert dataset[0]['keypoint'].shape == (2, 60, 25, 3)


def _lines_of(path: str) -> List[str]:
    with open(path) as f:
        return f.read().splitlines()


def test_malformed_files_name_file_and_line(tmp_path, load_tool, capsys):
    frames = [[('7', pose((0, 0, 3), seed=t))] for t in range(3)]
    src = tmp_path / 'src'
    src.mkdir()
    good = str(src / 'S001C001P001R001A001.skeleton')
    write_skeleton(good, frames)
    lines = _lines_of(good)
    # 1 count line + per frame: body count, info, joint count, 25 joints
    assert len(lines) == 1 + 3 * 28

    truncated = str(tmp_path / 'S001C001P001R001A002.skeleton')
    with open(truncated, 'w') as f:
        f.write('\n'.join(lines[:40]) + '\n')  # cut in frame 2's joints
    with pytest.raises(ConversionError) as err:
        read_skeleton_file(truncated)
    msg = str(err.value)
    assert truncated in msg and 'line 41' in msg and 'end of file' in msg

    bad_value = lines.copy()
    bad_value[9] = 'abc ' + bad_value[9].split(' ', 1)[1]  # x on line 10
    path = str(tmp_path / 'S001C001P001R001A003.skeleton')
    with open(path, 'w') as f:
        f.write('\n'.join(bad_value))
    with pytest.raises(ConversionError,
                       match='line 10: non-numeric joint coordinate'):
        read_skeleton_file(path)

    short = lines.copy()
    short[2] = '7 0 1 1'  # body info line of frame 1 (line 3)
    path = str(tmp_path / 'S001C001P001R001A004.skeleton')
    with open(path, 'w') as f:
        f.write('\n'.join(short))
    with pytest.raises(ConversionError, match=r'line 3: expected 10 values'):
        read_skeleton_file(path)

    # through the tool: a clear error, or skipped with --skip-bad
    bad = src / 'S001C001P001R001A002.skeleton'
    bad.write_text('\n'.join(lines[:40]))
    tool = load_tool('ntu_skeleton_to_pkl')
    out = str(tmp_path / 'o.pkl')
    assert tool.main([str(src), out, '--no-progress']) == 1
    err_text = capsys.readouterr().err
    assert str(bad) in err_text and 'line 41' in err_text
    assert tool.main([str(src), out, '--no-progress', '--skip-bad']) == 0
    assert '1 malformed files skipped' in capsys.readouterr().out
    with open(out, 'rb') as f:
        names = [a['frame_dir'] for a in pickle.load(f)['annotations']]
    assert names == ['S001C001P001R001A001']


def test_missing_skeletons_and_missing_list(tmp_path, load_tool, capsys):
    src = tmp_path / 'src'
    src.mkdir()
    empty = 'S001C001P001R001A010'
    (src / f'{empty}.skeleton').write_text('4\n0\n0\n0\n0\n')
    listed = 'S001C001P002R001A010'
    write_skeleton(str(src / f'{listed}.skeleton'),
                   [[('1', pose((0, 0, 3)))]])
    kept = 'S001C001P001R002A010'
    write_skeleton(str(src / f'{kept}.skeleton'), [[('1', pose((0, 0, 3)))]])
    missing_list = tmp_path / 'missing.txt'
    missing_list.write_text(f'# samples with missing skeletons\n{listed}\n\n')

    out = tmp_path / 'ntu60.pkl'
    tool = load_tool('ntu_skeleton_to_pkl')
    assert tool.main([
        str(src), str(out), '--no-progress', '--missing-list',
        str(missing_list)
    ]) == 0
    text = capsys.readouterr().out
    assert 'skipped 1 samples named in' in text
    assert '1 files without any skeleton' in text
    assert (tmp_path / 'ntu60.missing.txt').read_text() == f'{empty}\n'
    with open(out, 'rb') as f:
        data = pickle.load(f)
    assert [a['frame_dir'] for a in data['annotations']] == [kept]


def test_ntu120_classes_and_splits(tmp_path):
    src = tmp_path / 'src'
    src.mkdir()
    names = ['S001C001P001R001A001', 'S018C003P045R002A061',
             'S019C002P044R001A120']
    for name in names:
        write_skeleton(str(src / f'{name}.skeleton'),
                       [[('1', pose((0, 0, 3)))]] * 2)
    r60 = convert_ntu(str(src), str(tmp_path / 'a.pkl'), num_classes=60,
                      show_progress=False)
    assert r60.num_annotations == 1  # A061, A120 are NTU120-only
    r120 = convert_ntu(str(src), str(tmp_path / 'b.pkl'), num_classes=120,
                       show_progress=False, nproc=2)
    assert r120.num_annotations == 3
    with open(tmp_path / 'b.pkl', 'rb') as f:
        data = pickle.load(f)
    assert [a['label'] for a in data['annotations']] == [0, 60, 119]
    assert data['split'] == dict(
        xsub_train=names[:2],  # P045 is a training subject of NTU120
        xsub_val=names[2:],
        xset_train=[names[1]],  # even setup numbers train
        xset_val=[names[0], names[2]])


def test_splits_and_names():
    info = parse_sample_name('S017C003P020R002A060.skeleton')
    assert (info.setup, info.camera, info.performer, info.replication,
            info.label) == (17, 3, 20, 2, 59)
    with pytest.raises(ValueError, match='not an NTU RGB\\+D sample name'):
        parse_sample_name('S1C1P1R1A1')
    split = ntu_splits(['S001C001P002R001A001', 'S001C003P003R001A001'], 60)
    assert split == dict(xsub_train=['S001C001P002R001A001'],
                         xsub_val=['S001C003P003R001A001'],
                         xview_train=['S001C003P003R001A001'],
                         xview_val=['S001C001P002R001A001'])
