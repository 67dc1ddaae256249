"""Future pose prediction: the 3D pose ``horizon`` frames after the last
observed frame, from the observed 3D poses (the "future pose estimation"
task of Skeleton-in-Context, CVPR 2024).

Not a task of the UPS paper: it shows that a task kind is one file. Its
output is a pose lifting's (an X, a Y and a Z bin token per joint, then its
own EOT token, ``'fp'``), so the kind inherits the coordinate targets,
read-out and flip test of :class:`~mmups.tasks.pose_lifting.PoseLifting`
and changes only what differs: 3D input, the window split of
:class:`FuturePoseWindow`, the zero-velocity baseline kept for the metric,
and what inference returns.

The baseline is "repeat the last observed pose" (zero velocity), which
human motion forecasting methods must beat; ``MPJPEMetric(baseline=
'zero_velocity_pose')`` scores it beside the model.
"""
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

from mmups.registry import TASKS, TRANSFORMS
from mmups.skeleton import get_layout
from .pose_lifting import PoseLifting

__all__ = ['FuturePosePrediction', 'FuturePoseWindow']


@TRANSFORMS.register_module()
class FuturePoseWindow(BaseTransform):
    """Split a window of 3D poses into the observed frames and the pose
    ``horizon`` frames after the last of them.

    Reads ``keypoints_3d`` (S, V, 3), S = T + horizon consecutive frames
    (MMPose's ``Human36mDataset`` with ``seq_len=S`` and ``causal=True``),
    and writes what the pose-lifting packing reads:

    * ``keypoints`` (T, V, 3): the observed frames, each relative to its
      own root, as pose lifting's 2D frames are (the target is a
      root-relative pose; see :class:`FuturePosePrediction` for what the
      root's path in the input cost);
    * ``lifting_target_label`` (1, V, 3): the future pose, relative to its
      own root (the pose, as pose lifting targets are);
    * ``lifting_target_visible`` (1, V) (ones where MMPose has none);
    * ``zero_velocity_pose`` (1, V, 3): the last observed pose relative to
      its root, the zero-velocity prediction.

    Args:
        horizon: frames from the last observed frame to the target (>= 1).
        root_index: the root joint of the layout.
    """

    def __init__(self, horizon: int, root_index: int = 0) -> None:
        if int(horizon) < 1:
            raise ValueError(f'horizon must be >= 1 frame, got {horizon}')
        self.horizon = int(horizon)
        self.root_index = root_index

    def transform(self, results: Dict) -> Dict:
        window = np.asarray(results['keypoints_3d'], np.float32)
        if window.ndim == 4:  # MMPose keeps a person axis for one person
            window = window[0]
        if window.ndim != 3 or window.shape[0] <= self.horizon:
            raise ValueError(
                f'FuturePoseWindow(horizon={self.horizon}): keypoints_3d '
                f'must be (S, V, 3) with S > {self.horizon} frames (observed '
                f'+ horizon), got {window.shape}')
        observed = window[:-self.horizon]
        future = window[-1]
        root = self.root_index
        last = observed[-1]
        results['keypoints'] = observed - observed[:, root:root + 1]
        results['lifting_target_label'] = (future - future[root])[None]
        visible = results.get('keypoints_3d_visible')
        results['lifting_target_visible'] = (
            np.ones((1, window.shape[1]), np.float32) if visible is None
            else np.asarray(visible, np.float32).reshape(
                -1, window.shape[1])[-1:])
        results['zero_velocity_pose'] = (last - last[root])[None]
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(horizon={self.horizon}, '
                f'root_index={self.root_index})')


