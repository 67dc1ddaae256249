# UPS trained on one task only: 3D action recognition on NTU RGB+D 60 (cross-subject).
# The single-task baseline of the joint model (configs/ups/ups_all.py):
# the same model config with model.tasks = ('ar3d', ), the same batch of
# 32 samples per GPU for the task and as many updates of it as the task
# gets in the joint run (60000 iterations / 4 tasks = 15000).
#   bash tools/dist_train.sh configs/ups/ups_separate_ar3d.py 8
# Total batch 8 x 32 = 256: auto_scale_lr.base_batch_size is set to it, so
# the paper's lr 1e-2 stands for the same per-task batch as in ups_all.
_base_ = [
    '../_base_/models/ups.py', '../_base_/schedules/adamw_cosine.py',
    '../_base_/default_runtime.py', '../_base_/datasets/ntu60_xsub_3d.py'
]

model = dict(tasks=('ar3d', ))
max_iters = 15000
train_cfg = dict(max_iters=max_iters, val_interval=2500)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=500),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=500,
         end=max_iters, eta_min=0.0),
]
auto_scale_lr = dict(base_batch_size=256)

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='MultiTaskBatchSampler',
                       batch_sizes=dict(ar3d=32), task_order=('ar3d', )),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='MultiTaskDataset',
                 datasets=dict(ar3d={{_base_.ntu60_xsub_3d_train}})))
val_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    batch_sampler=dict(type='MultiTaskBatchSampler',
                       batch_sizes=dict(ar3d=32), task_order=('ar3d', ),
                       rotations_per_epoch='once'),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='MultiTaskDataset',
                 datasets=dict(ar3d={{_base_.ntu60_xsub_3d_test}})))
test_dataloader = val_dataloader

val_evaluator = dict(type='MultiTaskMetric',
                     task_metrics=dict(ar3d={{_base_.ntu60_xsub_3d_metric}}))
test_evaluator = val_evaluator
