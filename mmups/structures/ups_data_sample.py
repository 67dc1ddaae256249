"""The data sample that flows through UPS."""
from typing import Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement, InstanceData


class UPSDataSample(BaseDataElement):
    """Annotations and predictions of one pose sequence.

    Metainfo keys read by the model:

    * ``task`` (str): task name, e.g. ``'ar3d'`` (see :mod:`mmups.tasks`).
    * ``layout`` (str): joint layout of the input, e.g. ``'nturgb+d'``.
    * ``label_set`` (str): name of the dataset label set (AR / EAP tasks).

    Data fields, named where MMAction2's ``AccMetric`` and MMPose's ``MPJPE``
    read them:

    * ``gt_label`` (LongTensor, (1,)): class index within the label set.
    * ``pred_score`` (Tensor, (n_cls,)): class scores over the label set.
    * ``pred_label`` (LongTensor, (1,)): predicted class index.
    * ``gt_instances.lifting_target`` ((F, V, 3)): 3D target joints of the F target frames.
    * ``pred_instances.keypoints`` ((F, V, 3) ndarray): decoded 3D joints.
    * ``pred_tokens`` (LongTensor, (L,)): the decoded token sequence;
      (K, L) for an action sample tested on K > 1 clips, one per clip.
    """

    def set_gt_label(self, value: Union[int, np.integer, torch.Tensor]
                     ) -> 'UPSDataSample':
        """Set ``gt_label`` as a LongTensor of shape (1,)."""
        self.gt_label = torch.as_tensor(value, dtype=torch.long).reshape(1)
        return self

    @property
    def gt_instances(self) -> InstanceData:
        return self._gt_instances

    @gt_instances.setter
    def gt_instances(self, value: InstanceData) -> None:
        self.set_field(value, '_gt_instances', dtype=InstanceData)

    @gt_instances.deleter
    def gt_instances(self) -> None:
        del self._gt_instances

    @property
    def pred_instances(self) -> InstanceData:
        return self._pred_instances

    @pred_instances.setter
    def pred_instances(self, value: InstanceData) -> None:
        self.set_field(value, '_pred_instances', dtype=InstanceData)

    @pred_instances.deleter
    def pred_instances(self) -> None:
        del self._pred_instances
