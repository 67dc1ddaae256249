"""3D pose estimation lifted from 2D poses (paper section 5.3).

The output is, for each target frame and joint in order, an X, a Y and a Z
bin token of the unified vocabulary, then EOT_pe. The kind also owns what
the pose-lifting results of the realbench taught (``docs/benchmarks.md``):

* the 2D input moved to its root frame by frame (``UPS``'s
  ``root_relative_lifting``);
* ordinal coordinate targets, hidden coordinate inputs and an integral-
  regression L1 term (``UPS``'s ``train_cfg``);
* the expectation read-out, the root at exactly 0 and the flip test
  (``UPS``'s ``test_cfg``).
"""
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.structures import InstanceData
from torch import Tensor

from mmups.registry import TASKS
from mmups.skeleton import (centre_on_root, convert_layout, flip_pose3d,
                            flip_sequence, get_layout)
from .base import TaskKind

__all__ = ['PoseLifting']


@TASKS.register_module(name='pose_lifting')
class PoseLifting(TaskKind):
    """Tasks ``pe*``: root-relative 3D joints (F, V, 3) of the target frames
    of a 2D window. Samples carry ``gt_instances.lifting_target`` and get
    ``pred_instances.keypoints``."""

    name = 'pose_lifting'
    prefix = 'pe'
    eot_prompt = 'pose estimation ends here'
    emits_coordinates = True
    # It lifts 2D joints, whatever its name says.
    picks_task_by_input_dims = False
    # 17 2D joints are Human3.6M's here (COCO-17 for the other kinds).
    input_layout = 'h36m'
    # The 27-frame window of MMPose's lifting recipes.
    window_frames = 27
    main_metric = 'MPJPE'
    main_metric_name = 'MPJPE'
    lower_is_better = True

    # ------------------------------------------------------------- grammar
    def body_length(self, num_joints: int, num_pose_frames: int) -> int:
        return 3 * num_joints * num_pose_frames

    def body_masks(self, vocabulary, label_set) -> Tensor:
        mask = torch.zeros(3, vocabulary.num_tokens, dtype=torch.bool,
                           device=vocabulary.embeddings.device)
        for axis in range(3):
            mask[axis, vocabulary.coord_token_ids(axis)] = True
        return mask

    def target(self, sample) -> Tensor:
        """A sample's pose target, (F, V, 3) or (V, 3) metres."""
        return torch.as_tensor(sample.gt_instances.lifting_target,
                               dtype=torch.float32)

    def encode_body(self, grammar, i: int, sample) -> Tensor:
        return grammar.vocabulary.encode_coords(
            grammar.pose_target(i, sample)).reshape(-1)

    # ------------------------------------------------------------- packing
    def pack(self, results: Dict, sample, source: str) -> np.ndarray:
        """MMPose's keys after ``GenerateTarget`` with a lifting codec:
        ``keypoint_labels`` (T, V, 2) (else ``keypoints``), the root-relative
        ``lifting_target_label`` (F, V, 3) or (V, 3) and
        ``lifting_target_visible``."""
        keypoints = results.get('keypoint_labels', results.get('keypoints'))
        if keypoints is None:
            raise KeyError(f'{source}: no keypoint_labels or keypoints to '
                           'lift (pose estimation).')
        target = np.asarray(results['lifting_target_label'], np.float32)
        if target.ndim == 2:
            target = target[None]
        visible = results.get('lifting_target_visible')
        visible = np.ones(target.shape[:2], np.float32) \
            if visible is None else np.asarray(visible, np.float32)
        gt = InstanceData()
        gt.lifting_target = target
        gt.lifting_target_visible = visible.reshape(*target.shape[:2], 1)
        sample.gt_instances = gt
        inputs = np.asarray(keypoints, dtype=np.float32)
        return inputs[None] if inputs.ndim == 3 else inputs  # one person

    def random_ground_truth(self, sample, model, num_joints: int,
                            generator=None) -> None:
        """A target (F, V, 3) uniform in [-0.5, 0.5) m."""
        gt = InstanceData()
        gt.lifting_target = torch.rand(model.num_pose_frames, num_joints, 3,
                                       generator=generator) - 0.5
        sample.gt_instances = gt

    # ------------------------------------------------------------ training
    def prepare_inputs(self, model, inputs: Tensor,
                       layouts: Sequence[str]) -> Tensor:
        if not model.root_relative_lifting:
            return inputs
        inputs = inputs.clone()
        for j, name in enumerate(layouts):
            layout = get_layout(name)
            v = layout.num_joints
            inputs[j, ..., :v, :] = centre_on_root(inputs[j, ..., :v, :],
                                                   layout)
        return inputs

    def loss(self, model, memory: Tensor, mask: Tensor, samples: List,
             grammar, task: str) -> Dict[str, Tensor]:
        """The sequence NLL with the coordinate terms of ``model.train_cfg``:
        ordinal targets, hidden coordinate inputs and the L1 term
        (``l1``) on the expectation read-out."""
        cfg = model.train_cfg
        targets = grammar.encode(samples)
        length = targets.shape[1]
        axes = grammar.coord_axes(length)
        is_coord = axes >= 0
        mode = cfg['coord_target'].get('mode', 'hard')
        l1_weight = cfg['coord_l1_weight']
        soft = values = hidden = None
        if mode != 'hard' or l1_weight > 0:
            weights, values = grammar.coord_targets(
                samples, length, mode, cfg['coord_target'].get('sigma', 1.0))
            if mode != 'hard':
                soft = (is_coord, grammar.coord_ids[axes.clamp(min=0)],
                        weights)
        if cfg['coord_input_dropout'] > 0:
            drop = torch.rand(is_coord[:, :-1].shape, device=is_coord.device)
            hidden = is_coord[:, :-1] & (drop < cfg['coord_input_dropout'])
        out = self.sequence_loss(model, memory, mask, grammar, task, targets,
                                 soft_targets=soft, hidden_inputs=hidden)
        if l1_weight > 0:
            # Integral regression: the expectation read-out, trained
            # directly on the coordinate error.
            coords = grammar.expected_coords(out['logits'], axes)
            l1 = (coords - values).abs()[is_coord].mean()
            out['l1'] = l1.detach()
            out['loss'] = out['loss'] + l1_weight * l1
        return out

    # ------------------------------------------------------------- testing
    def predict(self, model, inputs: Tensor, samples: List,
                task: str) -> None:
        """Greedy decoding, read out and flip-tested by ``model.test_cfg``."""
        flip = model.test_cfg['flip_test']
        decoded = samples
        if flip:
            # The mirrored windows decode in the same batch as the plain
            # ones: one decoding loop instead of two.
            inputs = torch.cat([inputs, self.flip_inputs(inputs, samples)])
            decoded = samples + samples
        out, grammar = model.generate(inputs, decoded, task)
        poses = self.read_poses(model, out, grammar, decoded)
        if flip:
            n = len(samples)
            poses = [(pose + flip_pose3d(
                other, get_layout(s.metainfo['layout']))) / 2
                for pose, other, s in zip(poses[:n], poses[n:], samples)]
        for j, sample in enumerate(samples):
            sample.pred_tokens = out['tokens'][j, :out['lengths'][j]].cpu()
            pred = InstanceData()
            pred.keypoints = poses[j].cpu().numpy()
            sample.pred_instances = pred

    @staticmethod
    def read_poses(model, out: Dict[str, Tensor], grammar,
                   samples: Sequence) -> List[Tensor]:
        """Each sample's 3D joints (F, V, 3) from a ``generate`` output, by
        the read-out of ``model.test_cfg``."""
        cfg = model.test_cfg
        coords = None
        if 'logits' in out:
            logits = out['logits']
            coords = grammar.expected_coords(
                logits, grammar.coord_axes(logits.shape[1]),
                cfg['readout_window'])
        poses = []
        for j, sample in enumerate(samples):
            root = (get_layout(sample.metainfo['layout']).root_index
                    if cfg['zero_root'] else None)
            poses.append(grammar.decode_pose(
                j, out['tokens'][j, :out['lengths'][j]],
                None if coords is None else coords[j], root_index=root))
        return poses

    #: How the flip test mirrors one sample's (M, T, V, C) input window:
    #: each 2D frame about its own root.
    mirror_window = staticmethod(flip_sequence)

    @classmethod
    def flip_inputs(cls, inputs: Tensor, samples: Sequence) -> Tensor:
        """(n, M, T, V_max, 3) inputs -> their mirror images
        (:attr:`mirror_window`, each sample in its own layout's joints)."""
        out = inputs.clone()
        for j, sample in enumerate(samples):
            layout = get_layout(sample.metainfo['layout'])
            v = layout.num_joints
            out[j, :, :, :v] = cls.mirror_window(inputs[j, :, :, :v], layout)
        return out

    # ----------------------------------------------------------- inference
    def inference_samples(self, inferencer, sample, index: int, task: str,
                          ratios: Sequence[float],
                          img_shape: Optional[Tuple[int, int]]
                          ) -> Iterator[dict]:
        """One packed sample per person and frame: the window of the
        config's length (its test dataset's ``seq_len``) centred on the
        frame, edge frames repeated, in the task's joint layout, through
        the config's test pipeline (whose lifting codec normalises the 2D
        pixels by the image shape, as for its dataset's camera frames)."""
        layout, joints = self.input_joints(inferencer, sample, task)
        height, width = inferencer.image_shape(sample, img_shape)
        dataset = inferencer.dataset_cfg(task)
        if 'seq_len' not in dataset:
            raise ValueError(f'the test dataset of task {task!r} in '
                             f'{inferencer.cfg.filename} has no seq_len: '
                             'the length of its 2D windows is unknown')
        length = int(dataset['seq_len'])
        pipeline = inferencer.test_pipeline(task, layout)
        num_persons, num_frames, num_joints = joints.shape[:3]
        offsets = np.arange(length) - length // 2
        for person in range(num_persons):
            for frame in range(num_frames):
                window = np.clip(frame + offsets, 0, num_frames - 1)
                packed = pipeline(dict(
                    keypoints=joints[person, window].astype(np.float32),
                    keypoints_visible=np.ones((length, num_joints),
                                              np.float32),
                    # No ground truth: a zero pose, which the codec needs.
                    lifting_target=np.zeros((1, num_joints, 3), np.float32),
                    lifting_target_visible=np.ones((1, num_joints),
                                                   np.float32),
                    camera_param=dict(w=width, h=height),
                    input_index=index, person=person, target_frame=frame,
                    frame_dir=sample.name))
                packed['data_samples'].set_metainfo(dict(task=task))
                yield packed

    #: Coordinates per joint of an inference input, and what the error
    #: says where an input has others.
    input_coords = 2
    input_requirement = 'pose estimation lifts 2D joints'

    def input_joints(self, inferencer, sample,
                     task: str) -> Tuple[str, np.ndarray]:
        """(layout, joints): an inference input's (M, T, V, C) joints in
        the joint layout of ``task``'s test pipeline, C checked."""
        if sample.keypoint.shape[-1] != self.input_coords:
            raise ValueError(f'{self.input_requirement}, but the input has '
                             f'{sample.keypoint.shape[-1]} coordinates per '
                             'joint')
        layout = inferencer.task_layout(task)
        return layout, convert_layout(sample.keypoint, sample.layout, layout)

    def inference_result(self, inferencer, preds: List, sample,
                         top_k: int) -> Dict:
        """``keypoints_3d`` (M, T, V, 3): the root-relative camera-frame
        joints of every person and frame (the first target frame of each
        window) in millimetres, in the joint order of ``pose_layout`` (the
        task's layout; ``joint_names``)."""
        layout = get_layout(preds[0].metainfo['layout'])
        num_persons = 1 + max(p.metainfo['person'] for p in preds)
        num_frames = 1 + max(p.metainfo['target_frame'] for p in preds)
        out = np.zeros((num_persons, num_frames, layout.num_joints, 3),
                       np.float32)
        for p in preds:
            # (F, V, 3) metres -> millimetres
            out[p.metainfo['person'], p.metainfo['target_frame']] = \
                p.pred_instances.keypoints[0] * 1000.
        return dict(keypoints_3d=out, pose_layout=layout.name,
                    joint_names=list(layout.joint_names), units='mm')

    def inference_pictures(self, sample, result: Dict,
                           stem: str) -> List[str]:
        """The lifted pose of the middle frame beside its 2D input."""
        from mmups import visualization as vis
        kp = sample.keypoint
        frame = kp.shape[1] // 2
        return [vis.draw_pose_lifting(
            convert_layout(kp[0, frame], sample.layout,
                           result['pose_layout']),
            result['keypoints_3d'][0, frame], f'{stem}_pose3d.png',
            title=f'{sample.name} frame {frame}')]

    def summarize(self, result: Dict) -> List[str]:
        kp = result['keypoints_3d']
        frame = kp.shape[1] // 2
        spread = np.linalg.norm(kp[0, frame], axis=-1).max()
        return [f'  3D poses: {kp.shape[0]} person(s) x {kp.shape[1]} '
                f'frames x {kp.shape[2]} joints (mm, root-relative camera '
                f'frame); frame {frame}: farthest joint {spread:.0f} mm from '
                'the pelvis']

    def describe_prediction(self, sample, vocabulary) -> str:
        kpts = sample.pred_instances.keypoints
        return (f'{len(sample.pred_tokens)} tokens -> 3D pose {kpts.shape} '
                f'(F, V, xyz); pelvis {kpts[0, 0].round(3).tolist()}')
