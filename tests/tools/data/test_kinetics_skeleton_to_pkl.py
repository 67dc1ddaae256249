"""tools/data/kinetics_skeleton_to_pkl.py and its converter module."""
import json
import os
import os.path as osp
import pickle
from typing import Dict, List, Tuple

import numpy as np
import pytest

from mmups.datasets.formats import ConversionError
from mmups.datasets.formats.kinetics_json import read_kinetics_json

W, H = 340, 256

#: OpenPose-18 joint -> COCO-17 joint (None: the neck, between shoulders).
OPENPOSE_FROM_COCO = (0, None, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2,
                      1, 4, 3)


def skeleton(xy: np.ndarray, score: np.ndarray) -> Dict[str, List[float]]:
    """One person of the release: normalised (18, 2) pose and 18 scores."""
    return dict(pose=[round(float(v), 3) for v in xy.reshape(-1)],
                score=[round(float(s), 3) for s in score])


def person(rng: np.random.Generator, cx: float,
           mean_score: float) -> Tuple[np.ndarray, np.ndarray]:
    """A random normalised (18, 2) pose near x = cx and its scores."""
    xy = np.clip(rng.normal((cx, 0.5), 0.08, (18, 2)), 0, 1)
    score = np.clip(rng.normal(mean_score, 0.02, 18), 0.05, 1)
    return xy, score


def write_release(root: str, videos: Dict[str, Dict], index: Dict[str, Dict],
                  part: str) -> None:
    """Write JSON files and the label index of one part of the release."""
    folder = osp.join(root, f'kinetics_{part}')
    os.makedirs(folder, exist_ok=True)
    for vid, content in videos.items():
        with open(osp.join(folder, f'{vid}.json'), 'w') as f:
            json.dump(content, f)
    with open(osp.join(root, f'kinetics_{part}_label.json'), 'w') as f:
        json.dump(index, f)


def make_release(root: str) -> Dict[str, np.ndarray]:
    """A small release: 3 training clips (one without skeleton), 1 val."""
    rng = np.random.default_rng(0)
    expected = {}
    # clip A: 3 people in frame 1 (the weakest must go), 1 in frame 2,
    # none in frame 3, 2 in frame 4; frame_index counts from 1.
    people = [person(rng, 0.3, 0.5), person(rng, 0.6, 0.9),
              person(rng, 0.8, 0.2), person(rng, 0.5, 0.7),
              person(rng, 0.4, 0.6), person(rng, 0.7, 0.8)]
    frames = [
        dict(frame_index=1, skeleton=[skeleton(*p) for p in people[:3]]),
        dict(frame_index=2, skeleton=[skeleton(*people[3])]),
        dict(frame_index=3, skeleton=[]),
        dict(frame_index=4, skeleton=[skeleton(*p) for p in people[4:]]),
    ]
    clip_a = dict(data=frames, label='abseiling', label_index=0)
    kp = np.zeros((2, 4, 18, 2), np.float32)
    sc = np.zeros((2, 4, 18), np.float32)
    for t, m, p in ((0, 0, 1), (0, 1, 0), (1, 0, 3), (3, 0, 5), (3, 1, 4)):
        kp[m, t] = np.round(people[p][0], 3)
        sc[m, t] = np.round(people[p][1], 3)
    expected['clip_a'] = (kp, sc)
    # clip B: one person in 2 frames, label 2
    p = person(rng, 0.5, 0.9)
    clip_b = dict(data=[dict(frame_index=i, skeleton=[skeleton(*p)])
                        for i in (1, 2)], label='zumba', label_index=2)
    write_release(
        root, dict(clip_a=clip_a, clip_b=clip_b,
                   clip_c=dict(data=[], label='abseiling', label_index=0)),
        dict(clip_a=dict(has_skeleton=True, label='abseiling',
                         label_index=0),
             clip_b=dict(has_skeleton=True, label='zumba', label_index=2),
             clip_c=dict(has_skeleton=False, label='abseiling',
                         label_index=0)), 'train')
    clip_d = dict(data=[dict(frame_index=1, skeleton=[skeleton(*p)])],
                  label='air drumming', label_index=1)
    write_release(root, dict(clip_d=clip_d),
                  dict(clip_d=dict(has_skeleton=True, label='air drumming',
                                   label_index=1)), 'val')
    return expected


