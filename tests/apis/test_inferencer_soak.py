"""A soak of UPSInferencer: a few thousand requests, good and malformed, of
every task and input kind the inferencer reads, through one inferencer in
one process.

Every good request must give a valid result, the same one each time it is
asked again; every bad one must raise the error that names its problem
(and its file); and nothing may grow after a warm-up: the resident memory,
the Python objects alive, the pipelines the inferencer keeps, its
vocabulary and mmengine's global instances (loggers, message hubs,
visualizers, scopes) and logging handlers.

Run with ``-s`` for the figures (requests, memory before and after).
"""
import gc
import json
import logging
import os
import os.path as osp
import pickle
import re
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple, Type

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub, MMLogger
from mmengine.registry import DefaultScope
from mmengine.visualization import Visualizer

from mmups.apis import SkeletonInputError, UPSInferencer
from mmups.apis.inputs import SkeletonFileNotFoundError, SkeletonInput
from mmups.datasets.demo_data import (DEMO_ACTIONS, h36m_to_coco, h36m_to_ntu,
                                      project_to_image, synthesize_motion)
from mmups.tasks import get_task_kind
from mmups.testing.ntu_skeleton import (frames_of, standing_body,
                                        write_skeleton)

#: Times each request is asked: every round asks each once, shuffled
#: (``MMUPS_SOAK_ROUNDS`` for a longer soak).
ROUNDS = int(os.environ.get('MMUPS_SOAK_ROUNDS', 50))
#: Requests before the baseline is taken (about four rounds: every request
#: met several times, every pipeline built, the allocators' pools filled).
WARM_UP = 200
# Growth allowed from the baseline to the end (about 2200 requests, 900 of
# them good). What was measured on the development machine (figures of
# the same soak with a leak put in by hand in brackets):
#: Resident memory (VmRSS): 0.0 to 0.1 MiB (every forward pass's data
#: samples kept: 24 MiB; every result dict kept: 2.2 MiB, which falls
#: within what the allocator holds from the warm-up, so the counts below
#: are the finer check).
RSS_GROWTH_MIB = 8.0
#: Objects the garbage collector tracks: -20 (every result kept: +7800;
#: every input's array kept: +900; a pipeline kept for each observation
#: ratio asked for, as the inferencer once did: +350).
OBJECT_GROWTH = 300
#: Memory blocks of Python's allocator (untracked objects too): +440 to
#: +830, the small caches of numpy and torch filling (one float kept per
#: good request: about +900 more).
BLOCK_GROWTH = 1500

#: Pixels of the 2D inputs: (H, W) of their frames.
IMG_SHAPE = (480, 640)
#: (task, layout, shape of its main output) of a prediction.
Output = Tuple[str, str, Tuple[int, ...]]
#: The main output of each task kind (by prefix).
MAIN_OUTPUT = dict(ar='scores', eap='scores', pe='keypoints_3d',
                   fp='future_keypoints_3d')
NUM_CLASSES = len(DEMO_ACTIONS)


@dataclass
class Good:
    """A request that must succeed with ``outputs`` (one per input)."""
    name: str
    kwargs: Dict[str, Any]
    outputs: List[Output]
    #: Drawn anew for each request (so not compared with the first).
    draw: Optional[Callable[[np.random.Generator], Dict[str, Any]]] = None


@dataclass
class Bad:
    """A request that must raise ``error`` with a message that matches
    ``pattern``."""
    name: str
    kwargs: Dict[str, Any]
    error: Type[Exception]
    pattern: str


