# UPS trained on one realbench task only: 2D action recognition on Penn Action.
# Schedule: ./_base_/ups_realbench_single_task.py.
#   python tools/train.py configs/realbench/ups_realbench_separate_ar2d.py
_base_ = ['./_base_/ups_realbench_single_task.py']

model = dict(tasks=('ar2d', ))
batch_sampler = dict(task_order=('ar2d', ))
train_dataloader = dict(
    batch_sampler=batch_sampler,
    dataset=dict(datasets=dict(ar2d={{_base_.ups_train_sets.ar2d}})))
val_dataloader = dict(
    batch_sampler=batch_sampler,
    dataset=dict(datasets=dict(ar2d={{_base_.ups_val_sets.ar2d}})))
test_dataloader = val_dataloader
val_evaluator = dict(task_metrics=dict(ar2d={{_base_.ups_metrics.ar2d}}))
test_evaluator = val_evaluator
