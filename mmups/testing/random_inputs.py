"""Random pose-sequence batches shaped like each task's real data."""
from typing import Optional

import torch

from mmups.skeleton import get_layout
from mmups.structures import UPSDataSample
from mmups.tasks import get_task_kind

#: Joint layout, input dimensionality, persons and label set of each task as
#: the paper uses them: NTU RGB+D for the 3D tasks, Kinetics-skeleton
#: (OpenPose-18) for 2D action recognition, Human3.6M for pose estimation.
TASK_INPUTS = {
    'ar3d': dict(layout='nturgb+d', coord_dims=3, persons=2,
                 label_set='ntu120'),
    'ar2d': dict(layout='openpose', coord_dims=2, persons=2,
                 label_set='kinetics400'),
    'eap3d': dict(layout='nturgb+d', coord_dims=3, persons=2,
                  label_set='ntu120'),
    'eap2d': dict(layout='openpose', coord_dims=2, persons=2,
                  label_set='kinetics400'),
    'pe3d': dict(layout='h36m', coord_dims=2, persons=1, label_set=None),
    # Not a paper task: future pose prediction reads observed 3D poses.
    'fp3d': dict(layout='h36m', coord_dims=3, persons=1, label_set=None),
}


def random_pose_batch(model, task: str, num_samples: int = 2,
                      num_frames: int = 16, layout: Optional[str] = None,
                      label_set: Optional[str] = None,
                      generator: Optional[torch.Generator] = None) -> dict:
    """A random batch of one task, as a dataloader would give it to UPS.

    Args:
        model: a UPS model (its vocabulary and ``num_pose_frames`` are read).
        task: task name: the defaults of ``TASK_INPUTS`` are its own, else
            those of its kind's task of its dimensionality (``ar2d`` for
            ``ar2d_b``), else of its kind's 3D task.
        num_samples: N.
        num_frames: T of the input sequences.
        layout: joint layout (default: the task's, see ``TASK_INPUTS``).
        label_set: label set of action tasks (default: the task's if the
            model's vocabulary has it, else the vocabulary's first).
        generator: random generator, for reproducible batches.

    Returns:
        ``dict(inputs=[(M, T, V, C) tensors], data_samples=[UPSDataSample])``
        with random ground truth (``TaskKind.random_ground_truth``).
    """
    kind = get_task_kind(task)
    dims = '2d' if task.endswith('2d') else '3d'
    spec = dict(TASK_INPUTS.get(task) or
                TASK_INPUTS.get(kind.prefix + dims) or
                TASK_INPUTS[kind.prefix + '3d'])
    lay = get_layout(layout or spec['layout'])
    vocab = model.vocabulary
    if kind.uses_label_set:
        label_set = label_set or spec['label_set']
        if label_set not in vocab.label_set_names:
            label_set = vocab.label_set_names[0]
    inputs, samples = [], []
    for _ in range(num_samples):
        inputs.append(torch.randn(spec['persons'], num_frames, lay.num_joints,
                                  spec['coord_dims'], generator=generator)
                      * 0.3)
        sample = UPSDataSample(metainfo=dict(
            task=task, layout=lay.name,
            label_set=label_set if kind.uses_label_set else None))
        kind.random_ground_truth(sample, model, lay.num_joints, generator)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)