def rss_mib() -> float:
    """The process's resident memory (VmRSS) in MiB."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    raise RuntimeError('no VmRSS in /proc/self/status')


def footprint(inferencer: UPSInferencer) -> Dict[str, float]:
    """What must not grow over the soak, measured now."""
    gc.collect()
    objects = len(gc.get_objects())  # first: RSS is read after its list
    handlers = len(logging.getLogger().handlers) + sum(
        len(logger.handlers)
        for logger in MMLogger._instance_dict.values())
    vocab = inferencer.model.vocabulary
    return dict(
        rss_mib=rss_mib(),
        objects=objects,
        blocks=sys.getallocatedblocks(),
        pipelines=len(inferencer._pipelines),
        label_sets=len(vocab.label_set_names),
        tokens=vocab.num_tokens,
        mmengine_instances=sum(
            len(cls._instance_dict)
            for cls in (MMLogger, MessageHub, Visualizer, DefaultScope)),
        logging_handlers=handlers)


# ---------------------------------------------------------------- inputs
def clips(seed: int) -> Dict[str, np.ndarray]:
    """Good inputs in memory, one per shape the inferencer reads."""
    rng = np.random.default_rng(seed)

    def motion(frames: int) -> np.ndarray:  # (T, 17, 3) Human3.6M metres
        return synthesize_motion(int(rng.integers(NUM_CLASSES)), frames, rng)

    ntu = h36m_to_ntu(motion(20))
    two = np.stack([ntu, h36m_to_ntu(motion(20)) + [1.0, 0.0, 0.0]])
    coco = project_to_image(h36m_to_coco(motion(20)), rng)[None]
    return dict(
        ntu=ntu,  # (T, V, C)
        ntu_ctvm=two.transpose(3, 1, 2, 0),  # (3, T, 25, 2): NTU's storage
        coco=coco,  # (1, T, 17, 2) pixels
        coco_score=rng.uniform(0.3, 1.0, coco.shape[:3]).astype(np.float32),
        lift=project_to_image(h36m_to_coco(motion(2)), rng)[None],
        h36m=motion(12)[None])  # (1, T, 17, 3)


#: Malformed files (written by :func:`write_files`) and what their error
#: says after their path.
BAD_FILES = {
    'folder.npy': 'is a folder',
    'inf.npy': '1 NaN or infinite coordinate values; the first at person 0, '
    'frame 5, joint 7',
    'nan.pkl': 'annotation 0: 1 NaN or infinite coordinate values; the '
    'first at person 0, frame 4, joint 2',
    'garbage.npy': 'cannot read the numpy file',
    'truncated.pkl': 'cannot unpickle: pickle data was truncated',
    'broken.json': 'line 1: not valid JSON',
    'ragged.json': 'keypoints is not a regular nested list of numbers',
    'header.csv': r"header 'time,joint,x,y' does not fit .*\(missing "
    r"columns \['frame'\]\)",
    'cut.skeleton': r'line \d+: unexpected end of file',
    'notes.txt': r"unknown extension '\.txt'",
}
#: Good files, one of each format.
GOOD_FILES = ('clip.npy', 'coco.npz', 'S001C001P001R001A005.skeleton',
              'coco.pkl', 'lift.json', 'video.json', 'kinetics.json',
              'h36m.csv')


def write_files(folder: str, data: Dict[str, np.ndarray]) -> Dict[str, str]:
    """Good and malformed files of every format; name -> path."""
    paths = {name: osp.join(folder, name)
             for name in GOOD_FILES + tuple(BAD_FILES)}
    coco, score = data['coco'], data['coco_score']

    def write(name: str, content: Any) -> None:
        mode = 'wb' if isinstance(content, bytes) else 'w'
        with open(paths[name], mode) as f:
            f.write(content)

    np.save(paths['clip.npy'], data['ntu'])
    np.savez(paths['coco.npz'], keypoint=coco, keypoint_score=score)
    write_skeleton(paths['S001C001P001R001A005.skeleton'],
                   frames_of(16, [('72057594037931101', 0,
                                   standing_body(16, sway=0.3))]))
    anno = dict(frame_dir='coco', label=-1, keypoint=coco,
                keypoint_score=score, img_shape=IMG_SHAPE)
    write('coco.pkl', pickle.dumps(dict(annotations=[anno])))
    write('lift.json', json.dumps(dict(
        layout='coco', img_shape=IMG_SHAPE,
        keypoints=data['lift'][0].tolist())))
    write('video.json', json.dumps([
        dict(frame_id=t, instances=[dict(keypoints=frame.tolist(),
                                         keypoint_scores=s.tolist())])
        for t, (frame, s) in enumerate(zip(coco[0], score[0]))]))
    # OpenPose-18 joints in [0, 1] of the release's 340 x 256 frames.
    openpose = np.random.default_rng(0).uniform(0.2, 0.8, (10, 18, 2))
    write('kinetics.json', json.dumps(dict(label_index=3, data=[
        dict(frame_index=t + 1, skeleton=[dict(
            pose=pose.reshape(-1).tolist(), score=[0.9] * 18)])
        for t, pose in enumerate(openpose)])))
    rows = ['frame,joint,x,y,z'] + [
        f'{t},{v},{x},{y},{z}' for (t, v), (x, y, z) in zip(
            np.ndindex(*data['h36m'].shape[1:3]),
            data['h36m'][0].reshape(-1, 3).tolist())]
    write('h36m.csv', '\n'.join(rows) + '\n')

    inf = data['ntu'].copy()
    inf[5, 7, 1] = np.inf
    np.save(paths['inf.npy'], inf)
    nan = dict(anno, keypoint=coco.copy())
    nan['keypoint'][0, 4, 2, 0] = np.nan
    write('nan.pkl', pickle.dumps([nan]))
    write('garbage.npy', b'\x93NUMPY but not really' * 3)
    write('truncated.pkl', pickle.dumps([anno])[:40])
    write('broken.json', '{"keypoints": [[[1, 2], [3, 4]]')
    write('header.csv', 'time,joint,x,y\n0,0,1.0,2.0\n')
    with open(paths['S001C001P001R001A005.skeleton']) as f:
        write('cut.skeleton', f.read()[:300])
    write('notes.txt', 'frame,joint,x,y\n')
    write('ragged.json', json.dumps(dict(keypoints=[[[1, 2]], [[1, 2, 3]]])))
    os.mkdir(paths['folder.npy'])
    return paths


def good_requests(data: Dict[str, np.ndarray],
                  paths: Dict[str, str]) -> List[Good]:
    """Every task, every input kind, one or several inputs a request."""
    ntu = ('ar3d', 'nturgb+d', (NUM_CLASSES, ))
    coco = ('ar2d', 'coco', (NUM_CLASSES, ))
    lifted = ('pe3d', 'coco', (1, 2, 17, 3))
    future = ('fp3d', 'h36m', (1, 17, 3))
    skeleton = paths['S001C001P001R001A005.skeleton']
    annotation = dict(frame_dir='in memory', label=-1,
                      keypoint=data['coco'], img_shape=IMG_SHAPE)
    sample = SkeletonInput(keypoint=data['ntu'][None], layout='nturgb+d',
                           name='sample')
    pose = dict(task='pe', layout='coco', img_shape=IMG_SHAPE)
    return [
        Good('ar 3D (T, V, C) array', dict(inputs=data['ntu']), [ntu]),
        Good('ar 3D (C, T, V, M) array', dict(inputs=data['ntu_ctvm']),
             [ntu]),
        Good('ar 2D pixels array', dict(inputs=data['coco']), [coco]),
        Good('ar3d by name, top 2', dict(inputs=data['ntu'], task='ar3d',
                                         top_k=2), [ntu]),
        Good('ar with data samples', dict(inputs=data['ntu'],
                                          return_datasamples=True), [ntu]),
        Good('eap at 2 ratios', dict(inputs=data['ntu'], task='eap',
                                     ratios=(0.3, 1.0)),
             [('eap3d', 'nturgb+d', (2, NUM_CLASSES))]),
        Good('eap at a new ratio each time',
             dict(inputs=data['ntu'], task='eap'),
             [('eap3d', 'nturgb+d', (1, NUM_CLASSES))],
             draw=lambda rng: dict(ratios=(float(rng.uniform(0.1, 1)), ))),
        Good('pe array', dict(inputs=data['lift'], **pose), [lifted]),
        Good('fp array', dict(inputs=data['h36m'], task='fp',
                              layout='h36m'), [future]),
        Good('annotation dict', dict(inputs=annotation), [coco]),
        Good('SkeletonInput', dict(inputs=sample), [ntu]),
        Good('several inputs, batches of 2', dict(
            inputs=[data['ntu'], paths['clip.npy'], data['coco']],
            batch_size=2), [ntu, ntu, coco]),
        Good('.npy', dict(inputs=paths['clip.npy']), [ntu]),
        Good('.npz with scores', dict(inputs=paths['coco.npz']), [coco]),
        Good('.skeleton', dict(inputs=skeleton), [ntu]),
        Good('.pkl annotations', dict(inputs=paths['coco.pkl']), [coco]),
        Good('simple .json, pe', dict(inputs=paths['lift.json'], task='pe'),
             [lifted]),
        Good('MMPose .json', dict(inputs=paths['video.json']), [coco]),
        Good('Kinetics-skeleton .json', dict(inputs=paths['kinetics.json']),
             [('ar2d', 'openpose', (NUM_CLASSES, ))]),
        Good('.csv, fp', dict(inputs=paths['h36m.csv'], task='fp'),
             [future]),
    ]


def bad_requests(data: Dict[str, np.ndarray],
                 paths: Dict[str, str]) -> List[Bad]:
    """Malformed inputs and arguments, each with the error it must raise
    (the file named first where there is one)."""
    nan = data['ntu'].copy()
    nan[3, 2, 0] = np.nan

    def in_file(name: str, problem: str) -> str:
        return '^' + re.escape(paths[name]) + ': ' + problem

    array = SkeletonInputError
    return [
        Bad('NaN', dict(inputs=nan), array,
            '^<array>: 1 NaN or infinite coordinate values; the first at '
            'person 0, frame 3, joint 2'),
        Bad('7 joints', dict(inputs=data['ntu'][:, :7]), array,
            '^<array>: V = 7 joints fits no known joint layout'),
        Bad('layout of other joints', dict(inputs=data['ntu'],
                                           layout='coco'),
            array, "layout 'coco' has 17 joints but the input has V = 25"),
        Bad('4 coordinates', dict(inputs=np.ones((5, 25, 4), np.float32)),
            array, 'C = 4 coordinates per joint'),
        Bad('no frames', dict(inputs=np.zeros((0, 25, 3), np.float32)),
            array, '^<array>: empty sequence'),
        Bad('all zeros', dict(inputs=np.zeros((6, 25, 3), np.float32)),
            array, '^<array>: empty sequence: all 6 frames are all zeros'),
        Bad('object array', dict(inputs=data['ntu'].astype(object)),
            array, 'dtype object; expected numbers'),
        Bad('text array', dict(inputs=np.full((4, 25, 3), 'x')),
            array, 'dtype <U1; expected numbers'),
        Bad('complex array', dict(inputs=data['ntu'].astype(np.complex64)),
            array, 'dtype complex64; expected numbers'),
        Bad('5-D batch', dict(inputs=data['ntu'][None, None]), array,
            'has 5 axes'),
        Bad('not an input', dict(inputs=5), TypeError,
            'source must be a file path, a numpy array or an annotation '
            'dict, got int'),
        Bad('unknown task', dict(inputs=data['ntu'], task='pose'),
            ValueError, "^Unknown task 'pose'"),
        Bad('task not of the model', dict(inputs=data['ntu'], task='ar4d'),
            array, "Unknown task 'ar4d': this model is configured for"),
        Bad('3D joints to lift', dict(inputs=data['ntu'], task='pe'),
            array, 'pose estimation lifts 2D joints'),
        Bad('2D joints for the future', dict(inputs=data['coco'][..., :2],
                                             task='fp', layout='h36m'),
            array, 'take 3D joints'),
        Bad('ratio above 1', dict(inputs=data['ntu'], task='eap',
                                  ratios=(1.5, )),
            array, r'Observation ratios must lie in \(0, 1\]'),
        Bad('missing file', dict(inputs=paths['clip.npy'] + '.gone.npy'),
            SkeletonFileNotFoundError,
            re.escape(paths['clip.npy']) + r'\.gone\.npy: no such file'),
        Bad('a bad input among good ones', dict(
            inputs=[data['ntu'], paths['inf.npy'], data['coco']]), array,
            in_file('inf.npy', BAD_FILES['inf.npy'])),
    ] + [Bad(name, dict(inputs=paths[name]), array, in_file(name, problem))
         for name, problem in BAD_FILES.items()]


# ---------------------------------------------------------------- checks
def check_prediction(pred: Dict[str, Any], output: Output,
                     request: Dict[str, Any]) -> None:
    """A prediction is of the expected task, layout and shape, finite, and
    what its kind promises: probabilities and ranked classes for actions,
    joints within the vocabulary's range (+-1.2 m) for poses."""
    task, layout, shape = output
    prefix = get_task_kind(task).prefix
    assert (pred['task'], pred['layout']) == (task, layout)
    main = np.asarray(pred[MAIN_OUTPUT[prefix]])
    assert main.shape == shape and np.isfinite(main).all()
    if prefix in ('pe', 'fp'):
        assert pred['units'] == 'mm' and np.abs(main).max() <= 1200
        return
    np.testing.assert_allclose(main.sum(-1), 1, atol=1e-4)
    top = [item['score'] for item in pred['topk']]
    assert len(top) == request.get('top_k', 5)
    last = main.reshape(-1, NUM_CLASSES)[-1]  # EAP: the last ratio's
    assert top == sorted(top, reverse=True) and top[0] == last.max()
    assert pred['class_names'] == list(DEMO_ACTIONS)
    assert pred['pred_name'] == DEMO_ACTIONS[pred['pred_label']]
    if prefix == 'eap':
        assert pred['ratios'] == list(request['ratios'])


