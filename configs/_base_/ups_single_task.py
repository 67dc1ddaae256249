# Shared by the single-task UPS configs (configs/ups/ups_separate_*.py): the joint
# model's config and optimisation with one task's data. A config that
# inherits it declares its one task (tasks = dict(<task>=<declaration>),
# see mmups/tasks/declaration.py): the model's tasks, the loaders' datasets
# and batch sizes and the metric follow from it.
#
# The single-task baseline of the joint model (configs/ups/ups_all.py) uses
# the same batch of 32 samples per GPU for the task and as many updates of
# it as the task gets in the joint run (60000 iterations / 4 tasks =
# 15000). Total batch 8 x 32 = 256: auto_scale_lr.base_batch_size is set to
# it, so the paper's lr 1e-2 stands for the same per-task batch as in
# ups_all.
_base_ = [
    './models/ups.py', './schedules/adamw_cosine.py',
    './default_runtime.py'
]

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
    batch_sampler=dict(type='MultiTaskBatchSampler'),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='MultiTaskDataset'))
val_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    batch_sampler=dict(type='MultiTaskBatchSampler',
                       rotations_per_epoch='once'),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='MultiTaskDataset'))
test_dataloader = val_dataloader
val_evaluator = dict(type='MultiTaskMetric')
test_evaluator = val_evaluator
