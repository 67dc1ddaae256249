"""Pack pipeline results into what UPS reads."""
from typing import Optional, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmups.registry import TRANSFORMS
from mmups.skeleton import get_layout
from mmups.structures import UPSDataSample
from mmups.tasks import get_task_kind

#: Result keys :class:`PackUPSInputs` copies into the metainfo by default.
DEFAULT_META_KEYS = ('frame_dir', 'total_frames', 'img_shape', 'obs_ratio',
                     'target_img_path', 'sample_idx', 'category_id')


@TRANSFORMS.register_module()
class PackUPSInputs(BaseTransform):
    """Pack MMAction2 skeleton results or MMPose pose-lifting results.

    Every packed sample knows its task, joint layout, label set and dataset:
    they are set here, from the config of the dataset's pipeline. What is
    read from the results is the task kind's (``TaskKind.pack``):
    recognition and early prediction read MMAction2's keys after
    ``PoseDecode`` (``keypoint``, ``label``), pose lifting MMPose's after
    ``GenerateTarget`` with a lifting codec (``keypoint_labels``,
    ``lifting_target_label``).

    Args:
        task: task name (e.g. ``'ar3d'``, ``'eap3d'``, ``'pe3d'``).
        layout: joint layout of the input.
        label_set: label set of the vocabulary (action tasks).
        dataset: dataset name used in metric names (e.g. ``'ntu60_xsub'``).
        meta_keys: result keys copied into the metainfo when present.

    Returns (in ``transform``):
        ``dict(inputs=Tensor (M, T, V, C), data_samples=UPSDataSample)``;
        an action sample of K > 1 test clips (``UniformSampleFrames``'
        ``num_clips``) has inputs (K, M, T, V, C).
    """

    def __init__(self,
                 task: str,
                 layout: str,
                 label_set: Optional[str] = None,
                 dataset: Optional[str] = None,
                 meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        self.kind = get_task_kind(task)
        get_layout(layout)  # fails early on an unknown layout
        if self.kind.uses_label_set and label_set is None:
            raise ValueError(f'Task {task!r} needs a label_set.')
        self.task = task
        self.layout = layout
        self.label_set = label_set
        self.dataset = dataset
        self.meta_keys = tuple(meta_keys)

    def _source(self, results: dict) -> str:
        for key in ('frame_dir', 'target_img_path', 'img_path', 'sample_idx'):
            if key in results:
                return f'{key}={results[key]!r}'
        return 'a sample'

    def transform(self, results: dict) -> dict:
        sample = UPSDataSample(metainfo=dict(
            task=self.task, layout=self.layout, label_set=self.label_set,
            dataset=self.dataset))
        sample.set_metainfo(
            {k: results[k] for k in self.meta_keys if k in results})
        inputs = self.kind.pack(results, sample, self._source(results))
        if inputs.ndim not in (4, 5):
            raise ValueError(f'{self._source(results)}: expected (M, T, V, C) '
                             f'joints (or (K, M, T, V, C) for K clips), got '
                             f'shape {inputs.shape}.')
        return dict(inputs=torch.from_numpy(np.ascontiguousarray(inputs)),
                    data_samples=sample)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(task={self.task!r}, '
                f'layout={self.layout!r}, label_set={self.label_set!r}, '
                f'dataset={self.dataset!r})')
