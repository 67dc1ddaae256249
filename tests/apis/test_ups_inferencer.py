"""UPSInferencer and tools/infer.py: every task, every input kind, pictures,
the open vocabulary and the errors users meet."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmups.apis import (CheckpointMismatchError, SkeletonInputError,
                        UPSInferencer, init_model)
from mmups.datasets.demo_data import (DEMO_ACTIONS, h36m_to_coco, h36m_to_ntu,
                                      project_to_image, synthesize_motion)
from mmups.registry import KEYPOINT_CODECS
from mmups.skeleton import convert_layout


@KEYPOINT_CODECS.register_module(force=True)
class HalfScaleLifting:
    """A lifting codec of a test config: MMPose's, with 2D pixels scaled by
    the image width instead of half of it."""

    def __new__(cls, **kwargs):
        from mmpose.codecs import VideoPoseLifting

        class _Half(VideoPoseLifting):
            def encode(self, keypoints, *args, **kw):
                out = super().encode(keypoints, *args, **kw)
                out['keypoint_labels'] = out['keypoint_labels'] / 2
                return out
        return _Half(**kwargs)

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
DEMO = osp.join(ROOT, 'configs', 'ups', 'ups_demo.py')
TINY = osp.join(ROOT, 'configs', '_base_', 'models', 'ups_tiny.py')


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'mmups_tools_infer', osp.join(ROOT, 'tools', 'infer.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def inferencer(demo_model):
    return UPSInferencer(*demo_model, device='cpu')


def motion(label=3, frames=40, seed=0):
    """(T, 17, 3) Human3.6M-order world joints of a demo action."""
    return synthesize_motion(label, frames, np.random.default_rng(seed))


def test_action_recognition_on_arrays(inferencer):
    clip3d = h36m_to_ntu(motion())  # (T, 25, 3): one person, NTU layout
    clip2d = project_to_image(h36m_to_coco(motion(seed=1)),
                              np.random.default_rng(2))[None]  # (1, T, 17, 2)
    out = inferencer([clip3d, clip2d], task='ar', top_k=3)
    first, second = out['predictions']
    assert (first['task'], first['layout']) == ('ar3d', 'nturgb+d')
    assert (second['task'], second['layout']) == ('ar2d', 'coco')
    for pred in out['predictions']:
        scores = np.asarray(pred['scores'])
        assert scores.shape == (len(DEMO_ACTIONS), )
        assert scores.sum() == pytest.approx(1, abs=1e-4)
        top = [item['score'] for item in pred['topk']]
        assert len(top) == 3 and top == sorted(top, reverse=True)
        assert pred['topk'][0]['name'] == DEMO_ACTIONS[pred['pred_label']]
    # Batching does not change results.
    single = inferencer([clip3d], task='ar', batch_size=1)['predictions'][0]
    assert np.allclose(single['scores'], first['scores'], atol=1e-5)


def test_early_prediction_curve(inferencer, tmp_path):
    clip = h36m_to_ntu(motion(frames=50))
    out = inferencer(clip, task='eap', ratios=(0.2, 0.6, 1.0),
                     out_dir=str(tmp_path))
    pred = out['predictions'][0]
    assert pred['task'] == 'eap3d' and pred['ratios'] == [0.2, 0.6, 1.0]
    assert np.asarray(pred['scores']).shape == (3, len(DEMO_ACTIONS))
    assert len(pred['pred_labels']) == 3
    names = [osp.basename(f) for f in out['visualization'][0]]
    assert names == ['000_input_input.png', '000_input_input.gif',
                     '000_input_early_prediction.png']
    assert all(osp.getsize(f) > 0 for f in out['visualization'][0])


def test_pose_estimation_lifts_every_frame(inferencer):
    coco = project_to_image(h36m_to_coco(motion(frames=12)),
                            np.random.default_rng(0))  # (T, 17, 2) pixels
    out = inferencer(coco[None], task='pe', layout='coco',
                     img_shape=(480, 640))
    pred = out['predictions'][0]
    assert pred['task'] == 'pe3d' and pred['units'] == 'mm'
    assert pred['keypoints_3d'].shape == (1, 12, 17, 3)
    assert pred['joint_names'][0] == 'pelvis'
    # Decoded bins lie inside the vocabulary's coordinate range (+-1.2 m).
    assert np.abs(pred['keypoints_3d']).max() <= 1200
    with pytest.raises(SkeletonInputError, match='lifts 2D joints'):
        inferencer(h36m_to_ntu(motion(frames=5)), task='pe')


def test_pose_estimation_follows_the_configs_codec_and_window(
        demo_model, tmp_path):
    """Pose-lifting inference runs the config's test pipeline: the windows
    the model gets are the config's codec's encoding of the 2D pixels, of
    the config's length, and follow the config when it changes them."""
    from mmpose.codecs import VideoPoseLifting

    from mmups.apis.inputs import load_skeletons
    config, checkpoint = demo_model
    coco = project_to_image(h36m_to_coco(motion(frames=12)),
                            np.random.default_rng(0))  # (T, 17, 2) pixels
    joints = convert_layout(coco, 'coco', 'h36m')  # (T, 17, 2)
    height, width = 480, 640

    def window_of_frame_5(cfg_path):
        """The inferencer's input (1, L, 17, 2) for frame 5, and L."""
        inferencer = UPSInferencer(cfg_path, checkpoint, device='cpu')
        samples = load_skeletons(coco[None], layout='coco', task='pe')
        batch = next(iter(inferencer.preprocess(
            samples, batch_size=100, task='pe', img_shape=(height, width))))
        [inputs] = [x for x, s in zip(batch['inputs'], batch['data_samples'])
                    if s.metainfo['target_frame'] == 5]
        return inputs.numpy(), inferencer.dataset_cfg('pe3d')['seq_len']

    inputs, length = window_of_frame_5(config)
    frames = np.clip(5 + np.arange(length) - length // 2, 0, 11)
    codec = VideoPoseLifting(num_keypoints=17, zero_center=True,
                             reshape_keypoints=False)
    expected = codec.encode(
        joints[frames], lifting_target=np.zeros((1, 17, 3)),
        camera_param=dict(w=width, h=height))['keypoint_labels']
    assert inputs.shape == (1, length, 17, 2)
    assert np.allclose(inputs, expected, atol=1e-6)
    # That is: centred on the image, scaled by half its width.
    assert np.allclose(inputs[0], (joints[frames] - [320, 240]) / 320,
                       atol=1e-5)

    # A config with another codec and window: inference follows it.
    cfg = Config.fromfile(config)
    dataset = cfg.tasks.pe3d.val
    dataset.seq_len = 3
    for step in dataset.pipeline:
        if step['type'] == 'GenerateTarget':
            step['encoder'] = dict(step['encoder'],
                                   type='mmups.HalfScaleLifting')
    other = str(tmp_path / 'other_codec.py')
    cfg.dump(other)
    inputs, length = window_of_frame_5(other)
    assert length == 3 and inputs.shape == (1, 3, 17, 2)
    assert np.allclose(inputs[0], (joints[[4, 5, 6]] - [320, 240]) / 640,
                       atol=1e-5)


def test_open_vocabulary_keeps_trained_classes(demo_model):
    """New class names are scored beside trained ones without moving the
    trained tokens: trained classes keep their relative scores."""
    clip = h36m_to_ntu(motion(label=0))
    trained = UPSInferencer(*demo_model, device='cpu')(clip)['predictions'][0]
    names = ['jump up', 'wave right hand', 'juggling balls', 'reading']
    inferencer = UPSInferencer(*demo_model, device='cpu', labels=names)
    pred = inferencer(clip)['predictions'][0]
    assert pred['class_names'] == names
    scores = np.asarray(pred['scores'])
    assert scores.sum() == pytest.approx(1, abs=1e-4)
    old = np.asarray(trained['scores'])[[DEMO_ACTIONS.index(n)
                                         for n in names[:2]]]
    assert scores[0] / scores[1] == pytest.approx(old[0] / old[1], rel=1e-3)
    assert inferencer.model.vocabulary.num_tokens == \
        inferencer.model.vocabulary.num_base_tokens + 2


def test_cli_writes_json_and_pictures(demo_model, tmp_path, capsys):
    clip = tmp_path / 'clip.npy'
    np.save(clip, h36m_to_ntu(motion()))
    out_dir = tmp_path / 'out'
    load_tool().main([*demo_model, str(clip), '--task', 'ar', '--out-dir',
                      str(out_dir), '--top-k', '2'])
    printed = capsys.readouterr().out
    assert 'task ar3d' in printed and '1. ' in printed and '2. ' in printed
    with open(out_dir / 'results.json') as f:
        results = json.load(f)
    pred = results['predictions'][0]
    assert pred['source'] == str(clip) and len(pred['topk']) == 2
    for picture in results['pictures'][0]:
        assert osp.getsize(picture) > 0


def test_cli_on_the_real_samples(demo_model, shared_data, tmp_path):
    tool = load_tool()
    ntu = osp.join(shared_data, 'samples', 'ntu60_A005_example_skeleton.npy')
    ucf = osp.join(shared_data, 'samples', 'ucf101_hrnet_coco17_example.pkl')
    labels = tmp_path / 'labels.txt'
    labels.write_text('drop\npick up\nsit down\n')
    out = tool.main([*demo_model, ntu, '--task', 'ar', '--labels',
                     str(labels), '--out-dir', str(tmp_path / 'ntu')])
    pred = out['predictions'][0]
    assert pred['layout'] == 'nturgb+d' and len(pred['topk']) == 3
    out = tool.main([*demo_model, ucf, '--task', 'pe', '--out-dir',
                     str(tmp_path / 'ucf')])
    pred = out['predictions'][0]
    # Both persons of the clip, every frame.
    assert pred['keypoints_3d'].shape == (2, 163, 17, 3)
    assert (tmp_path / 'ucf' / 'results.json').is_file()
    assert any(f.endswith('_pose3d.png') for f in out['visualization'][0])


def test_errors_name_the_file_and_problem(demo_model, tmp_path):
    tool = load_tool()
    bad = tmp_path / 'nan.npy'
    clip = h36m_to_ntu(motion(frames=8))
    clip[3, 2, 0] = np.nan
    np.save(bad, clip)
    with pytest.raises(SkeletonInputError, match=r'nan\.npy.*NaN'):
        tool.main([*demo_model, str(bad)])
    empty = tmp_path / 'empty.npy'
    np.save(empty, np.zeros((0, 25, 3), np.float32))
    with pytest.raises(SkeletonInputError, match='empty'):
        tool.main([*demo_model, str(empty)])
    wrong = tmp_path / 'wrong.npy'
    np.save(wrong, np.ones((8, 25, 3), np.float32))
    with pytest.raises(SkeletonInputError, match=r'wrong\.npy.*coco'):
        tool.main([*demo_model, str(wrong), '--layout', 'coco'])
    truncated = tmp_path / 'truncated.pkl'
    truncated.write_bytes(b'\x80\x04\x95')
    with pytest.raises(SkeletonInputError, match='truncated.pkl'):
        tool.main([*demo_model, str(truncated)])
    with pytest.raises(ValueError, match="Unknown task 'pose'"):
        tool.main([*demo_model, str(wrong), '--task', 'pose'])
    with pytest.raises(SkeletonInputError, match='missing.npy: no such file'):
        tool.main([*demo_model, str(tmp_path / 'missing.npy')])


def test_checkpoint_of_another_config_is_refused(demo_model, tmp_path):
    torch.manual_seed(0)
    tiny = init_model(TINY)
    other = str(tmp_path / 'tiny.pth')
    torch.save({'state_dict': tiny.state_dict()}, other)
    with pytest.raises(CheckpointMismatchError,
                       match=r'tiny\.pth does not fit the model'):
        UPSInferencer(demo_model[0], other, device='cpu')
    broken = tmp_path / 'broken.pth'
    broken.write_bytes(b'not a checkpoint')
    with pytest.raises(RuntimeError, match=r'broken\.pth'):
        init_model(demo_model[0], str(broken))
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        init_model(demo_model[0], str(tmp_path / 'nowhere.pth'))


def test_open_vocabulary_scores_paraphrases_like_their_class(tmp_path):
    """After brief training on three demo actions with the real (MiniLM)
    text embeddings, a paraphrase of the true class, never seen in
    training, outscores unrelated new names."""
    from mmups.apis import load_skeletons
    trained = ['wave right hand', 'squat down', 'jump up']
    cfg = Config.fromfile(DEMO)
    cfg.tasks = dict(ar3d=cfg.tasks.ar3d)  # the one task of this model
    cfg.model.vocabulary.label_sets = dict(demo=trained)
    cfg.model.vocabulary.num_bins = 16
    config = str(tmp_path / 'ar3d.py')
    cfg.dump(config)
    torch.manual_seed(0)
    inferencer = UPSInferencer(config, device='cpu')
    model = inferencer.model
    rng = np.random.default_rng(0)

    def clips(per_class):
        labels = [k for k in range(3) for _ in range(per_class)]
        motions = [h36m_to_ntu(synthesize_motion(
            DEMO_ACTIONS.index(trained[k]), 32, rng)) for k in labels]
        return [s for m in motions for s in load_skeletons(m)], labels

    samples, labels = clips(16)
    batches = list(inferencer.preprocess(samples, batch_size=48, task='ar'))
    for sample, label in zip(batches[0]['data_samples'], labels):
        sample.set_gt_label(label)
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    # Until the three classes are fitted (80 updates sufficed on one CPU,
    # not on another: the trajectory follows the floating-point kernels).
    for _ in range(300):
        data = model.data_preprocessor(batches[0], training=True)
        loss = model(**data, mode='loss')['loss']
        optim.zero_grad()
        loss.backward()
        optim.step()
        if loss.item() < 0.02:
            break
    model.eval()

    names = ['waving the right hand', 'crouching', 'hopping',
             'bench press', 'reading a book']
    inferencer.set_labels(trained + names)
    test, test_labels = clips(4)
    scores = np.array([p['scores'] for p in
                       inferencer(test, task='ar')['predictions']])
    for k in range(3):
        mean = scores[np.array(test_labels) == k].mean(0)
        assert mean.argmax() == k, (trained[k], mean)
        assert mean[3 + k] > mean[6:].max(), (trained[k], mean)


def test_future_pose_prediction_reads_the_last_observed_frames(inferencer):
    """Inference of the demo's future pose task: one pose per person, the
    config's horizon after the last frame, from the last 9 frames only."""
    clip = motion(frames=30)[None]  # (1, T, 17, 3) Human3.6M-17 metres
    out = inferencer(clip, task='fp', layout='h36m')
    pred = out['predictions'][0]
    assert pred['task'] == 'fp3d' and pred['horizon_frames'] == 5
    assert pred['future_keypoints_3d'].shape == (1, 17, 3)
    assert pred['units'] == 'mm' and pred['joint_names'][0] == 'pelvis'
    older = clip.copy()
    older[:, :-9] += 0.3  # frames before the observed window
    same = inferencer(older, task='fp', layout='h36m')['predictions'][0]
    np.testing.assert_array_equal(same['future_keypoints_3d'],
                                  pred['future_keypoints_3d'])
    with pytest.raises(SkeletonInputError, match='take 3D joints'):
        inferencer(clip[..., :2], task='fp', layout='h36m')


def test_onnxruntime_backend_matches_pytorch(demo_model, demo_onnx,
                                             onnxruntime, inferencer):
    """Every task kind through the inferencer's pipelines (AR 3D and 2D,
    EAP at several ratios, PE of every frame, FP), with the open
    vocabulary too: identical tokens, scores and 3D joints within 1e-4."""
    ort = UPSInferencer(*demo_model, backend='onnxruntime',
                        onnx_dir=list(demo_onnx.values()))
    clip3d = h36m_to_ntu(motion())
    clip2d = project_to_image(h36m_to_coco(motion(seed=1)),
                              np.random.default_rng(2))[None]
    coco = project_to_image(h36m_to_coco(motion(frames=6)),
                            np.random.default_rng(0))[None]
    calls = [
        (dict(inputs=[clip3d, clip2d], task='ar'), 'scores', 1e-4),
        (dict(inputs=clip3d, task='eap', ratios=(0.3, 1.0)), 'scores', 1e-4),
        # Millimetres: 1e-4 m.
        (dict(inputs=coco, task='pe', layout='coco', img_shape=(480, 640)),
         'keypoints_3d', 0.1),
        (dict(inputs=motion(frames=20)[None], task='fp', layout='h36m'),
         'future_keypoints_3d', 0.1)]
    for kwargs, key, tol in calls:
        want = inferencer(**kwargs, return_datasamples=True, batch_size=4)
        got = ort(**kwargs, return_datasamples=True, batch_size=4)
        for a, b in zip(want['data_samples'], got['data_samples']):
            assert torch.equal(a.pred_tokens, b.pred_tokens)
        for a, b in zip(want['predictions'], got['predictions']):
            assert a['task'] == b['task']
            assert a.get('pred_label') == b.get('pred_label')
            np.testing.assert_allclose(b[key], a[key], rtol=0, atol=tol)
    assert [p['task'] for p in got['predictions']] == ['fp3d']

    names = ['jump up', 'wave right hand', 'juggling balls']
    want = UPSInferencer(*demo_model, labels=names)(clip3d)['predictions']
    got = UPSInferencer(*demo_model, labels=names, backend='onnxruntime',
                        onnx_dir=demo_onnx['ar3d'])(clip3d)['predictions']
    assert got[0]['class_names'] == names
    np.testing.assert_allclose(got[0]['scores'], want[0]['scores'],
                               rtol=0, atol=1e-4)


def test_backend_arguments_are_checked(demo_model, demo_onnx, onnxruntime):
    with pytest.raises(ValueError, match="Unknown backend 'tensorrt'"):
        UPSInferencer(*demo_model, backend='tensorrt')
    with pytest.raises(ValueError, match='backend onnxruntime needs '
                       'onnx_dir'):
        UPSInferencer(*demo_model, backend='onnxruntime')
    with pytest.raises(ValueError, match="runs on the CPU, not on device "
                       "'cuda:0'"):
        UPSInferencer(*demo_model, device='cuda:0', backend='onnxruntime',
                      onnx_dir=demo_onnx['ar3d'])
    with pytest.raises(ValueError, match='onnx_dir is read by backend '
                       'onnxruntime only'):
        UPSInferencer(*demo_model, onnx_dir=demo_onnx['ar3d'])
    ort = UPSInferencer(*demo_model, backend='onnxruntime',
                        onnx_dir=demo_onnx['ar3d'])
    coco = project_to_image(h36m_to_coco(motion(frames=4)),
                            np.random.default_rng(0))[None]
    with pytest.raises(ValueError, match=r"no ONNX export of task 'pe3d' "
                       r".*ar3d.*--task pe3d"):
        ort(coco, task='pe', layout='coco', img_shape=(480, 640))
