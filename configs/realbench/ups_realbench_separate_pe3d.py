# UPS trained on one realbench task only: 3D pose estimation (2D-to-3D lifting)
# on Human3.6M mocap.
# Schedule: ./_base_/ups_realbench_single_task.py.
#   python tools/train.py configs/realbench/ups_realbench_separate_pe3d.py
_base_ = ['./_base_/ups_realbench_single_task.py']

model = dict(tasks=('pe3d', ))
batch_sampler = dict(task_order=('pe3d', ))
train_dataloader = dict(
    batch_sampler=batch_sampler,
    dataset=dict(datasets=dict(pe3d={{_base_.ups_train_sets.pe3d}})))
val_dataloader = dict(
    batch_sampler=batch_sampler,
    dataset=dict(datasets=dict(pe3d={{_base_.ups_val_sets.pe3d}})))
test_dataloader = val_dataloader
val_evaluator = dict(task_metrics=dict(pe3d={{_base_.ups_metrics.pe3d}}))
test_evaluator = val_evaluator
