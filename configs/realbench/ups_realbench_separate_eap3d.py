# UPS trained on one realbench task only: 3D early action prediction on
# Human3.6M mocap.
# Schedule: ./_base_/ups_realbench_single_task.py.
#   python tools/train.py configs/realbench/ups_realbench_separate_eap3d.py
_base_ = ['./_base_/ups_realbench_single_task.py']

model = dict(tasks=('eap3d', ))
batch_sampler = dict(task_order=('eap3d', ))
train_dataloader = dict(
    batch_sampler=batch_sampler,
    dataset=dict(datasets=dict(eap3d={{_base_.ups_train_sets.eap3d}})))
val_dataloader = dict(
    batch_sampler=batch_sampler,
    dataset=dict(datasets=dict(eap3d={{_base_.ups_val_sets.eap3d}})))
test_dataloader = val_dataloader
val_evaluator = dict(task_metrics=dict(eap3d={{_base_.ups_metrics.eap3d}}))
test_evaluator = val_evaluator
