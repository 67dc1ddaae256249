# What the peers of UPS (MMAction2's ST-GCN, MMPose's TCN) share on the
# realbench: one task trained for the update count of a UPS single-task run
# (./ups_realbench_single_task.py) with an iteration-based loop and cosine
# decay, validated at the end, in mmups' runner (default scope mmups: the
# peers' models and datasets name their scope). Configs that inherit this
# set the model, the optimiser, the datasets and the metric.
_base_ = ['../../_base_/default_runtime.py', './realbench_data.py']

batch_size = 16
max_iters = int('{{$MMUPS_REALBENCH_ITERS_PER_TASK:1000}}')
val_interval = max_iters
num_workers = 0
train_dataloader = dict(
    batch_size=batch_size, num_workers=num_workers, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=batch_size, num_workers=num_workers, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader

train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False, begin=0,
                        end=max_iters, eta_min=0.0)]
default_hooks = dict(checkpoint=dict(interval=val_interval))
auto_scale_lr = dict(enable=False, base_batch_size=batch_size)
