"""The protocol switches of the realbench action data
(configs/realbench/_base_/realbench_data.py): eap_fair_prefix and
test_clips are the realbench's protocol (fair prefix, 10 test clips), and
each, set once, changes the pipelines of UPS and of its ST-GCN peers alike
(off: the protocol the realbench ran with before)."""
import copy
import os.path as osp
import re
from typing import List

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

DATA = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', 'configs',
                            'realbench', '_base_', 'realbench_data.py'))
ACTION_TASKS = ('penn_ar2d', 'penn_eap2d', 'h36m_ar3d', 'h36m_eap3d')
GCN_VAL = ('penn_ar2d_gcn_val', 'h36m_ar3d_gcn_val')


def data_config(tmp_path, **switches) -> Config:
    """realbench_data.py with ``switches`` (name=value) set where the file
    sets them."""
    with open(DATA) as f:
        text = f.read()
    for name, value in switches.items():
        text, count = re.subn(rf'^{name} = .*$', f'{name} = {value!r}', text,
                              flags=re.M)
        assert count == 1, name
    path = tmp_path / 'realbench_data.py'
    path.write_text(text)
    return Config.fromfile(str(path))


def leaves(dataset) -> List[dict]:
    return list(dataset.get('datasets', [dataset]))


def types(dataset) -> List[str]:
    return [step['type'] for step in dataset['pipeline']]


def sampler(dataset) -> dict:
    return next(s for s in dataset['pipeline'] if 'clip_len' in s)


def test_defaults_are_the_realbench_protocol():
    cfg = Config.fromfile(DATA)
    assert cfg.eap_fair_prefix is True and cfg.test_clips == 10
    for name in ('penn_eap2d', 'h36m_eap3d'):
        for ds in leaves(cfg[name].train) + leaves(cfg[name].val):
            assert ds['pipeline'][0]['type'] == 'mmups.ObservationRatio'
            assert sampler(ds)['type'] == 'mmups.UniformSampleFramesNoLoop'
    vals = [ds for t in ACTION_TASKS for ds in leaves(cfg[t].val)]
    vals += [cfg[n] for n in GCN_VAL]
    assert len(vals) == 2 + 2 * 10 + 2
    for ds in vals:
        assert sampler(ds)['num_clips'] == 10
    for t in ACTION_TASKS:  # training samples one clip
        for ds in leaves(cfg[t].train):
            assert 'num_clips' not in sampler(ds)


def test_fair_prefix_switch(tmp_path):
    """Off: normalise the whole clip, then cut, then MMAction2's (looping)
    sampler, for early prediction only."""
    cfg = data_config(tmp_path, eap_fair_prefix=False)
    default = Config.fromfile(DATA)
    for name in ('penn_eap2d', 'h36m_eap3d'):
        normalize = default[name].train.pipeline[1]
        for ds in leaves(cfg[name].train) + leaves(cfg[name].val):
            assert ds['pipeline'][0] == normalize
            assert ds['pipeline'][1]['type'] == 'mmups.ObservationRatio'
            assert sampler(ds)['type'] == 'UniformSampleFrames'
    # Recognition and the peers' data are not early prediction.
    for name in ('penn_ar2d', 'h36m_ar3d'):
        assert cfg[name] == default[name]
    for name in GCN_VAL:
        assert cfg[name] == default[name]


def test_test_clips_switch_sets_ups_and_stgcn(tmp_path):
    cfg = data_config(tmp_path, test_clips=1)
    for ds in [cfg[t].val for t in ('penn_ar2d', 'h36m_ar3d')] + [
            cfg[n] for n in GCN_VAL]:
        assert sampler(ds) == dict(type='UniformSampleFrames',
                                   clip_len=32, num_clips=1, test_mode=True)
    vals = [ds for t in ACTION_TASKS for ds in leaves(cfg[t].val)]
    assert all(sampler(ds)['num_clips'] == 1 for ds in vals)


@pytest.mark.parametrize('task, layout, shape', [
    ('penn_eap2d', 'penn_action', (1, 80, 13, 2)),
    ('h36m_eap3d', 'h36m', (1, 80, 17, 3))])
def test_fair_prefix_pipeline_reads_only_the_observed_frames(
        tmp_path, task, layout, shape):
    """The switched config's test pipeline at 20% (the 2nd ratio): frames
    after the cut changed at will, the sample is the same; frames 0-15 come
    in order."""
    cfg = data_config(tmp_path, eap_fair_prefix=True, test_clips=2)
    ds = cfg[task].val.datasets[1]
    assert ds['pipeline'][0]['ratios'] == 0.2
    steps = copy.deepcopy(ds['pipeline'])
    steps[-1].update(task=task.split('_')[1], layout=layout,
                     label_set=cfg[task].label_set)
    with DefaultScope.overwrite_default_scope('mmaction'):
        pipe = Compose(steps)
    rng = np.random.default_rng(0)
    kp = rng.uniform(1, 2, size=shape).astype(np.float32)
    kp[0, :, 0, 0] = np.arange(80)  # frame index in the first joint's X
    if task == 'penn_eap2d':
        kp[..., 0] *= 10  # pixels, well inside the image
    kp[0, 0, -1] = 1  # the first frame's centre (PreNormalize3D's)
    base = dict(keypoint=kp, total_frames=80, label=2, start_index=0,
                img_shape=(400, 900), frame_dir='clip')

    def sample(results):
        return pipe(copy.deepcopy(results))['inputs']

    reference = sample(base)
    assert reference.shape == (2, 1, 32) + shape[2:]
    changed = copy.deepcopy(base)
    changed['keypoint'][:, 16:] = rng.normal(size=(1, 64) + shape[2:]) * 99
    assert torch.equal(sample(changed), reference)
    empty = copy.deepcopy(base)
    empty['keypoint'][:, 16:] = 0
    assert torch.equal(sample(empty), reference)
    x = reference[:, 0, :, 0, 0].numpy()  # (K, T): frames, affinely mapped
    for clip in x:
        assert np.all(np.diff(clip) >= 0)
        assert len(np.unique(clip.round(4))) == 16
