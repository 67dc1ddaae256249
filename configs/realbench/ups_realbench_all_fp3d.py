# The joint realbench UPS (./ups_realbench_all.py) with a sixth task beyond
# the paper: future pose prediction on the Human3.6M mocap (fp3d,
# ./_base_/realbench_data.py), 1000 updates per task as the others. Its
# figures go beside the five-task UPS (docs/benchmarks.md).
_base_ = ['./ups_realbench_all.py']

model = dict(vocabulary=dict(eot_kinds=('ar', 'pe', 'eap', 'fp')))
tasks = dict(fp3d={{_base_.h36m_fp3d}})

max_iters = 6 * int('{{$MMUPS_REALBENCH_ITERS_PER_TASK:1000}}')
warmup_iters = max(1, max_iters // 20)
val_interval = max_iters
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_iters,
         end=max_iters, eta_min=0.0),
]
default_hooks = dict(checkpoint=dict(interval=val_interval))
