# UPS trained on one task only: 3D action recognition on NTU RGB+D 60 (cross-subject).
# See ../_base_/ups_single_task.py for the schedule and batch.
#   bash tools/dist_train.sh configs/ups/ups_separate_ar3d.py 8
_base_ = ['../_base_/ups_single_task.py', '../_base_/datasets/ntu60_xsub_3d.py']

model = dict(tasks=('ar3d', ))
batch_sampler = dict(batch_sizes=dict(ar3d=32), task_order=('ar3d', ))
train_dataloader = dict(
    batch_sampler=batch_sampler,
    dataset=dict(datasets=dict(ar3d={{_base_.ntu60_xsub_3d_train}})))
val_dataloader = dict(
    batch_sampler=batch_sampler,
    dataset=dict(datasets=dict(ar3d={{_base_.ntu60_xsub_3d_test}})))
test_dataloader = val_dataloader
val_evaluator = dict(
    task_metrics=dict(ar3d={{_base_.ntu60_xsub_3d_metric}}))
test_evaluator = val_evaluator
