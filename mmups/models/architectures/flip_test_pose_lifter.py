"""MMPose's ``PoseLifter`` with a flip test that works for its TCN.

MMPose 1.3.2's ``PoseLifter`` has ``test_cfg=dict(flip_test=True)``, but for
the VideoPose3D TCN it cannot work: it flips the flattened (N, V * C, T)
input as if it were (N, V, C) joints (``flip_coordinates`` asserts V * C ==
V and fails), and the head would then read the flipped features only, with
no un-flip of the output. :func:`FlipTestPoseLifter` builds a ``PoseLifter``
whose flip test mirrors the 2D window about its root with the layout's joint
swap (:func:`mmups.skeleton.flip_sequence`, as UPS' flip test does),
predicts both, mirrors the second prediction back about its root and
averages the two.
"""
import copy
from typing import List

from torch import Tensor

from mmups.registry import MODELS
from mmups.skeleton import flip_pose3d, flip_sequence, get_layout, root_of

__all__ = ['FlipTestPoseLifter']

_CLASS = None


def _lifter_class():
    """The ``PoseLifter`` subclass, defined on first use so that importing
    mmups does not import ``mmpose.models``."""
    global _CLASS
    if _CLASS is not None:
        return _CLASS
    import numpy as np
    import torch
    from mmpose.models.pose_estimators import PoseLifter

    class _FlipTestPoseLifter(PoseLifter):
        """``PoseLifter`` (flattened (N, V * C, T) inputs, (1, V, 3)
        predictions) with the flip test of this module."""

        def __init__(self, layout: str = 'h36m', **kwargs) -> None:
            super().__init__(**kwargs)
            self.layout = get_layout(layout)

        def flip_inputs(self, inputs: Tensor) -> Tensor:
            """Mirror (N, V * C, T) windows about their root."""
            n, _, t = inputs.shape
            v = self.layout.num_joints
            joints = inputs.view(n, v, -1, t).permute(0, 3, 1, 2)
            flipped = flip_sequence(joints, self.layout)
            return flipped.permute(0, 2, 3, 1).reshape(n, -1, t)

        def unflip(self, keypoints: 'np.ndarray') -> 'np.ndarray':
            """Mirror (..., V, 3) predictions back about their root."""
            pose = torch.as_tensor(keypoints, dtype=torch.float32)
            root = root_of(pose, self.layout)
            out = flip_pose3d(pose - root, self.layout) + root
            return out.numpy().astype(keypoints.dtype)

        def predict(self, inputs: Tensor, data_samples: List) -> List:
            if not self.test_cfg.get('flip_test', False):
                return super().predict(inputs, data_samples)
            cfg = self.test_cfg
            self.test_cfg = dict(cfg, flip_test=False)
            try:
                mirrored = super().predict(self.flip_inputs(inputs),
                                           copy.deepcopy(data_samples))
                plain = super().predict(inputs, data_samples)
            finally:
                self.test_cfg = cfg
            for sample, other in zip(plain, mirrored):
                pred = sample.pred_instances
                pred.keypoints = (pred.keypoints + self.unflip(
                    other.pred_instances.keypoints)) / 2
            return plain

    _CLASS = _FlipTestPoseLifter
    return _CLASS


@MODELS.register_module()
def FlipTestPoseLifter(**kwargs):  # noqa: N802 (a model type name)
    """Build the ``PoseLifter`` of this module: MMPose's arguments, plus
    ``layout`` (default ``'h36m'``), the joint layout of its input."""
    return _lifter_class()(**kwargs)