def load(path) -> dict:
    """Unpickle a file."""
    with open(path, 'rb') as f:
        return pickle.load(f)


def test_release_to_pkl(tmp_path, load_tool, capsys):
    root = str(tmp_path / 'kinetics-skeleton')
    expected = make_release(root)
    out = tmp_path / 'k400.pkl'
    label_map = tmp_path / 'maps' / 'k400_openpose18.txt'
    tool = load_tool('kinetics_skeleton_to_pkl')
    assert tool.main([root, str(out), '--no-progress', '--label-map',
                      str(label_map)]) == 0
    assert '1 clips without skeleton left out' in capsys.readouterr().out

    data = load(out)
    assert data['split'] == dict(train=['clip_a', 'clip_b'], val=['clip_d'])
    annos = {a['frame_dir']: a for a in data['annotations']}
    a = annos['clip_a']
    assert a['label'] == 0 and a['total_frames'] == 4
    assert a['img_shape'] == (H, W) and a['original_shape'] == (H, W)
    assert a['keypoint'].shape == (2, 4, 18, 2)
    assert a['keypoint'].dtype == np.float32
    assert a['keypoint_score'].shape == (2, 4, 18)
    kp, sc = expected['clip_a']
    # best mean score first in every frame, pixels of the 340 x 256 frame
    np.testing.assert_allclose(a['keypoint'], kp * [W, H], atol=1e-3)
    np.testing.assert_allclose(a['keypoint_score'], sc, atol=1e-6)
    assert not a['keypoint'][:, 2].any()  # frame without skeleton
    assert annos['clip_b']['keypoint'].shape == (1, 2, 18, 2)
    assert annos['clip_d']['label'] == 1
    assert label_map.read_text().splitlines() == [
        'abseiling', 'air drumming', 'zumba'
    ]

    assert tool.main([root, str(out), '--no-progress',
                      '--keep-normalized']) == 0
    a = {x['frame_dir']: x for x in load(out)['annotations']}['clip_a']
    assert a['img_shape'] == (1, 1)
    np.testing.assert_allclose(a['keypoint'], kp, atol=1e-6)

    checker = load_tool('check_skeleton_pkl')
    capsys.readouterr()
    assert checker.main([str(out)]) == 0
    assert 'layout: openpose' in capsys.readouterr().out


def test_skeleton_dir_keeps_the_joints_out_of_the_annotations(
        tmp_path, load_tool):
    """--skeleton-dir: each clip's joints in <dir>/<clip>.pkl, read back by
    MMAction2's PoseDataset as the configs do, equal to the single pkl's."""
    from mmaction.datasets import PoseDataset
    root = str(tmp_path / 'kinetics-skeleton')
    make_release(root)
    tool = load_tool('kinetics_skeleton_to_pkl')
    single, split = tmp_path / 'single.pkl', tmp_path / 'split.pkl'
    clips = tmp_path / 'kpfiles'
    assert tool.main([root, str(single), '--no-progress']) == 0
    assert tool.main([root, str(split), '--no-progress', '--skeleton-dir',
                      str(clips)]) == 0
    whole = {a['frame_dir']: a for a in load(single)['annotations']}
    meta = load(split)
    assert meta['split'] == load(single)['split']
    assert sorted(os.listdir(clips)) == [f'{c}.pkl' for c in sorted(whole)]
    for anno in meta['annotations']:
        assert 'keypoint' not in anno and 'keypoint_score' not in anno
        joints = load(clips / f"{anno['frame_dir']}.pkl")
        assert set(joints) == {'keypoint', 'keypoint_score'}
        assert anno == {k: v for k, v in whole[anno['frame_dir']].items()
                        if k not in joints}
    dataset = PoseDataset(str(split), pipeline=[], split='train',
                          data_prefix=dict(skeleton=str(clips)))
    for k in range(len(dataset)):
        info = dataset.get_data_info(k)
        np.testing.assert_array_equal(
            info['keypoint'], whole[info['frame_dir']]['keypoint'])
        np.testing.assert_array_equal(
            info['keypoint_score'], whole[info['frame_dir']]['keypoint_score'])


