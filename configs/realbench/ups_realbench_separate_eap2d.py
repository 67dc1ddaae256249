# UPS trained on one realbench task only: 2D early action prediction on Penn
# Action.
# Schedule: ./_base_/ups_realbench_single_task.py.
#   python tools/train.py configs/realbench/ups_realbench_separate_eap2d.py
_base_ = ['./_base_/ups_realbench_single_task.py']

model = dict(tasks=('eap2d', ))
batch_sampler = dict(task_order=('eap2d', ))
train_dataloader = dict(
    batch_sampler=batch_sampler,
    dataset=dict(datasets=dict(eap2d={{_base_.ups_train_sets.eap2d}})))
val_dataloader = dict(
    batch_sampler=batch_sampler,
    dataset=dict(datasets=dict(eap2d={{_base_.ups_val_sets.eap2d}})))
test_dataloader = val_dataloader
val_evaluator = dict(task_metrics=dict(eap2d={{_base_.ups_metrics.eap2d}}))
test_evaluator = val_evaluator
