"""tools/data/check_skeleton_pkl.py and its checker module."""
import pickle

import numpy as np

from mmups.datasets.converters.skeleton_pkl import (infer_layout,
                                                    inspect_skeleton_data)


def anno(name: str, m: int = 1, t: int = 5, v: int = 25, c: int = 3,
         label: int = 0) -> dict:
    """A valid annotation with random joints."""
    rng = np.random.default_rng(len(name))
    return dict(frame_dir=name, label=label, total_frames=t,
                keypoint=rng.normal(size=(m, t, v, c)).astype(np.float32))


def dump(obj, path) -> str:
    """Pickle ``obj`` to ``path``."""
    with open(path, 'wb') as f:
        pickle.dump(obj, f)
    return str(path)


def test_real_hrnet_sample(shared_path, load_tool, capsys):
    path = shared_path('samples', 'ucf101_hrnet_coco17_example.pkl')
    tool = load_tool('check_skeleton_pkl')
    assert tool.main([path]) == 0
    out = capsys.readouterr().out
    for text in ('container: single annotation', 'annotations: 1',
                 'persons M: 2..2', 'frames T: 163..163', 'layout: coco',
                 'img_shape: (256, 340) (1x)', 'no problems found'):
        assert text in out, text


def test_good_file_summary(tmp_path, load_tool, capsys):
    annos = [anno('a', m=2, t=10, label=3), anno('b', t=4, label=7)]
    data = dict(split=dict(xsub_train=['a'], xsub_val=['b']),
                annotations=annos)
    tool = load_tool('check_skeleton_pkl')
    assert tool.main([dump(data, tmp_path / 'x.pkl')]) == 0
    out = capsys.readouterr().out
    for text in ('split xsub_train: 1', 'persons M: 1..2',
                 'frames T: 4..10 (mean 7.0)', 'layout: nturgb+d',
                 'labels: 3..7 (2 distinct)'):
        assert text in out, text
    # a plain list of annotations is a valid container too
    report = inspect_skeleton_data(annos)
    assert report.ok and report.container == 'list'


def test_problems_are_all_reported(tmp_path, load_tool, capsys):
    nan = anno('nan')
    nan['keypoint'][0, 1, 2, 0] = np.nan
    no_label = anno('no_label')
    del no_label['label']
    wrong_dims = anno('wrong_dims')
    wrong_dims['keypoint'] = wrong_dims['keypoint'][0]
    frames = anno('frames')
    frames['total_frames'] = 6
    score = anno('score', v=17, c=2)
    score['keypoint_score'] = np.ones((1, 5, 18), np.float32)
    score['img_shape'] = (0, 340)
    data = dict(
        split=dict(train=['nan', 'ghost'], val=['frames', 'frames']),
        annotations=[nan, no_label, wrong_dims, frames, score,
                     dict(label=1), 'not a dict'])
    report = inspect_skeleton_data(data)
    text = '\n'.join(report.problems)
    for expected in (
            'annotation 0 (nan): keypoint has 1 NaN/inf values',
            'annotation 1 (no_label): missing key label',
            'annotation 2 (wrong_dims): keypoint must have 4 dims',
            'annotation 3 (frames): total_frames 6 != T = 5',
            'annotation 4 (score): keypoint_score shape (1, 5, 18) != '
            '(M, T, V) = (1, 5, 17)',
            'annotation 4 (score): img_shape must be (H, W) > 0',
            'annotation 5: missing key frame_dir',
            'annotation 5: missing key keypoint',
            'annotation 5: missing key total_frames',
            'annotation 6: not a dict but str',
            'annotations mix joint / coordinate counts',
            "split 'train' names 1 samples without an annotation, e.g. "
            "['ghost']",
            "split 'val' repeats 1 names"):
        assert expected in text, expected

    tool = load_tool('check_skeleton_pkl')
    assert tool.main([dump(data, tmp_path / 'bad.pkl'),
                      '--max-problems', '3']) == 1
    out = capsys.readouterr().out
    assert '13 problem(s):' in out and '... and 10 more' in out

    assert tool.main([dump({'x': 1}, tmp_path / 'other.pkl')]) == 1
    assert 'not a skeleton annotation file' in capsys.readouterr().out
    (tmp_path / 'junk.pkl').write_bytes(b'not a pickle')
    assert tool.main([str(tmp_path / 'junk.pkl')]) == 1
    assert 'junk.pkl: cannot unpickle' in capsys.readouterr().err


def test_layouts():
    assert infer_layout(17, 2) == 'coco'
    assert infer_layout(17, 3) == 'h36m'
    assert infer_layout(18, 2) == 'openpose'
    assert infer_layout(25, 3) == 'nturgb+d'
    assert infer_layout(13, 2) == 'penn_action'
    assert infer_layout(21, 2) == 'unknown'


def test_compressed_form_with_per_clip_files(tmp_path, load_tool, capsys):
    rng = np.random.default_rng(0)
    kpfiles = tmp_path / 'kpfiles'
    kpfiles.mkdir()
    annos = []
    for name, frame_inds in (('clip1', [0, 0, 1, 3, 3, 3]), ('clip2', [1])):
        n = len(frame_inds)
        annos.append(dict(frame_dir=name, label=5, total_frames=4,
                          img_shape=(256, 340), frame_inds=np.array(
                              frame_inds, np.int16),
                          box_score=rng.uniform(size=n)))
        dump(dict(keypoint=rng.uniform(0, 300, (n, 17, 3))),
             kpfiles / f'{name}.pkl')
    data = dict(split=dict(train=['clip1', 'clip2']), annotations=annos)
    path = dump(data, tmp_path / 'k400_2d.pkl')

    tool = load_tool('check_skeleton_pkl')
    assert tool.main([path]) == 1  # the joints are elsewhere
    assert 'pass their folder' in capsys.readouterr().out
    assert tool.main([path, '--skeleton-dir', str(kpfiles)]) == 0
    out = capsys.readouterr().out
    assert 'persons M: 1..3' in out and 'layout: coco' in out
    assert tool.main([path, '--skeleton-dir', str(kpfiles), '--limit',
                      '1']) == 0
    assert 'annotations: 2 (1 checked)' in capsys.readouterr().out

    (kpfiles / 'clip2.pkl').unlink()
    annos[0]['frame_inds'] = np.array([0, 0, 1, 3, 3, 4], np.int16)
    dump(data, path)
    assert tool.main([path, '--skeleton-dir', str(kpfiles)]) == 1
    out = capsys.readouterr().out
    assert 'frame_inds outside [0, total_frames = 4)' in out
    assert 'clip2.pkl (FileNotFoundError' in out