def check_good(result: Dict[str, Any], case: Good,
               request: Dict[str, Any]) -> None:
    preds = result['predictions']
    assert len(preds) == len(case.outputs)
    for pred, output in zip(preds, case.outputs):
        check_prediction(pred, output, request)
    # No autograd graph is kept with the predictions.
    for sample in result.get('data_samples', []):
        assert sample.pred_score.grad_fn is None
        assert not sample.pred_score.requires_grad


@pytest.fixture(scope='module')
def soak_files(tmp_path_factory) -> Tuple[Dict[str, np.ndarray],
                                          Dict[str, str]]:
    data = clips(seed=0)
    return data, write_files(str(tmp_path_factory.mktemp('soak')), data)


@pytest.mark.skipif(not osp.exists('/proc/self/status'),
                    reason='the resident memory is read from /proc')
def test_soak_of_mixed_requests(demo_model, soak_files, record_property):
    """``ROUNDS`` rounds of every good and bad request, shuffled; the
    figures (requests, seconds, memory) are printed and recorded as the
    test's ``soak`` property."""
    data, paths = soak_files
    goods, bads = good_requests(data, paths), bad_requests(data, paths)
    cases: List[Any] = goods + bads
    rng = np.random.default_rng(0)
    schedule = [i for _ in range(ROUNDS) for i in rng.permutation(len(cases))]
    inferencer = UPSInferencer(*demo_model, device='cpu')
    first: Dict[str, Dict[str, Any]] = {}
    counts = dict(good=0, bad=0)
    start, started = footprint(inferencer), time.perf_counter()
    warm_up = min(WARM_UP, len(schedule) // 4)  # short runs: a quarter
    for step, index in enumerate(schedule):
        if step == warm_up:
            warm = footprint(inferencer)
        case = cases[index]
        request = dict(case.kwargs)
        if isinstance(case, Bad):
            with pytest.raises(case.error) as err:
                inferencer(**request)
            assert re.search(case.pattern, str(err.value)), \
                (case.name, str(err.value))
            counts['bad'] += 1
            continue
        if case.draw is not None:
            request.update(case.draw(rng))
        result = inferencer(**request)
        check_good(result, case, request)
        counts['good'] += 1
        result.pop('data_samples', None)
        if case.draw is None:
            # The same request, the same result, every time.
            np.testing.assert_equal(result, first.setdefault(case.name,
                                                             result))
    end, seconds = footprint(inferencer), time.perf_counter() - started

    summary = dict(requests=len(schedule), **counts, seconds=round(seconds),
                   rss_start_mib=round(start['rss_mib'], 1),
                   rss_warm_mib=round(warm['rss_mib'], 1),
                   rss_end_mib=round(end['rss_mib'], 1),
                   objects_warm=warm['objects'], objects_end=end['objects'],
                   blocks_warm=warm['blocks'], blocks_end=end['blocks'])
    record_property('soak', summary)
    print('\ninferencer soak:', summary)
    assert counts == dict(good=ROUNDS * len(goods), bad=ROUNDS * len(bads))
    for key in ('pipelines', 'label_sets', 'tokens', 'mmengine_instances',
                'logging_handlers'):
        assert end[key] == warm[key], (key, warm[key], end[key])
    assert end['objects'] - warm['objects'] < OBJECT_GROWTH
    assert end['blocks'] - warm['blocks'] < BLOCK_GROWTH
    assert end['rss_mib'] - warm['rss_mib'] < RSS_GROWTH_MIB
    assert torch.is_grad_enabled()  # the calls leave autograd as it was


def test_setting_labels_again_does_not_grow_the_vocabulary(demo_model,
                                                           soak_files):
    """A server that sets the class names of each request: the same names
    take their label set again, and the pipelines of the label sets left
    are not kept."""
    clip = soak_files[0]['ntu']
    inferencer = UPSInferencer(*demo_model, device='cpu')
    vocab = inferencer.model.vocabulary
    names = [['jump up', 'bow', 'juggling'], ['reading', 'jump up']]
    first = []
    for labels in names:
        inferencer.set_labels(labels)
        first.append(inferencer(clip))
    sizes = (vocab.label_set_names, vocab.num_tokens)
    for _ in range(20):
        for labels, want in zip(names, first):
            inferencer.set_labels(labels)
            np.testing.assert_equal(inferencer(clip), want)
            assert len(inferencer._pipelines) == 1  # ar3d of this set only
    assert (vocab.label_set_names, vocab.num_tokens) == sizes
    assert len(sizes[0]) == 1 + len(names)
