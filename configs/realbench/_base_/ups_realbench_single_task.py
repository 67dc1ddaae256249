# Shared by ../ups_realbench_separate_*.py: the realbench UPS trained on one
# task. A config that inherits it sets model.tasks, the task's datasets and
# metric, and the task in the batch sampler's task_order.
#
# The task gets as many updates of the same batch size as in the joint run
# (../ups_realbench_all.py: 5000 iterations / 5 tasks), with the same
# learning rate and schedule shape.
_base_ = ['./ups_realbench.py']

max_iters = int('{{$MMUPS_REALBENCH_ITERS_PER_TASK:1000}}')
warmup_iters = max(1, max_iters // 20)
val_interval = max_iters
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=val_interval)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_iters,
         end=max_iters, eta_min=0.0),
]
default_hooks = dict(checkpoint=dict(interval=val_interval))
