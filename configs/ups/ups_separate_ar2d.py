# UPS trained on one task only: 2D action recognition on Kinetics-400 (OpenPose 18 joints).
# See ../_base_/ups_single_task.py for the schedule and batch.
#   bash tools/dist_train.sh configs/ups/ups_separate_ar2d.py 8
_base_ = ['../_base_/ups_single_task.py', '../_base_/datasets/kinetics400_openpose18_2d.py']

model = dict(tasks=('ar2d', ))
batch_sampler = dict(batch_sizes=dict(ar2d=32), task_order=('ar2d', ))
train_dataloader = dict(
    batch_sampler=batch_sampler,
    dataset=dict(datasets=dict(ar2d={{_base_.kinetics400_openpose18_2d_train}})))
val_dataloader = dict(
    batch_sampler=batch_sampler,
    dataset=dict(datasets=dict(ar2d={{_base_.kinetics400_openpose18_2d_test}})))
test_dataloader = val_dataloader
val_evaluator = dict(
    task_metrics=dict(ar2d={{_base_.kinetics400_openpose18_2d_metric}}))
test_evaluator = val_evaluator
