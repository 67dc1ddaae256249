# UPS trained on all five realbench tasks jointly: 3D pose estimation on
# Human3.6M mocap, 2D action recognition and early prediction on Penn
# Action, 3D early prediction and recognition on Human3.6M mocap.
#   python -c "from mmups.datasets.converters.realbench import prepare_realbench_data as p; p()"
#   python tools/train.py configs/realbench/ups_realbench_all.py
# Model, optimiser and loaders: ./_base_/ups_realbench.py; data:
# ./_base_/realbench_data.py (MMUPS_REALBENCH_ROOT=data/realbench_quick for
# the small quick files).
_base_ = ['./_base_/ups_realbench.py']

# Every batch holds one task, in the rotation of the declarations
# (./_base_/realbench_data.py, ups_tasks).
tasks = {{_base_.ups_tasks}}

# 1000 updates per task (MMUPS_REALBENCH_ITERS_PER_TASK changes it: set by
# tools/benchmarks/realbench.py); ups_realbench_separate_*.py give each task
# as many.
max_iters = 5 * int('{{$MMUPS_REALBENCH_ITERS_PER_TASK:1000}}')
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
