# UPS trained on one task only: 3D early action prediction on NTU RGB+D 60 (cross-subject).
# See ../_base_/ups_single_task.py for the schedule and batch.
#   bash tools/dist_train.sh configs/ups/ups_separate_eap3d.py 8
_base_ = ['../_base_/ups_single_task.py', '../_base_/datasets/ntu60_xsub_eap3d.py']

model = dict(tasks=('eap3d', ))
batch_sampler = dict(batch_sizes=dict(eap3d=32), task_order=('eap3d', ))
train_dataloader = dict(
    batch_sampler=batch_sampler,
    dataset=dict(datasets=dict(eap3d={{_base_.ntu60_xsub_eap3d_train}})))
val_dataloader = dict(
    batch_sampler=batch_sampler,
    dataset=dict(datasets=dict(eap3d={{_base_.ntu60_xsub_eap3d_test}})))
test_dataloader = val_dataloader
val_evaluator = dict(
    task_metrics=dict(eap3d={{_base_.ntu60_xsub_eap3d_metric}}))
test_evaluator = val_evaluator
