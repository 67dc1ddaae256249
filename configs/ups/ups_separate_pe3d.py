# UPS trained on one task only: 3D pose estimation on Human3.6M (CPN detections).
# See ../_base_/ups_single_task.py for the schedule and batch.
#   bash tools/dist_train.sh configs/ups/ups_separate_pe3d.py 8
_base_ = ['../_base_/ups_single_task.py', '../_base_/datasets/h36m_cpn_pe3d.py']

model = dict(tasks=('pe3d', ))
batch_sampler = dict(batch_sizes=dict(pe3d=32), task_order=('pe3d', ))
train_dataloader = dict(
    batch_sampler=batch_sampler,
    dataset=dict(datasets=dict(pe3d={{_base_.h36m_cpn_pe3d_train}})))
val_dataloader = dict(
    batch_sampler=batch_sampler,
    dataset=dict(datasets=dict(pe3d={{_base_.h36m_cpn_pe3d_test}})))
test_dataloader = val_dataloader
val_evaluator = dict(
    task_metrics=dict(pe3d={{_base_.h36m_cpn_pe3d_metric}}))
test_evaluator = val_evaluator