def test_undetected_joints_keep_score_zero(tmp_path):
    # The release writes a joint OpenPose missed as (0, 0) with score 0,
    # which ZeroMissingJoints finds by its score after PreNormalize2D.
    xy, score = person(np.random.default_rng(3), 0.5, 0.8)
    xy[[4, 7]], score[[4, 7]] = 0, 0  # wrists
    path = tmp_path / 'clip.json'
    path.write_text(json.dumps(dict(
        data=[dict(frame_index=1, skeleton=[skeleton(xy, score)]),
              dict(frame_index=2, skeleton=[])],
        label='abseiling', label_index=0)))
    clip = read_kinetics_json(str(path))
    kp, sc = clip['keypoint'], clip['keypoint_score']
    assert kp.shape == (1, 2, 18, 2)
    assert (sc[0, 0, [4, 7]] == 0).all() and (kp[0, 0, [4, 7]] == 0).all()
    assert (sc[0, 0] > 0).sum() == 16 and (kp[0, 0] > 0).all(axis=1).sum() \
        == 16
    assert not sc[0, 1].any() and not kp[0, 1].any()  # no one in frame 2


def test_malformed_json(tmp_path, load_tool, capsys):
    root = str(tmp_path / 'release')
    make_release(root)
    bad = osp.join(root, 'kinetics_train', 'clip_b.json')
    with open(bad, 'w') as f:
        f.write('{"data": [{"frame_index": 1, "skeleton": [')  # cut short
    tool = load_tool('kinetics_skeleton_to_pkl')
    assert tool.main([root, str(tmp_path / 'o.pkl'), '--no-progress']) == 1
    err = capsys.readouterr().err
    assert bad in err and 'not valid JSON' in err

    with open(bad, 'w') as f:
        json.dump(dict(data=[dict(frame_index=1, skeleton=[
            dict(pose=[0.5] * 30, score=[0.9] * 18)])]), f)
    with pytest.raises(ConversionError) as e:
        read_kinetics_json(bad)
    assert bad in str(e.value)
    assert 'expected 36 pose values and 18 scores, got 30' in str(e.value)

    with open(osp.join(root, 'kinetics_val_label.json'), 'w') as f:
        json.dump(dict(clip_d=dict(has_skeleton=True)), f)
    with open(bad, 'w') as f:
        json.dump(dict(data=[]), f)
    assert tool.main([root, str(tmp_path / 'o.pkl'), '--no-progress']) == 1
    assert 'kinetics_val_label.json' in capsys.readouterr().err


def coco_to_openpose(kp: np.ndarray,
                     score: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(17, 2), (17,) COCO joints -> (18, 2), (18,) OpenPose joints."""
    out_kp = np.zeros((18, 2))
    out_sc = np.zeros(18)
    for j, c in enumerate(OPENPOSE_FROM_COCO):
        if c is None:  # neck: midpoint of the shoulders
            out_kp[j] = kp[5:7].mean(0)
            out_sc[j] = score[5:7].min()
        else:
            out_kp[j], out_sc[j] = kp[c], score[c]
    return out_kp, out_sc


def test_real_clip_round_trip(shared_path, tmp_path):
    """The real HRNet clip, written as release JSON, comes back in pixels."""
    sample = load(shared_path('samples', 'ucf101_hrnet_coco17_example.pkl'))
    kp, score = sample['keypoint'], sample['keypoint_score']
    h, w = sample['img_shape']
    assert (h, w) == (H, W)
    num_persons, num_frames = kp.shape[:2]

    frames, expected = [], np.zeros((2, num_frames, 18, 2))
    for t in range(num_frames):
        people = []
        for m in range(num_persons):
            if not score[m, t].any():
                continue  # nobody detected in this slot
            op_kp, op_sc = coco_to_openpose(kp[m, t], score[m, t])
            people.append((op_kp, op_sc))
        frames.append(dict(frame_index=t + 1, skeleton=[
            dict(pose=(p[0] / [w, h]).reshape(-1).tolist(),
                 score=p[1].tolist()) for p in people
        ]))
        ranked = sorted(people, key=lambda p: -p[1].mean())
        for m, p in enumerate(ranked[:2]):
            expected[m, t] = p[0]
    path = str(tmp_path / 'v_ApplyEyeMakeup_g01_c01.json')
    with open(path, 'w') as f:
        json.dump(dict(data=frames, label='applying makeup', label_index=0),
                  f)

    clip = read_kinetics_json(path, img_shape=(h, w))
    assert clip['keypoint'].shape == (2, num_frames, 18, 2)
    assert clip['label'] == 0
    np.testing.assert_allclose(clip['keypoint'], expected, atol=1e-3)
