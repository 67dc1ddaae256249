# Fine-tuning of the jointly trained UPS (configs/ups/ups_all.py) on one
# task: 3D early action prediction on NTU RGB+D 60 (cross-subject).
# The paper trains all tasks jointly, then fine-tunes per task. The model
# keeps all four tasks of ups_all (model.tasks unchanged), so that the
# checkpoint, task embeddings included, loads as it is; only this task's
# data is used. Smaller learning rate (1e-3) and a short schedule.
#   bash tools/dist_train.sh configs/ups/finetune/ups_finetune_eap3d.py 8
# or another checkpoint: --cfg-options load_from=PATH
_base_ = [
    '../../_base_/models/ups.py', '../../_base_/schedules/adamw_cosine.py',
    '../../_base_/default_runtime.py', '../../_base_/datasets/ntu60_xsub_eap3d.py'
]

joint_checkpoint = 'work_dirs/ups_all/iter_60000.pth'
load_from = joint_checkpoint

max_iters = 5000
train_cfg = dict(max_iters=max_iters, val_interval=1000)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=200),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=200,
         end=max_iters, eta_min=0.0),
]
auto_scale_lr = dict(base_batch_size=256)  # 8 GPUs x 32

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='MultiTaskBatchSampler',
                       batch_sizes=dict(eap3d=32), task_order=('eap3d', )),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='MultiTaskDataset',
                 datasets=dict(eap3d={{_base_.ntu60_xsub_eap3d_train}})))
val_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    batch_sampler=dict(type='MultiTaskBatchSampler',
                       batch_sizes=dict(eap3d=32), task_order=('eap3d', ),
                       rotations_per_epoch='once'),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='MultiTaskDataset',
                 datasets=dict(eap3d={{_base_.ntu60_xsub_eap3d_test}})))
test_dataloader = val_dataloader

val_evaluator = dict(type='MultiTaskMetric',
                     task_metrics=dict(eap3d={{_base_.ntu60_xsub_eap3d_metric}}))
test_evaluator = val_evaluator