@TASKS.register_module(name='future_pose_prediction')
class FuturePosePrediction(PoseLifting):
    """Tasks ``fp*``: the root-relative 3D joints (1, V, 3) of the frame
    ``horizon`` frames after an observed 3D window (:class:`
    FuturePoseWindow`). Samples carry ``gt_instances.lifting_target`` and
    ``zero_velocity_pose`` and get ``pred_instances.keypoints``."""

    name = 'future_pose_prediction'
    prefix = 'fp'
    eot_prompt = 'future pose prediction ends here'
    # Observed 3D joints; the task name ends in '3d'.
    picks_task_by_input_dims = True
    input_layout = None
    input_coords = 3
    input_requirement = 'future pose prediction reads 3D joints'
    main_metric = 'MPJPE'
    main_metric_name = 'MPJPE'

    def pack(self, results: Dict, sample, source: str) -> np.ndarray:
        """The pose-lifting packing of :class:`FuturePoseWindow`'s keys,
        with the zero-velocity pose beside the target."""
        if 'zero_velocity_pose' not in results:
            raise KeyError(f'{source}: no zero_velocity_pose; future pose '
                           'prediction pipelines end in FuturePoseWindow '
                           'before PackUPSInputs')
        inputs = super().pack(results, sample, source)
        sample.gt_instances.zero_velocity_pose = np.asarray(
            results['zero_velocity_pose'], np.float32)
        return inputs

    # The observed frames are centred on their roots (FuturePoseWindow),
    # so pose lifting's input preparation and flip test (each frame about
    # its own root) apply as they are. Kept relative to the last root
    # instead, the root's path in the input was measured to hurt the other
    # tasks of the demo (600 iterations, top-1 ar2d / eap3d mean / ar3d,
    # seeds 1 and 2): 57.5 / 86.0 / 71.2 and 47.5 / 47.4 / 46.2 with the
    # path, 65.0 / 91.5 / 93.8 and 70.0 / 86.4 / 92.5 with centred frames.

    # ----------------------------------------------------------- inference
    def inference_samples(self, inferencer, sample, index: int, task: str,
                          ratios: Sequence[float],
                          img_shape: Optional[Tuple[int, int]]
                          ) -> Iterator[dict]:
        """One packed sample per person: the last T observed frames (the
        config's window less its horizon; the first frame repeated where
        the input is shorter), through the config's test pipeline."""
        layout, joints = self.input_joints(inferencer, sample, task)
        dataset = inferencer.dataset_cfg(task)
        pipeline = inferencer.test_pipeline(task, layout)
        windows = [t for t in pipeline.transforms
                   if isinstance(t, FuturePoseWindow)]
        if 'seq_len' not in dataset or not windows:
            raise ValueError(f'the test dataset of task {task!r} in '
                             f'{inferencer.cfg.filename} needs a seq_len and '
                             'a FuturePoseWindow: the observed length and '
                             'the horizon are unknown')
        horizon = windows[0].horizon
        observed = int(dataset['seq_len']) - horizon
        num_persons, num_frames, num_joints = joints.shape[:3]
        frames = np.clip(np.arange(num_frames - observed, num_frames), 0,
                         num_frames - 1)
        for person in range(num_persons):
            window = joints[person, frames].astype(np.float32)
            # The future is unknown: the last pose stands in for it (the
            # pipeline needs a target; nothing is scored).
            future = np.repeat(window[-1:], horizon, axis=0)
            packed = pipeline(dict(
                keypoints_3d=np.concatenate([window, future]),
                input_index=index, person=person, frame_dir=sample.name))
            packed['data_samples'].set_metainfo(
                dict(task=task, horizon=horizon))
            yield packed

    def inference_result(self, inferencer, preds: List, sample,
                         top_k: int) -> Dict:
        """``future_keypoints_3d`` (M, V, 3): each person's predicted pose
        ``horizon`` frames after the input's last frame, root-relative, in
        millimetres, in the joint order of ``pose_layout``."""
        layout = get_layout(preds[0].metainfo['layout'])
        out = np.zeros((len(preds), layout.num_joints, 3), np.float32)
        for p in preds:
            out[p.metainfo['person']] = p.pred_instances.keypoints[0] * 1000.
        return dict(future_keypoints_3d=out,
                    horizon_frames=int(preds[0].metainfo['horizon']),
                    pose_layout=layout.name,
                    joint_names=list(layout.joint_names), units='mm')

    def inference_pictures(self, sample, result: Dict,
                           stem: str) -> List[str]:
        return []

    def summarize(self, result: Dict) -> List[str]:
        kp = result['future_keypoints_3d']
        spread = np.linalg.norm(kp[0], axis=-1).max()
        return [f'  future 3D pose, {result["horizon_frames"]} frames after '
                f'the last: {kp.shape[0]} person(s) x {kp.shape[1]} joints '
                f'(mm, root-relative); farthest joint {spread:.0f} mm from '
                'the root']
